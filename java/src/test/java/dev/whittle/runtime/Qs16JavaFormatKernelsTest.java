package dev.whittle.runtime;

import dev.whittle.TensorData;
import dev.whittle.internal.vectorization.VectorizationProvider;
import dev.whittle.model.Model;
import dev.whittle.model.TensorType;
import dev.whittle.runtime.Qs16KernelPathsTest.Data;
import dev.whittle.runtime.kernels.KernelPath;
import dev.whittle.runtime.kernels.WeightFormat;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The Java path's 16x8 sparse, 2:4 and LUT-16 kernels ({@code qs16_qc8w_*_sparse_<L>x1__<isa>},
 * {@code qs16_qc8w_*_sp24_<L>x1__<isa>}, {@code qs16_qc8w_*_lut4_<L>x1__<isa>}, {@code Qs16JavaFormatGemm}) under
 * {@code -Dwhittle.kernels=java} against the 16x8 reference, bit for bit, at 1 and 3 threads, the
 * dispatched name asserted: output channels 1..70, K around the groups of 4 and the 256-product
 * int32 flush (all inputs -32768 with weights -128 at K up to 2000), 0-100% zeros, all-zero
 * channels, extremes, per-channel multipliers from tiny to saturating, strides, dilation, padding,
 * batch 2, int64 / int32 / no bias. The plain twin against the Vector API kernel: {@code Int16SparseTwinTest}.
 */
class Qs16JavaFormatKernelsTest {
    @AfterEach
    void clear() {
        System.clearProperty(KernelPath.PROPERTY);
        System.clearProperty(WeightFormat.PROPERTY);
    }

    private static String isa() {
        return "__" + VectorizationProvider.get().isa();
    }

    static void check(Model m, TensorData in, String kernel, String label) {
        check(m, in, kernel, label, "sparse");
    }

    static void check(Model m, TensorData in, String kernel, String label, String format) {
        System.setProperty(WeightFormat.PROPERTY, "dense");
        byte[] expected = Qs16KernelPathsTest.run(m, "reference", 1, in, "", label);
        System.setProperty(WeightFormat.PROPERTY, format);
        System.setProperty(KernelPath.PROPERTY, "java");
        String name = OpProfile.kernelNames(CompiledModel.compile(m)).get(0);
        System.clearProperty(KernelPath.PROPERTY);
        assertTrue(name.startsWith(kernel) && name.endsWith(isa()), label + ": dispatched " + name);
        for (int t : new int[] {1, 3}) {
            byte[] actual = Qs16KernelPathsTest.run(m, "java", t, in, kernel, label);
            assertArrayEquals(expected, actual, label + " threads " + t);
        }
        System.clearProperty(WeightFormat.PROPERTY);
    }

    @Test
    void conv2dSp24() {
        int i = 0;
        for (int[] g : Qs16Sp24KernelsTest.CONV_CASES) {
            Data d = new Data[] {Data.EXTREMES, Data.RANDOM, Data.SCALES}[i % 3];
            int batch = i % 4 == 3 ? 2 : 1;
            Model m = Qs16LutKernelsTest.conv(g, batch, new int[] {0, 1, 3, 2}[i % 4], i % 6 != 5, d, 3700 + i,
                    Qs16Sp24KernelsTest.shaper(i));
            TensorData in = Qs16KernelPathsTest.inputData(new int[] {batch, g[0], g[1], g[2]}, d, 3800 + i);
            check(m, in, "qs16_qc8w_conv2d_sp24_", "java sp24 conv " + java.util.Arrays.toString(g) + " case " + i);
            i++;
        }
        for (int inC : new int[] {1020, 2000}) {
            int[] h = {3, 3, inC, 17, 1, 1, 1, 1, 1, 1, 0};
            Model m = Qs16LutKernelsTest.conv(h, 1, 0, true, Data.MAX_POSITIVE, inC, WeightFormatHarness.sparse24());
            check(m, Qs16KernelPathsTest.inputData(new int[] {1, 3, 3, inC}, Data.MAX_POSITIVE, inC),
                    "qs16_qc8w_conv2d_sp24_", "java sp24 max positive K " + inC);
        }
    }

    @Test
    void conv2dSparse() {
        int i = 0;
        for (int[] g : Qs16LutKernelsTest.CONV_CASES) {
            Data d = new Data[] {Data.EXTREMES, Data.RANDOM, Data.SCALES}[i % 3];
            int batch = i % 4 == 3 ? 2 : 1;
            Model m = Qs16LutKernelsTest.conv(g, batch, new int[] {0, 1, 3, 2}[i % 4], i % 6 != 5, d, 4700 + i,
                    Qs16SparseKernelsTest.shaper(i));
            TensorData in = Qs16KernelPathsTest.inputData(new int[] {batch, g[0], g[1], g[2]}, d, 4800 + i);
            check(m, in, "qs16_qc8w_conv2d_sparse_", "java sparse conv " + java.util.Arrays.toString(g) + " case " + i);
            i++;
        }
        for (int outC = 1; outC <= 70; outC += 7) {
            int[] g = {4, 5, 9 + outC % 5, outC, 1, 1, 1, 1, 1, 1, 0};
            Model m = Qs16LutKernelsTest.conv(g, 1, 0, true, Data.EXTREMES, 4900 + outC,
                    WeightFormatHarness.unstructured(0.8));
            check(m, Qs16KernelPathsTest.inputData(new int[] {1, 4, 5, g[2]}, Data.EXTREMES, outC),
                    "qs16_qc8w_conv2d_sparse_", "java sparse channels " + outC);
        }
        int[] h = {3, 3, 2000, 17, 1, 1, 1, 1, 1, 1, 0};
        Model m = Qs16LutKernelsTest.conv(h, 1, 0, true, Data.MAX_POSITIVE, 7, null);
        check(m, Qs16KernelPathsTest.inputData(new int[] {1, 3, 3, 2000}, Data.MAX_POSITIVE, 7),
                "qs16_qc8w_conv2d_sparse_", "java sparse max positive");
    }

    @Test
    void fullyConnected() {
        int[][] cases = {{1, 4, 1}, {1, 16, 15}, {2, 36, 17}, {1, 64, 70}, {5, 252, 31}, {3, 600, 9},
            {2, 2000, 33}, {33, 96, 65}};
        int i = 0;
        for (int[] c : cases) {
            for (TensorType bias : new TensorType[] {TensorType.INT64, TensorType.INT32, null}) {
                Data d = i % 3 == 0 ? Data.EXTREMES : Data.RANDOM;
                boolean sp24 = i % 2 == 0;
                Model m = Qs16LutKernelsTest.fc(c[0], c[1], c[2], new int[] {0, 1, 3}[i % 3], bias, i % 5 != 4, d,
                        5100 + i, sp24 ? Qs16Sp24KernelsTest.shaper(c[2] < 20 ? 0 : i) : Qs16SparseKernelsTest.shaper(i));
                check(m, Qs16KernelPathsTest.inputData(new int[] {c[0], c[1]}, d, 5200 + i),
                        sp24 ? "qs16_qc8w_fully_connected_sp24_" : "qs16_qc8w_fully_connected_sparse_",
                        "java fc " + java.util.Arrays.toString(c) + " bias " + bias + " case " + i);
                i++;
            }
        }
        Model m = Qs16LutKernelsTest.fc(2, 2000, 20, 0, TensorType.INT64, true, Data.MAX_POSITIVE, 5,
                WeightFormatHarness.sparse24());
        check(m, Qs16KernelPathsTest.inputData(new int[] {2, 2000}, Data.MAX_POSITIVE, 5),
                "qs16_qc8w_fully_connected_sp24_", "java fc max positive");
    }

    @Test
    void clusteredLut() {
        int i = 0;
        for (int[] g : Qs16LutKernelsTest.CONV_CASES) {
            int clusters = 1 + (i * 5) % 16;
            Data d = new Data[] {Data.EXTREMES, Data.RANDOM, Data.SCALES}[i % 3];
            int batch = i % 4 == 3 ? 2 : 1;
            Model m = Qs16LutKernelsTest.conv(g, batch, new int[] {0, 1, 3, 2}[i % 4], i % 6 != 5, d, 6100 + i,
                    Qs16LutKernelsTest.lut(clusters, i % 2 == 0, 0, i % 3 == 1 ? 3 : 0));
            TensorData in = Qs16KernelPathsTest.inputData(new int[] {batch, g[0], g[1], g[2]}, d, 6200 + i);
            checkLut(m, in, "qs16_qc8w_conv2d_lut4_", "java lut conv " + java.util.Arrays.toString(g) + " " + clusters);
            i++;
        }
        for (TensorType bias : new TensorType[] {TensorType.INT64, TensorType.INT32, null}) {
            Model m = Qs16LutKernelsTest.fc(3, 600, 33, 0, bias, true, Data.EXTREMES, 6300 + i,
                    Qs16LutKernelsTest.lut(16, true, 0, 0));
            checkLut(m, Qs16KernelPathsTest.inputData(new int[] {3, 600}, Data.EXTREMES, 6400 + i),
                    "qs16_qc8w_fully_connected_lut4_", "java lut fc bias " + bias);
            i++;
        }
        Model m = Qs16LutKernelsTest.conv(new int[] {3, 3, 2000, 17, 1, 1, 1, 1, 1, 1, 0}, 1, 0, true,
                Data.MAX_POSITIVE, 8, null);
        checkLut(m, Qs16KernelPathsTest.inputData(new int[] {1, 3, 3, 2000}, Data.MAX_POSITIVE, 8),
                "qs16_qc8w_conv2d_lut4_", "java lut max positive");
    }

    private static void checkLut(Model m, TensorData in, String kernel, String label) {
        check(m, in, kernel, label, "lut");
    }
}
