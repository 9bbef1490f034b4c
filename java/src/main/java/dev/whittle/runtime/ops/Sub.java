package dev.whittle.runtime.ops;

import dev.whittle.model.TensorType;
import dev.whittle.runtime.Kernel;
import dev.whittle.runtime.PrepareContext;
import dev.whittle.runtime.kernels.reference.BinaryKernels;
import dev.whittle.runtime.kernels.reference.BinaryParams;

/**
 * SUB with broadcasting (up to rank 6) and a fused activation: float32, int32, int64, and
 * quantized int8, uint8 and int16 as TFLite 2.20's {@code sub.cc}. An output rescale above 1,
 * which TFLite quantizes with {@code QuantizeMultiplierGreaterThanOne} and then applies with a
 * negative right shift (undefined in C++), is refused.
 */
public final class Sub extends ElementwiseBinary {
    @Override
    Kernel<BinaryParams> kernel(PrepareContext ctx, TensorType type) {
        return switch (type) {
            case FLOAT32 -> BinaryKernels.F32_SUB;
            case INT32 -> BinaryKernels.S32_SUB;
            default -> BinaryKernels.S64_SUB;
        };
    }

    @Override
    QuantizedChoice quantized(PrepareContext ctx, TensorType type, boolean broadcast) {
        return AddSubSupport.prepare(ctx, type, broadcast, true);
    }
}
