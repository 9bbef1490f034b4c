package dev.whittle.runtime;

/**
 * One operator implementation, in the tflite-micro shape: {@link #prepare} runs once at
 * {@link CompiledModel#compile} time and returns everything the kernel needs as an immutable
 * object (shapes, strides, options, activation bounds); {@link #eval} runs on every invoke.
 *
 * <p>The prepared object is shared by every {@link ExecutionContext} of the compiled model,
 * possibly on many threads at once, so it must never be mutated after prepare. {@code eval}
 * must not allocate: all memory it touches is the context's arena (tensors, and the scratch
 * areas prepare requested with {@link PrepareContext#requestScratch}) or the model's constants.
 *
 * @param <P> the prepared node type
 */
public interface Op<P> {
    /**
     * Checks types and shapes of one operator, computes its output shapes and any constant
     * per-node state.
     *
     * @throws dev.whittle.UnsupportedModelException (built with {@link PrepareContext#unsupported})
     *     when this implementation cannot run the operator as the model uses it
     */
    P prepare(PrepareContext ctx);

    /** Computes the operator's outputs from its inputs, reading and writing through {@code state}. */
    void eval(P prepared, ExecutionState state);
}
