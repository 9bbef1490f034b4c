package dev.whittle.runtime.ops;

import dev.whittle.model.TensorType;
import dev.whittle.runtime.Kernel;
import dev.whittle.runtime.PrepareContext;
import dev.whittle.runtime.kernels.reference.BinaryKernels;
import dev.whittle.runtime.kernels.reference.BinaryParams;

/**
 * FLOOR_MOD, float32 and int32 (shape arithmetic, e.g. dilated convolutions), broadcasting up
 * to rank 4: the truncating remainder, plus the divisor when the remainder is non-zero and its
 * sign differs from the divisor's. An int32 divisor containing 0 fails as TFLite's "Division
 * by 0" does: refused at compile time when constant, an {@link dev.whittle.InvalidInputException}
 * from invoke otherwise ({@link ZeroDivisorCheck}).
 */
public final class FloorMod extends ElementwiseBinary {
    @Override
    Kernel<BinaryParams> kernel(PrepareContext ctx, TensorType type) {
        return switch (type) {
            case FLOAT32 -> BinaryKernels.F32_FLOOR_MOD;
            case INT32 -> ZeroDivisorCheck.wrap(ctx, BinaryKernels.S32_FLOOR_MOD);
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
