package dev.whittle.runtime;

import dev.whittle.TensorData;
import dev.whittle.model.Model;
import dev.whittle.model.TensorType;
import dev.whittle.runtime.Qs16KernelPathsTest.Data;
import dev.whittle.runtime.kernels.KernelEntry;
import dev.whittle.runtime.kernels.KernelFamily;
import dev.whittle.runtime.kernels.KernelPath;
import dev.whittle.runtime.kernels.KernelRegistry;
import dev.whittle.runtime.kernels.WeightFormat;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The 16x8 2:4 kernels ({@code qs16_qc8w_conv2d_sp24_32x1c4__avx2},
 * {@code qs16_qc8w_fully_connected_sp24_32x1c4__avx2}) against the 16x8 reference, bit for bit, at 1
 * and 3 threads, the dispatched name asserted: output channels 1..70, K = 4..2000 around the
 * groups of 4, the 2-group build step and the 255-group int32 flush (all inputs -32768 with
 * weights -128: a missed flush overflows), every kept-pair pattern, groups with 0 or 1 non-zeros,
 * all-zero channels, weights and inputs at the extremes, int64 biases near both ends, saturating
 * and tiny per-channel multipliers, odd strides, dilation, padding, batch 2, int64 / int32 / no bias.
 */
class Qs16Sp24KernelsTest {
    static final String CONV = "qs16_qc8w_conv2d_sp24_32x1c4__avx2";
    static final String FC = "qs16_qc8w_fully_connected_sp24_32x1c4__avx2";

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

    static void check(Model m, TensorData in, String kernel, String label) {
        System.setProperty(WeightFormat.PROPERTY, "dense");
        byte[] expected = Qs16KernelPathsTest.run(m, "reference", 1, in, "", label);
        System.setProperty(WeightFormat.PROPERTY, "sparse");
        for (int t : new int[] {1, 3}) {
            byte[] actual = Qs16KernelPathsTest.run(m, "avx2", t, in, kernel, label);
            assertArrayEquals(expected, actual, label + " threads " + t);
        }
        System.clearProperty(WeightFormat.PROPERTY);
    }

    static WeightFormatHarness.Shaper shaper(int i) {
        WeightFormatHarness.Shaper s = WeightFormatHarness.sparse24();
        // All-zero channels every 5th (not more: a layer with >= 30% zero 1x4 blocks tries the
        // blocked sparse kernel first, WeightKernels.SPARSE_BEFORE_SP24_ZERO_BLOCKS).
        return i % 4 == 1 ? s.then(WeightFormatHarness.zeroRows(5)) : s;
    }

    static final int[][] CONV_CASES = {
        // h, w, inC, outC, kh, kw, sh, sw, dh, dw, padding
        {2, 2, 4, 1, 1, 1, 1, 1, 1, 1, 0},
        {5, 7, 4, 5, 3, 3, 1, 1, 1, 1, 0},
        {6, 5, 8, 16, 1, 1, 1, 1, 1, 1, 1},
        {7, 6, 12, 15, 1, 1, 2, 2, 1, 1, 0},
        {9, 8, 4, 17, 3, 3, 2, 2, 1, 1, 0},
        {9, 9, 8, 31, 5, 5, 1, 2, 1, 1, 1},
        {10, 9, 4, 33, 3, 3, 1, 1, 2, 2, 0},
        {6, 7, 20, 32, 2, 4, 2, 1, 1, 1, 0},
        {4, 4, 16, 64, 3, 3, 1, 1, 1, 1, 0},
        {3, 5, 12, 65, 1, 3, 1, 2, 1, 1, 1},
        {5, 5, 28, 70, 3, 3, 1, 1, 1, 1, 0},
        {3, 12, 64, 2, 3, 4, 1, 2, 1, 1, 1},
        {4, 3, 252, 9, 1, 1, 1, 1, 1, 1, 1},
        {3, 3, 260, 18, 1, 1, 1, 1, 1, 1, 0},
        {3, 4, 1020, 24, 1, 1, 1, 1, 1, 1, 1},
        {3, 3, 1024, 3, 1, 1, 1, 1, 1, 1, 0},
        {2, 3, 1028, 7, 1, 1, 1, 1, 1, 1, 1},
        // many pixels: several tiles and tasks, a 1..31-pixel tail
        {13, 11, 64, 40, 1, 1, 1, 1, 1, 1, 0},
        {12, 12, 32, 24, 3, 3, 1, 1, 1, 1, 1},
    };

    @Test
    void conv2dSp24() {
        assumeTrue(avx2(KernelRegistry.CONV2D_SP24), "no AVX2");
        int i = 0;
        for (int[] g : CONV_CASES) {
            Data d = new Data[] {Data.EXTREMES, Data.RANDOM, Data.SCALES}[i % 3];
            int batch = i % 4 == 3 ? 2 : 1;
            Model m = Qs16LutKernelsTest.conv(g, batch, new int[] {0, 1, 3, 2}[i % 4], i % 6 != 5, d, 1700 + i,
                    shaper(i));
            TensorData in = Qs16KernelPathsTest.inputData(new int[] {batch, g[0], g[1], g[2]}, d, 1800 + i);
            check(m, in, CONV, "conv " + java.util.Arrays.toString(g) + " case " + i + " " + d);
            i++;
        }
        for (int outC = 1; outC <= 70; outC += 3) {
            int[] g = {5, 7, 8 + 4 * (outC % 5), outC, 1, 1, 1, 1, 1, 1, 0};
            Data d = outC % 2 == 0 ? Data.EXTREMES : Data.SCALES;
            Model m = Qs16LutKernelsTest.conv(g, 1, 0, true, d, 1900 + outC, shaper(outC < 10 ? 0 : outC));
            check(m, Qs16KernelPathsTest.inputData(new int[] {1, 5, 7, g[2]}, d, 2000 + outC), CONV,
                    "channels " + outC);
        }
        for (int inC : new int[] {1016, 1020, 1024, 2000}) {
            int[] h = {3, 3, inC, 17, 1, 1, 1, 1, 1, 1, 0};
            Model m = Qs16LutKernelsTest.conv(h, 1, 0, true, Data.MAX_POSITIVE, inC, WeightFormatHarness.sparse24());
            check(m, Qs16KernelPathsTest.inputData(new int[] {1, 3, 3, inC}, Data.MAX_POSITIVE, inC), CONV,
                    "max positive K " + inC);
        }
    }

    @Test
    void fullyConnectedSp24() {
        assumeTrue(avx2(KernelRegistry.FULLY_CONNECTED_SP24), "no AVX2");
        int[][] cases = {
            {4, 4, 1}, {4, 16, 15}, {5, 36, 17}, {6, 64, 70}, {5, 252, 31}, {7, 600, 9}, {4, 2000, 33},
            {33, 96, 65}, {40, 256, 20}, {9, 1020, 3},
        };
        int i = 0;
        for (int[] c : cases) {
            for (TensorType bias : new TensorType[] {TensorType.INT64, TensorType.INT32, null}) {
                Data d = i % 3 == 0 ? Data.EXTREMES : Data.RANDOM;
                Model m = Qs16LutKernelsTest.fc(c[0], c[1], c[2], new int[] {0, 1, 3}[i % 3], bias, i % 5 != 4, d,
                        2100 + i, shaper(c[2] < 20 ? 0 : i));
                check(m, Qs16KernelPathsTest.inputData(new int[] {c[0], c[1]}, d, 2200 + i), FC,
                        "fc " + java.util.Arrays.toString(c) + " bias " + bias + " case " + i);
                i++;
            }
        }
        Model m = Qs16LutKernelsTest.fc(4, 2000, 20, 0, TensorType.INT64, true, Data.MAX_POSITIVE, 5,
                WeightFormatHarness.sparse24());
        check(m, Qs16KernelPathsTest.inputData(new int[] {4, 2000}, Data.MAX_POSITIVE, 5), FC, "fc max positive");
        // Below 4 pixels not even --kernels sparse takes 2:4 (Qs16Sp24Gemm.MIN_M): the next candidate does.
        System.setProperty(WeightFormat.PROPERTY, "sparse");
        Model few = Qs16LutKernelsTest.fc(3, 64, 20, 0, TensorType.INT64, true, Data.RANDOM, 6,
                WeightFormatHarness.sparse24());
        Qs16KernelPathsTest.run(few, "avx2", 1, Qs16KernelPathsTest.inputData(new int[] {3, 64}, Data.RANDOM, 7),
                "qs16_qc8w_fully_connected_sparse_32x1c2", "3 pixels");
    }

    @Test
    void autoFollowsTheCostModel() {
        assumeTrue(avx2(KernelRegistry.CONV2D_SP24), "no AVX2");
        // K = 128, 196 pixels, AVX2 forced: 2:4 (Qs16Sp24Gemm.AUTO_*).
        int[] g = {14, 14, 128, 24, 1, 1, 1, 1, 1, 1, 0};
        Model m = Qs16LutKernelsTest.conv(g, 1, 0, true, Data.RANDOM, 11, WeightFormatHarness.sparse24());
        TensorData in = Qs16KernelPathsTest.inputData(new int[] {1, 14, 14, 128}, Data.RANDOM, 12);
        System.setProperty(WeightFormat.PROPERTY, "dense");
        byte[] expected = Qs16KernelPathsTest.run(m, "reference", 1, in, "", "auto K 128");
        System.setProperty(WeightFormat.PROPERTY, "auto");
        assertArrayEquals(expected, Qs16KernelPathsTest.run(m, "avx2", 1, in, CONV, "auto K 128"));
        // K = 32: dense.
        int[] h = {14, 14, 32, 24, 1, 1, 1, 1, 1, 1, 0};
        Model small = Qs16LutKernelsTest.conv(h, 1, 0, true, Data.RANDOM, 13, WeightFormatHarness.sparse24());
        Qs16KernelPathsTest.run(small, "avx2", 1, Qs16KernelPathsTest.inputData(new int[] {1, 14, 14, 32}, Data.RANDOM,
                14), "qs16_qc8w_conv2d_gemm", "auto K 32");
        // One pixel: dense.
        Model one = Qs16LutKernelsTest.fc(1, 512, 40, 0, TensorType.INT64, true, Data.RANDOM, 15,
                WeightFormatHarness.sparse24());
        Qs16KernelPathsTest.run(one, "avx2", 1, Qs16KernelPathsTest.inputData(new int[] {1, 512}, Data.RANDOM, 16),
                "qs16_qc8w_fully_connected_gemm", "auto one pixel");
    }
}
