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

    // ---- QUANTIZE, DEQUANTIZE ----

    static Model unary(BuiltinOperator op, BuiltinOptions opts, TensorType in, Quantization qIn, TensorType out,
            Quantization qOut, int... shape) {
        ModelBuilder b = new ModelBuilder(op.name().toLowerCase());
        int x = qIn == null ? b.input("x", in, shape) : b.input("x", in, qIn, shape);
        TensorSpec spec = qOut == null ? TensorSpec.of("y", out, shape) : TensorSpec.quantized("y", out, qOut, shape);
        b.output(b.op(op, 1, opts, new int[] {x}, spec)[0]);
        return b.build();
    }

    @Test
    void quantizeFromFloat() {
        long seed = 700;
        Object[][] cases = {
            {TensorType.INT8, 1.0 / 100, -128L}, {TensorType.INT8, 1.0 / 100, 127L}, {TensorType.INT8, 0.0078125, 0L},
            {TensorType.INT8, 0.013, 3L}, {TensorType.UINT8, 1.0 / 255, 0L}, {TensorType.UINT8, 1.0 / 200, 255L},
            {TensorType.UINT8, 0.0039, 128L}, {TensorType.INT16, 1.0 / 32768, 0L}, {TensorType.INT16, 3e-5, 0L},
            {TensorType.INT16, 1e-5, 7L},
        };
        for (Object[] c : cases) {
            TensorType t = (TensorType) c[0];
            Model m = unary(BuiltinOperator.QUANTIZE, null, TensorType.FLOAT32, null, t, q((double) c[1], (long) c[2]),
                    2, 3, 17);
            compare("QUANTIZE FLOAT32->" + t + " " + c[1] + " zp " + c[2], m, seed++);
        }
    }

    @Test
    void requantize() {
        long seed = 800;
        Object[][] cases = {
            // in type, in scale, in zp, out type, out scale, out zp
            {TensorType.INT8, 0.02, -128L, TensorType.INT8, 0.05, 10L},
            {TensorType.INT8, 0.05, 127L, TensorType.INT8, 0.02, -128L},
            {TensorType.INT8, 0.02, 0L, TensorType.UINT8, 0.02, 128L},
            {TensorType.INT8, 0.02, 5L, TensorType.UINT8, 0.3, 255L},
            {TensorType.UINT8, 0.02, 128L, TensorType.INT8, 0.02, 0L},
            {TensorType.UINT8, 0.1, 0L, TensorType.INT8, 0.01, 127L},
            {TensorType.UINT8, 0.023529, 0L, TensorType.UINT8, 0.047058, 3L},
            {TensorType.UINT8, 0.047058, 255L, TensorType.UINT8, 0.023529, 0L},
            {TensorType.INT16, 1e-4, 0L, TensorType.INT16, 3e-4, 0L},
            {TensorType.INT16, 3e-4, 0L, TensorType.INT16, 1e-4, 0L},
            {TensorType.INT16, 1e-3, 0L, TensorType.INT8, 0.05, -3L},
            {TensorType.INT16, 1e-4, 5L, TensorType.INT8, 0.002, 127L},
        };
        for (Object[] c : cases) {
            Model m = unary(BuiltinOperator.QUANTIZE, null, (TensorType) c[0], q((double) c[1], (long) c[2]),
                    (TensorType) c[3], q((double) c[4], (long) c[5]), 3, 1, 37);
            compare("QUANTIZE " + Arrays.toString(c), m, seed++);
        }
    }

    @Test
    void dequantize() {
        long seed = 900;
        Object[][] cases = {
            {TensorType.INT8, 0.02, -128L}, {TensorType.INT8, 0.3, 127L}, {TensorType.UINT8, 0.01, 0L},
            {TensorType.UINT8, 0.5, 255L}, {TensorType.INT16, 1e-4, 0L}, {TensorType.INT16, 3e-3, 0L},
        };
        for (Object[] c : cases) {
            Model m = unary(BuiltinOperator.DEQUANTIZE, null, (TensorType) c[0], q((double) c[1], (long) c[2]),
                    TensorType.FLOAT32, null, 2, 5, 3);
            compare("DEQUANTIZE " + Arrays.toString(c), m, seed++);
        }
        compare("DEQUANTIZE FLOAT16", unary(BuiltinOperator.DEQUANTIZE, null, TensorType.FLOAT16, null,
                TensorType.FLOAT32, null, 4, 9), seed);
    }

    /** A float16-weights conv as the converter writes it: DEQUANTIZE of a float16 constant, folded at compile time. */
    @Test
    void float16WeightsConvolution() {
        SplittableRandom r = new SplittableRandom(3);
        int oc = 5;
        int kh = 3;
        int kw = 3;
        int ic = 3;
        ByteBuffer w16 = ByteBuffer.allocate(oc * kh * kw * ic * 2).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < oc * kh * kw * ic; i++) {
            w16.putShort(i * 2, Float.floatToFloat16((float) (r.nextDouble() * 2 - 1)));
        }
        float[] bias = {0.1f, -0.2f, 0.3f, 0f, 0.05f};
        ModelBuilder b = new ModelBuilder("conv_f16");
        int x = b.input("x", TensorType.FLOAT32, 1, 7, 6, ic);
        int wh = b.constant("w_f16", TensorType.FLOAT16, null, w16, oc, kh, kw, ic);
        int w = b.op(BuiltinOperator.DEQUANTIZE, 1, null, new int[] {wh},
                TensorSpec.of("w", TensorType.FLOAT32, oc, kh, kw, ic))[0];
        int bi = b.constant("b", bias, oc);
        b.output(b.conv2d("y", x, w, bi, ModelBuilder.Padding.SAME, 1, ModelBuilder.Activation.RELU));
        Model m = b.build();
        compare("CONV_2D float16 weights", m, 4);
    }

    @Test
    void quantizeRefusals() {
        assertRefused(unary(BuiltinOperator.QUANTIZE, null, TensorType.INT16, q(1e-4, 3), TensorType.INT16, q(1e-4, 0),
                4), "QUANTIZE", "zero points 0");
        assertRefused(unary(BuiltinOperator.QUANTIZE, null, TensorType.INT8, q(0.1, 0), TensorType.INT16, q(1e-4, 0), 4),
                "QUANTIZE", "INT8 to INT16");
        assertRefused(unary(BuiltinOperator.QUANTIZE, null, TensorType.FLOAT32, null, TensorType.INT8,
                Quantization.perAxis(new float[] {0.1f, 0.2f}, new long[] {0, 0}, 0), 2, 3), "QUANTIZE", "per tensor");
        assertRefused(unary(BuiltinOperator.DEQUANTIZE, null, TensorType.INT16, q(1e-3, 11), TensorType.FLOAT32, null,
                4), "DEQUANTIZE", "zero point 0");
        assertRefused(unary(BuiltinOperator.DEQUANTIZE, null, TensorType.INT32, q(0.1, 0), TensorType.FLOAT32, null, 4),
                "DEQUANTIZE", "INT32");
    }

    // ---- LOGISTIC, TANH, SOFTMAX ----

    @Test
    void logisticAndTanh8Bit() {
        long seed = 1000;
        double[] inScales = {0.1, 0.02, 0.0625, 0.003};
        for (TensorType t : new TensorType[] {TensorType.INT8, TensorType.UINT8}) {
            long[] zps = t == TensorType.INT8 ? new long[] {-128, 127, 0, 9} : new long[] {0, 255, 128, 17};
            long logisticZp = t == TensorType.INT8 ? -128 : 0;
            for (double s : inScales) {
                for (long zp : zps) {
                    compare("LOGISTIC " + t + " " + s + " zp " + zp, unary(BuiltinOperator.LOGISTIC, null, t, q(s, zp),
                            t, q(1.0 / 256, logisticZp), 2, 129), seed++);
                    long tanhZp = t == TensorType.INT8 ? 0 : 128;
                    compare("TANH " + t + " " + s + " zp " + zp, unary(BuiltinOperator.TANH, null, t, q(s, zp), t,
                            q(1.0 / 128, tanhZp), 2, 129), seed++);
                    // TFLite's generic TANH takes any output quantization.
                    compare("TANH " + t + " " + s + " zp " + zp + " odd output", unary(BuiltinOperator.TANH, null, t,
                            q(s, zp), t, q(0.011, zps[1]), 3, 7), seed++);
                }
            }
            // LOGISTIC's generic kernel checks the output scale only.
            compare("LOGISTIC " + t + " output zp " + zps[3], unary(BuiltinOperator.LOGISTIC, null, t, q(0.05, zps[2]),
                    t, q(1.0 / 256, zps[3]), 5, 5), seed++);
        }
    }

    @Test
    void softmax8Bit() {
        long seed = 1100;
        double[] inScales = {0.1, 0.02, 0.5, 1.0 / 16};
        float[] betas = {1.0f, 0.5f, 2.0f};
        int[][] shapes = {{1, 10}, {3, 7}, {2, 2, 33}, {4, 1}};
        for (TensorType t : new TensorType[] {TensorType.INT8, TensorType.UINT8}) {
            long[] zps = t == TensorType.INT8 ? new long[] {-128, 127, 0} : new long[] {0, 255, 100};
            for (double s : inScales) {
                for (float beta : betas) {
                    for (int[] shape : shapes) {
                        long zp = zps[(int) (seed % zps.length)];
                        Quantization qo = t == TensorType.INT8 ? q(1.0 / 256, -128) : q(1.0 / 256, 0);
                        compare("SOFTMAX " + t + " " + s + " zp " + zp + " beta " + beta + " " + Arrays.toString(shape),
                                unary(BuiltinOperator.SOFTMAX, BuiltinOptions.of("SoftmaxOptions").set("beta", beta), t,
                                        q(s, zp), t, qo, shape), seed++);
                    }
                }
            }
        }
        // uint8 output with another scale and zero point: TFLite ignores the zero point off aarch64.
        compare("SOFTMAX UINT8 odd output", unary(BuiltinOperator.SOFTMAX,
                BuiltinOptions.of("SoftmaxOptions").set("beta", 1.0f), TensorType.UINT8, q(0.1, 3), TensorType.UINT8,
                q(1.0 / 128, 20), 3, 9), seed);
    }

    @Test
    void activationRefusals() {
        assertRefused(unary(BuiltinOperator.LOGISTIC, null, TensorType.INT8, q(0.1, 0), TensorType.INT8,
                q(1.0 / 128, -128), 4), "LOGISTIC", "1/256");
        assertRefused(unary(BuiltinOperator.SOFTMAX, BuiltinOptions.of("SoftmaxOptions").set("beta", 1.0f),
                TensorType.INT8, q(0.1, 0), TensorType.INT8, q(1.0 / 256, 0), 4), "SOFTMAX", "zero point -128");
        assertRefused(unary(BuiltinOperator.TANH, null, TensorType.INT32, null, TensorType.INT32, null, 4), "TANH",
                "INT32");
        assertRefused(unary(BuiltinOperator.SOFTMAX, BuiltinOptions.of("SoftmaxOptions").set("beta", 1.0f),
                TensorType.INT8, q(0.1, 0), TensorType.INT16, q(1.0 / 32768, 0), 4), "SOFTMAX", "same type");
    }
}
