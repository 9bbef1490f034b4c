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
 * dense reference: output scales over 2^-12..2^14 of the spread (right shifts from 0 to ~25, and
 * multipliers above 1), every fused activation, 1..70 channels (the half panel at 1..8 and
 * N mod 16 in 1..8), 1..3 and 9..10 and 49 pixels (a block's tails) at K = 32..260 (several
 * 4-step chains and a remainder), uint8 weights whose w - zero leaves int8 (residual blocks),
 * int8 per-tensor and per-channel; 1 and 3 threads (WeightFormatHarness.check).
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
        int inZp = seed % 3 == 0 ? lo : seed % 3 == 1 ? hi : r.nextInt(lo, hi + 1);
        int outZp = seed % 4 == 0 ? hi : seed % 4 == 1 ? lo : r.nextInt(lo, hi + 1);
        // 1..254: kept w - zero within [-254, 254] (the VNNI kernel declines 255), mostly needing
        // the residual blocks near the ends
        int wZp = u8 ? (seed % 2 == 0 ? 1 + r.nextInt(254) : seed % 4 == 1 ? 1 : 254) : 0;
        float inScale = 0.02f;
        float[] wScales = new float[perChannel ? outC : 1];
        for (int i = 0; i < wScales.length; i++) {
            wScales[i] = (float) (0.01 * (0.5 + r.nextDouble()) * (perChannel ? Math.pow(2, (i % 9) - 4) : 1));
        }
        double spread = inScale * 0.01 * Math.sqrt(inC) * 60;
        float outScale = (float) (spread * Math.pow(2, scaleExp));
        ModelBuilder b = new ModelBuilder("conv");
        int x = b.input("x", type, Quantization.perTensor(inScale, inZp), 1, 1, pixels, inC);
        ByteBuffer w = ByteBuffer.allocate(outC * inC);
        for (int i = 0; i < outC * inC; i++) {
            w.put(i, (byte) (u8 ? r.nextInt(256) : r.nextInt(-127, 128)));
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
        assertTrue(ran > 0);
    }
}
