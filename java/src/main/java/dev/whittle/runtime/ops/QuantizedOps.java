package dev.whittle.runtime.ops;

import dev.whittle.model.TensorType;
import dev.whittle.runtime.PrepareContext;

/**
 * Checks the pooling, resizing, padding and concatenation ops share: their quantized kernels
 * move raw values, so they are only right when the tensors agree on scale and zero point.
 * Scales are compared as the float32 TFLite stores.
 */
final class QuantizedOps {
    private QuantizedOps() {
    }

    static boolean isQuantizedType(TensorType t) {
        return t == TensorType.INT8 || t == TensorType.UINT8 || t == TensorType.INT16;
    }

    /** Whether {@code input} and {@code output} have the same per-tensor scale and zero point. */
    static boolean sameQuantization(PrepareContext ctx, int input, int output) {
        return (float) ctx.inputScale(input) == (float) ctx.outputScale(output)
                && ctx.inputZeroPoint(input) == ctx.outputZeroPoint(output);
    }

    /** Refuses unless input {@code input} and output {@code output} are quantized alike. */
    static void requireSameQuantization(PrepareContext ctx, int input, int output) {
        if (!sameQuantization(ctx, input, output)) {
            throw ctx.unsupported("input " + input + " (scale " + (float) ctx.inputScale(input) + ", zero point "
                    + ctx.inputZeroPoint(input) + ") and output " + output + " (scale "
                    + (float) ctx.outputScale(output) + ", zero point " + ctx.outputZeroPoint(output)
                    + ") must have the same quantization: the kernel moves raw values without rescaling");
        }
    }
}
