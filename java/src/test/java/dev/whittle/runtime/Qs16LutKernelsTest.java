package dev.whittle.runtime;

import dev.whittle.TensorData;
import dev.whittle.model.BuiltinOperator;
import dev.whittle.model.BuiltinOptions;
import dev.whittle.model.Model;
import dev.whittle.model.ModelBuilder;
import dev.whittle.model.ModelBuilder.TensorSpec;
import dev.whittle.model.Quantization;
import dev.whittle.model.TensorType;
import dev.whittle.runtime.Qs16KernelPathsTest.Data;
import dev.whittle.runtime.kernels.KernelEntry;
import dev.whittle.runtime.kernels.KernelFamily;
import dev.whittle.runtime.kernels.KernelPath;
import dev.whittle.runtime.kernels.KernelRegistry;
import dev.whittle.runtime.kernels.WeightFormat;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The 16x8 LUT kernels ({@code qs16_qc8w_conv2d_lut4_4x16c2__avx2},
 * {@code qs16_qc8w_fully_connected_lut4_4x16c2__avx2}) against the 16x8 reference kernels, bit for
 * bit, at 1 and 3 threads, the dispatched kernel's name asserted (so the dense kernel cannot stand
 * in). Weights: 1..16 clusters per layer and per channel, always including -128 and 127 (with
 * two or more), zeros from 0 to 100% and all-zero channels; inputs at the int16 extremes; all
 * inputs -32768 with weights -128 over K = 600..2000 (a missed int32 flush overflows); int64 biases
 * near both ends; saturating and tiny multipliers (Data.SCALES).
 */
class Qs16LutKernelsTest {
    @AfterEach
    void clear() {
        System.clearProperty(KernelPath.PROPERTY);
        System.clearProperty(WeightFormat.PROPERTY);
    }

    private static boolean avx2(KernelFamily<?> family) {
        for (KernelEntry<?> e : KernelRegistry.available(family)) {
            if (e.path() == KernelPath.AVX2) {
                return true;
            }
        }
        return false;
    }

    /**
     * {@code clusters} values per layer or per channel (-128 and 127 among them from 2 on), each
     * weight zero with probability {@code zeros}, every {@code zeroRowEvery}-th channel all zero
     * (0: none).
     */
    static WeightFormatHarness.Shaper lut(int clusters, boolean perChannel, double zeros, int zeroRowEvery) {
        return (w, n, k, inner, zero, signed, r) -> {
            int[] table = null;
            for (int o = 0; o < n; o++) {
                if (table == null || perChannel) {
                    int values = zeros > 0 ? Math.max(1, clusters - 1) : clusters;
                    table = new int[values];
                    java.util.Set<Integer> used = new java.util.HashSet<>();
                    used.add(0);
                    for (int i = 0; i < values; i++) {
                        int v = i == 0 && clusters >= 2 ? -128 : i == 1 && clusters >= 2 ? 127 : 0;
                        while (v == 0 || !used.add(v) && v != -128 && v != 127) {
                            v = r.nextInt(-128, 128);
                        }
                        used.add(v);
                        table[i] = v;
                    }
                }
                for (int j = 0; j < k; j++) {
                    boolean z = (zeroRowEvery > 0 && o % zeroRowEvery == 0) || zeros >= 1 || r.nextDouble() < zeros;
                    w.put(o * k + j, (byte) (z ? 0 : table[r.nextInt(table.length)]));
                }
            }
        };
    }

    /** CONV_2D 16x8 with shaped weights; g as {@link Qs16KernelPathsTest#conv}. */
    static Model conv(int[] g, int batch, int act, boolean withBias, Data d, long seed,
            WeightFormatHarness.Shaper shaper) {
        SplittableRandom r = new SplittableRandom(seed);
        int inC = g[2];
        int outC = g[3];
        int kh = g[4];
        int kw = g[5];
        int k = kh * kw * inC;
        ModelBuilder b = new ModelBuilder("qs16_lut");
        int x = b.input("x", TensorType.INT16, Quantization.perTensor(Qs16KernelPathsTest.SCALE, 0), batch, g[0], g[1],
                inC);
        float[] ws = Qs16KernelPathsTest.weightScales(r, d, outC, k);
        byte[] wv = new byte[outC * k];
        for (int i = 0; i < wv.length; i++) {
            wv[i] = Qs16KernelPathsTest.weight(r, d, i);
        }
        if (shaper != null) {
            shaper.shape(ByteBuffer.wrap(wv), outC, k, inC, 0, true, r);
        }
        int filter = b.constant("w", wv, Quantization.perAxis(ws, new long[outC], 0), outC, kh, kw, inC);
        int bias = -1;
        if (withBias) {
            long[] bv = new long[outC];
            float[] bs = new float[outC];
            for (int c = 0; c < outC; c++) {
                bv[c] = Qs16KernelPathsTest.bias(r, d, c);
                bs[c] = Qs16KernelPathsTest.SCALE * ws[c];
            }
            bias = b.constant("b", TensorType.INT64, Quantization.perAxis(bs, new long[outC], 0),
                    Qs16KernelPathsTest.longs(bv), outC);
        }
        int padding = g[10];
        BuiltinOptions o = BuiltinOptions.of("Conv2DOptions").set("padding", padding).set("stride_h", g[6])
                .set("stride_w", g[7]).set("dilation_h_factor", g[8]).set("dilation_w_factor", g[9])
                .set("fused_activation_function", act);
        int oh = Qs16KernelPathsTest.outSize(padding, g[0], kh, g[6], g[8]);
        int ow = Qs16KernelPathsTest.outSize(padding, g[1], kw, g[7], g[9]);
        TensorSpec y = TensorSpec.quantized("y", TensorType.INT16, Quantization.perTensor(Qs16KernelPathsTest.SCALE, 0),
                batch, oh, ow, outC);
        int[] inputs = withBias ? new int[] {x, filter, bias} : new int[] {x, filter};
        b.output(b.op(BuiltinOperator.CONV_2D, 7, o, inputs, y)[0]);
        return b.build();
    }

    /** FULLY_CONNECTED 16x8 with shaped weights: {@link Qs16KernelPathsTest#fc}'s model, weights rewritten. */
    static Model fc(int batch, int cols, int units, int act, TensorType biasType, boolean perChannel, Data d,
            long seed, WeightFormatHarness.Shaper shaper) {
        SplittableRandom r = new SplittableRandom(seed);
        ModelBuilder b = new ModelBuilder("qs16_lut_fc");
        int x = b.input("x", TensorType.INT16, Quantization.perTensor(Qs16KernelPathsTest.SCALE, 0), batch, cols);
        float[] ws = Qs16KernelPathsTest.weightScales(r, Data.RANDOM, units, cols);
        if (!perChannel) {
            ws = new float[] {ws[0]};
        }
        byte[] wv = new byte[units * cols];
        for (int i = 0; i < wv.length; i++) {
            wv[i] = Qs16KernelPathsTest.weight(r, d, i);
        }
        if (shaper != null) {
            shaper.shape(ByteBuffer.wrap(wv), units, cols, cols, 0, true, r);
        }
        Quantization wq = perChannel ? Quantization.perAxis(ws, new long[units], 0) : Quantization.perTensor(ws[0], 0);
        int w = b.constant("w", wv, wq, units, cols);
        int bias = -1;
        if (biasType != null) {
            float[] bs = new float[units];
            for (int c = 0; c < units; c++) {
                bs[c] = Qs16KernelPathsTest.SCALE * ws[perChannel ? c : 0];
            }
            Quantization bq = Quantization.perAxis(bs, new long[units], 0);
            if (biasType == TensorType.INT64) {
                long[] bv = new long[units];
                for (int c = 0; c < units; c++) {
                    bv[c] = d == Data.EXTREMES ? r.nextLong(-(1L << 40), 1L << 40) : Qs16KernelPathsTest.bias(r, d, c);
                }
                bias = b.constant("b", TensorType.INT64, bq, Qs16KernelPathsTest.longs(bv), units);
            } else {
                int[] bv = new int[units];
                for (int c = 0; c < units; c++) {
                    bv[c] = d == Data.EXTREMES ? (c % 2 == 0 ? Integer.MAX_VALUE - c : Integer.MIN_VALUE + c)
                            : r.nextInt(-(1 << 24), 1 << 24);
                }
                bias = b.constant("b", bv, bq, units);
            }
        }
        BuiltinOptions o = BuiltinOptions.of("FullyConnectedOptions").set("fused_activation_function", act)
                .set("weights_format", 0).set("keep_num_dims", false).set("asymmetric_quantize_inputs", false)
                .set("quantized_bias_type", 0);
        TensorSpec y = TensorSpec.quantized("y", TensorType.INT16, Quantization.perTensor(Qs16KernelPathsTest.SCALE, 0),
                batch, units);
        b.output(b.op(BuiltinOperator.FULLY_CONNECTED, 11, o, biasType == null ? new int[] {x, w, -1}
                : new int[] {x, w, bias}, y)[0]);
        return b.build();
    }

    /** Reference (dense) against the LUT kernel on AVX2 at 1 and 3 threads. */
    static void check(Model m, TensorData in, String kernel, String label) {
        System.setProperty(WeightFormat.PROPERTY, "dense");
        byte[] expected = Qs16KernelPathsTest.run(m, "reference", 1, in, "", label);
        System.setProperty(WeightFormat.PROPERTY, "lut");
        for (int t : new int[] {1, 3}) {
            byte[] actual = Qs16KernelPathsTest.run(m, "avx2", t, in, kernel, label);
            assertArrayEquals(expected, actual, label + " threads " + t);
        }
        System.clearProperty(WeightFormat.PROPERTY);
    }

    static final String CONV = "qs16_qc8w_conv2d_lut4_4x16c2__avx2";
    static final String FC = "qs16_qc8w_fully_connected_lut4_4x16c2__avx2";

    static final int[][] CONV_CASES = {
        // h, w, inC, outC, kh, kw, sh, sw, dh, dw, padding
        {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0},
        {5, 7, 3, 5, 3, 3, 1, 1, 1, 1, 0},
        {6, 5, 8, 16, 1, 1, 1, 1, 1, 1, 1},
        {7, 6, 17, 15, 1, 1, 2, 2, 1, 1, 0},
        {9, 8, 4, 17, 3, 3, 2, 2, 1, 1, 0},
        {9, 9, 5, 31, 5, 5, 1, 2, 1, 1, 1},
        {10, 9, 3, 33, 3, 3, 1, 1, 2, 2, 0},
        {6, 7, 9, 32, 2, 4, 2, 1, 1, 1, 0},
        {4, 4, 16, 64, 3, 3, 1, 1, 1, 1, 0},
        {3, 5, 10, 65, 1, 3, 1, 2, 1, 1, 1},
        {5, 5, 7, 70, 3, 3, 1, 1, 1, 1, 0},
        {3, 12, 64, 2, 3, 4, 1, 2, 1, 1, 1},
        {4, 3, 255, 9, 1, 1, 1, 1, 1, 1, 1},
        {3, 3, 257, 18, 1, 1, 1, 1, 1, 1, 0},
        {3, 4, 600, 24, 1, 1, 1, 1, 1, 1, 1},
        {3, 3, 70, 20, 3, 3, 1, 1, 1, 1, 0},
        {2, 3, 2000, 7, 1, 1, 1, 1, 1, 1, 1},
        // many pixels: several row blocks (K = 576: 112 rows per block) and tasks
        {24, 24, 64, 40, 3, 3, 1, 1, 1, 1, 0},
    };

    @Test
    void conv2dClustered() {
        assumeTrue(avx2(KernelRegistry.CONV2D_LUT), "no AVX2");
        int i = 0;
        for (int[] g : CONV_CASES) {
            int clusters = 1 + (i * 5) % 16;
            boolean perChannel = i % 2 == 0;
            double zeros = new double[] {0, 0, 0.3, 0.9, 0}[i % 5];
            Data d = new Data[] {Data.EXTREMES, Data.RANDOM, Data.SCALES}[i % 3];
            int batch = i % 4 == 3 ? 2 : 1;
            Model m = conv(g, batch, new int[] {0, 1, 3, 2}[i % 4], i % 6 != 5, d, 100 + i,
                    lut(clusters, perChannel, zeros, i % 3 == 1 ? 3 : 0));
            TensorData in = Qs16KernelPathsTest.inputData(new int[] {batch, g[0], g[1], g[2]}, d, 200 + i);
            check(m, in, CONV, "conv " + java.util.Arrays.toString(g) + " clusters " + clusters
                    + (perChannel ? " per channel" : " per layer") + " zeros " + zeros + " " + d);
            i++;
        }
    }

    @Test
    void conv2dClusterCounts() {
        assumeTrue(avx2(KernelRegistry.CONV2D_LUT), "no AVX2");
        int[] g = {5, 6, 24, 40, 3, 3, 1, 1, 1, 1, 0};
        for (int clusters = 1; clusters <= 16; clusters++) {
            for (boolean perChannel : new boolean[] {false, true}) {
                Model m = conv(g, 1, 0, true, Data.EXTREMES, clusters, lut(clusters, perChannel, 0, 0));
                TensorData in = Qs16KernelPathsTest.inputData(new int[] {1, 5, 6, 24}, Data.EXTREMES, clusters);
                check(m, in, CONV, "clusters " + clusters + (perChannel ? " per channel" : " per layer"));
            }
        }
    }

    @Test
    void conv2dSparsityAndFlush() {
        assumeTrue(avx2(KernelRegistry.CONV2D_LUT), "no AVX2");
        int[] g = {4, 5, 40, 33, 3, 3, 1, 1, 1, 1, 0};
        int i = 0;
        for (double zeros : new double[] {0, 0.5, 0.8, 0.95, 1.0}) {
            Model m = conv(g, 1, 0, true, Data.RANDOM, 300 + i, lut(8, true, zeros, i == 2 ? 2 : 0));
            check(m, Qs16KernelPathsTest.inputData(new int[] {1, 4, 5, 40}, Data.EXTREMES, 400 + i), CONV,
                    "zeros " + zeros);
            i++;
        }
        // All inputs -32768, all weights -128 (one value): the largest pair sums over K = 600..2000.
        for (int inC : new int[] {600, 1021, 2000}) {
            int[] h = {3, 3, inC, 17, 1, 1, 1, 1, 1, 1, 0};
            Model m = conv(h, 1, 0, true, Data.MAX_POSITIVE, inC, null);
            check(m, Qs16KernelPathsTest.inputData(new int[] {1, 3, 3, inC}, Data.MAX_POSITIVE, inC), CONV,
                    "max positive K " + inC);
        }
        int[] h = {4, 4, 70, 16, 3, 3, 1, 1, 1, 1, 0};
        Model m = conv(h, 1, 0, true, Data.MAX_POSITIVE, 7, null);
        check(m, Qs16KernelPathsTest.inputData(new int[] {1, 4, 4, 70}, Data.MAX_POSITIVE, 7), CONV,
                "max positive 3x3 K 630");
    }

    @Test
    void fullyConnectedClustered() {
        assumeTrue(avx2(KernelRegistry.FULLY_CONNECTED_LUT), "no AVX2");
        int[][] cases = {
            // batch, cols, units
            {1, 1, 1}, {1, 16, 15}, {2, 33, 17}, {1, 64, 70}, {5, 255, 31}, {1, 257, 16}, {3, 600, 9},
            {1, 1024, 40}, {2, 2000, 33}, {1, 256, 1001}, {7, 96, 65},
        };
        int i = 0;
        for (int[] c : cases) {
            for (TensorType bias : new TensorType[] {TensorType.INT64, TensorType.INT32, null}) {
                int clusters = 1 + (i * 7) % 16;
                boolean perChannel = i % 2 == 1;
                double zeros = new double[] {0, 0.5, 0, 0.9}[i % 4];
                Data d = i % 3 == 0 ? Data.EXTREMES : Data.RANDOM;
                Model m = fc(c[0], c[1], c[2], new int[] {0, 1, 3}[i % 3], bias, i % 5 != 4, d, 500 + i,
                        lut(clusters, perChannel, zeros, i % 4 == 2 ? 4 : 0));
                check(m, Qs16KernelPathsTest.inputData(new int[] {c[0], c[1]}, d, 600 + i), FC,
                        "fc " + java.util.Arrays.toString(c) + " bias " + bias + " clusters " + clusters);
                i++;
            }
        }
        for (int cols : new int[] {600, 2000}) {
            Model m = fc(2, cols, 20, 0, TensorType.INT64, true, Data.MAX_POSITIVE, cols, null);
            check(m, Qs16KernelPathsTest.inputData(new int[] {2, cols}, Data.MAX_POSITIVE, cols), FC,
                    "fc max positive " + cols);
        }
    }

    @Test
    void declinesMoreThanSixteenValues() {
        assumeTrue(avx2(KernelRegistry.CONV2D_LUT), "no AVX2");
        int[] g = {4, 4, 256, 16, 1, 1, 1, 1, 1, 1, 0};
        Model m = conv(g, 1, 0, true, Data.RANDOM, 9, WeightFormatHarness.clustered(40, true));
        System.setProperty(WeightFormat.PROPERTY, "lut");
        byte[] out = Qs16KernelPathsTest.run(m, "avx2", 1, Qs16KernelPathsTest.inputData(new int[] {1, 4, 4, 256},
                Data.RANDOM, 1), "qs16_qc8w_conv2d_gemm", "17 values");
        assertTrue(out.length > 0);
        // auto: one pixel is below Qs16LutGemm.AUTO_MIN_M, so the dense kernel runs.
        System.setProperty(WeightFormat.PROPERTY, "auto");
        Model one = fc(1, 256, 40, 0, TensorType.INT64, true, Data.RANDOM, 3, lut(16, true, 0, 0));
        Qs16KernelPathsTest.run(one, "avx2", 1, Qs16KernelPathsTest.inputData(new int[] {1, 256}, Data.RANDOM, 3),
                "qs16_qc8w_fully_connected_gemm", "auto, one pixel");
    }
}
