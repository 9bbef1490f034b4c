package dev.whittle.runtime.ops;

import dev.whittle.model.BuiltinOptions;
import dev.whittle.model.TensorType;
import dev.whittle.runtime.ExecutionState;
import dev.whittle.runtime.Op;
import dev.whittle.runtime.PrepareContext;

/**
 * DEPTHWISE_CONV_2D, float32 reference: filter {@code [1, kh, kw, inC * multiplier]}, output
 * channel {@code ic * multiplier + m} reads input channel {@code ic}, as in TFLite's
 * {@code reference_ops::DepthwiseConv}.
 */
public final class DepthwiseConv2D implements Op<DepthwiseConv2D.Prepared> {
    record Prepared(int input, int filter, int bias, int output, int batches, int inH, int inW, int inC,
            int multiplier, int outH, int outW, int kh, int kw, int strideH, int strideW, int dilH, int dilW,
            int padH, int padW, float actMin, float actMax) {
    }

    @Override
    public Prepared prepare(PrepareContext ctx) {
        ctx.requireArity(2, 3, 1);
        ctx.requireAllTypes(TensorType.FLOAT32);
        int[] in = ctx.requireRank(0, 4);
        int[] w = ctx.requireRank(1, 4);
        if (w[0] != 1 || in[3] == 0 || w[3] % in[3] != 0) {
            throw ctx.unsupported("filter must be [1, kh, kw, inC * multiplier]");
        }
        BuiltinOptions o = ctx.options();
        int multiplier = w[3] / in[3];
        if (ctx.input(2) >= 0 && ctx.inputTensor(2).elementCount() != w[3]) {
            throw ctx.unsupported("bias must have " + w[3] + " elements");
        }
        float[] act = OpSupport.activationRange(ctx, o.getInt("fused_activation_function"));
        Window g = Window.of(ctx, o, in[1], in[2], w[1], w[2], true);
        ctx.setOutputShape(0, new int[] {in[0], g.outH(), g.outW(), w[3]});
        return new Prepared(ctx.input(0), ctx.input(1), ctx.input(2), ctx.output(0), in[0], in[1], in[2], in[3],
                multiplier, g.outH(), g.outW(), w[1], w[2], g.strideH(), g.strideW(), g.dilH(), g.dilW(), g.padH(),
                g.padW(), act[0], act[1]);
    }

    @Override
    public void eval(Prepared p, ExecutionState s) {
        int outC = p.inC() * p.multiplier();
        for (int b = 0; b < p.batches(); b++) {
            for (int oy = 0; oy < p.outH(); oy++) {
                for (int ox = 0; ox < p.outW(); ox++) {
                    int originY = oy * p.strideH() - p.padH();
                    int originX = ox * p.strideW() - p.padW();
                    for (int ic = 0; ic < p.inC(); ic++) {
                        for (int m = 0; m < p.multiplier(); m++) {
                            int oc = ic * p.multiplier() + m;
                            float total = 0f;
                            for (int fy = 0; fy < p.kh(); fy++) {
                                int iy = originY + p.dilH() * fy;
                                if (iy < 0 || iy >= p.inH()) {
                                    continue;
                                }
                                for (int fx = 0; fx < p.kw(); fx++) {
                                    int ix = originX + p.dilW() * fx;
                                    if (ix < 0 || ix >= p.inW()) {
                                        continue;
                                    }
                                    float x = s.getFloat(p.input(), ((b * p.inH() + iy) * p.inW() + ix) * p.inC() + ic);
                                    float w = s.getFloat(p.filter(), (fy * p.kw() + fx) * outC + oc);
                                    total += x * w;
                                }
                            }
                            float bias = p.bias() >= 0 ? s.getFloat(p.bias(), oc) : 0f;
                            int outIndex = ((b * p.outH() + oy) * p.outW() + ox) * outC + oc;
                            s.putFloat(p.output(), outIndex, OpSupport.clamp(total + bias, p.actMin(), p.actMax()));
                        }
                    }
                }
            }
        }
    }
}
