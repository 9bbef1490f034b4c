package dev.whittle.runtime;

import dev.whittle.TensorData;
import dev.whittle.model.BuiltinOperator;
import dev.whittle.model.BuiltinOptions;
import dev.whittle.model.Model;
import dev.whittle.model.ModelBuilder;
import dev.whittle.model.ModelBuilder.TensorSpec;
import dev.whittle.model.Quantization;
import dev.whittle.model.TensorType;
import dev.whittle.runtime.kernels.KernelEntry;
import dev.whittle.runtime.kernels.KernelFamily;
import dev.whittle.runtime.kernels.KernelPath;
import dev.whittle.runtime.kernels.KernelRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The 16x8 kernels (CONV_2D, DEPTHWISE_CONV_2D, FULLY_CONNECTED: int16 activations, int8
 * weights, int64 or int32 bias) on every available path against the reference kernels, bit
 * for bit, through compiled single-op models in native memory with 1 and 3 intra-op threads;
 * the dispatched kernel's name is checked so a case cannot compare the reference with itself.
 *
 * <p>Sweeps: channels around the tile sizes, kernel sizes 1x1/3x3/5x5 and odd ones, strides
 * 1 and 2, dilation, SAME/VALID, odd spatial sizes, batch 2, fused activations, with and
 * without bias. Extremes: inputs all -32768 with weights all -128 (the most positive pair,
 * 2^23) over K far above the 255-pair int32 flush bound, so a missed flush overflows; inputs
 * at -32768/32767 with weights at -128/127; int64 biases near the ends of the range (the
 * reference's int64 arithmetic wraps there); multipliers whose mantissa is at least
 * 0x7FFF0000 (reduced to 0x7FFF), left shifts up to 6 and tiny scales.
 */
class Qs16KernelPathsTest {
    static final int[] THREADS = {1, 3};

    @AfterEach
    void clearProperty() {
        System.clearProperty(KernelPath.PROPERTY);
    }

    /** How inputs, weights, biases and scales are drawn. */
    enum Data {
        /** Uniform over the whole ranges, multipliers that keep outputs mostly in range. */
        RANDOM,
        /** Inputs -32768 and weights -128 everywhere: the largest positive sums. */
        MAX_POSITIVE,
        /** Inputs and weights at both ends, int64 biases near the ends of the range. */
        EXTREMES,
        /** Random data, per-channel multipliers from tiny to saturating (mantissa >= 0x7FFF0000, shift 6). */
        SCALES
    }

    static short input(SplittableRandom r, Data d, int i) {
        return switch (d) {
            case MAX_POSITIVE -> Short.MIN_VALUE;
            case EXTREMES -> i % 3 == 0 ? Short.MIN_VALUE : i % 3 == 1 ? Short.MAX_VALUE : (short) r.nextInt(65536);
            default -> (short) r.nextInt(65536);
        };
    }

    static byte weight(SplittableRandom r, Data d, int i) {
        return switch (d) {
            case MAX_POSITIVE -> Byte.MIN_VALUE;
            case EXTREMES -> i % 4 == 0 ? Byte.MIN_VALUE : i % 4 == 1 ? Byte.MAX_VALUE : (byte) r.nextInt(-127, 128);
            default -> (byte) r.nextInt(-127, 128);
        };
    }

    static long bias(SplittableRandom r, Data d, int c) {
        if (d == Data.EXTREMES) {
            return switch (c % 4) {
                case 0 -> Long.MAX_VALUE - r.nextInt(1 << 20);
                case 1 -> Long.MIN_VALUE + r.nextInt(1 << 20);
                case 2 -> r.nextLong(-(1L << 47), 1L << 47);
                default -> r.nextLong(-(1L << 30), 1L << 30);
            };
        }
        return r.nextLong(-(1L << 26), 1L << 26);
    }

    /** Weight scales for input and output scale 2^-15: the multiplier of channel c is ratio[c]. */
    static float[] weightScales(SplittableRandom r, Data d, int channels, int taps) {
        float[] s = new float[channels];
        double typical = 2.0 / (128 * Math.sqrt(taps));
        for (int c = 0; c < channels; c++) {
            double ratio = typical * (0.5 + r.nextDouble());
            if (d == Data.SCALES) {
                ratio = switch (c % 5) {
                    case 0 -> 0.99998 * 64; // mantissa above 0x7FFF0000, exponent 6
                    case 1 -> 0.99998 / 8;
                    case 2 -> 1.3e-6;
                    case 3 -> 0.7;
                    default -> ratio;
                };
            }
            s[c] = (float) ratio;
        }
        return s;
    }

    static final float SCALE = 1f / 32768;

    static ByteBuffer longs(long[] v) {
        ByteBuffer b = ByteBuffer.allocate(v.length * 8).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < v.length; i++) {
            b.putLong(i * 8, v[i]);
        }
        return b;
    }

    static TensorData inputData(int[] shape, Data d, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        int n = 1;
        for (int v : shape) {
            n *= v;
        }
        ByteBuffer b = ByteBuffer.allocate(n * 2).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < n; i++) {
            b.putShort(i * 2, input(r, d, i));
        }
        return new TensorData(TensorType.INT16, shape, b);
    }

    /**
     * CONV_2D or DEPTHWISE_CONV_2D 16x8.
     *
     * @param g {h, w, inC, outC (depthwise: multiplier), kh, kw, strideH, strideW, dilH, dilW, padding (0 SAME, 1 VALID)}
     */
    static Model conv(boolean depthwise, int[] g, int batch, int act, boolean withBias, Data d, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        int inC = g[2];
        int outC = depthwise ? inC * g[3] : g[3];
        int kh = g[4];
        int kw = g[5];
        int filterInC = depthwise ? 1 : inC;
        int[] wShape = depthwise ? new int[] {1, kh, kw, outC} : new int[] {outC, kh, kw, filterInC};
        int count = outC * kh * kw * filterInC;
        ModelBuilder b = new ModelBuilder("qs16");
        int x = b.input("x", TensorType.INT16, Quantization.perTensor(SCALE, 0), batch, g[0], g[1], inC);
        float[] ws = weightScales(r, d, outC, kh * kw * filterInC);
        byte[] wv = new byte[count];
        for (int i = 0; i < count; i++) {
            wv[i] = weight(r, d, i);
        }
        int filter = b.constant("w", wv, Quantization.perAxis(ws, new long[outC], depthwise ? 3 : 0), wShape);
        int bias = -1;
        if (withBias) {
            long[] bv = new long[outC];
            float[] bs = new float[outC];
            for (int c = 0; c < outC; c++) {
                bv[c] = bias(r, d, c);
                bs[c] = SCALE * ws[c];
            }
            bias = b.constant("b", TensorType.INT64, Quantization.perAxis(bs, new long[outC], 0), longs(bv), outC);
        }
        int padding = g[10];
        BuiltinOptions o = BuiltinOptions.of(depthwise ? "DepthwiseConv2DOptions" : "Conv2DOptions")
                .set("padding", padding).set("stride_h", g[6]).set("stride_w", g[7])
                .set("dilation_h_factor", g[8]).set("dilation_w_factor", g[9]).set("fused_activation_function", act);
        if (depthwise) {
            o.set("depth_multiplier", g[3]);
        }
        int oh = outSize(padding, g[0], kh, g[6], g[8]);
        int ow = outSize(padding, g[1], kw, g[7], g[9]);
        TensorSpec y = TensorSpec.quantized("y", TensorType.INT16, Quantization.perTensor(SCALE, 0), batch, oh, ow,
                outC);
        int[] inputs = withBias ? new int[] {x, filter, bias} : new int[] {x, filter};
        b.output(b.op(depthwise ? BuiltinOperator.DEPTHWISE_CONV_2D : BuiltinOperator.CONV_2D, depthwise ? 6 : 7, o,
                inputs, y)[0]);
        return b.build();
    }

    static int outSize(int padding, int in, int k, int stride, int dil) {
        int eff = (k - 1) * dil + 1;
        return padding == 0 ? (in + stride - 1) / stride : Math.max(0, (in + stride - eff) / stride);
    }

    /**
     * FULLY_CONNECTED 16x8.
     *
     * @param biasType INT64 (the reference with double requantization), INT32 (the int32 GEMM), or null
     */
    static Model fc(int batch, int cols, int units, int act, TensorType biasType, boolean perChannel, Data d,
            long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        ModelBuilder b = new ModelBuilder("qs16_fc");
        int x = b.input("x", TensorType.INT16, Quantization.perTensor(SCALE, 0), batch, cols);
        float[] ws = weightScales(r, d == Data.SCALES ? Data.RANDOM : d, units, cols);
        if (!perChannel) {
            ws = new float[] {ws[0]};
        }
        byte[] wv = new byte[units * cols];
        for (int i = 0; i < wv.length; i++) {
            wv[i] = weight(r, d, i);
        }
        Quantization wq = perChannel ? Quantization.perAxis(ws, new long[units], 0) : Quantization.perTensor(ws[0], 0);
        int w = b.constant("w", wv, wq, units, cols);
        int bias = -1;
        if (biasType != null) {
            float[] bs = new float[units];
            for (int c = 0; c < units; c++) {
                bs[c] = SCALE * ws[perChannel ? c : 0];
            }
            Quantization bq = Quantization.perAxis(bs, new long[units], 0);
            if (biasType == TensorType.INT64) {
                long[] bv = new long[units];
                for (int c = 0; c < units; c++) {
                    bv[c] = d == Data.EXTREMES ? r.nextLong(-(1L << 40), 1L << 40) : bias(r, d, c);
                }
                bias = b.constant("b", TensorType.INT64, bq, longs(bv), units);
            } else {
                int[] bv = new int[units];
                for (int c = 0; c < units; c++) {
                    bv[c] = d == Data.EXTREMES ? (c % 2 == 0 ? Integer.MAX_VALUE - c : Integer.MIN_VALUE + c)
                            : r.nextInt(-(1 << 24), 1 << 24);
                }
                bias = b.constant("b", bv, bq, units);
            }
        }
        BuiltinOptions o = BuiltinOptions.of("FullyConnectedOptions").set("fused_activation_function", act)
                .set("weights_format", 0).set("keep_num_dims", false).set("asymmetric_quantize_inputs", false)
                .set("quantized_bias_type", 0);
        TensorSpec y = TensorSpec.quantized("y", TensorType.INT16, Quantization.perTensor(SCALE, 0), batch, units);
        b.output(b.op(BuiltinOperator.FULLY_CONNECTED, 11, o, biasType == null ? new int[] {x, w, -1}
                : new int[] {x, w, bias}, y)[0]);
        return b.build();
    }

    /** Output bytes of {@code m} compiled for {@code path}; checks the kernel name starts with {@code expect}. */
    static byte[] run(Model m, String path, int threads, TensorData in, String expect, String label) {
        System.setProperty(KernelPath.PROPERTY, path);
        CompiledModel cm;
        try {
            cm = CompiledModel.compile(m);
        } finally {
            System.clearProperty(KernelPath.PROPERTY);
        }
        List<String> names = OpProfile.kernelNames(cm);
        assertTrue(names.get(0).startsWith(expect), label + ": dispatched " + names + ", expected " + expect + "*");
        try (ExecutionContext ctx = cm.newContext(threads)) {
            ctx.setInput(0, in);
            ctx.invoke();
            byte[] first = ctx.output(0).bytes();
            ctx.invoke();
            assertArrayEquals(first, ctx.output(0).bytes(), label + ": second invoke differs");
            return first;
        }
    }

    /** Runs {@code m} on every available non-reference path of {@code family} against the reference. */
    static int check(KernelFamily<?> family, String prefix, Model m, TensorData in, boolean fast, String label) {
        byte[] expected = run(m, "reference", 1, in, "", label);
        int n = 0;
        for (KernelEntry<?> e : KernelRegistry.available(family)) {
            if (e.path() == KernelPath.REFERENCE) {
                continue;
            }
            String expect = fast ? prefix : "";
            for (int t : THREADS) {
                byte[] actual = run(m, e.path().label(), t, in, expect, label);
                assertArrayEquals(expected, actual, label + " on " + e.path().label() + " threads " + t);
                n++;
            }
        }
        return n;
    }

    static final int[][] CONV_CASES = {
        // h, w, inC, outC, kh, kw, sh, sw, dh, dw, padding
        {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0},
        {5, 7, 3, 5, 3, 3, 1, 1, 1, 1, 0},
        {6, 5, 8, 16, 1, 1, 1, 1, 1, 1, 1},
        {7, 6, 17, 15, 1, 1, 2, 2, 1, 1, 0},
        {9, 8, 4, 17, 3, 3, 2, 2, 1, 1, 0},
        {9, 9, 5, 31, 5, 5, 1, 2, 1, 1, 1},
        {8, 10, 2, 8, 7, 7, 1, 1, 1, 1, 1},
        {10, 9, 3, 33, 3, 3, 1, 1, 2, 2, 0},
        {6, 7, 9, 32, 2, 4, 2, 1, 1, 1, 0},
        {4, 4, 16, 64, 3, 3, 1, 1, 1, 1, 0},
        {3, 5, 10, 65, 1, 3, 1, 2, 1, 1, 1},
        {2, 3, 6, 9, 2, 2, 1, 1, 1, 1, 1},
        {3, 12, 64, 64, 3, 4, 1, 2, 1, 1, 1},
    };

    static final int[] ACTS = {0, 1, 3, 2};

    /**
     * One run of a geometry-table sweep: the case (its padding flag as given or flipped), its running
     * number, and what cycles with the number: the data kind, the batch (2 for every third), the fused
     * activation and the bias (none for every fifth).
     */
    record Variant(int[] c, int i, Data d, int batch, int act, boolean bias) {}

    /**
     * Each geometry of {@code cases} ({h, w, c, n or multiplier, kh, kw, stride h, stride w, dil h, dil w,
     * SAME}) with its padding as given and flipped, leaving out SAME windows larger than the input,
     * numbered in order.
     */
    static List<Variant> paddingVariants(int[][] cases) {
        List<Variant> out = new java.util.ArrayList<>();
        int i = 0;
        for (int[] g : cases) {
            for (int padding = 0; padding < 2; padding++) {
                int[] c = g.clone();
                c[10] = (g[10] + padding) % 2;
                if (c[10] == 1 && (c[0] < (c[4] - 1) * c[8] + 1 || c[1] < (c[5] - 1) * c[9] + 1)) {
                    continue;
                }
                out.add(new Variant(c, i, Data.values()[i % Data.values().length], i % 3 == 2 ? 2 : 1,
                        ACTS[i % ACTS.length], i % 5 != 4));
                i++;
            }
        }
        return out;
    }

    @Test
    void conv2dSweeps() {
        int n = 0;
        for (Variant v : paddingVariants(CONV_CASES)) {
            Model m = conv(false, v.c(), v.batch(), v.act(), v.bias(), v.d(), 100 + v.i());
            TensorData in = inputData(new int[] {v.batch(), v.c()[0], v.c()[1], v.c()[2]}, v.d(), 7 + v.i());
            n += check(KernelRegistry.QS16_QC8W_CONV2D, "qs16_qc8w_conv2d_gemm_", m, in, true,
                    "conv " + java.util.Arrays.toString(v.c()) + " " + v.d());
        }
        assertTrue(n > 0 || KernelRegistry.available(KernelRegistry.QS16_QC8W_CONV2D).isEmpty(), "ran " + n);
    }

    /** K = 9 * 120 = 1080 and 1x1 with K = 1100: several int32 flushes; MAX_POSITIVE sums reach 2^32. */
    @Test
    void conv2dAboveTheFlushBound() {
        for (Data d : Data.values()) {
            int[] g3 = {4, 5, 120, 20, 3, 3, 1, 1, 1, 1, 0};
            check(KernelRegistry.QS16_QC8W_CONV2D, "qs16_qc8w_conv2d_gemm_", conv(false, g3, 1, 0, true, d, 5),
                    inputData(new int[] {1, 4, 5, 120}, d, 6), true, "conv K=1080 " + d);
            int[] g1 = {3, 3, 1100, 33, 1, 1, 1, 1, 1, 1, 1};
            check(KernelRegistry.QS16_QC8W_CONV2D, "qs16_qc8w_conv2d_gemm_", conv(false, g1, 1, 0, d != Data.SCALES, d,
                    9), inputData(new int[] {1, 3, 3, 1100}, d, 10), true, "conv 1x1 K=1100 " + d);
        }
    }

    static final int[][] DW_CASES = {
        {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0},
        {5, 7, 3, 1, 3, 3, 2, 2, 1, 1, 0},
        {6, 6, 16, 1, 3, 3, 1, 1, 1, 1, 0},
        {7, 9, 17, 1, 3, 3, 1, 2, 1, 1, 1},
        {9, 10, 33, 1, 5, 5, 1, 1, 2, 2, 0},
        {8, 7, 8, 1, 3, 3, 2, 2, 1, 1, 1},
        {5, 6, 64, 1, 2, 4, 1, 1, 1, 1, 0},
        {4, 5, 31, 1, 1, 1, 1, 1, 1, 1, 0},
        {6, 5, 15, 1, 3, 2, 2, 1, 1, 1, 0},
        {5, 5, 65, 1, 3, 3, 1, 1, 1, 1, 0},
    };

    @Test
    void depthwiseSweeps() {
        for (Variant v : paddingVariants(DW_CASES)) {
            check(KernelRegistry.QS16_QC8W_DWCONV2D, "qs16_qc8w_dwconv2d_", conv(true, v.c(), v.batch(), v.act(),
                    v.bias(), v.d(), 300 + v.i()), inputData(new int[] {v.batch(), v.c()[0], v.c()[1], v.c()[2]},
                    v.d(), 17 + v.i()), true, "dwconv " + java.util.Arrays.toString(v.c()) + " " + v.d());
        }
        // Depth multiplier 2 is left to the reference kernel.
        int[] m2 = {5, 5, 3, 2, 3, 3, 1, 1, 1, 1, 0};
        check(KernelRegistry.QS16_QC8W_DWCONV2D, "qs16_qc8w_dwconv2d_", conv(true, m2, 1, 0, true, Data.RANDOM, 1),
                inputData(new int[] {1, 5, 5, 3}, Data.RANDOM, 2), false, "dwconv multiplier 2");
        // A 17x17 window: 289 taps, above 255 pairs' worth of single taps per int32 flush of the GEMM.
        for (Data d : Data.values()) {
            int[] big = {17, 17, 20, 1, 17, 17, 1, 1, 1, 1, 0};
            check(KernelRegistry.QS16_QC8W_DWCONV2D, "qs16_qc8w_dwconv2d_", conv(true, big, 1, 0, true, d, 3),
                    inputData(new int[] {1, 17, 17, 20}, d, 4), true, "dwconv 17x17 " + d);
        }
    }

    @Test
    void fullyConnectedBothReferences() {
        int[] sizes = {1, 2, 3, 7, 8, 9, 15, 16, 17, 31, 32, 33, 64, 65};
        int i = 0;
        for (TensorType bias : new TensorType[] {TensorType.INT64, TensorType.INT32, null}) {
            for (int cols : sizes) {
                int units = sizes[(i * 5) % sizes.length];
                Data d = Data.values()[i % Data.values().length];
                int batch = 1 + i % 4;
                Model m = fc(batch, cols, units, ACTS[i % 4], bias, i % 3 != 0, d, 500 + i);
                check(KernelRegistry.QS16_QC8W_FULLY_CONNECTED, "qs16_qc8w_fully_connected_gemm_", m,
                        inputData(new int[] {batch, cols}, d, 9 + i), true,
                        "fc " + batch + "x" + cols + "->" + units + " bias " + bias + " " + d);
                i++;
            }
            for (Data d : Data.values()) {
                // K = 1200: several int32 flushes; MAX_POSITIVE sums reach 2^32.
                Model m = fc(3, 1200, 40, 0, bias, true, d, 77);
                check(KernelRegistry.QS16_QC8W_FULLY_CONNECTED, "qs16_qc8w_fully_connected_gemm_", m,
                        inputData(new int[] {3, 1200}, d, 78), true, "fc 3x1200->40 bias " + bias + " " + d);
            }
        }
    }
}
