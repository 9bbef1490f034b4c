package dev.whittle.runtime.kernels.reference;

import dev.whittle.model.TensorType;
import dev.whittle.runtime.Kernel;

/**
 * SOFTMAX over the last axis, prepared: {@code rows} rows of {@code depth} elements.
 *
 * @param table the int8/uint8 kernels' float table, {@code table[255 - d] = expf(-inputScale * beta * d)}
 * @param outScale the output scale (float)
 * @param outZeroPoint the output zero point
 * @param expLut int16: the 513-entry table of exp on [-10, 0] ({@link SoftmaxKernels#int16Lut})
 * @param reciprocalLut int16: the 513-entry table of 1 / (1 + x) on [0, 1]
 * @param inputMultiplier int16: the multiplier taking input differences to the exp table's scale
 * @param inputShift its shift
 */
public record SoftmaxParams(Kernel<SoftmaxParams> kernel, int input, int output, int rows, int depth,
        TensorType type, float beta, float[] table, float outScale, int outZeroPoint, short[] expLut,
        short[] reciprocalLut, int inputMultiplier, int inputShift) {
}
