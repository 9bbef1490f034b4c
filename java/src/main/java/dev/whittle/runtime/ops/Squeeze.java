package dev.whittle.runtime.ops;

import dev.whittle.model.BuiltinOptions;
import dev.whittle.model.TensorType;
import dev.whittle.runtime.ExecutionState;
import dev.whittle.runtime.Op;
import dev.whittle.runtime.PrepareContext;

import java.util.ArrayList;
import java.util.List;

/**
 * SQUEEZE, float32: drops the size-1 dimensions named in {@code squeeze_dims} (negative
 * counts from the end), or all size-1 dimensions when none are named. The bytes are copied.
 */
public final class Squeeze implements Op<Reshape.Prepared> {
    @Override
    public Reshape.Prepared prepare(PrepareContext ctx) {
        ctx.requireArity(1, 1, 1);
        ctx.requireAllTypes(TensorType.FLOAT32);
        int[] in = ctx.inputShape(0);
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
                    throw ctx.unsupported("cannot squeeze dimension " + d);
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
        return new Reshape.Prepared(ctx.input(0), ctx.output(0), OpSupport.product(in) * 4);
    }

    @Override
    public void eval(Reshape.Prepared p, ExecutionState s) {
        s.copyBytes(p.input(), p.output(), p.bytes());
    }
}
