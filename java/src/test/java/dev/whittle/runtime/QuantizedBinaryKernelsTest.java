package dev.whittle.runtime;

import dev.whittle.TensorData;
import dev.whittle.model.BuiltinOperator;
import dev.whittle.model.BuiltinOptions;
import dev.whittle.model.Model;
import dev.whittle.model.ModelBuilder;
import dev.whittle.model.ModelBuilder.TensorSpec;
import dev.whittle.model.Quantization;
import dev.whittle.model.TensorType;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The Java quantized ADD/SUB/MUL kernels ({@code kernels/elementwise/QuantizedBinaryKernels})
 * against the reference kernels, bit for bit: int8, uint8 and int16 (general and power-of-two
 * scales), same shapes of sizes 1..65 and odd, scalar, per-channel and outer broadcasts on
 * either side, a constant operand, zero points at both ends, saturating scales, every fused
 * activation, 1 and 3 threads (and a node large enough to be split).
 */
class QuantizedBinaryKernelsTest {
    private static final int[] SIZES = {1, 2, 3, 5, 7, 8, 9, 10, 15, 16, 17, 31, 32, 33, 64, 65};
    private static final BuiltinOperator[] OPS = {BuiltinOperator.ADD, BuiltinOperator.SUB, BuiltinOperator.MUL};

    private static String prefix(TensorType t) {
        return switch (t) {
            case INT8 -> "qs8";
            case UINT8 -> "qu8";
            default -> "qs16";
        };
    }

    private static String expectedKernel(BuiltinOperator op, TensorType t, boolean pot) {
        String name = prefix(t) + "_" + op.name().toLowerCase() + (pot ? "_pot" : "");
        if (t == TensorType.INT16 && !pot && op != BuiltinOperator.MUL) {
            // int16 ADD/SUB: the native kernel where this CPU runs one (Qs16AddNativeTest tests every path)
            String suffix = "__java";
            for (var e : dev.whittle.runtime.kernels.KernelRegistry.available(
                    dev.whittle.runtime.kernels.elementwise.ElementwiseFamilies.QUANTIZED_BINARY)) {
                if (e.path() == dev.whittle.runtime.kernels.KernelPath.AVX2) {
                    suffix = "_8__avx2";
                } else if (e.path() == dev.whittle.runtime.kernels.KernelPath.AVX512VNNI) {
                    suffix = "_16__avx512vnni";
                }
            }
            return name + suffix;
        }
        if (t != TensorType.INT16 && op != BuiltinOperator.MUL) {
            // int8/uint8 ADD/SUB: the native kernel where this CPU runs one (Q8AddNativeTest tests every path)
            String suffix = "_lut__java";
            for (var e : dev.whittle.runtime.kernels.KernelRegistry.available(
                    dev.whittle.runtime.kernels.elementwise.ElementwiseFamilies.QUANTIZED_BINARY)) {
                if (e.path() == dev.whittle.runtime.kernels.KernelPath.AVX2) {
                    suffix = "_16__avx2";
                } else if (e.path() == dev.whittle.runtime.kernels.KernelPath.AVX512VNNI) {
                    suffix = "_16__avx512vnni";
                }
            }
            return name + suffix;
        }
        return t == TensorType.INT16 ? name + "__java" : name + "_lut__java";
    }

    private static BuiltinOptions options(BuiltinOperator op, int act, boolean pot) {
        String table = switch (op) {
            case ADD -> "AddOptions";
            case SUB -> "SubOptions";
            default -> "MulOptions";
        };
        BuiltinOptions o = BuiltinOptions.of(table).set("fused_activation_function", act);
        return op == BuiltinOperator.MUL ? o : o.set("pot_scale_int16", pot);
    }

    /** A binary node; {@code constB} makes input b a constant (heap memory). */
    private static Model model(BuiltinOperator op, TensorType t, int[] sa, int[] sb, Quantization qa, Quantization qb,
            Quantization qo, int act, boolean pot, TensorData constB) {
        ModelBuilder b = new ModelBuilder(op.name().toLowerCase());
        int x = b.input("x", t, qa, sa);
        int y = constB == null ? b.input("y", t, qb, sb)
                : b.constant("y", t, qb, constB.data(), sb);
        int[] so = ElementwiseOpsTest.broadcastShape(sa, sb);
        b.output(b.op(op, 1, options(op, act, pot), new int[] {x, y}, TensorSpec.quantized("z", t, qo, so))[0]);
        return b.build();
    }

    private static int[] zeroPoints(TensorType t, int mode, SplittableRandom r) {
        if (t == TensorType.INT16) {
            return new int[] {0, 0, 0};
        }
        int lo = t == TensorType.INT8 ? -128 : 0;
        int hi = lo + 255;
        return switch (mode) {
            case 1 -> new int[] {lo, hi, lo};
            case 2 -> new int[] {hi, lo, hi};
            default -> new int[] {r.nextInt(lo, hi + 1), r.nextInt(lo, hi + 1), r.nextInt(lo, hi + 1)};
        };
    }

    private int runCase(BuiltinOperator op, TensorType t, int[] sa, int[] sb, long seed, boolean constB,
            boolean broadcastFallbackOk) {
        SplittableRandom r = new SplittableRandom(seed);
        int[] zp = zeroPoints(t, (int) (seed % 3), r);
        double scaleA = 0.002 + r.nextDouble() * 0.05;
        double scaleB = 0.002 + r.nextDouble() * 0.05;
        // Output scales from tiny (saturating) to wide; int16 scales stay 1/32768-sized.
        double scaleO = switch ((int) (seed % 4)) {
            case 0 -> Math.max(scaleA, scaleB) * 0.05;
            case 1 -> Math.max(scaleA, scaleB) * 3;
            default -> 0.01 + r.nextDouble() * 0.05;
        };
        if (op == BuiltinOperator.MUL && seed % 4 == 1) {
            scaleO = scaleA * scaleB * 0.01; // multiplier above 1
        }
        if (t == TensorType.INT16) {
            scaleA /= 256;
            scaleB /= 256;
            scaleO /= 256;
        }
        int act = new int[] {0, 1, 2, 3}[(int) (seed % 4)];
        List<TensorData> inputs = new ArrayList<>();
        inputs.add(FastKernelHarness.random(t, sa, seed * 31, 7));
        TensorData b = FastKernelHarness.random(t, sb, seed * 37, 5);
        if (!constB) {
            inputs.add(b);
        }
        Model m = model(op, t, sa, sb, Quantization.perTensor(scaleA, zp[0]), Quantization.perTensor(scaleB, zp[1]),
                Quantization.perTensor(scaleO, zp[2]), act, false, constB ? b : null);
        String label = op + " " + t + " " + java.util.Arrays.toString(sa) + "+" + java.util.Arrays.toString(sb)
                + " zp " + java.util.Arrays.toString(zp) + " act " + act + " seed " + seed + (constB ? " const b" : "");
        List<String> kernels = FastKernelHarness.check(label, m, inputs);
        if (!(broadcastFallbackOk && kernels.get(0).endsWith("__reference"))) {
            assertEquals(expectedKernel(op, t, false), kernels.get(0), label);
        }
        return 1;
    }

    @Test
    void sameShapeSweeps() {
        int n = 0;
        for (TensorType t : new TensorType[] {TensorType.INT8, TensorType.UINT8, TensorType.INT16}) {
            for (BuiltinOperator op : OPS) {
                for (int i = 0; i < SIZES.length; i++) {
                    int c = SIZES[i];
                    int[] shape = i % 2 == 0 ? new int[] {c} : new int[] {1, 3, c};
                    n += runCase(op, t, shape, shape, 100L * i + op.ordinal() + t.ordinal(), false, false);
                }
            }
        }
        assertTrue(n > 100);
    }

    @Test
    void broadcasts() {
        int[][][] shapes = {
            {{1, 5, 7, 9}, {9}},        // per-channel, last axis
            {{9}, {1, 5, 7, 9}},        // per-channel on the other side
            {{2, 3, 5, 33}, {}},        // scalar
            {{}, {2, 3, 33}},           // scalar first
            {{2, 3, 1, 17}, {1, 1, 5, 17}},
            {{2, 1, 5}, {1, 3, 5}},     // outer broadcast
            {{3, 1}, {1, 65}},          // strided inner run (stride 0 and 1 alternating)
            {{2, 1, 2, 1, 2, 3}, {1, 3, 1, 2, 1, 3}}, // beyond three collapsed dimensions: reference
            {{1, 1, 1, 1}, {1, 4, 4, 1}},
        };
        long seed = 1;
        for (TensorType t : new TensorType[] {TensorType.INT8, TensorType.UINT8, TensorType.INT16}) {
            for (BuiltinOperator op : OPS) {
                for (int[][] s : shapes) {
                    runCase(op, t, s[0], s[1], seed++, false, true);
                    runCase(op, t, s[0], s[1], seed++, true, true);
                }
            }
        }
    }

    @Test
    void largeNodesSplitOnThreads() {
        long seed = 7;
        for (TensorType t : new TensorType[] {TensorType.INT8, TensorType.UINT8, TensorType.INT16}) {
            for (BuiltinOperator op : OPS) {
                runCase(op, t, new int[] {1, 64, 64, 17}, new int[] {1, 64, 64, 17}, seed++, false, false);
                runCase(op, t, new int[] {1, 64, 65, 17}, new int[] {17}, seed++, false, false);
                runCase(op, t, new int[] {2, 100, 3, 113}, new int[] {2, 1, 3, 113}, seed++, false, false);
            }
        }
    }

    @Test
    void float32() {
        int[][][] shapes = {
            {{1}, {1}}, {{7}, {7}}, {{1, 3, 33}, {1, 3, 33}}, {{2, 5, 7, 9}, {9}}, {{9}, {2, 5, 7, 9}},
            {{2, 3, 5, 17}, {}}, {{2, 1, 5}, {1, 3, 5}}, {{3, 1}, {1, 65}}, {{1, 64, 64, 17}, {1, 64, 64, 17}},
            {{2, 1, 2, 1, 2, 3}, {1, 3, 1, 2, 1, 3}},
        };
        int n = 0;
        for (BuiltinOperator op : OPS) {
            for (int[][] s : shapes) {
                int act = new int[] {0, 1, 2, 3}[n % 4];
                ModelBuilder b = new ModelBuilder("f32");
                int x = b.input("x", TensorType.FLOAT32, s[0]);
                int y = b.input("y", TensorType.FLOAT32, s[1]);
                int[] so = ElementwiseOpsTest.broadcastShape(s[0], s[1]);
                b.output(b.op(op, 1, options(op, act, false), new int[] {x, y}, TensorSpec.of("z", TensorType.FLOAT32,
                        so))[0]);
                List<TensorData> in = List.of(FastKernelHarness.random(TensorType.FLOAT32, s[0], n, 7),
                        FastKernelHarness.random(TensorType.FLOAT32, s[1], n + 1, 5));
                String label = op + " f32 " + java.util.Arrays.toString(s[0]) + "+" + java.util.Arrays.toString(s[1]);
                List<String> kernels = FastKernelHarness.check(label, b.build(), in);
                if (s[0].length < 6) {
                    assertEquals("f32_" + op.name().toLowerCase() + "__java", kernels.get(0), label);
                }
                n++;
            }
        }
    }

    @Test
    void int16PowerOfTwoScales() {
        for (BuiltinOperator op : new BuiltinOperator[] {BuiltinOperator.ADD, BuiltinOperator.SUB}) {
            for (int[] sh : new int[][] {{0, -3}, {-1, 0}, {0, 0}, {-15, 0}}) {
                for (int size : new int[] {1, 7, 33, 70000}) {
                    int[] shape = {size};
                    double so = 1.0 / 4096;
                    Quantization qa = Quantization.perTensor(so * Math.pow(2, sh[0]), 0);
                    Quantization qb = Quantization.perTensor(so * Math.pow(2, sh[1]), 0);
                    for (int act : new int[] {0, 1}) {
                        Model m = model(op, TensorType.INT16, shape, shape, qa, qb, Quantization.perTensor(so, 0), act,
                                true, null);
                        List<TensorData> in = List.of(FastKernelHarness.random(TensorType.INT16, shape, size, 3),
                                FastKernelHarness.random(TensorType.INT16, shape, size + 1, 4));
                        FastKernelHarness.checkKernel(op + " pot " + sh[0] + "," + sh[1] + " n " + size, m, in,
                                expectedKernel(op, TensorType.INT16, true));
                    }
                }
            }
        }
    }
}
