package dev.whittle.runtime.ops;

import dev.whittle.model.BuiltinOptions;
import dev.whittle.model.TensorType;
import dev.whittle.runtime.ExecutionState;
import dev.whittle.runtime.Op;
import dev.whittle.runtime.PrepareContext;
import dev.whittle.runtime.kernels.reference.ElementWidth;
import dev.whittle.runtime.kernels.reference.LayoutKernels;
import dev.whittle.runtime.kernels.reference.LayoutKernels.BlockParams;

import java.util.EnumSet;
import java.util.Set;

/**
 * DEPTH_TO_SPACE (NHWC, TensorFlow's DCR order) with {@code block_size} at least 1: channels
 * must be a multiple of {@code block_size^2}. Types as TFLite: FLOAT32, INT8, UINT8, INT32,
 * INT64. Values move unchanged (TFLite does not compare quantization either).
 */
public final class DepthToSpace implements Op<BlockParams> {
    static final Set<TensorType> TYPES = EnumSet.of(TensorType.FLOAT32, TensorType.INT8, TensorType.UINT8,
            TensorType.INT32, TensorType.INT64);

    @Override
    public BlockParams prepare(PrepareContext ctx) {
        ctx.requireArity(1, 1, 1);
        ElementWidth w = LayoutSupport.width(ctx, TYPES);
        int[] in = ctx.requireRank(0, 4);
        BuiltinOptions o = ctx.options();
        int bs = o == null ? 0 : o.getInt("block_size");
        if (bs < 1) {
            throw ctx.unsupported("block_size " + bs + " must be at least 1");
        }
        if (in[3] % (bs * bs) != 0) {
            throw ctx.unsupported("channels " + in[3] + " are not a multiple of block_size^2 = " + bs * bs);
        }
        int[] out = {in[0], in[1] * bs, in[2] * bs, in[3] / bs / bs};
        ctx.setOutputShape(0, out);
        return new BlockParams(LayoutKernels.depthToSpace(w), ctx.input(0), ctx.output(0), in, out, bs);
    }

    @Override
    public void eval(BlockParams p, ExecutionState s) {
        p.kernel().run(p, s);
    }
}
