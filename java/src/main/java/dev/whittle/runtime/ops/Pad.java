package dev.whittle.runtime.ops;

import dev.whittle.model.TensorType;
import dev.whittle.runtime.ExecutionState;
import dev.whittle.runtime.Op;
import dev.whittle.runtime.PrepareContext;

/** PAD, float32, with zeros; the paddings come from a constant INT32 or INT64 {@code [rank, 2]} input. */
public final class Pad implements Op<Pad.Prepared> {
    record Prepared(int input, int output, int[] inShape, int[] outShape, int[] before, int outCount) {
    }

    @Override
    public Prepared prepare(PrepareContext ctx) {
        ctx.requireArity(2, 2, 1);
        ctx.requireTypes(TensorType.FLOAT32, 0);
        int[] in = ctx.inputShape(0);
        int[] pads = ctx.constantInts(1);
        if (pads.length != in.length * 2) {
            throw ctx.unsupported("paddings must be [" + in.length + ", 2]");
        }
        int[] out = new int[in.length];
        int[] before = new int[in.length];
        for (int d = 0; d < in.length; d++) {
            if (pads[2 * d] < 0 || pads[2 * d + 1] < 0) {
                throw ctx.unsupported("negative padding");
            }
            before[d] = pads[2 * d];
            out[d] = in[d] + pads[2 * d] + pads[2 * d + 1];
        }
        ctx.setOutputShape(0, out);
        return new Prepared(ctx.input(0), ctx.output(0), in, out, before, OpSupport.product(out));
    }

    @Override
    public void eval(Prepared p, ExecutionState s) {
        int[] out = p.outShape();
        int[] in = p.inShape();
        for (int o = 0; o < p.outCount(); o++) {
            int rem = o;
            int idx = 0;
            int stride = 1;
            boolean inside = true;
            for (int d = out.length - 1; d >= 0; d--) {
                int c = rem % out[d] - p.before()[d];
                rem /= out[d];
                if (c < 0 || c >= in[d]) {
                    inside = false;
                    break;
                }
                idx += c * stride;
                stride *= in[d];
            }
            s.putFloat(p.output(), o, inside ? s.getFloat(p.input(), idx) : 0f);
        }
    }
}
