package dev.whittle.runtime.kernels;

import dev.whittle.internal.vectorization.Int16Gemm;
import dev.whittle.internal.vectorization.Int16Kernels;
import dev.whittle.runtime.kernels.reference.ConvParams;

import java.lang.foreign.ValueLayout;

/**
 * How the Java path's 16x8 GEMM kernels ({@link Qs16JavaConv}, {@link Qs16JavaFullyConnected})
 * cut a node into tasks: blocks of rows (pixels, batch rows) times contiguous ranges of channel
 * tiles ({@link Int8GemmBlocks#channelSplits}); every output is computed by the same integer
 * arithmetic whatever the split, so results do not depend on the thread count.
 */
final class Qs16JavaGemmBlocks {
    /** Bytes of int16 activations per block the kernels should find in L1/L2 while they sweep the tiles. */
    private static final int BLOCK_BYTES = 24 * 1024;
    private static final int MAX_ROWS = 256;

    private Qs16JavaGemmBlocks() {
    }

    /** Rows per block for reduction length {@code k}: a multiple of {@link Int16Kernels#MR}. */
    static int rowsPerBlock(int k) {
        int rows = BLOCK_BYTES / Math.max(2 * k, 1) / Int16Kernels.MR * Int16Kernels.MR;
        return Math.max(Int16Kernels.MR, Math.min(MAX_ROWS, rows));
    }

    /**
     * Rows {@code [0, rows)} of int16 activations at {@code a} (stride {@code 2k} bytes) through
     * tiles {@code [t0, t1)}, writing output rows at {@code out} (stride {@code 2n} bytes).
     */
    static void run(Int16Kernels kernels, Int16Gemm g, int rows, long a, int t0, int t1, long out, long tmp) {
        long aStride = 2L * g.k();
        long outStride = 2L * g.n();
        for (int t = t0; t < t1; t++) {
            for (int r = 0; r < rows; r += Int16Kernels.MR) {
                kernels.gemm(g, t, Math.min(Int16Kernels.MR, rows - r), Int8GemmBlocks.NATIVE, a + r * aStride,
                        aStride, Int8GemmBlocks.NATIVE, out + r * outStride, outStride, Int8GemmBlocks.NATIVE, tmp);
            }
        }
    }

    /** Scratch bytes of {@link #run}'s {@code tmp}. */
    static long tmpBytes(Int16Kernels kernels) {
        return Int8GemmBlocks.align(Math.max(64, kernels.tmpBytes()));
    }

    /** The kernel name: {@code <family>_gemm_<MR>x<nr>__<isa>}. */
    static String name(String family, Int16Kernels kernels, String isa) {
        return family + "_gemm_" + Int16Kernels.MR + "x" + kernels.nr() + "__" + isa;
    }

    /**
     * A convolution's receptive fields as rows of a GEMM panel (im2col) for the Java 16x8 kernels
     * ({@link Qs16JavaConv}, {@link Qs16JavaFormatGemm}): row r of a block holds pixel
     * {@code m0 + r}'s {@code K = kh * kw * inC} int16 taps, zeros for taps outside the image (the
     * 16x8 zero point is 0).
     */
    record Im2col(int inH, int inW, int inC, int outH, int outW, int kh, int kw, int strideH, int strideW, int dilH,
            int dilW, int padH, int padW) {
        /** The geometry of a CONV_2D node. */
        static Im2col of(ConvParams p) {
            return new Im2col(p.inH(), p.inW(), p.inC(), p.outH(), p.outW(), p.kh(), p.kw(), p.strideH(), p.strideW(),
                    p.dilH(), p.dilW(), p.padH(), p.padW());
        }

        /** The geometry {@link Qs16FormatNode#geometry()} holds. */
        static Im2col of(long[] g) {
            return new Im2col((int) g[1], (int) g[2], (int) g[3], (int) g[4], (int) g[5], (int) g[7], (int) g[8],
                    (int) g[9], (int) g[10], (int) g[11], (int) g[12], (int) g[13], (int) g[14]);
        }

        /** A 1x1 stride-1 unpadded same-size convolution: the input's pixels are the panel's rows. */
        boolean direct() {
            return kh == 1 && kw == 1 && strideH == 1 && strideW == 1 && padH == 0 && padW == 0 && outH == inH
                    && outW == inW;
        }

        /** Rows {@code [0, rows)} of the panel at {@code panel}: the receptive fields of pixels {@code m0..}. */
        void rows(long in, int m0, int rows, long panel) {
            long k = (long) kh * kw * inC;
            int plane = outH * outW;
            long tapRow = 2L * kw * inC;
            long tap = 2L * inC;
            for (int r = 0; r < rows; r++) {
                int pixel = m0 + r;
                int b = pixel / plane;
                int rem = pixel - b * plane;
                int oy = rem / outW;
                int ox = rem - oy * outW;
                long dst = panel + 2L * r * k;
                int ix0 = ox * strideW - padW;
                boolean rowInside = dilW == 1 && ix0 >= 0 && ix0 + kw <= inW;
                for (int fy = 0; fy < kh; fy++) {
                    int iy = oy * strideH - padH + dilH * fy;
                    long d = dst + fy * tapRow;
                    if (iy < 0 || iy >= inH) {
                        fill(d, tapRow);
                        continue;
                    }
                    long rowBase = in + 2L * ((long) (b * inH + iy) * inW) * inC;
                    if (rowInside) {
                        copy(rowBase + ix0 * tap, d, tapRow);
                        continue;
                    }
                    for (int fx = 0; fx < kw; fx++) {
                        int ix = ix0 + dilW * fx;
                        long dt = d + fx * tap;
                        if (ix < 0 || ix >= inW) {
                            fill(dt, tap);
                        } else {
                            copy(rowBase + ix * tap, dt, tap);
                        }
                    }
                }
            }
        }

        private static void fill(long dst, long bytes) {
            long i = 0;
            for (; i + 8 <= bytes; i += 8) {
                Int8GemmBlocks.NATIVE.set(ValueLayout.JAVA_LONG_UNALIGNED, dst + i, 0L);
            }
            for (; i < bytes; i++) {
                Int8GemmBlocks.NATIVE.set(ValueLayout.JAVA_BYTE, dst + i, (byte) 0);
            }
        }

        private static void copy(long src, long dst, long bytes) {
            if (bytes >= 64) {
                java.lang.foreign.MemorySegment.copy(Int8GemmBlocks.NATIVE, src, Int8GemmBlocks.NATIVE, dst, bytes);
                return;
            }
            long i = 0;
            for (; i + 8 <= bytes; i += 8) {
                Int8GemmBlocks.NATIVE.set(ValueLayout.JAVA_LONG_UNALIGNED, dst + i,
                        Int8GemmBlocks.NATIVE.get(ValueLayout.JAVA_LONG_UNALIGNED, src + i));
            }
            for (; i < bytes; i++) {
                Int8GemmBlocks.NATIVE.set(ValueLayout.JAVA_BYTE, dst + i, Int8GemmBlocks.NATIVE.get(ValueLayout.JAVA_BYTE,
                        src + i));
            }
        }
    }
}
