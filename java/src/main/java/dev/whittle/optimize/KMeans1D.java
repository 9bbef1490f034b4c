package dev.whittle.optimize;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Weighted k-means on scalars. On a line the clusters of Lloyd's algorithm are intervals
 * between the midpoints of neighbouring centroids, so with the points sorted once and prefix
 * sums of {@code w}, {@code w*x} and {@code w*x^2}, one iteration costs O(k log n) and the
 * inertia is exact. Iterates until no boundary moves (or 500 iterations); random
 * initializations are repeated and the run with the least inertia kept.
 */
final class KMeans1D {
    /** Centroid initializations, as in the TensorFlow Model Optimization Toolkit (plus k-means++). */
    enum Init {
        KMEANS_PLUS_PLUS, LINEAR, DENSITY, RANDOM;

        static Init parse(String s) {
            return switch (s.toLowerCase().replace('_', '-')) {
                case "kmeans++", "k-means++", "kmeans-plus-plus" -> KMEANS_PLUS_PLUS;
                case "linear" -> LINEAR;
                case "density" -> DENSITY;
                case "random" -> RANDOM;
                default -> throw new BadParameterException("--init '" + s + "': use kmeans++, linear, density or random");
            };
        }

        boolean deterministic() {
            return this == LINEAR || this == DENSITY;
        }
    }

    /** Sorted centroids and the inertia (weighted sum of squared distances) they give. */
    record Result(double[] centroids, double inertia, int iterations) {
    }

    static final int MAX_ITERATIONS = 500;

    private final double[] x;   // sorted
    private final double[] pw;  // prefix sums, length n + 1
    private final double[] pwx;
    private final double[] pwxx;

    /** @param weights per point, null for all 1 */
    KMeans1D(double[] values, double[] weights) {
        int n = values.length;
        Integer[] order = new Integer[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        Arrays.sort(order, (a, b) -> Double.compare(values[a], values[b]));
        x = new double[n];
        pw = new double[n + 1];
        pwx = new double[n + 1];
        pwxx = new double[n + 1];
        for (int i = 0; i < n; i++) {
            double v = values[order[i]];
            // a zero weight would make empty-looking clusters; keep every point a little weight
            double w = weights == null ? 1 : Math.max(weights[order[i]], 1e-12);
            x[i] = v;
            pw[i + 1] = pw[i] + w;
            pwx[i + 1] = pwx[i] + w * v;
            pwxx[i + 1] = pwxx[i] + w * v * v;
        }
    }

    /** Clusters into at most {@code k} centroids. */
    Result run(int k, Init init, long seed, int restarts) {
        int n = x.length;
        if (n == 0) {
            return new Result(new double[0], 0, 0);
        }
        double[] distinct = distinctValues();
        if (distinct.length <= k) {
            return new Result(distinct, 0, 0);
        }
        Result best = null;
        int runs = init.deterministic() ? 1 : Math.max(1, restarts);
        for (int r = 0; r < runs; r++) {
            SplittableRandom rnd = new SplittableRandom(seed * 1_000_003L + r);
            Result res = lloyd(initial(k, init, rnd));
            if (best == null || res.inertia < best.inertia) {
                best = res;
            }
        }
        return best;
    }

    private double[] distinctValues() {
        double[] d = new double[x.length];
        int m = 0;
        for (int i = 0; i < x.length; i++) {
            if (i == 0 || x[i] != x[i - 1]) {
                d[m++] = x[i];
            }
        }
        return Arrays.copyOf(d, m);
    }

    private double[] initial(int k, Init init, SplittableRandom rnd) {
        int n = x.length;
        double lo = x[0];
        double hi = x[n - 1];
        double[] c = new double[k];
        if (k == 1) {
            c[0] = pwx[n] / pw[n];
            return c;
        }
        switch (init) {
            case LINEAR -> {
                for (int j = 0; j < k; j++) {
                    c[j] = lo + (hi - lo) * j / (k - 1.0);
                }
            }
            case DENSITY -> {
                // equally spaced on the (weighted) cumulative distribution
                for (int j = 0; j < k; j++) {
                    double target = pw[n] * (j + 0.5) / k;
                    int i = lowerBound(pw, target) - 1;
                    c[j] = x[Math.max(0, Math.min(n - 1, i))];
                }
            }
            case RANDOM -> {
                for (int j = 0; j < k; j++) {
                    c[j] = lo + (hi - lo) * rnd.nextDouble();
                }
            }
            case KMEANS_PLUS_PLUS -> {
                double[] d2 = new double[n];
                c[0] = x[pick(rnd, null)];
                Arrays.fill(d2, Double.POSITIVE_INFINITY);
                for (int j = 1; j < k; j++) {
                    for (int i = 0; i < n; i++) {
                        double d = x[i] - c[j - 1];
                        d2[i] = Math.min(d2[i], d * d);
                    }
                    c[j] = x[pick(rnd, d2)];
                }
            }
            default -> throw new IllegalStateException();
        }
        Arrays.sort(c);
        return c;
    }

    /** A point drawn with probability proportional to its weight times {@code factor} (null: 1). */
    private int pick(SplittableRandom rnd, double[] factor) {
        int n = x.length;
        double total = 0;
        for (int i = 0; i < n; i++) {
            total += (pw[i + 1] - pw[i]) * (factor == null ? 1 : factor[i]);
        }
        if (!(total > 0)) {
            return rnd.nextInt(n);
        }
        double t = rnd.nextDouble() * total;
        for (int i = 0; i < n; i++) {
            t -= (pw[i + 1] - pw[i]) * (factor == null ? 1 : factor[i]);
            if (t <= 0) {
                return i;
            }
        }
        return n - 1;
    }

    private Result lloyd(double[] c) {
        int n = x.length;
        int k = c.length;
        int[] bounds = new int[k + 1];
        int[] prev = null;
        int it = 0;
        for (; it < MAX_ITERATIONS; it++) {
            boundaries(c, bounds);
            if (prev != null && Arrays.equals(prev, bounds)) {
                break;
            }
            prev = bounds.clone();
            for (int j = 0; j < k; j++) {
                double w = pw[bounds[j + 1]] - pw[bounds[j]];
                if (w > 0) {
                    c[j] = (pwx[bounds[j + 1]] - pwx[bounds[j]]) / w;
                }
            }
            // Empty clusters keep their place; sorting keeps the boundary search valid.
            Arrays.sort(c);
        }
        boundaries(c, bounds);
        double inertia = 0;
        for (int j = 0; j < k; j++) {
            int a = bounds[j];
            int b = bounds[j + 1];
            inertia += (pwxx[b] - pwxx[a]) - 2 * c[j] * (pwx[b] - pwx[a]) + c[j] * c[j] * (pw[b] - pw[a]);
        }
        return new Result(c, Math.max(0, inertia), it);
    }

    /** bounds[j] = first sorted index assigned to centroid j (nearest; ties to the lower centroid). */
    private void boundaries(double[] c, int[] bounds) {
        bounds[0] = 0;
        for (int j = 1; j < c.length; j++) {
            double mid = (c[j - 1] + c[j]) / 2;
            bounds[j] = Math.max(bounds[j - 1], upperBound(x, mid));
        }
        bounds[c.length] = x.length;
    }

    /** First index with a[i] > v. */
    private static int upperBound(double[] a, double v) {
        int lo = 0;
        int hi = a.length;
        while (lo < hi) {
            int m = (lo + hi) >>> 1;
            if (a[m] <= v) {
                lo = m + 1;
            } else {
                hi = m;
            }
        }
        return lo;
    }

    /** First index with a[i] >= v. */
    private static int lowerBound(double[] a, double v) {
        int lo = 0;
        int hi = a.length;
        while (lo < hi) {
            int m = (lo + hi) >>> 1;
            if (a[m] < v) {
                lo = m + 1;
            } else {
                hi = m;
            }
        }
        return lo;
    }

    /** Index of the centroid nearest to {@code v} in sorted {@code c} (ties to the lower one). */
    static int nearest(double[] c, double v) {
        int i = lowerBound(c, v);
        if (i == 0) {
            return 0;
        }
        if (i == c.length) {
            return c.length - 1;
        }
        return v - c[i - 1] <= c[i] - v ? i - 1 : i;
    }
}
