package dev.whittle.runtime.kernels.reference;

import dev.whittle.runtime.Kernel;

/**
 * One prepared DEPTHWISE_CONV_2D node: filter {@code [1, kh, kw, inC * multiplier]}, output
 * channel {@code ic * multiplier + m} reads input channel {@code ic}. Fields as in
 * {@link ConvParams}; immutable after prepare.
 */
public record DepthwiseConvParams(Kernel<DepthwiseConvParams> kernel, int input, int filter, int bias, int output,
        int batches, int inH, int inW, int inC, int multiplier, int outH, int outW, int kh, int kw, int strideH,
        int strideW, int dilH, int dilW, int padH, int padW, int inputOffset, int filterOffset, int outputOffset,
        int[] multipliers, int[] shifts, int actMin, int actMax, float floatMin, float floatMax,
        float[] filterScales, HybridScratch scratch) {

    /** Output channels: {@code inC * multiplier}. */
    public int outC() {
        return inC * multiplier;
    }
}
