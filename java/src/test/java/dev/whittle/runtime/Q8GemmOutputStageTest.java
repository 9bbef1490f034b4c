package dev.whittle.runtime;

import dev.whittle.model.BuiltinOperator;
import dev.whittle.model.BuiltinOptions;
import dev.whittle.model.Model;
import dev.whittle.model.ModelBuilder;
import dev.whittle.model.ModelBuilder.TensorSpec;
import dev.whittle.model.Quantization;
import dev.whittle.model.TensorType;
import dev.whittle.runtime.kernels.KernelFamily;
import dev.whittle.runtime.kernels.KernelPath;
import dev.whittle.runtime.kernels.KernelRegistry;
import dev.whittle.runtime.kernels.WeightFormat;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The output stage of the dense AVX-512 VNNI GEMM kernel ({@code q*_conv2d_gemm_8x16c4__avx512vnni},
 * session 7: q8_requant_avx512.h's fast_requantize + store16 / store8, i.e. gemmlowp's
 * RoundingDivideByPOT without compares, the clamp folded into the saturating narrow where the
 * activation is the whole output range, full panels stored unmasked) against the reference
 * kernel: output scales over 2^-12..2^14 of the accumulators' spread (right shifts from 0 to ~25,
 * multipliers above 1 with a left shift, all-saturated and all-zero-point outputs), every fused
 * activation (NONE, RELU, RELU_N1_TO_1, RELU6) with output zero points at both ends, 1..70
 * channels (the ymm half panel at 1..8 and N mod 16 in 1..8, masked zmm panels at 9..15, full
 * panels), odd pixel counts (every microtile height 1..7 and 8-pixel tiles), small K (8..64, the
 * layers where the output stage is half of the kernel) and a 3x3 im2col case, uint8 (gemmlowp
 * rounding) and int8 (ruy rounding) per-tensor and per-channel; 1 and 3 threads
 * (WeightFormatHarness.check, dense weights), asserting a {@code _conv2d_gemm_} kernel of every
 * native path is dispatched and that the VNNI path is among them.
 */
class Q8GemmOutputStageTest {
    private static final int[] PIXELS = {1, 2, 3, 5, 7, 9, 13, 15, 17, 49};
    private static final int[] OUT = {1, 3, 8, 9, 15, 16, 17, 24, 32, 40, 57, 70};
    private static final int[] IN = {8, 12, 16, 24, 32, 40, 64};
    /** NONE, RELU, RELU_N1_TO_1, RELU6. */
    private static final int[] ACT = {0, 1, 2, 3};

    @AfterEach
    void clear() {
        System.clearProperty(WeightFormat.PROPERTY);
        System.clearProperty(KernelPath.PROPERTY);
    }

    /** A k x k convolution (1 x pixels image, SAME) with the output scale spread * 2^scaleExp. */
    static Model conv(TensorType type, boolean perChannel, int pixels, int inC, int outC, int k, int act,
            int scaleExp, long seed) {
        return conv(type, perChannel, pixels, inC, outC, k, act, scaleExp, seed, null);
    }

    /** As above, the weights then rewritten by {@code shape} (null: left as drawn), for the weight-format kernels. */
    static Model conv(TensorType type, boolean perChannel, int pixels, int inC, int outC, int k, int act,
            int scaleExp, long seed, WeightFormatHarness.Shaper shape) {
        SplittableRandom r = new SplittableRandom(seed);
        boolean u8 = type == TensorType.UINT8;
        int lo = u8 ? 0 : -128;
        int hi = u8 ? 255 : 127;
        int inZp = seed % 5 == 0 ? lo : seed % 5 == 1 ? hi : r.nextInt(lo + 64, hi - 63);
        int outZp = seed % 4 == 0 ? hi : seed % 4 == 1 ? lo : r.nextInt(lo, hi + 1);
        int wZp = u8 ? (seed % 7 == 1 ? 0 : seed % 7 == 2 ? 255 : 40 + r.nextInt(176)) : 0;
        float inScale = 0.02f;
        float[] wScales = new float[perChannel ? outC : 1];
        for (int i = 0; i < wScales.length; i++) {
            wScales[i] = (float) (0.01 * (0.5 + r.nextDouble()) * (perChannel ? Math.pow(2, (i % 9) - 4) : 1));
        }
        // about the accumulators' standard deviation / 40: at 2^0 the outputs spread over the
        // range without saturating
        double spread = inScale * 0.01 * 50 * 74 * Math.sqrt(inC * k * k) / 40;
        float outScale = (float) (spread * Math.pow(2, scaleExp));
        ModelBuilder b = new ModelBuilder("conv");
        int x = b.input("x", type, Quantization.perTensor(inScale, inZp), 1, 1, pixels, inC);
        int kh = 1;
        int size = outC * kh * k * inC;
        ByteBuffer w = ByteBuffer.allocate(size);
        boolean uniform = seed % 5 == 0;
        for (int i = 0; i < size; i++) {
            int v = uniform ? (u8 ? r.nextInt(256) : r.nextInt(-127, 128))
                    : (int) Math.round((u8 ? wZp : 0) + r.nextGaussian() * 50);
            w.put(i, (byte) Math.max(u8 ? 0 : -127, Math.min(u8 ? 255 : 127, v)));
        }
        if (shape != null) {
            shape.shape(w, outC, kh * k * inC, inC, u8 ? wZp : 0, !u8, new SplittableRandom(seed + 77));
        }
        long[] zeros = new long[outC];
        Quantization wq = perChannel ? Quantization.perAxis(wScales, zeros, 0) : Quantization.perTensor(wScales[0], wZp);
        int filter = b.constant("w", type, wq, w, outC, kh, k, inC);
        float[] bs = new float[wScales.length];
        for (int i = 0; i < bs.length; i++) {
            bs[i] = inScale * wScales[i];
        }
        int[] bv = new int[outC];
        for (int i = 0; i < outC; i++) {
            bv[i] = r.nextInt(-40_000, 40_000);
        }
        int bias = b.constant("b", bv, perChannel ? Quantization.perAxis(bs, zeros, 0) : Quantization.perTensor(bs[0], 0),
                outC);
        BuiltinOptions o = BuiltinOptions.of("Conv2DOptions").set("padding", 0).set("stride_h", 1).set("stride_w", 1)
                .set("dilation_h_factor", 1).set("dilation_w_factor", 1).set("fused_activation_function", act);
        TensorSpec y = TensorSpec.quantized("y", type, Quantization.perTensor(outScale, outZp), 1, 1, pixels, outC);
        b.output(b.op(BuiltinOperator.CONV_2D, 1, o, new int[] {x, filter, bias}, y)[0]);
        return b.build();
    }

    @Test
    void outputStageMatchesTheReference() {
        Assumptions.assumeTrue(KernelRegistry.available(KernelRegistry.QU8_CONV2D).stream()
                .anyMatch(e -> e.path() == KernelPath.AVX512VNNI), "no AVX-512 VNNI GEMM kernel on this machine");
        int ran = 0;
        long seed = 1;
        TensorType[] types = {TensorType.UINT8, TensorType.INT8, TensorType.INT8};
        for (int t = 0; t < types.length; t++) {
            KernelFamily<?> family = t == 0 ? KernelRegistry.QU8_CONV2D
                    : t == 1 ? KernelRegistry.QS8_CONV2D : KernelRegistry.QS8_QC8W_CONV2D;
            for (int i = 0; i < 54; i++) {
                int pixels = PIXELS[i % PIXELS.length];
                int outC = OUT[(i * 5 + t) % OUT.length];
                int inC = IN[(i * 3 + t) % IN.length];
                int k = i % 9 == 8 ? 3 : 1;
                int act = ACT[(i / 2 + t) % ACT.length];
                int scaleExp = -12 + (i * 11 + t * 5) % 27;
                boolean perChannel = t == 2;
                Model m = conv(types[t], perChannel, pixels, inC, outC, k, act, scaleExp, seed);
                String label = types[t] + (perChannel ? " per-channel " : " ") + pixels + "x" + inC + "->" + outC
                        + " k " + k + " act " + act + " scale 2^" + scaleExp;
                ran += WeightFormatHarness.check(m, family, WeightFormat.DENSE, "_conv2d_gemm_", label, seed,
                        (int) (seed % 3));
                seed++;
            }
        }
        assertTrue(ran > 0);
    }
}
