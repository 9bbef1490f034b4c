package dev.whittle.runtime.ops;

import dev.whittle.model.TensorType;
import dev.whittle.runtime.Kernel;
import dev.whittle.runtime.PrepareContext;
import dev.whittle.runtime.kernels.reference.BinaryKernels;
import dev.whittle.runtime.kernels.reference.BinaryParams;

/**
 * FLOOR_DIV, float32 and int32, broadcasting up to rank 4 as TFLite's
 * {@code BroadcastBinaryFunction4DSlow}. The quotient is {@code floor(double(x) / double(y))},
 * as TFLite computes it. An int32 divisor containing 0 fails as TFLite's "Division by 0" does:
 * refused at compile time when constant, an {@link dev.whittle.InvalidInputException} from
 * invoke otherwise ({@link ZeroDivisorCheck}), with the output left unwritten. A float32 zero
 * divisor gives infinities or NaN, as in TFLite.
 */
public final class FloorDiv extends ElementwiseBinary {
    @Override
    Kernel<BinaryParams> kernel(PrepareContext ctx, TensorType type) {
        return switch (type) {
            case FLOAT32 -> BinaryKernels.F32_FLOOR_DIV;
            case INT32 -> ZeroDivisorCheck.wrap(ctx, BinaryKernels.S32_FLOOR_DIV);
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
