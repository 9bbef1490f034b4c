package dev.whittle.cli;

import dev.whittle.TensorData;
import dev.whittle.model.Model;
import dev.whittle.model.Quantization;
import dev.whittle.model.Tensor;
import dev.whittle.model.TensorType;
import dev.whittle.runtime.CompiledModel;
import dev.whittle.runtime.ExecutionContext;
import dev.whittle.tflite.TensorInfo;
import dev.whittle.tflite.TfliteInterpreter;
import dev.whittle.tflite.TfliteOptions;

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
        TfliteInterpreter t = TfliteInterpreter.create(model, TfliteOptions.defaults().threads(threads).useXnnpack(xnnpack));
        return new Backend() {
            @Override
            public String description() {
                return "tflite " + TfliteInterpreter.version() + " (" + threads + " thread" + (threads == 1 ? "" : "s")
                        + (xnnpack ? ", XNNPACK)" : ", no XNNPACK)");
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

    static Backend whittle(Model model) {
        CompiledModel compiled = CompiledModel.compile(model);
        ExecutionContext ctx = compiled.newContext();
        return new Backend() {
            @Override
            public String description() {
                return "whittle runtime (reference kernels, 1 thread)";
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

            private Port port(Tensor t) {
                Quantization q = t.quantization();
                boolean quantized = q != null && q.isAffine() && q.scaleCount() == 1;
                return new Port(t.name(), t.type(), t.shape(), quantized, quantized ? q.scalarScale() : 0,
                        quantized ? q.scalarZeroPoint() : 0);
            }

            @Override
            public void setInput(int i, TensorData value) {
                ctx.setInput(i, value);
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
        };
    }
}
