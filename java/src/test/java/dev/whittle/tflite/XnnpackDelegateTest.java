package dev.whittle.tflite;

import dev.whittle.TensorData;
import dev.whittle.model.DemoModels;
import dev.whittle.model.TensorType;
import dev.whittle.model.io.ModelWriter;
import dev.whittle.testing.SharedData;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** TFLite's XNNPACK delegate created by Whittle with its real options (through FFM). */
class XnnpackDelegateTest {
    private static TensorData randomInput(TfliteInterpreter t, long seed) {
        TensorInfo info = t.inputInfo(0);
        byte[] b = new byte[Math.toIntExact(info.bytes())];
        new SplittableRandom(seed).nextBytes(b);
        return new TensorData(info.type(), info.shape(), ByteBuffer.wrap(b));
    }

    @Test
    void quantizedModelWithOptionsMatchesTheDefaultBackend() throws Exception {
        SharedData.assumeAvailable();
        Path p = SharedData.root().resolve("models/mobilenet_v1_0.25_128_quant.tflite");
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isRegularFile(p), p + " missing; skipping");
        byte[] model = Files.readAllBytes(p);
        try (TfliteInterpreter ref = TfliteInterpreter.create(model, TfliteOptions.defaults());
             Delegate x = Delegate.create(DelegateSpec.parse("xnnpack,threads=2,qu8=true"), 1);
             TfliteInterpreter mine = TfliteInterpreter.create(model, TfliteOptions.defaults().withDelegate(x))) {
            assertTrue(x.description().startsWith("xnnpack (2 threads, flags 0x3"), x.description());
            TensorData in = randomInput(ref, 5);
            assertArrayEquals(ref.run(List.of(in)).get(0).bytes(), mine.run(List.of(in)).get(0).bytes());
        }
    }

    @Test
    void flagsReachXnnpack() throws Exception {
        SharedData.assumeAvailable();
        Path p = SharedData.root().resolve("models/mobilenet_v1_0.25_128_quant.tflite");
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isRegularFile(p), p + " missing; skipping");
        byte[] model = Files.readAllBytes(p);
        // With QU8 off, XNNPACK takes no operator of this uint8 model and TFLite's builtin
        // kernels run it: outputs are then those of the builtin path exactly.
        try (TfliteInterpreter builtin = TfliteInterpreter.create(model, TfliteOptions.defaults().useXnnpack(false));
             TfliteInterpreter noQu8 = TfliteInterpreter.create(model,
                     TfliteOptions.defaults().withDelegate("xnnpack,qu8=false"))) {
            TensorData in = randomInput(builtin, 9);
            assertArrayEquals(builtin.run(List.of(in)).get(0).bytes(), noQu8.run(List.of(in)).get(0).bytes());
            assertEquals(builtin.executionPlanSize(), noQu8.executionPlanSize());
        }
        try (TfliteInterpreter builtin = TfliteInterpreter.create(model, TfliteOptions.defaults().useXnnpack(false));
             TfliteInterpreter qu8 = TfliteInterpreter.create(model, TfliteOptions.defaults().withDelegate("xnnpack,qu8=true"))) {
            // 31 builtin nodes; XNNPACK with QU8 folds the convolutions into one delegate node
            assertTrue(qu8.executionPlanSize() < builtin.executionPlanSize() / 4,
                    qu8.executionPlanSize() + " nodes with QU8 vs " + builtin.executionPlanSize() + " builtin");
        }
    }

    @Test
    void floatModelSharedDelegateAcrossInterpreters() {
        byte[] model = ModelWriter.toBytes(DemoModels.smallCnn(42));
        try (Delegate x = Delegate.create("xnnpack,threads=1");
             TfliteInterpreter ref = TfliteInterpreter.create(model, TfliteOptions.defaults().useXnnpack(false))) {
            TensorData in = randomFloats(ref);
            float[] want = floats(ref.run(List.of(in)).get(0));
            for (int i = 0; i < 3; i++) {
                try (TfliteInterpreter t = TfliteInterpreter.create(model, TfliteOptions.defaults().withDelegate(x))) {
                    float[] got = floats(t.run(List.of(in)).get(0));
                    for (int k = 0; k < want.length; k++) {
                        // XNNPACK sums in another order than the builtin kernels: float rounding only
                        assertEquals(want[k], got[k], 1e-5f);
                    }
                }
            }
            assertFalse(x.isFreed());
        }
    }

    @Test
    void closedDelegateIsRefusedNotCrashed() {
        Delegate x = Delegate.create("xnnpack");
        x.close();
        assertTrue(x.isFreed());
        byte[] model = ModelWriter.toBytes(DemoModels.smallCnn(42));
        assertThrows(IllegalStateException.class,
                () -> TfliteInterpreter.create(model, TfliteOptions.defaults().withDelegate(x)));
    }

    private static TensorData randomFloats(TfliteInterpreter t) {
        TensorInfo info = t.inputInfo(0);
        ByteBuffer b = ByteBuffer.allocate(Math.toIntExact(info.bytes())).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        SplittableRandom r = new SplittableRandom(1);
        while (b.hasRemaining()) {
            b.putFloat((float) r.nextDouble(-1, 1));
        }
        b.flip();
        return new TensorData(TensorType.FLOAT32, info.shape(), b);
    }

    private static float[] floats(TensorData t) {
        double[] d = t.toDoubleArray();
        float[] f = new float[d.length];
        for (int i = 0; i < d.length; i++) {
            f[i] = (float) d[i];
        }
        return f;
    }
}
