package dev.whittle.runtime;

import dev.whittle.model.BuiltinOperator;
import dev.whittle.model.BuiltinOptions;
import dev.whittle.model.Model;
import dev.whittle.model.ModelBuilder;
import dev.whittle.model.ModelBuilder.TensorSpec;
import dev.whittle.model.Quantization;
import dev.whittle.model.TensorType;
import dev.whittle.runtime.kernels.KernelPath;
import dev.whittle.runtime.kernels.KernelRegistry;
import dev.whittle.runtime.kernels.WeightFormat;
import dev.whittle.runtime.quant.FixedPoint;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The folded output stage of kernels/q8_requant_fast_avx2.h (session 14): gemmlowp's two
 * roundings (uint8 CONV_2D) as one 64-bit add and logical shift, with the constant chosen by the
 * sign of the 64-bit product (linear layers) or one constant where a fused ReLU clamps the
 * negatives. {@link #foldMatchesGemmlowpAtTheBoundaries} checks that arithmetic, written as the
 * C++ writes it, against {@link FixedPoint#multiplyByQuantizedMultiplier(int, int, int)} at every
 * right shift 0..31 around every rounding tie reachable with |x| <= 2^16 and at the int32 ends;
 * {@link #rightShiftThreeSparse} runs the sparse kernels (and so the native fold) with a
 * requantization right shift of exactly 3 (a planted break limited to that shift was caught by
 * no test before), linear and ReLU, uint8, int8 and per-channel int8.
 */
class SparseRequantFoldTest {
    @AfterEach
    void clear() {
        System.clearProperty(WeightFormat.PROPERTY);
        System.clearProperty(KernelPath.PROPERTY);
    }

    /** The C++ fold (fold_scalars + requantize_broadcast) in Java, unsigned 64-bit shifts. */
    private static int fold(int x, int m, int right, boolean fix) {
        long c = (1L << 62) + (1L << 30) + ((right > 0 ? 1L << (right - 1) : 0) << 31);
        long cn = fix && right > 0 ? c - (1L << 31) : c;
        long y = (long) x * m;
        long sum = y + (y < 0 ? cn : c);
        int q = (int) (sum >>> (right + 31));
        return q - (int) (1L << (31 - right));
    }

    private static void check(int x, int m, int right) {
        int want = FixedPoint.multiplyByQuantizedMultiplier(x, m, -right);
        int got = fold(x, m, right, true);
        if (want != got) {
            assertEquals(want, got, "x " + x + " m " + m + " right " + right);
        }
        // Without the sign blend (ReLU fold): equal wherever the result is non-negative; where
        // the exact one is negative the folded one is <= 0 too (both clamp to act_min).
        int relu = fold(x, m, right, false);
        if (want >= 0 ? relu != want : relu > 0) {
            assertEquals(want, relu, "relu: x " + x + " m " + m + " right " + right);
        }
    }

    @Test
    void foldMatchesGemmlowpAtTheBoundaries() {
        int[] mults = {0, 1, 1 << 30, (1 << 30) + 1, 1518500250, 1717986918, Integer.MAX_VALUE - 1, Integer.MAX_VALUE};
        for (int right = 0; right < 32; right++) {
            for (int m : mults) {
                for (int x = -(1 << 16); x <= 1 << 16; x++) {
                    check(x, m, right);
                }
                for (int d = 0; d < 4096; d++) {
                    check(Integer.MIN_VALUE + d, m, right);
                    check(Integer.MAX_VALUE - d, m, right);
                }
            }
            // Exact ties of RoundingDivideByPOT: v = k * 2^right +- 2^(right - 1) (+-1) with
            // m = 2^30 (v = x / 2 rounded half up), and for random multipliers x found by division.
            SplittableRandom r = new SplittableRandom(right);
            for (int i = 0; i < 20_000; i++) {
                long v = (r.nextLong(-(1L << 30), 1L << 30) >> right << right) + (right > 0 ? 1L << (right - 1) : 0);
                for (long dv = -1; dv <= 1; dv++) {
                    long t = 2 * (v + dv);
                    if (t >= Integer.MIN_VALUE && t <= Integer.MAX_VALUE) {
                        check((int) t, 1 << 30, right);
                        check((int) t - 1, 1 << 30, right);
                    }
                }
                int m = r.nextInt(1 << 30, Integer.MAX_VALUE);
                long x = Math.floorDiv((v << 31) - (1L << 30), (long) m);
                for (long dx = -2; dx <= 2; dx++) {
                    if (x + dx >= Integer.MIN_VALUE && x + dx <= Integer.MAX_VALUE) {
                        check((int) (x + dx), m, right);
                    }
                }
            }
        }
    }

    /**
     * A 1x1 CONV_2D whose requantization multiplier is 0.1 = 0.8 * 2^-3 (right shift 3 for
     * every channel): input scale 0.02, weight scale 0.01 (per channel 0.0064..0.0124, still
     * in [1/16, 1/8) after the 0.02 / 0.002 ratio), output scale 0.002.
     */
    private static Model conv(TensorType type, boolean perChannel, int activation, int outZp, int px, int k, int n,
            long seed, float outScale) {
        SplittableRandom r = new SplittableRandom(seed);
        boolean u8 = type == TensorType.UINT8;
        ModelBuilder b = new ModelBuilder("shift3");
        int x = b.input("x", type, Quantization.perTensor(0.02f, u8 ? 131 : 3), 1, 1, px, k);
        int wZp = u8 ? 117 : 0;
        float[] ws = new float[perChannel ? n : 1];
        for (int i = 0; i < ws.length; i++) {
            ws[i] = perChannel ? (float) (0.0064 + 0.006 * r.nextDouble()) : 0.01f;
        }
        ByteBuffer w = ByteBuffer.allocate(n * k);
        for (int i = 0; i < n * k; i++) {
            w.put(i, (byte) (u8 ? r.nextInt(256) : r.nextInt(-127, 128)));
        }
        WeightFormatHarness.unstructured(0.8).shape(w, n, k, k, u8 ? wZp : 0, !u8, r);
        long[] zeros = new long[n];
        Quantization wq = perChannel ? Quantization.perAxis(ws, zeros, 0) : Quantization.perTensor(ws[0], wZp);
        int filter = b.constant("w", type, wq, w, n, 1, 1, k);
        float[] bs = new float[ws.length];
        for (int i = 0; i < bs.length; i++) {
            bs[i] = 0.02f * ws[i];
        }
        int[] bv = new int[n];
        for (int i = 0; i < n; i++) {
            bv[i] = r.nextInt(-3000, 3000);
        }
        int bias = b.constant("b", bv, perChannel ? Quantization.perAxis(bs, zeros, 0) : Quantization.perTensor(bs[0], 0),
                n);
        BuiltinOptions o = BuiltinOptions.of("Conv2DOptions").set("padding", 1).set("stride_h", 1).set("stride_w", 1)
                .set("dilation_h_factor", 1).set("dilation_w_factor", 1).set("fused_activation_function", activation);
        b.output(b.op(BuiltinOperator.CONV_2D, 1, o, new int[] {x, filter, bias},
                TensorSpec.quantized("y", type, Quantization.perTensor(outScale, outZp), 1, 1, px, n))[0]);
        return b.build();
    }

    @Test
    void rightShiftThreeSparse() {
        Assumptions.assumeTrue(KernelRegistry.available(KernelRegistry.CONV2D_SPARSE).stream()
                .anyMatch(e -> e.path() != KernelPath.JAVA), "no native sparse kernel on this machine");
        // The multipliers 10 * weight scale, 0.064..0.124 (and 0.1): frexp exponent -3.
        assertEquals(-3, Math.getExponent(0.0064 * 10) + 1);
        assertEquals(-3, Math.getExponent(0.0124 * 10) + 1);
        TensorType[] types = {TensorType.UINT8, TensorType.INT8, TensorType.INT8};
        int ran = 0;
        for (int i = 0; i < 12; i++) {
            TensorType type = types[i % 3];
            boolean perChannel = i % 3 == 2;
            boolean u8 = type == TensorType.UINT8;
            // none (the sign blend), RELU with the zero point at the clamp (the ReLU fold), RELU6
            int activation = (i / 3) % 2 == 0 ? 0 : (i / 3 == 1 ? 1 : 3);
            int outZp = activation == 0 ? (u8 ? 128 : 0) : (u8 ? 0 : -128);
            int px = new int[] {49, 64, 8, 100}[i % 4];
            int k = new int[] {96, 33, 160, 24}[(i / 2) % 4];
            int n = new int[] {16, 17, 40, 5}[(i / 3) % 4];
            Model m = conv(type, perChannel, activation, outZp, px, k, n, 900 + i, 0.002f);
            ran += WeightFormatHarness.check(m, KernelRegistry.CONV2D_SPARSE, WeightFormat.SPARSE, "_sparse_",
                    type + (perChannel ? " per-channel" : "") + " shift 3 act " + activation + " " + px + "x" + k + "->"
                            + n, 900 + i, 0);
        }
        assertTrue(ran > 0);
    }

    /**
     * Right shift 0 without a left shift (multipliers 10 * weight scale / 0.0143 = 0.45..0.87, frexp
     * exponent 0 where >= 0.5): the sparse kernel's general odd-lane path (kOddHi needs every
     * channel's right shift >= 1), per-channel int8 mixing shifts 0 and 1, uint8 and int8.
     */
    @Test
    void rightShiftZeroSparse() {
        Assumptions.assumeTrue(KernelRegistry.available(KernelRegistry.CONV2D_SPARSE).stream()
                .anyMatch(e -> e.path() != KernelPath.JAVA), "no native sparse kernel on this machine");
        TensorType[] types = {TensorType.UINT8, TensorType.INT8, TensorType.INT8};
        int ran = 0;
        for (int i = 0; i < 6; i++) {
            TensorType type = types[i % 3];
            boolean perChannel = i % 3 == 2;
            boolean u8 = type == TensorType.UINT8;
            int activation = i < 3 ? 0 : 1;
            int outZp = activation == 0 ? (u8 ? 128 : 0) : (u8 ? 0 : -128);
            Model m = conv(type, perChannel, activation, outZp, new int[] {64, 49, 9}[i % 3], new int[] {96, 40}[i % 2],
                    new int[] {16, 33, 7}[i % 3], 950 + i, 0.0002857f);
            ran += WeightFormatHarness.check(m, KernelRegistry.CONV2D_SPARSE, WeightFormat.SPARSE, "_sparse_",
                    type + (perChannel ? " per-channel" : "") + " shift 0 act " + activation, 950 + i, 0);
        }
        assertTrue(ran > 0);
    }
}
