package dev.whittle.runtime;

import dev.whittle.model.Model;
import dev.whittle.model.TensorType;
import dev.whittle.runtime.Q8GemmConvTest.Conv;
import dev.whittle.runtime.kernels.ConvKernelFactory;
import dev.whittle.runtime.kernels.KernelFamily;
import dev.whittle.runtime.kernels.KernelPath;
import dev.whittle.runtime.kernels.KernelRegistry;
import dev.whittle.runtime.kernels.WeightFormat;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The 2:4 structured sparse kernels ({@code *_conv2d_sp24_*}, {@code *_fully_connected_sp24_*})
 * against the dense reference kernel on the same 2:4 weights, every available path, 1 and 3
 * threads, integer outputs identical; and the fallback to dense where a layer is not 2:4.
 */
class Sparse24KernelsTest {
    private static final List<KernelFamily<ConvKernelFactory>> CONV = List.of(KernelRegistry.QS8_CONV2D,
            KernelRegistry.QS8_QC8W_CONV2D, KernelRegistry.QU8_CONV2D);
    /** outC around the 16-channel panels and the 4-pixel tiles. */
    private static final int[] OUT = {1, 3, 7, 8, 15, 16, 17, 31, 32, 33, 47, 48, 63, 64, 65, 70};
    /** inC (multiples of 4) around the groups and the 16-wide widening. */
    private static final int[] IN = {4, 8, 12, 16, 20, 28, 32, 36, 60, 64, 68, 72};

    @AfterEach
    void clear() {
        System.clearProperty(WeightFormat.PROPERTY);
    }

    /** Weights: 2:4 with some emptier groups; also all-zero rows, and all zero. */
    private static WeightFormatHarness.Shaper shaper(int i) {
        return switch (i % 5) {
            // all-zero rows, but few enough that the layer stays a 2:4 one (a layer with 30% of its
            // 1x4 blocks zero goes to the blocked sparse kernels first: WeightKernels)
            case 3 -> WeightFormatHarness.sparse24().then(WeightFormatHarness.zeroRows(5));
            case 4 -> i % 10 == 9 ? WeightFormatHarness.sparse24().then(WeightFormatHarness.zeroRows(7))
                    : WeightFormatHarness.sparse24();
            default -> WeightFormatHarness.sparse24();
        };
    }

    /**
     * uint8 weights moved within 127 of their zero point, so that every w - zero fits int8: the
     * AVX-512 VNNI 2:4 kernel then needs no residual blocks (it declines only layers with a kept
     * w - zero of 255, which then run dense).
     */
    private static WeightFormatHarness.Shaper fitInt8() {
        return (w, n, k, inner, zero, signed, r) -> {
            for (int i = 0; i < n * k; i++) {
                int v = w.get(i) & 0xff;
                w.put(i, (byte) Math.max(Math.max(0, zero - 128), Math.min(Math.min(255, zero + 127), v)));
            }
        };
    }

    /**
     * As {@link WeightFormatHarness#check}; uint8 layers whose w - zero does not fit int8 are
     * checked on every path without the kernel tag (the VNNI path runs dense for those with a
     * kept w - zero of 255), and the AVX2 path is asserted to run the 2:4 kernel.
     */
    private static int check(Model m, KernelFamily<?> family, String tag, boolean anyKernel, String label, long seed,
            int extremes) {
        if (preferredSparse(m)) {
            // a small layer that came out this sparse goes to the blocked sparse kernels first
            // (WeightKernels.SPARSE_BEFORE_SP24_ZERO_BLOCKS): still exact, but not a 2:4 case
            return WeightFormatHarness.check(m, family, WeightFormat.SPARSE, null, label, seed, extremes);
        }
        int ran = WeightFormatHarness.check(m, family, WeightFormat.SPARSE, anyKernel ? null : tag, label, seed,
                extremes);
        if (anyKernel && KernelRegistry.available(family).stream().anyMatch(e -> e.path() == KernelPath.AVX2)) {
            try {
                System.setProperty(KernelPath.PROPERTY, "avx2");
                System.setProperty(WeightFormat.PROPERTY, "sparse");
                List<String> names = OpProfile.kernelNames(CompiledModel.compile(m));
                assertTrue(names.stream().anyMatch(n -> n.contains(tag) && n.endsWith("__avx2")), label + " " + names);
            } finally {
                System.clearProperty(KernelPath.PROPERTY);
                System.clearProperty(WeightFormat.PROPERTY);
            }
        }
        return ran;
    }

    static List<Conv> convSweep() {
        List<Conv> out = new ArrayList<>();
        int i = 0;
        // 1x1, stride 1: K (inC) and N (outC) around the blocks, pixel counts around the tile.
        for (int inC : IN) {
            int outC = OUT[(i * 5) % OUT.length];
            out.add(new Conv(i % 4 == 0 ? 2 : 1, 1 + i % 3, 1 + (i * 3) % 7, inC, outC, 1, 1, 1, 1, 1, 1, i % 2,
                    i % 4 == 2 ? 3 : 0, i % 3, i % 7 == 3 ? 1 : i % 7 == 5 ? 2 : 0, i % 6 != 1));
            i++;
        }
        for (int outC : OUT) {
            out.add(new Conv(1, 3, 5, IN[i % IN.length], outC, 1, 1, 1, 1, 1, 1, 1, i % 2, i % 3, i % 4 == 1 ? 1 : 0,
                    true));
            i++;
        }
        // The AVX2 lanes = pixels tiles (8+ pixels, K >= 12): pixel counts around the 24-pixel
        // tile and its 1..3-pixel tail (23, 24, 25, 27, 49), K over several 128-K chunks, in
        // place (K % 16 == 0) and staged (K % 16 != 0), N around the 4-channel blocks and the
        // 16-channel stores of the pixels-in-lanes output stage; K = 12..20 (the smallest tiles).
        int[][] tiles = {
            // batch, h, w, inC, outC
            {1, 1, 23, 64, 24}, {1, 4, 6, 132, 5}, {1, 5, 5, 260, 33}, {1, 3, 9, 68, 18}, {1, 7, 7, 196, 70},
            {2, 5, 5, 300, 16}, {1, 7, 7, 96, 1}, {1, 5, 5, 24, 64}, {1, 4, 5, 32, 70},
            {1, 5, 5, 12, 7}, {1, 3, 9, 16, 33}, {2, 4, 4, 20, 48}, {1, 1, 8, 8, 16}, {1, 1, 9, 4, 17},
            // session 8: a last 16-channel step of <= 8 channels (N = 24, 40, 8: two quads stored,
            // full 8-row and partial rows) and K chunks split evenly (K = 144: 18 + 18 groups,
            // K = 516: 5 x 26 - 1)
            {1, 5, 9, 144, 24}, {2, 3, 11, 136, 40}, {1, 4, 8, 200, 8}, {1, 2, 9, 516, 12},
        };
        for (int[] t : tiles) {
            out.add(new Conv(t[0], t[1], t[2], t[3], t[4], 1, 1, 1, 1, 1, 1, 1, i % 3, i % 3,
                    i % 7 == 3 ? 1 : i % 7 == 5 ? 2 : 0, i % 4 != 1));
            i++;
        }
        // Windows: 3x3 and 1x1 strided, SAME/VALID, dilation, batch 2.
        int[][] windows = {
            // h, w, inC, outC, kh, kw, sh, sw, dh, dw, padding, batch
            {7, 9, 4, 16, 3, 3, 1, 1, 1, 1, 0, 1},
            {7, 9, 8, 17, 3, 3, 2, 2, 1, 1, 0, 2},
            {8, 8, 12, 9, 3, 3, 2, 2, 1, 1, 1, 1},
            {9, 7, 4, 33, 5, 5, 1, 1, 1, 1, 0, 1},
            {11, 10, 16, 8, 3, 3, 1, 1, 2, 2, 0, 1},
            {10, 11, 20, 5, 3, 3, 1, 2, 2, 1, 1, 2},
            {9, 9, 24, 40, 1, 1, 2, 2, 1, 1, 0, 2},
            {5, 5, 36, 70, 3, 3, 1, 1, 1, 1, 0, 2},
            {3, 3, 64, 64, 3, 3, 1, 1, 1, 1, 1, 1},
        };
        for (int[] w : windows) {
            for (int extremes = 0; extremes < 3; extremes++) {
                out.add(new Conv(w[11], w[0], w[1], w[2], w[3], w[4], w[5], w[6], w[7], w[8], w[9], w[10],
                        extremes == 0 ? 0 : extremes == 1 ? 1 : 3, extremes, i % 4 == 1 ? 1 : i % 4 == 2 ? 2 : 0,
                        i % 5 != 3));
                i++;
            }
        }
        return out;
    }

    @Test
    void convMatchesTheReference() {
        int ran = 0;
        long seed = 1;
        for (KernelFamily<ConvKernelFactory> family : CONV) {
            for (Conv c : convSweep()) {
                boolean u8 = family == KernelRegistry.QU8_CONV2D;
                boolean fit = !u8 || seed % 2 == 0;
                WeightFormatHarness.Shaper shape = fit && u8 ? fitInt8().then(shaper((int) seed)) : shaper((int) seed);
                Model m = Q8GemmConvTest.build(family, c, seed, shape);
                ran += check(m, KernelRegistry.CONV2D_SP24, "_conv2d_sp24_", !fit, family.name() + " " + c.label(),
                        seed, c.extremes());
                seed++;
            }
        }
        Assumptions.assumeTrue(ran > 0, "no 2:4 conv kernel on this machine");
    }

    @Test
    void fullyConnectedMatchesTheReference() {
        int ran = 0;
        int i = 0;
        for (TensorType type : new TensorType[] {TensorType.INT8, TensorType.UINT8}) {
            for (boolean perChannel : type == TensorType.INT8 ? new boolean[] {false, true} : new boolean[] {false}) {
                for (int k : IN) {
                    for (int j = 0; j < 2; j++) {
                        int n = OUT[(i * 7 + j * 5) % OUT.length];
                        int batches = 1 + i % 5;
                        int extremes = i % 3;
                        int scale = i % 7 == 3 ? 1 : i % 7 == 5 ? 2 : 0;
                        String label = type + (perChannel ? " per-channel " : " ") + batches + "x" + k + "->" + n
                                + " extremes " + extremes + " scale " + scale;
                        boolean u8 = type == TensorType.UINT8;
                        boolean fit = !u8 || i % 2 == 0;
                        WeightFormatHarness.Shaper shape = fit && u8 ? fitInt8().then(shaper(i)) : shaper(i);
                        Model m = Q8GemmFullyConnectedTest.build(type, perChannel, batches, k, n, extremes, scale,
                                i % 6 != 1, i % 4 == 2 ? 3 : 0, i, shape);
                        ran += check(m, KernelRegistry.FULLY_CONNECTED_SP24, "_fully_connected_sp24_", !fit, label, i,
                                extremes);
                        i++;
                    }
                }
            }
        }
        // batches of 8+ with K >= 64: the AVX2 lanes = pixels tiles (24 rows, a 1..3-row tail)
        int[][] tiles = {{8, 64, 17}, {25, 132, 33}, {27, 256, 8}, {49, 68, 70}};
        for (int[] t : tiles) {
            for (TensorType type : new TensorType[] {TensorType.INT8, TensorType.UINT8}) {
                int extremes = i % 3;
                int scale = i % 7 == 3 ? 1 : i % 7 == 5 ? 2 : 0;
                boolean u8 = type == TensorType.UINT8;
                WeightFormatHarness.Shaper shape = u8 && i % 2 == 0 ? fitInt8().then(shaper(i)) : shaper(i);
                Model m = Q8GemmFullyConnectedTest.build(type, !u8, t[0], t[1], t[2], extremes, scale, i % 6 != 1,
                        i % 4 == 2 ? 3 : 0, i, shape);
                ran += check(m, KernelRegistry.FULLY_CONNECTED_SP24, "_fully_connected_sp24_", u8 && i % 2 != 0,
                        type + " tile " + t[0] + "x" + t[1] + "->" + t[2], i, extremes);
                i++;
            }
        }
        Assumptions.assumeTrue(ran > 0, "no 2:4 fully-connected kernel on this machine");
    }

    /**
     * uint8 layers whose kept {@code w - zero} leave int8 (zero point 255: [-255, 0]) run the
     * 2:4 kernel on every path: the AVX-512 VNNI one with its residual blocks (the weights
     * clamped to int8, the rest as a second int8 block where needed), exact all the same.
     */
    @Test
    void uint8WeightsOutsideInt8RunThe24KernelOnEveryPath() {
        int ran = 0;
        long seed = 100;
        Conv[] convs = {new Conv(1, 5, 7, 16, 33, 1, 1, 1, 1, 1, 1, 1, 0, 1, 0, true),
            new Conv(2, 7, 7, 64, 48, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, true),
            new Conv(1, 6, 6, 12, 20, 3, 3, 1, 1, 1, 1, 0, 2, 1, 2, false)};
        for (Conv c : convs) {
            Model m = Q8GemmConvTest.build(KernelRegistry.QU8_CONV2D, c, seed, shaper((int) seed));
            ran += check(m, KernelRegistry.CONV2D_SP24, "_conv2d_sp24_", false, "qu8 outside int8 " + c.label(), seed,
                    c.extremes());
            seed++;
        }
        for (int[] t : new int[][] {{4, 64, 40}, {9, 132, 17}}) {
            Model m = Q8GemmFullyConnectedTest.build(TensorType.UINT8, false, t[0], t[1], t[2], 1, 0, true, 0,
                    (int) seed, shaper((int) seed));
            ran += check(m, KernelRegistry.FULLY_CONNECTED_SP24, "_fully_connected_sp24_", false,
                    "qu8 outside int8 fc " + t[0] + "x" + t[1] + "->" + t[2], seed, 1);
            seed++;
        }
        Assumptions.assumeTrue(ran > 0, "no 2:4 kernel on this machine");
    }

    @Test
    void layersThatAreNot24RunDense() {
        Assumptions.assumeTrue(KernelRegistry.available(KernelRegistry.CONV2D_SP24).stream()
                .anyMatch(e -> e.path() != KernelPath.JAVA), "no native 2:4 kernel"); // Java: JavaWeightKernelsTest
        // inC % 4 != 0 (2:4 within each group of the 6 channels is not the kernel's format)
        Model odd = Q8GemmConvTest.build(KernelRegistry.QS8_QC8W_CONV2D,
                new Conv(1, 5, 5, 6, 16, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, true), 3, WeightFormatHarness.sparse24());
        // 3 non-zeros in a group (dense random weights), conv and FC
        Model dense = Q8GemmConvTest.build(KernelRegistry.QU8_CONV2D,
                new Conv(1, 5, 5, 8, 16, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, true), 4, null);
        Model fc = Q8GemmFullyConnectedTest.build(TensorType.INT8, true, 2, 64, 24, 0, 0, true, 0, 5, null);
        for (Model m : new Model[] {odd, dense, fc}) {
            WeightFormatHarness.check(m, KernelRegistry.CONV2D_SP24, WeightFormat.SPARSE, null, "dense fallback", 7, 0);
            System.setProperty(WeightFormat.PROPERTY, "sparse");
            CompiledModel c = CompiledModel.compile(m);
            List<String> names = OpProfile.kernelNames(c);
            assertFalse(names.stream().anyMatch(n -> n.contains("sp24")), names.toString());
            // dense, or (under --kernels sparse) the blocked sparse kernels, never 2:4
            assertFalse(OpProfile.kernelChoices(c).get(0).why().startsWith("2:4"),
                    OpProfile.kernelChoices(c).get(0).why());
        }
    }

    @Test
    void packedWeightsAreFiveEighthsOfDense() {
        Model m = Q8GemmFullyConnectedTest.build(TensorType.INT8, true, 4, 256, 64, 0, 0, true, 0, 11,
                WeightFormatHarness.sparse24());
        int checked = 0;
        for (var e : KernelRegistry.available(KernelRegistry.FULLY_CONNECTED_SP24)) {
            if (e.path() == KernelPath.JAVA) {
                continue; // the Java-path entry: JavaWeightKernelsTest
            }
            try {
                System.setProperty(KernelPath.PROPERTY, e.path().label());
                System.setProperty(WeightFormat.PROPERTY, "dense");
                long dense = OpProfile.kernelChoices(CompiledModel.compile(m)).get(0).weightBytes();
                System.setProperty(WeightFormat.PROPERTY, "sparse");
                OpProfile.KernelChoice c = OpProfile.kernelChoices(CompiledModel.compile(m)).get(0);
                assertTrue(c.kernel().contains("_sp24_"), c.toString());
                // 2 kept weights + 1 pattern byte per group of 4: 5/8 of the dense panels
                assertEquals(dense * 5 / 8, c.weightBytes(), c + " against dense " + dense);
                checked++;
            } finally {
                System.clearProperty(KernelPath.PROPERTY);
                System.clearProperty(WeightFormat.PROPERTY);
            }
        }
        Assumptions.assumeTrue(checked > 0, "no 2:4 kernel on this machine");
    }

    private static boolean preferredSparse(Model m) {
        try {
            System.setProperty(WeightFormat.PROPERTY, "sparse");
            return OpProfile.kernelChoices(CompiledModel.compile(m)).get(0).why().startsWith("sparse");
        } finally {
            System.clearProperty(WeightFormat.PROPERTY);
        }
    }
}
