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
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The output stage and tails of the AVX-512 VNNI 2:4 kernel ({@code *_sp24_8x16__avx512vnni},
 * session 7: gemmlowp's RoundingDivideByPOT without compares, the clamp folded into the
 * saturating narrow, the 8-channel ymm half panel, 4 chains for 1..2-pixel tails) against the
 * dense reference: output scales over 2^-12..2^14 of the accumulators' spread (right shifts from
 * 0 to ~25, multipliers above 1, all-saturated and all-zero-point outputs), every fused activation, 1..70 channels (the half panel at 1..8 and
 * N mod 16 in 1..8), 1..3 and 9..10 and 49 pixels (a block's tails) at K = 32..260 (several
 * 4-step chains and a remainder), uint8 weights whose w - zero leaves int8 (residual blocks),
 * int8 per-tensor and per-channel; uint8 rows read in place with a merged last block; 1 and 3
 * threads (WeightFormatHarness.check).
 */
class Sparse24OutputStageTest {
    private static final int[] PIXELS = {1, 2, 3, 9, 10, 49};
    private static final int[] OUT = {1, 2, 5, 8, 9, 16, 23, 24, 40, 70};
    private static final int[] IN = {32, 36, 68, 132, 260};
    /** NONE, RELU, RELU_N1_TO_1, RELU6. */
    private static final int[] ACT = {0, 1, 2, 3};

    @AfterEach
    void clear() {
        System.clearProperty(WeightFormat.PROPERTY);
        System.clearProperty(KernelPath.PROPERTY);
    }

    /** A 1x1 convolution (1 x pixels image) with the output scale spread * 2^scaleExp. */
    static Model conv(TensorType type, boolean perChannel, int pixels, int inC, int outC, int act, int scaleExp,
            long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        boolean u8 = type == TensorType.UINT8;
        int lo = u8 ? 0 : -128;
        int hi = u8 ? 255 : 127;
        int inZp = seed % 5 == 0 ? lo : seed % 5 == 1 ? hi : r.nextInt(lo + 64, hi - 63);
        int outZp = seed % 4 == 0 ? hi : seed % 4 == 1 ? lo : r.nextInt(lo, hi + 1);
        // 1..254: kept w - zero within [-254, 254] (the VNNI kernel declines 255), mostly needing
        // the residual blocks near the ends
        int wZp = u8 ? (seed % 7 == 1 ? 1 : seed % 7 == 2 ? 254 : 40 + r.nextInt(176)) : 0;
        float inScale = 0.02f;
        float[] wScales = new float[perChannel ? outC : 1];
        for (int i = 0; i < wScales.length; i++) {
            wScales[i] = (float) (0.01 * (0.5 + r.nextDouble()) * (perChannel ? Math.pow(2, (i % 9) - 4) : 1));
        }
        // about the accumulators' standard deviation / 40 (weights +-50 around the zero point, half
        // kept; activations +-74): at 2^0 the outputs spread over the range without saturating
        double spread = inScale * 0.01 * 50 * 74 * Math.sqrt(inC / 2.0) / 40;
        float outScale = (float) (spread * Math.pow(2, scaleExp));
        ModelBuilder b = new ModelBuilder("conv");
        int x = b.input("x", type, Quantization.perTensor(inScale, inZp), 1, 1, pixels, inC);
        ByteBuffer w = ByteBuffer.allocate(outC * inC);
        // mostly bell-shaped around the zero point as trained weights are (uniform uint8 weights
        // far from their zero point make every output saturate, which would hide row mix-ups)
        boolean uniform = seed % 5 == 0;
        for (int i = 0; i < outC * inC; i++) {
            int v = uniform ? (u8 ? r.nextInt(256) : r.nextInt(-127, 128))
                    : (int) Math.round((u8 ? wZp : 0) + r.nextGaussian() * 50);
            w.put(i, (byte) Math.max(u8 ? 0 : -127, Math.min(u8 ? 255 : 127, v)));
        }
        WeightFormatHarness.sparse24().shape(w, outC, inC, inC, u8 ? wZp : 0, !u8, r);
        long[] zeros = new long[outC];
        Quantization wq = perChannel ? Quantization.perAxis(wScales, zeros, 0) : Quantization.perTensor(wScales[0], wZp);
        int filter = b.constant("w", type, wq, w, outC, 1, 1, inC);
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
        BuiltinOptions o = BuiltinOptions.of("Conv2DOptions").set("padding", 1).set("stride_h", 1).set("stride_w", 1)
                .set("dilation_h_factor", 1).set("dilation_w_factor", 1).set("fused_activation_function", act);
        TensorSpec y = TensorSpec.quantized("y", type, Quantization.perTensor(outScale, outZp), 1, 1, pixels, outC);
        b.output(b.op(BuiltinOperator.CONV_2D, 1, o, new int[] {x, filter, bias}, y)[0]);
        return b.build();
    }

    @Test
    void outputStageAndTailsMatchTheReference() {
        Assumptions.assumeTrue(KernelRegistry.available(KernelRegistry.CONV2D_SP24).stream()
                .anyMatch(e -> e.path() == KernelPath.AVX512VNNI), "no AVX-512 VNNI 2:4 kernel on this machine");
        int ran = 0;
        long seed = 1;
        TensorType[] types = {TensorType.UINT8, TensorType.INT8, TensorType.INT8};
        for (int t = 0; t < types.length; t++) {
            for (int i = 0; i < 40; i++) {
                int pixels = PIXELS[i % PIXELS.length];
                int outC = OUT[(i * 3 + t) % OUT.length];
                int inC = IN[(i * 7 + t) % IN.length];
                int act = ACT[(i / 2 + t) % ACT.length];
                int scaleExp = -12 + (i * 11 + t * 5) % 27;
                boolean perChannel = t == 2;
                Model m = conv(types[t], perChannel, pixels, inC, outC, act, scaleExp, seed);
                String label = types[t] + (perChannel ? " per-channel " : " ") + pixels + "x" + inC + "->" + outC
                        + " act " + act + " scale 2^" + scaleExp;
                ran += WeightFormatHarness.check(m, KernelRegistry.CONV2D_SP24, WeightFormat.SPARSE, "_conv2d_sp24_",
                        label, seed, (int) (seed % 3));
                seed++;
            }
        }
        // uint8 1x1 at K % 8 == 0 reads its rows in place, in blocks of 64+ pixels that take a last
        // block of under 8 pixels with them (70 = 64 + 6 at K = 328, p->mb 56); int8 stages them
        for (int[] t : new int[][] {{70, 328, 24}, {137, 1032, 40}, {70, 328, 17}, {65, 520, 9}}) {
            for (TensorType type : new TensorType[] {TensorType.UINT8, TensorType.INT8}) {
                Model m = conv(type, false, t[0], t[1], t[2], (int) (seed % 4), (int) (seed % 3) - 1, seed);
                ran += WeightFormatHarness.check(m, KernelRegistry.CONV2D_SP24, WeightFormat.SPARSE, "_conv2d_sp24_",
                        type + " blocks " + t[0] + "x" + t[1] + "->" + t[2], seed, 0);
                seed++;
            }
        }
        assertTrue(ran > 0);
    }
}
