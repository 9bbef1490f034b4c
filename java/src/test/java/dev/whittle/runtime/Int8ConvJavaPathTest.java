package dev.whittle.runtime;

import dev.whittle.TensorData;
import dev.whittle.internal.vectorization.VectorizationProvider;
import dev.whittle.model.BuiltinOperator;
import dev.whittle.model.BuiltinOptions;
import dev.whittle.model.Model;
import dev.whittle.model.ModelBuilder;
import dev.whittle.model.ModelBuilder.TensorSpec;
import dev.whittle.model.Quantization;
import dev.whittle.model.TensorType;
import dev.whittle.runtime.kernels.ConvKernelFactory;
import dev.whittle.runtime.kernels.Int8Conv2D;
import dev.whittle.runtime.kernels.KernelFamily;
import dev.whittle.runtime.kernels.KernelPath;
import dev.whittle.runtime.kernels.KernelRegistry;
import dev.whittle.runtime.kernels.reference.ConvParams;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The Java path's int8/uint8 CONV_2D ({@link Int8Conv2D}: im2col + the int8 GEMM micro-kernel)
 * against the reference kernels, bit for bit, through compiled single-op models: the Vector
 * API kernel dispatch picks and its plain-Java twin, on 1 and 3 intra-op threads. Sweeps
 * channels around the tile sizes, 1x1 (read in place) and 3x3/5x5 (im2col) filters, strides,
 * dilations, SAME/VALID padding, odd sizes, batch 2, zero points at both ends, saturating
 * and tiny multipliers, fused activations, with and without bias.
 */
class Int8ConvJavaPathTest {
    static final int[] SIZES = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 15, 16, 17, 31, 32, 33, 64, 65};

    /** One family's types: activation/weight type, per-channel weights, weight zero point. */
    record Flavor(KernelFamily<ConvKernelFactory> family, TensorType type, boolean perChannel, long weightZp) {
    }

    static final List<Flavor> FLAVORS = List.of(
            new Flavor(KernelRegistry.QS8_QC8W_CONV2D, TensorType.INT8, true, 0),
            new Flavor(KernelRegistry.QS8_CONV2D, TensorType.INT8, false, 0),
            new Flavor(KernelRegistry.QU8_CONV2D, TensorType.UINT8, false, 128),
            new Flavor(KernelRegistry.QU8_CONV2D, TensorType.UINT8, false, 3));

    /** Geometry of one case. */
    record Shape(int batch, int h, int w, int inC, int outC, int kh, int kw, int stride, int dil, boolean same) {
        int outH() {
            return outSize(h, kh, stride);
        }

        int outW() {
            return outSize(w, kw, stride);
        }

        private int outSize(int in, int k, int s) {
            int eff = (k - 1) * dil + 1;
            return same ? (in + s - 1) / s : (in + s - eff) / s;
        }
    }

    /**
     * Quantization of one case.
     *
     * @param extremes 0 random zero points, 1 and 2 the two ends of the range
     * @param scale 0 typical, 1 saturating (multiplier above 1), 2 tiny multiplier
     */
    record Quant(int extremes, int scale, int activation, boolean bias) {
    }

    @AfterEach
    void clearProperty() {
        System.clearProperty(KernelPath.PROPERTY);
    }

    static Model build(Flavor f, Shape s, Quant q, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        boolean u8 = f.type() == TensorType.UINT8;
        int lo = u8 ? 0 : -128;
        int hi = u8 ? 255 : 127;
        long inZp = switch (q.extremes()) {
            case 1 -> lo;
            case 2 -> hi;
            default -> r.nextInt(lo, hi + 1);
        };
        long outZp = switch (q.extremes()) {
            case 1 -> hi;
            case 2 -> lo;
            default -> r.nextInt(lo, hi + 1);
        };
        int taps = s.kh() * s.kw() * s.inC();
        float inScale = 0.02f;
        float[] wScales = new float[f.perChannel() ? s.outC() : 1];
        for (int i = 0; i < wScales.length; i++) {
            wScales[i] = (float) ((q.scale() == 1 ? 0.5 : 0.004) * (0.5 + r.nextDouble()));
        }
        float outScale = switch (q.scale()) {
            case 1 -> 0.01f;
            case 2 -> 1000f;
            default -> (float) (inScale * 0.004 * 70 * 70 * Math.sqrt(taps) / 128);
        };
        ModelBuilder b = new ModelBuilder("conv");
        int x = b.input("x", f.type(), Quantization.perTensor(inScale, inZp), s.batch(), s.h(), s.w(), s.inC());
        int count = s.outC() * taps;
        ByteBuffer wData = ByteBuffer.allocate(count);
        for (int i = 0; i < count; i++) {
            int v = u8 ? r.nextInt(256) : r.nextInt(-127, 128);
            if (q.extremes() != 0 && i % 5 == 0) {
                v = u8 ? (i % 2 == 0 ? 0 : 255) : (i % 2 == 0 ? -127 : 127);
            }
            wData.put(i, (byte) v);
        }
        Quantization wq = f.perChannel() ? Quantization.perAxis(wScales, new long[s.outC()], 0)
                : Quantization.perTensor(wScales[0], f.weightZp());
        int filter = b.constant("w", f.type(), wq, wData, s.outC(), s.kh(), s.kw(), s.inC());
        int bias = -1;
        if (q.bias()) {
            float[] bs = new float[wScales.length];
            for (int i = 0; i < bs.length; i++) {
                bs[i] = inScale * wScales[i];
            }
            Quantization bq = f.perChannel() ? Quantization.perAxis(bs, new long[s.outC()], 0)
                    : Quantization.perTensor(bs[0], 0);
            int[] bv = new int[s.outC()];
            for (int i = 0; i < bv.length; i++) {
                bv[i] = r.nextInt(-50_000, 50_000);
            }
            bias = b.constant("b", bv, bq, s.outC());
        }
        BuiltinOptions o = BuiltinOptions.of("Conv2DOptions").set("padding", s.same() ? 0 : 1)
                .set("stride_h", s.stride()).set("stride_w", s.stride())
                .set("dilation_h_factor", s.dil()).set("dilation_w_factor", s.dil())
                .set("fused_activation_function", q.activation());
        TensorSpec y = TensorSpec.quantized("y", f.type(), Quantization.perTensor(outScale, outZp), s.batch(), s.outH(),
                s.outW(), s.outC());
        b.output(b.op(BuiltinOperator.CONV_2D, 1, o, new int[] {x, filter, bias}, y)[0]);
        return b.build();
    }

    static TensorData input(Shape s, TensorType type, Quant q, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        int n = s.batch() * s.h() * s.w() * s.inC();
        ByteBuffer b = ByteBuffer.allocate(n).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < n; i++) {
            int v = r.nextInt(256);
            if (q.extremes() != 0 && i % 7 == 0) {
                v = i % 2 == 0 ? 0x80 : 0x7F;
            }
            b.put(i, (byte) v);
        }
        return new TensorData(type, new int[] {s.batch(), s.h(), s.w(), s.inC()}, b);
    }

    static CompiledModel compile(Model m, String path) {
        System.setProperty(KernelPath.PROPERTY, path);
        try {
            return CompiledModel.compile(m);
        } finally {
            System.clearProperty(KernelPath.PROPERTY);
        }
    }

    static byte[] invoke(CompiledModel c, TensorData x, int threads) {
        try (ExecutionContext ctx = c.newContext(threads)) {
            ctx.setInput(0, x);
            ctx.invoke();
            byte[] first = ctx.output(0).bytes();
            ctx.invoke();
            assertArrayEquals(first, ctx.output(0).bytes(), "second invoke differs");
            return first;
        }
    }

    /** Runs the plain-Java twin of the node's kernel in a context of the compiled java-path model. */
    static byte[] invokePlain(Flavor f, CompiledModel c, TensorData x, int threads) throws ReflectiveOperationException {
        ConvParams p = (ConvParams) c.nodePrepared(0);
        try (ExecutionContext ctx = c.newContext(threads)) {
            ctx.setInput(0, x);
            java.lang.reflect.Field field = ExecutionContext.class.getDeclaredField("state");
            field.setAccessible(true);
            ExecutionState state = (ExecutionState) field.get(ctx);
            ByteBuffer filter = state.buffer(p.filter()).slice(state.offset(p.filter()),
                    p.outC() * p.kh() * p.kw() * p.inC()).order(ByteOrder.LITTLE_ENDIAN);
            ByteBuffer bias = p.bias() < 0 ? null
                    : state.buffer(p.bias()).slice(state.offset(p.bias()), p.outC() * 4).order(ByteOrder.LITTLE_ENDIAN);
            Int8Conv2D plain = Int8Conv2D.create(f.family(), VectorizationProvider.plain(), p, filter, bias);
            assertNotNull(plain);
            assertTrue(plain.name().endsWith("__scalar"), plain.name());
            // The context sized its worker scratch for the dispatched kernel; the twin needs no more.
            assertTrue(plain.workerScratchBytes() <= ((Int8Conv2D) p.kernel()).workerScratchBytes());
            plain.run(p, state);
            return ctx.output(0).bytes();
        }
    }

    static String expectedName(Flavor f, Shape s) {
        VectorizationProvider v = VectorizationProvider.get();
        // One channel with per-axis scales is per-tensor quantization.
        KernelFamily<?> family = f.perChannel() && s.outC() == 1 ? KernelRegistry.QS8_CONV2D : f.family();
        return family.name() + "_gemm_4x" + v.int8Gemm().nr() + "__" + v.isa();
    }

    /** Every path of one case equal to the reference; returns the reference output. */
    static byte[] check(Flavor f, Shape s, Quant q, long seed) {
        Model m = build(f, s, q, seed);
        TensorData x = input(s, f.type(), q, seed + 1);
        String label = f.family() + (f.perChannel() ? "" : " wzp " + f.weightZp()) + " " + s + " " + q;
        CompiledModel ref = compile(m, "reference");
        assertTrue(OpProfile.kernelNames(ref).get(0).endsWith("__reference"), label);
        byte[] expected = invoke(ref, x, 1);
        CompiledModel java = compile(m, "java");
        assertEquals(expectedName(f, s), OpProfile.kernelNames(java).get(0), label + ": dispatched kernel");
        for (int threads : new int[] {1, 3}) {
            assertArrayEquals(expected, invoke(java, x, threads), label + " java, threads " + threads);
            try {
                assertArrayEquals(expected, invokePlain(f, java, x, threads), label + " plain twin, threads " + threads);
            } catch (ReflectiveOperationException e) {
                throw new AssertionError(e);
            }
        }
        return expected;
    }

    @Test
    void pointwiseChannelSweep() {
        int i = 0;
        for (int inC : SIZES) {
            for (int j = 0; j < 3; j++) {
                int outC = SIZES[(i * 7 + j * 5) % SIZES.length];
                Flavor f = FLAVORS.get(i % FLAVORS.size());
                int batch = i % 5 == 4 ? 2 : 1;
                check(f, new Shape(batch, 3 + i % 4, 5, inC, outC, 1, 1, 1, 1, true),
                        new Quant(i % 3, 0, i % 4, i % 6 != 5), 100 + i);
                i++;
            }
        }
    }

    @Test
    void spatialSweep() {
        Shape[] shapes = {
            new Shape(1, 7, 9, 3, 32, 3, 3, 2, 1, true), // a first layer, stride 2
            new Shape(1, 8, 8, 3, 16, 3, 3, 2, 1, false),
            new Shape(2, 5, 7, 5, 17, 3, 3, 1, 1, true),
            new Shape(1, 9, 10, 17, 33, 3, 3, 1, 2, true), // dilation 2
            new Shape(1, 10, 9, 4, 9, 3, 3, 1, 2, false),
            new Shape(1, 11, 11, 6, 15, 5, 5, 1, 1, true),
            new Shape(1, 9, 8, 7, 10, 5, 5, 2, 1, false),
            new Shape(1, 6, 7, 31, 31, 2, 4, 3, 1, true),
            new Shape(2, 6, 6, 16, 8, 1, 1, 2, 1, true), // 1x1 stride 2: im2col
            new Shape(1, 4, 4, 8, 65, 3, 3, 1, 1, true),
            new Shape(1, 1, 1, 5, 7, 3, 3, 1, 1, true), // every tap but the centre is padding
            new Shape(1, 9, 9, 64, 24, 3, 3, 1, 1, true), // K = 576: several row blocks
            new Shape(1, 20, 20, 8, 9, 1, 1, 1, 1, true), // 400 pixels: two row blocks in place
        };
        int i = 0;
        for (Shape s : shapes) {
            for (Flavor f : FLAVORS) {
                check(f, s, new Quant(i % 3, 0, i % 4, i % 5 != 4), 500 + i);
                i++;
            }
        }
    }

    @Test
    void saturatingAndTinyMultipliers() {
        int i = 0;
        for (Flavor f : FLAVORS) {
            for (int extremes = 0; extremes < 3; extremes++) {
                for (int scale = 1; scale <= 2; scale++) {
                    Shape s = i % 2 == 0 ? new Shape(1, 5, 5, 17, 33, 3, 3, 1, 1, true)
                            : new Shape(1, 4, 6, 33, 17, 1, 1, 1, 1, true);
                    byte[] out = check(f, s, new Quant(extremes, scale, i % 4, true), 900 + i);
                    if (scale == 1) {
                        // Saturating: some outputs sit at the ends of the type's range.
                        int lo = f.type() == TensorType.UINT8 ? 0 : -128;
                        int hi = f.type() == TensorType.UINT8 ? 255 : 127;
                        long at = 0;
                        for (byte v : out) {
                            int u = f.type() == TensorType.UINT8 ? v & 0xFF : v;
                            at += u == lo || u == hi ? 1 : 0;
                        }
                        assertTrue(at > 0, f + " " + extremes + " never saturates");
                    }
                    i++;
                }
            }
        }
    }

    @Test
    void javaPathIsRegistered() {
        for (Flavor f : FLAVORS) {
            assertTrue(KernelRegistry.available(f.family()).stream().anyMatch(e -> e.path() == KernelPath.JAVA),
                    f.family() + " has a java kernel");
        }
        if (ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent()) {
            assertTrue(VectorizationProvider.get().vectorized(), "the Vector API is loaded but not used");
        }
    }

    @Test
    void javaPathInvokeDoesNotAllocate() {
        List<Shape> shapes = new ArrayList<>(List.of(new Shape(1, 4, 4, 16, 8, 1, 1, 1, 1, true),
                new Shape(1, 5, 5, 3, 33, 3, 3, 2, 1, true)));
        for (Flavor f : List.of(FLAVORS.get(0), FLAVORS.get(2))) {
            for (Shape s : shapes) {
                CompiledModel compiled = compile(build(f, s, new Quant(0, 0, 0, true), 3), "java");
                assertEquals(expectedName(f, s), OpProfile.kernelNames(compiled).get(0));
                try (ExecutionContext c = compiled.newContext()) {
                    c.setInput(0, input(s, f.type(), new Quant(0, 0, 0, true), 4));
                    // Warm up until C2 has compiled the Vector API loops (intrinsics): the
                    // compiler threads share this machine (a loaded CI runner can take many
                    // seconds to get there), so measure rounds until one is clean, giving up
                    // after 60 s rather than after a fixed number of rounds.
                    com.sun.management.ThreadMXBean mx =
                            (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
                    long tid = Thread.currentThread().threadId();
                    long allocated = Long.MAX_VALUE;
                    long deadline = System.nanoTime() + 60_000_000_000L;
                    for (int round = 0; (round < 40 || System.nanoTime() < deadline) && allocated >= 4 * 1024; round++) {
                        for (int i = 0; i < 5_000; i++) {
                            c.invoke();
                        }
                        long before = mx.getThreadAllocatedBytes(tid);
                        for (int i = 0; i < 1000; i++) {
                            c.invoke();
                        }
                        allocated = mx.getThreadAllocatedBytes(tid) - before;
                    }
                    assertTrue(allocated < 4 * 1024, allocated + " bytes allocated by 1000 invokes of " + s);
                }
            }
        }
    }
}
