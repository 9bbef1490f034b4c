package dev.whittle.runtime.ops;

import dev.whittle.model.TensorType;
import dev.whittle.runtime.Kernel;
import dev.whittle.runtime.PrepareContext;
import dev.whittle.runtime.kernels.reference.BinaryKernels;
import dev.whittle.runtime.kernels.reference.BinaryParams;

/**
 * FLOOR_MOD, float32 and int32 (shape arithmetic, e.g. dilated convolutions), broadcasting up
 * to rank 4: the truncating remainder, plus the divisor when the remainder is non-zero and its
 * sign differs from the divisor's. A constant divisor containing 0 is refused, as TFLite
 * reports "Division by 0" for integers.
 */
public final class FloorMod extends ElementwiseBinary {
    @Override
    Kernel<BinaryParams> kernel(PrepareContext ctx, TensorType type) {
        return switch (type) {
            case FLOAT32 -> BinaryKernels.F32_FLOOR_MOD;
            case INT32 -> {
                refuseZeroDivisor(ctx);
                yield BinaryKernels.S32_FLOOR_MOD;
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

    static void refuseZeroDivisor(PrepareContext ctx) {
        if (ctx.isConstant(1)) {
            for (int v : ctx.constantInts(1)) {
                if (v == 0) {
                    throw ctx.unsupported("the divisor contains 0 (division by 0)");
                }
            }
        }
    }
}
