package dev.whittle.runtime.ops;

import dev.whittle.model.BuiltinOptions;
import dev.whittle.runtime.PrepareContext;

/**
 * The sliding-window geometry that convolutions and pools share: output size, strides,
 * dilations and the padding before the first row and column, from the op's options
 * ({@code padding}, {@code stride_h/w}, and {@code dilation_h/w_factor} where the op has them).
 */
record Window(int outH, int outW, int strideH, int strideW, int dilH, int dilW, int padH, int padW) {

    static Window of(PrepareContext ctx, BuiltinOptions o, int inH, int inW, int kh, int kw, boolean dilated) {
        int padding = o.getInt("padding");
        int sh = o.getInt("stride_h");
        int sw = o.getInt("stride_w");
        int dh = dilated ? o.getInt("dilation_h_factor") : 1;
        int dw = dilated ? o.getInt("dilation_w_factor") : 1;
        int oh = OpSupport.outSize(ctx, padding, inH, kh, sh, dh);
        int ow = OpSupport.outSize(ctx, padding, inW, kw, sw, dw);
        return new Window(oh, ow, sh, sw, dh, dw, OpSupport.padBefore(inH, oh, kh, sh, dh),
                OpSupport.padBefore(inW, ow, kw, sw, dw));
    }
}
