package dev.whittle.runtime;

import dev.whittle.model.TensorType;
import dev.whittle.runtime.Q8GemmConvTest.Conv;
import dev.whittle.runtime.kernels.ConvKernelFactory;
import dev.whittle.runtime.kernels.KernelFamily;
import dev.whittle.runtime.kernels.KernelPath;
import dev.whittle.runtime.kernels.KernelRegistry;
import dev.whittle.runtime.kernels.reference.RuyMath;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The small-K paths of {@code q*_conv2d_gemm_4x16c2__avx2} (and of every other native GEMM path
 * on the same shapes): the folded one-rounding ruy output stage (int8 conv and every FC), the
 * constants per panel and block, and the one-pass widening of direct (1x1 stride 1, FC) blocks
 * with K a multiple of 4. Bit for bit against the reference through compiled single-op models,
 * 1 and 3 threads, the dispatched kernel's name asserted. Sweeps: K 1..10, 12..36 and 64 (K % 4
 * both ways), N 8..48 (full and partial panels), pixels 1..10, 15..17, 31..33 and person_detect's
 * 48x48 / 24x24 / 12x12 (several 512-pixel blocks), batch 2, zero points at both ends,
 * saturating (left shift) and tiny (large right shift) multipliers, RELU / RELU6, int8 per-tensor
 * and per-channel, uint8.
 */
class Q8GemmSmallKAvx2Test {
    private static final List<KernelFamily<ConvKernelFactory>> FAMILIES = Q8GemmConvTest.FAMILIES;
    private static final int[] KS = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 12, 16, 20, 24, 28, 32, 36, 64};
    private static final int[] NS = {16, 32, 17, 48, 8, 31, 33};
    private static final int[] PIXELS = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 15, 16, 17, 31, 32, 33};

    @AfterEach
    void clearProperty() {
        System.clearProperty(KernelPath.PROPERTY);
    }

    @Test
    void dispatchesTheAvx2GemmKernel() {
        boolean avx2 = KernelRegistry.available(KernelRegistry.QS8_QC8W_CONV2D).stream()
                .anyMatch(e -> e.path() == KernelPath.AVX2);
        org.junit.jupiter.api.Assumptions.assumeTrue(avx2, "no AVX2 GEMM path on this machine");
        System.setProperty(KernelPath.PROPERTY, "avx2");
        CompiledModel m = CompiledModel.compile(
                Q8GemmConvTest.build(KernelRegistry.QS8_QC8W_CONV2D, new Conv(1, 4, 4, 8, 16, 1, 1, 1, 1, 1, 1, 1, 0,
                        0, 0, true), 1));
        assertEquals(List.of("qs8_qc8w_conv2d_gemm_4x16c2__avx2"), OpProfile.kernelNames(m));
    }

    @Test
    void smallKOneByOneSweep() {
        int ran = 0;
        long seed = 100;
        int i = 0;
        for (KernelFamily<ConvKernelFactory> family : FAMILIES) {
            for (int k : KS) {
                for (int j = 0; j < 3; j++, i++) {
                    int n = NS[(i * 3 + j) % NS.length];
                    int pixels = PIXELS[(i * 5 + j) % PIXELS.length];
                    int extremes = i % 3;
                    int scale = j;  // 0 spread, 1 saturating (left shift), 2 tiny
                    int activation = i % 4 == 3 ? 3 : i % 2;
                    int batch = i % 7 == 6 ? 2 : 1;
                    // 1 x pixels image, SAME 1x1 stride 1: the direct path
                    ran += Q8GemmConvTest.check(family, new Conv(batch, 1, pixels, k, n, 1, 1, 1, 1, 1, 1,
                            i % 2, activation, extremes, scale, i % 5 != 4), seed++);
                }
            }
        }
        org.junit.jupiter.api.Assumptions.assumeTrue(ran > 0, "no native GEMM conv path on this machine");
    }

    @Test
    void personDetectShapes() {
        // 48x48x8 -> 16, 24x24x16 -> 32, 12x12x32 -> 64: many 512-pixel blocks, tails of 4-pixel tiles.
        int[][] shapes = {{48, 48, 8, 16}, {24, 24, 16, 32}, {12, 12, 32, 64}, {7, 9, 12, 24}, {5, 5, 20, 16}};
        long seed = 500;
        int s = 0;
        for (KernelFamily<ConvKernelFactory> family : FAMILIES) {
            for (int[] sh : shapes) {
                for (int extremes = 0; extremes < 3; extremes++, s++) {
                    Q8GemmConvTest.check(family, new Conv(s % 4 == 3 ? 2 : 1, sh[0], sh[1], sh[2], sh[3], 1, 1, 1, 1,
                            1, 1, 0, extremes == 2 ? 3 : 1, extremes, s % 3, true), seed++);
                }
            }
        }
    }

    @Test
    void fullyConnectedSmallK() {
        long seed = 900;
        int i = 0;
        for (TensorType type : new TensorType[] {TensorType.INT8, TensorType.UINT8}) {
            for (int k : new int[] {4, 8, 16, 24, 32, 7}) {
                for (int batches : new int[] {1, 3, 4, 9, 17}) {
                    boolean perChannel = type == TensorType.INT8 && i % 2 == 0;
                    Q8GemmFullyConnectedTest.check(Q8GemmFullyConnectedTest.build(type, perChannel, batches, k,
                            NS[i % NS.length], i % 3, i % 3, i % 4 != 3, i % 2, seed), "fc " + type + " " + batches
                            + "x" + k, seed + 1, i % 3);
                    seed += 2;
                    i++;
                }
            }
        }
    }

    /**
     * The algebra the AVX2 kernel's output stage relies on, in Java: ruy's two roundings equal
     * one floor division of {@code y + 2^30 + nudge * 2^31 (+ 2^62)} by {@code 2^(31 + right)},
     * the saturating case included, for every shift and extreme accumulators and multipliers.
     */
    @Test
    void foldedRuyRoundingEqualsRuyMath() {
        SplittableRandom r = new SplittableRandom(7);
        int[] xs = {0, 1, -1, Integer.MAX_VALUE, Integer.MIN_VALUE, 1 << 30, -(1 << 30), 12345, -12345};
        int[] ms = {Integer.MAX_VALUE, 1 << 30, (1 << 30) + 1, 1, 1518500250};
        for (int shift = -31; shift <= 31; shift++) {
            for (int t = 0; t < 4000; t++) {
                int x = t < xs.length * ms.length ? xs[t % xs.length] : r.nextInt();
                int m = t < xs.length * ms.length ? ms[t / xs.length] : r.nextInt(1 << 30, Integer.MAX_VALUE);
                assertEquals(RuyMath.multiplyByQuantizedMultiplier(x, m, shift), folded(x, m, shift),
                        "x " + x + " m " + m + " shift " + shift);
            }
        }
        assertTrue(true);
    }

    private static int folded(int x, int m, int shift) {
        int left = Math.max(shift, 0);
        int right = Math.max(-shift, 0);
        long nudge = right > 0 ? 1L << (right - 1) : 0;
        long y = (long) (x << left) * m;
        long c = (1L << 62) + (1L << 30) + (nudge << 31);
        long q = (y + c) >>> (31 + right);  // as unsigned: the sum is below 2^64
        return (int) q - (int) (1L << (31 - right));
    }
}
