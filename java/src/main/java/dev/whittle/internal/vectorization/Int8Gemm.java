package dev.whittle.internal.vectorization;

/**
 * One int8/uint8 GEMM node packed for {@link Int8GemmKernels}: the weights in tiles of
 * {@code nr} output channels, the zero-point terms and bias folded into one int per channel,
 * and the output stage's per-channel constants. Immutable; shared by every context and thread.
 *
 * <p>{@code out[m, n] = clamp(requantize(sum_k a[m, k] * w'[n, k] + constants[n]
 * + rowOffset * sum_k a[m, k], n) + outputOffset)}, where {@code a} are the activation bytes
 * as stored (signed for int8, unsigned for uint8: the kernels widen bytes to int lanes, so
 * uint8 needs no flip) and {@code w'} the signed weight bytes. With {@code xo, wo} the input
 * and weight offsets (minus the zero points), uint8 weights move to signed bytes as
 * {@code w' = w - 128} with {@code wo' = wo + 128}, and
 * <pre>
 *   sum_k (w'[n,k] + wo') (a[m,k] + xo)
 *     = dot(a[m], w'[n]) + xo * sum_k w'[n,k] + wo' * sum_k a[m,k] + K * xo * wo'
 * </pre>
 * all in wrapping int32, so the regrouping is exact. {@code constants[n]} holds the second
 * and last terms plus the bias; {@code rowOffset = wo'} (0 for int8 convolutions, where the
 * row sums are skipped).
 *
 * <p>Packed layout: {@code tiles = ceil(N / nr)} tiles of {@code [K][nr]} signed bytes (the
 * {@code nr} weights of one k next to each other, so a kernel loads them as one vector and
 * broadcasts one activation), padding channels zero. Per-channel arrays are padded to
 * {@code tiles * nr} with a zero multiplier.
 */
public final class Int8Gemm {
    final int k;
    final int n;
    final int nr;
    final int tiles;
    final byte[] packed;
    final int[] constants;
    final int rowOffset;
    final boolean unsignedInput;
    /** ruy's rounding ({@code RuyMath}) when true, else gemmlowp's ({@code FixedPoint}). */
    final boolean ruy;
    final int[] multipliers;
    final int[] shifts;
    // Output stage, per channel, for the vector kernels.
    final long[] multipliersLong;
    final int[] leftShifts;
    final int[] rightShifts;
    /** ruy: the rounding nudge {@code 2^(right-1)} (0 when right is 0). */
    final int[] nudges;
    /** ruy: {@code scaled > limit} saturates to {@code 2^(31-right)}: {@code MAX - nudge}. */
    final int[] limits;
    final int[] saturated;
    /** gemmlowp: {@code 2^right - 1}. */
    final int[] masks;
    final int outputOffset;
    final int actMin;
    final int actMax;

    private Int8Gemm(int k, int n, int nr, byte[] packed, int[] constants, int rowOffset, boolean unsignedInput,
            boolean ruy, int[] multipliers, int[] shifts, int outputOffset, int actMin, int actMax) {
        this.k = k;
        this.n = n;
        this.nr = nr;
        this.tiles = (n + nr - 1) / nr;
        this.packed = packed;
        this.constants = constants;
        this.rowOffset = rowOffset;
        this.unsignedInput = unsignedInput;
        this.ruy = ruy;
        this.multipliers = multipliers;
        this.shifts = shifts;
        int np = tiles * nr;
        this.multipliersLong = new long[np];
        this.leftShifts = new int[np];
        this.rightShifts = new int[np];
        this.nudges = new int[np];
        this.limits = new int[np];
        this.saturated = new int[np];
        this.masks = new int[np];
        for (int j = 0; j < np; j++) {
            multipliersLong[j] = multipliers[j];
            leftShifts[j] = Math.max(shifts[j], 0);
            int right = Math.max(-shifts[j], 0);
            rightShifts[j] = right;
            nudges[j] = right > 0 ? 1 << (right - 1) : 0;
            limits[j] = Integer.MAX_VALUE - nudges[j];
            saturated[j] = (int) (1L << (31 - right));
            masks[j] = (int) ((1L << right) - 1);
        }
        this.outputOffset = outputOffset;
        this.actMin = actMin;
        this.actMax = actMax;
    }

    /**
     * Packs one node, or returns null when its parameters are outside what the kernels
     * handle (a negative multiplier, a shift outside {@code [-31, 30]}, more than 2 GB of
     * packed weights).
     *
     * @param weights {@code [N][K]} bytes from {@code weights[0]} (row {@code n} at {@code n * K})
     * @param unsigned uint8 activations and weights
     * @param bias the constant int32 bias per channel, or null
     * @param inputOffset minus the input zero point
     * @param weightsOffset minus the weights zero point (0 for symmetric int8 weights)
     * @param ruy ruy's output rounding (int8 convolutions, all fully connected) or gemmlowp's
     *     (uint8 convolutions)
     */
    public static Int8Gemm pack(Int8GemmKernels kernels, byte[] weights, int k, int n, boolean unsigned, int[] bias,
            int inputOffset, int weightsOffset, int outputOffset, int[] multipliers, int[] shifts, int actMin,
            int actMax, boolean ruy) {
        int nr = kernels.nr();
        int tiles = (n + nr - 1) / nr;
        if ((long) tiles * nr * Math.max(k, 1) > Integer.MAX_VALUE - 64) {
            return null;
        }
        int np = tiles * nr;
        for (int j = 0; j < n; j++) {
            if (multipliers[j] < 0 || shifts[j] < -31 || shifts[j] > 30) {
                return null;
            }
        }
        int flip = unsigned ? 0x80 : 0;
        int wo = weightsOffset + flip;
        byte[] packed = new byte[np * Math.max(k, 1)];
        int[] constants = new int[np];
        int kTerm = k * inputOffset * wo;
        for (int j = 0; j < n; j++) {
            int t = j / nr;
            int lane = j % nr;
            int colSum = 0;
            for (int i = 0; i < k; i++) {
                byte w = (byte) (weights[j * k + i] ^ flip);
                packed[(t * k + i) * nr + lane] = w;
                colSum += w;
            }
            constants[j] = inputOffset * colSum + kTerm + (bias == null ? 0 : bias[j]);
        }
        int[] m = new int[np];
        int[] s = new int[np];
        System.arraycopy(multipliers, 0, m, 0, n);
        System.arraycopy(shifts, 0, s, 0, n);
        return new Int8Gemm(k, n, nr, packed, constants, wo, unsigned, ruy, m, s, outputOffset, actMin, actMax);
    }

    /** Reduction length K. */
    public int k() {
        return k;
    }

    /** Output channels N. */
    public int n() {
        return n;
    }

    /** Channels per tile. */
    public int nr() {
        return nr;
    }

    /** Tiles of {@link #nr()} channels. */
    public int tiles() {
        return tiles;
    }

    /** The factor of the row sums ({@code wo'}); the caller computes row sums only when it is not 0. */
    public int rowOffset() {
        return rowOffset;
    }

    /** Whether activations are unsigned bytes. */
    public boolean unsignedInput() {
        return unsignedInput;
    }
    // ---- issue 9, Java weight-format kernels (Int8FormatGemm): the same constants and output
    // stage as pack(), without the dense packed bytes (a format kernel keeps its own weights) ----

    /**
     * As {@link #pack}, but keeps no packed weights: the per-channel constants (column sums of
     * the signed weights, zero-point terms, bias) and the output stage only, for a micro-kernel
     * that reads its weights from another format. Null where {@link #pack} would be.
     */
    static Int8Gemm constantsOnly(int nr, byte[] weights, int k, int n, boolean unsigned, int[] bias,
            int inputOffset, int weightsOffset, int outputOffset, int[] multipliers, int[] shifts, int actMin,
            int actMax, boolean ruy) {
        int tiles = (n + nr - 1) / nr;
        if ((long) tiles * nr * Math.max(k, 1) > Integer.MAX_VALUE - 64) {
            return null;
        }
        int np = tiles * nr;
        for (int j = 0; j < n; j++) {
            if (multipliers[j] < 0 || shifts[j] < -31 || shifts[j] > 30) {
                return null;
            }
        }
        int flip = unsigned ? 0x80 : 0;
        int wo = weightsOffset + flip;
        int[] constants = new int[np];
        int kTerm = k * inputOffset * wo;
        for (int j = 0; j < n; j++) {
            int colSum = 0;
            for (int i = 0; i < k; i++) {
                colSum += (byte) (weights[j * k + i] ^ flip);
            }
            constants[j] = inputOffset * colSum + kTerm + (bias == null ? 0 : bias[j]);
        }
        int[] m = new int[np];
        int[] s = new int[np];
        System.arraycopy(multipliers, 0, m, 0, n);
        System.arraycopy(shifts, 0, s, 0, n);
        return new Int8Gemm(k, n, nr, new byte[0], constants, wo, unsigned, ruy, m, s, outputOffset, actMin, actMax);
    }

    /**
     * An output stage with the given per-channel constants and no row sums ({@code rowOffset}
     * 0): for the sparse kernels, whose accumulators are {@code sum_k (w + wo) * a} with the
     * input-offset term folded into {@code constants}. With {@code lanes > 1}, every channel's
     * values repeated {@code lanes} times (channel {@code c} at {@code [c * lanes, c * lanes +
     * lanes)}), for kernels with pixels in the vector lanes. Null where {@link #pack} would be.
     */
    static Int8Gemm ofConstants(int k, int n, int nr, int lanes, int[] constants, boolean unsigned, boolean ruy,
            int[] multipliers, int[] shifts, int outputOffset, int actMin, int actMax) {
        for (int j = 0; j < n; j++) {
            if (multipliers[j] < 0 || shifts[j] < -31 || shifts[j] > 30) {
                return null;
            }
        }
        int nl = n * lanes;
        int np = (nl + nr - 1) / nr * nr;
        int[] c = new int[np];
        int[] m = new int[np];
        int[] s = new int[np];
        for (int j = 0; j < nl; j++) {
            c[j] = constants[j / lanes];
            m[j] = multipliers[j / lanes];
            s[j] = shifts[j / lanes];
        }
        return new Int8Gemm(k, nl, nr, new byte[0], c, 0, unsigned, ruy, m, s, outputOffset, actMin, actMax);
    }
}
