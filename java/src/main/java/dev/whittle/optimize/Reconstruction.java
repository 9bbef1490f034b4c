package dev.whittle.optimize;

/**
 * Refits the weights a pruning mask keeps so that each output channel's response to the
 * calibration data changes as little as possible: with {@code H = E[p p^T]} over the layer's
 * input patches, the kept weights K of a row move by {@code delta} solving
 * {@code H_KK delta = H_KP w_P}, which minimizes {@code E[((w - w') . p)^2]} given
 * {@code w'_P = 0} (the optimal-brain-surgeon update for a whole mask at once, as in
 * Frantar and Alistarh, "SparseGPT", 2023, without its column-by-column approximation).
 * {@code H_KK} is damped by 1% of its mean diagonal, as those papers do, so that a rank-deficient
 * calibration set cannot produce huge weights.
 */
final class Reconstruction {
    private Reconstruction() {
    }

    static final double DAMPING = 0.01;

    /**
     * Refits every row of {@code pruned} (not depthwise) in place; zeros stay zero, quantized
     * values are rounded to codes.
     *
     * @param original the weights before pruning (the same layer)
     */
    static void refit(WeightData pruned, WeightData original, ActivationStats st) {
        if (st == null || st.secondMoment == null || pruned.layer.depthwise()) {
            return;
        }
        int t = pruned.perChannel();
        double[] h = st.secondMoment;
        double meanDiag = 0;
        for (int i = 0; i < t; i++) {
            meanDiag += h[i * t + i];
        }
        meanDiag /= t;
        double damp = DAMPING * (meanDiag > 0 ? meanDiag : 1);
        for (int o = 0; o < pruned.outputChannels(); o++) {
            refitRow(pruned, original.values, o, t, h, damp);
        }
    }

    private static void refitRow(WeightData w, float[] orig, int o, int t, double[] h, double damp) {
        int base = o * t;
        int[] kept = new int[t];
        int[] cut = new int[t];
        int nk = 0;
        int np = 0;
        for (int i = 0; i < t; i++) {
            if (w.values[base + i] != 0) {
                kept[nk++] = i;
            } else if (orig[base + i] != 0) {
                cut[np++] = i;
            }
        }
        if (nk == 0 || np == 0) {
            return;
        }
        double[] a = new double[nk * nk];
        double[] b = new double[nk];
        for (int r = 0; r < nk; r++) {
            int ir = kept[r];
            for (int c = 0; c < nk; c++) {
                a[r * nk + c] = h[ir * t + kept[c]];
            }
            a[r * nk + r] += damp;
            double s = 0;
            for (int q = 0; q < np; q++) {
                s += h[ir * t + cut[q]] * orig[base + cut[q]];
            }
            b[r] = s;
        }
        if (!choleskySolve(a, b, nk)) {
            return;
        }
        for (int r = 0; r < nk; r++) {
            int i = base + kept[r];
            double v = w.values[i] + b[r];
            if (w.quantized()) {
                v = Math.max(w.minValue(i), Math.min(w.maxValue(i), Math.rint(v)));
                if (v == 0) {
                    v = w.values[i]; // rounding must not add zeros the mask did not choose
                }
            }
            w.values[i] = (float) v;
        }
    }

    /** Solves a x = b for symmetric positive definite a (overwritten); x in b. False if not positive definite. */
    static boolean choleskySolve(double[] a, double[] b, int n) {
        for (int j = 0; j < n; j++) {
            double d = a[j * n + j];
            for (int k = 0; k < j; k++) {
                d -= a[j * n + k] * a[j * n + k];
            }
            if (!(d > 0)) {
                return false;
            }
            d = Math.sqrt(d);
            a[j * n + j] = d;
            for (int i = j + 1; i < n; i++) {
                double s = a[i * n + j];
                for (int k = 0; k < j; k++) {
                    s -= a[i * n + k] * a[j * n + k];
                }
                a[i * n + j] = s / d;
            }
        }
        for (int i = 0; i < n; i++) {
            double s = b[i];
            for (int k = 0; k < i; k++) {
                s -= a[i * n + k] * b[k];
            }
            b[i] = s / a[i * n + i];
        }
        for (int i = n - 1; i >= 0; i--) {
            double s = b[i];
            for (int k = i + 1; k < n; k++) {
                s -= a[k * n + i] * b[k];
            }
            b[i] = s / a[i * n + i];
        }
        return true;
    }
}
