package dev.whittle.quantize;

import dev.whittle.InvalidInputException;
import dev.whittle.TensorData;
import dev.whittle.model.Model;
import dev.whittle.model.Operator;
import dev.whittle.model.Subgraph;
import dev.whittle.model.Tensor;
import dev.whittle.model.TensorType;

import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.Set;

/**
 * Runs the float model on calibration samples with every tensor kept and collects, for every
 * float32 activation of subgraph 0, what the {@link RangeMethod}s need: global min/max, a
 * moving average of per-sample min/max, and (second pass, for percentile and MSE) a
 * histogram over the min/max range.
 */
public final class Calibrator {
    /** Weight of the newest sample in the moving average of min/max. */
    public static final double EMA_CONSTANT = 0.1;
    /** Percentile kept by {@link RangeMethod#PERCENTILE}. */
    public static final double DEFAULT_PERCENTILE = 99.99;
    /** Histogram resolution for percentile and MSE. */
    static final int BINS = 2048;

    /** Progress callback: called after each sample of each pass. */
    @FunctionalInterface
    public interface Progress {
        void update(String phase, int done, int total);

        Progress NONE = (p, d, t) -> { };
    }

    private Calibrator() {
    }

    /** The statistics of one tensor. */
    static final class TensorStats {
        double min = Double.POSITIVE_INFINITY;
        double max = Double.NEGATIVE_INFINITY;
        double emaMin = Double.NaN;
        double emaMax = Double.NaN;
        long[] histogram;
        double histLo;
        double histHi;

        void accept(float[] v) {
            double lo = Double.POSITIVE_INFINITY;
            double hi = Double.NEGATIVE_INFINITY;
            for (float f : v) {
                if (f < lo) {
                    lo = f;
                }
                if (f > hi) {
                    hi = f;
                }
            }
            if (v.length == 0) {
                return;
            }
            min = Math.min(min, lo);
            max = Math.max(max, hi);
            emaMin = Double.isNaN(emaMin) ? lo : emaMin + EMA_CONSTANT * (lo - emaMin);
            emaMax = Double.isNaN(emaMax) ? hi : emaMax + EMA_CONSTANT * (hi - emaMax);
        }

        void startHistogram() {
            histogram = new long[BINS];
            histLo = min;
            histHi = max;
        }

        void histogram(float[] v) {
            double width = (histHi - histLo) / BINS;
            for (float f : v) {
                int b = width <= 0 ? 0 : (int) ((f - histLo) / width);
                histogram[Math.min(BINS - 1, Math.max(0, b))]++;
            }
        }
    }

    /**
     * Collects statistics for every float32 activation of subgraph 0.
     *
     * @param inputShape the shape samples are fed with (the model's own, or a resize of a dynamic input)
     * @param histograms whether to make the second pass that percentile and MSE need
     */
    public static ActivationStats collect(Model model, CalibrationData data, int[] inputShape, boolean histograms,
                                          Progress progress) {
        if (data.size() == 0) {
            throw new InvalidInputException("the calibration source " + data.source() + " gave no samples");
        }
        Subgraph g = model.mainGraph();
        if (g.inputs().length != 1) {
            throw new InvalidInputException("calibration feeds models with one input; this one has " + g.inputs().length);
        }
        Set<Integer> tracked = new LinkedHashSet<>();
        for (int t : g.inputs()) {
            tracked.add(t);
        }
        for (Operator op : g.operators()) {
            for (int[] list : new int[][] {op.inputs(), op.outputs()}) {
                for (int t : list) {
                    if (t >= 0 && g.tensor(t).type() == TensorType.FLOAT32 && !model.isConstant(g.tensor(t))) {
                        tracked.add(t);
                    }
                }
            }
        }
        TensorStats[] stats = new TensorStats[g.tensorCount()];
        tracked.forEach(t -> stats[t] = new TensorStats());
        Tensor in = g.tensor(g.inputs()[0]);
        String backend;
        try (GraphRunner runner = GraphRunner.open(model, inputShape, true)) {
            backend = runner.backend();
            int passes = histograms ? 2 : 1;
            for (int pass = 0; pass < passes; pass++) {
                if (pass == 1) {
                    tracked.forEach(t -> stats[t].startHistogram());
                }
                String phase = pass == 0 ? "calibrating" : "histograms";
                for (int s = 0; s < data.size(); s++) {
                    TensorData x = data.samples().get(s).toTensor(in.type(), inputShape, in.quantization());
                    runner.run(x);
                    for (int t : tracked) {
                        TensorData v = runner.tensor(t);
                        if (v == null || v.type() != TensorType.FLOAT32) {
                            continue;
                        }
                        float[] f = Tensors.floats(v);
                        if (pass == 0) {
                            stats[t].accept(f);
                        } else {
                            stats[t].histogram(f);
                        }
                    }
                    progress.update(phase, s + 1, data.size());
                }
            }
        }
        for (int t : tracked) {
            if (stats[t].min > stats[t].max) {
                stats[t] = null; // never readable: no range
            }
        }
        return new ActivationStats(stats, data.size(), backend, inputShape.clone());
    }

    /** Per-tensor statistics and the ranges the methods derive from them. */
    public static final class ActivationStats {
        private final TensorStats[] stats;
        private final int samples;
        private final String backend;
        private final int[] inputShape;

        ActivationStats(TensorStats[] stats, int samples, String backend, int[] inputShape) {
            this.stats = stats;
            this.samples = samples;
            this.backend = backend;
            this.inputShape = inputShape;
        }

        public int samples() {
            return samples;
        }

        /** The engine that ran the float model: {@code whittle} or {@code tflite}. */
        public String backend() {
            return backend;
        }

        public int[] inputShape() {
            return inputShape.clone();
        }

        public boolean has(int tensor) {
            return tensor >= 0 && tensor < stats.length && stats[tensor] != null;
        }

        /** Observed [min, max] of a tensor. */
        public double[] minMax(int tensor) {
            TensorStats s = stats[tensor];
            return new double[] {s.min, s.max};
        }

        /**
         * The range {@code method} picks for {@code tensor}, before zero is added.
         *
         * @param levels quantization levels (255 for int8, 65535 for int16): MSE weighs rounding error with it
         * @param symmetric whether the grid will be symmetric around zero (int16), for MSE
         */
        public double[] range(int tensor, RangeMethod method, int levels, boolean symmetric) {
            TensorStats s = stats[tensor];
            return switch (method) {
                case MINMAX -> new double[] {s.min, s.max};
                case EMA -> new double[] {s.emaMin, s.emaMax};
                case PERCENTILE -> s.histogram == null ? new double[] {s.min, s.max} : percentile(s, DEFAULT_PERCENTILE);
                case MSE -> s.histogram == null ? new double[] {s.min, s.max} : mse(s, levels, symmetric);
            };
        }

        private static double[] percentile(TensorStats s, double p) {
            long total = Arrays.stream(s.histogram).sum();
            double width = (s.histHi - s.histLo) / BINS;
            double loTarget = total * (1 - p / 100);
            double hiTarget = total * (p / 100);
            double lo = s.histLo;
            double hi = s.histHi;
            long cum = 0;
            boolean loSet = false;
            for (int b = 0; b < BINS; b++) {
                long c = s.histogram[b];
                if (!loSet && cum + c > loTarget) {
                    lo = s.histLo + width * (b + (c == 0 ? 0 : (loTarget - cum) / c));
                    loSet = true;
                }
                if (cum + c >= hiTarget) {
                    hi = s.histLo + width * (b + (c == 0 ? 1 : (hiTarget - cum) / c));
                    break;
                }
                cum += c;
            }
            return new double[] {Math.max(lo, s.min), Math.min(hi, s.max)};
        }

        /**
         * Grid search over clip ranges [a, b] (a from min, b from max, each scaled by 1/64..64/64,
         * or one threshold for a symmetric grid): expected error = the squared distance of
         * clipped values to the clip bound + step^2/12 for every value inside. Prefix sums make
         * each candidate O(1).
         */
        private static double[] mse(TensorStats s, int levels, boolean symmetric) {
            int n = BINS;
            double width = (s.histHi - s.histLo) / n;
            if (width <= 0) {
                return new double[] {s.min, s.max};
            }
            double[] c0 = new double[n + 1];
            double[] c1 = new double[n + 1];
            double[] c2 = new double[n + 1];
            for (int b = 0; b < n; b++) {
                double x = s.histLo + width * (b + 0.5);
                double c = s.histogram[b];
                c0[b + 1] = c0[b] + c;
                c1[b + 1] = c1[b] + c * x;
                c2[b + 1] = c2[b] + c * x * x;
            }
            double lo0 = Math.min(s.min, 0);
            double hi0 = Math.max(s.max, 0);
            double best = Double.POSITIVE_INFINITY;
            double[] bestRange = {s.min, s.max};
            int steps = 64;
            for (int i = 1; i <= steps; i++) {
                for (int j = 1; j <= steps; j++) {
                    double a;
                    double b;
                    if (symmetric) {
                        if (j > 1) {
                            break;
                        }
                        double t = Math.max(-lo0, hi0) * i / steps;
                        a = -t;
                        b = t;
                    } else {
                        a = lo0 * i / steps;
                        b = hi0 * j / steps;
                    }
                    if (b - a <= 0) {
                        continue;
                    }
                    double step = (b - a) / levels;
                    int ia = bin(a, s.histLo, width, n);
                    int ib = bin(b, s.histLo, width, n);
                    // below a: sum c (a - x)^2 = a^2 C - 2 a S1 + S2
                    double below = a * a * c0[ia] - 2 * a * c1[ia] + c2[ia];
                    double aboveC = c0[n] - c0[ib];
                    double aboveS1 = c1[n] - c1[ib];
                    double aboveS2 = c2[n] - c2[ib];
                    double above = b * b * aboveC - 2 * b * aboveS1 + aboveS2;
                    double inside = (c0[ib] - c0[ia]) * step * step / 12;
                    double err = below + above + inside;
                    if (err < best) {
                        best = err;
                        bestRange = new double[] {a, b};
                    }
                }
            }
            return bestRange;
        }

        private static int bin(double v, double lo, double width, int n) {
            return (int) Math.min(n, Math.max(0, Math.round((v - lo) / width)));
        }
    }
}
