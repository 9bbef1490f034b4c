package dev.whittle.runtime.ops;

import dev.whittle.model.TensorType;
import dev.whittle.runtime.Kernel;
import dev.whittle.runtime.PrepareContext;
import dev.whittle.runtime.kernels.reference.BinaryKernels;
import dev.whittle.runtime.kernels.reference.BinaryParams;

/**
 * FLOOR_DIV, float32 and int32, broadcasting up to rank 4 as TFLite's
 * {@code BroadcastBinaryFunction4DSlow}. The quotient is {@code floor(double(x) / double(y))},
 * as TFLite computes it. A constant int32 divisor containing 0 is refused (TFLite reports
 * "Division by 0"); a zero in a runtime divisor is not checked: the int32 conversion of the
 * double quotient (an infinity or NaN) is written instead of an error.
 */
public final class FloorDiv extends ElementwiseBinary {
    @Override
    Kernel<BinaryParams> kernel(PrepareContext ctx, TensorType type) {
        return switch (type) {
            case FLOAT32 -> BinaryKernels.F32_FLOOR_DIV;
            case INT32 -> {
                FloorMod.refuseZeroDivisor(ctx);
                yield BinaryKernels.S32_FLOOR_DIV;
            }
            default -> throw ctx.unsupported("type " + type + " is not supported");
        };
    }

    @Override
    int maxBroadcastRank() {
        return 4;
    }

    @Override
    boolean hasActivation() {
        return false;
    }
}
