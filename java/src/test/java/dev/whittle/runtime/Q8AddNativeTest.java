package dev.whittle.runtime;

import dev.whittle.TensorData;
import dev.whittle.internal.vectorization.Int16AddLoops.Int16AddParams;
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
import static dev.whittle.testing.QuantizedAddReference.multiplier;

/**
 * The native int8/uint8 ADD/SUB kernels ({@code qs8_add_16__avx2}, {@code qu8_add_16__avx512vnni},
 * {@code q*8_sub_*}, kernels/q8_add_*) on every path this CPU runs: called directly against the
 * reference arithmetic ({@link QuantizedAddReference}) on random constant sets (left shift 20 and any
 * 0..30, offsets at both ends of the 8-bit zero points and beyond the fast path's bound,
 * multipliers anywhere in int32 but MIN_VALUE, every exponent 0..31 on each side and the output,
 * narrow clamps), inputs at the type's extremes and random, lengths 1..70 and 1000, either operand
 * scalar, unaligned starts, nothing written past the end; and as graph nodes (same-shape, scalar,
 * per-channel and 2-D broadcasts, a constant operand, fused activations, 1 and 3 threads) on
 * every path against the reference path, asserting the dispatched kernel's name; and
 * mobilenet_v2_1.0_224_quant (10 uint8 ADDs) identical to TFLite on every native path.
 */
class Q8AddNativeTest {
    @AfterEach
    void clearProperty() {
        System.clearProperty(KernelPath.PROPERTY);
    }

    /** The native paths of the family this CPU runs, with their kernel-name suffixes. */
    private static List<String[]> nativePaths() {
        return QuantizedAddNativeHarness.nativePaths("_16__avx2", "_16__avx512vnni", "whittle_qs8_add_16__avx2");
    }

    private static int[] call(MethodHandle h, boolean signed, int[] x, int[] y, boolean aScalar, boolean bScalar,
            int len, Int16AddParams q) throws Throwable {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment p = QuantizedAddNativeHarness.params(arena, q);
            // Unaligned starts, and exactly the elements read (a read past the end would show under ASan only).
            MemorySegment a = arena.allocate(x.length + 1, 64).asSlice(1);
            MemorySegment b = arena.allocate(y.length + 3, 64).asSlice(3);
            MemorySegment o = arena.allocate(len + 5 + 32, 64).asSlice(5);
            for (int i = 0; i < x.length; i++) {
                a.set(ValueLayout.JAVA_BYTE, i, (byte) x[i]);
            }
            for (int i = 0; i < y.length; i++) {
                b.set(ValueLayout.JAVA_BYTE, i, (byte) y[i]);
            }
            for (int i = 0; i < 32; i++) {
                o.set(ValueLayout.JAVA_BYTE, len + i, (byte) 0x5A);
            }
            h.invokeExact(p.address(), a.address(), aScalar ? 0L : 1L, b.address(), bScalar ? 0L : 1L, o.address(),
                    (long) len);
            for (int i = 0; i < 32; i++) {
                assertEquals((byte) 0x5A, o.get(ValueLayout.JAVA_BYTE, len + i), "wrote past the end");
            }
            int[] r = new int[len];
            for (int i = 0; i < len; i++) {
                byte v = o.get(ValueLayout.JAVA_BYTE, i);
                r[i] = signed ? v : v & 0xFF;
            }
            return r;
        }
    }

    /** An input offset (-zero point): the 8-bit ends, random, and sometimes beyond the fast path's bound. */
    private static int offset(SplittableRandom r, boolean signed, int it) {
        return switch (r.nextInt(6)) {
            case 0 -> signed ? -127 : -255;
            case 1 -> signed ? 128 : 0;
            case 2 -> it % 3 == 0 ? r.nextInt(-5000, 5000) : (signed ? r.nextInt(-127, 129) : -r.nextInt(256));
            default -> signed ? r.nextInt(-127, 129) : -r.nextInt(256);
        };
    }

    private static int input(SplittableRandom r, boolean signed) {
        return switch (r.nextInt(5)) {
            case 0 -> signed ? -128 : 0;
            case 1 -> signed ? 127 : 255;
            default -> signed ? r.nextInt(-128, 128) : r.nextInt(256);
        };
    }

    @Test
    void kernelsMatchReferenceArithmetic() throws Throwable {
        for (String[] path : nativePaths()) {
            for (boolean signed : new boolean[] {true, false}) {
                String t = signed ? "qs8" : "qu8";
                MethodHandle add = QuantizedAddNativeHarness.handle(t + "_add" + path[1]);
                MethodHandle sub = QuantizedAddNativeHarness.handle(t + "_sub" + path[1]);
                SplittableRandom r = new SplittableRandom(42);
                int tmin = signed ? -128 : 0;
                int tmax = signed ? 127 : 255;
                for (int it = 0; it < 5000; it++) {
                    int ls = it % 4 == 0 ? r.nextInt(31) : 20;
                    int min = it % 4 == 1 ? r.nextInt(tmin, tmin + 128) : tmin;
                    int max = it % 4 == 1 ? r.nextInt(Math.max(min, tmax - 128), tmax + 1) : tmax;
                    if (it % 11 == 5) {
                        min = r.nextInt(tmin, tmax + 1);
                        max = min; // a single value
                    }
                    boolean subtract = r.nextBoolean();
                    Int16AddParams q = new Int16AddParams(subtract, ls, offset(r, signed, it), multiplier(r), it % 32, offset(r, signed, it),
                            multiplier(r), r.nextInt(32), multiplier(r), it % 5 == 0 ? (it / 5) % 32 : r.nextInt(12),
                            it % 3 == 0 ? r.nextInt(-300, 300) : (signed ? r.nextInt(-128, 128) : r.nextInt(256)),
                            min, max);
                    int len = it % 97 == 0 ? 1000 + it % 17 : 1 + it % 70;
                    boolean aScalar = it % 7 == 3;
                    boolean bScalar = it % 5 == 2;
                    int[] x = new int[aScalar ? 1 : len];
                    int[] y = new int[bScalar ? 1 : len];
                    for (int i = 0; i < x.length; i++) {
                        x[i] = input(r, signed);
                    }
                    for (int i = 0; i < y.length; i++) {
                        y[i] = input(r, signed);
                    }
                    assertArrayEquals(expected(x, y, aScalar, bScalar, len, q),
                            call(subtract ? sub : add, signed, x, y, aScalar, bScalar, len, q),
                            path[0] + " " + t + " " + q + " len " + len + " scalar " + aScalar + "/" + bScalar);
                }
            }
        }
    }

    /** Every (x, y) pair of the type with TFLite's left shift 20, zero points at both ends, every exponent. */
    @Test
    void everyPair() throws Throwable {
        for (String[] path : nativePaths()) {
            for (boolean signed : new boolean[] {true, false}) {
                int base = signed ? -128 : 0;
                int[] x = new int[65536];
                int[] y = new int[65536];
                for (int i = 0; i < 65536; i++) {
                    x[i] = base + (i >> 8);
                    y[i] = base + (i & 0xFF);
                }
                SplittableRandom r = new SplittableRandom(7);
                for (int e = 0; e < 32; e += 1) {
                    int ao = e % 2 == 0 ? (signed ? 128 : 0) : (signed ? -127 : -255);
                    int bo = e % 3 == 0 ? (signed ? -127 : -255) : (signed ? 128 : -r.nextInt(256));
                    Int16AddParams q = new Int16AddParams(e % 2 == 1, 20, ao, r.nextInt(1 << 30, Integer.MAX_VALUE), e % 12, bo,
                            r.nextInt(1 << 30, Integer.MAX_VALUE), (31 - e) % 12, r.nextInt(1 << 30, Integer.MAX_VALUE),
                            e, signed ? r.nextInt(-128, 128) : r.nextInt(256), signed ? -128 : 0, signed ? 127 : 255);
                    String name = (signed ? "qs8" : "qu8") + (q.subtract() ? "_sub" : "_add") + path[1];
                    assertArrayEquals(expected(x, y, false, false, 65536, q),
                            call(QuantizedAddNativeHarness.handle(name), signed, x, y, false, false, 65536, q), path[0] + " " + name + " " + q);
                }
            }
        }
    }

    @Test
    void nodesOnEveryPath() {
        int[][][] shapes = {
            {{1}, {1}}, {{7}, {7}}, {{15}, {15}}, {{16}, {16}}, {{17}, {17}}, {{33}, {33}},
            {{1, 3, 65}, {1, 3, 65}}, {{2, 5, 7, 9}, {9}}, {{9}, {2, 5, 7, 9}},
            {{2, 3, 33}, {}}, {{}, {2, 3, 33}}, {{3, 1}, {1, 65}}, {{1, 28, 28, 32}, {1, 28, 28, 32}},
        };
        List<String[]> paths = new ArrayList<>(nativePaths());
        int n = 0;
        int own = 0;
        for (TensorType type : new TensorType[] {TensorType.INT8, TensorType.UINT8}) {
            boolean signed = type == TensorType.INT8;
            for (BuiltinOperator op : new BuiltinOperator[] {BuiltinOperator.ADD, BuiltinOperator.SUB}) {
                for (int[][] s : shapes) {
                    SplittableRandom r = new SplittableRandom(n);
                    double scaleA = 0.002 + r.nextDouble() * 0.1;
                    double scaleB = 0.002 + r.nextDouble() * 0.1;
                    double scaleO = n % 3 == 0 ? Math.max(scaleA, scaleB) * 0.5 : 0.01 + r.nextDouble() * 0.1;
                    int zpA = signed ? r.nextInt(-128, 128) : r.nextInt(256);
                    int zpB = n % 4 == 0 ? (signed ? 127 : 255) : signed ? r.nextInt(-128, 128) : r.nextInt(256);
                    int zpO = n % 4 == 1 ? (signed ? -128 : 0) : signed ? r.nextInt(-128, 128) : r.nextInt(256);
                    int act = n % 4;
                    boolean constB = n % 5 == 4;
                    TensorData b = FastKernelHarness.random(type, s[1], n * 37L, 5);
                    List<TensorData> in = new ArrayList<>();
                    in.add(FastKernelHarness.random(type, s[0], n * 31L, 7));
                    if (!constB) {
                        in.add(b);
                    }
                    Model m = QuantizedAddNativeHarness.model(op, type, s[0], s[1], scaleA, zpA, scaleB, zpB, scaleO, zpO, act,
                            constB ? b : null);
                    byte[] want = FastKernelHarness.run(m, in, "reference", 1, null);
                    String t = (signed ? "qs8_" : "qu8_") + op.name().toLowerCase();
                    List<String> kernels = new ArrayList<>();
                    assertArrayEquals(want, FastKernelHarness.run(m, in, "java", 1, kernels), "java " + n);
                    assertEquals(t + "_lut__java", kernels.get(0));
                    String label = t + " " + java.util.Arrays.toString(s[0]) + "+"
                            + java.util.Arrays.toString(s[1]) + " act " + act + (constB ? " const b" : "");
                    own += QuantizedAddNativeHarness.checkOnPaths(m, in, want, paths, t, label);
                    n++;
                }
            }
        }
        assertEquals(n * paths.size(), own);
    }

    /** mobilenet_v2_1.0_224_quant on every native path: its ADDs on the native kernel, identical to TFLite. */
    @Test
    void mobilenetV2QuantMatchesTfliteOnEveryPath() {
        SharedData.assumeAvailable();
        Model m = dev.whittle.model.io.ModelReader.read(SharedData.model("mobilenet_v2_1.0_224_quant.tflite"));
        for (String[] path : nativePaths()) {
            System.setProperty(KernelPath.PROPERTY, path[0]);
            List<String> names = OpProfile.kernelNames(CompiledModel.compile(m));
            assertEquals(10, names.stream().filter(k -> k.equals("qu8_add" + path[1])).count(), path[0] + " " + names);
            Differential.Result res = Differential.compare("mobilenet_v2 quant " + path[0], m, 3);
            assertTrue(res.elements() > 0);
            assertEquals(0, res.differing(), path[0]);
            System.clearProperty(KernelPath.PROPERTY);
        }
    }
}
