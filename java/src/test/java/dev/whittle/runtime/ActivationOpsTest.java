package dev.whittle.runtime;

import dev.whittle.BackendException;
import dev.whittle.InvalidInputException;
import dev.whittle.TensorData;
import dev.whittle.UnsupportedModelException;
import dev.whittle.model.BuiltinOperator;
import dev.whittle.model.BuiltinOptions;
import dev.whittle.model.Model;
import dev.whittle.model.ModelBuilder;
import dev.whittle.model.ModelBuilder.TensorSpec;
import dev.whittle.model.Quantization;
import dev.whittle.model.TensorType;
import dev.whittle.model.io.ModelWriter;
import dev.whittle.tflite.TfliteInterpreter;
import dev.whittle.tflite.TfliteOptions;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Activation ops (the RELU family, LEAKY_RELU, HARD_SWISH, int16 LOGISTIC/TANH/SOFTMAX) and
 * FLOOR_DIV/FLOOR_MOD's runtime zero divisor, each a single-op model compared with TFLite's
 * builtin kernels: integer outputs bit for bit over random inputs spanning each type's range.
 */
class ActivationOpsTest {
    static Quantization q(double scale, long zp) {
        return Quantization.perTensor(scale, zp);
    }

    static Model unary(BuiltinOperator op, int version, BuiltinOptions opts, TensorType type, Quantization qIn,
            Quantization qOut, int... shape) {
        ModelBuilder b = new ModelBuilder(op.name().toLowerCase());
        int x = qIn == null ? b.input("x", type, shape) : b.input("x", type, qIn, shape);
        TensorSpec spec = qOut == null ? TensorSpec.of("y", type, shape) : TensorSpec.quantized("y", type, qOut, shape);
        b.output(b.op(op, version, opts, new int[] {x}, spec)[0]);
        return b.build();
    }

    /** A float32 model compared on inputs in [lo, hi] (the default [-1, 1] misses most bounds). */
    static void compareFloat(String label, Model m, long seed, double lo, double hi, int... shape) {
        Differential.compare(label, m, List.of(Differential.randomFloat(shape, seed, lo, hi)), Differential.TOLERANCE, 0);
    }

    static void assertRefused(Model m, String... fragments) {
        UnsupportedModelException e = assertThrows(UnsupportedModelException.class, () -> CompiledModel.compile(m));
        for (String f : fragments) {
            assertTrue(e.getMessage().contains(f), "message '" + e.getMessage() + "' lacks '" + f + "'");
        }
    }

    static long[] zeroPoints(TensorType t) {
        return t == TensorType.INT8 ? new long[] {-128, 127, 0, -7} : new long[] {0, 255, 128, 3};
    }

    // ---- RELU, RELU6, RELU_N1_TO_1, RELU_0_TO_1 ----

    private static final BuiltinOperator[] RELUS = {BuiltinOperator.RELU, BuiltinOperator.RELU6,
        BuiltinOperator.RELU_N1_TO_1, BuiltinOperator.RELU_0_TO_1};

    /** Scale pairs (in, out): identity, multipliers below and above 1, tiny and coarse outputs. */
    private static final double[][] SCALES = {{0.05, 0.05}, {0.1, 0.03}, {0.02, 0.07}, {0.003, 0.0471}, {0.5, 0.01},
        {1.0 / 16, 1.0 / 32}};

    @Test
    void reluFamilyFloat() {
        long seed = 1;
        for (BuiltinOperator op : RELUS) {
            compareFloat(op + " FLOAT32", unary(op, 1, null, TensorType.FLOAT32, null, null, 2, 3, 17), seed++, -8, 8,
                    2, 3, 17);
            compareFloat(op + " FLOAT32 1x1", unary(op, 1, null, TensorType.FLOAT32, null, null, 1, 1), seed++, -8, 8,
                    1, 1);
        }
    }

    @Test
    void reluFamily8Bit() {
        long seed = 100;
        for (BuiltinOperator op : RELUS) {
            for (TensorType t : new TensorType[] {TensorType.INT8, TensorType.UINT8}) {
                long[] zps = zeroPoints(t);
                for (double[] sc : SCALES) {
                    for (int zi = 0; zi < zps.length; zi++) {
                        long zin = zps[zi];
                        long zout = zps[(zi + 1) % zps.length];
                        int version = t == TensorType.INT8 && (op == BuiltinOperator.RELU
                                || op == BuiltinOperator.RELU6) ? 2 : 1;
                        Differential.compare(op + " " + t + " " + Arrays.toString(sc) + " zp " + zin + "/" + zout,
                                unary(op, version, null, t, q(sc[0], zin), q(sc[1], zout), 3, 5, 17), seed++);
                    }
                }
            }
        }
    }

    @Test
    void reluAndRelu6Int16() {
        long seed = 300;
        double[][] scales = {{1e-4, 1e-4}, {3e-4, 1e-4}, {1e-4, 2.5e-4}, {1.0 / 4096, 1.0 / 8192}, {1e-3, 3e-4}};
        for (BuiltinOperator op : new BuiltinOperator[] {BuiltinOperator.RELU, BuiltinOperator.RELU6}) {
            for (double[] sc : scales) {
                Differential.compare(op + " INT16 " + Arrays.toString(sc),
                        unary(op, 3, null, TensorType.INT16, q(sc[0], 0), q(sc[1], 0), 2, 129), seed++);
            }
        }
    }

    @Test
    void reluFamilyRefusals() {
        assertRefused(unary(BuiltinOperator.RELU, 3, null, TensorType.INT16, q(1e-4, 3), q(1e-4, 0), 4), "RELU",
                "zero points must be 0");
        assertRefused(unary(BuiltinOperator.RELU_N1_TO_1, 1, null, TensorType.INT16, q(1e-4, 0), q(1e-4, 0), 4),
                "RELU_N1_TO_1", "INT16");
        assertRefused(unary(BuiltinOperator.RELU6, 1, null, TensorType.INT32, null, null, 4), "RELU6", "INT32");
        ModelBuilder b = new ModelBuilder("mixed");
        int x = b.input("x", TensorType.INT8, q(0.1, 0), 4);
        b.output(b.op(BuiltinOperator.RELU, 1, null, new int[] {x}, TensorSpec.quantized("y", TensorType.UINT8,
                q(0.1, 0), 4))[0]);
        assertRefused(b.build(), "RELU", "same type");
        assertRefused(unary(BuiltinOperator.RELU, 2, null, TensorType.INT8, null, null, 4), "RELU", "quantized");
    }

    // ---- LEAKY_RELU ----

    static BuiltinOptions leaky(float alpha) {
        return BuiltinOptions.of("LeakyReluOptions").set("alpha", alpha);
    }

    private static final float[] ALPHAS = {0.2f, 0.01f, 0.5f, 1.7f, -0.3f, 0f};

    @Test
    void leakyReluFloat() {
        long seed = 400;
        for (float a : ALPHAS) {
            compareFloat("LEAKY_RELU FLOAT32 alpha " + a, unary(BuiltinOperator.LEAKY_RELU, 1, leaky(a),
                    TensorType.FLOAT32, null, null, 3, 41), seed++, -5, 5, 3, 41);
        }
    }

    @Test
    void leakyReluQuantized() {
        long seed = 500;
        for (TensorType t : new TensorType[] {TensorType.INT8, TensorType.UINT8}) {
            long[] zps = zeroPoints(t);
            for (float a : ALPHAS) {
                for (double[] sc : SCALES) {
                    int zi = (int) (seed % zps.length);
                    long zin = zps[zi];
                    long zout = zps[(zi + 1) % zps.length];
                    Differential.compare("LEAKY_RELU " + t + " alpha " + a + " " + Arrays.toString(sc) + " zp " + zin
                            + "/" + zout, unary(BuiltinOperator.LEAKY_RELU, 2, leaky(a), t, q(sc[0], zin),
                            q(sc[1], zout), 2, 3, 19), seed++);
                }
            }
        }
        double[][] scales16 = {{1e-4, 1e-4}, {3e-4, 1e-4}, {1e-4, 2.5e-4}};
        for (float a : ALPHAS) {
            for (double[] sc : scales16) {
                // 37 elements: the AVX2 loop of 16 and the scalar tail.
                Differential.compare("LEAKY_RELU INT16 alpha " + a + " " + Arrays.toString(sc),
                        unary(BuiltinOperator.LEAKY_RELU, 2, leaky(a), TensorType.INT16, q(sc[0], 0), q(sc[1], 0), 37),
                        seed++);
            }
        }
    }

    @Test
    void leakyReluRefusals() {
        assertRefused(unary(BuiltinOperator.LEAKY_RELU, 2, leaky(0.2f), TensorType.INT16, q(1e-4, 0), q(1e-4, 5), 4),
                "LEAKY_RELU", "zero points must be 0");
        assertRefused(unary(BuiltinOperator.LEAKY_RELU, 1, leaky(0.2f), TensorType.INT32, null, null, 4), "LEAKY_RELU",
                "INT32");
    }

    // ---- HARD_SWISH ----

    @Test
    void hardSwishFloat() {
        compareFloat("HARD_SWISH FLOAT32", unary(BuiltinOperator.HARD_SWISH, 1, null, TensorType.FLOAT32, null, null,
                5, 37), 600, -6, 6, 5, 37);
    }

    @Test
    void hardSwishQuantized() {
        long seed = 700;
        // Output scales from 1/128 of the input scale (TFLite's limit) to well above it.
        double[][] scales = {{0.05, 0.05}, {0.1, 0.03}, {0.02, 0.07}, {0.0235, 0.0171}, {0.5, 0.3}, {0.01, 0.001},
            {0.2, 0.0016}, {0.003, 0.04}};
        for (TensorType t : new TensorType[] {TensorType.INT8, TensorType.UINT8}) {
            long[] zps = zeroPoints(t);
            for (double[] sc : scales) {
                for (int zi = 0; zi < zps.length; zi++) {
                    long zin = zps[zi];
                    long zout = zps[(zi + 1) % zps.length];
                    Differential.compare("HARD_SWISH " + t + " " + Arrays.toString(sc) + " zp " + zin + "/" + zout,
                            unary(BuiltinOperator.HARD_SWISH, 1, null, t, q(sc[0], zin), q(sc[1], zout), 2, 3, 43),
                            seed++);
                }
            }
        }
    }

    @Test
    void hardSwishRefusals() {
        assertRefused(unary(BuiltinOperator.HARD_SWISH, 1, null, TensorType.INT8, q(0.5, 0), q(0.001, 0), 4),
                "HARD_SWISH", "below 1");
        assertRefused(unary(BuiltinOperator.HARD_SWISH, 1, null, TensorType.INT16, q(1e-4, 0), q(1e-4, 0), 4),
                "HARD_SWISH", "INT16");
    }

    // ---- int16 LOGISTIC, TANH, SOFTMAX ----

    /** Every int16 value once, so that each table entry and both saturations are reached. */
    static TensorData allInt16() {
        ByteBuffer b = ByteBuffer.allocate(65536 * 2).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < 65536; i++) {
            b.putShort(i * 2, (short) (i - 32768));
        }
        return new TensorData(TensorType.INT16, new int[] {256, 256}, b);
    }

    /** General input scales; 2^-13 and 2^-10 are powers of two outside TFLite's gemmlowp range. */
    private static final double[] INT16_SCALES = {1e-4, 3e-4, 1.0 / 3000, 1e-3, 5e-5, 1.0 / 8192, 1.0 / 1024, 2.3e-6,
        0.05};

    @Test
    void logisticAndTanhInt16() {
        for (double s : INT16_SCALES) {
            Differential.compare("LOGISTIC INT16 " + s, unary(BuiltinOperator.LOGISTIC, 3, null, TensorType.INT16,
                    q(s, 0), q(1.0 / 32768, 0), 256, 256), List.of(allInt16()), Differential.TOLERANCE, 0);
            Differential.compare("TANH INT16 " + s, unary(BuiltinOperator.TANH, 3, null, TensorType.INT16, q(s, 0),
                    q(1.0 / 32768, 0), 256, 256), List.of(allInt16()), Differential.TOLERANCE, 0);
        }
    }

    @Test
    void softmaxInt16() {
        long seed = 900;
        double[] scales = {1e-4, 3e-4, 1e-3, 0.01, 1.0 / 4096};
        float[] betas = {1.0f, 0.5f, 2.0f};
        int[][] shapes = {{1, 10}, {3, 7}, {2, 2, 33}, {4, 1}, {1, 1, 2, 300}, {5}};
        for (double s : scales) {
            for (float beta : betas) {
                for (int[] shape : shapes) {
                    Differential.compare("SOFTMAX INT16 " + s + " beta " + beta + " " + Arrays.toString(shape),
                            unary(BuiltinOperator.SOFTMAX, 3, BuiltinOptions.of("SoftmaxOptions").set("beta", beta),
                                    TensorType.INT16, q(s, 0), q(1.0 / 32768, 0), shape), seed++);
                }
            }
        }
        // Output scale within TFLite's 0.1% of 1/32768.
        Differential.compare("SOFTMAX INT16 near scale", unary(BuiltinOperator.SOFTMAX, 3,
                BuiltinOptions.of("SoftmaxOptions").set("beta", 1.0f), TensorType.INT16, q(2e-4, 0),
                q(1.0005 / 32768, 0), 3, 11), seed);
    }

    @Test
    void int16ActivationRefusals() {
        assertRefused(unary(BuiltinOperator.LOGISTIC, 3, null, TensorType.INT16, q(1.0 / 4096, 0), q(1.0 / 32768, 0),
                4), "LOGISTIC", "power of two");
        assertRefused(unary(BuiltinOperator.TANH, 3, null, TensorType.INT16, q(1.0 / 2048, 0), q(1.0 / 32768, 0), 4),
                "TANH", "power of two");
        assertRefused(unary(BuiltinOperator.LOGISTIC, 3, null, TensorType.INT16, q(1e-4, 0), q(1.0 / 16384, 0), 4),
                "LOGISTIC", "1/32768");
        assertRefused(unary(BuiltinOperator.TANH, 3, null, TensorType.INT16, q(1e-4, 0), q(1e-4, 0), 4), "TANH",
                "2^-15");
        assertRefused(unary(BuiltinOperator.TANH, 3, null, TensorType.INT16, q(1e-4, 2), q(1.0 / 32768, 0), 4), "TANH",
                "zero points must be 0");
        BuiltinOptions beta = BuiltinOptions.of("SoftmaxOptions").set("beta", 1.0f);
        assertRefused(unary(BuiltinOperator.SOFTMAX, 3, beta, TensorType.INT16, q(1e-4, 0), q(1.0 / 16384, 0), 4),
                "SOFTMAX", "1/32768");
        assertRefused(unary(BuiltinOperator.SOFTMAX, 3, beta, TensorType.INT16, q(1e-4, 0), q(1.0 / 32768, 0), 1, 1, 1,
                2, 3), "SOFTMAX", "rank at most 4");
        assertRefused(unary(BuiltinOperator.SOFTMAX, 3, beta, TensorType.INT16, q(1e-4, 1), q(1.0 / 32768, 0), 4),
                "SOFTMAX", "zero points must be 0");
    }

    // ---- FLOOR_DIV, FLOOR_MOD: a zero divisor at run time ----

    static TensorData ints(int[] values, int... shape) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < values.length; i++) {
            b.putInt(i * 4, values[i]);
        }
        return new TensorData(TensorType.INT32, shape, b);
    }

    @Test
    void integerDivisionByZeroAtRunTime() {
        for (BuiltinOperator op : new BuiltinOperator[] {BuiltinOperator.FLOOR_DIV, BuiltinOperator.FLOOR_MOD}) {
            ModelBuilder b = new ModelBuilder(op.name().toLowerCase());
            int x = b.input("x", TensorType.INT32, 2, 3);
            int y = b.input("y", TensorType.INT32, 3);
            b.output(b.op(op, 1, null, new int[] {x, y}, TensorSpec.of("z", TensorType.INT32, 2, 3))[0]);
            Model m = b.build();
            TensorData dividend = ints(new int[] {7, -7, 9, 0, 5, -3}, 2, 3);
            // TFLite fails the invoke ("Division by 0").
            try (TfliteInterpreter tfl = TfliteInterpreter.create(ModelWriter.toBytes(m),
                    TfliteOptions.defaults().useXnnpack(false))) {
                tfl.setInput(0, dividend);
                tfl.setInput(1, ints(new int[] {2, 0, -4}, 3));
                BackendException e = assertThrows(BackendException.class, tfl::invoke);
                assertTrue(e.getMessage().contains("Division by 0"), e.getMessage());
            }
            CompiledModel compiled = CompiledModel.compile(m);
            try (ExecutionContext c = compiled.newContext()) {
                c.setInput(0, dividend);
                c.setInput(1, ints(new int[] {2, 0, -4}, 3));
                InvalidInputException e = assertThrows(InvalidInputException.class, c::invoke);
                assertTrue(e.getMessage().contains("operator 0 (" + op + ")"), e.getMessage());
                assertTrue(e.getMessage().contains("division by 0"), e.getMessage());
                assertTrue(e.getMessage().contains("element 1"), e.getMessage());
                // The context stays usable: a good divisor runs and matches TFLite.
                c.setInput(1, ints(new int[] {2, -3, -4}, 3));
                c.invoke();
            }
            Differential.compare(op + " INT32 after a zero divisor", m,
                    List.of(dividend, ints(new int[] {2, -3, -4}, 3)), Differential.TOLERANCE, 0);
        }
    }
}
