package dev.whittle.runtime;

/**
 * One implementation of an operator's arithmetic, chosen at prepare time and called by the
 * operator's {@link Op#eval}. Names follow {@code dtype_op_variant__isa} (XNNPACK's scheme):
 * {@code qs8_conv2d__reference}, {@code qu8_conv2d__reference},
 * {@code qs16_qc8w_conv2d__reference}; the same name appears in tests, benchmarks and logs.
 *
 * <p>The reference kernels are plain scalar Java written to be obviously right. They are the
 * oracle every faster kernel is tested against, bit for bit, and are never optimized.
 * Kernels are stateless and shared by every thread.
 *
 * @param <P> the operator's prepared parameters
 */
public interface Kernel<P> {
    /** The kernel's name, e.g. {@code qs8_conv2d__reference}. */
    String name();

    /** Runs the kernel on one node's tensors. Must not allocate. */
    void run(P params, ExecutionState state);
}
