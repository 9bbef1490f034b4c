package dev.whittle.runtime.ops;

import dev.whittle.runtime.ExecutionState;
import dev.whittle.runtime.Op;
import dev.whittle.runtime.PrepareContext;
import dev.whittle.runtime.kernels.reference.ReduceKernels;

/**
 * MEAN, float32, int8, uint8 and int16 (with requantization when the input and output
 * quantization differ), over the axes of the constant INT32 second input, with or without
 * {@code keep_dims}. Which of TFLite's two quantized computations applies is in
 * {@link ReduceKernels}.
 */
public final class Mean implements Op<Reduce> {
    @Override
    public Reduce prepare(PrepareContext ctx) {
        return Reduce.prepare(ctx, true);
    }

    @Override
    public void eval(Reduce p, ExecutionState s) {
        p.kernel().run(p.params(), s);
    }
}
