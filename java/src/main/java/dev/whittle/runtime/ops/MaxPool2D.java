package dev.whittle.runtime.ops;

import dev.whittle.runtime.ExecutionState;
import dev.whittle.runtime.Op;
import dev.whittle.runtime.PrepareContext;
import dev.whittle.runtime.kernels.reference.Pool2DKernels;

/** MAX_POOL_2D, float32, int8, uint8 and int16: the maximum over the in-bounds cells of each window. */
public final class MaxPool2D implements Op<Pool2D> {
    @Override
    public Pool2D prepare(PrepareContext ctx) {
        return Pool2D.prepare(ctx, Pool2DKernels::maxFor);
    }

    @Override
    public void eval(Pool2D p, ExecutionState s) {
        p.kernel().run(p.params(), s);
    }
}
