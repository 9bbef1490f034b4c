package dev.whittle.optimize;

import dev.whittle.TensorData;
import dev.whittle.model.BuiltinOptions;
import dev.whittle.model.Model;
import dev.whittle.model.Operator;
import dev.whittle.model.Tensor;
import dev.whittle.model.io.ModelRepair;
import dev.whittle.model.io.ModelWriter;
import dev.whittle.tflite.TfliteInterpreter;
import dev.whittle.tflite.TfliteOptions;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * What a layer's weights see over the calibration data: for every tap (kernel position and
 * input channel, in the layout of one output channel's weights) the mean and the mean square
 * of the input value that tap multiplies, over all samples and output positions, padding
 * counted as the real value 0 it stands for. The mean gives bias correction
 * ({@code delta_bias[o] = -sum_t delta_w[o,t] * mean[t]} keeps the layer's mean
 * pre-activation output); the mean square is the diagonal of the input's second-moment
 * matrix, so {@code sum_t delta_w[o,t]^2 * meanSq[t]} is the output error that data-aware
 * pruning and clustering minimize, ignoring correlations between taps.
 *
 * <p>Collected with TFLite's builtin kernels (XNNPACK off, every tensor preserved), so int8
 * and uint8 models work as well as float ones; quantized activations are dequantized.
 */
final class ActivationStats {
    /** Largest tap count for which the full second-moment matrix is gathered. */
    static final int MAX_COVARIANCE_TAPS = 1024;

    final double[] mean;
    final double[] meanSq;
    /** E[p p^T] over the im2col patches p (row-major taps x taps), or null when not gathered. */
    final double[] secondMoment;

    private ActivationStats(double[] mean, double[] meanSq, double[] secondMoment) {
        this.mean = mean;
        this.meanSq = meanSq;
        this.secondMoment = secondMoment;
    }

    static Map<Layer, ActivationStats> collect(Model model, List<Layer> layers, List<TensorData> inputs) {
        return collect(model, layers, inputs, false);
    }

    /** Statistics for every layer of subgraph 0 whose geometry is understood; others are absent. */
    /**
     * @param covariance also gather the full second-moment matrix of each non-depthwise layer's
     *                   patches (up to {@link #MAX_COVARIANCE_TAPS} taps)
     */
    static Map<Layer, ActivationStats> collect(Model model, List<Layer> layers, List<TensorData> inputs,
                                               boolean covariance) {
        Map<Layer, Acc> acc = new HashMap<>();
        for (Layer l : layers) {
            Acc a = Acc.of(model, l, covariance);
            if (a != null) {
                acc.put(l, a);
            }
        }
        Map<Layer, ActivationStats> result = new HashMap<>();
        if (acc.isEmpty()) {
            return result;
        }
        TfliteOptions opts = TfliteOptions.defaults().useXnnpack(false).preserveAllTensors(true);
        try (TfliteInterpreter tfl = TfliteInterpreter.create(tfliteBytes(model), opts)) {
            for (TensorData in : inputs) {
                tfl.setInput(0, in);
                tfl.invoke();
                Map<Integer, float[]> cache = new HashMap<>();
                for (Map.Entry<Layer, Acc> e : acc.entrySet()) {
                    Layer l = e.getKey();
                    float[] x = cache.computeIfAbsent(l.input(), i -> dequantize(model, i, tfl.tensor(i)));
                    e.getValue().add(x, tfl.tensorInfo(l.input()).shape());
                }
            }
        }
        acc.forEach((l, a) -> result.put(l, a.finish()));
        return result;
    }

    /**
     * The model's bytes as TFLite accepts them: a copy with {@link ModelRepair}'s harmless fixes
     * when the model needs them (TFLite Micro models with a stray {@code quantized_dimension}).
     */
    static byte[] tfliteBytes(Model model) {
        if (!ModelRepair.needsRepair(model)) {
            return ModelWriter.toBytes(model);
        }
        Model m = model.copy();
        ModelRepair.repair(m);
        return ModelWriter.toBytes(m);
    }

    private static float[] dequantize(Model model, int index, TensorData t) {
        Tensor info = model.mainGraph().tensor(index);
        int n = Math.toIntExact(t.elementCount());
        float[] x = new float[n];
        double scale = info.isQuantized() ? info.quantization().scalarScale() : 1;
        double zp = info.isQuantized() ? info.quantization().scalarZeroPoint() : 0;
        for (int i = 0; i < n; i++) {
            x[i] = (float) ((t.getDouble(i) - zp) * scale);
        }
        return x;
    }

    /** Accumulates sums for one layer. */
    private static final class Acc {
        final Layer layer;
        final int kh;
        final int kw;
        final int channels;
        final int[] conv; // padding, stride_h, stride_w, dilation_h, dilation_w; null for fully connected
        final double[] sum;
        final double[] sumSq;
        final double[] outer;
        final double[] patch;
        long count;

        private Acc(Layer layer, int kh, int kw, int channels, int[] conv, boolean covariance) {
            this.layer = layer;
            this.kh = kh;
            this.kw = kw;
            this.channels = channels;
            this.conv = conv;
            this.sum = new double[kh * kw * channels];
            this.sumSq = new double[kh * kw * channels];
            int t = kh * kw * channels;
            boolean cov = covariance && !layer.depthwise() && t <= MAX_COVARIANCE_TAPS;
            this.outer = cov ? new double[t * t] : null;
            this.patch = cov ? new double[t] : null;
        }

        static Acc of(Model model, Layer l, boolean covariance) {
            if (l.subgraph() != 0) {
                return null;
            }
            Tensor w = model.mainGraph().tensor(l.weight());
            Tensor in = model.mainGraph().tensor(l.input());
            int[] ws = w.shape();
            int[] is = in.shape();
            Operator op = model.mainGraph().operator(l.operatorIndex());
            switch (l.op()) {
                case FULLY_CONNECTED -> {
                    return ws.length == 2 ? new Acc(l, 1, 1, ws[1], null, covariance) : null;
                }
                case CONV_2D, DEPTHWISE_CONV_2D -> {
                    if (ws.length != 4 || is.length != 4) {
                        return null;
                    }
                    int c = is[3];
                    if (l.op() == dev.whittle.model.BuiltinOperator.CONV_2D && ws[3] != c) {
                        return null; // grouped convolution
                    }
                    if (l.depthwise() && (c == 0 || ws[3] % c != 0)) {
                        return null;
                    }
                    BuiltinOptions o = op.builtinOptions();
                    if (o == null) {
                        return null;
                    }
                    boolean dil = o.schema().field("dilation_h_factor") != null;
                    int[] g = {o.getInt("padding"), o.getInt("stride_h"), o.getInt("stride_w"),
                            dil ? o.getInt("dilation_h_factor") : 1, dil ? o.getInt("dilation_w_factor") : 1};
                    return new Acc(l, ws[1], ws[2], c, g, covariance);
                }
                default -> {
                    return null;
                }
            }
        }

        void add(float[] x, int[] shape) {
            if (conv == null) {
                int rows = x.length / channels;
                for (int r = 0; r < rows; r++) {
                    int base = r * channels;
                    for (int c = 0; c < channels; c++) {
                        double v = x[base + c];
                        sum[c] += v;
                        sumSq[c] += v * v;
                    }
                    if (outer != null) {
                        toDouble(patch, x, base);
                        rankOne(patch);
                    }
                }
                count += rows;
                return;
            }
            int n = shape[0];
            int h = shape[1];
            int w = shape[2];
            int sh = conv[1];
            int sw = conv[2];
            int dh = conv[3];
            int dw = conv[4];
            int oh = outSize(conv[0], h, kh, sh, dh);
            int ow = outSize(conv[0], w, kw, sw, dw);
            int padT = Math.max(0, ((oh - 1) * sh + (kh - 1) * dh + 1 - h) / 2);
            int padL = Math.max(0, ((ow - 1) * sw + (kw - 1) * dw + 1 - w) / 2);
            for (int b = 0; b < n; b++) {
                for (int oy = 0; oy < oh; oy++) {
                    for (int ox = 0; ox < ow; ox++) {
                        if (patch != null) {
                            java.util.Arrays.fill(patch, 0);
                        }
                        for (int ky = 0; ky < kh; ky++) {
                            int iy = oy * sh - padT + ky * dh;
                            if (iy < 0 || iy >= h) {
                                continue;
                            }
                            for (int kx = 0; kx < kw; kx++) {
                                int ix = ox * sw - padL + kx * dw;
                                if (ix < 0 || ix >= w) {
                                    continue;
                                }
                                int src = ((b * h + iy) * w + ix) * channels;
                                int tap = (ky * kw + kx) * channels;
                                for (int c = 0; c < channels; c++) {
                                    double v = x[src + c];
                                    sum[tap + c] += v;
                                    sumSq[tap + c] += v * v;
                                    if (patch != null) {
                                        patch[tap + c] = v;
                                    }
                                }
                            }
                        }
                        if (patch != null) {
                            rankOne(patch);
                        }
                    }
                }
            }
            count += (long) n * oh * ow;
        }

        private static double[] toDouble(double[] dst, float[] x, int base) {
            for (int c = 0; c < dst.length; c++) {
                dst[c] = x[base + c];
            }
            return dst;
        }

        /** outer += p p^T on the upper triangle (mirrored in finish). */
        private void rankOne(double[] p) {
            int t = p.length;
            for (int i = 0; i < t; i++) {
                double pi = p[i];
                if (pi == 0) {
                    continue;
                }
                int row = i * t;
                for (int j = i; j < t; j++) {
                    outer[row + j] += pi * p[j];
                }
            }
        }

        private static int outSize(int padding, int in, int k, int s, int d) {
            int eff = (k - 1) * d + 1;
            return padding == 0 ? (in + s - 1) / s : Math.max(0, (in + s - eff) / s);
        }

        ActivationStats finish() {
            double[] m = new double[sum.length];
            double[] q = new double[sum.length];
            for (int i = 0; i < m.length; i++) {
                m[i] = count == 0 ? 0 : sum[i] / count;
                q[i] = count == 0 ? 0 : sumSq[i] / count;
            }
            double[] h = null;
            if (outer != null && count > 0) {
                int t = patch.length;
                h = new double[t * t];
                for (int i = 0; i < t; i++) {
                    for (int j = i; j < t; j++) {
                        double v = outer[i * t + j] / count;
                        h[i * t + j] = v;
                        h[j * t + i] = v;
                    }
                }
            }
            return new ActivationStats(m, q, h);
        }
    }
}
