package dev.whittle.quantize;

import dev.whittle.BackendException;
import dev.whittle.TensorData;
import dev.whittle.UnsupportedModelException;
import dev.whittle.model.Model;
import dev.whittle.model.Tensor;
import dev.whittle.model.io.ModelWriter;
import dev.whittle.runtime.CompiledModel;
import dev.whittle.runtime.ExecutionContext;
import dev.whittle.tflite.TfliteInterpreter;
import dev.whittle.tflite.TfliteOptions;

import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Runs subgraph 0 of a model with every tensor kept readable: Whittle's runtime when it can
 * compile the model, else the TFLite interpreter (builtin kernels, preserve-all-tensors).
 * Not thread-safe.
 */
abstract class GraphRunner implements AutoCloseable {
    /** Which engine runs the model (for reports). */
    abstract String backend();

    /** Feeds input 0 (resizing it when the shape differs) and invokes. */
    abstract void run(TensorData input);

    /** Tensor {@code index} after the last run, or null when the engine kept no memory for it. */
    abstract TensorData tensor(int index);

    abstract TensorData output(int i);

    @Override
    public abstract void close();

    /**
     * A runner for {@code model} with input 0 of {@code inputShape}.
     *
     * @param preferWhittle try Whittle's runtime first (float models); otherwise TFLite
     */
    static GraphRunner open(Model model, int[] inputShape, boolean preferWhittle) {
        if (preferWhittle) {
            try {
                CompiledModel cm = CompiledModel.compile(model, Map.of(0, inputShape));
                return new WhittleRunner(cm);
            } catch (UnsupportedModelException e) {
                System.getLogger("dev.whittle.quantize").log(System.Logger.Level.DEBUG,
                        "Whittle's runtime cannot run the model ({0}); using TFLite", e.getMessage());
            }
        }
        return new TfliteRunner(model, inputShape);
    }

    /** Input 0's declared shape with {@code override} where given (dynamic inputs). */
    static int[] inputShape(Model model, int[] override) {
        Tensor in = model.mainGraph().tensor(model.mainGraph().inputs()[0]);
        return override != null ? override.clone() : in.shape();
    }

    private static final class WhittleRunner extends GraphRunner {
        private final ExecutionContext ctx;

        WhittleRunner(CompiledModel cm) {
            this.ctx = cm.newContext(true);
        }

        @Override
        String backend() {
            return "whittle";
        }

        @Override
        void run(TensorData input) {
            ctx.setInput(0, input);
            ctx.invoke();
        }

        @Override
        TensorData tensor(int index) {
            try {
                return ctx.tensor(index);
            } catch (IllegalArgumentException e) {
                return null;
            }
        }

        @Override
        TensorData output(int i) {
            return ctx.output(i);
        }

        @Override
        public void close() {
            ctx.close();
        }
    }

    private static final class TfliteRunner extends GraphRunner {
        private final TfliteInterpreter tfl;

        TfliteRunner(Model model, int[] inputShape) {
            tfl = TfliteInterpreter.create(ModelWriter.toBytes(model),
                    TfliteOptions.defaults().threads(1).useXnnpack(false).preserveAllTensors(true));
            if (!Arrays.equals(tfl.inputInfo(0).shape(), inputShape)) {
                tfl.resizeInput(0, inputShape);
            }
        }

        @Override
        String backend() {
            return "tflite";
        }

        @Override
        void run(TensorData input) {
            tfl.run(List.of(input));
        }

        @Override
        TensorData tensor(int index) {
            try {
                return tfl.tensor(index);
            } catch (BackendException | IllegalArgumentException e) {
                return null;
            }
        }

        @Override
        TensorData output(int i) {
            return tfl.output(i);
        }

        @Override
        public void close() {
            tfl.close();
        }
    }
}
