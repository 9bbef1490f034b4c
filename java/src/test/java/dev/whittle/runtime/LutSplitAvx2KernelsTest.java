package dev.whittle.runtime;

import dev.whittle.CpuFeatures;
import dev.whittle.TensorData;
import dev.whittle.model.Model;
import dev.whittle.model.TensorType;
import dev.whittle.runtime.Q8GemmConvTest.Conv;
import dev.whittle.runtime.kernels.ConvKernelFactory;
import dev.whittle.runtime.kernels.KernelFamily;
import dev.whittle.runtime.kernels.KernelPath;
import dev.whittle.runtime.kernels.KernelRegistry;
import dev.whittle.runtime.kernels.NativeKernels;
import dev.whittle.runtime.kernels.WeightFormat;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The AVX2 LUT-16 kernel for 1..7 output pixels ({@code *_lut4_4x2c16__avx2}, issue 9, session
 * 11: weights decoded to bytes, vpmaddubsw on nibble-split activations) against the dense
 * reference, bit for bit, at 1 and 3 threads, its name asserted; with 16-byte tables
 * ({@code -Dwhittle.lut.compact=false}) and 12-byte ones (default); and the same layer with
 * {@code -Dwhittle.lut.split=false} on {@code lut4_8x2c8} (same format) as a second twin.
 * Sweeps: FULLY_CONNECTED at batch 1..7 with output channels 1..70 (odd N: a half pair; groups
 * of 16 cut), K around the 32-K block and the two-block step (1..9, 15..17, 31..33, 63..65,
 * 95..97, 127..129, 1280), int8 per-tensor / per-channel and uint8, zero points at both ends of
 * the range, saturating and tiny output multipliers, 1..16 clusters per channel and one table
 * per layer, all-zero rows; small CONV_2D (1..7 output pixels, 1x1 and 3x3, strides 1 and 2,
 * padding) for the three conv families. Skipped where the CPU or the library lacks the kernel.
 */
class LutSplitAvx2KernelsTest {
    private static final String SPLIT = "_lut4_4x2c16__avx2";
    private static final String OLD = "_lut4_8x2c8__avx2";
    /** Q8LutGemm.SPLIT_PROPERTY, Q8LutGemm.COMPACT_PROPERTY. */
    private static final String SPLIT_PROPERTY = "whittle.lut.split";
    private static final String COMPACT_PROPERTY = "whittle.lut.compact";
    private static final int[] K = {1, 2, 3, 4, 5, 6, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65, 95, 96, 97, 127, 128,
        129};
    private static final List<KernelFamily<ConvKernelFactory>> FAMILIES = List.of(KernelRegistry.QS8_CONV2D,
            KernelRegistry.QS8_QC8W_CONV2D, KernelRegistry.QU8_CONV2D);

    @AfterEach
    void after() {
        clear();
    }

    private static void clear() {
        System.clearProperty(KernelPath.PROPERTY);
        System.clearProperty(WeightFormat.PROPERTY);
        System.clearProperty(SPLIT_PROPERTY);
        System.clearProperty(COMPACT_PROPERTY);
    }

    private static void assumeKernel() {
        assumeTrue(KernelPath.AVX2.supportedBy(CpuFeatures.detect())
                && NativeKernels.has("whittle_qu8_fully_connected" + SPLIT), "no AVX2 LUT split kernel here");
    }

    /**
     * Reference vs the split kernel (12- and 16-byte tables) and vs lut4_8x2c8, on AVX2.
     * {@code must}: the layer must run on the LUT kernels (at most 16 values per channel).
     */
    private static void check(Model model, String label, long seed, int extremes, boolean must) {
        try {
            System.setProperty(KernelPath.PROPERTY, "reference");
            System.setProperty(WeightFormat.PROPERTY, "dense");
            CompiledModel ref = CompiledModel.compile(model);
            TensorData in = Q8GemmConvTest.input(ref, seed + 1, extremes);
            byte[] expected = Q8GemmConvTest.run(ref, in, 1);
            for (int mode = 0; mode < 3; mode++) {
                System.setProperty(KernelPath.PROPERTY, "avx2");
                System.setProperty(WeightFormat.PROPERTY, "lut");
                System.setProperty(COMPACT_PROPERTY, Boolean.toString(mode != 1));
                System.setProperty(SPLIT_PROPERTY, Boolean.toString(mode != 2));
                CompiledModel fast = CompiledModel.compile(model);
                String name = OpProfile.kernelNames(fast).get(0);
                String want = mode == 2 ? OLD : SPLIT;
                assertTrue(name.endsWith(want) || !must, label + " mode " + mode + ": dispatched " + name);
                for (int threads : new int[] {1, 3}) {
                    assertArrayEquals(expected, Q8GemmConvTest.run(fast, in, threads),
                            name + " mode " + mode + " threads " + threads + " differs from the reference on " + label);
                }
            }
        } finally {
            clear();
        }
    }

    private static void fc(TensorType type, boolean perChannel, int m, int k, int n, int extremes, int scale,
            long seed, WeightFormatHarness.Shaper shaper, String what) {
        Model model = Q8GemmFullyConnectedTest.build(type, perChannel, m, k, n, extremes, scale, seed % 3 != 0, 0,
                seed, shaper);
        String label = type + (perChannel ? " per-channel" : "") + " fc " + m + "x" + k + " -> " + n + " " + what
                + " extremes " + extremes + " scale " + scale;
        check(model, label, seed, extremes, true);
    }

    @Test
    void batchOneToSevenChannelsOneToSeventyKAroundBlocks() {
        assumeKernel();
        long seed = 31000;
        for (int n = 1; n <= 70; n++) {
            TensorType t = n % 2 == 0 ? TensorType.UINT8 : TensorType.INT8;
            int m = 1 + n % 7;
            fc(t, n % 3 == 0 && t == TensorType.INT8, m, K[n % K.length], n, 0, 0, seed++,
                    WeightFormatHarness.clustered(16, true), "16/channel");
        }
        // the classifier shape (K = 1280: 40 blocks, even; N past a group end) and an odd block count
        fc(TensorType.UINT8, false, 1, 1280, 1001, 0, 0, seed++, WeightFormatHarness.clustered(16, true), "16/channel");
        fc(TensorType.INT8, true, 3, 1248, 37, 0, 0, seed++, WeightFormatHarness.clustered(16, true), "16/channel");
        fc(TensorType.INT8, false, 7, 1280, 18, 0, 0, seed++, WeightFormatHarness.clustered(16, true), "16/channel");
    }

    @Test
    void zeroPointsSaturationClustersAndZeroRows() {
        assumeKernel();
        long seed = 31200;
        int i = 0;
        for (TensorType t : new TensorType[] {TensorType.INT8, TensorType.UINT8}) {
            for (int extremes : new int[] {0, 1, 2}) {
                for (int scale : new int[] {0, 1, 2}) {
                    int m = 1 + i % 7;
                    fc(t, t == TensorType.INT8 && i % 2 == 0, m, new int[] {33, 64, 200, 320}[i % 4], 16 + i % 19,
                            extremes, scale, seed++, WeightFormatHarness.clustered(16, true), "16/channel");
                    i++;
                }
            }
            for (int clusters = 1; clusters <= 16; clusters++) {
                for (boolean perChannel : new boolean[] {true, false}) {
                    fc(t, false, 1 + clusters % 7, 65 + clusters, 23, clusters % 3, 0, seed++,
                            WeightFormatHarness.clustered(clusters, perChannel),
                            clusters + (perChannel ? "/channel" : "/layer"));
                }
            }
            for (int every : new int[] {1, 2, 5}) {
                fc(t, false, 1 + every % 7, 96, 33, every % 3, 0, seed++,
                        WeightFormatHarness.zeroRows(every).then(WeightFormatHarness.clustered(16, true)),
                        "zero rows every " + every);
            }
        }
    }

    @Test
    void smallConvolutions() {
        assumeKernel();
        long seed = 31400;
        int i = 0;
        for (KernelFamily<ConvKernelFactory> f : FAMILIES) {
            // (h, w, kernel, stride, padding 0 SAME / 1 VALID): 1..7 output pixels
            for (int[] g : new int[][] {{1, 1, 1, 1, 0}, {1, 7, 1, 1, 0}, {2, 3, 1, 1, 0}, {3, 3, 3, 1, 1},
                {3, 5, 3, 1, 1}, {5, 5, 3, 2, 1}, {3, 3, 3, 2, 0}}) {
                int n = 8 + i % 11;
                int extremes = i % 3;
                Conv c = new Conv(1, g[0], g[1], 16 + i % 7, n, g[2], g[2], g[3], g[3], 1, 1, g[4], 0, extremes, i % 3,
                        i % 4 != 3);
                Model model = Q8GemmConvTest.build(f, c, seed, WeightFormatHarness.clustered(16, i % 2 == 0));
                check(model, f.name() + " " + c.label(), seed++, extremes, true);
                i++;
            }
        }
    }
}
