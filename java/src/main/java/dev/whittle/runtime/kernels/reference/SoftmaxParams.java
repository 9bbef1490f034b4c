package dev.whittle.runtime.kernels.reference;

import dev.whittle.model.TensorType;
import dev.whittle.runtime.Kernel;

/**
 * SOFTMAX over the last axis, prepared: {@code rows} rows of {@code depth} elements.
 *
 * @param table the int8/uint8 kernels' float table, {@code table[255 - d] = expf(-inputScale * beta * d)}
 * @param outScale the output scale (float)
 * @param outZeroPoint the output zero point
 */
public record SoftmaxParams(Kernel<SoftmaxParams> kernel, int input, int output, int rows, int depth,
        TensorType type, float beta, float[] table, float outScale, int outZeroPoint) {
}
