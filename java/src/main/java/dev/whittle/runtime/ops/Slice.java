package dev.whittle.runtime.ops;

import dev.whittle.model.TensorType;
import dev.whittle.runtime.ExecutionState;
import dev.whittle.runtime.Op;
import dev.whittle.runtime.PrepareContext;
import dev.whittle.runtime.kernels.reference.ElementWidth;
import dev.whittle.runtime.kernels.reference.LayoutKernels;
import dev.whittle.runtime.kernels.reference.LayoutKernels.StridedParams;

import java.util.EnumSet;
import java.util.Set;

/**
 * SLICE: input rank 1..5, {@code begin} and {@code size} 1-D tensors of one type (INT32 or
 * INT64, as TFLite reads both with begin's type) known at compile time, one element per input
 * dimension; a size of -1 takes the rest of the dimension. TFLite checks only
 * {@code begin + size <= dim}; a negative begin, which would read before the tensor, is
 * refused here. Types: TFLite's list (FLOAT32, FLOAT16, BFLOAT16, INT8, UINT8, INT16, INT32,
 * UINT32, INT64, BOOL).
 */
public final class Slice implements Op<StridedParams> {
    private static final Set<TensorType> TYPES = EnumSet.of(TensorType.FLOAT32, TensorType.FLOAT16,
            TensorType.BFLOAT16, TensorType.INT8, TensorType.UINT8, TensorType.INT16, TensorType.INT32,
            TensorType.UINT32, TensorType.INT64, TensorType.BOOL);

    @Override
    public StridedParams prepare(PrepareContext ctx) {
        ctx.requireArity(3, 3, 1);
        ElementWidth w = LayoutSupport.width(ctx, TYPES);
        int[] in = LayoutSupport.requireRankAtMost(ctx, 0, 5);
        if (ctx.inputShape(1).length != 1 || ctx.inputShape(2).length != 1) {
            throw ctx.unsupported("begin and size must be 1-D");
        }
        if (ctx.inputTensor(1).type() != ctx.inputTensor(2).type()) {
            throw ctx.unsupported("begin and size must have one type (TFLite reads both as begin's type)");
        }
        int[] begin = LayoutSupport.known(ctx, 1, "begin");
        int[] size = LayoutSupport.known(ctx, 2, "size");
        if (begin.length != in.length || size.length != in.length) {
            throw ctx.unsupported("begin and size must have one element per input dimension (" + in.length + ")");
        }
        int[] out = new int[in.length];
        for (int d = 0; d < in.length; d++) {
            if (begin[d] < 0 || begin[d] > in[d]) {
                throw ctx.unsupported("begin " + begin[d] + " is outside dimension " + d + " of size " + in[d]);
            }
            if (size[d] == -1) {
                out[d] = in[d] - begin[d];
            } else if (size[d] < 0 || (long) begin[d] + size[d] > in[d]) {
                throw ctx.unsupported("begin " + begin[d] + " and size " + size[d] + " do not fit dimension " + d
                        + " of size " + in[d]);
            } else {
                out[d] = size[d];
            }
        }
        ctx.setOutputShape(0, out);
        int[] strides = OpSupport.strides(in);
        int base = 0;
        for (int d = 0; d < in.length; d++) {
            base += begin[d] * strides[d];
        }
        int count = OpSupport.product(out);
        return new StridedParams(LayoutKernels.slice(w), ctx.input(0), ctx.output(0), count, count == 0 ? 0 : base,
                out, strides);
    }

    @Override
    public void eval(StridedParams p, ExecutionState s) {
        p.kernel().run(p, s);
    }
}
