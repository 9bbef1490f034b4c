package dev.whittle.runtime;

import dev.whittle.TensorData;
import dev.whittle.UnsupportedModelException;
import dev.whittle.model.BuiltinOperator;
import dev.whittle.model.BuiltinOptions;
import dev.whittle.model.Model;
import dev.whittle.model.ModelBuilder;
import dev.whittle.model.ModelBuilder.TensorSpec;
import dev.whittle.model.Quantization;
import dev.whittle.model.Tensor;
import dev.whittle.model.TensorType;
import dev.whittle.model.io.ModelReader;
import dev.whittle.testing.SharedData;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * CONV_2D and DEPTHWISE_CONV_2D on every type TFLite runs (int8 per-tensor and per-channel,
 * uint8, 16x8, hybrid) compared with TFLite's builtin kernels: integer outputs bit for bit
 * (0 LSB), hybrid float outputs within {@link Differential#TOLERANCE}.
 */
class QuantizedConvOpsTest {
    /** h, w, inC, outC (or multiplier for depthwise), kh, kw, strideH, strideW, dilH, dilW, groups. */
    private static final int[][] CONV_CASES = {
        {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1},
        {5, 7, 3, 5, 3, 3, 2, 2, 1, 1, 1},
        {6, 6, 5, 17, 2, 2, 2, 2, 1, 1, 1},
        {9, 10, 17, 3, 4, 3, 3, 3, 1, 1, 1},
        {10, 9, 3, 5, 3, 3, 1, 1, 2, 2, 1},
        {7, 8, 1, 1, 2, 4, 3, 2, 1, 1, 1},
        {4, 4, 16, 8, 1, 1, 1, 1, 1, 1, 1},
        {6, 5, 6, 9, 3, 3, 1, 2, 1, 1, 3},
        {5, 5, 4, 4, 3, 3, 1, 1, 2, 1, 4},
    };

    private static final int[][] DW_CASES = {
        {1, 1, 1, 1, 1, 1, 1, 1, 1, 1},
        {5, 7, 3, 2, 3, 3, 2, 2, 1, 1},
        {6, 6, 5, 1, 2, 2, 2, 2, 1, 1},
        {9, 10, 17, 3, 4, 3, 1, 1, 2, 2},
        {8, 7, 1, 3, 3, 3, 3, 3, 1, 1},
        {7, 9, 16, 1, 3, 3, 1, 2, 1, 1},
    };

    private static final int[] ACTIVATIONS = {0, 1, 3, 2};

    /** Everything that differs between the quantized variants of one test model. */
    record Types(TensorType act, TensorType weights, TensorType bias, float inScale, long inZp,
            float outScale, long outZp, long weightZp, boolean perChannel, boolean bigScales) {
    }

    private static float[] scales(SplittableRandom r, int n, boolean perChannel, boolean big) {
        float[] s = new float[perChannel ? n : 1];
        for (int i = 0; i < s.length; i++) {
            s[i] = (float) ((big ? 0.5 : 0.004) * (0.5 + r.nextDouble()));
        }
        return s;
    }

    private static long[] zeros(int n) {
        return new long[n];
    }

    /** The filter, bias and output quantization for one model; the output scale spreads results. */
    static Model build(BuiltinOperator op, int[] c, Types t, int activation, int batch, long seed,
            boolean depthwise) {
        SplittableRandom r = new SplittableRandom(seed);
        int h = c[0];
        int w = c[1];
        int inC = c[2];
        int kh = c[4];
        int kw = c[5];
        int groups = depthwise ? 1 : c[10];
        int outC = depthwise ? inC * c[3] : c[3] * groups;
        int filterInC = depthwise ? 1 : inC / groups;
        int[] wShape = depthwise ? new int[] {1, kh, kw, outC} : new int[] {outC, kh, kw, filterInC};
        int count = outC * kh * kw * filterInC;
        int axis = depthwise ? 3 : 0;
        float[] wScales = scales(r, outC, t.perChannel(), t.bigScales());
        ModelBuilder b = new ModelBuilder("conv");
        int x;
        if (t.act() == TensorType.FLOAT32) {
            x = b.input("x", TensorType.FLOAT32, batch, h, w, inC);
        } else {
            x = b.input("x", t.act(), Quantization.perTensor(t.inScale(), t.inZp()), batch, h, w, inC);
        }
        Quantization wq = t.perChannel() ? Quantization.perAxis(wScales, zeros(outC), axis)
                : Quantization.perTensor(wScales[0], t.weightZp());
        ByteBuffer wData = ByteBuffer.allocate(count);
        for (int i = 0; i < count; i++) {
            int v = t.weights() == TensorType.UINT8 ? r.nextInt(256) : r.nextInt(-127, 128);
            if (t.bigScales() && i % 3 == 0) {
                v = t.weights() == TensorType.UINT8 ? (i % 2 == 0 ? 0 : 255) : (i % 2 == 0 ? -127 : 127);
            }
            wData.put(i, (byte) v);
        }
        int filter = b.constant("w", t.weights(), wq, wData, wShape);
        int bias;
        float[] biasScales = new float[wScales.length];
        for (int i = 0; i < biasScales.length; i++) {
            biasScales[i] = t.inScale() * wScales[i];
        }
        Quantization bq = t.perChannel() ? Quantization.perAxis(biasScales, zeros(outC), 0)
                : Quantization.perTensor(biasScales[0], 0);
        if (t.bias() == TensorType.FLOAT32) {
            float[] bv = new float[outC];
            for (int i = 0; i < outC; i++) {
                bv[i] = (float) (r.nextDouble() - 0.5);
            }
            bias = b.constant("b", bv, outC);
        } else if (t.bias() == TensorType.INT64) {
            long[] bv = new long[outC];
            for (int i = 0; i < outC; i++) {
                bv[i] = r.nextLong(-2_000_000, 2_000_000);
            }
            bias = b.constant("b", TensorType.INT64, bq, longs(bv), outC);
        } else {
            int[] bv = new int[outC];
            for (int i = 0; i < outC; i++) {
                bv[i] = r.nextInt(-20_000, 20_000);
            }
            bias = b.constant("b", bv, bq, outC);
        }
        int[] geometry = geometry(c, depthwise);
        BuiltinOptions o = BuiltinOptions.of(depthwise ? "DepthwiseConv2DOptions" : "Conv2DOptions")
                .set("padding", geometry[4])
                .set("stride_h", c[6]).set("stride_w", c[7])
                .set("dilation_h_factor", c[8]).set("dilation_w_factor", c[9])
                .set("fused_activation_function", activation);
        if (depthwise) {
            o.set("depth_multiplier", c[3]);
        }
        int oh = outSize(geometry[4], h, kh, c[6], c[8]);
        int ow = outSize(geometry[4], w, kw, c[7], c[9]);
        TensorSpec y = t.act() == TensorType.FLOAT32 ? TensorSpec.of("y", TensorType.FLOAT32, batch, oh, ow, outC)
                : TensorSpec.quantized("y", t.act(), Quantization.perTensor(t.outScale(), t.outZp()), batch, oh, ow,
                        outC);
        b.output(b.op(op, 1, o, new int[] {x, filter, bias}, y)[0]);
        return b.build();
    }

    /** [.., .., .., .., padding]: the padding code the case uses is passed through c[11] when present. */
    private static int[] geometry(int[] c, boolean depthwise) {
        int padding = c.length > 11 ? c[11] : 0;
        return new int[] {0, 0, 0, 0, padding};
    }

    private static int outSize(int padding, int in, int k, int stride, int dil) {
        int eff = (k - 1) * dil + 1;
        return padding == 0 ? (in + stride - 1) / stride : Math.max(0, (in + stride - eff) / stride);
    }

    private static ByteBuffer longs(long[] v) {
        ByteBuffer b = ByteBuffer.allocate(v.length * 8).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < v.length; i++) {
            b.putLong(i * 8, v[i]);
        }
        return b;
    }

    private static int[] withPadding(int[] c, int padding) {
        int[] r = Arrays.copyOf(c, 12);
        r[11] = padding;
        if (c.length == 10) {
            r[10] = 1;
        }
        return r;
    }

    /** Output scale that keeps typical sums inside the output range, so rounding is exercised. */
    private static float outScale(float inScale, float wScale, int taps, int range) {
        return (float) (inScale * wScale * 70 * 70 * Math.sqrt(taps) / range);
    }

    /**
     * Random inputs over the whole range of the input's type (floats in [-1, 1]) and the
     * comparison: integers 0 LSB. (Differential.randomInput writes into TensorData.data(),
     * which is a read-only view, so integer inputs are made here.)
     */
    static Differential.Result compare(String label, Model m, long seed) {
        CompiledModel compiled = CompiledModel.compile(m);
        List<TensorData> inputs = new ArrayList<>();
        for (int i = 0; i < compiled.inputCount(); i++) {
            Tensor t = compiled.tensorInfo(compiled.inputTensorIndex(i));
            inputs.add(random(t.type(), t.shape(), seed + i));
        }
        return Differential.compare(label, m, inputs, Differential.TOLERANCE, 0);
    }

    static TensorData random(TensorType type, int[] shape, long seed) {
        if (type == TensorType.FLOAT32) {
            return Differential.randomFloat(shape, seed, -1, 1);
        }
        SplittableRandom r = new SplittableRandom(seed);
        int n = 1;
        for (int d : shape) {
            n *= d;
        }
        ByteBuffer b = ByteBuffer.allocate(n * type.bits() / 8).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < n; i++) {
            switch (type) {
                case INT8, UINT8 -> b.put(i, (byte) r.nextInt(256));
                case INT16 -> b.putShort(i * 2, (short) r.nextInt(65536));
                default -> throw new IllegalArgumentException("no random " + type);
            }
        }
        return new TensorData(type, shape, b);
    }

    private void sweep(String what, BuiltinOperator op, boolean depthwise, Types base) {
        int[][] cases = depthwise ? DW_CASES : CONV_CASES;
        int n = 0;
        for (int[] c0 : cases) {
            for (int padding = 0; padding < 2; padding++) {
                int[] c = withPadding(c0, padding);
                int act = ACTIVATIONS[n % ACTIVATIONS.length];
                int batch = n % 3 == 2 ? 2 : 1;
                int taps = c[4] * c[5] * (depthwise ? 1 : c[2] / c[10]);
                float mid = base.bigScales() ? 0.75f : 0.006f;
                Types t = base.act() == TensorType.FLOAT32 ? base
                        : new Types(base.act(), base.weights(), base.bias(), base.inScale(), base.inZp(),
                                base.outScale() > 0 ? base.outScale()
                                        : base.act() == TensorType.INT16
                                                ? outScale(base.inScale(), mid, taps, 32768) * 18000 / 70
                                                : outScale(base.inScale(), mid, taps, 128),
                                base.outZp(), base.weightZp(), base.perChannel(), base.bigScales());
                Model m = build(op, c, t, act, batch, 1000L * n + c[2], depthwise);
                compare(what + " " + Arrays.toString(c) + " act " + act + " batch " + batch, m, 17 + n);
                n++;
            }
        }
    }

    // ---- int8 ----

    @Test
    void conv2dInt8PerChannel() {
        sweep("CONV_2D int8 qc8w", BuiltinOperator.CONV_2D, false,
                new Types(TensorType.INT8, TensorType.INT8, TensorType.INT32, 0.02f, -128, 0, 127, 0, true, false));
    }

    @Test
    void conv2dInt8PerTensor() {
        sweep("CONV_2D int8 per-tensor", BuiltinOperator.CONV_2D, false,
                new Types(TensorType.INT8, TensorType.INT8, TensorType.INT32, 0.03f, 127, 0, -128, 0, false, false));
    }

    @Test
    void conv2dInt8Saturation() {
        sweep("CONV_2D int8 saturating", BuiltinOperator.CONV_2D, false,
                new Types(TensorType.INT8, TensorType.INT8, TensorType.INT32, 0.5f, 3, 0.05f, -5, 0, true, true));
    }

    @Test
    void depthwiseInt8() {
        sweep("DEPTHWISE_CONV_2D int8 qc8w", BuiltinOperator.DEPTHWISE_CONV_2D, true,
                new Types(TensorType.INT8, TensorType.INT8, TensorType.INT32, 0.02f, -128, 0, 127, 0, true, false));
        sweep("DEPTHWISE_CONV_2D int8 per-tensor", BuiltinOperator.DEPTHWISE_CONV_2D, true,
                new Types(TensorType.INT8, TensorType.INT8, TensorType.INT32, 0.03f, 127, 0, -128, 0, false, false));
        sweep("DEPTHWISE_CONV_2D int8 saturating", BuiltinOperator.DEPTHWISE_CONV_2D, true,
                new Types(TensorType.INT8, TensorType.INT8, TensorType.INT32, 0.5f, 0, 0.05f, 10, 0, true, true));
    }

    /**
     * Power-of-two scales make the real multiplier 2^-k exactly, so half the requantizations
     * are exact ties: this is where ruy's rounding (CONV_2D) and TFLite's (grouped CONV_2D,
     * DEPTHWISE_CONV_2D) part ways, and each must match its own.
     */
    @Test
    void exactTies() {
        Types t = new Types(TensorType.INT8, TensorType.INT8, TensorType.INT32, 0.5f, -3, 0, 0, 0, false, false);
        for (int[] c : new int[][] {{6, 6, 5, 7, 3, 3, 1, 1, 1, 1, 1, 0}, {5, 5, 4, 4, 3, 3, 2, 2, 1, 1, 2, 1},
            {4, 4, 16, 3, 1, 1, 1, 1, 1, 1, 1, 1}}) {
            for (float outScale : new float[] {0.5f * 0.0078125f * 8, 0.5f * 0.0078125f * 64}) {
                Types tt = new Types(t.act(), t.weights(), t.bias(), t.inScale(), t.inZp(), outScale, 5, 0, false, false);
                compare("CONV_2D int8 ties " + Arrays.toString(c) + " out " + outScale,
                        buildPow2(BuiltinOperator.CONV_2D, c, tt, false), 91);
            }
        }
        for (int[] c : new int[][] {{6, 6, 5, 2, 3, 3, 1, 1, 1, 1, 1, 0}, {5, 7, 3, 1, 2, 2, 2, 2, 1, 1, 1, 1}}) {
            Types tt = new Types(t.act(), t.weights(), t.bias(), t.inScale(), t.inZp(), 0.5f * 0.0078125f * 8, -7, 0,
                    false, false);
            compare("DEPTHWISE_CONV_2D int8 ties " + Arrays.toString(c),
                    buildPow2(BuiltinOperator.DEPTHWISE_CONV_2D, c, tt, true), 92);
        }
    }

    /** As {@link #build} with filter scale 2^-7, so in * filter / out is a power of two. */
    private static Model buildPow2(BuiltinOperator op, int[] c, Types t, boolean depthwise) {
        Model m = build(op, c, t, 0, 1, 5, depthwise);
        Quantization wq = Quantization.perTensor(0.0078125, 0);
        Quantization bq = Quantization.perTensor(t.inScale() * 0.0078125, 0);
        for (dev.whittle.model.Tensor tensor : m.subgraph(0).tensors()) {
            if (tensor.name().equals("w")) {
                tensor.setQuantization(wq);
            } else if (tensor.name().equals("b")) {
                tensor.setQuantization(bq);
            }
        }
        return m;
    }

    // ---- uint8 ----

    @Test
    void conv2dUint8() {
        sweep("CONV_2D uint8 wzp 128", BuiltinOperator.CONV_2D, false,
                new Types(TensorType.UINT8, TensorType.UINT8, TensorType.INT32, 0.02f, 0, 0, 255, 128, false, false));
        sweep("CONV_2D uint8 wzp 0", BuiltinOperator.CONV_2D, false,
                new Types(TensorType.UINT8, TensorType.UINT8, TensorType.INT32, 0.03f, 255, 0, 0, 0, false, false));
        sweep("CONV_2D uint8 saturating wzp 255", BuiltinOperator.CONV_2D, false,
                new Types(TensorType.UINT8, TensorType.UINT8, TensorType.INT32, 0.5f, 131, 0.05f, 120, 255, false, true));
    }

    @Test
    void depthwiseUint8() {
        sweep("DEPTHWISE_CONV_2D uint8 wzp 128", BuiltinOperator.DEPTHWISE_CONV_2D, true,
                new Types(TensorType.UINT8, TensorType.UINT8, TensorType.INT32, 0.02f, 0, 0, 255, 128, false, false));
        sweep("DEPTHWISE_CONV_2D uint8 saturating wzp 3", BuiltinOperator.DEPTHWISE_CONV_2D, true,
                new Types(TensorType.UINT8, TensorType.UINT8, TensorType.INT32, 0.5f, 255, 0.05f, 0, 3, false, true));
    }

    @Test
    void uint8Ties() {
        for (int[] c : new int[][] {{6, 6, 5, 7, 3, 3, 1, 1, 1, 1, 1, 0}, {5, 5, 4, 4, 3, 3, 2, 2, 1, 1, 2, 1}}) {
            Types t = new Types(TensorType.UINT8, TensorType.UINT8, TensorType.INT32, 0.5f, 128, 0.5f * 0.0078125f * 16,
                    100, 128, false, false);
            compare("CONV_2D uint8 ties " + Arrays.toString(c), buildPow2(BuiltinOperator.CONV_2D, c, t, false), 93);
        }
        Types t = new Types(TensorType.UINT8, TensorType.UINT8, TensorType.INT32, 0.5f, 128, 0.5f * 0.0078125f * 4,
                100, 128, false, false);
        compare("DEPTHWISE_CONV_2D uint8 ties", buildPow2(BuiltinOperator.DEPTHWISE_CONV_2D,
                new int[] {6, 6, 5, 2, 3, 3, 1, 1, 1, 1, 1, 0}, t, true), 94);
    }

    // ---- 16x8 ----

    @Test
    void conv2dInt16() {
        sweep("CONV_2D 16x8 qc8w", BuiltinOperator.CONV_2D, false,
                new Types(TensorType.INT16, TensorType.INT8, TensorType.INT64, 0.0005f, 0, 0, 0, 0, true, false));
        sweep("CONV_2D 16x8 per-tensor", BuiltinOperator.CONV_2D, false,
                new Types(TensorType.INT16, TensorType.INT8, TensorType.INT64, 0.0007f, 0, 0, 0, 0, false, false));
        sweep("CONV_2D 16x8 saturating", BuiltinOperator.CONV_2D, false,
                new Types(TensorType.INT16, TensorType.INT8, TensorType.INT64, 0.01f, 0, 0.0001f, 0, 0, true, true));
    }

    @Test
    void depthwiseInt16() {
        sweep("DEPTHWISE_CONV_2D 16x8 qc8w", BuiltinOperator.DEPTHWISE_CONV_2D, true,
                new Types(TensorType.INT16, TensorType.INT8, TensorType.INT64, 0.0005f, 0, 0, 0, 0, true, false));
        sweep("DEPTHWISE_CONV_2D 16x8 saturating", BuiltinOperator.DEPTHWISE_CONV_2D, true,
                new Types(TensorType.INT16, TensorType.INT8, TensorType.INT64, 0.01f, 0, 0.0001f, 0, 0, false, true));
    }

    // ---- hybrid ----

    @Test
    void conv2dHybrid() {
        sweep("CONV_2D hybrid per-channel", BuiltinOperator.CONV_2D, false,
                new Types(TensorType.FLOAT32, TensorType.INT8, TensorType.FLOAT32, 0, 0, 0, 0, 0, true, false));
    }

    @Test
    void conv2dHybridPerTensor() {
        int n = 0;
        for (int[] c0 : CONV_CASES) {
            if (c0[10] != 1) {
                continue;
            }
            int[] c = withPadding(c0, n % 2);
            Model m = build(BuiltinOperator.CONV_2D, c, new Types(TensorType.FLOAT32, TensorType.INT8,
                    TensorType.FLOAT32, 0, 0, 0, 0, 0, false, false), ACTIVATIONS[n % 4], 1 + n % 2, 300 + n, false);
            compare("CONV_2D hybrid per-tensor " + Arrays.toString(c), m, 40 + n);
            n++;
        }
    }

    @Test
    void depthwiseHybrid() {
        sweep("DEPTHWISE_CONV_2D hybrid per-channel", BuiltinOperator.DEPTHWISE_CONV_2D, true,
                new Types(TensorType.FLOAT32, TensorType.INT8, TensorType.FLOAT32, 0, 0, 0, 0, 0, true, false));
    }

    // ---- real models ----

    @Test
    void seanetConvolutions() {
        SharedData.assumeAvailable();
        for (String name : new String[] {"seanet_conv0_16x8.tflite", "seanet_conv5_16x8.tflite",
            "seanet_conv9_16x8.tflite", "seanet_conv10_16x8.tflite"}) {
            Model m = ModelReader.read(SharedData.model(name));
            Differential.Result r = compare(name, m, 5);
            assertTrue(r.elements() > 0, name);
            assertEquals(0, r.differing(), name);
        }
    }

    // ---- groups ----

    @Test
    void groupedFloatAndHybrid() {
        int n = 0;
        for (int[] c0 : new int[][] {{6, 5, 6, 3, 3, 3, 1, 2, 1, 1, 3}, {5, 5, 4, 1, 3, 3, 1, 1, 2, 1, 4},
            {4, 6, 10, 2, 1, 1, 1, 1, 1, 1, 5}, {7, 7, 8, 3, 2, 2, 2, 2, 1, 1, 2}}) {
            int[] c = withPadding(c0, n % 2);
            compare("CONV_2D float32 grouped " + Arrays.toString(c), buildFloat(c, 1 + n % 2, 60 + n), 60 + n);
            compare("CONV_2D hybrid grouped " + Arrays.toString(c), build(BuiltinOperator.CONV_2D, c,
                    new Types(TensorType.FLOAT32, TensorType.INT8, TensorType.FLOAT32, 0, 0, 0, 0, 0, true, false),
                    ACTIVATIONS[n], 1 + n % 2, 70 + n, false), 70 + n);
            n++;
        }
    }

    private static Model buildFloat(int[] c, int batch, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        int groups = c[10];
        int outC = c[3] * groups;
        int filterInC = c[2] / groups;
        float[] w = new float[outC * c[4] * c[5] * filterInC];
        for (int i = 0; i < w.length; i++) {
            w[i] = (float) (r.nextDouble() * 2 - 1);
        }
        float[] bias = new float[outC];
        for (int i = 0; i < outC; i++) {
            bias[i] = (float) (r.nextDouble() - 0.5);
        }
        ModelBuilder b = new ModelBuilder("grouped");
        int x = b.input("x", TensorType.FLOAT32, batch, c[0], c[1], c[2]);
        int wt = b.constant("w", w, outC, c[4], c[5], filterInC);
        int bt = b.constant("b", bias, outC);
        BuiltinOptions o = BuiltinOptions.of("Conv2DOptions").set("padding", c[11]).set("stride_h", c[6])
                .set("stride_w", c[7]).set("dilation_h_factor", c[8]).set("dilation_w_factor", c[9])
                .set("fused_activation_function", 1);
        int oh = outSize(c[11], c[0], c[4], c[6], c[8]);
        int ow = outSize(c[11], c[1], c[5], c[7], c[9]);
        b.output(b.op(BuiltinOperator.CONV_2D, o, new int[] {x, wt, bt},
                TensorSpec.of("y", TensorType.FLOAT32, batch, oh, ow, outC)));
        return b.build();
    }

    // ---- refusals ----

    private static void assertRefused(Model m, String... fragments) {
        UnsupportedModelException e = assertThrows(UnsupportedModelException.class, () -> CompiledModel.compile(m));
        for (String f : fragments) {
            assertTrue(e.getMessage().contains(f), e.getMessage() + " should mention " + f);
        }
    }

    private static final int[] SMALL = {4, 4, 3, 2, 3, 3, 1, 1, 1, 1, 1, 0};

    @Test
    void refusals() {
        Types int8 = new Types(TensorType.INT8, TensorType.INT8, TensorType.INT32, 0.02f, 0, 0.1f, 0, 0, true, false);
        // int8 input with float weights.
        ModelBuilder b = new ModelBuilder("bad");
        int x = b.input("x", TensorType.INT8, Quantization.perTensor(0.02, 0), 1, 4, 4, 3);
        int w = b.constant("w", new float[2 * 9 * 3], 2, 3, 3, 3);
        int bias = b.constant("b", new int[2], Quantization.perTensor(0.0004, 0), 2);
        b.output(b.op(BuiltinOperator.CONV_2D, 1, BuiltinOptions.of("Conv2DOptions").set("stride_h", 1)
                .set("stride_w", 1), new int[] {x, w, bias},
                TensorSpec.quantized("y", TensorType.INT8, Quantization.perTensor(0.1, 0), 1, 4, 4, 2))[0]);
        assertRefused(b.build(), "CONV_2D", "INT8 input needs an INT8 filter");

        // Per-channel scales on the wrong axis.
        Model m = build(BuiltinOperator.CONV_2D, SMALL, int8, 0, 1, 1, false);
        tensor(m, "w").setQuantization(Quantization.perAxis(new float[] {0.01f, 0.02f, 0.03f}, zeros(3), 3));
        assertRefused(m, "CONV_2D", "axis 0");
        Model dw = build(BuiltinOperator.DEPTHWISE_CONV_2D, new int[] {4, 4, 2, 1, 3, 3, 1, 1, 1, 1, 1, 0}, int8, 0, 1,
                1, true);
        tensor(dw, "w").setQuantization(Quantization.perAxis(new float[] {0.01f, 0.02f}, zeros(2), 0));
        assertRefused(dw, "DEPTHWISE_CONV_2D", "axis 3");

        // int16 with a nonzero zero point.
        Types int16 = new Types(TensorType.INT16, TensorType.INT8, TensorType.INT64, 0.001f, 3, 0.1f, 0, 0, true, false);
        assertRefused(build(BuiltinOperator.CONV_2D, SMALL, int16, 0, 1, 1, false), "zero point 0");
        // int16 with an int32 bias and no quantized_bias_type.
        Types int16b32 = new Types(TensorType.INT16, TensorType.INT8, TensorType.INT32, 0.001f, 0, 0.1f, 0, 0, true,
                false);
        assertRefused(build(BuiltinOperator.CONV_2D, SMALL, int16b32, 0, 1, 1, false), "quantized_bias_type");
        // Nonzero int8 filter zero point.
        Model zp = build(BuiltinOperator.CONV_2D, SMALL, int8, 0, 1, 1, false);
        tensor(zp, "w").setQuantization(Quantization.perTensor(0.01, 4));
        assertRefused(zp, "zero points must be 0");
        // uint8 with per-channel weights.
        Types u8 = new Types(TensorType.UINT8, TensorType.UINT8, TensorType.INT32, 0.02f, 0, 0.1f, 0, 0, true, false);
        assertRefused(build(BuiltinOperator.CONV_2D, SMALL, u8, 0, 1, 1, false), "per tensor");
        // Hybrid depthwise with one scale for several channels.
        Types hybridTensor = new Types(TensorType.FLOAT32, TensorType.INT8, TensorType.FLOAT32, 0, 0, 0, 0, 0, false,
                false);
        assertRefused(build(BuiltinOperator.DEPTHWISE_CONV_2D, new int[] {4, 4, 2, 2, 3, 3, 1, 1, 1, 1, 1, 0},
                hybridTensor, 0, 1, 1, true), "one filter scale per output channel");
        // Grouped hybrid with a per-tensor scale.
        assertRefused(build(BuiltinOperator.CONV_2D, new int[] {4, 4, 4, 2, 3, 3, 1, 1, 1, 1, 2, 0}, hybridTensor, 0,
                1, 1, false), "grouped hybrid");
        // Unsupported fused activation (TANH).
        assertRefused(build(BuiltinOperator.CONV_2D, SMALL, int8, 4, 1, 1, false), "fused activation 4");
        // Input channels not a multiple of the filter's.
        Model bad = build(BuiltinOperator.CONV_2D, new int[] {4, 4, 4, 3, 3, 3, 1, 1, 1, 1, 1, 0}, int8, 0, 1, 1, false);
        int[] ws = tensor(bad, "w").shape();
        ws[3] = 3;
        tensor(bad, "w").setShape(ws);
        assertRefused(bad, "not a multiple");
    }

    private static dev.whittle.model.Tensor tensor(Model m, String name) {
        for (dev.whittle.model.Tensor t : m.subgraph(0).tensors()) {
            if (t.name().equals(name)) {
                return t;
            }
        }
        throw new AssertionError("no tensor " + name);
    }

    /** Every kernel reports its XNNPACK-style name; the prepared node holds the one chosen by type. */
    @Test
    void kernelNames() {
        assertEquals("qs8_qc8w_conv2d__reference", dev.whittle.runtime.kernels.reference.ConvKernels.QS8_QC8W.name());
        assertEquals("qu8_dwconv2d__reference", dev.whittle.runtime.kernels.reference.DepthwiseConvKernels.QU8.name());
        assertEquals("qd8_f32_qc8w_conv2d__reference",
                dev.whittle.runtime.kernels.reference.ConvKernels.QD8_F32_QC8W.name());
    }
}
