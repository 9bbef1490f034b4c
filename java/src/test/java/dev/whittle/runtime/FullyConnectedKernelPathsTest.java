package dev.whittle.runtime;

import dev.whittle.InvalidInputException;
import dev.whittle.internal.vectorization.VectorizationProvider;
import dev.whittle.model.BuiltinOperator;
import dev.whittle.model.BuiltinOptions;
import dev.whittle.model.ModelBuilder;
import dev.whittle.model.ModelBuilder.TensorSpec;
import dev.whittle.model.Model;
import dev.whittle.model.Quantization;
import dev.whittle.model.TensorType;
import dev.whittle.runtime.kernels.Int8FullyConnected;
import dev.whittle.runtime.kernels.KernelEntry;
import dev.whittle.runtime.kernels.KernelFamily;
import dev.whittle.runtime.kernels.KernelPath;
import dev.whittle.runtime.kernels.KernelRegistry;
import dev.whittle.runtime.kernels.QuantizedFullyConnectedFactory;
import dev.whittle.runtime.kernels.WorkerScratch;
import dev.whittle.runtime.kernels.reference.FullyConnectedReference;
import dev.whittle.runtime.kernels.reference.FullyConnectedReference.QuantParams;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.ref.Reference;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every registered FULLY_CONNECTED int8/uint8 kernel path (and the Java path's plain twin)
 * against the reference kernel, bit for bit, on sweeps of shapes around the tile and block
 * sizes, zero points at both ends and saturating requantization, on 1 and 3 intra-op threads;
 * and dispatch through {@code -Dwhittle.kernels}.
 */
class FullyConnectedKernelPathsTest {
    static final int[] SIZES = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 15, 16, 17, 31, 32, 33, 64, 65};
    static final List<KernelFamily<QuantizedFullyConnectedFactory>> FAMILIES = List.of(
            KernelRegistry.QS8_FULLY_CONNECTED, KernelRegistry.QS8_QC8W_FULLY_CONNECTED,
            KernelRegistry.QU8_FULLY_CONNECTED);

    @AfterEach
    void clearProperty() {
        System.clearProperty(KernelPath.PROPERTY);
    }

    /** One node's tensors: 0 input, 1 weights, 2 bias, 3 output. */
    record Case(String label, QuantParams p, ByteBuffer input, ByteBuffer weights, ByteBuffer bias) {
        byte[] run(Kernel<QuantParams> k) {
            byte[] first = run(k, 1);
            if (k instanceof WorkerScratch) {
                assertArrayEquals(first, run(k, 3), label + ": " + k.name() + " on 3 threads differs");
            }
            return first;
        }

        /**
         * Runs {@code k} as a context would: input and output in native memory (direct
         * buffers), per-worker native scratch of the size the kernel asks for, and
         * {@code threads} intra-op workers.
         */
        byte[] run(Kernel<QuantParams> k, int threads) {
            ByteBuffer out = ByteBuffer.allocateDirect(p.batches() * p.outFeatures()).order(ByteOrder.LITTLE_ENDIAN);
            ByteBuffer[] buffers = {input, weights, bias, out};
            ExecutionState s = new ExecutionState(buffers, new int[4]);
            long stride = k instanceof WorkerScratch ws ? (ws.workerScratchBytes() + 63) / 64 * 64 : 64;
            MemorySegment scratch = Arena.ofAuto().allocate(stride * threads, 64);
            IntraOpPool pool = threads > 1 ? new IntraOpPool(threads, "fc-test") : null;
            try {
                s.attachNative(new long[] {MemorySegment.ofBuffer(input).address(), 0, 0,
                    MemorySegment.ofBuffer(out).address()}, new long[0], scratch.address(), stride, pool);
                k.run(p, s);
                // A second invoke on the same scratch must give the same bytes.
                byte[] first = new byte[out.capacity()];
                out.get(0, first);
                k.run(p, s);
                byte[] second = new byte[out.capacity()];
                out.get(0, second);
                assertArrayEquals(first, second, label + ": " + k.name() + " second invoke differs");
                return first;
            } finally {
                if (pool != null) {
                    pool.close();
                }
                // The kernels got only the scratch's address: without this fence the JIT may
                // consider the segment dead after attachNative, and the GC free it while a
                // kernel still writes there (heap corruption: a libc crash or a different
                // second invoke, seen once in a few runs under load).
                Reference.reachabilityFence(scratch);
            }
        }
    }

    static Case makeCase(KernelFamily<?> family, int batches, int k, int n, long seed, int extremes,
            boolean saturate, boolean withBias) {
        SplittableRandom r = new SplittableRandom(seed);
        boolean u8 = family == KernelRegistry.QU8_FULLY_CONNECTED;
        boolean perChannel = family == KernelRegistry.QS8_QC8W_FULLY_CONNECTED;
        int lo = u8 ? 0 : -128;
        int hi = u8 ? 255 : 127;
        // Zero points: random, or both ends of the type's range.
        int inZp = switch (extremes) {
            case 1 -> lo;
            case 2 -> hi;
            default -> r.nextInt(lo, hi + 1);
        };
        int wZp = perChannel ? 0 : switch (extremes) {
            case 1 -> hi;
            case 2 -> lo;
            default -> u8 ? r.nextInt(lo, hi + 1) : 0;
        };
        int outZp = extremes == 0 ? r.nextInt(lo, hi + 1) : (extremes == 1 ? hi : lo);
        ByteBuffer input = ByteBuffer.allocateDirect(batches * k).order(ByteOrder.LITTLE_ENDIAN);
        ByteBuffer weights = ByteBuffer.allocate(n * k).order(ByteOrder.LITTLE_ENDIAN);
        ByteBuffer bias = ByteBuffer.allocate(n * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < batches * k; i++) {
            // Some rows at the extremes of the range, the rest random.
            int v = extremes != 0 && i % 7 == 0 ? (i % 2 == 0 ? lo : hi) : r.nextInt(lo, hi + 1);
            input.put(i, (byte) v);
        }
        for (int i = 0; i < n * k; i++) {
            int v = perChannel ? r.nextInt(-127, 128) : r.nextInt(lo, hi + 1);
            weights.put(i, (byte) v);
        }
        for (int o = 0; o < n; o++) {
            bias.putInt(o * 4, r.nextInt(-(1 << 16), 1 << 16));
        }
        int[] multipliers = new int[n];
        int[] shifts = new int[n];
        for (int o = 0; o < n; o++) {
            // A scale that keeps typical sums in range, or (saturate) one that overflows the
            // output type; sometimes a left shift, which wraps in ruy's output stage.
            multipliers[o] = r.nextInt(1 << 30, Integer.MAX_VALUE);
            int typical = 31 - Integer.numberOfLeadingZeros(Math.max(1, 128 * 128 * (int) Math.sqrt(k)));
            shifts[o] = saturate ? r.nextInt(-4, 8) : -typical + 6 - r.nextInt(0, 3);
            if (perChannel == false && family != KernelRegistry.QS8_QC8W_FULLY_CONNECTED) {
                multipliers[o] = multipliers[0];
                shifts[o] = shifts[0];
            }
        }
        int actMin = lo;
        int actMax = hi;
        if (r.nextInt(3) == 0) {
            // A fused RELU6-like range strictly inside the type's range.
            actMin = Math.max(lo, outZp);
            actMax = Math.min(hi, outZp + 60);
        }
        QuantParams p = new QuantParams(0, 1, withBias ? 2 : -1, false, 3, batches, k, n, -inZp, -wZp, outZp,
                multipliers, shifts, null, actMin, actMax);
        String label = family + " " + batches + "x" + k + "->" + n + " zp " + inZp + "/" + wZp + "/" + outZp
                + (saturate ? " saturating" : "") + (withBias ? "" : " no bias") + " seed " + seed;
        return new Case(label, p, input, weights, bias);
    }

    static Kernel<QuantParams> reference(KernelFamily<?> family) {
        return family == KernelRegistry.QS8_FULLY_CONNECTED ? FullyConnectedReference.QS8
                : family == KernelRegistry.QS8_QC8W_FULLY_CONNECTED ? FullyConnectedReference.QS8_QC8W
                : FullyConnectedReference.QU8;
    }

    /** Every kernel under test for a case: each available registry entry, plus the Java path's plain twin. */
    static List<Kernel<QuantParams>> kernels(KernelFamily<QuantizedFullyConnectedFactory> family, Case c,
            boolean constantBias) {
        List<Kernel<QuantParams>> out = new ArrayList<>();
        ByteBuffer bias = constantBias && c.p().bias() >= 0 ? c.bias() : null;
        for (KernelEntry<QuantizedFullyConnectedFactory> e : KernelRegistry.available(family)) {
            // A factory may refuse a node (the native GEMM kernels want a constant bias).
            Kernel<QuantParams> k = e.factory().create(c.p(), c.weights(), bias);
            if (k == null) {
                continue;
            }
            // With a constant (or no) bias every non-reference path runs its own kernel.
            assertTrue(e.path() == KernelPath.REFERENCE || (bias == null && c.p().bias() >= 0)
                    || !k.name().endsWith("__reference"), k.name() + " for " + e.path());
            out.add(k);
        }
        Kernel<QuantParams> plain = Int8FullyConnected.create(family, VectorizationProvider.plain(), c.p(), c.weights(),
                bias);
        assertTrue((bias == null && c.p().bias() >= 0) || plain.name().endsWith("__scalar"), plain.name());
        out.add(plain);
        return out;
    }

    static int checkAll(KernelFamily<QuantizedFullyConnectedFactory> family, Case c, boolean constantBias) {
        byte[] expected = c.run(reference(family));
        int n = 0;
        for (Kernel<QuantParams> k : kernels(family, c, constantBias)) {
            assertArrayEquals(expected, c.run(k), k.name() + " differs from the reference on " + c.label());
            n++;
        }
        return n;
    }

    @Test
    void everyPathMatchesTheReferenceOnShapeSweeps() {
        int cases = 0;
        for (KernelFamily<QuantizedFullyConnectedFactory> family : FAMILIES) {
            int i = 0;
            for (int k : SIZES) {
                for (int n : SIZES) {
                    int batches = 1 + i % 5;
                    Case c = makeCase(family, batches, k, n, 1000L * k + n, i % 3, i % 11 == 0, i % 13 != 0);
                    cases += checkAll(family, c, i % 4 != 0);
                    i++;
                }
            }
        }
        assertTrue(cases > 3 * SIZES.length * SIZES.length, "ran " + cases);
    }

    @Test
    void classifierShapes() {
        for (KernelFamily<QuantizedFullyConnectedFactory> family : FAMILIES) {
            // MobileNet v1 0.25's classifier (256 -> 1001), and 1001 inputs onto 256 outputs.
            checkAll(family, makeCase(family, 1, 256, 1001, 7, 0, false, true), true);
            checkAll(family, makeCase(family, 2, 1001, 256, 8, 1, false, true), true);
            checkAll(family, makeCase(family, 3, 1001, 257, 9, 2, true, true), false);
        }
    }

    @Test
    void saturationAtBothEnds() {
        for (KernelFamily<QuantizedFullyConnectedFactory> family : FAMILIES) {
            for (int extremes = 0; extremes < 3; extremes++) {
                for (int k : new int[] {1, 17, 64, 65}) {
                    Case c = makeCase(family, 3, k, 33, 31L * k + extremes, extremes, true, true);
                    byte[] expected = c.run(reference(family));
                    checkAll(family, c, true);
                    // The case does saturate: some outputs sit at the clamps.
                    int at = 0;
                    for (byte b : expected) {
                        int v = family == KernelRegistry.QU8_FULLY_CONNECTED ? b & 0xFF : b;
                        at += v == c.p().actMin() || v == c.p().actMax() ? 1 : 0;
                    }
                    assertTrue(at > 0, c.label() + " never saturates");
                }
            }
        }
    }

    @Test
    void javaPathIsRegisteredAndNamed() {
        for (KernelFamily<QuantizedFullyConnectedFactory> family : FAMILIES) {
            List<KernelEntry<QuantizedFullyConnectedFactory>> all = KernelRegistry.available(family);
            assertEquals(KernelPath.REFERENCE, all.get(0).path(), family + ": the reference comes first");
            assertTrue(all.stream().anyMatch(e -> e.path() == KernelPath.JAVA), family + " has a java kernel");
            Case c = makeCase(family, 1, 16, 4, 1, 0, false, true);
            String name = KernelRegistry.select(family, Set.of(KernelPath.REFERENCE, KernelPath.JAVA)).factory()
                    .create(c.p(), c.weights(), c.bias()).name();
            assertEquals(family + "_gemm_4x" + VectorizationProvider.get().int8Gemm().nr() + "__"
                    + VectorizationProvider.get().isa(), name);
        }
        if (ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent()) {
            assertTrue(VectorizationProvider.get().vectorized(), "the Vector API is loaded but not used");
        }
    }

    static Model fcModel(TensorType type, boolean perChannel) {
        ModelBuilder b = new ModelBuilder("fc");
        int units = 5;
        int cols = 17;
        long zp = type == TensorType.UINT8 ? 128 : 0;
        int x = b.input("x", type, Quantization.perTensor(0.05f, type == TensorType.UINT8 ? 3 : -3), 2, cols);
        byte[] wv = new byte[units * cols];
        new SplittableRandom(3).nextBytes(wv);
        for (int i = 0; i < wv.length; i++) {
            wv[i] = wv[i] == -128 ? 0 : wv[i];
        }
        Quantization wq = perChannel ? Quantization.perAxis(new float[] {0.01f, 0.02f, 0.03f, 0.04f, 0.05f},
                new long[units], 0) : Quantization.perTensor(0.02f, zp);
        int w = type == TensorType.UINT8 ? b.constant("w", TensorType.UINT8, wq, ByteBuffer.wrap(wv), units, cols)
                : b.constant("w", wv, wq, units, cols);
        TensorSpec y = TensorSpec.quantized("y", type, Quantization.perTensor(0.3f, 1), 2, units);
        b.output(b.op(BuiltinOperator.FULLY_CONNECTED, 11, BuiltinOptions.of("FullyConnectedOptions"),
                new int[] {x, w, -1}, y)[0]);
        return b.build();
    }

    @Test
    void propertyForcesThePath() {
        Model m = fcModel(TensorType.INT8, true);
        System.setProperty(KernelPath.PROPERTY, "reference");
        assertEquals(List.of("qs8_qc8w_fully_connected__reference"), OpProfile.kernelNames(CompiledModel.compile(m)));
        System.setProperty(KernelPath.PROPERTY, "java");
        String java = OpProfile.kernelNames(CompiledModel.compile(m)).get(0);
        assertTrue(java.startsWith("qs8_qc8w_fully_connected_gemm_4x"), java);
        // The native path: the GEMM kernel where this machine has one, else the reference.
        System.setProperty(KernelPath.PROPERTY, "native");
        String nativeName = OpProfile.kernelNames(CompiledModel.compile(m)).get(0);
        boolean hasNative = KernelRegistry.available(KernelRegistry.QS8_QC8W_FULLY_CONNECTED).stream()
                .anyMatch(e -> e.path().isNative());
        if (hasNative) {
            assertTrue(nativeName.startsWith("qs8_qc8w_fully_connected_gemm_")
                    && (nativeName.endsWith("__avx2") || nativeName.endsWith("__avx512vnni")), nativeName);
        } else {
            assertEquals("qs8_qc8w_fully_connected__reference", nativeName);
        }
        System.clearProperty(KernelPath.PROPERTY);
        assertEquals(hasNative ? nativeName : java, OpProfile.kernelNames(CompiledModel.compile(m)).get(0),
                "default = fastest available");
        System.setProperty(KernelPath.PROPERTY, "sse9");
        InvalidInputException e = assertThrows(InvalidInputException.class, () -> CompiledModel.compile(m));
        assertTrue(e.getMessage().contains("whittle.kernels=sse9"), e.getMessage());
    }

    @Test
    void everyPathMatchesTfliteThroughTheOp() {
        for (String path : new String[] {"reference", "java", "avx2", "avx512vnni"}) {
            if (path.startsWith("avx") && KernelRegistry.available(KernelRegistry.QS8_FULLY_CONNECTED).stream()
                    .noneMatch(e -> e.path().label().equals(path))) {
                continue;
            }
            System.setProperty(KernelPath.PROPERTY, path);
            Differential.compare("FC qs8_qc8w on " + path, fcModel(TensorType.INT8, true), 5);
            Differential.compare("FC qs8 on " + path, fcModel(TensorType.INT8, false), 6);
            Differential.compare("FC qu8 on " + path, fcModel(TensorType.UINT8, false), 7);
        }
    }

    @Test
    void javaPathInvokeDoesNotAllocate() {
        System.setProperty(KernelPath.PROPERTY, "java");
        for (TensorType type : new TensorType[] {TensorType.INT8, TensorType.UINT8}) {
            CompiledModel compiled = CompiledModel.compile(fcModel(type, type == TensorType.INT8));
            assertTrue(OpProfile.kernelNames(compiled).get(0).contains("__"), "a java kernel");
            try (ExecutionContext c = compiled.newContext()) {
                c.setInput(0, Differential.randomInput(type, new int[] {2, 17}, 1));
                // The Vector API allocates its vectors until C2 compiles the loop (intrinsics):
                // warm up first, as a server would be.
                for (int i = 0; i < 30_000; i++) {
                    c.invoke();
                }
                com.sun.management.ThreadMXBean mx =
                        (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
                long tid = Thread.currentThread().threadId();
                long before = mx.getThreadAllocatedBytes(tid);
                for (int i = 0; i < 1000; i++) {
                    c.invoke();
                }
                long allocated = mx.getThreadAllocatedBytes(tid) - before;
                // A few hundred bytes of slack for the measurement itself; one allocation per
                // invoke would be at least 16 000.
                assertTrue(allocated < 4 * 1024, allocated + " bytes allocated by 1000 " + type + " invokes");
            }
        }
    }

    @Test
    void allowedPaths() {
        assertEquals(Set.of(KernelPath.values()), KernelPath.allowed(null));
        assertEquals(Set.of(KernelPath.values()), KernelPath.allowed("auto"));
        assertEquals(Set.of(KernelPath.REFERENCE), KernelPath.allowed("reference"));
        assertEquals(Set.of(KernelPath.REFERENCE, KernelPath.JAVA, KernelPath.AVX2), KernelPath.allowed("AVX2"));
        Set<KernelPath> nat = KernelPath.allowed("native");
        assertTrue(nat.contains(KernelPath.AVX512VNNI) && nat.contains(KernelPath.NEON));
        assertFalse(nat.contains(KernelPath.JAVA));
    }
}
