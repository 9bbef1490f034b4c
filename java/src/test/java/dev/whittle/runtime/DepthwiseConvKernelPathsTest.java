package dev.whittle.runtime;

import dev.whittle.TensorData;
import dev.whittle.model.BuiltinOperator;
import dev.whittle.model.BuiltinOptions;
import dev.whittle.model.Model;
import dev.whittle.model.ModelBuilder;
import dev.whittle.model.ModelBuilder.TensorSpec;
import dev.whittle.model.Quantization;
import dev.whittle.model.TensorType;
import dev.whittle.runtime.kernels.DepthwiseConvKernelFactory;
import dev.whittle.runtime.kernels.JavaDepthwiseConv;
import dev.whittle.runtime.kernels.KernelEntry;
import dev.whittle.runtime.kernels.KernelFamily;
import dev.whittle.runtime.kernels.KernelPath;
import dev.whittle.runtime.kernels.KernelRegistry;
import dev.whittle.runtime.kernels.NativeDepthwiseConv;
import dev.whittle.runtime.kernels.NativeDepthwiseConvC1;
import dev.whittle.runtime.kernels.NativeDepthwiseConvRows;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every available DEPTHWISE_CONV_2D int8/uint8 kernel path (java, avx2, avx512) against the
 * reference kernel, bit for bit, through compiled single-op models in native memory, with 1 and
 * 3 intra-op threads; each run asserts which kernel was dispatched, so no path can silently
 * test the reference against itself. Sweeps: channels 1..33, 64, 65; depth multipliers 1, 2, 3,
 * 4, 8 with input channels 1, 2, 3, 5, 8, 17, 40; few channels (1..24) over many pixels (the
 * lane-mapped kernels' several pixels per step, edge pixels and row tails);
 * kernels 1x1, 3x3, 5x5, 2x4; strides 1 and 2; dilation 2; SAME and VALID; odd spatial sizes;
 * batch 2; zero points at both ends of the range; saturating and tiny requantization
 * multipliers; no activation, RELU, RELU6, RELU_N1_TO_1; with and without bias.
 */
class DepthwiseConvKernelPathsTest {
    static final List<KernelFamily<DepthwiseConvKernelFactory>> FAMILIES = List.of(KernelRegistry.QS8_DWCONV2D,
            KernelRegistry.QS8_QC8W_DWCONV2D, KernelRegistry.QU8_DWCONV2D);

    @AfterEach
    void clearProperty() {
        System.clearProperty(KernelPath.PROPERTY);
    }

    /**
     * One node. extremes: 0 random zero points, 1 input/output zero points at the low end and
     * weights' at the high end, 2 the reverse. scale: 0 typical, 1 saturating (real multiplier
     * above 1: left shifts), 2 tiny.
     */
    record Spec(int batch, int h, int w, int c, int mult, int kh, int kw, int sh, int sw, int dh, int dw,
            boolean same, int act, boolean bias, int extremes, int scale, long seed) {
        int outH() {
            return same ? (h + sh - 1) / sh : (h - (kh - 1) * dh + sh - 1) / sh;
        }

        int outW() {
            return same ? (w + sw - 1) / sw : (w - (kw - 1) * dw + sw - 1) / sw;
        }
    }

    static Model build(KernelFamily<?> family, Spec s) {
        boolean u8 = family == KernelRegistry.QU8_DWCONV2D;
        boolean perChannel = family == KernelRegistry.QS8_QC8W_DWCONV2D;
        TensorType type = u8 ? TensorType.UINT8 : TensorType.INT8;
        int lo = u8 ? 0 : -128;
        int hi = u8 ? 255 : 127;
        SplittableRandom r = new SplittableRandom(s.seed());
        int inZp = s.extremes() == 1 ? lo : s.extremes() == 2 ? hi : r.nextInt(lo, hi + 1);
        int outZp = s.extremes() == 1 ? lo : s.extremes() == 2 ? hi : r.nextInt(lo, hi + 1);
        int wZp = !u8 ? 0 : s.extremes() == 1 ? hi : s.extremes() == 2 ? lo : r.nextInt(lo, hi + 1);
        int outC = s.c() * s.mult();
        float inScale = 0.02f;
        float[] wScales = new float[perChannel ? outC : 1];
        for (int i = 0; i < wScales.length; i++) {
            wScales[i] = (float) (0.005 * (0.5 + r.nextDouble()));
        }
        int taps = s.kh() * s.kw();
        double typical = inScale * 0.005 * 128 * Math.sqrt(taps) * (u8 ? 1 : 0.5) / 20;
        float outScale = (float) switch (s.scale()) {
            case 1 -> inScale * 0.005 * (0.1 + r.nextDouble() * 0.8);
            case 2 -> typical * 3e4;
            default -> typical;
        };
        ModelBuilder b = new ModelBuilder("dw");
        int x = b.input("x", type, Quantization.perTensor(inScale, inZp), s.batch(), s.h(), s.w(), s.c());
        Quantization wq = perChannel ? Quantization.perAxis(wScales, new long[outC], 3)
                : Quantization.perTensor(wScales[0], wZp);
        ByteBuffer wData = ByteBuffer.allocate(taps * outC);
        for (int i = 0; i < taps * outC; i++) {
            int v = u8 ? r.nextInt(256) : r.nextInt(-127, 128);
            if (s.extremes() != 0 && i % 5 == 0) {
                v = i % 2 == 0 ? (u8 ? 0 : -127) : (u8 ? 255 : 127);
            }
            wData.put(i, (byte) v);
        }
        int filter = b.constant("w", type, wq, wData, 1, s.kh(), s.kw(), outC);
        int bias = -1;
        if (s.bias()) {
            float[] bs = new float[wScales.length];
            for (int i = 0; i < bs.length; i++) {
                bs[i] = inScale * wScales[i];
            }
            int[] bv = new int[outC];
            for (int i = 0; i < outC; i++) {
                bv[i] = r.nextInt(-30_000, 30_000);
            }
            bias = b.constant("b", bv, perChannel ? Quantization.perAxis(bs, new long[outC], 0)
                    : Quantization.perTensor(bs[0], 0), outC);
        }
        BuiltinOptions o = BuiltinOptions.of("DepthwiseConv2DOptions")
                .set("padding", s.same() ? ModelBuilder.Padding.SAME.code() : ModelBuilder.Padding.VALID.code())
                .set("stride_h", s.sh()).set("stride_w", s.sw())
                .set("dilation_h_factor", s.dh()).set("dilation_w_factor", s.dw())
                .set("depth_multiplier", s.mult())
                .set("fused_activation_function", s.act());
        TensorSpec y = TensorSpec.quantized("y", type, Quantization.perTensor(outScale, outZp), s.batch(), s.outH(),
                s.outW(), outC);
        b.output(b.op(BuiltinOperator.DEPTHWISE_CONV_2D, 2, o, new int[] {x, filter, bias}, y)[0]);
        return b.build();
    }

    /** The kernel a path must dispatch for this node. */
    static String expectedKernel(KernelFamily<?> family, KernelPath path, Spec s) {
        // One input channel, multiplier >= 8: the c1x8 kernel on both x86 paths (issue 6).
        if ((path == KernelPath.AVX2 || path == KernelPath.AVX512VNNI)
                && Boolean.parseBoolean(System.getProperty(NativeDepthwiseConvC1.PROPERTY, "true"))
                && NativeDepthwiseConvC1.takes(s.c(), s.mult(), s.kh(), s.kw(), s.dw())) {
            return NativeDepthwiseConvC1.kernelName(family, path == KernelPath.AVX512VNNI);
        }
        return switch (path) {
            case REFERENCE -> family.name() + "__reference";
            case JAVA -> JavaDepthwiseConv.kernelName(family);
            // The row kernels take every node here they prefer (VNNI: whose weights they pack); other
            // uint8 nodes on AVX-512 go to the AVX2 rows kernel where
            // NativeDepthwiseConvRows.prefersAvx2OnAvx512 says so, else to the
            // lane-mapped kernel (depth multiplier above 1 or few channels) or the channel-blocked one.
            // Not the rows kernel (-Dwhittle.dwconv.rows=false, or many channels): 64l as on AVX-512, or 16c.
            case AVX2 -> NativeDepthwiseConvRows.prefersOnAvx2Path(s.c(), s.mult(), s.sw(), s.outW())
                    ? NativeDepthwiseConvRows.kernelName(family, NativeDepthwiseConvRows.Isa.AVX2)
                    : NativeDepthwiseConv.kernelName(family, lanes(s) ? "64l__avx2" : "16c__avx2");
            case AVX512VNNI -> NativeDepthwiseConvRows.prefersAvx2OverVnniRows(family, s.c(), s.mult(), s.sw(), s.outW())
                    ? NativeDepthwiseConvRows.kernelName(family, NativeDepthwiseConvRows.Isa.AVX2)
                    : NativeDepthwiseConvRows.prefers(NativeDepthwiseConvRows.Isa.AVX512VNNI, s.c(), s.mult(), s.sw(), s.outW())
                    && vnniTakesWeights(family, s)
                    ? NativeDepthwiseConvRows.kernelName(family, NativeDepthwiseConvRows.Isa.AVX512VNNI)
                    : NativeDepthwiseConvRows.prefersAvx2OnAvx512(family, s.c(), s.mult(), s.sw(), s.outW())
                    ? NativeDepthwiseConvRows.kernelName(family, NativeDepthwiseConvRows.Isa.AVX2)
                    : NativeDepthwiseConv.kernelName(family, lanes(s) ? "64l__avx512" : "32c__avx512");
            // NEON: the lane-mapped kernel where x86 takes it (depth multiplier above 1, few channels),
            // else the channel-blocked one (NEON gaps, issue 6).
            case NEON -> NativeDepthwiseConv.kernelName(family, lanes(s) ? "64l__neon" : "16c__neon");
            default -> throw new AssertionError("no depthwise kernel expected on " + path);
        };
    }

    /** Whether the VNNI rows kernel packs this node's weights (uint8: NativeDepthwiseConvRows.vnniFixGroups). */
    static boolean vnniTakesWeights(KernelFamily<?> family, Spec s) {
        if (family == KernelRegistry.QU8_DWCONV2D && !NativeDepthwiseConvRows.vnniPrefersUint8(s.c() * s.mult(), s.outW())) {
            return false;
        }
        return vnniFixGroups(family, s) >= 0;
    }

    /** The fix groups the VNNI rows kernel packs this node with, -1 where it declines its weights. */
    static int vnniFixGroups(KernelFamily<?> family, Spec s) {
        Model m = build(family, s);
        dev.whittle.model.Tensor w = m.mainGraph().tensors().get(m.mainGraph().operators().get(0).input(1));
        long[] zp = w.quantization().zeroPoint();
        return NativeDepthwiseConvRows.vnniFixGroupCount(family, m.constantData(w),
                zp.length == 0 ? 0 : (int) -zp[0], s.kh(), s.kw(), s.c() * s.mult());
    }

    static boolean lanes(Spec s) {
        return s.mult() != 1 || s.c() < NativeDepthwiseConv.LANES_BELOW_CHANNELS;
    }

    static byte[] run(Model m, KernelPath path, int threads, String expectedKernel, TensorData input) {
        System.setProperty(KernelPath.PROPERTY, path.label());
        CompiledModel compiled = CompiledModel.compile(m);
        System.clearProperty(KernelPath.PROPERTY);
        assertEquals(List.of(expectedKernel), OpProfile.kernelNames(compiled), "dispatch on " + path);
        try (ExecutionContext c = compiled.newContext(threads)) {
            c.setInput(0, input);
            c.invoke();
            byte[] first = c.output(0).bytes();
            c.invoke();
            assertArrayEquals(first, c.output(0).bytes(), "second invoke differs on " + path);
            return first;
        }
    }

    /** Runs every available path, threads 1 and 3, against the reference; returns the kernels run. */
    static int check(KernelFamily<DepthwiseConvKernelFactory> family, Spec s) {
        return check(family, s, 1, 3);
    }

    /** Runs every available path at each of {@code threadCounts} against the reference; returns the kernels run. */
    static int check(KernelFamily<DepthwiseConvKernelFactory> family, Spec s, int... threadCounts) {
        Model m = build(family, s);
        // One per-axis scale is a per-tensor quantization: the op picks the qs8 family.
        KernelFamily<DepthwiseConvKernelFactory> dispatched =
                family == KernelRegistry.QS8_QC8W_DWCONV2D && s.c() * s.mult() == 1 ? KernelRegistry.QS8_DWCONV2D
                : family;
        TensorData input = Differential.randomInput(family == KernelRegistry.QU8_DWCONV2D ? TensorType.UINT8
                : TensorType.INT8, new int[] {s.batch(), s.h(), s.w(), s.c()}, s.seed() + 1);
        byte[] expected = run(m, KernelPath.REFERENCE, 1, dispatched.name() + "__reference", input);
        int n = 0;
        // A path with several kernels (row-staged, lane-mapped, channel-blocked) is run once: dispatch picks one.
        java.util.Set<KernelPath> paths = new java.util.TreeSet<>();
        for (KernelEntry<DepthwiseConvKernelFactory> e : KernelRegistry.available(family)) {
            paths.add(e.path());
        }
        for (KernelPath path : paths) {
            if (path == KernelPath.REFERENCE) {
                continue;
            }
            String kernel = expectedKernel(dispatched, path, s);
            for (int threads : threadCounts) {
                assertArrayEquals(expected, run(m, path, threads, kernel, input),
                        kernel + " (" + threads + " threads) differs from the reference on " + family + " " + s);
            }
            n++;
        }
        return n;
    }

    @Test
    void everyPathIsRegistered() {
        for (KernelFamily<DepthwiseConvKernelFactory> family : FAMILIES) {
            List<KernelEntry<DepthwiseConvKernelFactory>> all = KernelRegistry.available(family);
            assertEquals(KernelPath.REFERENCE, all.get(0).path());
            assertTrue(all.stream().anyMatch(e -> e.path() == KernelPath.JAVA), family + " has a java kernel");
            // Where libwhittle exports the native kernels and the CPU runs them, they are tested.
            dev.whittle.CpuFeatures cpu = dev.whittle.CpuFeatures.detect();
            if (dev.whittle.runtime.kernels.NativeKernels.has("whittle_" + NativeDepthwiseConv.kernelName(family,
                    "16c__avx2")) && KernelPath.AVX2.supportedBy(cpu)) {
                assertTrue(all.stream().anyMatch(e -> e.path() == KernelPath.AVX2), family + " avx2");
            }
            if (KernelPath.AVX512VNNI.supportedBy(cpu) && KernelPath.AVX2.supportedBy(cpu)
                    && dev.whittle.runtime.kernels.NativeKernels.has("whittle_" + NativeDepthwiseConv.kernelName(
                            family, "32c__avx512"))) {
                assertTrue(all.stream().anyMatch(e -> e.path() == KernelPath.AVX512VNNI), family + " avx512");
            }
        }
    }

    @Test
    void channelSweep() {
        int[] channels = new int[36];
        for (int i = 0; i < 33; i++) {
            channels[i] = i + 1;
        }
        channels[33] = 64;
        channels[34] = 65;
        channels[35] = 48;
        int i = 0;
        for (KernelFamily<DepthwiseConvKernelFactory> family : FAMILIES) {
            for (int c : channels) {
                boolean k5 = i % 4 == 3;
                Spec s = new Spec(1 + (i % 7 == 0 ? 1 : 0), 5 + i % 3, 6 + i % 4, c, 1, k5 ? 5 : 3, k5 ? 5 : 3,
                        1 + i % 2, 1 + (i / 2) % 2, 1, 1, i % 3 != 0, new int[] {0, 1, 3, 2}[i % 4], i % 5 != 0,
                        i % 3, i % 6 == 5 ? 1 : i % 6 == 4 ? 2 : 0, 100 + i);
                check(family, s);
                i++;
            }
        }
    }

    @Test
    void geometrySweep() {
        int[][] cases = {
            // batch, h, w, c, mult, kh, kw, sh, sw, dh, dw
            {1, 7, 9, 16, 2, 3, 3, 1, 1, 1, 1},
            {2, 9, 8, 3, 2, 3, 3, 2, 2, 1, 1},
            {1, 11, 10, 17, 1, 3, 3, 1, 1, 2, 2},
            {2, 10, 11, 33, 1, 5, 5, 2, 2, 1, 1},
            {1, 9, 9, 7, 1, 3, 3, 2, 1, 2, 1},
            {1, 5, 6, 40, 1, 1, 1, 1, 1, 1, 1},
            {1, 6, 7, 24, 1, 2, 4, 2, 3, 1, 2},
            {1, 4, 4, 65, 2, 3, 3, 1, 1, 1, 1},
            {2, 3, 3, 9, 1, 5, 5, 1, 1, 1, 1},
            {1, 13, 13, 96, 1, 3, 3, 2, 2, 1, 1},
        };
        int i = 0;
        for (KernelFamily<DepthwiseConvKernelFactory> family : FAMILIES) {
            for (int[] g : cases) {
                for (boolean same : new boolean[] {true, false}) {
                    if (!same && (g[1] - (g[5] - 1) * g[9] < 1 || g[2] - (g[6] - 1) * g[10] < 1)) {
                        continue;
                    }
                    Spec s = new Spec(g[0], g[1], g[2], g[3], g[4], g[5], g[6], g[7], g[8], g[9], g[10], same,
                            new int[] {0, 3, 1}[i % 3], i % 4 != 1, i % 3, i % 5 == 2 ? 1 : i % 5 == 4 ? 2 : 0,
                            500 + i);
                    check(family, s);
                    i++;
                }
            }
        }
    }

    @Test
    void zeroPointsAndSaturationAtBothEnds() {
        int i = 0;
        for (KernelFamily<DepthwiseConvKernelFactory> family : FAMILIES) {
            for (int extremes = 0; extremes < 3; extremes++) {
                for (int scale = 0; scale < 3; scale++) {
                    for (int act : new int[] {0, 3}) {
                        Spec s = new Spec(2, 5, 7, 19, 1, 3, 3, 1, 1, 1, 1, true, act, i % 2 == 0, extremes, scale,
                                900 + i);
                        check(family, s);
                        i++;
                    }
                }
            }
        }
    }
    @Test
    void depthMultiplierSweep() {
        int[] mults = {2, 3, 4, 8};
        int[] inCs = {1, 2, 3, 5, 8, 17, 40};
        int i = 0;
        for (KernelFamily<DepthwiseConvKernelFactory> family : FAMILIES) {
            for (int mult : mults) {
                for (int inC : inCs) {
                    if (inC * mult > 64 && (i % 3 != 0)) {
                        i++;
                        continue;
                    }
                    boolean k5 = i % 5 == 4;
                    boolean k1 = i % 7 == 6;
                    int k = k5 ? 5 : k1 ? 1 : 3;
                    int stride = 1 + i % 2;
                    Spec s = new Spec(1 + (i % 6 == 0 ? 1 : 0), 7 + i % 5, 9 + i % 7, inC, mult, k, k, stride,
                            stride, 1 + (i % 9 == 8 ? 1 : 0), 1 + (i % 9 == 8 ? 1 : 0), i % 3 != 1,
                            new int[] {0, 1, 3, 2}[i % 4], i % 5 != 0, i % 3, i % 6 == 5 ? 1 : i % 6 == 4 ? 2 : 0,
                            2000 + i);
                    check(family, s);
                    i++;
                }
            }
        }
    }

    @Test
    void fewChannelsManyPixels() {
        int[] channels = {1, 2, 3, 4, 6, 8, 12, 16, 24};
        int i = 0;
        for (KernelFamily<DepthwiseConvKernelFactory> family : FAMILIES) {
            for (int c : channels) {
                for (int stride = 1; stride <= 2; stride++) {
                    int dil = i % 5 == 3 ? 2 : 1;
                    Spec s = new Spec(1 + (i % 4 == 0 ? 1 : 0), 9 + i % 4, 23 + i % 11, c, 1, 3, 3, stride, stride,
                            dil, dil, i % 3 != 2, new int[] {0, 3, 1}[i % 3], i % 4 != 1, i % 3,
                            i % 5 == 2 ? 1 : i % 5 == 4 ? 2 : 0, 3000 + i);
                    check(family, s);
                    i++;
                }
            }
        }
    }

    @Test
    void personDetectFirstLayers() {
        // person_detect's first two depthwise nodes, smaller: inC 1 x 8 stride 2, then 8 channels.
        int i = 0;
        for (KernelFamily<DepthwiseConvKernelFactory> family : FAMILIES) {
            for (int[] g : new int[][] {{32, 1, 8, 2}, {33, 1, 8, 2}, {24, 8, 1, 1}, {25, 16, 1, 2}, {20, 3, 8, 2}}) {
                Spec s = new Spec(1, g[0], g[0] + 3, g[1], g[2], 3, 3, g[3], g[3], 1, 1, true, 3, true, i % 3,
                        0, 4000 + i);
                check(family, s);
                i++;
            }
        }
    }
}
