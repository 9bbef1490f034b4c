package dev.whittle.optimize;

import dev.whittle.model.Model;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Weight clustering (weight sharing): the weights of each selected layer, or of each output
 * channel with {@code perChannel}, are replaced by the nearest of at most N centroids found by
 * 1-D k-means ({@link KMeans1D}). Float weights get float centroids; int8/uint8 weights are
 * clustered as integers {@code q - zero_point} and their centroids rounded to integers, so the
 * stored values stay valid codes that share at most N values (what a lookup-table kernel
 * needs). For per-axis quantized weights clustered per layer, each point counts with weight
 * {@code scale^2}, so the error minimized is the real one.
 *
 * <p>With {@code preserveSparsity}, weights equal to zero keep exactly zero, do not pull any
 * centroid, and zero counts as one of the N values (N - 1 centroids for the rest). The
 * data-aware variant weights each point by the mean square of the input it multiplies (the
 * output error a change of that weight causes) and then corrects each layer's bias.
 */
public final class Clusterer implements ModelStep {
    private final ClusterOptions options;
    private final CalibrationSet calibration;

    /**
     * @param calibration required when {@link ClusterOptions#dataAware()}, else ignored
     * @throws BadParameterException when data-aware clustering has no calibration data
     */
    public Clusterer(ClusterOptions options, CalibrationSet calibration) {
        this.options = options;
        this.calibration = calibration;
        if (options.dataAware() && calibration == null) {
            throw new BadParameterException("data-aware clustering needs --calibration DIR");
        }
    }

    @Override
    public String describe() {
        return options.describe();
    }

    @Override
    public StepResult apply(Model input) {
        List<Layer> layers = options.selection().select(input);
        KMeans1D.Init init = KMeans1D.Init.parse(options.init());
        Model model = input.copy();
        Map<Layer, ActivationStats> stats = options.dataAware()
                ? ActivationStats.collect(model, layers, calibration.inputs(model)) : Map.of();
        List<StepResult.LayerReport> reports = new ArrayList<>();
        for (Layer l : layers) {
            WeightData before = WeightData.read(model, l);
            WeightData after = before.copy();
            ActivationStats st = stats.get(l);
            if (options.perChannel()) {
                for (int o = 0; o < before.outputChannels(); o++) {
                    cluster(after, before.channelIndices(o), st, init, options.seed() + o);
                }
            } else {
                cluster(after, Pruner.range(before.size()), st, init, options.seed());
            }
            after.writeTo(model);
            boolean corrected = options.dataAware() && BiasCorrection.apply(model, before, after, st);
            reports.add(Pruner.report(before, after, corrected));
        }
        return new StepResult(model, describe(), reports);
    }

    /** Clusters the elements {@code idx} of {@code w} in place. */
    private void cluster(WeightData w, int[] idx, ActivationStats st, KMeans1D.Init init, long seed) {
        int[] members = idx;
        int k = options.clusters();
        if (options.preserveSparsity()) {
            int nz = 0;
            for (int i : idx) {
                if (w.values[i] != 0) {
                    nz++;
                }
            }
            if (nz < idx.length) {
                members = new int[nz];
                int p = 0;
                for (int i : idx) {
                    if (w.values[i] != 0) {
                        members[p++] = i;
                    }
                }
                k -= 1; // zero is one of the N values
            }
        }
        if (members.length == 0) {
            return;
        }
        double[] x = new double[members.length];
        double[] weight = new double[members.length];
        boolean weighted = false;
        for (int j = 0; j < members.length; j++) {
            int i = members[j];
            x[j] = w.values[i];
            double s = w.scale(i);
            double h = s * s * (st == null ? 1 : st.meanSq[w.tap(i)]);
            weight[j] = h;
            weighted |= h != weight[0];
        }
        KMeans1D km = new KMeans1D(x, weighted ? weight : null);
        double[] c = km.run(k, init, seed, options.restarts()).centroids();
        if (w.quantized()) {
            c = roundCentroids(w, members, c);
        } else {
            for (int j = 0; j < c.length; j++) {
                c[j] = (float) c[j];
            }
        }
        for (int j = 0; j < members.length; j++) {
            w.values[members[j]] = (float) c[KMeans1D.nearest(c, x[j])];
        }
    }

    /** Integer centroids inside the members' representable range, sorted and distinct. */
    private static double[] roundCentroids(WeightData w, int[] members, double[] c) {
        int lo = Integer.MIN_VALUE;
        int hi = Integer.MAX_VALUE;
        for (int i : members) {
            lo = Math.max(lo, w.minValue(i));
            hi = Math.min(hi, w.maxValue(i));
        }
        double[] r = new double[c.length];
        int m = 0;
        for (double v : c) {
            double q = Math.max(lo, Math.min(hi, Math.rint(v)));
            if (m == 0 || q != r[m - 1]) {
                r[m++] = q;
            }
        }
        return java.util.Arrays.copyOf(r, m);
    }
}
