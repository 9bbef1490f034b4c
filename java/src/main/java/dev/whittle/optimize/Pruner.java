package dev.whittle.optimize;

import dev.whittle.model.Model;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * One-shot pruning: sets the least important weights of each selected layer to exactly zero
 * (for quantized weights, to the zero point).
 *
 * <ul>
 * <li>Unstructured: per layer exactly {@code round(S * n)} zeros (weights that are already zero
 *     count, and stay zero even beyond that), or with {@code global} the
 *     {@code round(S * total)} least important weights of all selected layers together.</li>
 * <li>M:N: in every group of N consecutive weights along the last dimension (the input channel
 *     of TFLite's [O,H,W,I] conv and [O,I] fully-connected weights) the M least important are
 *     zero.</li>
 * <li>Blocks R x C: the weights as the GEMM matrix [O, H*W*I]; blocks of R output channels by C
 *     consecutive input channels at one kernel position ({@code R} divides O, {@code C} divides
 *     I); {@code round(S * blocks)} blocks with the least mean importance are zero. Depthwise
 *     weights [1,H,W,O] are seen as [H*W, O].</li>
 * </ul>
 *
 * <p>Importance is {@code |w| * scale} (the real magnitude). {@link PruneOptions.Method#DATA_AWARE}
 * multiplies it by the root mean square of the input value the weight multiplies
 * ({@link ActivationStats}), compares unstructured candidates within each output channel,
 * refits the kept weights to the calibration data ({@link Reconstruction}) and corrects each
 * layer's bias ({@link BiasCorrection}). Ties break toward the lower flat index, so results are
 * deterministic.
 */
public final class Pruner implements ModelStep {
    private static final System.Logger LOG = System.getLogger("dev.whittle.optimize");

    private final PruneOptions options;
    private final CalibrationSet calibration;

    /**
     * @param calibration required for {@link PruneOptions.Method#DATA_AWARE}, else ignored (may be null)
     * @throws BadParameterException when the data-aware method has no calibration data
     */
    public Pruner(PruneOptions options, CalibrationSet calibration) {
        this.options = options;
        this.calibration = calibration;
        if (options.method() == PruneOptions.Method.DATA_AWARE && calibration == null) {
            throw new BadParameterException("--method data-aware needs --calibration DIR");
        }
    }

    @Override
    public String describe() {
        return options.describe();
    }

    /**
     * The selected layers, after checking that the options fit each of them.
     *
     * @throws BadParameterException for a pattern or block that does not divide a layer's channels
     */
    public List<Layer> check(Model model) {
        List<Layer> layers = options.selection().select(model);
        for (Layer l : layers) {
            int[] s = model.subgraph(l.subgraph()).tensor(l.weight()).shape();
            int last = s[s.length - 1];
            if (options.isPattern() && last % options.patternN() != 0) {
                throw new BadParameterException("--pattern " + options.patternM() + ":" + options.patternN()
                        + ": N does not divide the " + last + " input channels of '" + l.name() + "' "
                        + Arrays.toString(s) + "; leave it out with --skip");
            }
            if (options.isBlock()) {
                int rows = l.depthwise() ? (int) (product(s) / last) : s[0];
                int cols = last;
                if (rows % options.blockRows() != 0 || cols % options.blockCols() != 0) {
                    throw new BadParameterException("--block " + options.blockRows() + "x" + options.blockCols()
                            + " does not divide '" + l.name() + "' " + Arrays.toString(s) + " (" + rows + " rows, "
                            + cols + " input channels); leave it out with --skip");
                }
            }
        }
        return layers;
    }

    @Override
    public StepResult apply(Model input) {
        List<Layer> layers = check(input);
        Model model = input.copy();
        Map<Layer, ActivationStats> stats = options.method() == PruneOptions.Method.DATA_AWARE
                ? ActivationStats.collect(model, layers, calibration.inputs(model), true) : Map.of();
        List<WeightData> before = new ArrayList<>();
        List<double[]> scores = new ArrayList<>();
        for (Layer l : layers) {
            WeightData w = WeightData.read(model, l);
            before.add(w);
            ActivationStats st = stats.get(l);
            if (options.method() == PruneOptions.Method.DATA_AWARE && st == null) {
                LOG.log(System.Logger.Level.WARNING, "no activation statistics for {0}; ranking it by magnitude", l.name());
            }
            scores.add(importance(w, st));
        }
        List<WeightData> after = new ArrayList<>();
        for (WeightData w : before) {
            after.add(w.copy());
        }
        if (options.global()) {
            pruneGlobal(after, scores);
        } else {
            for (int k = 0; k < after.size(); k++) {
                WeightData w = after.get(k);
                if (options.isPattern()) {
                    prunePattern(w, scores.get(k), options.patternM(), options.patternN());
                } else if (options.isBlock()) {
                    pruneBlocks(w, scores.get(k), options.blockRows(), options.blockCols(), options.sparsity());
                } else if (options.method() == PruneOptions.Method.DATA_AWARE) {
                    pruneUnstructuredPerChannel(w, scores.get(k), options.sparsity());
                } else {
                    pruneUnstructured(w, scores.get(k), options.sparsity());
                }
            }
        }
        List<StepResult.LayerReport> reports = new ArrayList<>();
        for (int k = 0; k < after.size(); k++) {
            WeightData b = before.get(k);
            WeightData a = after.get(k);
            if (options.method() == PruneOptions.Method.DATA_AWARE) {
                Reconstruction.refit(a, b, stats.get(b.layer));
            }
            a.writeTo(model);
            boolean corrected = options.method() == PruneOptions.Method.DATA_AWARE
                    && BiasCorrection.apply(model, b, a, stats.get(b.layer));
            reports.add(report(b, a, corrected));
        }
        return new StepResult(model, describe(), reports);
    }

    static StepResult.LayerReport report(WeightData b, WeightData a, boolean corrected) {
        return new StepResult.LayerReport(b.layer.name(), b.layer.op().name(), b.shape, b.size(), b.zeros(), a.zeros(),
                b.distinct(), a.distinct(), corrected);
    }

    /** |w| in real units, times the input's RMS when statistics are given. */
    static double[] importance(WeightData w, ActivationStats st) {
        double[] s = new double[w.size()];
        for (int i = 0; i < s.length; i++) {
            double m = Math.abs(w.values[i]) * w.scale(i);
            s[i] = st == null ? m : m * Math.sqrt(st.meanSq[w.tap(i)]);
        }
        return s;
    }

    /** Indices sorted by ascending score, ties by ascending index. */
    static int[] ascending(double[] score, int[] indices) {
        Integer[] idx = new Integer[indices.length];
        for (int i = 0; i < idx.length; i++) {
            idx[i] = indices[i];
        }
        // weights already zero come first whatever their statistics say
        Arrays.sort(idx, (a, b) -> {
            int c = Double.compare(score[a], score[b]);
            return c != 0 ? c : Integer.compare(a, b);
        });
        int[] r = new int[idx.length];
        for (int i = 0; i < r.length; i++) {
            r[i] = idx[i];
        }
        return r;
    }

    static void pruneUnstructured(WeightData w, double[] score, double sparsity) {
        int n = w.size();
        int target = (int) Math.round(sparsity * n);
        double[] s = zeroFirst(w, score);
        int[] order = ascending(s, range(n));
        for (int k = 0; k < target; k++) {
            w.values[order[k]] = 0;
        }
    }

    /**
     * Exactly {@code round(S * n)} zeros in the layer, spread evenly over output channels: each
     * channel loses {@code floor(S * n_o)} of its own least important weights, and the few
     * left over go to the channels whose next candidate is least important relative to that
     * channel's mean importance. Comparing within a channel (as Wanda does per output) matters
     * for convolutions with folded batch norm, whose channels differ in weight scale by orders
     * of magnitude: a per-layer ranking would empty the small-scale channels.
     */
    static void pruneUnstructuredPerChannel(WeightData w, double[] score, double sparsity) {
        int n = w.size();
        int target = (int) Math.round(sparsity * n);
        double[] s = zeroFirst(w, score);
        int outs = w.outputChannels();
        int per = w.perChannel();
        int base = (int) Math.floor(sparsity * per);
        int[][] orders = new int[outs][];
        double[] next = new double[outs];
        for (int o = 0; o < outs; o++) {
            orders[o] = ascending(s, w.channelIndices(o));
            double mean = 0;
            for (int i : orders[o]) {
                mean += Math.max(0, s[i]);
            }
            mean /= per;
            next[o] = base < per ? s[orders[o][base]] / (mean > 0 ? mean : 1) : Double.POSITIVE_INFINITY;
        }
        int extra = target - base * outs;
        int[] cut = new int[outs];
        java.util.Arrays.fill(cut, base);
        if (extra > 0) {
            int[] channels = ascending(next, range(outs));
            for (int k = 0; k < extra; k++) {
                cut[channels[k]]++;
            }
        }
        for (int o = 0; o < outs; o++) {
            for (int k = 0; k < cut[o]; k++) {
                w.values[orders[o][k]] = 0;
            }
        }
    }

    private void pruneGlobal(List<WeightData> ws, List<double[]> scores) {
        int total = 0;
        for (WeightData w : ws) {
            total += w.size();
        }
        double[] all = new double[total];
        int[] owner = new int[total];
        int[] local = new int[total];
        int p = 0;
        for (int k = 0; k < ws.size(); k++) {
            double[] s = zeroFirst(ws.get(k), scores.get(k));
            for (int i = 0; i < s.length; i++, p++) {
                all[p] = s[i];
                owner[p] = k;
                local[p] = i;
            }
        }
        int target = (int) Math.round(options.sparsity() * total);
        int[] order = ascending(all, range(total));
        for (int k = 0; k < target; k++) {
            ws.get(owner[order[k]]).values[local[order[k]]] = 0;
        }
    }

    static void prunePattern(WeightData w, double[] score, int m, int n) {
        double[] s = zeroFirst(w, score);
        int[] group = new int[n];
        for (int start = 0; start < w.size(); start += n) {
            for (int j = 0; j < n; j++) {
                group[j] = start + j;
            }
            int[] order = ascending(s, group);
            for (int j = 0; j < m; j++) {
                w.values[order[j]] = 0;
            }
        }
    }

    static void pruneBlocks(WeightData w, double[] score, int r, int c, double sparsity) {
        double[] s = zeroFirst(w, score);
        int cols = w.lastDim();
        int rowsPerO = w.layer.depthwise() ? 1 : w.size() / w.shape[0] / cols; // kernel positions per output channel
        int rows = w.size() / cols;
        // GEMM view: row index = (o, kernel position) for conv/FC, kernel position for depthwise;
        // a block spans r output channels (r kernel positions for depthwise) at one kernel position.
        int blockRowGroups = w.layer.depthwise() ? rows / r : (w.shape[0] / r) * rowsPerO;
        int blockColGroups = cols / c;
        int blocks = blockRowGroups * blockColGroups;
        double[] mean = new double[blocks];
        for (int b = 0; b < blocks; b++) {
            for (int e : blockElements(w, b, r, c, rowsPerO)) {
                mean[b] += s[e];
            }
            mean[b] /= r * c;
        }
        int target = (int) Math.round(sparsity * blocks);
        int[] order = ascending(mean, range(blocks));
        for (int k = 0; k < target; k++) {
            for (int e : blockElements(w, order[k], r, c, rowsPerO)) {
                w.values[e] = 0;
            }
        }
    }

    /** Flat indices of block {@code b}. */
    static int[] blockElements(WeightData w, int b, int r, int c, int rowsPerO) {
        int cols = w.lastDim();
        int colGroups = cols / c;
        int bc = b % colGroups;
        int br = b / colGroups;
        int[] e = new int[r * c];
        int k = 0;
        for (int i = 0; i < r; i++) {
            int row;
            if (w.layer.depthwise()) {
                row = br * r + i;
            } else {
                int oGroup = br / rowsPerO;
                int pos = br % rowsPerO;
                row = (oGroup * r + i) * rowsPerO + pos;
            }
            for (int j = 0; j < c; j++) {
                e[k++] = row * cols + bc * c + j;
            }
        }
        return e;
    }

    /** Scores with weights that are already zero forced lowest, so they are counted first. */
    private static double[] zeroFirst(WeightData w, double[] score) {
        double[] s = score.clone();
        for (int i = 0; i < s.length; i++) {
            if (w.values[i] == 0) {
                s[i] = -1;
            }
        }
        return s;
    }

    static int[] range(int n) {
        int[] r = new int[n];
        for (int i = 0; i < n; i++) {
            r[i] = i;
        }
        return r;
    }

    private static long product(int[] s) {
        long p = 1;
        for (int d : s) {
            p *= d;
        }
        return p;
    }
}
