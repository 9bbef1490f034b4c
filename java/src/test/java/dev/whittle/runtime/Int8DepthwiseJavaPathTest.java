package dev.whittle.runtime;

import dev.whittle.TensorData;
import dev.whittle.internal.vectorization.Int8Depthwise;
import dev.whittle.internal.vectorization.Int8DepthwiseKernels;
import dev.whittle.internal.vectorization.Int8DepthwiseVectorization;
import dev.whittle.internal.vectorization.VectorizationProvider;
import dev.whittle.model.Model;
import dev.whittle.model.TensorType;
import dev.whittle.runtime.DepthwiseConvKernelPathsTest.Spec;
import dev.whittle.runtime.kernels.DepthwiseConvKernelFactory;
import dev.whittle.runtime.kernels.JavaDepthwiseConv;
import dev.whittle.runtime.kernels.KernelFamily;
import dev.whittle.runtime.kernels.KernelPath;
import dev.whittle.runtime.kernels.KernelRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The Java path's int8/uint8 DEPTHWISE_CONV_2D ({@link JavaDepthwiseConv} on
 * {@code Int8DepthwiseKernels}: {@code qs8_dwconv2d_minmax_16c__panama512} where the Vector API
 * runs, its plain-Java twin elsewhere) against the reference kernel, bit for bit, through
 * compiled single-op models in native memory with 1 and 3 intra-op threads; every run asserts
 * the dispatched kernel name. Sweeps: channels 1..70; depth multipliers 1, 2, 8 (the shuffled
 * layout, per channel block or several pixels per vector); few output channels over wide
 * rows (several pixels per vector); kernels 3x3 and 5x5; strides 1 and
 * 2; dilation 2; SAME and VALID; odd sizes; batch 2; zero points at both ends; saturating and
 * tiny requantization; per-tensor (qs8, qu8) and per-channel (qs8_qc8w); RELU6 and none; with
 * and without bias. Then the two {@link Int8DepthwiseKernels} against each other on random
 * calls, so the twin is tested where the Vector API runs, and no allocation per invoke.
 */
class Int8DepthwiseJavaPathTest {
    static final List<KernelFamily<DepthwiseConvKernelFactory>> FAMILIES = DepthwiseConvKernelPathsTest.FAMILIES;

    @AfterEach
    void clearProperty() {
        System.clearProperty(KernelPath.PROPERTY);
    }

    /** The reference's output, then the java path's with 1 and 3 threads, which must match. */
    static void check(KernelFamily<DepthwiseConvKernelFactory> family, Spec spec) {
        // VALID with a (dilated) filter larger than the input has no output: SAME instead.
        Spec s = spec.outH() >= 1 && spec.outW() >= 1 ? spec : new Spec(spec.batch(), spec.h(), spec.w(), spec.c(),
                spec.mult(), spec.kh(), spec.kw(), spec.sh(), spec.sw(), spec.dh(), spec.dw(), true, spec.act(),
                spec.bias(), spec.extremes(), spec.scale(), spec.seed());
        Model m = DepthwiseConvKernelPathsTest.build(family, s);
        // One per-axis scale is a per-tensor quantization: the op picks the qs8 family.
        KernelFamily<DepthwiseConvKernelFactory> dispatched =
                family == KernelRegistry.QS8_QC8W_DWCONV2D && s.c() * s.mult() == 1 ? KernelRegistry.QS8_DWCONV2D
                : family;
        TensorData input = Differential.randomInput(family == KernelRegistry.QU8_DWCONV2D ? TensorType.UINT8
                : TensorType.INT8, new int[] {s.batch(), s.h(), s.w(), s.c()}, s.seed() + 1);
        byte[] expected = DepthwiseConvKernelPathsTest.run(m, KernelPath.REFERENCE, 1,
                dispatched.name() + "__reference", input);
        String kernel = JavaDepthwiseConv.kernelName(dispatched);
        for (int threads : new int[] {1, 3}) {
            byte[] actual;
            try {
                actual = DepthwiseConvKernelPathsTest.run(m, KernelPath.JAVA, threads, kernel, input);
            } catch (AssertionError e) {
                throw new AssertionError(family + " " + s + ": " + e.getMessage(), e);
            }
            assertArrayEquals(expected, actual,
                    kernel + " (" + threads + " threads) differs from the reference on " + family + " " + s);
        }
    }

    @Test
    void kernelNameSaysVectorAPI() {
        String name = JavaDepthwiseConv.kernelName(KernelRegistry.QS8_QC8W_DWCONV2D);
        if (VectorizationProvider.get().vectorized()) {
            assertTrue(name.matches("qs8_qc8w_dwconv2d_minmax_(8|16)c__panama(256|512)"), name);
        } else {
            assertTrue(name.endsWith("__scalar"), name);
        }
    }

    @Test
    void channels1To70() {
        int i = 0;
        for (int c = 1; c <= 70; c++) {
            boolean key = c == 1 || c == 8 || c == 16 || c == 17 || c == 33 || c == 64;
            for (int f = 0; f < FAMILIES.size(); f++) {
                if (!key && f != c % FAMILIES.size()) {
                    continue;
                }
                boolean k5 = i % 4 == 3;
                int stride = 1 + i % 2;
                int dil = i % 5 == 4 ? 2 : 1;
                Spec s = new Spec(1 + (i % 6 == 0 ? 1 : 0), 5 + i % 4, 7 + i % 5, c, 1, k5 ? 5 : 3, k5 ? 5 : 3, stride,
                        stride, dil, dil, i % 3 != 0, i % 2 == 0 ? 3 : 0, i % 5 != 1, i % 3,
                        i % 7 == 5 ? 1 : i % 7 == 6 ? 2 : 0, 7000 + i);
                check(FAMILIES.get(f), s);
                i++;
            }
        }
    }

    @Test
    void depthMultipliers() {
        int i = 0;
        for (KernelFamily<DepthwiseConvKernelFactory> family : FAMILIES) {
            for (int mult : new int[] {1, 2, 8}) {
                for (int inC : new int[] {1, 2, 3, 8, 9, 17}) {
                    boolean k5 = i % 4 == 2;
                    int stride = 1 + i % 2;
                    int dil = i % 5 == 3 ? 2 : 1;
                    Spec s = new Spec(1 + (i % 5 == 0 ? 1 : 0), 9 + i % 3, 11 + i % 4, inC, mult, k5 ? 5 : 3,
                            k5 ? 5 : 3, stride, stride, dil, dil, i % 3 != 1, i % 2 == 1 ? 3 : 0, i % 4 != 3, i % 3,
                            i % 6 == 4 ? 1 : i % 6 == 5 ? 2 : 0, 8000 + i);
                    check(family, s);
                    i++;
                }
            }
        }
    }

    @Test
    void fewChannelsWideRows() {
        // Output channels dividing the lanes: several pixels per vector (multiplier 1 at stride 1;
        // multipliers above 1 at strides 1 and 2), with a partial group at the end of the
        // interior and border pixels on both sides.
        int i = 0;
        for (KernelFamily<DepthwiseConvKernelFactory> family : FAMILIES) {
            for (int[] cm : new int[][] {{1, 1}, {2, 1}, {4, 1}, {8, 1}, {16, 1}, {1, 8}, {1, 2}, {1, 4}, {2, 4},
                {2, 2}, {4, 2}, {3, 2}, {1, 16}}) {
                for (boolean same : new boolean[] {true, false}) {
                    int dil = i % 4 == 3 ? 2 : 1;
                    boolean k5 = i % 3 == 2;
                    int stride = cm[1] > 1 ? 1 + i % 2 : i % 5 == 4 ? 2 : 1;
                    Spec s = new Spec(1 + (i % 4 == 1 ? 1 : 0), 7 + i % 3, 23 + i % 9, cm[0], cm[1], k5 ? 5 : 3,
                            k5 ? 5 : 3, stride, stride, dil, dil, same, i % 2 == 0 ? 3 : 0, i % 3 != 1, i % 3,
                            i % 5 == 2 ? 1 : i % 5 == 3 ? 2 : 0, 9000 + i);
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
                    int c = new int[] {8, 17, 33}[(i + extremes) % 3];
                    Spec s = new Spec(2, 7, 9, c, i % 4 == 3 ? 2 : 1, 3, 3, 1, 1, 1, 1, true, i % 2 == 0 ? 3 : 0,
                            i % 2 == 0, extremes, scale, 9500 + i);
                    check(family, s);
                    i++;
                }
            }
        }
    }

    @Test
    void personDetectShapes() {
        // person_detect's first two depthwise nodes at full width: 1 channel x 8 stride 2, then 8 channels.
        int i = 0;
        for (KernelFamily<DepthwiseConvKernelFactory> family : FAMILIES) {
            for (int[] g : new int[][] {{96, 1, 8, 2}, {48, 8, 1, 1}}) {
                check(family, new Spec(1, g[0] / 3, g[0], g[1], g[2], 3, 3, g[3], g[3], 1, 1, true, 3, true, i % 3,
                        0, 9800 + i));
                i++;
            }
        }
    }

    /**
     * After warm-up an invoke allocates nothing: the Vector API loops are compiled with every
     * vector in registers (a vector crossing a call C2 did not inline is boxed on the heap;
     * which loops were hot first once decided that). Three layouts in one JVM, after the
     * sweeps above have profiled all of them: grouped contiguous (8 channels), grouped shuffle
     * (1 channel x 8, stride 2), channel blocks (33 channels, uint8).
     */
    @Test
    void javaPathInvokeDoesNotAllocate() {
        List<Object[]> nodes = List.of(
                new Object[] {KernelRegistry.QS8_QC8W_DWCONV2D, new Spec(1, 6, 21, 8, 1, 3, 3, 1, 1, 1, 1, true, 3,
                        true, 0, 0, 11)},
                new Object[] {KernelRegistry.QS8_DWCONV2D, new Spec(1, 6, 22, 1, 8, 3, 3, 2, 2, 1, 1, true, 3, true, 1,
                        0, 12)},
                new Object[] {KernelRegistry.QU8_DWCONV2D, new Spec(1, 5, 9, 33, 1, 3, 3, 1, 1, 1, 1, true, 0, true, 2,
                        0, 13)});
        com.sun.management.ThreadMXBean mx =
                (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        long tid = Thread.currentThread().threadId();
        for (Object[] node : nodes) {
            @SuppressWarnings("unchecked")
            KernelFamily<DepthwiseConvKernelFactory> family = (KernelFamily<DepthwiseConvKernelFactory>) node[0];
            Spec s = (Spec) node[1];
            System.setProperty(KernelPath.PROPERTY, KernelPath.JAVA.label());
            CompiledModel compiled = CompiledModel.compile(DepthwiseConvKernelPathsTest.build(family, s));
            System.clearProperty(KernelPath.PROPERTY);
            assertTrue(OpProfile.kernelNames(compiled).get(0).equals(JavaDepthwiseConv.kernelName(family)),
                    OpProfile.kernelNames(compiled).toString());
            try (ExecutionContext c = compiled.newContext()) {
                c.setInput(0, Differential.randomInput(family == KernelRegistry.QU8_DWCONV2D ? TensorType.UINT8
                        : TensorType.INT8, new int[] {s.batch(), s.h(), s.w(), s.c()}, 5));
                // Rounds until one is clean (C2 compiles on threads that share a loaded
                // machine), giving up after 60 s, as Int8ConvJavaPathTest does.
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
                assertTrue(allocated < 4 * 1024, allocated + " bytes allocated by 1000 invokes of " + family + " " + s);
            }
        }
    }

    /**
     * The Vector API kernels and the plain-Java twin on the same random calls: every layout,
     * interior and border tap lists, 1 to 4 pixel groups, partial output widths.
     */
    @Test
    void twinsAgree() {
        Int8DepthwiseKernels fast = Int8DepthwiseVectorization.get();
        Int8DepthwiseKernels plain = Int8DepthwiseVectorization.plain();
        SplittableRandom r = new SplittableRandom(42);
        try (Arena arena = Arena.ofConfined()) {
            int inBytes = 1 << 16;
            MemorySegment in = arena.allocate(inBytes);
            for (int i = 0; i < inBytes; i++) {
                in.set(ValueLayout.JAVA_BYTE, i, (byte) r.nextInt(256));
            }
            MemorySegment outA = arena.allocate(4096);
            MemorySegment outB = arena.allocate(4096);
            for (int iter = 0; iter < 400; iter++) {
                int lanes = fast.lanes();
                int inC = 1 + r.nextInt(40);
                int mult = new int[] {1, 1, 2, 3, 4, 8}[r.nextInt(6)];
                if (iter % 7 == 0) {
                    inC = 1;
                } else if (iter % 7 == 1) {
                    inC = 1 + r.nextInt(4);
                }
                int stride = 1 + r.nextInt(2);
                boolean grouped = r.nextInt(3) != 0;
                int taps = 1 + r.nextInt(25);
                boolean unsigned = r.nextBoolean();
                int outC = inC * mult;
                byte[] filter = new byte[taps * outC];
                for (int i = 0; i < filter.length; i++) {
                    filter[i] = (byte) r.nextInt(256);
                }
                int[] bias = new int[outC];
                int[] mults = new int[outC];
                int[] shifts = new int[outC];
                for (int o = 0; o < outC; o++) {
                    bias[o] = r.nextInt(-100_000, 100_000);
                    mults[o] = r.nextInt(1 << 30, Integer.MAX_VALUE);
                    shifts[o] = r.nextInt(-14, 3);
                }
                int io = unsigned ? -r.nextInt(256) : -r.nextInt(-128, 128);
                int fo = unsigned ? -r.nextInt(256) : 0;
                int oo = unsigned ? r.nextInt(256) : r.nextInt(-128, 128);
                int actMin = unsigned ? r.nextInt(64) : r.nextInt(-128, -64);
                int actMax = unsigned ? 255 - r.nextInt(64) : r.nextInt(64, 128);
                int group = grouped ? Int8Depthwise.group(lanes, inC, mult, stride) : 1;
                Int8Depthwise da = Int8Depthwise.pack(fast, filter, taps, inC, mult, group, stride, unsigned, bias, io,
                        fo, oo, mults, shifts, actMin, actMax);
                Int8Depthwise db = Int8Depthwise.pack(plain, filter, taps, inC, mult,
                        grouped ? Int8Depthwise.group(plain.lanes(), inC, mult, stride) : 1, stride, unsigned, bias, io,
                        fo, oo, mults, shifts, actMin, actMax);
                int width = Math.min(da.width(), db.width());
                int pixels = 1 + r.nextInt(Int8DepthwiseKernels.MAX_PIXELS);
                int used = 1 + r.nextInt(taps);
                boolean interior = used == taps && r.nextBoolean();
                int nTaps = interior ? taps : used;
                long[] tapIn = new long[nTaps];
                int[] tapWa = new int[nTaps];
                int[] tapWb = new int[nTaps];
                for (int t = 0; t < nTaps; t++) {
                    int tap = interior ? t : r.nextInt(taps);
                    tapIn[t] = r.nextInt(4096);
                    tapWa[t] = tap * da.cp();
                    tapWb[t] = tap * db.cp();
                }
                long inStep = width + r.nextInt(64);
                // Sometimes up to the very end of the input: the fast kernel must not read past inEnd.
                long inOff = iter % 5 == 0 ? inBytes - 4096 - 3 * inStep - width : r.nextInt(40_000);
                outA.fill((byte) 0);
                outB.fill((byte) 0);
                fast.run(da, pixels, in, inBytes, inOff, inStep, tapIn, tapWa, nTaps, interior, outA, 0, width,
                        width, new Int8DepthwiseKernels.Scratch(da.cp(), fast.lanes()));
                plain.run(db, pixels, in, inBytes, inOff, inStep, tapIn, tapWb, nTaps, interior, outB, 0, width,
                        width, new Int8DepthwiseKernels.Scratch(db.cp(), plain.lanes()));
                assertArrayEquals(outB.toArray(ValueLayout.JAVA_BYTE), outA.toArray(ValueLayout.JAVA_BYTE),
                        "iteration " + iter + ": inC " + inC + " mult " + mult + " group " + da.group() + "/"
                        + db.group() + " stride " + stride + " taps " + nTaps
                        + " pixels " + pixels + " unsigned " + unsigned);
            }
        }
    }
}
