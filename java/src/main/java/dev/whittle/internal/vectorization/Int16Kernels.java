package dev.whittle.internal.vectorization;

import java.lang.foreign.MemorySegment;

/**
 * The 16x8 micro-kernels of the Java path (int16 activations, int8 weights, zero points 0):
 * the GEMM behind CONV_2D (on an im2col panel or the input in place) and FULLY_CONNECTED, and
 * the depthwise row. The Vector API implementation ({@code PanamaInt16Kernels}) and its
 * plain-Java twin ({@code ScalarInt16Kernels}) write identical shorts, equal to the
 * reference kernels'.
 */
public interface Int16Kernels {
    /** GEMM rows per call at most. */
    int MR = 4;

    /** GEMM output channels per packed tile. */
    int nr();

    /** Depthwise channels per vector. */
    int lanes();

    /** Bytes of the {@code tmp} scratch the kernels need. */
    long tmpBytes();

    /**
     * Rows {@code [0, rows)} of {@code a} (row {@code r} at {@code aOff + r * aStride} bytes,
     * {@code g.k()} int16 values) times channel tile {@code tile} of {@code g}: writes the
     * int16 outputs of channels {@code [tile * nr, min(N, tile * nr + nr))} of row {@code r}
     * at byte {@code outOff + r * outStride + 2 * tile * nr}.
     *
     * @param rows 1 to {@link #MR}
     * @param tmp {@link #tmpBytes()} bytes of scratch at {@code tmpOff}
     */
    void gemm(Int16Gemm g, int tile, int rows, MemorySegment a, long aOff, long aStride, MemorySegment out,
            long outOff, long outStride, MemorySegment tmp, long tmpOff);

    /**
     * Output pixels {@code [ox0, ox1)} of row {@code oy} of batch {@code b}, all channels,
     * reading the NHWC int16 input at byte {@code inOff} of {@code in} and writing the output
     * at byte {@code outOff} of {@code out}.
     */
    void depthwise(Int16Depthwise d, MemorySegment in, long inOff, MemorySegment out, long outOff, int b, int oy,
            int ox0, int ox1, MemorySegment tmp, long tmpOff);
}
