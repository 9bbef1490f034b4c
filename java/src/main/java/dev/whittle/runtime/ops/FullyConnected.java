package dev.whittle.runtime.ops;

import dev.whittle.model.BuiltinOptions;
import dev.whittle.model.TensorType;
import dev.whittle.runtime.ExecutionState;
import dev.whittle.runtime.Op;
import dev.whittle.runtime.PrepareContext;

import java.util.Arrays;

/**
 * FULLY_CONNECTED, float32 reference: the input is read as {@code [batch, inFeatures]}, the
 * weights are {@code [outFeatures, inFeatures]}, the bias is optional (-1). With
 * {@code keep_num_dims} the output keeps the input's leading dimensions, as in TFLite.
 */
public final class FullyConnected implements Op<FullyConnected.Prepared> {
    record Prepared(int input, int weights, int bias, int output, int batches, int inFeatures, int outFeatures,
            float actMin, float actMax) {
    }

    @Override
    public Prepared prepare(PrepareContext ctx) {
        ctx.requireArity(2, 3, 1);
        ctx.requireAllTypes(TensorType.FLOAT32);
        int[] in = ctx.inputShape(0);
        int[] w = ctx.requireRank(1, 2);
        BuiltinOptions o = ctx.options();
        if (o != null && o.getInt("weights_format") != 0) {
            throw ctx.unsupported("only the DEFAULT weights format is supported");
        }
        boolean keep = o != null && o.getBool("keep_num_dims");
        float[] act = OpSupport.activationRange(ctx, o == null ? 0 : o.getInt("fused_activation_function"));
        int n = OpSupport.product(in);
        if (w[1] == 0 || n % w[1] != 0) {
            throw ctx.unsupported("input does not flatten to rows of " + w[1] + " features");
        }
        if (ctx.input(2) >= 0 && ctx.inputTensor(2).elementCount() != w[0]) {
            throw ctx.unsupported("bias must have " + w[0] + " elements");
        }
        int batches = n / w[1];
        int[] out;
        if (keep) {
            if (in.length == 0 || in[in.length - 1] != w[1]) {
                throw ctx.unsupported("keep_num_dims needs the input's last dimension to be " + w[1]);
            }
            out = Arrays.copyOf(in, in.length);
            out[out.length - 1] = w[0];
        } else {
            out = new int[] {batches, w[0]};
        }
        ctx.setOutputShape(0, out);
        return new Prepared(ctx.input(0), ctx.input(1), ctx.input(2), ctx.output(0), batches, w[1], w[0], act[0],
                act[1]);
    }

    @Override
    public void eval(Prepared p, ExecutionState s) {
        for (int b = 0; b < p.batches(); b++) {
            for (int o = 0; o < p.outFeatures(); o++) {
                float total = 0f;
                for (int i = 0; i < p.inFeatures(); i++) {
                    total += s.getFloat(p.input(), b * p.inFeatures() + i) * s.getFloat(p.weights(), o * p.inFeatures() + i);
                }
                float bias = p.bias() >= 0 ? s.getFloat(p.bias(), o) : 0f;
                s.putFloat(p.output(), b * p.outFeatures() + o, OpSupport.clamp(total + bias, p.actMin(), p.actMax()));
            }
        }
    }
}
