package dev.whittle.runtime.ops;

import dev.whittle.model.TensorType;
import dev.whittle.runtime.ExecutionState;
import dev.whittle.runtime.Op;
import dev.whittle.runtime.PrepareContext;

import java.util.ArrayList;
import java.util.List;

/**
 * MEAN, float32: reduces over the axes of the constant second input (negative counts from the
 * end, repeats ignored), keeping them as size 1 with {@code keep_dims}. Sums in float, then
 * divides by the number of reduced elements, as TFLite's reference does.
 */
public final class Mean implements Op<Mean.Prepared> {
    /** For each input dimension its stride in the output, 0 when reduced. */
    record Prepared(int input, int output, int[] inShape, int[] outStrides, int inCount, int outCount, int reduced) {
    }

    @Override
    public Prepared prepare(PrepareContext ctx) {
        ctx.requireArity(2, 2, 1);
        ctx.requireTypes(TensorType.FLOAT32, 0);
        int[] in = ctx.inputShape(0);
        int[] axes = ctx.constantInts(1);
        boolean[] reduce = new boolean[in.length];
        for (int a : axes) {
            int k = a < 0 ? a + in.length : a;
            if (k < 0 || k >= in.length) {
                throw ctx.unsupported("axis " + a + " out of range");
            }
            reduce[k] = true;
        }
        boolean keep = ctx.options() != null && ctx.options().getBool("keep_dims");
        List<Integer> out = new ArrayList<>();
        int[] kept = new int[in.length];
        int reduced = 1;
        for (int d = 0; d < in.length; d++) {
            kept[d] = reduce[d] ? 1 : in[d];
            if (reduce[d]) {
                reduced *= in[d];
            }
            if (!reduce[d] || keep) {
                out.add(kept[d]);
            }
        }
        ctx.setOutputShape(0, out.stream().mapToInt(Integer::intValue).toArray());
        int[] strides = OpSupport.strides(kept);
        for (int d = 0; d < in.length; d++) {
            if (reduce[d]) {
                strides[d] = 0;
            }
        }
        return new Prepared(ctx.input(0), ctx.output(0), in, strides, OpSupport.product(in), OpSupport.product(kept),
                reduced);
    }

    @Override
    public void eval(Prepared p, ExecutionState s) {
        for (int o = 0; o < p.outCount(); o++) {
            s.putFloat(p.output(), o, 0f);
        }
        int[] shape = p.inShape();
        for (int i = 0; i < p.inCount(); i++) {
            int rem = i;
            int o = 0;
            for (int d = shape.length - 1; d >= 0; d--) {
                o += (rem % shape[d]) * p.outStrides()[d];
                rem /= shape[d];
            }
            s.putFloat(p.output(), o, s.getFloat(p.output(), o) + s.getFloat(p.input(), i));
        }
        for (int o = 0; o < p.outCount(); o++) {
            s.putFloat(p.output(), o, s.getFloat(p.output(), o) / p.reduced());
        }
    }
}
