package dev.whittle.runtime;

import dev.whittle.TensorData;
import dev.whittle.model.BuiltinOperator;
import dev.whittle.model.BuiltinOptions;
import dev.whittle.model.Model;
import dev.whittle.model.ModelBuilder;
import dev.whittle.model.ModelBuilder.TensorSpec;
import dev.whittle.model.Quantization;
import dev.whittle.model.TensorType;
import dev.whittle.runtime.kernels.KernelPath;
import dev.whittle.runtime.kernels.KernelRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The two final roundings of {@code *_dwconv2d_minmax_rows16c2__avx2} and
 * {@code *_dwconv2d_minmax_16c__avx2}: the int32-nudge form (WHITTLE_Q8_DWCONV_ROWS_SMALL_ACC,
 * WHITTLE_Q8_DWCONV_FLAG_SMALL_ACC: taken when every right-shifting channel's accumulator is
 * below 2^30 for any input) and the remainder/threshold form (otherwise). The other depthwise
 * tests use small biases, so only the first; here biases near the 2^30 bound on either side
 * (just inside: the largest accumulators the fast form may see; just outside and near
 * INT32_MIN/MAX: the node falls back) and multipliers with right shifts of 16..30, against the
 * reference bit for bit, int8 and uint8, threads 1 and 3, the dispatched kernel asserted.
 */
class DepthwiseAvx2RoundingTest {
    @AfterEach
    void clearProperty() {
        System.clearProperty(KernelPath.PROPERTY);
    }

    /** bias per channel: base +- a little; weights full range; output scale for right shift ~shift. */
    static Model build(boolean u8, int c, int mult, int stride, int[] bias, double outScale, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        int outC = c * mult;
        ModelBuilder b = new ModelBuilder("dw_round");
        TensorType type = u8 ? TensorType.UINT8 : TensorType.INT8;
        int x = b.input("x", type, Quantization.perTensor(0.02f, u8 ? 131 : -5), 1, 9, 11, c);
        byte[] wv = new byte[9 * outC];
        for (int i = 0; i < wv.length; i++) {
            wv[i] = (byte) (i % 7 == 0 ? (u8 ? 255 : 127) : u8 ? r.nextInt(256) : r.nextInt(-127, 128));
        }
        float[] ws = new float[outC];
        for (int i = 0; i < outC; i++) {
            ws[i] = (float) (0.01 * (0.6 + 0.8 * r.nextDouble()));
        }
        int wt = u8 ? b.constant("w", TensorType.UINT8, Quantization.perTensor(0.01f, 77), ByteBuffer.wrap(wv), 1, 3,
                3, outC) : b.constant("w", wv, Quantization.perAxis(ws, new long[outC], 3), 1, 3, 3, outC);
        float[] bs = new float[u8 ? 1 : outC];
        for (int i = 0; i < bs.length; i++) {
            bs[i] = 0.02f * (u8 ? 0.01f : ws[i]);
        }
        int bt = b.constant("b", bias, u8 ? Quantization.perTensor(bs[0], 0)
                : Quantization.perAxis(bs, new long[outC], 0), outC);
        BuiltinOptions o = BuiltinOptions.of("DepthwiseConv2DOptions").set("padding", 0).set("stride_h", stride)
                .set("stride_w", stride).set("depth_multiplier", mult).set("fused_activation_function", 0)
                .set("dilation_h_factor", 1).set("dilation_w_factor", 1);
        int oh = (9 + stride - 1) / stride;
        int ow = (11 + stride - 1) / stride;
        b.output(b.op(BuiltinOperator.DEPTHWISE_CONV_2D, 2, o, new int[] {x, wt, bt},
                TensorSpec.quantized("y", type, Quantization.perTensor((float) outScale, u8 ? 120 : 3), 1, oh, ow,
                        outC))[0]);
        return b.build();
    }

    @Test
    void largeAccumulatorsBothSidesOfTheBound() {
        boolean any = false;
        long seed = 1;
        // 255 * sum |w_eff| over 9 taps is at most ~1.5e7 (uint8 with offset), far below 2^30:
        // a base of 2^30 - 2^25 stays inside the bound, 2^30 + 2^25 and the int32 ends outside.
        int[] bases = {(1 << 30) - (1 << 25), -((1 << 30) - (1 << 25)), (1 << 30) + (1 << 25), Integer.MAX_VALUE - 40_000,
            Integer.MIN_VALUE + 40_000, 0};
        // 0.02 * 0.01 * 2^k: real multipliers 2^-k, right shifts ~k
        double[] outScales = {0.0002 * (1 << 16), 0.0002 * (1 << 23), 0.0002 * (1 << 29), 0.0002 * (1 << 30), 0.0002 * (1L << 33)};
        int i = 0;
        for (boolean u8 : new boolean[] {false, true}) {
            for (int base : bases) {
              for (double outScale : outScales) {
                int[][] shapes = {{8, 1, 1}, {32, 1, 1}, {1, 8, 2}, {16, 1, 2}, {128, 1, 1}, {32, 1, 2}, {72, 1, 1}, {72, 1, 2}};
                int[] sh = shapes[i % shapes.length];
                int outC = sh[0] * sh[1];
                int[] bias = new int[outC];
                SplittableRandom r = new SplittableRandom(seed);
                for (int ch = 0; ch < outC; ch++) {
                    long v = (long) base + (ch % 3 == 0 ? 0 : r.nextInt(-30_000, 30_000));
                    bias[ch] = (int) Math.max(Integer.MIN_VALUE, Math.min(Integer.MAX_VALUE, v));
                }
                if (i % 4 == 3) {
                    bias[outC - 1] = (1 << 30) + 5;  // one channel outside: the whole node falls back
                }
                any |= check(build(u8, sh[0], sh[1], sh[2], bias, outScale, seed), u8, seed,
                        (u8 ? "uint8" : "int8") + " base " + base + " shape " + Arrays.toString(sh) + " out scale "
                                + outScale);
                seed++;
                i++;
              }
            }
        }
        org.junit.jupiter.api.Assumptions.assumeTrue(any, "no AVX2 depthwise kernel here");
        assertTrue(SEEN.stream().anyMatch(k -> k.endsWith("_rows16c2__avx2")), "rows kernel never ran: " + SEEN);
        assertTrue(SEEN.stream().anyMatch(k -> k.endsWith("_dwconv2d_minmax_16c__avx2")), "16c kernel never ran: " + SEEN);
    }

    private static final java.util.Set<String> SEEN = new java.util.TreeSet<>();

    /** True when an AVX2 kernel ran (and matched). */
    static boolean check(Model model, boolean u8, long seed, String label) {
        System.setProperty(KernelPath.PROPERTY, "reference");
        CompiledModel ref = CompiledModel.compile(model);
        TensorData in = Q8GemmConvTest.input(ref, seed, (int) (seed % 3));
        byte[] expected = Q8GemmConvTest.run(ref, in, 1);
        boolean avx2 = KernelRegistry.available(u8 ? KernelRegistry.QU8_DWCONV2D : KernelRegistry.QS8_QC8W_DWCONV2D)
                .stream().anyMatch(e -> e.path() == KernelPath.AVX2);
        if (!avx2) {
            return false;
        }
        System.setProperty(KernelPath.PROPERTY, "avx2");
        CompiledModel fast = CompiledModel.compile(model);
        List<String> kernels = OpProfile.kernelNames(fast);
        assertTrue(kernels.get(0).endsWith("_dwconv2d_minmax_rows16c2__avx2")
                || kernels.get(0).endsWith("_dwconv2d_minmax_16c__avx2")
                || kernels.get(0).endsWith("_dwconv2d_minmax_c1x8__avx2"), label + ": dispatched " + kernels);
        SEEN.add(kernels.get(0));
        for (int threads : new int[] {1, 3}) {
            assertArrayEquals(expected, Q8GemmConvTest.run(fast, in, threads),
                    kernels + " threads " + threads + " differs from the reference on " + label);
        }
        return true;
    }
}
