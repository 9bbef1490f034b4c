package dev.whittle.internal.vectorization;

import java.lang.foreign.MemorySegment;

/**
 * The int8/uint8 GEMM micro-kernel behind the Java path's CONV_2D (on an im2col panel) and
 * FULLY_CONNECTED: up to {@link #MR} rows of activations times one tile of {@link #nr()}
 * output channels of an {@link Int8Gemm}, the output stage fused, bytes written. The Vector
 * API implementation and its plain-Java twin give identical bytes.
 */
public interface Int8GemmKernels {
    /** Rows per call at most. */
    int MR = 4;

    /** Output channels per packed tile. */
    int nr();

    /** Bytes of the {@code tmp} scratch {@link #run} needs. */
    long tmpBytes();

    /**
     * Rows {@code [0, rows)} of {@code a} (row {@code r} at {@code aOff + r * aStride},
     * {@code g.k()} bytes) times channel tile {@code tile} of {@code g}: writes the channels
     * {@code [tile * nr, min(N, tile * nr + nr))} of output row {@code r} at
     * {@code outOff + r * outStride + tile * nr}.
     *
     * @param rows 1 to {@link #MR}
     * @param rowSums when {@code g.rowOffset() != 0}, {@code rows} ints at {@code rowSumsOff}: the
     *     sum of each row's activations (as {@code g.unsignedInput()} reads them)
     * @param tmp {@link #tmpBytes()} bytes of scratch
     */
    void run(Int8Gemm g, int tile, int rows, MemorySegment a, long aOff, long aStride, MemorySegment rowSums,
            long rowSumsOff, MemorySegment out, long outOff, long outStride, MemorySegment tmp, long tmpOff);
}
