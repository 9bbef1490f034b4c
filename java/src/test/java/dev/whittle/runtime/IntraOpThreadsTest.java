package dev.whittle.runtime;

import dev.whittle.TensorData;
import dev.whittle.model.Model;
import dev.whittle.model.TensorType;
import dev.whittle.model.io.ModelReader;
import dev.whittle.model.io.ModelRepair;
import dev.whittle.runtime.kernels.KernelPath;
import dev.whittle.testing.SharedData;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Intra-op threading changes nothing but speed: whole shared models run on 1, 2 and 3
 * threads give byte-identical outputs (float ones included, since tasks split the output and
 * never the sums), on the default path and on the Java path, and several invokes of one
 * multi-threaded context agree.
 */
class IntraOpThreadsTest {
    @AfterEach
    void clear() {
        System.clearProperty(KernelPath.PROPERTY);
        System.clearProperty(dev.whittle.runtime.kernels.NativeDepthwiseConv.FEW_ROWS_SPLIT_PROPERTY);
    }

    @ParameterizedTest(name = "{0} on {1}")
    @CsvSource({
            "mobilenet_v2_1.0_224_quant.tflite, auto",
            "mobilenet_v2_1.0_224_quant.tflite, java",
            "mobilenet_v1_0.25_224_quant.tflite, auto",
            "person_detect_int8.tflite, auto",
            "person_detect_int8.tflite, java",
            "person_detect_int8.tflite, avx2",
            "person_detect_int8.tflite, auto+few",
            "person_detect_int8.tflite, avx2+few",
            "mobilenet_v1_0.25_224_quant.tflite, auto+few",
            "mobilenet_v1_0.25_224_float.tflite, auto",
            "seanet_conv5_16x8.tflite, auto"})
    void threadsGiveIdenticalOutputs(String name, String path) throws Exception {
        if (path.endsWith("+few")) {
            // The split of few-row nodes by channels / vectors and of few uneven pixel tiles by
            // channel groups (off by default).
            path = path.substring(0, path.length() - 4);
            System.setProperty(dev.whittle.runtime.kernels.NativeDepthwiseConv.FEW_ROWS_SPLIT_PROPERTY, "true");
        }
        SharedData.assumeAvailable();
        Model m = ModelReader.read(SharedData.model(name));
        ModelRepair.repair(m);
        System.setProperty(KernelPath.PROPERTY, path);
        CompiledModel compiled = CompiledModel.compile(m);
        byte[] single = null;
        for (int threads : new int[] {1, 2, 3}) {
            try (ExecutionContext ctx = compiled.newContext(threads)) {
                assertEquals(threads, ctx.threads());
                for (int round = 0; round < 2; round++) {
                    setInputs(compiled, ctx);
                    ctx.invoke();
                    byte[] out = bytes(ctx.output(0));
                    if (single == null) {
                        single = out;
                    } else {
                        assertTrue(java.util.Arrays.equals(single, out),
                                name + ": output on " + threads + " threads (round " + round + ") differs from 1 thread");
                    }
                }
            }
        }
    }

    private static void setInputs(CompiledModel compiled, ExecutionContext ctx) {
        SplittableRandom r = new SplittableRandom(7);
        for (int i = 0; i < compiled.inputCount(); i++) {
            var t = compiled.tensorInfo(compiled.inputTensorIndex(i));
            ByteBuffer b = ByteBuffer.allocate(Math.toIntExact(t.type().bytesFor(t.elementCount())))
                    .order(ByteOrder.LITTLE_ENDIAN);
            if (t.type() == TensorType.FLOAT32) {
                while (b.hasRemaining()) {
                    b.putFloat((float) (r.nextDouble() * 2 - 1));
                }
            } else {
                while (b.hasRemaining()) {
                    b.put((byte) r.nextInt(256));
                }
            }
            b.flip();
            ctx.setInput(i, new TensorData(t.type(), t.shape(), b));
        }
    }

    private static byte[] bytes(TensorData d) {
        ByteBuffer b = d.data();
        byte[] out = new byte[b.remaining()];
        b.get(b.position(), out);
        return out;
    }
}
