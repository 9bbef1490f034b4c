package dev.whittle.runtime.kernels.reference;

/**
 * Per-thread scratch of the hybrid (dynamic range) convolutions: the input quantized to int8
 * at run time, and per batch its scale and zero point, as TFLite keeps them in the node's
 * temporaries {@code input_quantized}, {@code scaling_factors} and {@code input_offsets}.
 *
 * <p>Stopgap: the runtime has no per-context scratch API yet, so the prepared node holds a
 * {@link ThreadLocal} created at prepare; each thread allocates its buffers on its first
 * invoke and reuses them after, so eval does not allocate per invoke. The wanted API is an
 * arena-planned scratch tensor requested at prepare ({@code PrepareContext.requestScratch(bytes)}
 * returning an index, read in eval through {@code ExecutionState.scratch(index)}), which
 * would put these bytes in the context's arena like TFLite's temporaries.
 */
public final class HybridScratch {
    /** The quantized input, as many elements as the float input. */
    public final byte[] quantized;
    /** Per batch: the input scale (symmetric path: times the filter scale, as TFLite folds it). */
    public final float[] scalingFactors;
    /** Per batch: the input zero point (asymmetric path only). */
    public final int[] offsets;

    private HybridScratch(int elements, int batches) {
        quantized = new byte[elements];
        scalingFactors = new float[batches];
        offsets = new int[batches];
    }

    /** A thread-local supply of scratch for an input of {@code elements} floats in {@code batches}. */
    public static ThreadLocal<HybridScratch> perThread(int elements, int batches) {
        return ThreadLocal.withInitial(() -> new HybridScratch(elements, batches));
    }
}
