package dev.whittle.internal.vectorization;

import dev.whittle.runtime.kernels.reference.RuyMath;
import dev.whittle.runtime.quant.CppMath;
import dev.whittle.runtime.quant.FixedPoint;

/**
 * One 16x8 GEMM node (int16 activations, int8 weights, every zero point 0) packed for
 * {@link Int16Kernels}: the weights in tiles of {@code nr} output channels, the bias per
 * channel as a long, and one of the three output stages TFLite runs for 16x8:
 * <ul>
 * <li>{@link #STAGE_INT64} (CONV_2D): TFLite's int64 {@code MultiplyByQuantizedMultiplier}
 *     ({@link FixedPoint#multiplyByQuantizedMultiplier(long, int, int)}): the multiplier
 *     reduced to 15 bits, {@code (acc * reduced + 2^(t - 1)) >> t} in wrapping int64 with
 *     {@code t = 15 - shift}, truncated to int;</li>
 * <li>{@link #STAGE_RUY} (FULLY_CONNECTED, int32 or no bias): the int32 sum (the int64 sum
 *     truncated), ruy's multiplier;</li>
 * <li>{@link #STAGE_DOUBLE} (FULLY_CONNECTED, int64 bias): {@code (int32) round((double) acc * scale)}.</li>
 * </ul>
 * Immutable; shared by every context and thread.
 *
 * <p>Sums: an int16 x int8 product is at most {@code 2^22} in magnitude
 * ({@code -32768 * -128}), so {@value #K_BLOCK} of them sum to at most {@code 2^30}: the
 * vector kernels sum blocks of {@value #K_BLOCK} k in int32 lanes (exact) and add each block
 * to int64 accumulators, so the sum is the reference's int64 sum for any K.
 *
 * <p>Packed layout: {@code tiles = ceil(N / nr)} tiles of {@code [K][nr]} signed bytes, padding
 * channels zero; per-channel arrays padded to {@code tiles * nr} (zero multiplier).
 */
public final class Int16Gemm {
    /** CONV_2D's int64 stage. */
    public static final int STAGE_INT64 = 0;
    /** FULLY_CONNECTED with an int32 or no bias: int32 sum, ruy's multiplier. */
    public static final int STAGE_RUY = 1;
    /** FULLY_CONNECTED with an int64 bias: double requantization. */
    public static final int STAGE_DOUBLE = 2;
    /** k per exact int32 block: {@code 256 * 2^22 = 2^30 < 2^31}. */
    static final int K_BLOCK = 256;

    final int k;
    final int n;
    final int nr;
    final int tiles;
    final byte[] packed;
    final long[] bias;
    final int stage;
    final int[] multipliers;
    final int[] shifts;
    final double[] scales;
    // STAGE_INT64, per channel, for the vector kernels (see Int16Stage).
    final long[] reduced;
    final long[] rounding;
    final long[] totalShifts;
    final long[] signOffsets;
    final int actMin;
    final int actMax;

    private Int16Gemm(int k, int n, int nr, byte[] packed, long[] bias, int stage, int[] multipliers, int[] shifts,
            double[] scales, int actMin, int actMax) {
        this.k = k;
        this.n = n;
        this.nr = nr;
        this.tiles = (n + nr - 1) / nr;
        this.packed = packed;
        this.bias = bias;
        this.stage = stage;
        this.multipliers = multipliers;
        this.shifts = shifts;
        this.scales = scales;
        int np = tiles * nr;
        this.reduced = new long[np];
        this.rounding = new long[np];
        this.totalShifts = new long[np];
        this.signOffsets = new long[np];
        Int16Stage.fill(stage == STAGE_INT64 ? multipliers : new int[np], stage == STAGE_INT64 ? shifts : new int[np],
                n, reduced, rounding, totalShifts, signOffsets);
        this.actMin = actMin;
        this.actMax = actMax;
    }

    /**
     * Packs one node, or returns null when it is outside what the kernels handle (a multiplier
     * or shift the reference rejects, more than 2 GB of packed weights).
     *
     * @param weights {@code [N][K]} bytes (row {@code n} at {@code n * K})
     * @param bias per channel (int32 biases widened), or null
     * @param multipliers, shifts per channel (STAGE_INT64, STAGE_RUY), else null
     * @param scales per channel (STAGE_DOUBLE), else null
     */
    public static Int16Gemm pack(Int16Kernels kernels, byte[] weights, int k, int n, long[] bias, int stage,
            int[] multipliers, int[] shifts, double[] scales, int actMin, int actMax) {
        int nr = kernels.nr();
        int tiles = (n + nr - 1) / nr;
        if (k <= 0 || n <= 0 || (long) tiles * nr * k > Integer.MAX_VALUE - 64) {
            return null;
        }
        int np = tiles * nr;
        if (stage == STAGE_INT64 && !Int16Stage.accepts(multipliers, shifts, n)) {
            return null;
        }
        byte[] packed = new byte[np * k];
        for (int j = 0; j < n; j++) {
            int t = j / nr;
            int lane = j % nr;
            for (int i = 0; i < k; i++) {
                packed[(t * k + i) * nr + lane] = weights[j * k + i];
            }
        }
        long[] b = new long[np];
        if (bias != null) {
            System.arraycopy(bias, 0, b, 0, n);
        }
        int[] m = new int[np];
        int[] s = new int[np];
        if (multipliers != null) {
            System.arraycopy(multipliers, 0, m, 0, n);
            System.arraycopy(shifts, 0, s, 0, n);
        }
        double[] sc = new double[np];
        if (scales != null) {
            System.arraycopy(scales, 0, sc, 0, n);
        }
        return new Int16Gemm(k, n, nr, packed, b, stage, m, s, sc, actMin, actMax);
    }

    /** The output stage of channel {@code c} for the int64 sum {@code sum} (bias not included), clamped. */
    int output(long sum, int c) {
        long acc = sum + bias[c];
        int v = switch (stage) {
            case STAGE_INT64 -> FixedPoint.multiplyByQuantizedMultiplier(acc, multipliers[c], shifts[c]);
            case STAGE_RUY -> RuyMath.multiplyByQuantizedMultiplier((int) acc, multipliers[c], shifts[c]);
            default -> castToInt32(CppMath.round((double) acc * scales[c]));
        };
        return Math.min(Math.max(v, actMin), actMax);
    }

    /** {@code static_cast<int32_t>(double)} on x86, as {@code FullyConnectedReference} computes it. */
    static int castToInt32(double v) {
        if (!(v > -2147483649.0 && v < 2147483648.0)) {
            return Integer.MIN_VALUE;
        }
        return (int) v;
    }

    /** Reduction length K. */
    public int k() {
        return k;
    }

    /** Output channels N. */
    public int n() {
        return n;
    }

    /** Tiles of {@code nr} channels. */
    public int tiles() {
        return tiles;
    }
}
