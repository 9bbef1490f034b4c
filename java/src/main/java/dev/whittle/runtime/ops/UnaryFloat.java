package dev.whittle.runtime.ops;

import dev.whittle.model.TensorType;
import dev.whittle.runtime.ExecutionState;
import dev.whittle.runtime.Op;
import dev.whittle.runtime.PrepareContext;

/** Base of the element-wise float32 activations: same shape in and out, one function per element. */
abstract class UnaryFloat implements Op<UnaryFloat.Prepared> {
    record Prepared(int input, int output, int count) {
    }

    @Override
    public Prepared prepare(PrepareContext ctx) {
        ctx.requireArity(1, 1, 1);
        ctx.requireAllTypes(TensorType.FLOAT32);
        int[] in = ctx.inputShape(0);
        ctx.setOutputShape(0, in);
        return new Prepared(ctx.input(0), ctx.output(0), OpSupport.product(in));
    }

    @Override
    public void eval(Prepared p, ExecutionState s) {
        for (int i = 0; i < p.count(); i++) {
            s.putFloat(p.output(), i, apply(s.getFloat(p.input(), i)));
        }
    }

    abstract float apply(float x);
}
