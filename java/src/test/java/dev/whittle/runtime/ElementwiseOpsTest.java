package dev.whittle.runtime;

import dev.whittle.TensorData;
import dev.whittle.UnsupportedModelException;
import dev.whittle.model.BuiltinOperator;
import dev.whittle.model.BuiltinOptions;
import dev.whittle.model.Model;
import dev.whittle.model.ModelBuilder;
import dev.whittle.model.ModelBuilder.TensorSpec;
import dev.whittle.model.Quantization;
import dev.whittle.model.TensorType;
import dev.whittle.model.io.ModelReader;
import dev.whittle.testing.SharedData;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Element-wise and activation ops of every data type, each a single-op model compared with
 * TFLite's builtin kernels: integer outputs bit for bit, over random inputs spanning each
 * type's whole range.
 */
class ElementwiseOpsTest {
    private static final int[][][] SHAPES = {
        {{2, 3, 4}, {2, 3, 4}},
        {{2, 3, 4}, {4}},
        {{1, 1, 5}, {3, 1, 5}},
        {{}, {2, 3}},
        {{2, 3}, {}},
        {{2, 1, 2, 1, 2, 3}, {1, 3, 1, 2, 1, 3}},
    };

    static int[] broadcastShape(int[] a, int[] b) {
        int rank = Math.max(a.length, b.length);
        int[] out = new int[rank];
        for (int d = 0; d < rank; d++) {
            int ka = d - (rank - a.length);
            int kb = d - (rank - b.length);
            int x = ka >= 0 ? a[ka] : 1;
            int y = kb >= 0 ? b[kb] : 1;
            out[d] = x == 1 ? y : x;
        }
        return out;
    }

    static Quantization q(double scale, long zp) {
        return Quantization.perTensor(scale, zp);
    }

    static BuiltinOptions options(BuiltinOperator op, int act) {
        return switch (op) {
            case ADD -> BuiltinOptions.of("AddOptions").set("fused_activation_function", act);
            case SUB -> BuiltinOptions.of("SubOptions").set("fused_activation_function", act);
            case MUL -> BuiltinOptions.of("MulOptions").set("fused_activation_function", act);
            default -> null;
        };
    }

    /** A two-input op; quantizations null for float and plain integer types. */
    static Model binary(BuiltinOperator op, BuiltinOptions opts, TensorType type, int[] sa, int[] sb,
            Quantization qa, Quantization qb, Quantization qo) {
        ModelBuilder b = new ModelBuilder(op.name().toLowerCase());
        int x = qa == null ? b.input("x", type, sa) : b.input("x", type, qa, sa);
        int y = qb == null ? b.input("y", type, sb) : b.input("y", type, qb, sb);
        int[] so = broadcastShape(sa, sb);
        TensorSpec out = qo == null ? TensorSpec.of("z", type, so) : TensorSpec.quantized("z", type, qo, so);
        b.output(b.op(op, 1, opts, new int[] {x, y}, out)[0]);
        return b.build();
    }

    /**
     * Random inputs over each type's whole range (as {@code Differential.randomInput} intends; its
     * integer branch writes into a read-only view), compared bit for bit.
     */
    static Differential.Result compare(String label, Model model, long seed) {
        CompiledModel compiled = CompiledModel.compile(model);
        List<TensorData> inputs = new java.util.ArrayList<>();
        for (int i = 0; i < compiled.inputCount(); i++) {
            dev.whittle.model.Tensor t = compiled.tensorInfo(compiled.inputTensorIndex(i));
            inputs.add(random(t.type(), t.shape(), seed + i));
        }
        return Differential.compare(label, model, inputs, Differential.TOLERANCE, 0);
    }

    static TensorData random(TensorType type, int[] shape, long seed) {
        if (type == TensorType.FLOAT32) {
            return Differential.randomFloat(shape, seed, -1, 1);
        }
        SplittableRandom r = new SplittableRandom(seed);
        int n = Arrays.stream(shape).reduce(1, (p, v) -> p * v);
        ByteBuffer b = ByteBuffer.allocate(Math.toIntExact(type.bytesFor(n))).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < n; i++) {
            switch (type) {
                case INT8, UINT8 -> b.put(i, (byte) r.nextInt(256));
                case INT16 -> b.putShort(i * 2, (short) r.nextInt(65536));
                case INT32 -> b.putInt(i * 4, r.nextInt(-100, 101));
                case INT64 -> b.putLong(i * 8, r.nextInt(-100, 101));
                case FLOAT16 -> b.putShort(i * 2, Float.floatToFloat16((float) (r.nextDouble() * 2 - 1)));
                default -> throw new IllegalArgumentException("no random inputs of type " + type);
            }
        }
        return new TensorData(type, shape, b);
    }

    static void assertRefused(Model m, String... fragments) {
        UnsupportedModelException e = assertThrows(UnsupportedModelException.class, () -> CompiledModel.compile(m));
        for (String f : fragments) {
            assertTrue(e.getMessage().contains(f), "message '" + e.getMessage() + "' lacks '" + f + "'");
        }
    }

    // ---- ADD, SUB, MUL ----

    @Test
    void floatAndPlainIntegerArithmetic() {
        for (BuiltinOperator op : new BuiltinOperator[] {BuiltinOperator.ADD, BuiltinOperator.SUB, BuiltinOperator.MUL}) {
            for (TensorType type : new TensorType[] {TensorType.FLOAT32, TensorType.INT32, TensorType.INT64}) {
                for (int[][] s : SHAPES) {
                    for (int act : new int[] {0, 1, 2, 3}) {
                        Model m = binary(op, options(op, act), type, s[0], s[1], null, null, null);
                        compare(op + " " + type + " " + Arrays.toString(s[0]) + "+"
                                + Arrays.toString(s[1]) + " act " + act, m, 11 + act);
                    }
                }
            }
        }
    }

    /** Scale triples (a, b, out): rescales above and below 1, equal and unequal input scales. */
    private static final double[][] SCALES = {
        {0.05, 0.02, 0.03},
        {0.5, 0.5, 0.001},
        {0.01, 0.02, 0.5},
        {0.007, 0.3, 0.25},
        {1.0 / 128, 1.0 / 128, 1.0 / 64},
    };

    @Test
    void quantizedAddSubMul8Bit() {
        long seed = 100;
        for (BuiltinOperator op : new BuiltinOperator[] {BuiltinOperator.ADD, BuiltinOperator.SUB, BuiltinOperator.MUL}) {
            for (TensorType type : new TensorType[] {TensorType.INT8, TensorType.UINT8}) {
                long[] zps = type == TensorType.INT8 ? new long[] {-128, 127, 0, 5} : new long[] {0, 255, 128, 3};
                for (double[] sc : SCALES) {
                    for (int zi = 0; zi < zps.length; zi++) {
                        long za = zps[zi];
                        long zb = zps[(zi + 1) % zps.length];
                        long zo = zps[(zi + 2) % zps.length];
                        for (int[][] s : SHAPES) {
                            int act = (int) (seed % 4);
                            Model m = binary(op, options(op, act), type, s[0], s[1], q(sc[0], za), q(sc[1], zb),
                                    q(sc[2], zo));
                            compare(op + " " + type + " " + Arrays.toString(sc) + " zp " + za + "/" + zb
                                    + "/" + zo + " " + Arrays.toString(s[0]) + "+" + Arrays.toString(s[1])
                                    + " act " + act, m, seed++);
                        }
                    }
                }
            }
        }
    }

    @Test
    void quantizedInt16GeneralScales() {
        long seed = 300;
        double[][] scales = {{0.05, 0.02, 0.03}, {3e-4, 1e-4, 2e-4}, {1e-4, 1e-4, 5e-5}, {0.01, 0.02, 0.5}};
        for (BuiltinOperator op : new BuiltinOperator[] {BuiltinOperator.ADD, BuiltinOperator.SUB, BuiltinOperator.MUL}) {
            for (double[] sc : scales) {
                for (int[][] s : SHAPES) {
                    for (int act : new int[] {0, 1, 3}) {
                        Model m = binary(op, options(op, act), TensorType.INT16, s[0], s[1], q(sc[0], 0),
                                q(sc[1], 0), q(sc[2], 0));
                        compare(op + " INT16 " + Arrays.toString(sc) + " " + Arrays.toString(s[0]) + "+"
                                + Arrays.toString(s[1]) + " act " + act, m, seed++);
                    }
                }
            }
        }
    }

    /**
     * int16 ADD/SUB with power-of-two scales take TFLite's LSTM path when {@code pot_scale_int16}
     * is true (the schema default) and the general path when it is false; both must match.
     */
    @Test
    void quantizedInt16PowerOfTwoScales() {
        long seed = 500;
        double[][] scales = {{1.0 / 4096, 1.0 / 4096, 1.0 / 4096}, {1.0 / 8192, 1.0 / 2048, 1.0 / 2048},
            {1.0 / 1024, 1.0 / 32768, 1.0 / 1024}};
        for (BuiltinOperator op : new BuiltinOperator[] {BuiltinOperator.ADD, BuiltinOperator.SUB}) {
            for (boolean pot : new boolean[] {true, false}) {
                for (double[] sc : scales) {
                    for (int act : new int[] {0, 1}) {
                        for (int[][] s : new int[][][] {{{2, 3, 4}, {2, 3, 4}}, {{2, 3, 4}, {4}}}) {
                            if (pot && op == BuiltinOperator.ADD && !Arrays.equals(s[0], s[1])) {
                                continue;
                            }
                            BuiltinOptions o = options(op, act).set("pot_scale_int16", pot);
                            Model m = binary(op, o, TensorType.INT16, s[0], s[1], q(sc[0], 0), q(sc[1], 0), q(sc[2], 0));
                            compare(op + " INT16 pot " + pot + " " + Arrays.toString(sc) + " act " + act
                                    + " " + Arrays.toString(s[1]), m, seed++);
                        }
                    }
                }
            }
        }
    }

    @Test
    void seanetInt16AddMatchesTflite() {
        Model m = ModelReader.read(SharedData.model("seanet_add0_16x8.tflite"));
        compare("seanet_add0_16x8", m, 7);
    }

    @Test
    void binaryRefusals() {
        // int16 needs zero points 0.
        assertRefused(binary(BuiltinOperator.ADD, options(BuiltinOperator.ADD, 0), TensorType.INT16, new int[] {4},
                new int[] {4}, q(0.01, 3), q(0.01, 0), q(0.01, 0)), "ADD", "zero points must be 0");
        assertRefused(binary(BuiltinOperator.MUL, options(BuiltinOperator.MUL, 0), TensorType.INT16, new int[] {4},
                new int[] {4}, q(0.01, 0), q(0.01, 0), q(0.01, 1)), "MUL", "zero points must be 0");
        // Mixed types.
        ModelBuilder b = new ModelBuilder("mixed");
        int x = b.input("x", TensorType.FLOAT32, 3);
        int y = b.input("y", TensorType.INT32, 3);
        b.output(b.op(BuiltinOperator.SUB, 1, options(BuiltinOperator.SUB, 0), new int[] {x, y},
                TensorSpec.of("z", TensorType.FLOAT32, 3))[0]);
        assertRefused(b.build(), "SUB", "same type");
        // Broadcasting beyond rank 6.
        assertRefused(binary(BuiltinOperator.ADD, options(BuiltinOperator.ADD, 0), TensorType.FLOAT32,
                new int[] {1, 2, 1, 2, 1, 2, 1}, new int[] {2, 1, 2, 1, 2, 1, 2}, null, null, null), "ADD", "at most 6");
        // An output scale so small that ADD's output rescale is not below 1.
        assertRefused(binary(BuiltinOperator.ADD, options(BuiltinOperator.ADD, 0), TensorType.INT8, new int[] {4},
                new int[] {4}, q(1.0, 0), q(1.0, 0), q(1e-9, 0)), "ADD", "not below 1");
        // Power-of-two int16 ADD with both inputs rescaled.
        assertRefused(binary(BuiltinOperator.ADD, options(BuiltinOperator.ADD, 0).set("pot_scale_int16", true),
                TensorType.INT16, new int[] {4}, new int[] {4}, q(1.0 / 8192, 0), q(1.0 / 8192, 0), q(1.0 / 4096, 0)),
                "ADD", "power-of-two");
        // BOOL is no arithmetic type.
        assertRefused(binary(BuiltinOperator.MUL, options(BuiltinOperator.MUL, 0), TensorType.BOOL, new int[] {4},
                new int[] {4}, null, null, null), "MUL", "BOOL");
    }

    // ---- FLOOR_DIV, FLOOR_MOD ----

    static TensorData ints(int[] shape, int[] values) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < values.length; i++) {
            b.putInt(i * 4, values[i]);
        }
        return new TensorData(TensorType.INT32, shape, b);
    }

    static TensorData floats(int[] shape, float[] values) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < values.length; i++) {
            b.putFloat(i * 4, values[i]);
        }
        return new TensorData(TensorType.FLOAT32, shape, b);
    }

    @Test
    void floorDivAndMod() {
        SplittableRandom r = new SplittableRandom(5);
        int[][][] shapes = {{{2, 3, 4}, {2, 3, 4}}, {{2, 3, 4}, {4}}, {{1, 1, 5}, {3, 1, 5}}, {{2, 3}, {}}};
        for (BuiltinOperator op : new BuiltinOperator[] {BuiltinOperator.FLOOR_DIV, BuiltinOperator.FLOOR_MOD}) {
            for (int[][] s : shapes) {
                int na = Arrays.stream(s[0]).reduce(1, (p, v) -> p * v);
                int nb = Arrays.stream(s[1]).reduce(1, (p, v) -> p * v);
                int[] ia = r.ints(na, -1000, 1001).toArray();
                int[] ib = r.ints(nb, 1, 30).map(v -> r.nextBoolean() ? v : -v).toArray();
                Differential.compare(op + " INT32 " + Arrays.toString(s[0]) + "+" + Arrays.toString(s[1]),
                        binary(op, null, TensorType.INT32, s[0], s[1], null, null, null),
                        List.of(ints(s[0], ia), ints(s[1], ib)), Differential.TOLERANCE, 0);
                float[] fa = new float[na];
                float[] fb = new float[nb];
                for (int i = 0; i < na; i++) {
                    fa[i] = (float) (r.nextDouble() * 200 - 100);
                }
                for (int i = 0; i < nb; i++) {
                    fb[i] = (float) ((r.nextDouble() * 9 + 0.5) * (r.nextBoolean() ? 1 : -1));
                }
                Differential.compare(op + " FLOAT32 " + Arrays.toString(s[0]) + "+" + Arrays.toString(s[1]),
                        binary(op, null, TensorType.FLOAT32, s[0], s[1], null, null, null),
                        List.of(floats(s[0], fa), floats(s[1], fb)), Differential.TOLERANCE, 0);
            }
        }
    }

    @Test
    void floorModRefusals() {
        ModelBuilder b = new ModelBuilder("fm");
        int x = b.input("x", TensorType.INT32, 4);
        int y = b.constant("y", new int[] {1, 0, 2, 3}, 4);
        b.output(b.op(BuiltinOperator.FLOOR_MOD, 1, null, new int[] {x, y}, TensorSpec.of("z", TensorType.INT32, 4))[0]);
        assertRefused(b.build(), "FLOOR_MOD", "division by 0");
        assertRefused(binary(BuiltinOperator.FLOOR_DIV, null, TensorType.INT8, new int[] {4}, new int[] {4},
                q(0.1, 0), q(0.1, 0), q(0.1, 0)), "FLOOR_DIV", "INT8");
        assertRefused(binary(BuiltinOperator.FLOOR_MOD, null, TensorType.FLOAT32, new int[] {1, 2, 1, 2, 1},
                new int[] {2, 1, 2, 1, 2}, null, null, null), "FLOOR_MOD", "at most 4");
    }
}
