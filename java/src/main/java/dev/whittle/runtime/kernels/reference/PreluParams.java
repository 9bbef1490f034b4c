package dev.whittle.runtime.kernels.reference;

import dev.whittle.runtime.Kernel;

/**
 * One prepared PRELU node. The output has the input's shape; alpha is broadcast to it.
 *
 * @param outShape the output (= input) shape
 * @param alphaStrides per output dimension, alpha's element stride (0 where alpha is broadcast);
 *     null when alpha has the input's shape and is read flat
 * @param count output elements
 * @param inputOffset minus the input zero point (quantized kernels)
 * @param alphaOffset minus the alpha zero point
 * @param outputOffset the output zero point
 * @param identityMultiplier for {@code x - zp >= 0}: {@code inputScale / outputScale}
 * @param identityShift its exponent (positive = left)
 * @param alphaMultiplier below: {@code inputScale * alphaScale / outputScale}
 * @param alphaShift its exponent
 */
public record PreluParams(Kernel<PreluParams> kernel, int input, int alpha, int output, int[] outShape,
        int[] alphaStrides, int count, int inputOffset, int alphaOffset, int outputOffset, int identityMultiplier,
        int identityShift, int alphaMultiplier, int alphaShift) {

    /** Element of alpha that output element {@code i} uses. */
    public int alphaIndex(int i) {
        if (alphaStrides == null) {
            return i;
        }
        int rem = i;
        int idx = 0;
        for (int d = outShape.length - 1; d >= 0; d--) {
            idx += (rem % outShape[d]) * alphaStrides[d];
            rem /= outShape[d];
        }
        return idx;
    }
}
