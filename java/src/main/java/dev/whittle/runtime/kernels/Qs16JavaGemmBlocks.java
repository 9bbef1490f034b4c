package dev.whittle.runtime.kernels;

import dev.whittle.internal.vectorization.Int16Gemm;
import dev.whittle.internal.vectorization.Int16Kernels;

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
}
