package dev.whittle.runtime.ops;

import dev.whittle.model.BuiltinOptions;
import dev.whittle.runtime.ExecutionState;
import dev.whittle.runtime.Op;
import dev.whittle.runtime.PrepareContext;
import dev.whittle.runtime.kernels.reference.LayoutKernels;
import dev.whittle.runtime.kernels.reference.LayoutKernels.CopyParams;

import java.util.ArrayList;
import java.util.List;

/**
 * SQUEEZE, any fixed-size type, input rank up to 8 as in TFLite: drops the size-1 dimensions
 * named in {@code squeeze_dims} (negative counts from the end; a dimension named twice is
 * dropped once), or every size-1 dimension when none are named. The bytes are copied.
 */
public final class Squeeze implements Op<CopyParams> {
    @Override
    public CopyParams prepare(PrepareContext ctx) {
        ctx.requireArity(1, 1, 1);
        LayoutSupport.width(ctx, LayoutSupport.ANY_FIXED);
        int[] in = LayoutSupport.requireRankAtMost(ctx, 0, 8);
        BuiltinOptions o = ctx.options();
        int[] dims = o == null ? null : o.getIntArray("squeeze_dims");
        boolean[] drop = new boolean[in.length];
        if (dims == null || dims.length == 0) {
            for (int d = 0; d < in.length; d++) {
                drop[d] = in[d] == 1;
            }
        } else {
            for (int d : dims) {
                int k = d < 0 ? d + in.length : d;
                if (k < 0 || k >= in.length || in[k] != 1) {
                    throw ctx.unsupported("cannot squeeze dimension " + d + " of a rank-" + in.length + " input");
                }
                drop[k] = true;
            }
        }
        List<Integer> out = new ArrayList<>();
        for (int d = 0; d < in.length; d++) {
            if (!drop[d]) {
                out.add(in[d]);
            }
        }
        ctx.setOutputShape(0, out.stream().mapToInt(Integer::intValue).toArray());
        return new CopyParams(LayoutKernels.copy(), ctx.input(0), ctx.output(0),
                Math.toIntExact(ctx.inputTensor(0).type().bytesFor(OpSupport.product(in))));
    }

    @Override
    public void eval(CopyParams p, ExecutionState s) {
        p.kernel().run(p, s);
    }
}
