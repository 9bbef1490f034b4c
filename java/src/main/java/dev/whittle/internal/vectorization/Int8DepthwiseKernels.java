package dev.whittle.internal.vectorization;

import java.lang.foreign.MemorySegment;

/**
 * The int8/uint8 depthwise convolution loop of the Java path's DEPTHWISE_CONV_2D: up to
 * {@link #MAX_PIXELS} pixel groups of an {@link Int8Depthwise} node that share their tap list,
 * all channels, the output stage (TFLite's {@code MultiplyByQuantizedMultiplier}) fused. The
 * Vector API implementation ({@code PanamaInt8DepthwiseKernels}) and its plain-Java twin
 * ({@code ScalarInt8DepthwiseKernels}) write identical bytes.
 */
public interface Int8DepthwiseKernels {
    /** Pixel groups per call at most. */
    int MAX_PIXELS = 4;

    /** Channels per vector: the packing unit of {@link Int8Depthwise}. */
    int lanes();

    /** The ISA suffix of kernel names: {@code panama256}, {@code panama512} or {@code scalar}. */
    String isa();

    /**
     * Kernel-specific constants of a node, made once at {@link Int8Depthwise#pack} (the Vector
     * API kernels' lane shuffles), or null.
     */
    default Object prepare(Int8Depthwise d) {
        return null;
    }

    /** Per-thread work arrays of {@link #run}, sized for one node. */
    final class Scratch {
        final int[] acc;
        final int[] start;
        final byte[] bytes;
        final MemorySegment bytesSegment;

        /** For nodes of at most {@code cp} padded channels and {@code lanes} lanes. */
        public Scratch(int cp, int lanes) {
            acc = new int[MAX_PIXELS * lanes];
            start = new int[lanes];
            // Rows of cp + lanes bytes: on AVX2 a half vector's bytes are stored 8 at a time with
            // 4 real, and the spill past a pixel's row must not reach the next one.
            bytes = new byte[MAX_PIXELS * (cp + lanes) + 2 * lanes];
            bytesSegment = MemorySegment.ofArray(bytes);
        }
    }

    /**
     * Pixel groups {@code j < pixels}: for lanes {@code l < outBytes} (at most
     * {@code d.width()}), writes {@code out[outOff + j * outStep + l] = clamp(requantize(start[l]
     * + sum_t w'[tapW[t] + l] * x_t(l)) + outputOffset)} where {@code x_t(l)} is the input byte
     * (as stored: signed or unsigned) of lane {@code l} relative to
     * {@code inOff + j * inStep + tapIn[t]} ({@link Int8Depthwise}'s layouts), and
     * {@code start = interior ? folded : bias + sum_t io * w'[tapW[t] + l]}.
     *
     * @param inEnd the end of the input tensor in {@code in}: no byte at or past it is read
     * @param interior whether the taps are all the node's taps (the pixels see no padding)
     * @param tapW offsets into the packed weights ({@code t * cp} for tap {@code t})
     */
    void run(Int8Depthwise d, int pixels, MemorySegment in, long inEnd, long inOff, long inStep, long[] tapIn,
            int[] tapW, int taps, boolean interior, MemorySegment out, long outOff, long outStep, int outBytes,
            Scratch s);
}
