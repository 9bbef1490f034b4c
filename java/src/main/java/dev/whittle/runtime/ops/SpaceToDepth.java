package dev.whittle.runtime.ops;

import dev.whittle.model.BuiltinOptions;
import dev.whittle.runtime.ExecutionState;
import dev.whittle.runtime.Op;
import dev.whittle.runtime.PrepareContext;
import dev.whittle.runtime.kernels.reference.ElementWidth;
import dev.whittle.runtime.kernels.reference.LayoutKernels;
import dev.whittle.runtime.kernels.reference.LayoutKernels.BlockParams;

/**
 * SPACE_TO_DEPTH (NHWC, TensorFlow's DCR order), the inverse of {@link DepthToSpace}: height
 * and width must be multiples of {@code block_size}. Types as TFLite: FLOAT32, INT8, UINT8,
 * INT32, INT64.
 */
public final class SpaceToDepth implements Op<BlockParams> {
    @Override
    public BlockParams prepare(PrepareContext ctx) {
        ctx.requireArity(1, 1, 1);
        ElementWidth w = LayoutSupport.width(ctx, DepthToSpace.TYPES);
        int[] in = ctx.requireRank(0, 4);
        BuiltinOptions o = ctx.options();
        int bs = o == null ? 0 : o.getInt("block_size");
        if (bs < 1) {
            throw ctx.unsupported("block_size " + bs + " must be at least 1");
        }
        if (in[1] % bs != 0 || in[2] % bs != 0) {
            throw ctx.unsupported("height " + in[1] + " and width " + in[2] + " must be multiples of block_size " + bs);
        }
        int[] out = {in[0], in[1] / bs, in[2] / bs, in[3] * bs * bs};
        ctx.setOutputShape(0, out);
        return new BlockParams(LayoutKernels.spaceToDepth(w), ctx.input(0), ctx.output(0), in, out, bs);
    }

    @Override
    public void eval(BlockParams p, ExecutionState s) {
        p.kernel().run(p, s);
    }
}
