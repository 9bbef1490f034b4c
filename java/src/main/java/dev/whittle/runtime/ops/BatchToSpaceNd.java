package dev.whittle.runtime.ops;

import dev.whittle.runtime.ExecutionState;
import dev.whittle.runtime.Op;
import dev.whittle.runtime.PrepareContext;
import dev.whittle.runtime.kernels.reference.ElementWidth;
import dev.whittle.runtime.kernels.reference.LayoutKernels;
import dev.whittle.runtime.kernels.reference.LayoutKernels.BatchToSpaceParams;

/**
 * BATCH_TO_SPACE_ND on 3-D and 4-D inputs of FLOAT32, INT8, UINT8, INT16, INT32 or INT64, the
 * inverse of {@link SpaceToBatchNd}: block shape and crops are INT32 constants (or computed at
 * compile time), crops non-negative, the batch a multiple of the block product. Output
 * spatial size {@code in * block - crop_begin - crop_end}, as TFLite computes it; a crop that
 * leaves a negative size is refused.
 */
public final class BatchToSpaceNd implements Op<BatchToSpaceParams> {
    @Override
    public BatchToSpaceParams prepare(PrepareContext ctx) {
        ElementWidth w = SpaceBatchSupport.check(ctx);
        int[] in = ctx.inputShape(0);
        int spatial = in.length - 2;
        int[] block = SpaceBatchSupport.block(ctx, spatial);
        int[] crops = SpaceBatchSupport.pairs(ctx, spatial, "crops");
        int[] out = in.clone();
        int batch = in[0];
        for (int d = 0; d < spatial; d++) {
            if (batch % block[d] != 0) {
                throw ctx.unsupported("batch " + batch + " is not a multiple of block " + block[d]);
            }
            batch /= block[d];
            out[d + 1] = in[d + 1] * block[d] - crops[2 * d] - crops[2 * d + 1];
        }
        out[0] = batch;
        ctx.setOutputShape(0, out);
        return new BatchToSpaceParams(LayoutKernels.batchToSpace(w), ctx.input(0), ctx.output(0),
                SpaceBatchSupport.extend(in), SpaceBatchSupport.extend(out), block[0], spatial == 2 ? block[1] : 1,
                crops[0], spatial == 2 ? crops[2] : 0);
    }

    @Override
    public void eval(BatchToSpaceParams p, ExecutionState s) {
        p.kernel().run(p, s);
    }
}
