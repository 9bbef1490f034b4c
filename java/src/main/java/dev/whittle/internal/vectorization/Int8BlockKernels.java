package dev.whittle.internal.vectorization;

import java.lang.foreign.MemorySegment;

/**
 * A GEMM micro-kernel that takes a whole block of rows at once rather than {@link Int8GemmKernels#MR}
 * (the Java path's sparse kernels, which put output pixels in the vector lanes). The driver
 * ({@code Int8GemmBlocks}) calls {@link #runBlock} instead of {@link Int8GemmKernels#run} when
 * its micro-kernel implements this.
 */
public interface Int8BlockKernels {
    /**
     * Rows {@code [0, rows)} of activations at {@code a} (stride K bytes) times output channels
     * {@code [c0, c1)}: writes those channels of output rows at {@code out} (stride N bytes).
     * {@code tmp}: {@link Int8GemmKernels#tmpBytes()} bytes of scratch.
     */
    void runBlock(int rows, MemorySegment mem, long a, int c0, int c1, long out, long tmp);
}
