package dev.whittle.runtime.ops;

import dev.whittle.model.TensorType;
import dev.whittle.runtime.Kernel;
import dev.whittle.runtime.PrepareContext;
import dev.whittle.runtime.kernels.reference.BinaryKernels;
import dev.whittle.runtime.kernels.reference.BinaryParams;

/**
 * ADD with broadcasting (up to rank 6) and a fused activation: float32, int32, int64, and
 * quantized int8, uint8 and int16 (general and power-of-two scale paths) as TFLite 2.20's
 * {@code add.cc}.
 */
public final class Add extends ElementwiseBinary {
    @Override
    Kernel<BinaryParams> kernel(PrepareContext ctx, TensorType type) {
        return switch (type) {
            case FLOAT32 -> BinaryKernels.F32_ADD;
            case INT32 -> BinaryKernels.S32_ADD;
            default -> BinaryKernels.S64_ADD;
        };
    }

    @Override
    QuantizedChoice quantized(PrepareContext ctx, TensorType type, boolean broadcast) {
        return AddSubSupport.prepare(ctx, type, broadcast, false);
    }
}
