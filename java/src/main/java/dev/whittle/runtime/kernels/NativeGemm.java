package dev.whittle.runtime.kernels;

import dev.whittle.runtime.ExecutionState;

/**
 * A node prepared for one of libwhittle's GEMM-shaped kernels ({@link Q8Gemm}, {@link Q8Sp24Gemm},
 * {@link Q8SparseGemm}, {@link Q8LutGemm}): what {@link NativeGemmKernel} runs.
 */
interface NativeGemm {
    /** The kernel name, also its exported symbol without the {@code whittle_} prefix. */
    String name();

    /** Tasks for {@code threads} workers. */
    int tasks(int threads);

    /** Runs task {@code task} of {@link #tasks}{@code (threads)}. */
    void run(ExecutionState s, long input, long output, long scratch, int task);

    /** Runs tasks {@code [from, to)} of {@link #tasks}{@code (threads)}, as one call where the layout allows. */
    default void run(ExecutionState s, long input, long output, long scratch, int from, int to) {
        for (int task = from; task < to; task++) {
            run(s, input, output, scratch, task);
        }
    }

    /** Bytes of the packed weights. */
    long weightBytes();

    /** Bytes of native scratch each worker needs. */
    long scratchBytes();
}
