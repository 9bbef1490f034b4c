package dev.whittle.runtime.ops;

import dev.whittle.model.BuiltinOptions;
import dev.whittle.model.TensorType;
import dev.whittle.runtime.ExecutionState;
import dev.whittle.runtime.Op;
import dev.whittle.runtime.PrepareContext;

/**
 * SHAPE: the input's computed shape (after any input resize) as a 1-D INT32 or INT64 tensor,
 * the type given by {@code out_type}, which must also be the output's declared type (TFLite
 * overwrites the type; refusing a mismatch keeps the model honest). The input may be of any
 * type. {@link dev.whittle.runtime.CompiledModel} always folds it at compile time, so its eval
 * only runs there.
 */
public final class Shape implements Op<Shape.Prepared> {
    record Prepared(int output, int[] dims, boolean int64) {
    }

    @Override
    public Prepared prepare(PrepareContext ctx) {
        ctx.requireArity(1, 1, 1);
        BuiltinOptions o = ctx.options();
        int code = o == null ? 0 : o.getInt("out_type");
        TensorType outType = TensorType.isKnown(code) ? TensorType.fromCode(code) : null;
        if (outType != TensorType.INT32 && outType != TensorType.INT64) {
            throw ctx.unsupported("out_type must be INT32 or INT64, is " + (outType == null ? code : outType));
        }
        if (ctx.outputTensor(0).type() != outType) {
            throw ctx.unsupported("the output is declared " + ctx.outputTensor(0).type() + " but out_type is " + outType);
        }
        int[] dims = ctx.inputShape(0).clone();
        ctx.setOutputShape(0, new int[] {dims.length});
        return new Prepared(ctx.output(0), dims, outType == TensorType.INT64);
    }

    @Override
    public void eval(Prepared p, ExecutionState s) {
        for (int i = 0; i < p.dims().length; i++) {
            if (p.int64()) {
                s.putLong(p.output(), i, p.dims()[i]);
            } else {
                s.putInt(p.output(), i, p.dims()[i]);
            }
        }
    }
}
