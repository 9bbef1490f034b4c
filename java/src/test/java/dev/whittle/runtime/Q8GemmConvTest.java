package dev.whittle.runtime;

import dev.whittle.TensorData;
import dev.whittle.model.BuiltinOperator;
import dev.whittle.model.BuiltinOptions;
import dev.whittle.model.Model;
import dev.whittle.model.ModelBuilder;
import dev.whittle.model.ModelBuilder.TensorSpec;
import dev.whittle.model.Quantization;
import dev.whittle.model.TensorType;
import dev.whittle.runtime.kernels.ConvKernelFactory;
import dev.whittle.runtime.kernels.KernelEntry;
import dev.whittle.runtime.kernels.KernelFamily;
import dev.whittle.runtime.kernels.KernelPath;
import dev.whittle.runtime.kernels.KernelRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The native int8/uint8 GEMM CONV_2D kernels ({@code q*_conv2d_gemm_*}) against the reference
 * kernels, bit for bit, through whole compiled single-op models in native memory: every
 * available native path of each family, 1 and 3 intra-op threads, and the dispatched kernel's
 * name checked so the reference is never compared with itself. Sweeps: pixels and channels
 * around the tiles (1..10, 15..17, 31..33, 64, 65), 1x1 / 3x3 / 5x5 / 2x4 kernels, strides 1
 * and 2, dilation, SAME and VALID padding, odd image sizes, batch 2, zero points at both ends,
 * saturating and tiny requantization, RELU / RELU6, with and without bias.
 */
class Q8GemmConvTest {
    static final int[] SIZES = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 15, 16, 17, 31, 32, 33, 64, 65};
    static final List<KernelFamily<ConvKernelFactory>> FAMILIES = List.of(KernelRegistry.QS8_CONV2D,
            KernelRegistry.QS8_QC8W_CONV2D, KernelRegistry.QU8_CONV2D);

    @AfterEach
    void clearProperty() {
        System.clearProperty(KernelPath.PROPERTY);
    }

    /** One convolution: NHWC geometry, options and quantization knobs. */
    record Conv(int batch, int h, int w, int inC, int outC, int kh, int kw, int sh, int sw, int dh, int dw,
            int padding, int activation, int extremes, int scale, boolean bias) {
        String label() {
            return batch + "x" + h + "x" + w + "x" + inC + " -> " + outC + " k" + kh + "x" + kw + " s" + sh + "x" + sw
                    + " d" + dh + "x" + dw + (padding == 0 ? " SAME" : " VALID") + " act " + activation + " extremes "
                    + extremes + " scale " + scale + (bias ? "" : " no bias");
        }
    }

    static Model build(KernelFamily<?> family, Conv c, long seed) {
        return build(family, c, seed, null);
    }

    /** As {@link #build(KernelFamily, Conv, long)}, the filter reshaped by {@code shaper} (pruned, clustered). */
    static Model build(KernelFamily<?> family, Conv c, long seed, WeightFormatHarness.Shaper shaper) {
        SplittableRandom r = new SplittableRandom(seed);
        boolean u8 = family == KernelRegistry.QU8_CONV2D;
        boolean perChannel = family == KernelRegistry.QS8_QC8W_CONV2D;
        TensorType type = u8 ? TensorType.UINT8 : TensorType.INT8;
        int lo = u8 ? 0 : -128;
        int hi = u8 ? 255 : 127;
        int inZp = c.extremes() == 1 ? lo : c.extremes() == 2 ? hi : r.nextInt(lo, hi + 1);
        int outZp = c.extremes() == 1 ? hi : c.extremes() == 2 ? lo : r.nextInt(lo, hi + 1);
        int wZp = u8 ? (c.extremes() == 1 ? 255 : c.extremes() == 2 ? 0 : r.nextInt(0, 256)) : 0;
        float inScale = 0.02f;
        float[] wScales = new float[perChannel ? c.outC() : 1];
        for (int i = 0; i < wScales.length; i++) {
            wScales[i] = (float) (0.01 * (0.5 + r.nextDouble()));
        }
        int taps = c.kh() * c.kw() * c.inC();
        // scale 0: outputs spread over the range; 1: multiplier > 1, most outputs saturate;
        // 2: a tiny multiplier, most outputs at the zero point.
        double spread = inScale * 0.01 * Math.sqrt(taps) * 60;
        float outScale = (float) (c.scale() == 1 ? spread / 3000 : c.scale() == 2 ? spread * 3000 : spread);
        ModelBuilder b = new ModelBuilder("conv");
        int x = b.input("x", type, Quantization.perTensor(inScale, inZp), c.batch(), c.h(), c.w(), c.inC());
        int count = c.outC() * taps;
        ByteBuffer wData = ByteBuffer.allocate(count);
        for (int i = 0; i < count; i++) {
            int v = u8 ? r.nextInt(256) : r.nextInt(-127, 128);
            if (c.extremes() != 0 && i % 5 == 0) {
                v = u8 ? (i % 2 == 0 ? 0 : 255) : (i % 2 == 0 ? -127 : 127);
            }
            wData.put(i, (byte) v);
        }
        if (shaper != null) {
            shaper.shape(wData, c.outC(), taps, c.inC(), u8 ? wZp : 0, !u8, r);
        }
        long[] zeros = new long[c.outC()];
        Quantization wq = perChannel ? Quantization.perAxis(wScales, zeros, 0) : Quantization.perTensor(wScales[0], wZp);
        int filter = b.constant("w", type, wq, wData, c.outC(), c.kh(), c.kw(), c.inC());
        int bias = -1;
        if (c.bias()) {
            float[] bs = new float[wScales.length];
            for (int i = 0; i < bs.length; i++) {
                bs[i] = inScale * wScales[i];
            }
            int[] bv = new int[c.outC()];
            for (int i = 0; i < bv.length; i++) {
                bv[i] = r.nextInt(-40_000, 40_000);
            }
            bias = b.constant("b", bv, perChannel ? Quantization.perAxis(bs, zeros, 0) : Quantization.perTensor(bs[0], 0),
                    c.outC());
        }
        BuiltinOptions o = BuiltinOptions.of("Conv2DOptions").set("padding", c.padding())
                .set("stride_h", c.sh()).set("stride_w", c.sw())
                .set("dilation_h_factor", c.dh()).set("dilation_w_factor", c.dw())
                .set("fused_activation_function", c.activation());
        int oh = outSize(c.padding(), c.h(), c.kh(), c.sh(), c.dh());
        int ow = outSize(c.padding(), c.w(), c.kw(), c.sw(), c.dw());
        TensorSpec y = TensorSpec.quantized("y", type, Quantization.perTensor(outScale, outZp), c.batch(), oh, ow,
                c.outC());
        b.output(b.op(BuiltinOperator.CONV_2D, 1, o, new int[] {x, filter, bias}, y)[0]);
        return b.build();
    }

    static int outSize(int padding, int in, int k, int stride, int dil) {
        int eff = (k - 1) * dil + 1;
        return padding == 0 ? (in + stride - 1) / stride : (in - eff + stride) / stride;
    }

    static TensorData input(CompiledModel m, long seed, int extremes) {
        dev.whittle.model.Tensor t = m.tensorInfo(m.inputTensorIndex(0));
        SplittableRandom r = new SplittableRandom(seed);
        int n = 1;
        for (int d : t.shape()) {
            n *= d;
        }
        ByteBuffer b = ByteBuffer.allocate(n).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < n; i++) {
            int v = r.nextInt(256);
            if (extremes != 0 && i % 7 == 0) {
                v = i % 2 == 0 ? 0 : 255;
            }
            b.put(i, (byte) (extremes != 0 && i % 11 == 0 ? 0x80 : v));
        }
        return new TensorData(t.type(), t.shape(), b);
    }

    static byte[] run(CompiledModel m, TensorData in, int threads) {
        try (ExecutionContext ctx = m.newContext(threads)) {
            ctx.setInput(0, in);
            ctx.invoke();
            byte[] first = ctx.output(0).bytes();
            // A second invoke on the same scratch gives the same bytes.
            ctx.invoke();
            assertArrayEquals(first, ctx.output(0).bytes(), "second invoke differs");
            return first;
        }
    }

    /** Checks every native path of {@code family} on {@code c}; returns how many kernels ran. */
    static int check(KernelFamily<ConvKernelFactory> family, Conv c, long seed) {
        Model model = build(family, c, seed);
        System.setProperty(KernelPath.PROPERTY, "reference");
        CompiledModel ref = CompiledModel.compile(model);
        TensorData in = input(ref, seed + 1, c.extremes());
        byte[] expected = run(ref, in, 1);
        int ran = 0;
        for (KernelEntry<ConvKernelFactory> e : KernelRegistry.available(family)) {
            if (!e.path().isNative()) {
                continue;
            }
            System.setProperty(KernelPath.PROPERTY, e.path().label());
            CompiledModel fast = CompiledModel.compile(model);
            // The op picks the family from the filter's quantization (per-axis with one
            // channel is per-tensor), so any of the three GEMM kernels of this path.
            List<String> kernels = OpProfile.kernelNames(fast);
            // contains: the NEON path (label neon) runs kernels of ISA neondot
            assertTrue(kernels.stream().anyMatch(k -> k.contains("_conv2d_gemm_") && k.contains("__" + e.path().label())),
                    family + " " + c.label() + ": dispatched " + kernels);
            for (int threads : new int[] {1, 3}) {
                assertArrayEquals(expected, run(fast, in, threads),
                        kernels + " threads " + threads + " differs from the reference on " + family + " " + c.label());
                ran++;
            }
        }
        System.clearProperty(KernelPath.PROPERTY);
        return ran;
    }

    static List<Conv> sweep() {
        List<Conv> out = new ArrayList<>();
        int i = 0;
        // 1x1 convolutions: channels in and out around the tiles, pixels around the row tiles.
        for (int k : SIZES) {
            int n = SIZES[(i * 7 + 3) % SIZES.length];
            int pixels = SIZES[(i * 5 + 1) % SIZES.length];
            out.add(new Conv(1, 1, pixels, k, n, 1, 1, 1, 1, 1, 1, 0, (i % 4 == 3) ? 3 : i % 2, i % 3, i % 5 == 4 ? 1 : 0,
                    i % 6 != 5));
            i++;
        }
        for (int n : SIZES) {
            out.add(new Conv(1, 3, 5, 1 + i % 9, n, 1, 1, 1, 1, 1, 1, 1, i % 2, i % 3, 0, true));
            i++;
        }
        for (int pixels : SIZES) {
            out.add(new Conv(1, 1, pixels, 8, 17, 1, 1, 1, 1, 1, 1, 1, 0, i % 3, i % 7 == 0 ? 2 : 0, true));
            i++;
        }
        // Windows: kernel sizes, strides, dilation, padding, odd sizes, batch 2.
        int[][] windows = {
            // h, w, inC, outC, kh, kw, sh, sw, dh, dw, padding, batch
            {7, 9, 3, 16, 3, 3, 1, 1, 1, 1, 0, 1},
            {7, 9, 3, 17, 3, 3, 2, 2, 1, 1, 0, 2},
            {8, 8, 5, 9, 3, 3, 2, 2, 1, 1, 1, 1},
            {9, 7, 4, 33, 5, 5, 1, 1, 1, 1, 0, 1},
            {11, 10, 6, 8, 3, 3, 1, 1, 2, 2, 0, 1},
            {10, 11, 2, 5, 3, 3, 1, 2, 2, 1, 1, 2},
            {6, 7, 16, 32, 2, 4, 3, 2, 1, 1, 0, 1},
            {5, 5, 17, 15, 3, 3, 1, 1, 1, 1, 0, 2},
            {13, 13, 3, 24, 3, 3, 2, 2, 1, 1, 0, 1},
            {3, 3, 65, 64, 3, 3, 1, 1, 1, 1, 0, 1},
            {4, 6, 1, 1, 5, 5, 1, 1, 1, 1, 0, 1},
        };
        for (int[] w : windows) {
            for (int extremes = 0; extremes < 3; extremes++) {
                out.add(new Conv(w[11], w[0], w[1], w[2], w[3], w[4], w[5], w[6], w[7], w[8], w[9], w[10],
                        extremes == 0 ? 0 : extremes == 1 ? 1 : 3, extremes, (i % 4 == 1) ? 1 : (i % 4 == 2 ? 2 : 0),
                        i % 5 != 3));
                i++;
            }
        }
        return out;
    }

    @Test
    void everyNativePathMatchesTheReference() {
        int ran = 0;
        for (KernelFamily<ConvKernelFactory> family : FAMILIES) {
            long seed = 1;
            for (Conv c : sweep()) {
                ran += check(family, c, seed++);
            }
        }
        // On a machine without a native path (no library, another CPU) nothing ran: skip, not fail.
        org.junit.jupiter.api.Assumptions.assumeTrue(ran > 0, "no native GEMM conv path on this machine");
    }

    @Test
    void mobilenetShapes() {
        // MobileNet v2's first conv (3x3 s2 on RGB) and an expansion 1x1, uint8 and int8; the
        // final 1x1x1280 -> 1001 conv (one pixel: channels are split across threads).
        for (KernelFamily<ConvKernelFactory> family : FAMILIES) {
            check(family, new Conv(1, 17, 17, 3, 32, 3, 3, 2, 2, 1, 1, 0, 3, 0, 0, true), 11);
            check(family, new Conv(1, 14, 14, 24, 144, 1, 1, 1, 1, 1, 1, 1, 3, 0, 0, true), 12);
            check(family, new Conv(1, 1, 1, 1280, 1001, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, true), 13);
        }
    }

    @Test
    void nativeInvokeDoesNotAllocate() {
        // A tiny convolution (each invoke a few microseconds): the warm-up lets C2 compile the
        // dispatch path, as a server would have.
        Conv c = new Conv(1, 3, 3, 8, 16, 3, 3, 1, 1, 1, 1, 0, 3, 0, 0, true);
        for (KernelFamily<ConvKernelFactory> family : List.of(KernelRegistry.QU8_CONV2D)) {
            for (KernelEntry<ConvKernelFactory> e : KernelRegistry.available(family)) {
                if (!e.path().isNative()) {
                    continue;
                }
                System.setProperty(KernelPath.PROPERTY, e.path().label());
                CompiledModel m = CompiledModel.compile(build(family, c, 5));
                System.clearProperty(KernelPath.PROPERTY);
                for (int threads : new int[] {1, 3}) {
                    try (ExecutionContext ctx = m.newContext(threads)) {
                        ctx.setInput(0, input(m, 6, 0));
                        for (int i = 0; i < 5_000; i++) {
                            ctx.invoke();
                        }
                        com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean)
                                java.lang.management.ManagementFactory.getThreadMXBean();
                        long tid = Thread.currentThread().threadId();
                        long before = mx.getThreadAllocatedBytes(tid);
                        for (int i = 0; i < 1000; i++) {
                            ctx.invoke();
                        }
                        long allocated = mx.getThreadAllocatedBytes(tid) - before;
                        // Slack for the measurement itself; one allocation per invoke would be 16 000.
                        assertTrue(allocated < 4 * 1024, allocated + " bytes allocated by 1000 invokes of "
                                + OpProfile.kernelNames(m) + " on " + threads + " threads");
                    }
                }
            }
        }
    }
}
