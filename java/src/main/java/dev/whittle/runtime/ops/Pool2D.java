package dev.whittle.runtime.ops;

import dev.whittle.model.BuiltinOptions;
import dev.whittle.model.TensorType;
import dev.whittle.runtime.PrepareContext;

/** The geometry both 2-D pools share, prepared from {@code Pool2DOptions}. */
record Pool2D(int input, int output, int batches, int inH, int inW, int channels, int outH, int outW, int fh,
        int fw, int strideH, int strideW, int padH, int padW, float actMin, float actMax) {

    static Pool2D prepare(PrepareContext ctx) {
        ctx.requireArity(1, 1, 1);
        ctx.requireAllTypes(TensorType.FLOAT32);
        int[] in = ctx.requireRank(0, 4);
        BuiltinOptions o = ctx.options();
        int fh = o.getInt("filter_height");
        int fw = o.getInt("filter_width");
        float[] act = OpSupport.activationRange(ctx, o.getInt("fused_activation_function"));
        Window g = Window.of(ctx, o, in[1], in[2], fh, fw, false);
        ctx.setOutputShape(0, new int[] {in[0], g.outH(), g.outW(), in[3]});
        return new Pool2D(ctx.input(0), ctx.output(0), in[0], in[1], in[2], in[3], g.outH(), g.outW(), fh, fw,
                g.strideH(), g.strideW(), g.padH(), g.padW(), act[0], act[1]);
    }
}
