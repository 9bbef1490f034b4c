package dev.whittle.runtime.ops;

import dev.whittle.runtime.ExecutionState;
import dev.whittle.runtime.Op;
import dev.whittle.runtime.PrepareContext;
import dev.whittle.runtime.kernels.reference.ReduceKernels;

/** SUM, float32, int8, uint8 and int16, over the axes of the constant INT32 second input. */
public final class Sum implements Op<Reduce> {
    @Override
    public Reduce prepare(PrepareContext ctx) {
        return Reduce.prepare(ctx, false);
    }

    @Override
    public void eval(Reduce p, ExecutionState s) {
        p.kernel().run(p.params(), s);
    }
}
