package dev.whittle.runtime.kernels.reference;

import dev.whittle.model.TensorType;
import dev.whittle.runtime.Kernel;

/**
 * What the RELU family, LEAKY_RELU and HARD_SWISH kernels need, fixed at prepare time. Each
 * kernel reads the fields its op sets and ignores the others (left 0).
 *
 * @param multiplier RELU*, LEAKY_RELU: the identity rescale {@code inputScale / outputScale};
 *     HARD_SWISH: the output multiplier reduced to int16
 * @param shift its shift (HARD_SWISH: its exponent, at most 0)
 * @param multiplier2 LEAKY_RELU: the alpha rescale {@code inputScale * alpha / outputScale};
 *     HARD_SWISH: the "reluish" multiplier reduced to int16
 * @param shift2 its shift (HARD_SWISH: the reluish exponent)
 * @param min RELU*: the quantized lower clamp bound
 * @param max RELU*: the quantized upper clamp bound
 * @param floatMin RELU*, float32: the lower bound
 * @param floatMax RELU*, float32: the upper bound
 * @param alpha LEAKY_RELU, float32: the slope below zero
 */
public record ActivationParams(Kernel<ActivationParams> kernel, int input, int output, int count, TensorType type,
        int inZeroPoint, int outZeroPoint, int multiplier, int shift, int multiplier2, int shift2, int min, int max,
        float floatMin, float floatMax, float alpha) {
}
