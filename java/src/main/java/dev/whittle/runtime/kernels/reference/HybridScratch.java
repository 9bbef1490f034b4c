package dev.whittle.runtime.kernels.reference;

import dev.whittle.runtime.ExecutionState;
import dev.whittle.runtime.PrepareContext;

/**
 * Scratch of the hybrid (dynamic range) kernels, FULLY_CONNECTED and the convolutions: the
 * float input quantized to int8 at run time, per batch row its scaling factor and zero
 * point, and (asymmetric FULLY_CONNECTED) the weights' row sums, as TFLite keeps them in the
 * node's temporaries {@code input_quantized}, {@code scaling_factors}, {@code input_offsets}
 * and {@code row_sums}.
 *
 * <p>Each is a scratch area of the context's arena ({@link PrepareContext#requestScratch}),
 * requested at prepare; this record holds only their ids, so the prepared node stays
 * immutable and shared while every context has its own bytes. Kernels read and write them
 * with {@link ExecutionState}'s scratch accessors; their content is undefined when a kernel
 * starts, so every value is written before it is read.
 *
 * @param quantized scratch id of the quantized input, one byte per input element
 * @param scalingFactors scratch id of one float per batch row: the input scale (symmetric
 *     per-tensor paths: times the weight scale, as TFLite folds it)
 * @param offsets scratch id of one int per batch row: the input zero point (asymmetric paths)
 * @param rowSums scratch id of one int per output feature: the weights' row sums (hybrid
 *     FULLY_CONNECTED only; 0 bytes elsewhere)
 */
public record HybridScratch(int quantized, int scalingFactors, int offsets, int rowSums) {

    /**
     * Requests the scratch of a hybrid node whose float input has {@code elements} elements in
     * {@code batches} rows, and {@code rowSums} weight rows whose sums it keeps (0 for none).
     */
    public static HybridScratch request(PrepareContext ctx, long elements, int batches, int rowSums) {
        return new HybridScratch(ctx.requestScratch(elements), ctx.requestScratch(4L * batches),
                ctx.requestScratch(4L * batches), ctx.requestScratch(4L * rowSums));
    }

    /** Quantized input element {@code i}. */
    public byte quantized(ExecutionState s, int i) {
        return s.getScratchByte(quantized, i);
    }

    /** Scaling factor of batch row {@code b}. */
    public float scalingFactor(ExecutionState s, int b) {
        return s.getScratchFloat(scalingFactors, b);
    }

    /** Zero point of batch row {@code b}. */
    public int offset(ExecutionState s, int b) {
        return s.getScratchInt(offsets, b);
    }

    /** Sum of weight row {@code o}. */
    public int rowSum(ExecutionState s, int o) {
        return s.getScratchInt(rowSums, o);
    }
}
