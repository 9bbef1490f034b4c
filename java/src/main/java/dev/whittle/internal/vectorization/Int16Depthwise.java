package dev.whittle.internal.vectorization;

import dev.whittle.runtime.quant.FixedPoint;

/**
 * One 16x8 DEPTHWISE_CONV_2D node (depth multiplier 1) packed for {@link Int16Kernels}: the
 * weights widened to int per tap and channel ({@code [taps][cp]}, {@code cp} = channels
 * rounded up to the vector lanes; the Vector API has no int16 x int16 pair multiply-add, so
 * a tap is one int multiply per lane), the int64 bias and the int64 output stage constants
 * ({@link Int16Stage}).
 *
 * <p>Sums: at most {@value #MAX_TAPS} taps of products of magnitude at most {@code 2^22}
 * sum to less than {@code 2^31}, so the int32 lanes hold the reference's int64 sum exactly;
 * nodes with more taps are declined (the reference runs them).
 */
public final class Int16Depthwise {
    /** {@code 511 * 2^22 < 2^31}. */
    public static final int MAX_TAPS = 511;

    final int batches;
    final int inH;
    final int inW;
    final int c;
    final int cp;
    final int outH;
    final int outW;
    final int kh;
    final int kw;
    final int strideH;
    final int strideW;
    final int dilH;
    final int dilW;
    final int padH;
    final int padW;
    final int[] weights;
    final long[] bias;
    final int[] multipliers;
    final int[] shifts;
    final long[] reduced;
    final long[] rounding;
    final long[] totalShifts;
    final long[] signOffsets;
    final int actMin;
    final int actMax;
    /**
     * Pixels per vector when the channels divide the lanes ({@code lanes / c > 1}) and the
     * stride is 1 along W: adjacent pixels' channels are adjacent in memory, so one load holds
     * {@code group} pixels; the weights and stage constants are repeated per pixel
     * ({@code group*} arrays, {@code [taps][lanes]} and {@code [lanes]}). 1 otherwise.
     */
    final int group;
    final int[] groupWeights;
    final long[] groupBias;
    final long[] groupReduced;
    final long[] groupRounding;
    final long[] groupTotalShifts;
    final long[] groupSignOffsets;

    private Int16Depthwise(int[] g, int cp, int[] weights, long[] bias, int[] multipliers, int[] shifts, int actMin,
            int actMax) {
        this.batches = g[13];
        this.inH = g[0];
        this.inW = g[1];
        this.c = g[2];
        this.outH = g[3];
        this.outW = g[4];
        this.kh = g[5];
        this.kw = g[6];
        this.strideH = g[7];
        this.strideW = g[8];
        this.dilH = g[9];
        this.dilW = g[10];
        this.padH = g[11];
        this.padW = g[12];
        this.cp = cp;
        this.weights = weights;
        this.bias = bias;
        this.multipliers = multipliers;
        this.shifts = shifts;
        this.reduced = new long[cp];
        this.rounding = new long[cp];
        this.totalShifts = new long[cp];
        this.signOffsets = new long[cp];
        Int16Stage.fill(multipliers, shifts, c, reduced, rounding, totalShifts, signOffsets);
        this.actMin = actMin;
        this.actMax = actMax;
        int taps = kh * kw;
        this.group = cp % c == 0 && cp > c && strideW == 1 ? cp / c : 1;
        int lanes = group > 1 ? cp : 0;
        this.groupWeights = new int[taps * lanes];
        this.groupBias = new long[lanes];
        this.groupReduced = new long[lanes];
        this.groupRounding = new long[lanes];
        this.groupTotalShifts = new long[lanes];
        this.groupSignOffsets = new long[lanes];
        for (int j = 0; j < lanes; j++) {
            int ch = j % c;
            for (int t = 0; t < taps; t++) {
                groupWeights[t * lanes + j] = weights[t * cp + ch];
            }
            groupBias[j] = bias[ch];
            groupReduced[j] = reduced[ch];
            groupRounding[j] = rounding[ch];
            groupTotalShifts[j] = totalShifts[ch];
            groupSignOffsets[j] = signOffsets[ch];
        }
    }

    /**
     * Packs one node, or null when it is outside what the kernels handle.
     *
     * @param geometry inH, inW, channels, outH, outW, kh, kw, strideH, strideW, dilH, dilW, padH, padW, batches
     * @param filter {@code [kh][kw][channels]} int8
     * @param bias per channel, or null
     */
    public static Int16Depthwise pack(Int16Kernels kernels, int[] geometry, byte[] filter, long[] bias,
            int[] multipliers, int[] shifts, int actMin, int actMax) {
        int c = geometry[2];
        int taps = geometry[5] * geometry[6];
        if (c <= 0 || taps <= 0 || taps > MAX_TAPS || !Int16Stage.accepts(multipliers, shifts, c)) {
            return null;
        }
        int lanes = kernels.lanes();
        int cp = (c + lanes - 1) / lanes * lanes;
        if ((long) cp * taps > Integer.MAX_VALUE - 64) {
            return null;
        }
        int[] w = new int[taps * cp];
        for (int t = 0; t < taps; t++) {
            for (int ch = 0; ch < c; ch++) {
                w[t * cp + ch] = filter[t * c + ch];
            }
        }
        long[] b = new long[cp];
        if (bias != null) {
            System.arraycopy(bias, 0, b, 0, c);
        }
        int[] m = new int[cp];
        int[] s = new int[cp];
        System.arraycopy(multipliers, 0, m, 0, c);
        System.arraycopy(shifts, 0, s, 0, c);
        return new Int16Depthwise(geometry, cp, w, b, m, s, actMin, actMax);
    }

    /** The output stage of channel {@code ch} for the exact sum {@code sum}, clamped. */
    int output(long sum, int ch) {
        int v = FixedPoint.multiplyByQuantizedMultiplier(sum + bias[ch], multipliers[ch], shifts[ch]);
        return Math.min(Math.max(v, actMin), actMax);
    }

    /** Output rows per batch. */
    public int outH() {
        return outH;
    }

    /** Output pixels per row. */
    public int outW() {
        return outW;
    }

    /** Channels. */
    public int channels() {
        return c;
    }
}
