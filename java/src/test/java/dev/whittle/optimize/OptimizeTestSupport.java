package dev.whittle.optimize;

import dev.whittle.TensorData;
import dev.whittle.model.Model;
import dev.whittle.model.io.ModelReader;
import dev.whittle.model.io.ModelValidator;
import dev.whittle.model.io.ModelWriter;
import dev.whittle.runtime.CompiledModel;
import dev.whittle.runtime.ExecutionContext;
import dev.whittle.tflite.TfliteInterpreter;
import dev.whittle.tflite.TfliteOptions;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Helpers shared by the optimize tests. */
final class OptimizeTestSupport {
    private OptimizeTestSupport() {
    }

    /** The model written and read back (what a user gets from the file), checked by the validator. */
    static Model roundTrip(Model m) {
        Model back = ModelReader.read(ModelWriter.toBytes(m));
        assertTrue(ModelValidator.validate(back).isValid(), () -> ModelValidator.validate(back).toString());
        return back;
    }

    /** A deterministic input for input 0 (float in [-1, 1], or random integers for quantized inputs). */
    static TensorData randomInput(Model m, long seed) {
        var t = m.mainGraph().tensor(m.mainGraph().inputs()[0]);
        int n = Math.toIntExact(t.elementCount());
        Random r = new Random(seed);
        ByteBuffer b = ByteBuffer.allocate(n * t.type().byteSize()).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < n; i++) {
            switch (t.type()) {
                case FLOAT32 -> b.putFloat(r.nextFloat() * 2 - 1);
                case INT8, UINT8 -> b.put((byte) r.nextInt(256));
                default -> throw new IllegalArgumentException(t.type().toString());
            }
        }
        b.flip();
        return new TensorData(t.type(), t.shape(), b);
    }

    /** Runs the model in TFLite; for float models also in Whittle's runtime, and compares the two. */
    static TensorData runEverywhere(Model m, long seed) {
        TensorData in = randomInput(m, seed);
        TensorData tfl;
        try (TfliteInterpreter t = TfliteInterpreter.create(ActivationStats.tfliteBytes(m), TfliteOptions.defaults())) {
            tfl = t.run(List.of(in)).get(0);
        }
        var inTensor = m.mainGraph().tensor(m.mainGraph().inputs()[0]);
        if (inTensor.type() == dev.whittle.model.TensorType.FLOAT32 && !hasSparseTensor(m)) {
            CompiledModel cm = CompiledModel.compile(m);
            try (ExecutionContext ctx = cm.newContext()) {
                ctx.setInput(0, in);
                ctx.invoke();
                TensorData w = ctx.output(0);
                double[] a = tfl.toDoubleArray();
                double[] b = w.toDoubleArray();
                assertEquals(a.length, b.length);
                for (int i = 0; i < a.length; i++) {
                    assertEquals(a[i], b[i], 1e-4 + 1e-4 * Math.abs(a[i]), "output element " + i);
                }
            }
        }
        for (double v : tfl.toDoubleArray()) {
            assertTrue(Double.isFinite(v));
        }
        return tfl;
    }

    private static boolean hasSparseTensor(Model m) {
        return m.mainGraph().tensors().stream().anyMatch(t -> t.sparsity() != null);
    }

    /** The working values (float, or q - zero point) of every selected layer. */
    static List<WeightData> weights(Model m, WeightSelection s) {
        return s.select(m).stream().map(l -> WeightData.read(m, l)).toList();
    }
}
