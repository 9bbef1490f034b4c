package dev.whittle.runtime.ops;

import dev.whittle.runtime.ExecutionState;
import dev.whittle.runtime.Op;
import dev.whittle.runtime.PrepareContext;
import dev.whittle.runtime.kernels.reference.Pool2DKernels;

/**
 * AVERAGE_POOL_2D, float32, int8, uint8 and int16 (see {@link Pool2DKernels} for the
 * quantized rounding). Like TFLite, a window that hangs over the edge under SAME padding
 * averages only the cells inside the input.
 */
public final class AveragePool2D implements Op<Pool2D> {
    @Override
    public Pool2D prepare(PrepareContext ctx) {
        return Pool2D.prepare(ctx, Pool2DKernels::averageFor);
    }

    @Override
    public void eval(Pool2D p, ExecutionState s) {
        p.kernel().run(p.params(), s);
    }
}
