package dev.whittle.runtime.ops;

import dev.whittle.model.TensorType;
import dev.whittle.runtime.PrepareContext;
import dev.whittle.runtime.kernels.reference.ElementWidth;

import java.util.EnumSet;
import java.util.Set;

/** The checks SPACE_TO_BATCH_ND and BATCH_TO_SPACE_ND share, as TFLite's two prepares make them. */
final class SpaceBatchSupport {
    static final Set<TensorType> TYPES = EnumSet.of(TensorType.FLOAT32, TensorType.UINT8, TensorType.INT8,
            TensorType.INT16, TensorType.INT32, TensorType.INT64);

    private SpaceBatchSupport() {
    }

    /** Arity, rank 3 or 4, types, and for quantized types equal scale and zero point (0 for INT16). */
    static ElementWidth check(PrepareContext ctx) {
        ctx.requireArity(3, 3, 1);
        int rank = ctx.inputShape(0).length;
        if (rank < 3 || rank > 4) {
            throw ctx.unsupported("input rank must be 3 or 4, is " + rank);
        }
        ElementWidth w = LayoutSupport.width(ctx, TYPES);
        TensorType t = ctx.inputTensor(0).type();
        if (t == TensorType.UINT8 || t == TensorType.INT8 || t == TensorType.INT16) {
            LayoutSupport.requireSameQuantization(ctx, 0, 0);
        }
        if (t == TensorType.INT16 && (LayoutSupport.inputZeroPoint(ctx, 0) != 0
                || LayoutSupport.outputZeroPoint(ctx, 0) != 0)) {
            throw ctx.unsupported("INT16 input and output must have zero point 0");
        }
        return w;
    }

    /** The block shape, INT32 {@code [rank - 2]} known at compile time, every entry at least 1. */
    static int[] block(PrepareContext ctx, int spatial) {
        if (ctx.inputShape(1).length != 1 || ctx.inputShape(1)[0] != spatial) {
            throw ctx.unsupported("block_shape must have shape [" + spatial + "]");
        }
        int[] block = LayoutSupport.knownInt32(ctx, 1, "block_shape");
        for (int b : block) {
            if (b < 1) {
                throw ctx.unsupported("block_shape entry " + b + " is below 1");
            }
        }
        return block;
    }

    /** Paddings or crops, INT32 {@code [rank - 2, 2]} known at compile time, every entry at least 0. */
    static int[] pairs(PrepareContext ctx, int spatial, String what) {
        int[] s = ctx.inputShape(2);
        if (s.length != 2 || s[0] != spatial || s[1] != 2) {
            throw ctx.unsupported(what + " must have shape [" + spatial + ", 2]");
        }
        int[] v = LayoutSupport.knownInt32(ctx, 2, what);
        for (int x : v) {
            if (x < 0) {
                throw ctx.unsupported(what + " entry " + x + " is negative");
            }
        }
        return v;
    }

    /** TFLite's 3-D to 4-D extension: {@code [N, H, C]} becomes {@code [N, H, 1, C]}. */
    static int[] extend(int[] shape) {
        return shape.length == 4 ? shape.clone() : new int[] {shape[0], shape[1], 1, shape[2]};
    }
}
