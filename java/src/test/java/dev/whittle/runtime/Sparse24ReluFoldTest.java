package dev.whittle.runtime;

import dev.whittle.TensorData;
import dev.whittle.model.Model;
import dev.whittle.runtime.Q8GemmConvTest.Conv;
import dev.whittle.runtime.kernels.ConvKernelFactory;
import dev.whittle.runtime.kernels.KernelEntry;
import dev.whittle.runtime.kernels.KernelPath;
import dev.whittle.runtime.kernels.KernelRegistry;
import dev.whittle.runtime.kernels.WeightFormat;
import dev.whittle.runtime.quant.FixedPoint;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import java.util.List;
import java.util.SplittableRandom;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Session 14: the AVX2 uint8 GEMM kernels (2:4 {@code qu8_conv2d_sp24_24x4__avx2} tiles and dense
 * {@code qu8_conv2d_gemm_4x16c2__avx2} full panels) fold gemmlowp's SRDHM + RoundingDivideByPOT
 * into one 64-bit add and shift where the clamp starts at or above the output zero point (fused
 * ReLU / ReLU6): exact after the clamp (proof in kernels/q8_conv2d_sp24_24x4__avx2.cc,
 * "Session 14"). Checks the identity itself around every rounding tie, and both kernels against
 * the reference on uint8 layers with RELU / RELU6, zero points at both ends, saturating and
 * tiny multipliers (left shifts included), N around the 16-channel panels and the tiles.
 */
class Sparse24ReluFoldTest {

    /** The kernels' folded form, in Java: floor((y + 2^30 + nudge 2^31) / 2^(31 + e)) + offset, clamped. */
    static int folded(int x, int m, int shift, int offset, int lo, int hi) {
        int left = Math.max(shift, 0);
        int e = Math.max(-shift, 0);
        long y = (long) (x << left) * m;
        long nudge = e > 0 ? 1L << (e - 1) : 0;
        long q = (y + (1L << 62) + (1L << 30) + (nudge << 31)) >>> (31 + e);
        int v = (int) q + offset - (int) (1L << (31 - e));
        return Math.min(Math.max(v, lo), hi);
    }

    static int reference(int x, int m, int shift, int offset, int lo, int hi) {
        int v = FixedPoint.multiplyByQuantizedMultiplier(x, m, shift) + offset;
        return Math.min(Math.max(v, lo), hi);
    }

    @Test
    void foldedRoundingMatchesGemmlowpWhereTheClampStartsAtTheZeroPoint() {
        SplittableRandom r = new SplittableRandom(14);
        int[] offsets = {0, 1, 128, 254, 255};
        int differsUnclamped = 0;
        for (int shift = -20; shift <= 3; shift++) {
            int e = Math.max(-shift, 0);
            for (int mi = 0; mi < 5; mi++) {
                int m = mi == 0 ? 1 << 30 : mi == 1 ? (1 << 30) + 1 : mi == 2 ? Integer.MAX_VALUE : mi == 3 ? 0
                        : (1 << 30) + r.nextInt(1 << 30);
                for (int offset : offsets) {
                    // around every tie of the final rounding near zero (where the two roundings
                    // differ), plus the ends of int32 and random values
                    int span = Math.min(1 << 20, 64 << e);
                    for (int i = 0; i < 4000; i++) {
                        int x = i < 2000 ? -span / 2 + (int) ((long) i * span / 2000) - 3 + r.nextInt(7)
                                : i < 2010 ? Integer.MIN_VALUE + i - 2000
                                : i < 2020 ? Integer.MAX_VALUE - (i - 2010)
                                : r.nextInt();
                        for (int d = -2; d <= 2; d++) {
                            int xx = x + d;
                            assertEquals(reference(xx, m, shift, offset, offset, 255), folded(xx, m, shift, offset, offset, 255),
                                    "x " + xx + " m " + m + " shift " + shift + " offset " + offset);
                            // the ReLU6 upper clamp too
                            assertEquals(reference(xx, m, shift, offset, offset, Math.min(255, offset + 37)),
                                    folded(xx, m, shift, offset, offset, Math.min(255, offset + 37)));
                            if (reference(xx, m, shift, offset, -1 << 20, 1 << 20)
                                    != folded(xx, m, shift, offset, -1 << 20, 1 << 20)) {
                                differsUnclamped++;
                            }
                        }
                    }
                }
            }
        }
        // The clamp is what makes it exact: without it the two roundings do differ (negative ties).
        assertTrue(differsUnclamped > 0, "the sweep never hit a negative tie");
    }

    /**
     * uint8 weights within 24 of their zero point: the sums then spread over the output range
     * (uniform uint8 weights around a random zero point drive almost every output into a clamp,
     * where a broken rounding cannot show).
     */
    private static WeightFormatHarness.Shaper centered() {
        return (w, n, k, inner, zero, signed, r) -> {
            for (int i = 0; i < n * k; i++) {
                // never the zero point itself (a pruned weight): the layer stays 2:4, not blocked sparse
                int d = r.nextInt(1, 25) * (r.nextBoolean() ? 1 : -1);
                int v = zero + d < 0 || zero + d > 255 ? zero - d : zero + d;
                w.put(i, (byte) v);
            }
        };
    }

    /** uint8 weights within 127 of their zero point (the VNNI 2:4 kernel then takes every layer). */
    private static WeightFormatHarness.Shaper fitInt8() {
        return (w, n, k, inner, zero, signed, r) -> {
            for (int i = 0; i < n * k; i++) {
                int v = w.get(i) & 0xff;
                w.put(i, (byte) Math.max(Math.max(0, zero - 128), Math.min(Math.min(255, zero + 127), v)));
            }
        };
    }

    /** Every native dense uint8 conv path against the reference on model (Q8GemmConvTest.check's loop). */
    private static int denseCheck(Model model, Conv c, long seed) {
        try {
            System.setProperty(KernelPath.PROPERTY, "reference");
            System.setProperty(WeightFormat.PROPERTY, "dense");
            CompiledModel ref = CompiledModel.compile(model);
            TensorData in = Q8GemmConvTest.input(ref, seed + 1, c.extremes());
            byte[] expected = Q8GemmConvTest.run(ref, in, 1);
            int ran = 0;
            for (KernelEntry<ConvKernelFactory> e : KernelRegistry.available(KernelRegistry.QU8_CONV2D)) {
                if (!e.path().isNative()) {
                    continue;
                }
                System.setProperty(KernelPath.PROPERTY, e.path().label());
                CompiledModel fast = CompiledModel.compile(model);
                List<String> kernels = OpProfile.kernelNames(fast);
                assertTrue(kernels.stream().anyMatch(k -> k.contains("_conv2d_gemm_") && k.contains("__" + e.path().label())),
                        c.label() + ": dispatched " + kernels);
                for (int threads : new int[] {1, 3}) {
                    assertArrayEquals(expected, Q8GemmConvTest.run(fast, in, threads),
                            kernels + " threads " + threads + " differs from the reference on " + c.label());
                    ran++;
                }
            }
            return ran;
        } finally {
            System.clearProperty(KernelPath.PROPERTY);
            System.clearProperty(WeightFormat.PROPERTY);
        }
    }

    // batch, h, w, inC, outC: N around the dense full panels (16, 32, 48, 144) and partial ones
    // (24, 40), K small (tiles from 12) and large (chunks), pixels around the 24-pixel tile.
    private static final int[][] SHAPES = {
        {1, 5, 5, 24, 144}, {1, 4, 6, 16, 96}, {1, 7, 7, 32, 48}, {2, 3, 9, 12, 16}, {1, 1, 25, 144, 24},
        {1, 7, 7, 160, 32}, {1, 5, 10, 64, 40}, {1, 2, 12, 196, 64}, {1, 3, 3, 96, 17}, {1, 1, 49, 20, 33},
    };

    @Test
    void uint8ReluLayersMatchTheReference() {
        int ran = 0;
        long seed = 1400;
        for (int si = 0; si < SHAPES.length; si++) {
            int[] s = SHAPES[si];
            for (int activation : new int[] {1, 3}) {
                for (int extremes = 0; extremes < 3; extremes++) {
                    // scale 0 (outputs spread: where a broken rounding shows) for every shape at
                    // both zero-point ends; 1 (multiplier > 1: left shifts, saturation) and 2
                    // (tiny) in turn
                    int scale = extremes == 1 ? (si + activation) % 3 : activation == 1 ? 0 : 1 + si % 2;
                    Conv c = new Conv(s[0], s[1], s[2], s[3], s[4], 1, 1, 1, 1, 1, 1, 1, activation, extremes, scale,
                            seed % 4 != 1);
                    WeightFormatHarness.Shaper shape = seed % 2 == 0 ? centered() : fitInt8();
                    // dense AVX2 (and every other native dense path), on the same kind of weights
                    ran += denseCheck(Q8GemmConvTest.build(KernelRegistry.QU8_CONV2D, c, seed, shape), c, seed);
                    // 2:4
                    Model m = Q8GemmConvTest.build(KernelRegistry.QU8_CONV2D, c, seed,
                            shape.then(WeightFormatHarness.sparse24()));
                    ran += WeightFormatHarness.check(m, KernelRegistry.CONV2D_SP24, WeightFormat.SPARSE, "_conv2d_sp24_",
                            "qu8 relu fold " + c.label(), seed, extremes);
                    seed++;
                }
            }
        }
        Assumptions.assumeTrue(ran > 0, "no native uint8 GEMM kernel on this machine");
    }
}
