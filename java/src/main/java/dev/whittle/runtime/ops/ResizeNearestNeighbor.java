package dev.whittle.runtime.ops;

import dev.whittle.runtime.ExecutionState;
import dev.whittle.runtime.Op;
import dev.whittle.runtime.PrepareContext;
import dev.whittle.runtime.kernels.reference.ResizeKernels;

/** RESIZE_NEAREST_NEIGHBOR, float32, int8, uint8 and int16; the arithmetic of each type is in {@link ResizeKernels}. */
public final class ResizeNearestNeighbor implements Op<Resize> {
    @Override
    public Resize prepare(PrepareContext ctx) {
        return Resize.prepare(ctx, false);
    }

    @Override
    public void eval(Resize p, ExecutionState s) {
        p.kernel().run(p.params(), s);
    }
}
