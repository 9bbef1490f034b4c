package dev.whittle.runtime.kernels.reference;

import dev.whittle.runtime.Kernel;

/**
 * One prepared CONV_2D node: tensor indices, NHWC/OHWI geometry, and the arithmetic TFLite's
 * prepare derives (offsets = negated zero points for inputs and filters, per-channel
 * multipliers and shifts, activation bounds). Immutable after prepare; the arrays are never
 * written.
 *
 * @param kernel the kernel the op's eval calls
 * @param bias bias tensor index, or -1
 * @param filterInC input channels per group ({@code inC / groups})
 * @param inputOffset {@code -input zero point}
 * @param filterOffset {@code -filter zero point} (uint8 only; 0 otherwise)
 * @param outputOffset the output zero point
 * @param multipliers per output channel Q0.31 multiplier (per-tensor values broadcast)
 * @param shifts per output channel exponent, positive = left
 * @param actMin quantized activation minimum
 * @param actMax quantized activation maximum
 * @param floatMin float activation minimum (float and hybrid kernels)
 * @param floatMax float activation maximum
 * @param filterScales hybrid kernels: the filter scales (one, or one per output channel)
 * @param scratch hybrid kernels: the scratch ids of the run-time quantized input, else null
 */
public record ConvParams(Kernel<ConvParams> kernel, int input, int filter, int bias, int output, int batches,
        int inH, int inW, int inC, int outH, int outW, int outC, int kh, int kw, int filterInC, int strideH,
        int strideW, int dilH, int dilW, int padH, int padW, int inputOffset, int filterOffset, int outputOffset,
        int[] multipliers, int[] shifts, int actMin, int actMax, float floatMin, float floatMax,
        float[] filterScales, HybridScratch scratch) {

    /** Number of groups: {@code inC / filterInC}. */
    public int groups() {
        return inC / filterInC;
    }

    /** Output channels per group. */
    public int filtersPerGroup() {
        return outC / groups();
    }
}
