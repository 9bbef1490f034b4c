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

    /** The task split, and the GEMM's geometry: pixels, channels and the channel group of {@link #runRange}. */
    Q8GemmLayout.Split split();

    /**
     * Output pixels {@code [m0, m1)} of channels {@code [n0, n1)} ({@code n0} a multiple of
     * {@code split().group()}) in one native call, whatever the task split: the 1x1 half of a
     * fused depthwise + 1x1 pair ({@link FusedDwConvGemm}). Each output element is computed the
     * same way whichever call covers it (exact integer sums, the same output stage), so any cut
     * gives the same bytes.
     */
    void runRange(long input, long output, long scratch, int m0, int m1, int n0, int n1);

    /** Bytes of the packed weights. */
    long weightBytes();

    /** Bytes of native scratch each worker needs. */
    long scratchBytes();
}
