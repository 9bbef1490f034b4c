package dev.whittle.runtime;

import dev.whittle.TensorData;
import dev.whittle.internal.vectorization.VectorizationProvider;
import dev.whittle.model.Model;
import dev.whittle.model.TensorType;
import dev.whittle.model.io.ModelReader;
import dev.whittle.model.io.ModelRepair;
import dev.whittle.runtime.Qs16KernelPathsTest.Data;
import dev.whittle.runtime.kernels.KernelPath;
import dev.whittle.testing.SharedData;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The Java path's 16x8 kernels ({@code Qs16JavaConv}, {@code Qs16JavaFullyConnected},
 * {@code Qs16JavaDepthwiseConv} on {@code PanamaInt16Kernels}, or the plain twin on a JVM
 * without the Vector API) under {@code -Dwhittle.kernels=java} against the reference kernels,
 * bit for bit, on 1 and 3 threads, asserting the dispatched kernel's name (family prefix and
 * this JVM's {@code __panama256/512} or {@code __scalar} suffix).
 *
 * <p>Sweeps: channels 1..70 around the vector widths (8, 16, 32 lanes and tiles), K around
 * the 256-k int32 block ({@code 252, 255, 256, 257, 261}) and far above it ({@code 600, 900,
 * 2000}: with {@link Data#MAX_POSITIVE}, -32768 x -128 everywhere, an unflushed int32 sum
 * overflows), 1x1 (direct and strided), 3x3, 5x5, 2x4 kernels, strides, dilation, SAME/VALID,
 * batch 2, extremes (inputs -32768/32767, weights -128/127, int64 biases at the ends of the
 * range, where the reference's int64 arithmetic wraps), saturating and tiny multipliers,
 * RELU/RELU_N1_TO_1/RELU6, with and without bias. Depthwise up to 511 taps in int32 (21x21 =
 * 441 taps of MAX_POSITIVE); 529 taps and depth multiplier 2 fall back to the reference.
 * FULLY_CONNECTED with int64 (double requantization), int32 (ruy) and no bias. Whole seanet
 * 16x8 models from the shared data against the reference path (skipped without the data).
 *
 * <p>CI has only AVX2: run once here with 256-bit vectors too,
 * {@code -Dwhittle.jvm.flags="--add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -XX:UseAVX=2"}.
 */
class Qs16JavaPathTest {
    static final int[] THREADS = {1, 3};
    static final int[] ACTS = {0, 1, 3, 2};

    @AfterEach
    void clearProperty() {
        System.clearProperty(KernelPath.PROPERTY);
    }

    static String isa() {
        return "__" + VectorizationProvider.get().isa();
    }

    /** Runs {@code m} on the reference and on the Java path (1 and 3 threads); the Java kernel's name must match. */
    static void check(Model m, TensorData in, String prefix, boolean java, String label) {
        byte[] expected = Qs16KernelPathsTest.run(m, "reference", 1, in, "", label);
        for (int t : THREADS) {
            System.setProperty(KernelPath.PROPERTY, "java");
            CompiledModel cm;
            try {
                cm = CompiledModel.compile(m);
            } finally {
                System.clearProperty(KernelPath.PROPERTY);
            }
            List<String> names = OpProfile.kernelNames(cm);
            String name = names.get(0);
            if (java) {
                assertTrue(name.startsWith(prefix) && name.endsWith(isa()), label + ": dispatched " + names);
            } else {
                assertTrue(name.endsWith("__reference"), label + ": expected the reference, dispatched " + names);
            }
            try (ExecutionContext ctx = cm.newContext(t)) {
                ctx.setInput(0, in);
                ctx.invoke();
                byte[] first = ctx.output(0).bytes();
                assertArrayEquals(expected, first, label + " (" + name + ") threads " + t);
                ctx.invoke();
                assertArrayEquals(first, ctx.output(0).bytes(), label + ": second invoke differs");
            }
        }
    }

    static final int[][] CONV_CASES = {
        // h, w, inC, outC, kh, kw, sh, sw, dh, dw, padding (0 SAME, 1 VALID)
        {3, 4, 1, 1, 1, 1, 1, 1, 1, 1, 0},
        {5, 5, 7, 8, 1, 1, 1, 1, 1, 1, 1},
        {4, 6, 16, 15, 1, 1, 1, 1, 1, 1, 0},
        {5, 3, 33, 17, 1, 1, 1, 1, 1, 1, 0},
        {7, 6, 9, 16, 1, 1, 2, 2, 1, 1, 0},
        {6, 5, 3, 31, 3, 3, 1, 1, 1, 1, 0},
        {7, 7, 5, 32, 3, 3, 2, 2, 1, 1, 0},
        {5, 6, 8, 33, 5, 5, 1, 1, 1, 1, 0},
        {9, 8, 4, 63, 3, 3, 1, 1, 2, 2, 0},
        {6, 6, 2, 64, 3, 3, 2, 1, 1, 1, 1},
        {4, 5, 12, 65, 3, 3, 1, 1, 1, 1, 0},
        {3, 3, 40, 70, 1, 1, 1, 1, 1, 1, 1},
        {6, 7, 9, 24, 2, 4, 2, 1, 1, 1, 0},
        {4, 4, 255, 20, 1, 1, 1, 1, 1, 1, 0},
        {4, 3, 256, 9, 1, 1, 1, 1, 1, 1, 0},
        {3, 4, 257, 40, 1, 1, 1, 1, 1, 1, 0},
        {3, 4, 28, 16, 3, 3, 1, 1, 1, 1, 0},
        {4, 3, 29, 48, 3, 3, 1, 1, 1, 1, 1},
    };

    @Test
    void conv2dSweeps() {
        for (Qs16KernelPathsTest.Variant v : Qs16KernelPathsTest.paddingVariants(CONV_CASES)) {
            int[] c = v.c();
            Model m = Qs16KernelPathsTest.conv(false, c, v.batch(), v.act(), v.bias(), v.d(), 1000 + v.i());
            TensorData in = Qs16KernelPathsTest.inputData(new int[] {v.batch(), c[0], c[1], c[2]}, v.d(), 70 + v.i());
            check(m, in, "qs16_qc8w_conv2d_gemm_", true,
                    "conv " + Arrays.toString(c) + " batch " + v.batch() + " " + v.d());
        }
    }

    /** K = 600 (1x1), 900 (3x3 x 100), 2000 (1x1): several 256-k blocks; MAX_POSITIVE sums reach 2^33. */
    @Test
    void conv2dLargeK() {
        int[][] cases = {{3, 3, 600, 24, 1, 1, 1, 1, 1, 1, 0}, {4, 4, 100, 17, 3, 3, 1, 1, 1, 1, 0},
            {2, 3, 2000, 9, 1, 1, 1, 1, 1, 1, 1}};
        int i = 0;
        for (int[] c : cases) {
            for (Data d : Data.values()) {
                Model m = Qs16KernelPathsTest.conv(false, c, 1, ACTS[i % 4], d != Data.SCALES, d, 40 + i);
                TensorData in = Qs16KernelPathsTest.inputData(new int[] {1, c[0], c[1], c[2]}, d, 41 + i);
                check(m, in, "qs16_qc8w_conv2d_gemm_", true, "conv K " + Arrays.toString(c) + " " + d);
                i++;
            }
        }
    }

    static final int[][] DW_CASES = {
        {3, 4, 1, 1, 3, 3, 1, 1, 1, 1, 0},
        {5, 7, 3, 1, 3, 3, 2, 2, 1, 1, 0},
        {6, 6, 7, 1, 3, 3, 1, 1, 1, 1, 0},
        {5, 5, 8, 1, 5, 5, 1, 1, 1, 1, 0},
        {6, 5, 9, 1, 3, 3, 1, 2, 1, 1, 1},
        {6, 6, 15, 1, 3, 3, 1, 1, 1, 1, 0},
        {6, 6, 16, 1, 3, 3, 2, 2, 1, 1, 0},
        {7, 9, 17, 1, 3, 3, 1, 2, 1, 1, 1},
        {5, 5, 31, 1, 1, 1, 1, 1, 1, 1, 0},
        {5, 6, 32, 1, 2, 4, 1, 1, 1, 1, 0},
        {9, 10, 33, 1, 5, 5, 1, 1, 2, 2, 0},
        {4, 5, 63, 1, 3, 3, 1, 1, 1, 1, 0},
        {4, 4, 64, 1, 3, 3, 2, 2, 1, 1, 1},
        {5, 5, 65, 1, 3, 3, 1, 1, 1, 1, 0},
        {6, 4, 70, 1, 3, 1, 1, 1, 1, 1, 0},
        // Wide rows: 4-pixel runs (interior windows), and channels dividing the lanes (several pixels per vector).
        {3, 70, 1, 1, 3, 3, 1, 1, 1, 1, 0},
        {4, 20, 8, 1, 3, 3, 1, 1, 1, 1, 0},
        {3, 40, 4, 1, 3, 3, 1, 1, 2, 2, 0},
        {5, 30, 2, 1, 5, 5, 1, 1, 1, 1, 1},
        {4, 19, 40, 1, 3, 3, 1, 2, 1, 1, 0},
        {3, 21, 17, 1, 3, 3, 1, 1, 1, 2, 0},
        {3, 25, 32, 1, 3, 3, 2, 1, 1, 1, 0},
    };

    @Test
    void depthwiseSweeps() {
        for (Qs16KernelPathsTest.Variant v : Qs16KernelPathsTest.paddingVariants(DW_CASES)) {
            int[] c = v.c();
            Model m = Qs16KernelPathsTest.conv(true, c, v.batch(), v.act(), v.bias(), v.d(), 3000 + v.i());
            TensorData in = Qs16KernelPathsTest.inputData(new int[] {v.batch(), c[0], c[1], c[2]}, v.d(), 170 + v.i());
            check(m, in, "qs16_qc8w_dwconv2d_", true,
                    "dwconv " + Arrays.toString(c) + " batch " + v.batch() + " " + v.d());
        }
    }

    /** 21x21 = 441 taps (the most in int32 is 511) on the Java kernel; 23x23 = 529 and multiplier 2 on the reference. */
    @Test
    void depthwiseTapLimitAndFallbacks() {
        for (Data d : Data.values()) {
            int[] big = {21, 22, 20, 1, 21, 21, 1, 1, 1, 1, 0};
            check(Qs16KernelPathsTest.conv(true, big, 1, 0, true, d, 3), Qs16KernelPathsTest.inputData(
                    new int[] {1, 21, 22, 20}, d, 4), "qs16_qc8w_dwconv2d_", true, "dwconv 21x21 " + d);
        }
        int[] over = {23, 23, 17, 1, 23, 23, 1, 1, 1, 1, 1};
        check(Qs16KernelPathsTest.conv(true, over, 1, 0, true, Data.MAX_POSITIVE, 5), Qs16KernelPathsTest.inputData(
                new int[] {1, 23, 23, 17}, Data.MAX_POSITIVE, 6), "", false, "dwconv 23x23");
        int[] m2 = {5, 5, 3, 2, 3, 3, 1, 1, 1, 1, 0};
        check(Qs16KernelPathsTest.conv(true, m2, 1, 0, true, Data.RANDOM, 1), Qs16KernelPathsTest.inputData(
                new int[] {1, 5, 5, 3}, Data.RANDOM, 2), "", false, "dwconv multiplier 2");
    }

    @Test
    void fullyConnectedSweeps() {
        int[] cols = {1, 7, 8, 9, 16, 33, 255, 256, 257, 600, 1500};
        int[] units = {1, 7, 8, 9, 15, 16, 17, 31, 32, 33, 64, 65, 70};
        int i = 0;
        for (TensorType bias : new TensorType[] {TensorType.INT64, TensorType.INT32, null}) {
            for (int k : cols) {
                int n = units[(i * 5) % units.length];
                Data d = Data.values()[i % Data.values().length];
                int batch = 1 + i % 5;
                Model m = Qs16KernelPathsTest.fc(batch, k, n, ACTS[i % 4], bias, i % 3 != 0, d, 600 + i);
                check(m, Qs16KernelPathsTest.inputData(new int[] {batch, k}, d, 19 + i), "qs16_qc8w_fully_connected_gemm_",
                        true, "fc " + batch + "x" + k + "->" + n + " bias " + bias + " " + d);
                i++;
            }
            Model m = Qs16KernelPathsTest.fc(4, 2000, 33, 0, bias, true, Data.MAX_POSITIVE, 77);
            check(m, Qs16KernelPathsTest.inputData(new int[] {4, 2000}, Data.MAX_POSITIVE, 78),
                    "qs16_qc8w_fully_connected_gemm_", true, "fc 4x2000->33 MAX_POSITIVE bias " + bias);
        }
    }

    /** Whole seanet 16x8 models: the Java path's outputs equal the reference path's. */
    @ParameterizedTest
    @ValueSource(strings = {"seanet_conv0_16x8.tflite", "seanet_conv5_16x8.tflite", "seanet_conv9_16x8.tflite",
        "seanet_conv10_16x8.tflite"})
    void seanetModels(String name) throws Exception {
        Assumptions.assumeTrue(SharedData.available() && Files.exists(SharedData.model(name)),
                name + " not in the shared data: skipped");
        Path path = SharedData.model(name);
        Model m = ModelReader.read(path);
        ModelRepair.repair(m);
        byte[] expected = null;
        for (String kernels : new String[] {"reference", "java"}) {
            System.setProperty(KernelPath.PROPERTY, kernels);
            CompiledModel cm;
            try {
                cm = CompiledModel.compile(m);
            } finally {
                System.clearProperty(KernelPath.PROPERTY);
            }
            if (kernels.equals("java")) {
                List<String> names = OpProfile.kernelNames(cm);
                assertTrue(names.stream().anyMatch(n -> n.startsWith("qs16_qc8w_") && n.endsWith(isa())),
                        name + ": no Java 16x8 kernel dispatched: " + names);
            }
            for (int threads : THREADS) {
                try (ExecutionContext ctx = cm.newContext(threads)) {
                    SplittableRandom r = new SplittableRandom(11);
                    for (int i = 0; i < cm.inputCount(); i++) {
                        var t = cm.tensorInfo(cm.inputTensorIndex(i));
                        ByteBuffer b = ByteBuffer.allocate(Math.toIntExact(t.type().bytesFor(t.elementCount())))
                                .order(ByteOrder.LITTLE_ENDIAN);
                        while (b.hasRemaining()) {
                            b.put((byte) r.nextInt(256));
                        }
                        b.flip();
                        ctx.setInput(i, new TensorData(t.type(), t.shape(), b));
                    }
                    ctx.invoke();
                    byte[] out = ctx.output(0).bytes();
                    if (expected == null) {
                        expected = out;
                    } else {
                        assertArrayEquals(expected, out, name + " on " + kernels + ", " + threads + " threads");
                    }
                }
            }
        }
        assertEquals(true, expected != null);
    }
}
