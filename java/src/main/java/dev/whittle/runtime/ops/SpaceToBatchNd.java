package dev.whittle.runtime.ops;

import dev.whittle.runtime.ExecutionState;
import dev.whittle.runtime.Op;
import dev.whittle.runtime.PrepareContext;
import dev.whittle.runtime.kernels.reference.ElementWidth;
import dev.whittle.runtime.kernels.reference.LayoutKernels;
import dev.whittle.runtime.kernels.reference.LayoutKernels.SpaceToBatchParams;

/**
 * SPACE_TO_BATCH_ND on 3-D ({@code [N, H, C]}) and 4-D ({@code [N, H, W, C]}) inputs of
 * FLOAT32, INT8, UINT8, INT16, INT32 or INT64. Block shape and paddings are INT32 constants
 * (or computed at compile time); each padded spatial size must be a multiple of its block.
 * Padded positions hold the output zero point for INT8, UINT8 and INT16 (TFLite's
 * {@code output_offset}; INT16 must have zero point 0) and zero otherwise.
 */
public final class SpaceToBatchNd implements Op<SpaceToBatchParams> {
    @Override
    public SpaceToBatchParams prepare(PrepareContext ctx) {
        ElementWidth w = SpaceBatchSupport.check(ctx);
        int[] in = ctx.inputShape(0);
        int spatial = in.length - 2;
        int[] block = SpaceBatchSupport.block(ctx, spatial);
        int[] pads = SpaceBatchSupport.pairs(ctx, spatial, "paddings");
        int[] out = in.clone();
        int batch = in[0];
        for (int d = 0; d < spatial; d++) {
            int padded = in[d + 1] + pads[2 * d] + pads[2 * d + 1];
            if (padded % block[d] != 0) {
                throw ctx.unsupported("padded dimension " + (d + 1) + " (" + padded + ") is not a multiple of block "
                        + block[d]);
            }
            out[d + 1] = padded / block[d];
            batch = Math.multiplyExact(batch, block[d]);
        }
        out[0] = batch;
        ctx.setOutputShape(0, out);
        long pad = switch (ctx.inputTensor(0).type()) {
            case INT8, UINT8, INT16 -> LayoutSupport.outputZeroPoint(ctx, 0);
            default -> 0;
        };
        return new SpaceToBatchParams(LayoutKernels.spaceToBatch(w), ctx.input(0), ctx.output(0),
                SpaceBatchSupport.extend(in), SpaceBatchSupport.extend(out), block[0], spatial == 2 ? block[1] : 1,
                pads[0], spatial == 2 ? pads[2] : 0, pad);
    }

    @Override
    public void eval(SpaceToBatchParams p, ExecutionState s) {
        p.kernel().run(p, s);
    }
}
