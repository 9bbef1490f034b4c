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
 * The 16x8 blocked sparse kernels ({@code qs16_qc8w_conv2d_sparse_32x1c2__avx2},
 * {@code qs16_qc8w_fully_connected_sparse_32x1c2__avx2}) against the 16x8 reference, bit for bit,
 * at 1 and 3 threads, the dispatched name asserted: zeros 0..100% (random, in 1x2 / 1x4 blocks,
 * all-zero channels), weights and inputs at the extremes, all inputs -32768 with weights -128 over
 * K = 600..2000 (more than 255 non-zero blocks per channel: a missed int32 flush overflows),
 * int64 biases near both ends, saturating multipliers, odd K, every padding and stride.
 */
class Qs16SparseKernelsTest {
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

    static final String CONV = "qs16_qc8w_conv2d_sparse_32x1c2__avx2";
    static final String FC = "qs16_qc8w_fully_connected_sparse_32x1c2__avx2";

    static WeightFormatHarness.Shaper shaper(int i) {
        double s = new double[] {0, 0.5, 0.8, 0.9, 0.95, 1.0}[i % 6];
        WeightFormatHarness.Shaper z = i % 3 == 0 ? WeightFormatHarness.unstructured(s)
                : WeightFormatHarness.blocks(s, i % 3 == 1 ? 2 : 4);
        return i % 4 == 1 ? z.then(WeightFormatHarness.zeroRows(3)) : z;
    }

    @Test
    void conv2dSparse() {
        assumeTrue(avx2(KernelRegistry.CONV2D_SPARSE), "no AVX2");
        int i = 0;
        for (int[] g : Qs16LutKernelsTest.CONV_CASES) {
            Data d = new Data[] {Data.EXTREMES, Data.RANDOM, Data.SCALES}[i % 3];
            int batch = i % 4 == 3 ? 2 : 1;
            Model m = Qs16LutKernelsTest.conv(g, batch, new int[] {0, 1, 3, 2}[i % 4], i % 6 != 5, d, 700 + i,
                    shaper(i));
            TensorData in = Qs16KernelPathsTest.inputData(new int[] {batch, g[0], g[1], g[2]}, d, 800 + i);
            check(m, in, CONV, "conv " + java.util.Arrays.toString(g) + " case " + i + " " + d);
            i++;
        }
        for (int inC : new int[] {600, 1021, 2000}) {
            int[] h = {3, 3, inC, 17, 1, 1, 1, 1, 1, 1, 0};
            Model m = Qs16LutKernelsTest.conv(h, 1, 0, true, Data.MAX_POSITIVE, inC, null);
            check(m, Qs16KernelPathsTest.inputData(new int[] {1, 3, 3, inC}, Data.MAX_POSITIVE, inC), CONV,
                    "max positive K " + inC);
        }
    }

    @Test
    void fullyConnectedSparse() {
        assumeTrue(avx2(KernelRegistry.FULLY_CONNECTED_SPARSE), "no AVX2");
        int[][] cases = {
            {1, 1, 1}, {1, 16, 15}, {2, 33, 17}, {1, 64, 70}, {5, 255, 31}, {3, 600, 9}, {2, 2000, 33},
            {33, 96, 65}, {40, 257, 20},
        };
        int i = 0;
        for (int[] c : cases) {
            for (TensorType bias : new TensorType[] {TensorType.INT64, TensorType.INT32, null}) {
                Data d = i % 3 == 0 ? Data.EXTREMES : Data.RANDOM;
                Model m = Qs16LutKernelsTest.fc(c[0], c[1], c[2], new int[] {0, 1, 3}[i % 3], bias, i % 5 != 4, d,
                        900 + i, shaper(i));
                check(m, Qs16KernelPathsTest.inputData(new int[] {c[0], c[1]}, d, 1000 + i), FC,
                        "fc " + java.util.Arrays.toString(c) + " bias " + bias + " case " + i);
                i++;
            }
        }
        Model m = Qs16LutKernelsTest.fc(2, 2000, 20, 0, TensorType.INT64, true, Data.MAX_POSITIVE, 5, null);
        check(m, Qs16KernelPathsTest.inputData(new int[] {2, 2000}, Data.MAX_POSITIVE, 5), FC, "fc max positive");
    }

    @Test
    void autoFollowsTheCostModel() {
        assumeTrue(avx2(KernelRegistry.CONV2D_SPARSE), "no AVX2");
        System.setProperty(WeightFormat.PROPERTY, "auto");
        // K = 128, 196 pixels, 90% zeros: sparse (Qs16SparseGemm.AUTO_*).
        autoTakesSparse(128, 24, 11, "auto K 128");
        // K = 32 against the dense AVX2 kernel: sparse (1.12-1.38x since the vector clamp).
        autoTakesSparse(32, 24, 17, "auto K 32");
        // K = 16 but only 8 output channels (the dense tile pads them to 16): sparse.
        autoTakesSparse(16, 8, 19, "auto N 8");
        // K = 16, 24 channels: dense.
        int[] h = {14, 14, 16, 24, 1, 1, 1, 1, 1, 1, 0};
        Model small = Qs16LutKernelsTest.conv(h, 1, 0, true, Data.RANDOM, 13, WeightFormatHarness.unstructured(0.9));
        Qs16KernelPathsTest.run(small, "avx2", 1, Qs16KernelPathsTest.inputData(new int[] {1, 14, 14, 16}, Data.RANDOM,
                14), "qs16_qc8w_conv2d_gemm", "auto K 16");
        // One pixel: dense.
        Model one = Qs16LutKernelsTest.fc(1, 512, 40, 0, TensorType.INT64, true, Data.RANDOM, 15,
                WeightFormatHarness.unstructured(0.95));
        Qs16KernelPathsTest.run(one, "avx2", 1, Qs16KernelPathsTest.inputData(new int[] {1, 512}, Data.RANDOM, 16),
                "qs16_qc8w_fully_connected_gemm", "auto one pixel");
    }

    /** A 14x14 1x1 conv with 90% zeros under auto on AVX2: the sparse kernel, the reference's integers. */
    private static void autoTakesSparse(int inC, int outC, int seed, String label) {
        int[] g = {14, 14, inC, outC, 1, 1, 1, 1, 1, 1, 0};
        Model m = Qs16LutKernelsTest.conv(g, 1, 0, true, Data.RANDOM, seed, WeightFormatHarness.unstructured(0.9));
        TensorData in = Qs16KernelPathsTest.inputData(new int[] {1, 14, 14, inC}, Data.RANDOM, seed + 1);
        System.setProperty(WeightFormat.PROPERTY, "dense");
        byte[] expected = Qs16KernelPathsTest.run(m, "reference", 1, in, "", label);
        System.setProperty(WeightFormat.PROPERTY, "auto");
        assertArrayEquals(expected, Qs16KernelPathsTest.run(m, "avx2", 1, in, CONV, label));
    }
}
