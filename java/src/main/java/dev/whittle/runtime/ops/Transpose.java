package dev.whittle.runtime.ops;

import dev.whittle.model.TensorType;
import dev.whittle.runtime.ExecutionState;
import dev.whittle.runtime.Op;
import dev.whittle.runtime.PrepareContext;
import dev.whittle.runtime.kernels.reference.ElementWidth;
import dev.whittle.runtime.kernels.reference.LayoutKernels;
import dev.whittle.runtime.kernels.reference.LayoutKernels.StridedParams;

import java.util.Arrays;
import java.util.EnumSet;
import java.util.Set;

/**
 * TRANSPOSE: input rank up to 6, {@code perm} a 1-D INT32 tensor known at compile time with
 * one entry per dimension (negative entries count from the end, as in TFLite). TFLite does not
 * check that {@code perm} is a permutation; a repeated axis is refused here. Output dimension
 * {@code d} is input dimension {@code perm[d]}. Types: FLOAT32, INT8, UINT8, BOOL, INT16,
 * INT32, INT64 (TFLite's list without INT4).
 */
public final class Transpose implements Op<StridedParams> {
    private static final Set<TensorType> TYPES = EnumSet.of(TensorType.FLOAT32, TensorType.INT8, TensorType.UINT8,
            TensorType.BOOL, TensorType.INT16, TensorType.INT32, TensorType.INT64);

    @Override
    public StridedParams prepare(PrepareContext ctx) {
        ctx.requireArity(2, 2, 1);
        int[] in = LayoutSupport.requireRankAtMost(ctx, 0, 6);
        ElementWidth w = LayoutSupport.width(ctx, TYPES);
        if (ctx.inputShape(1).length != 1) {
            throw ctx.unsupported("perm must be 1-D");
        }
        int[] perm = LayoutSupport.knownInt32(ctx, 1, "perm");
        if (perm.length != in.length) {
            throw ctx.unsupported("perm " + Arrays.toString(perm) + " must have one entry per input dimension ("
                    + in.length + ")");
        }
        boolean[] seen = new boolean[in.length];
        int[] out = new int[in.length];
        int[] inStrides = OpSupport.strides(in);
        int[] steps = new int[in.length];
        for (int d = 0; d < in.length; d++) {
            int p = perm[d];
            if (p < -in.length || p >= in.length) {
                throw ctx.unsupported("perm " + Arrays.toString(perm) + " is out of bounds");
            }
            p = p < 0 ? p + in.length : p;
            if (seen[p]) {
                throw ctx.unsupported("perm " + Arrays.toString(perm) + " is not a permutation");
            }
            seen[p] = true;
            out[d] = in[p];
            steps[d] = inStrides[p];
        }
        ctx.setOutputShape(0, out);
        return new StridedParams(LayoutKernels.transpose(w), ctx.input(0), ctx.output(0), OpSupport.product(out), 0,
                out, steps);
    }

    @Override
    public void eval(StridedParams p, ExecutionState s) {
        p.kernel().run(p, s);
    }
}
