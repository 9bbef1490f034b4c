package dev.whittle.runtime.ops;

import dev.whittle.model.BuiltinOptions;
import dev.whittle.model.TensorType;
import dev.whittle.runtime.ExecutionState;
import dev.whittle.runtime.Op;
import dev.whittle.runtime.PrepareContext;

import java.util.Arrays;

/**
 * RESHAPE, float32: the new shape comes from the constant second input when there is one,
 * else from {@code new_shape} in the options, else from the declared output; one -1 is
 * inferred. The bytes are copied unchanged (a later runtime may alias them instead).
 */
public final class Reshape implements Op<Reshape.Prepared> {
    record Prepared(int input, int output, int bytes) {
    }

    @Override
    public Prepared prepare(PrepareContext ctx) {
        ctx.requireArity(1, 2, 1);
        ctx.requireTypes(TensorType.FLOAT32, 0);
        int[] in = ctx.inputShape(0);
        int[] shape;
        if (ctx.input(1) >= 0 && ctx.isConstant(1)) {
            shape = ctx.constantInts(1);
        } else {
            BuiltinOptions o = ctx.options();
            int[] fromOptions = o == null ? null : o.getIntArray("new_shape");
            shape = fromOptions != null ? fromOptions : ctx.outputTensor(0).shape();
        }
        int n = OpSupport.product(in);
        int unknown = -1;
        int known = 1;
        for (int d = 0; d < shape.length; d++) {
            if (shape[d] == -1 && unknown < 0) {
                unknown = d;
            } else if (shape[d] < 0) {
                throw ctx.unsupported("bad new shape " + Arrays.toString(shape));
            } else {
                known *= shape[d];
            }
        }
        if (unknown >= 0) {
            if (known == 0 || n % known != 0) {
                throw ctx.unsupported("cannot infer -1 in " + Arrays.toString(shape));
            }
            shape[unknown] = n / known;
        } else if (known != n) {
            throw ctx.unsupported("new shape " + Arrays.toString(shape) + " does not hold " + n + " elements");
        }
        ctx.setOutputShape(0, shape);
        return new Prepared(ctx.input(0), ctx.output(0), n * 4);
    }

    @Override
    public void eval(Prepared p, ExecutionState s) {
        s.copyBytes(p.input(), p.output(), p.bytes());
    }
}
