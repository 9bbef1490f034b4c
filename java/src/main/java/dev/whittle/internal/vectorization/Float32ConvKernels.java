package dev.whittle.internal.vectorization;

import java.lang.foreign.MemorySegment;

/**
 * float32 convolution inner loops for the Java path ({@code F32JavaConv},
 * {@code F32JavaDepthwiseConv}), on the Vector API ({@code PanamaFloat32ConvKernels}) or plain
 * Java ({@code ScalarFloat32ConvKernels}). Both sum each output's terms in the given order with
 * one fused multiply-add per term from 0, then add the bias, then clamp: the same floats.
 * Tensors are little-endian float32 in memory segments (native or heap); offsets in bytes.
 */
public interface Float32ConvKernels {
    /** Output pixels per GEMM tile. */
    int MR = 4;

    /** Output channels per packed weight panel (two vectors). */
    int nr();

    /** Channels per depthwise step (one vector), for kernel names. */
    int lanes();

    /** The ISA suffix of kernel names: {@code panama256}, {@code panama512} or {@code scalar}. */
    String isa();

    /**
     * One tile: for rows {@code r < mr} and columns {@code j < nc} ({@code nc <= nr()}),
     * {@code out[outOff + r * outStride + 4 j] = clamp(bias[biasOff + j] + sum_i a[aOff + r * k + i]
     * * w[wOff + i * nr() + j])}. {@code tile}: {@code nr()} floats of the caller's scratch.
     */
    void gemmTile(float[] a, int aOff, int mr, int k, float[] w, int wOff, float[] bias, int biasOff,
            MemorySegment out, long outOff, long outStride, int nc, float min, float max, float[] tile);

    /**
     * {@link #gemmTile} for panels of one vector ({@code lanes()} channels, {@code w[wOff + i *
     * lanes() + j]}), for layers of at most {@code lanes()} output channels, where a two-vector
     * panel would be half zeros.
     */
    void gemmTileNarrow(float[] a, int aOff, int mr, int k, float[] w, int wOff, float[] bias, int biasOff,
            MemorySegment out, long outOff, long outStride, int nc, float min, float max, float[] tile);

    /**
     * One depthwise output pixel of {@code c} channels: {@code out[outOff + 4 ch] =
     * clamp(bias[ch] + sum_t in[inOffs[t] + 4 ch] * w[wOffs[t] + ch])} over taps {@code t < taps} in order.
     */
    void depthwisePixel(MemorySegment in, long[] inOffs, float[] w, int[] wOffs, int taps, int c, float[] bias,
            MemorySegment out, long outOff, float min, float max);

    /**
     * Four adjacent depthwise output pixels whose taps are all inside the input along x, {@code c}
     * a multiple of {@link #lanes()}: for filter rows {@code i < nrows} (input row offsets
     * {@code rowOffs[i]}, bytes, of the first pixel's first tap; weight row {@code wRows[i]},
     * floats) and taps {@code fx < kw} ({@code tapStep} bytes apart in the input, {@code cp}
     * floats apart in {@code w}), pixel {@code j} reading {@code j * pixStep} bytes further;
     * outputs {@code 4 c} bytes apart from {@code outOff}. Same order as {@link #depthwisePixel}.
     */
    void depthwise4(MemorySegment in, long[] rowOffs, int[] wRows, int nrows, int kw, long tapStep, long pixStep,
            float[] w, int cp, int c, float[] bias, MemorySegment out, long outOff, float min, float max);
}
