package dev.whittle.runtime;

import dev.whittle.TensorData;
import dev.whittle.internal.vectorization.Int16AddLoops;
import dev.whittle.model.BuiltinOperator;
import dev.whittle.model.Model;
import dev.whittle.model.TensorType;
import dev.whittle.runtime.kernels.KernelPath;
import dev.whittle.testing.QuantizedAddReference;
import dev.whittle.testing.SharedData;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static dev.whittle.testing.QuantizedAddReference.expected;
import static dev.whittle.testing.QuantizedAddReference.int16Input;
import static dev.whittle.testing.QuantizedAddReference.multiplier;

/**
 * The native int16 ADD/SUB kernels ({@code qs16_add_8__avx2}, {@code qs16_add_16__avx512vnni},
 * {@code qs16_sub_*}, kernels/qs16_add_*) on every path this CPU runs: called directly against
 * the reference arithmetic ({@link QuantizedAddReference}) on 6000 random constant sets (multipliers
 * anywhere in int32 but MIN_VALUE, every exponent 0..31 on each side and the output, left
 * shifts 0..31, zero and random offsets, clamps narrower than int16), inputs at -32768/32767
 * and random, lengths 1..70 (every tail), either operand scalar, unaligned starts; every
 * int16 input against every third exponent; and as graph nodes (sizes 1..65 and 320, scalar
 * and per-channel broadcasts, a constant operand, fused activations, 1 and 3 threads) on
 * every path against the reference path, asserting the dispatched kernel's name.
 */
class Qs16AddNativeTest {
    @AfterEach
    void clearProperty() {
        System.clearProperty(KernelPath.PROPERTY);
    }

    /** The native paths of the family this CPU runs, with their kernel-name suffixes. */
    private static List<String[]> nativePaths() {
        return QuantizedAddNativeHarness.nativePaths("_8__avx2", "_16__avx512vnni", "whittle_qs16_add_8__avx2");
    }

    private static short[] call(MethodHandle h, short[] x, short[] y, boolean aScalar, boolean bScalar, int len,
            Int16AddLoops.Int16AddParams q) throws Throwable {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment p = QuantizedAddNativeHarness.params(arena, q);
            // Unaligned starts, and exactly the elements read (a read past the end would show under ASan only).
            MemorySegment a = arena.allocate(2L * x.length + 2, 64).asSlice(2);
            MemorySegment b = arena.allocate(2L * y.length + 6, 64).asSlice(6);
            MemorySegment o = arena.allocate(2L * len + 4 + 16, 64).asSlice(4);
            MemorySegment.copy(x, 0, a, ValueLayout.JAVA_SHORT_UNALIGNED, 0, x.length);
            MemorySegment.copy(y, 0, b, ValueLayout.JAVA_SHORT_UNALIGNED, 0, y.length);
            for (int i = 0; i < 8; i++) {
                o.set(ValueLayout.JAVA_SHORT_UNALIGNED, 2L * (len + i), (short) 0x5A5A);
            }
            h.invokeExact(p.address(), a.address(), aScalar ? 0L : 1L, b.address(), bScalar ? 0L : 1L, o.address(),
                    (long) len);
            for (int i = 0; i < 8; i++) {
                assertEquals((short) 0x5A5A, o.get(ValueLayout.JAVA_SHORT_UNALIGNED, 2L * (len + i)), "wrote past the end");
            }
            short[] r = new short[len];
            MemorySegment.copy(o, ValueLayout.JAVA_SHORT_UNALIGNED, 0, r, 0, len);
            return r;
        }
    }

    @Test
    void kernelsMatchReferenceArithmetic() throws Throwable {
        List<String[]> paths = nativePaths();
        for (String[] path : paths) {
            MethodHandle add = QuantizedAddNativeHarness.handle("qs16_add" + path[1]);
            MethodHandle sub = QuantizedAddNativeHarness.handle("qs16_sub" + path[1]);
            SplittableRandom r = new SplittableRandom(42);
            for (int it = 0; it < 6000; it++) {
                int ls = it % 3 == 0 ? r.nextInt(32) : 15;
                boolean zeroOffsets = it % 2 == 0;
                int min = it % 4 == 0 ? r.nextInt(-32768, 0) : Short.MIN_VALUE;
                int max = it % 4 == 0 ? r.nextInt(0, 32768) : Short.MAX_VALUE;
                boolean subtract = r.nextBoolean();
                Int16AddLoops.Int16AddParams q = new Int16AddLoops.Int16AddParams(subtract, ls,
                        zeroOffsets ? 0 : r.nextInt(-40000, 40000), multiplier(r), it % 32,
                        zeroOffsets ? 0 : r.nextInt(-40000, 40000), multiplier(r), r.nextInt(32),
                        multiplier(r), it % 5 == 0 ? (it / 5) % 32 : r.nextInt(12),
                        zeroOffsets ? 0 : r.nextInt(-40000, 40000), min, max);
                int len = 1 + it % 70;
                boolean aScalar = it % 7 == 3;
                boolean bScalar = it % 5 == 2;
                short[] x = new short[aScalar ? 1 : len];
                short[] y = new short[bScalar ? 1 : len];
                for (int i = 0; i < x.length; i++) {
                    x[i] = int16Input(r);
                }
                for (int i = 0; i < y.length; i++) {
                    y[i] = int16Input(r);
                }
                assertArrayEquals(expected(x, y, aScalar, bScalar, len, q),
                        call(subtract ? sub : add, x, y, aScalar, bScalar, len, q),
                        path[0] + " " + q + " len " + len + " scalar " + aScalar + "/" + bScalar);
            }
        }
    }

    /** Every int16 x (and y) against every third exponent with TFLite-like multipliers. */
    @Test
    void everyInput() throws Throwable {
        short[] x = new short[65536];
        short[] y = new short[65536];
        for (int i = 0; i < 65536; i++) {
            x[i] = (short) (i - 32768);
            y[i] = (short) (32767 - i);
        }
        for (String[] path : nativePaths()) {
            SplittableRandom r = new SplittableRandom(7);
            for (int e = 0; e < 32; e += 3) {
                Int16AddLoops.Int16AddParams q = new Int16AddLoops.Int16AddParams(e % 2 == 0, 15, 0,
                        r.nextInt(1 << 30, Integer.MAX_VALUE), e, 0, r.nextInt(1 << 30, Integer.MAX_VALUE), 31 - e,
                        r.nextInt(1 << 30, Integer.MAX_VALUE), e % 16, 0, Short.MIN_VALUE, Short.MAX_VALUE);
                assertArrayEquals(expected(x, y, false, false, 65536, q),
                        call(QuantizedAddNativeHarness.handle((q.subtract() ? "qs16_sub" : "qs16_add") + path[1]), x, y, false, false, 65536, q),
                        path[0] + " e " + e);
            }
        }
    }

    @Test
    void nodesOnEveryPath() {
        int[][][] shapes = {
            {{1}, {1}}, {{7}, {7}}, {{8}, {8}}, {{15}, {15}}, {{16}, {16}}, {{17}, {17}}, {{33}, {33}},
            {{1, 3, 65}, {1, 3, 65}}, {{1, 1, 5, 64}, {1, 1, 5, 64}}, {{2, 5, 7, 9}, {9}}, {{9}, {2, 5, 7, 9}},
            {{2, 3, 33}, {}}, {{}, {2, 3, 33}}, {{3, 1}, {1, 65}}, {{1, 64, 65, 17}, {1, 64, 65, 17}},
        };
        List<String[]> paths = new ArrayList<>(nativePaths());
        paths.add(new String[] {"java", "__java"});
        int n = 0;
        int own = 0;
        for (BuiltinOperator op : new BuiltinOperator[] {BuiltinOperator.ADD, BuiltinOperator.SUB}) {
            for (int[][] s : shapes) {
                SplittableRandom r = new SplittableRandom(n);
                double scaleA = (0.002 + r.nextDouble() * 0.05) / 256;
                double scaleB = (0.002 + r.nextDouble() * 0.05) / 256;
                double scaleO = n % 3 == 0 ? Math.max(scaleA, scaleB) * 0.05 : (0.01 + r.nextDouble() * 0.05) / 256;
                int act = n % 4;
                boolean constB = n % 5 == 4;
                TensorData b = FastKernelHarness.random(TensorType.INT16, s[1], n * 37L, 5);
                List<TensorData> in = new ArrayList<>();
                in.add(FastKernelHarness.random(TensorType.INT16, s[0], n * 31L, 7));
                if (!constB) {
                    in.add(b);
                }
                Model m = QuantizedAddNativeHarness.model(op, TensorType.INT16, s[0], s[1], scaleA, 0, scaleB, 0, scaleO, 0, act,
                        constB ? b : null);
                byte[] want = FastKernelHarness.run(m, in, "reference", 1, null);
                String label = op + " " + java.util.Arrays.toString(s[0]) + "+" + java.util.Arrays.toString(s[1])
                        + " act " + act + (constB ? " const b" : "");
                own += QuantizedAddNativeHarness.checkOnPaths(m, in, want, paths, "qs16_" + op.name().toLowerCase(), label);
                n++;
            }
        }
        assertEquals(n * paths.size(), own);
    }

    /** seanet_add0_16x8 on every path: identical to TFLite's builtin kernels. */
    @Test
    void seanetAdd0MatchesTfliteOnEveryPath() {
        SharedData.assumeAvailable();
        Model m = dev.whittle.model.io.ModelReader.read(SharedData.model("seanet_add0_16x8.tflite"));
        List<String[]> paths = new ArrayList<>(nativePaths());
        paths.add(new String[] {"java", "__java"});
        for (String[] path : paths) {
            System.setProperty(KernelPath.PROPERTY, path[0]);
            assertEquals(List.of("qs16_add" + path[1]), OpProfile.kernelNames(CompiledModel.compile(m)), path[0]);
            for (long seed : new long[] {3, 11}) {
                Differential.Result res = Differential.compare("seanet_add0 " + path[0], m, seed);
                assertTrue(res.elements() > 0);
                assertEquals(0, res.differing(), path[0]);
            }
            System.clearProperty(KernelPath.PROPERTY);
        }
    }
}
