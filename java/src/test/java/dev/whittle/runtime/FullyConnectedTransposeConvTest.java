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

import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * FULLY_CONNECTED (every data type) and TRANSPOSE_CONV against TFLite 2.20's builtin kernels:
 * integer outputs bit-exact (0 LSB), float outputs within {@link Differential#TOLERANCE}.
 */
class FullyConnectedTransposeConvTest {
    static final int FC_VERSION = 11;
    static final int TC_VERSION = 5;
    static final int[] SIZES = {1, 3, 5, 17, 33};

    // ---------------------------------------------------------------- helpers

    static float[] randomFloats(long seed, int n, double lo, double hi) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) (lo + (hi - lo) * r.nextDouble());
        }
        return v;
    }

    static byte[] randomBytes(long seed, int n, int lo, int hi) {
        SplittableRandom r = new SplittableRandom(seed);
        byte[] v = new byte[n];
        for (int i = 0; i < n; i++) {
            v[i] = (byte) r.nextInt(lo, hi + 1);
        }
        return v;
    }

    static int[] randomInts(long seed, int n, int bound) {
        SplittableRandom r = new SplittableRandom(seed);
        int[] v = new int[n];
        for (int i = 0; i < n; i++) {
            v[i] = r.nextInt(-bound, bound + 1);
        }
        return v;
    }

    static long[] toLongs(int[] v) {
        long[] r = new long[v.length];
        for (int i = 0; i < v.length; i++) {
            r[i] = v[i];
        }
        return r;
    }

    static float[] channelScales(float base, int n) {
        float[] s = new float[n];
        for (int c = 0; c < n; c++) {
            s[c] = base * (1 + 0.37f * (c % 5));
        }
        return s;
    }

    static int constantBias(ModelBuilder b, TensorType type, int[] values, float inScale, float[] wScales,
            boolean perChannel) {
        int n = values.length;
        Quantization q;
        if (perChannel) {
            float[] s = new float[n];
            for (int c = 0; c < n; c++) {
                s[c] = inScale * wScales[c];
            }
            q = Quantization.perAxis(s, new long[n], 0);
        } else {
            q = Quantization.perTensor(inScale * wScales[0], 0);
        }
        if (type == TensorType.INT64) {
            long[] l = toLongs(values);
            ByteBuffer buf = ByteBuffer.allocate(n * 8).order(ByteOrder.LITTLE_ENDIAN);
            for (long v : l) {
                buf.putLong(v);
            }
            buf.flip();
            return b.constant("b", TensorType.INT64, q, buf, n);
        }
        return b.constant("b", values, q, n);
    }

    static BuiltinOptions fcOptions(int act, boolean keep, boolean asymmetric, int biasType) {
        return BuiltinOptions.of("FullyConnectedOptions").set("fused_activation_function", act)
                .set("weights_format", 0).set("keep_num_dims", keep).set("asymmetric_quantize_inputs", asymmetric)
                .set("quantized_bias_type", biasType);
    }

    static int[] fcOutShape(int[] in, int cols, int units, boolean keep) {
        if (keep) {
            int[] o = in.clone();
            o[o.length - 1] = units;
            return o;
        }
        int n = 1;
        for (int d : in) {
            n *= d;
        }
        return new int[] {n / cols, units};
    }

    /**
     * One quantized FULLY_CONNECTED.
     *
     * @param act INT8, UINT8 or INT16 (weights INT8, except UINT8 with UINT8)
     * @param biasType INT32, INT64 or null for none
     * @param outScaleFactor output scale relative to a scale that keeps outputs mostly in range
     */
    static Model fcQuant(TensorType act, int[] inShape, int cols, int units, boolean keep, int inZp, int outZp,
            boolean perChannel, TensorType biasType, int activation, int quantizedBiasType, double outScaleFactor,
            long seed) {
        ModelBuilder b = new ModelBuilder("fc_q");
        boolean u8 = act == TensorType.UINT8;
        boolean i16 = act == TensorType.INT16;
        float inScale = i16 ? 0.0004f : 0.05f;
        int x = b.input("x", act, Quantization.perTensor(inScale, inZp), inShape);
        float[] ws = perChannel ? channelScales(0.02f, units) : new float[] {0.02f};
        byte[] wv = u8 ? randomBytes(seed, units * cols, -128, 127)
                : randomBytes(seed, units * cols, perChannel ? -127 : -128, 127);
        long wZp = u8 ? 131 : 0;
        Quantization wq = perChannel ? Quantization.perAxis(ws, new long[units], 0) : Quantization.perTensor(ws[0], wZp);
        int w = u8 ? b.constant("w", TensorType.UINT8, wq, ByteBuffer.wrap(wv), units, cols)
                : b.constant("w", wv, wq, units, cols);
        int bias = -1;
        if (biasType != null) {
            int bound = i16 ? 1 << 20 : 1 << 14;
            bias = constantBias(b, biasType, randomInts(seed + 1, units, bound), inScale, ws, perChannel);
        }
        double typical = (i16 ? 18900.0 : 74.0) * 74.0 * Math.sqrt(cols);
        double outScale = inScale * 0.02 * typical / (i16 ? 9000.0 : 60.0) * outScaleFactor;
        TensorSpec y = TensorSpec.quantized("y", act, Quantization.perTensor(outScale, outZp),
                fcOutShape(inShape, cols, units, keep));
        b.output(b.op(BuiltinOperator.FULLY_CONNECTED, FC_VERSION, fcOptions(activation, keep, false, quantizedBiasType),
                new int[] {x, w, bias}, y)[0]);
        return b.build();
    }

    // ---------------------------------------------------------------- FULLY_CONNECTED

    @Test
    void fcFloatShapes() {
        int[][] inShapes = {{1, 5}, {3, 17}, {2, 3, 5}, {2, 1, 3, 17}, {3, 33}};
        for (int[] in : inShapes) {
            int cols = in[in.length - 1];
            for (int units : new int[] {1, 5, 33}) {
                for (boolean keep : new boolean[] {false, true}) {
                    for (int act : new int[] {0, 1, 2, 3}) {
                        boolean bias = (units + act) % 2 == 0;
                        ModelBuilder b = new ModelBuilder("fc");
                        int x = b.input("x", TensorType.FLOAT32, in);
                        int w = b.constant("w", randomFloats(units * 7L + cols, units * cols, -1, 1), units, cols);
                        int bb = bias ? b.constant("b", randomFloats(units, units, -1, 1), units) : -1;
                        b.output(b.op(BuiltinOperator.FULLY_CONNECTED, FC_VERSION, fcOptions(act, keep, false, 0),
                                new int[] {x, w, bb},
                                TensorSpec.of("y", TensorType.FLOAT32, fcOutShape(in, cols, units, keep)))[0]);
                        compare("FC f32 " + Arrays.toString(in) + "x" + units + " keep " + keep + " act "
                                + act + " bias " + bias, b.build(), 17);
                    }
                }
            }
        }
    }

    @Test
    void fcFloatRankFourFlattensToRows() {
        // [2, 3, 4, 6] with 12 columns: 12 rows of 12, the output [12, 5] (keep_num_dims false).
        ModelBuilder b = new ModelBuilder("fc");
        int x = b.input("x", TensorType.FLOAT32, 2, 3, 4, 6);
        int w = b.constant("w", randomFloats(3, 5 * 12, -1, 1), 5, 12);
        b.output(b.op(BuiltinOperator.FULLY_CONNECTED, FC_VERSION, fcOptions(0, false, false, 0),
                new int[] {x, w, -1}, TensorSpec.of("y", TensorType.FLOAT32, 12, 5))[0]);
        compare("FC f32 rank 4 to rows of 12", b.build(), 3);
    }

    @Test
    void fcFloatInputNotAMultipleOfColumns() {
        // 14 elements, 4 columns: TFLite's Prepare takes 14 / 4 = 3 rows and ignores the rest.
        ModelBuilder b = new ModelBuilder("fc");
        int x = b.input("x", TensorType.FLOAT32, 2, 7);
        int w = b.constant("w", randomFloats(8, 5 * 4, -1, 1), 5, 4);
        b.output(b.op(BuiltinOperator.FULLY_CONNECTED, FC_VERSION, fcOptions(0, false, false, 0),
                new int[] {x, w, -1}, TensorSpec.of("y", TensorType.FLOAT32, 3, 5))[0]);
        compare("FC f32 14 elements in rows of 4", b.build(), 8);
    }

    @Test
    void fcInt8WeightsZeroPoint() {
        // Per-tensor INT8 weights may be asymmetric; the GEMM subtracts their zero point.
        for (int wZp : new int[] {-128, 9, 127}) {
            ModelBuilder b = new ModelBuilder("fc_wzp");
            int x = b.input("x", TensorType.INT8, Quantization.perTensor(0.05, -3), 3, 17);
            int w = b.constant("w", randomBytes(wZp + 300, 5 * 17, -128, 127), Quantization.perTensor(0.02, wZp), 5, 17);
            int bias = b.constant("b", randomInts(4, 5, 1 << 12), Quantization.perTensor(0.05f * 0.02f, 0), 5);
            b.output(b.op(BuiltinOperator.FULLY_CONNECTED, FC_VERSION, fcOptions(0, false, false, 0),
                    new int[] {x, w, bias}, TensorSpec.quantized("y", TensorType.INT8, Quantization.perTensor(0.6, 2),
                            3, 5))[0]);
            compare("FC int8 weights zero point " + wZp, b.build(), wZp + 200);
        }
    }

    @Test
    void fcInt8() {
        for (int cols : SIZES) {
            for (int units : SIZES) {
                for (int batch : new int[] {1, 3}) {
                    boolean perChannel = (cols + units + batch) % 2 == 0;
                    int inZp = (cols * 7 + units) % 3 == 0 ? -128 : (cols % 2 == 0 ? 127 : 5);
                    int outZp = units % 3 == 0 ? 127 : (units % 3 == 1 ? -128 : -3);
                    TensorType bias = (cols + batch) % 3 == 0 ? null : TensorType.INT32;
                    int act = (cols + units) % 4;
                    Model m = fcQuant(TensorType.INT8, new int[] {batch, cols}, cols, units, false, inZp, outZp,
                            perChannel, bias, act, 0, 1.0, cols * 100L + units);
                    compare("FC int8 " + batch + "x" + cols + "->" + units + (perChannel ? " qc8w" : "")
                            + " zp " + inZp + "/" + outZp + " act " + act + " bias " + bias, m, batch + cols);
                }
            }
        }
    }

    @Test
    void fcInt8RankThreeAndFour() {
        int[][] shapes = {{2, 3, 17}, {1, 2, 3, 5}, {3, 1, 33}};
        for (int[] in : shapes) {
            int cols = in[in.length - 1];
            for (boolean keep : new boolean[] {false, true}) {
                for (boolean perChannel : new boolean[] {false, true}) {
                    Model m = fcQuant(TensorType.INT8, in, cols, 5, keep, -7, 3, perChannel, TensorType.INT32, 0, 0,
                            1.0, 41);
                    compare("FC int8 " + Arrays.toString(in) + " keep " + keep + " pc " + perChannel, m, 5);
                }
            }
        }
    }

    @Test
    void fcInt8Saturation() {
        // A tenth of the usual output scale: many outputs clamp at both ends.
        for (int act : new int[] {0, 1, 3}) {
            Model m = fcQuant(TensorType.INT8, new int[] {3, 33}, 33, 17, false, 0, 0, true, TensorType.INT32, act, 0,
                    0.1, 9);
            Differential.Result r = compare("FC int8 saturating act " + act, m, 13);
            assertEquals(0, r.differing());
        }
    }

    @Test
    void fcInt8PowerOfTwoMultiplierTies() {
        // in 0.5 * w 0.5 / out 64 = 2^-8: every accumulator that is 128 mod 256 is a tie, so
        // the GEMM's rounding of ties (and of negative ties) is pinned down.
        ModelBuilder b = new ModelBuilder("fc_ties");
        int x = b.input("x", TensorType.INT8, Quantization.perTensor(0.5, 0), 3, 33);
        int w = b.constant("w", randomBytes(5, 17 * 33, -128, 127), Quantization.perTensor(0.5, 0), 17, 33);
        b.output(b.op(BuiltinOperator.FULLY_CONNECTED, FC_VERSION, fcOptions(0, false, false, 0),
                new int[] {x, w, -1}, TensorSpec.quantized("y", TensorType.INT8, Quantization.perTensor(64, 0), 3, 17))[0]);
        Model m = b.build();
        for (long seed = 0; seed < 8; seed++) {
            compare("FC int8 2^-8 multiplier seed " + seed, m, seed);
        }
    }

    @Test
    void fcUint8() {
        for (int cols : new int[] {1, 5, 17, 33}) {
            for (int units : new int[] {1, 3, 17}) {
                for (int batch : new int[] {1, 3}) {
                    int inZp = (cols + units) % 2 == 0 ? 0 : 255;
                    int outZp = (cols + batch) % 3 == 0 ? 255 : (units % 2 == 0 ? 0 : 128);
                    int act = (cols + units + batch) % 4;
                    TensorType bias = units == 3 ? null : TensorType.INT32;
                    Model m = fcQuant(TensorType.UINT8, new int[] {batch, cols}, cols, units, false, inZp, outZp,
                            false, bias, act, 0, 1.0, cols * 31L + units);
                    compare("FC uint8 " + batch + "x" + cols + "->" + units + " zp " + inZp + "/" + outZp
                            + " act " + act, m, cols + units);
                }
            }
        }
    }

    @Test
    void fcInt16() {
        for (int cols : SIZES) {
            for (int units : new int[] {1, 5, 17}) {
                for (TensorType bias : new TensorType[] {TensorType.INT64, TensorType.INT32, null}) {
                    boolean perChannel = (cols + units) % 2 == 1;
                    int act = (cols + units) % 4;
                    int batch = cols % 2 == 0 ? 1 : 3;
                    int qbt = bias == TensorType.INT64 ? 4 : bias == null && cols == 5 ? 4 : 0;
                    Model m = fcQuant(TensorType.INT16, new int[] {batch, cols}, cols, units, false, 0, 0, perChannel,
                            bias, act, qbt, 1.0, cols * 13L + units);
                    compare("FC int16 " + batch + "x" + cols + "->" + units + (perChannel ? " qc8w" : "")
                            + " bias " + bias + " qbt " + qbt + " act " + act, m, cols);
                }
            }
        }
        // Saturation, both paths.
        for (TensorType bias : new TensorType[] {TensorType.INT64, TensorType.INT32}) {
            Model m = fcQuant(TensorType.INT16, new int[] {3, 33}, 33, 17, false, 0, 0, true, bias, 0, 0, 0.1, 3);
            compare("FC int16 saturating bias " + bias, m, 3);
        }
    }

    static Model fcHybrid(int[] inShape, int cols, int units, boolean keep, boolean perChannel, boolean asymmetric,
            boolean bias, int act, long seed) {
        ModelBuilder b = new ModelBuilder("fc_hybrid");
        int x = b.input("x", TensorType.FLOAT32, inShape);
        float[] ws = perChannel ? channelScales(0.01f, units) : new float[] {0.01f};
        Quantization wq = perChannel ? Quantization.perAxis(ws, new long[units], 0) : Quantization.perTensor(ws[0], 0);
        int w = b.constant("w", randomBytes(seed, units * cols, -127, 127), wq, units, cols);
        int bb = bias ? b.constant("b", randomFloats(seed + 1, units, -1, 1), units) : -1;
        b.output(b.op(BuiltinOperator.FULLY_CONNECTED, FC_VERSION, fcOptions(act, keep, asymmetric, 0),
                new int[] {x, w, bb}, TensorSpec.of("y", TensorType.FLOAT32, fcOutShape(inShape, cols, units, keep)))[0]);
        return b.build();
    }

    @Test
    void fcHybrid() {
        for (int cols : SIZES) {
            for (int units : new int[] {1, 5, 17, 33}) {
                for (boolean asymmetric : new boolean[] {false, true}) {
                    // Per-channel weights only with asymmetric inputs (the symmetric case is refused).
                    boolean perChannel = asymmetric && (cols + units) % 2 == 0;
                    int batch = cols % 3 == 0 ? 1 : 3;
                    int act = (cols + units + (asymmetric ? 1 : 0)) % 6;
                    Model m = fcHybrid(new int[] {batch, cols}, cols, units, false, perChannel, asymmetric,
                            units != 5, act, cols * 3L + units);
                    compare("FC hybrid " + batch + "x" + cols + "->" + units + (perChannel ? " qc8w" : "")
                            + (asymmetric ? " asym" : " sym") + " act " + act, m, units);
                }
            }
        }
        for (boolean keep : new boolean[] {false, true}) {
            Model m = fcHybrid(new int[] {2, 3, 17}, 17, 5, keep, true, true, true, 1, 77);
            compare("FC hybrid rank 3 keep " + keep, m, 2);
        }
    }

    @Test
    void fcHybridZeroAndOneSidedInputs() {
        Model m = fcHybrid(new int[] {3, 17}, 17, 5, false, false, true, true, 0, 4);
        List<TensorData> zero = List.of(TensorData.zeros(TensorType.FLOAT32, 3, 17));
        compare("FC hybrid all-zero input", m, zero, Differential.TOLERANCE, 0);
        ByteBuffer buf = ByteBuffer.allocate(3 * 17 * 4).order(ByteOrder.LITTLE_ENDIAN);
        float[] v = randomFloats(6, 3 * 17, 0, 2);
        for (int i = 0; i < v.length; i++) {
            // Row 0 positive only, row 1 negative only, row 2 one nonzero value.
            float f = i < 17 ? v[i] : i < 34 ? -v[i] : (i == 40 ? 0.7f : 0f);
            buf.putFloat(i * 4, f);
        }
        List<TensorData> sided = List.of(new TensorData(TensorType.FLOAT32, new int[] {3, 17}, buf));
        for (boolean asymmetric : new boolean[] {false, true}) {
            compare("FC hybrid one-sided rows asym " + asymmetric,
                    fcHybrid(new int[] {3, 17}, 17, 5, false, asymmetric, asymmetric, true, 0, 4), sided,
                    Differential.TOLERANCE, 0);
        }
    }

    @Test
    void fcHybridInvokeDoesNotAllocate() {
        CompiledModel compiled = CompiledModel.compile(fcHybrid(new int[] {3, 33}, 33, 17, false, true, true, true, 0, 8));
        try (ExecutionContext c = compiled.newContext()) {
            c.setInput(0, Differential.randomInput(TensorType.FLOAT32, new int[] {3, 33}, 1));
            c.invoke();
            com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
            long tid = Thread.currentThread().threadId();
            long before = mx.getThreadAllocatedBytes(tid);
            for (int i = 0; i < 100; i++) {
                c.invoke();
            }
            long allocated = mx.getThreadAllocatedBytes(tid) - before;
            assertTrue(allocated < 16 * 1024, allocated + " bytes allocated by 100 hybrid invokes");
        }
    }

    @Test
    void fcSharedModels() {
        for (String name : new String[] {"hello_world_int8.tflite", "hello_world_float.tflite"}) {
            Path p = SharedData.model(name);
            Model m = ModelReader.read(p);
            compare("shared " + name, m, 21);
        }
    }

    @Test
    void fcRefusals() {
        // SHUFFLED4x16INT8 weights.
        ModelBuilder b = new ModelBuilder("fc_shuffled");
        int x = b.input("x", TensorType.FLOAT32, 1, 4);
        int w = b.constant("w", randomFloats(1, 8, -1, 1), 2, 4);
        b.output(b.op(BuiltinOperator.FULLY_CONNECTED, FC_VERSION,
                fcOptions(0, false, false, 0).set("weights_format", 1), new int[] {x, w, -1},
                TensorSpec.of("y", TensorType.FLOAT32, 1, 2))[0]);
        expectRefusal(b.build(), "SHUFFLED4x16INT8");
        // INT8 input with UINT8 weights.
        b = new ModelBuilder("fc_mixed");
        x = b.input("x", TensorType.INT8, Quantization.perTensor(0.1, 0), 1, 4);
        int w2 = b.constant("w2", TensorType.UINT8, Quantization.perTensor(0.1, 128), ByteBuffer.allocate(8), 2, 4);
        b.output(b.op(BuiltinOperator.FULLY_CONNECTED, FC_VERSION, fcOptions(0, false, false, 0), new int[] {x, w2, -1},
                TensorSpec.quantized("y", TensorType.INT8, Quantization.perTensor(0.1, 0), 1, 2))[0]);
        expectRefusal(b.build(), "not a supported combination");
        // Quantized TANH.
        expectRefusal(fcQuant(TensorType.INT8, new int[] {1, 5}, 5, 3, false, 0, 0, false, TensorType.INT32, 4, 0, 1, 1),
                "fused activation 4");
        // INT16 with a nonzero zero point.
        expectRefusal(fcQuant(TensorType.INT16, new int[] {1, 5}, 5, 3, false, 3, 0, false, TensorType.INT64, 0, 0, 1, 1),
                "zero point 0");
        // INT16 bias INT32 while quantized_bias_type says INT64.
        expectRefusal(fcQuant(TensorType.INT16, new int[] {1, 5}, 5, 3, false, 0, 0, false, TensorType.INT32, 0, 4, 1, 1),
                "quantized_bias_type");
        // Per-channel weights on the wrong axis.
        b = new ModelBuilder("fc_axis");
        x = b.input("x", TensorType.INT8, Quantization.perTensor(0.1, 0), 1, 3);
        w = b.constant("w", new byte[9], Quantization.perAxis(new float[] {0.1f, 0.2f, 0.3f}, new long[3], 1), 3, 3);
        b.output(b.op(BuiltinOperator.FULLY_CONNECTED, FC_VERSION, fcOptions(0, false, false, 0), new int[] {x, w, -1},
                TensorSpec.quantized("y", TensorType.INT8, Quantization.perTensor(0.1, 0), 1, 3))[0]);
        expectRefusal(b.build(), "along dimension 1");
        // Hybrid per-channel weights with symmetric input quantization (TFLite 2.20 drops the scales).
        expectRefusal(fcHybrid(new int[] {1, 5}, 5, 3, false, true, false, true, 0, 1), "per-channel weight scales");
        // Hybrid with UINT8 weights.
        b = new ModelBuilder("fc_hybrid_u8");
        x = b.input("x", TensorType.FLOAT32, 1, 4);
        w = b.constant("w", TensorType.UINT8, Quantization.perTensor(0.1, 128), ByteBuffer.allocate(8), 2, 4);
        b.output(b.op(BuiltinOperator.FULLY_CONNECTED, FC_VERSION, fcOptions(0, false, false, 0), new int[] {x, w, -1},
                TensorSpec.of("y", TensorType.FLOAT32, 1, 2))[0]);
        expectRefusal(b.build(), "UINT8 weights");
    }

    // ---------------------------------------------------------------- TRANSPOSE_CONV

    /** in H, W, C; out C; kernel H, W; stride. */
    static final int[][] TC_CASES = {
        {1, 1, 1, 1, 1, 1, 1},
        {3, 4, 3, 5, 3, 3, 2},
        {5, 3, 5, 3, 2, 3, 3},
        {4, 4, 1, 3, 3, 3, 1},
        {2, 3, 3, 1, 4, 2, 2},
        {3, 3, 5, 5, 5, 5, 3},
    };

    /**
     * The output size whose forward convolution gives {@code in}; {@code trim} picks the
     * other size that does (an odd total padding), when the stride allows one.
     */
    static int tcOutSize(int in, int k, int stride, ModelBuilder.Padding padding, boolean trim) {
        int extra = trim ? stride - 1 : 0;
        return padding == ModelBuilder.Padding.SAME ? in * stride - extra : (in - 1) * stride + k + extra;
    }

    static BuiltinOptions tcOptions(ModelBuilder.Padding padding, int stride, int act, int biasType) {
        return BuiltinOptions.of("TransposeConvOptions").set("padding", padding.code()).set("stride_h", stride)
                .set("stride_w", stride).set("fused_activation_function", act).set("quantized_bias_type", biasType);
    }

    /**
     * One TRANSPOSE_CONV.
     *
     * @param act FLOAT32, INT8, UINT8 or INT16
     * @param biasType FLOAT32/INT32/INT64 bias, or null for none (then only 3 inputs)
     */
    static Model tc(TensorType act, int batch, int[] c, ModelBuilder.Padding padding, boolean trim, int activation,
            boolean perChannel, TensorType biasType, int quantizedBiasType, int inZp, int outZp, double outScaleFactor,
            long seed) {
        int inH = c[0];
        int inW = c[1];
        int inC = c[2];
        int outC = c[3];
        int kh = c[4];
        int kw = c[5];
        int stride = c[6];
        int outH = tcOutSize(inH, kh, stride, padding, trim);
        int outW = tcOutSize(inW, kw, stride, padding, trim);
        ModelBuilder b = new ModelBuilder("tc");
        int shape = b.constant("shape", new int[] {batch, outH, outW, outC}, 4);
        int nw = outC * kh * kw * inC;
        int x;
        int w;
        int bias = -1;
        TensorSpec y;
        if (act == TensorType.FLOAT32) {
            x = b.input("x", act, batch, inH, inW, inC);
            w = b.constant("w", randomFloats(seed, nw, -1, 1), outC, kh, kw, inC);
            if (biasType != null) {
                bias = b.constant("b", randomFloats(seed + 1, outC, -1, 1), outC);
            }
            y = TensorSpec.of("y", act, batch, outH, outW, outC);
        } else {
            boolean u8 = act == TensorType.UINT8;
            boolean i16 = act == TensorType.INT16;
            float inScale = i16 ? 0.0004f : 0.05f;
            x = b.input("x", act, Quantization.perTensor(inScale, inZp), batch, inH, inW, inC);
            float[] ws = perChannel ? channelScales(0.02f, outC) : new float[] {0.02f};
            Quantization wq = perChannel ? Quantization.perAxis(ws, new long[outC], 0)
                    : Quantization.perTensor(ws[0], u8 ? 119 : 0);
            byte[] wv = randomBytes(seed, nw, u8 ? -128 : -127, 127);
            w = u8 ? b.constant("w", TensorType.UINT8, wq, ByteBuffer.wrap(wv), outC, kh, kw, inC)
                    : b.constant("w", wv, wq, outC, kh, kw, inC);
            if (biasType != null) {
                bias = constantBias(b, biasType, randomInts(seed + 1, outC, i16 ? 1 << 20 : 1 << 14), inScale, ws,
                        perChannel);
            }
            double taps = Math.max(1.0, (double) kh * kw * inC / (stride * stride));
            double typical = (i16 ? 18900.0 : 74.0) * 74.0 * Math.sqrt(taps);
            double outScale = inScale * 0.02 * typical / (i16 ? 9000.0 : 60.0) * outScaleFactor;
            y = TensorSpec.quantized("y", act, Quantization.perTensor(outScale, outZp), batch, outH, outW, outC);
        }
        int[] inputs = bias >= 0 ? new int[] {shape, w, x, bias} : new int[] {shape, w, x};
        b.output(b.op(BuiltinOperator.TRANSPOSE_CONV, TC_VERSION, tcOptions(padding, stride, activation,
                quantizedBiasType), inputs, y)[0]);
        return b.build();
    }

    static String tcLabel(String type, int batch, int[] c, ModelBuilder.Padding padding, boolean trim) {
        return "TRANSPOSE_CONV " + type + " batch " + batch + " " + Arrays.toString(c) + " " + padding
                + (trim ? " odd" : "");
    }

    @Test
    void tcFloat() {
        int i = 0;
        for (int[] c : TC_CASES) {
            for (ModelBuilder.Padding padding : ModelBuilder.Padding.values()) {
                for (boolean trim : new boolean[] {false, true}) {
                    if (trim && c[6] == 1) {
                        continue;
                    }
                    int batch = i % 2 == 0 ? 1 : 3;
                    int act = i % 4;
                    TensorType bias = i % 3 == 2 ? null : TensorType.FLOAT32;
                    compare(tcLabel("f32 act " + act, batch, c, padding, trim),
                            tc(TensorType.FLOAT32, batch, c, padding, trim, act, false, bias, 0, 0, 0, 1, i), i);
                    i++;
                }
            }
        }
    }

    @Test
    void tcInt8() {
        int i = 0;
        for (int[] c : TC_CASES) {
            for (ModelBuilder.Padding padding : ModelBuilder.Padding.values()) {
                for (boolean trim : new boolean[] {false, true}) {
                    if (trim && c[6] == 1) {
                        continue;
                    }
                    int batch = i % 2 == 0 ? 1 : 3;
                    int act = i % 4;
                    boolean perChannel = i % 3 != 1;
                    int inZp = i % 3 == 0 ? -128 : (i % 3 == 1 ? 127 : 4);
                    int outZp = i % 4 == 0 ? 127 : (i % 4 == 1 ? -128 : -9);
                    TensorType bias = i % 5 == 4 ? null : TensorType.INT32;
                    compare(tcLabel("int8 act " + act + (perChannel ? " qc8w" : "") + " zp " + inZp + "/" + outZp,
                            batch, c, padding, trim), tc(TensorType.INT8, batch, c, padding, trim, act, perChannel, bias,
                            0, inZp, outZp, 1, i), i);
                    i++;
                }
            }
        }
        // Saturation at both ends.
        compare("TRANSPOSE_CONV int8 saturating", tc(TensorType.INT8, 2, TC_CASES[1], ModelBuilder.Padding.SAME, false,
                0, true, TensorType.INT32, 0, 0, 0, 0.1, 3), 3);
    }

    @Test
    void tcUint8() {
        int i = 0;
        for (int[] c : TC_CASES) {
            for (ModelBuilder.Padding padding : ModelBuilder.Padding.values()) {
                int batch = i % 2 == 0 ? 1 : 3;
                int act = i % 4;
                int inZp = i % 2 == 0 ? 0 : 255;
                int outZp = i % 3 == 0 ? 255 : (i % 3 == 1 ? 0 : 131);
                compare(tcLabel("uint8 act " + act + " zp " + inZp + "/" + outZp, batch, c, padding, i % 2 == 1),
                        tc(TensorType.UINT8, batch, c, padding, i % 2 == 1, act, false,
                                i % 4 == 3 ? null : TensorType.INT32, 0, inZp, outZp, 1, i), i);
                i++;
            }
        }
    }

    @Test
    void tcInt16() {
        int i = 0;
        for (int[] c : TC_CASES) {
            for (ModelBuilder.Padding padding : ModelBuilder.Padding.values()) {
                int batch = i % 2 == 0 ? 1 : 3;
                int act = i % 4;
                boolean perChannel = i % 3 != 2;
                // int64 bias; no bias; int32 bias declared by quantized_bias_type.
                TensorType bias = i % 3 == 0 ? TensorType.INT64 : i % 3 == 1 ? null : TensorType.INT32;
                int qbt = bias == TensorType.INT32 ? 2 : (bias == TensorType.INT64 && i % 2 == 0 ? 4 : 0);
                compare(tcLabel("int16 act " + act + " bias " + bias + " qbt " + qbt, batch, c, padding, i % 2 == 1),
                        tc(TensorType.INT16, batch, c, padding, i % 2 == 1, act, perChannel, bias, qbt, 0, 0, 1, i), i);
                i++;
            }
        }
        for (TensorType bias : new TensorType[] {TensorType.INT64, TensorType.INT32}) {
            compare("TRANSPOSE_CONV int16 saturating bias " + bias, tc(TensorType.INT16, 1, TC_CASES[5],
                    ModelBuilder.Padding.SAME, false, 0, true, bias, bias == TensorType.INT32 ? 2 : 0, 0, 0, 0.05, 5), 5);
        }
    }

    @Test
    void tcInvokeDoesNotAllocate() {
        CompiledModel compiled = CompiledModel.compile(tc(TensorType.INT8, 2, TC_CASES[1], ModelBuilder.Padding.SAME,
                false, 0, true, TensorType.INT32, 0, 0, 0, 1, 1));
        try (ExecutionContext c = compiled.newContext()) {
            c.setInput(0, inputs(tc(TensorType.INT8, 2, TC_CASES[1], ModelBuilder.Padding.SAME, false, 0, true,
                    TensorType.INT32, 0, 0, 0, 1, 1), 1).get(0));
            c.invoke();
            com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
            long tid = Thread.currentThread().threadId();
            long before = mx.getThreadAllocatedBytes(tid);
            for (int i = 0; i < 100; i++) {
                c.invoke();
            }
            long allocated = mx.getThreadAllocatedBytes(tid) - before;
            assertTrue(allocated < 16 * 1024, allocated + " bytes allocated by 100 TRANSPOSE_CONV invokes");
        }
    }

    @Test
    void tcRefusals() {
        // output_shape computed at run time (a graph input).
        ModelBuilder b = new ModelBuilder("tc_dynamic");
        int shape = b.input("shape", TensorType.INT32, 4);
        int w = b.constant("w", randomFloats(1, 2 * 3 * 3 * 2, -1, 1), 2, 3, 3, 2);
        int x = b.input("x", TensorType.FLOAT32, 1, 2, 2, 2);
        b.output(b.op(BuiltinOperator.TRANSPOSE_CONV, TC_VERSION, tcOptions(ModelBuilder.Padding.SAME, 2, 0, 0),
                new int[] {shape, w, x}, TensorSpec.of("y", TensorType.FLOAT32, 1, 4, 4, 2))[0]);
        expectRefusal(b.build(), "must be a constant");
        // INT16 with an INT32 bias but no quantized_bias_type: TFLite would read it as INT64.
        expectRefusal(tc(TensorType.INT16, 1, TC_CASES[1], ModelBuilder.Padding.SAME, false, 0, true, TensorType.INT32,
                0, 0, 0, 1, 1), "reads it as INT64");
        // Hybrid.
        b = new ModelBuilder("tc_hybrid");
        shape = b.constant("shape", new int[] {1, 4, 4, 2}, 4);
        w = b.constant("w", new byte[2 * 3 * 3 * 2], Quantization.perTensor(0.1, 0), 2, 3, 3, 2);
        x = b.input("x", TensorType.FLOAT32, 1, 2, 2, 2);
        b.output(b.op(BuiltinOperator.TRANSPOSE_CONV, TC_VERSION, tcOptions(ModelBuilder.Padding.SAME, 2, 0, 0),
                new int[] {shape, w, x}, TensorSpec.of("y", TensorType.FLOAT32, 1, 4, 4, 2))[0]);
        expectRefusal(b.build(), "hybrid");
        // Input size inconsistent with the output shape.
        b = new ModelBuilder("tc_size");
        shape = b.constant("shape", new int[] {1, 9, 9, 2}, 4);
        w = b.constant("w", randomFloats(1, 2 * 3 * 3 * 2, -1, 1), 2, 3, 3, 2);
        x = b.input("x", TensorType.FLOAT32, 1, 2, 2, 2);
        b.output(b.op(BuiltinOperator.TRANSPOSE_CONV, TC_VERSION, tcOptions(ModelBuilder.Padding.SAME, 2, 0, 0),
                new int[] {shape, w, x}, TensorSpec.of("y", TensorType.FLOAT32, 1, 9, 9, 2))[0]);
        expectRefusal(b.build(), "a convolution over the");
        // Quantized TANH.
        expectRefusal(tc(TensorType.INT8, 1, TC_CASES[1], ModelBuilder.Padding.SAME, false, 4, true, TensorType.INT32,
                0, 0, 0, 1, 1), "fused activation 4");
    }

    static void expectRefusal(Model m, String fragment) {
        UnsupportedModelException e = assertThrows(UnsupportedModelException.class, () -> CompiledModel.compile(m));
        assertTrue(e.getMessage().contains("FULLY_CONNECTED") || e.getMessage().contains("TRANSPOSE_CONV"),
                e.getMessage());
        assertTrue(e.getMessage().contains(fragment), e.getMessage());
    }

    /**
     * Random inputs over each type's whole range (floats in [-1, 1]). Built here rather than
     * with {@code Differential.randomInput}, which writes into {@code TensorData.data()}, a
     * read-only view, and so fails for integer types.
     */
    static List<TensorData> inputs(Model m, long seed) {
        CompiledModel c = CompiledModel.compile(m);
        List<TensorData> r = new ArrayList<>();
        for (int i = 0; i < c.inputCount(); i++) {
            var t = c.tensorInfo(c.inputTensorIndex(i));
            if (t.type() == TensorType.FLOAT32) {
                r.add(Differential.randomFloat(t.shape(), seed + i, -1, 1));
                continue;
            }
            SplittableRandom rnd = new SplittableRandom(seed + i);
            int n = Math.toIntExact(t.elementCount());
            int width = t.type() == TensorType.INT16 ? 2 : 1;
            ByteBuffer b = ByteBuffer.allocate(n * width).order(ByteOrder.LITTLE_ENDIAN);
            for (int k = 0; k < n; k++) {
                if (width == 2) {
                    b.putShort(k * 2, (short) rnd.nextInt(65536));
                } else {
                    b.put(k, (byte) rnd.nextInt(256));
                }
            }
            r.add(new TensorData(t.type(), t.shape(), b));
        }
        return r;
    }

    static Differential.Result compare(String label, Model m, long seed) {
        return Differential.compare(label, m, inputs(m, seed), Differential.TOLERANCE, 0);
    }

    static Differential.Result compare(String label, Model m, List<TensorData> in, double tol, long lsb) {
        return Differential.compare(label, m, in, tol, lsb);
    }
}
