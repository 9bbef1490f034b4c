package dev.whittle.cli;

import dev.whittle.InvalidInputException;
import dev.whittle.TensorData;
import dev.whittle.UnsupportedModelException;
import dev.whittle.model.Model;
import dev.whittle.model.Quantization;
import dev.whittle.model.Tensor;
import dev.whittle.model.TensorType;
import dev.whittle.runtime.CompiledModel;
import dev.whittle.runtime.ExecutionContext;
import dev.whittle.tflite.TensorInfo;
import dev.whittle.tflite.TfliteInterpreter;
import dev.whittle.tflite.TfliteOptions;

import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/** What {@code run} needs from an execution backend, so the command treats both alike. */
interface Backend extends AutoCloseable {
    /** An input or output as the command sees it. */
    record Port(String name, TensorType type, int[] shape, boolean quantized, double scale, long zeroPoint) {
    }

    String description();

    int inputCount();

    int outputCount();

    Port inputPort(int i);

    Port outputPort(int i);

    /** Sets input {@code i}, resizing it first where the backend can. */
    void setInput(int i, TensorData value);

    void invoke();

    TensorData output(int i);

    @Override
    void close();

    static Backend tflite(byte[] model, int threads, boolean xnnpack) {
        return tflite(model, threads, xnnpack, java.util.List.of());
    }

    /** The TFLite interpreter with delegates given by spec (see {@code DelegateSpec}), each its own. */
    static Backend tflite(byte[] model, int threads, boolean xnnpack, java.util.List<String> delegates) {
        TfliteOptions opts = TfliteOptions.defaults().threads(threads).useXnnpack(xnnpack);
        for (String d : delegates) {
            opts = opts.withDelegate(d);
        }
        TfliteInterpreter t = TfliteInterpreter.create(model, opts);
        boolean defaultXnnpack = xnnpack && opts.delegateSpecs().stream()
                .noneMatch(d -> d.kind() == dev.whittle.tflite.DelegateSpec.Kind.XNNPACK);
        return new Backend() {
            @Override
            public String description() {
                return "tflite " + TfliteInterpreter.version() + " (" + threads + " thread" + (threads == 1 ? "" : "s")
                        + (t.delegates().isEmpty() ? "" : ", delegate" + (t.delegates().size() == 1 ? " " : "s ")
                        + String.join(" + ", t.delegates()))
                        + (defaultXnnpack ? ", XNNPACK)" : delegates.isEmpty() ? ", no XNNPACK)" : ")");
            }

            @Override
            public int inputCount() {
                return t.inputCount();
            }

            @Override
            public int outputCount() {
                return t.outputCount();
            }

            @Override
            public Port inputPort(int i) {
                return port(t.inputInfo(i));
            }

            @Override
            public Port outputPort(int i) {
                return port(t.outputInfo(i));
            }

            @Override
            public void setInput(int i, TensorData value) {
                if (!java.util.Arrays.equals(value.shape(), t.inputInfo(i).shape())) {
                    t.resizeInput(i, value.shape());
                }
                t.setInput(i, value);
            }

            @Override
            public void invoke() {
                t.invoke();
            }

            @Override
            public TensorData output(int i) {
                return t.output(i);
            }

            @Override
            public void close() {
                t.close();
            }
        };
    }

    private static Port port(TensorInfo info) {
        boolean q = info.isQuantized();
        return new Port(info.name(), info.type(), info.shape(), q, q ? info.quantization().scale() : 0,
                q ? info.quantization().zeroPoint() : 0);
    }

    /**
     * Whittle's runtime on one context. An input of another shape than the model's (same
     * type and rank) recompiles the model for it, as TFLite's {@code ResizeInputTensor} does;
     * a shape the model cannot take is an {@link InvalidInputException} naming the input.
     *
     * @throws UnsupportedModelException when the runtime lacks an operator or type the model uses
     */
    static Backend whittle(Model model) {
        return new WhittleBackend(model, 1);
    }

    /** {@link #whittle(Model)} with {@code threads} intra-op threads. */
    static Backend whittle(Model model, int threads) {
        return new WhittleBackend(model, threads);
    }

    /** See {@link #whittle(Model)}. */
    final class WhittleBackend implements Backend {
        private final Model model;
        private final Map<Integer, int[]> shapes = new HashMap<>();
        private final TensorData[] given;
        private CompiledModel compiled;
        private ExecutionContext ctx;
        private final int threads;

        private WhittleBackend(Model model, int threads) {
            this.model = model;
            this.threads = threads;
            this.compiled = CompiledModel.compile(model);
            this.ctx = compiled.newContext(threads);
            this.given = new TensorData[compiled.inputCount()];
        }

        @Override
        public String description() {
            return "whittle runtime (kernels " + BenchCommand.describeKernels(compiled) + ", " + threads + " thread"
                    + (threads == 1 ? "" : "s") + ")";
        }

        @Override
        public int inputCount() {
            return compiled.inputCount();
        }

        @Override
        public int outputCount() {
            return compiled.outputCount();
        }

        @Override
        public Port inputPort(int i) {
            return port(compiled.tensorInfo(compiled.inputTensorIndex(i)));
        }

        @Override
        public Port outputPort(int i) {
            return port(compiled.tensorInfo(compiled.outputTensorIndex(i)));
        }

        private static Port port(Tensor t) {
            Quantization q = t.quantization();
            boolean quantized = q != null && q.isAffine() && q.scaleCount() == 1;
            return new Port(t.name(), t.type(), t.shape(), quantized, quantized ? q.scalarScale() : 0,
                    quantized ? q.scalarZeroPoint() : 0);
        }

        @Override
        public void setInput(int i, TensorData value) {
            Tensor t = compiled.tensorInfo(compiled.inputTensorIndex(i));
            if (value.type() == t.type() && value.rank() == t.rank() && !Arrays.equals(value.shape(), t.shape())) {
                resize(i, t, value.shape());
            }
            ctx.setInput(i, value);
            given[i] = value;
        }

        /** Recompiles for a new shape of input {@code i}, keeping the inputs already set. */
        private void resize(int i, Tensor t, int[] shape) {
            Map<Integer, int[]> next = new HashMap<>(shapes);
            next.put(i, shape);
            CompiledModel c;
            try {
                c = CompiledModel.compile(model, next);
            } catch (UnsupportedModelException e) {
                throw new InvalidInputException("input " + i + " '" + t.name() + "' is " + t.type()
                        + Arrays.toString(t.shape()) + "; the model cannot take the shape " + Arrays.toString(shape)
                        + " given: " + e.getMessage(), e);
            }
            shapes.put(i, shape);
            ctx.close();
            compiled = c;
            ctx = c.newContext(threads);
            for (int k = 0; k < given.length; k++) {
                if (given[k] != null && k != i) {
                    ctx.setInput(k, given[k]);
                }
            }
        }

        @Override
        public void invoke() {
            ctx.invoke();
        }

        @Override
        public TensorData output(int i) {
            return ctx.output(i);
        }

        @Override
        public void close() {
            ctx.close();
        }
    }
}
