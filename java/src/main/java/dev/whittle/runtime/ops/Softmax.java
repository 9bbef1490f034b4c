package dev.whittle.runtime.ops;

import dev.whittle.model.TensorType;
import dev.whittle.runtime.ExecutionState;
import dev.whittle.runtime.Op;
import dev.whittle.runtime.PrepareContext;

/**
 * SOFTMAX over the last axis, float32, as TFLite's reference: subtract the row maximum (so
 * that exp never overflows), scale by beta, exponentiate, divide by the sum.
 */
public final class Softmax implements Op<Softmax.Prepared> {
    record Prepared(int input, int output, int rows, int depth, float beta) {
    }

    @Override
    public Prepared prepare(PrepareContext ctx) {
        ctx.requireArity(1, 1, 1);
        ctx.requireAllTypes(TensorType.FLOAT32);
        int[] in = ctx.inputShape(0);
        if (in.length == 0) {
            throw ctx.unsupported("input must have rank at least 1");
        }
        ctx.setOutputShape(0, in);
        int depth = in[in.length - 1];
        int n = OpSupport.product(in);
        float beta = ctx.options() == null ? 1f : ctx.options().getFloat("beta");
        return new Prepared(ctx.input(0), ctx.output(0), depth == 0 ? 0 : n / depth, depth, beta);
    }

    @Override
    public void eval(Prepared p, ExecutionState s) {
        for (int r = 0; r < p.rows(); r++) {
            int base = r * p.depth();
            float max = Float.NEGATIVE_INFINITY;
            for (int c = 0; c < p.depth(); c++) {
                max = Math.max(max, s.getFloat(p.input(), base + c));
            }
            float sum = 0f;
            for (int c = 0; c < p.depth(); c++) {
                sum += (float) Math.exp((s.getFloat(p.input(), base + c) - max) * p.beta());
            }
            for (int c = 0; c < p.depth(); c++) {
                float e = (float) Math.exp((s.getFloat(p.input(), base + c) - max) * p.beta());
                s.putFloat(p.output(), base + c, e / sum);
            }
        }
    }
}
