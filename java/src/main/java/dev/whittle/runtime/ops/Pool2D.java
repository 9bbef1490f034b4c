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
        int padding = o.getInt("padding");
        int sh = o.getInt("stride_h");
        int sw = o.getInt("stride_w");
        int fh = o.getInt("filter_height");
        int fw = o.getInt("filter_width");
        float[] act = OpSupport.activationRange(ctx, o.getInt("fused_activation_function"));
        int oh = OpSupport.outSize(ctx, padding, in[1], fh, sh, 1);
        int ow = OpSupport.outSize(ctx, padding, in[2], fw, sw, 1);
        ctx.checkOutputShape(0, new int[] {in[0], oh, ow, in[3]});
        return new Pool2D(ctx.input(0), ctx.output(0), in[0], in[1], in[2], in[3], oh, ow, fh, fw, sh, sw,
                OpSupport.padBefore(in[1], oh, fh, sh, 1), OpSupport.padBefore(in[2], ow, fw, sw, 1), act[0], act[1]);
    }
}
