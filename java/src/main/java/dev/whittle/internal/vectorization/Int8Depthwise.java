package dev.whittle.internal.vectorization;

/**
 * One int8/uint8 DEPTHWISE_CONV_2D node packed for {@link Int8DepthwiseKernels}: the filter as
 * int32 {@code w' = w + filterOffset} in {@code [tap][cp]} (channels padded with zeros to whole
 * vectors), the bias three ways, and the output stage's per-channel constants. Immutable;
 * shared by every context and thread.
 *
 * <p>The reference sums {@code (w + filterOffset) * (x + inputOffset)} over the taps inside the
 * image, adds the bias, then TFLite's {@code MultiplyByQuantizedMultiplier}. All in wrapping
 * int32, so regrouping is exact: {@code sum w' (x + io) = sum w' x + sum io w'}. A pixel whose
 * taps are all inside starts from {@link #folded} ({@code bias + io * sum_t w'}) and adds
 * {@code w' x} per tap; a border pixel starts from {@link #bias} and adds {@link #weightsIo}
 * ({@code io * w'}) per valid tap once per channel vector (shared by the pixels of a call).
 *
 * <p>Layouts ({@link #mode}): {@link #CONTIGUOUS} depth multiplier 1, lane {@code c} reads input
 * channel {@code c}; {@link #SHUFFLE} any other multiplier, lane {@code l} reads the byte {@link #laneOffset}{@code [l]} past the
 * pixel: the vector of bytes loaded at {@code laneOffset[c0]} for a block of lanes {@code c0..}
 * rearranged by {@link #shuffle}. A {@link #group} above 1 puts {@code group} adjacent pixels
 * in one vector (the filter, bias and constants repeated {@code group} times, {@code cp = lanes},
 * the pixels' outputs contiguous): {@link #CONTIGUOUS} with stride 1 and channels dividing the
 * lanes (8 channels: 2 pixels per AVX-512 vector), where their inputs are contiguous too;
 * {@link #SHUFFLE} when the output channels divide the lanes and the group's input bytes fit in
 * one vector (person_detect's 1 channel x 8 at stride 2: lane {@code l} reads byte
 * {@code (l / 8) * 2}).
 */
public final class Int8Depthwise {
    /** Depth multiplier 1: channels in lanes, one load per tap. */
    public static final int CONTIGUOUS = 0;
    /**
     * Depth multiplier above 1: a load then a lane shuffle (also for one input channel: a
     * broadcast of a scalar byte per tap and pixel was slower, and boxed vectors on AVX2).
     */
    public static final int SHUFFLE = 2;

    final int mode;
    final int lanes;
    final int group;
    /** Output channels of one pixel group ({@code group * outC}) rounded up to lanes. */
    final int cp;
    /** Real output channels (bytes) of one pixel group: {@code group * outC}. */
    final int width;
    final int inC;
    final int mult;
    final int taps;
    final boolean unsigned;
    final int inputOffset;
    final int[] weights;
    final int[] weightsIo;
    final int[] bias;
    final int[] folded;
    /** {@link Int8DepthwiseKernels#prepare}'s constants for the kernels that packed this node. */
    Object prepared;
    /** Bytes past a pixel (group) that whole-vector loads touch. */
    final long reach;
    /** Per lane, the input byte it reads relative to the pixel (group) it belongs to. */
    final int[] laneOffset;
    /** {@link #SHUFFLE}: per lane of each channel block, the lane of the loaded input vector. */
    final int[] shuffle;
    final int[] multipliers;
    final int[] shifts;
    final long[] multipliersLong;
    final int[] leftShifts;
    /** Whether any channel shifts left (else the kernels skip that step). */
    final boolean anyLeftShift;
    // The output stage in long lanes (PanamaInt8DepthwiseKernels#requantize), per channel with
    // e = the right shift: round[c] = 2^30 + (e > 0 ? 2^(30 + e) : 0), negative[c] = (e > 0 ?
    // 2^31 : 0), shift[c] = 31 + e, signFix[c] = max(e - 1, 0).
    final long[] round;
    final long[] negative;
    final long[] shift;
    final int[] signFix;
    final int outputOffset;
    final int actMin;
    final int actMax;

    private Int8Depthwise(int mode, int lanes, int group, int cp, int width, int inC, int mult, int taps,
            boolean unsigned, int inputOffset, int[] weights, int[] weightsIo, int[] bias, int[] folded,
            int[] laneOffset, int[] shuffle, int[] multipliers, int[] shifts, int outputOffset, int actMin,
            int actMax) {
        this.mode = mode;
        this.lanes = lanes;
        this.group = group;
        this.cp = cp;
        this.width = width;
        this.inC = inC;
        this.mult = mult;
        this.taps = taps;
        this.unsigned = unsigned;
        this.inputOffset = inputOffset;
        this.weights = weights;
        this.weightsIo = weightsIo;
        this.bias = bias;
        this.folded = folded;
        this.laneOffset = laneOffset;
        this.shuffle = shuffle;
        long reach = 0;
        for (int c = 0; c < cp; c += lanes) {
            reach = Math.max(reach, mode == CONTIGUOUS ? c + lanes : laneOffset[c] + lanes);
        }
        this.reach = reach;
        this.multipliers = multipliers;
        this.shifts = shifts;
        this.multipliersLong = new long[cp];
        this.leftShifts = new int[cp];
        this.round = new long[cp];
        this.negative = new long[cp];
        this.shift = new long[cp];
        this.signFix = new int[cp];
        boolean left = false;
        for (int j = 0; j < cp; j++) {
            multipliersLong[j] = multipliers[j];
            leftShifts[j] = Math.max(shifts[j], 0);
            left |= leftShifts[j] != 0;
            int e = Math.max(-shifts[j], 0);
            round[j] = (1L << 30) + (e > 0 ? 1L << (30 + e) : 0);
            negative[j] = e > 0 ? 1L << 31 : 0;
            shift[j] = 31 + e;
            signFix[j] = Math.max(e - 1, 0);
        }
        this.anyLeftShift = left;
        this.outputOffset = outputOffset;
        this.actMin = actMin;
        this.actMax = actMax;
    }

    /**
     * Packs one node, or returns null outside what the kernels handle (a negative multiplier,
     * a shift outside {@code [-31, 30]}, more than 2^28 packed ints).
     *
     * @param filter {@code [taps][inC * mult]} raw filter bytes
     * @param group pixels per vector: 1, or {@link #group(int, int, int, int)}'s
     * @param strideW the horizontal stride (the grouped layouts' pixel step)
     * @param bias int32 per output channel, or null
     */
    public static Int8Depthwise pack(Int8DepthwiseKernels kernels, byte[] filter, int taps, int inC, int mult,
            int group, int strideW, boolean unsigned, int[] bias, int inputOffset, int filterOffset, int outputOffset,
            int[] multipliers, int[] shifts, int actMin, int actMax) {
        int lanes = kernels.lanes();
        int outC = inC * mult;
        int width = group * outC;
        if (group > 1 && group != group(lanes, inC, mult, strideW)) {
            return null;
        }
        int cp = (width + lanes - 1) / lanes * lanes;
        if ((long) taps * cp > 1 << 28) {
            return null;
        }
        for (int o = 0; o < outC; o++) {
            if (multipliers[o] < 0 || shifts[o] < -31 || shifts[o] > 30) {
                return null;
            }
        }
        int mode = mult == 1 ? CONTIGUOUS : SHUFFLE;
        int[] w = new int[taps * cp];
        int[] wio = new int[taps * cp];
        int[] b = new int[cp];
        int[] f = new int[cp];
        int[] m = new int[cp];
        int[] s = new int[cp];
        for (int l = 0; l < width; l++) {
            int o = l % outC;
            int sum = 0;
            for (int t = 0; t < taps; t++) {
                int raw = filter[t * outC + o];
                int v = (unsigned ? raw & 0xFF : raw) + filterOffset;
                w[t * cp + l] = v;
                wio[t * cp + l] = v * inputOffset;
                sum += v;
            }
            b[l] = bias == null ? 0 : bias[o];
            f[l] = b[l] + inputOffset * sum;
            m[l] = multipliers[o];
            s[l] = shifts[o];
        }
        int[] laneOffset = new int[cp];
        for (int l = 0; l < width; l++) {
            int o = l % outC;
            laneOffset[l] = (l / outC) * strideW * inC + (mode == CONTIGUOUS ? o : o / mult);
        }
        int[] shuffle = new int[cp];
        if (mode == SHUFFLE) {
            for (int l = 0; l < width; l++) {
                // Lanes past the channels read lane 0 (their weights are 0).
                shuffle[l] = laneOffset[l] - laneOffset[l / lanes * lanes];
            }
        }
        Int8Depthwise d = new Int8Depthwise(mode, lanes, group, cp, width, inC, mult, taps, unsigned, inputOffset, w,
                wio, b, f, laneOffset, shuffle, m, s, outputOffset, actMin, actMax);
        d.prepared = kernels.prepare(d);
        return d;
    }

    /**
     * Pixels per vector for a node ({@link #pack}'s {@code group}): depth multiplier 1 at stride 1
     * with channels dividing the lanes, {@code lanes / inC}; a multiplier above 1 with output
     * channels dividing the lanes and the group's input bytes within one vector,
     * {@code lanes / outC}; else 1.
     */
    public static int group(int lanes, int inC, int mult, int strideW) {
        int outC = inC * mult;
        if (outC >= lanes || lanes % outC != 0) {
            return 1;
        }
        int g = lanes / outC;
        if (mult == 1) {
            return strideW == 1 ? g : 1;
        }
        return (long) (g - 1) * strideW * inC + (outC - 1) / mult < lanes ? g : 1;
    }

    /** The layout: {@link #CONTIGUOUS} or {@link #SHUFFLE}. */
    public int mode() {
        return mode;
    }

    /** Pixels per vector group. */
    public int group() {
        return group;
    }

    /** Padded channels of one pixel group. */
    public int cp() {
        return cp;
    }

    /** Output bytes of one pixel group ({@code group * outC}). */
    public int width() {
        return width;
    }
}
