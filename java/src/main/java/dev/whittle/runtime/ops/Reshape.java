package dev.whittle.runtime.ops;

import dev.whittle.model.BuiltinOptions;
import dev.whittle.model.TensorType;
import dev.whittle.runtime.ExecutionState;
import dev.whittle.runtime.Op;
import dev.whittle.runtime.PrepareContext;
import dev.whittle.runtime.kernels.reference.LayoutKernels;
import dev.whittle.runtime.kernels.reference.LayoutKernels.CopyParams;

import java.util.Arrays;

/**
 * RESHAPE, any fixed-size type (the bytes are copied unchanged). The new shape is chosen as
 * TFLite's {@code reshape.cc} chooses it: from the second input when it is a 1-D INT32 tensor
 * (it must then be known at compile time: a constant or the result of folded shape
 * arithmetic such as SHAPE, PACK, STRIDED_SLICE), else from {@code new_shape} in the options,
 * where absent options or {@code [0]} mean a scalar. One -1 is inferred, with TFLite's rule
 * for empty tensors (a -1 next to a 0 becomes {@code nonzero input elements / nonzero given
 * dimensions}, or 0 when the input is empty and the rest is not).
 */
public final class Reshape implements Op<CopyParams> {
    @Override
    public CopyParams prepare(PrepareContext ctx) {
        ctx.requireArity(1, 2, 1);
        LayoutSupport.width(ctx, LayoutSupport.ANY_FIXED);
        int[] in = ctx.inputShape(0);
        int[] shape;
        if (ctx.input(1) >= 0 && ctx.inputShape(1).length == 1 && ctx.inputTensor(1).type() == TensorType.INT32) {
            // An empty shape vector needs no data (TFLite stores none for it): a scalar.
            shape = ctx.inputShape(1)[0] == 0 ? new int[0] : LayoutSupport.knownInt32(ctx, 1, "the shape");
        } else {
            BuiltinOptions o = ctx.options();
            int[] fromOptions = o == null ? null : o.getIntArray("new_shape");
            shape = fromOptions == null || (fromOptions.length == 1 && fromOptions[0] == 0) ? new int[0] : fromOptions;
        }
        ctx.setOutputShape(0, resolve(ctx, in, shape));
        return new CopyParams(LayoutKernels.copy(), ctx.input(0), ctx.output(0),
                Math.toIntExact(ctx.inputTensor(0).type().bytesFor(OpSupport.product(in))));
    }

    /** TFLite's {@code ResizeOutput}: the -1 inferred, element counts checked. */
    static int[] resolve(PrepareContext ctx, int[] in, int[] requested) {
        int[] shape = requested.clone();
        long inCount = 1;
        long inNonZero = 1;
        for (int d : in) {
            inCount *= d;
            if (d != 0) {
                inNonZero *= d;
            }
        }
        long outCount = 1;
        long outNonZero = 1;
        int stretch = -1;
        for (int i = 0; i < shape.length; i++) {
            int v = shape[i];
            if (v == -1) {
                if (stretch >= 0) {
                    throw ctx.unsupported("new shape " + Arrays.toString(requested) + " has more than one -1");
                }
                stretch = i;
                continue;
            }
            if (v < 0) {
                throw ctx.unsupported("new shape " + Arrays.toString(requested) + " has a negative dimension");
            }
            if (v != 0) {
                outNonZero *= v;
            }
            outCount *= v;
        }
        if (stretch >= 0) {
            shape[stretch] = inCount == 0 && outCount != 0 ? 0 : Math.toIntExact(inNonZero / outNonZero);
            outCount *= shape[stretch];
        }
        if (outCount != inCount) {
            throw ctx.unsupported("new shape " + Arrays.toString(requested) + " holds " + outCount
                    + " elements but the input " + Arrays.toString(in) + " has " + inCount);
        }
        return shape;
    }

    @Override
    public void eval(CopyParams p, ExecutionState s) {
        p.kernel().run(p, s);
    }
}
