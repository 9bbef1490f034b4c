package dev.whittle.runtime.kernels.reference;

import dev.whittle.model.TensorType;
import dev.whittle.runtime.Kernel;

/**
 * What a one-input element-wise kernel (QUANTIZE, DEQUANTIZE, the LUT activations, the float
 * activations) needs, fixed at prepare time.
 *
 * @param scale QUANTIZE from float: the output scale; DEQUANTIZE: the input scale (both as the
 *     double TFLite widens the float scale to)
 * @param multiplier requantization multiplier ({@code QuantizeMultiplier})
 * @param shift requantization shift
 * @param table a lookup table indexed by {@code value - min(inType)}, or null
 */
public record UnaryParams(Kernel<UnaryParams> kernel, int input, int output, int count, TensorType inType,
        TensorType outType, int inZeroPoint, int outZeroPoint, double scale, int multiplier, int shift,
        int[] table) {
}
