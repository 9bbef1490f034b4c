package dev.whittle.runtime.ops;

import dev.whittle.model.TensorType;
import dev.whittle.runtime.ExecutionState;
import dev.whittle.runtime.Op;
import dev.whittle.runtime.PrepareContext;
import dev.whittle.runtime.kernels.reference.LayoutKernels;
import dev.whittle.runtime.kernels.reference.LayoutKernels.CopyParams;

/**
 * EXPAND_DIMS, any fixed-size type: inserts a dimension of size 1 at the axis given by the
 * second input (one INT32 or INT64 element known at compile time; negative counts from the
 * end of the output). As in TFLite, input and output must share scale and zero point, and an
 * INT16 input must have zero point 0. The bytes are copied.
 */
public final class ExpandDims implements Op<CopyParams> {
    @Override
    public CopyParams prepare(PrepareContext ctx) {
        ctx.requireArity(2, 2, 1);
        LayoutSupport.width(ctx, LayoutSupport.ANY_FIXED);
        LayoutSupport.requireSameQuantization(ctx, 0, 0);
        if (ctx.inputTensor(0).type() == TensorType.INT16 && LayoutSupport.inputZeroPoint(ctx, 0) != 0) {
            throw ctx.unsupported("an INT16 input must have zero point 0");
        }
        int[] axisValues = LayoutSupport.known(ctx, 1, "the axis");
        if (axisValues.length != 1) {
            throw ctx.unsupported("the axis must hold one element, has " + axisValues.length);
        }
        int[] in = ctx.inputShape(0);
        int axis = axisValues[0] < 0 ? in.length + 1 + axisValues[0] : axisValues[0];
        if (axis < 0 || axis > in.length) {
            throw ctx.unsupported("axis " + axisValues[0] + " is outside [-" + (in.length + 1) + ", " + in.length + "]");
        }
        int[] out = new int[in.length + 1];
        for (int i = 0; i < out.length; i++) {
            out[i] = i < axis ? in[i] : i == axis ? 1 : in[i - 1];
        }
        ctx.setOutputShape(0, out);
        return new CopyParams(LayoutKernels.copy(), ctx.input(0), ctx.output(0),
                Math.toIntExact(ctx.inputTensor(0).type().bytesFor(OpSupport.product(in))));
    }

    @Override
    public void eval(CopyParams p, ExecutionState s) {
        p.kernel().run(p, s);
    }
}
