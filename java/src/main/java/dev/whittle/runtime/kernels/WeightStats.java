package dev.whittle.runtime.kernels;

import java.nio.ByteBuffer;

/**
 * What a layer's 8-bit weights look like, measured once at prepare time: the facts the weight
 * format kernels and their cost model need. The weights are viewed as {@code [n][k]} bytes
 * (TFLite's {@code [O,H,W,I]} conv filter with {@code k = H*W*I}, or {@code [O,I]}
 * fully-connected weights), the innermost {@code inner} of each row being one input-channel
 * run (I). A weight is zero when its real value is zero: byte {@code b} with
 * {@code value(b) + offset == 0}, {@code value} signed for int8 and unsigned for uint8.
 *
 * @param n output channels
 * @param k values per output channel
 * @param inner input channels (the axis along which M:N groups run)
 * @param zeros weights that are zero
 * @param conforms24 every aligned group of 4 along the input channels holds at most 2
 *     non-zeros, and {@code inner % 4 == 0}
 * @param zeroBlocks4 fraction of aligned 1x4 blocks along {@code k} that are all zero (the last
 *     partial block of a row counts as a block)
 * @param zeroBlocks16 the same for 1x16 blocks
 * @param distinctLayer distinct weight values in the layer
 * @param distinctChannelMax the most distinct values in one output channel
 * @param zeroRows output channels whose weights are all zero
 */
public record WeightStats(int n, int k, int inner, long zeros, boolean conforms24, double zeroBlocks4,
        double zeroBlocks16, int distinctLayer, int distinctChannelMax, int zeroRows) {

    /** Fraction of weights that are zero. */
    public double sparsity() {
        long total = (long) n * k;
        return total == 0 ? 0 : (double) zeros / total;
    }

    /**
     * Measures {@code weights} (from position 0).
     *
     * @param signed int8 weights (else uint8)
     * @param offset added to each value before the zero test (TFLite's filter offset: minus the
     *     zero point; 0 for symmetric int8)
     */
    public static WeightStats of(ByteBuffer weights, int n, int k, int inner, boolean signed, int offset) {
        if (n <= 0 || k <= 0 || inner <= 0 || k % inner != 0 || weights.capacity() < (long) n * k) {
            throw new IllegalArgumentException("weights of " + weights.capacity() + " bytes are not [" + n + "][" + k
                    + "] with inner " + inner);
        }
        long zeros = 0;
        boolean conforms = inner % 4 == 0;
        long blocks4 = 0;
        long zero4 = 0;
        long blocks16 = 0;
        long zero16 = 0;
        int zeroRows = 0;
        long[] layerSet = new long[4];
        long[] rowSet = new long[4];
        int distinctChannelMax = 0;
        for (int o = 0; o < n; o++) {
            java.util.Arrays.fill(rowSet, 0);
            int base = o * k;
            int rowZeros = 0;
            int group = 0;
            int inBlock4 = 0;
            boolean block4Zero = true;
            int inBlock16 = 0;
            boolean block16Zero = true;
            for (int j = 0; j < k; j++) {
                int b = weights.get(base + j) & 0xff;
                rowSet[b >>> 6] |= 1L << (b & 63);
                int v = (signed ? (byte) b : b) + offset;
                boolean zero = v == 0;
                if (zero) {
                    rowZeros++;
                } else {
                    group++;
                    block4Zero = false;
                    block16Zero = false;
                }
                // groups of 4 along the input channels restart with each input-channel run
                int c = j % inner;
                if (c % 4 == 3 || c == inner - 1) {
                    if (group > 2) {
                        conforms = false;
                    }
                    group = 0;
                }
                if (++inBlock4 == 4 || j == k - 1) {
                    blocks4++;
                    zero4 += block4Zero ? 1 : 0;
                    inBlock4 = 0;
                    block4Zero = true;
                }
                if (++inBlock16 == 16 || j == k - 1) {
                    blocks16++;
                    zero16 += block16Zero ? 1 : 0;
                    inBlock16 = 0;
                    block16Zero = true;
                }
            }
            zeros += rowZeros;
            zeroRows += rowZeros == k ? 1 : 0;
            int d = 0;
            for (int w = 0; w < 4; w++) {
                d += Long.bitCount(rowSet[w]);
                layerSet[w] |= rowSet[w];
            }
            distinctChannelMax = Math.max(distinctChannelMax, d);
        }
        int distinctLayer = 0;
        for (long w : layerSet) {
            distinctLayer += Long.bitCount(w);
        }
        return new WeightStats(n, k, inner, zeros, conforms, (double) zero4 / blocks4, (double) zero16 / blocks16,
                distinctLayer, distinctChannelMax, zeroRows);
    }

    /** One line for reports, e.g. {@code 50.0% zeros, 2:4, 16 values/channel}. */
    public String summary() {
        return String.format(java.util.Locale.ROOT, "%.1f%% zeros%s, 1x4 blocks %.0f%% zero, %d values (%d/channel)",
                100 * sparsity(), conforms24 ? ", 2:4" : "", 100 * zeroBlocks4, distinctLayer, distinctChannelMax);
    }
}
