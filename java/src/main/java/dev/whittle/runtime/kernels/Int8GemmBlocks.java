package dev.whittle.runtime.kernels;

import dev.whittle.internal.vectorization.Int8BlockKernels;
import dev.whittle.internal.vectorization.Int8Gemm;
import dev.whittle.internal.vectorization.Int8GemmKernels;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * How the Java path's int8 GEMM kernels ({@link Int8Conv2D}, {@link Int8FullyConnected}) cut
 * one node into tasks and run one task: blocks of {@code rowsPerBlock} output rows (pixels, or
 * batch rows) times contiguous ranges of channel tiles. A task computes every output it owns
 * with the same integer arithmetic whatever the split, so results do not depend on the
 * number of threads.
 */
final class Int8GemmBlocks {
    /**
     * All of native memory as one segment: tensors, scratch and outputs are addressed by their
     * absolute address as the offset, so no segment is created per invoke (the arena's
     * addresses come from {@code ExecutionState.address}, valid while the op runs).
     */
    static final MemorySegment NATIVE = MemorySegment.NULL.reinterpret(Long.MAX_VALUE);

    /** Bytes of activations per block the kernels should find in L1/L2 while they sweep the tiles. */
    private static final int BLOCK_BYTES = 24 * 1024;
    private static final int MAX_ROWS = 256;

    private Int8GemmBlocks() {
    }

    /** Output rows per block for reduction length {@code k}: a multiple of {@link Int8GemmKernels#MR}. */
    static int rowsPerBlock(int k) {
        int rows = BLOCK_BYTES / Math.max(k, 1) / Int8GemmKernels.MR * Int8GemmKernels.MR;
        return Math.max(Int8GemmKernels.MR, Math.min(MAX_ROWS, rows));
    }

    /** Fewest rows per block {@link #rowsPerTask} splits a node into. */
    static final int MIN_SPLIT_ROWS = 16;

    /**
     * Rows per block with {@code threads} threads: {@code rowsPerBlock} on one thread; with more,
     * fewer (a multiple of {@link Int8GemmKernels#MR}, not under {@link #MIN_SPLIT_ROWS}) until
     * there are about four row blocks per thread. Splitting by rows before channels keeps each
     * task's output rows to itself: two tasks writing the two halves of 64-channel int8 rows
     * shared every cache line they wrote, so MobileNet v1 0.25's 14x14x64 layers (196 pixels, one
     * block of 256 rows, split into two channel halves) ran no faster on 2 threads than on 1.
     */
    static int rowsPerTask(int rows, int rowsPerBlock, int threads) {
        if (threads <= 1) {
            return rowsPerBlock;
        }
        int mr = Int8GemmKernels.MR;
        int even = rows / (4 * threads) / mr * mr;
        return Math.min(rowsPerBlock, Math.max(Math.max(mr, MIN_SPLIT_ROWS), even));
    }

    /**
     * Channel splits per row block: 1 on one thread; with more, doubled until there are about
     * four tasks per thread (a one-pixel conv or a batch-1 fully connected layer is split
     * over channels only).
     */
    static int channelSplits(int rowBlocks, int tiles, int threads) {
        int splits = 1;
        if (threads > 1) {
            while (rowBlocks * splits < 4 * threads && splits * 2 <= tiles) {
                splits *= 2;
            }
        }
        return splits;
    }

    /**
     * Runs rows {@code [0, rows)} of activations at {@code a} (stride {@code k}) through tiles
     * {@code [t0, t1)}, writing output rows at {@code out} (stride {@code n}). {@code scratch}
     * holds {@link #scratchBytes} bytes: row sums, then the micro-kernel's.
     */
    static void run(Int8GemmKernels kernels, Int8Gemm g, int rows, long a, int t0, int t1, long out, long scratch) {
        int k = g.k();
        long sums = scratch;
        long tmp = scratch + align(4L * MAX_ROWS);
        if (kernels instanceof Int8BlockKernels block) {
            // issue 9, Java sparse kernels (JavaWeightKernels): the whole block in one call
            int nr = kernels.nr();
            block.runBlock(rows, NATIVE, a, t0 * nr, Math.min(g.n(), t1 * nr), out, tmp);
            return;
        }
        if (g.rowOffset() != 0) {
            int mask = g.unsignedInput() ? 0xFF : -1;
            for (int r = 0; r < rows; r++) {
                long row = a + (long) r * k;
                int sum = 0;
                for (int i = 0; i < k; i++) {
                    sum += NATIVE.get(ValueLayout.JAVA_BYTE, row + i) & mask;
                }
                NATIVE.set(ValueLayout.JAVA_INT_UNALIGNED, sums + 4L * r, sum);
            }
        }
        int n = g.n();
        for (int t = t0; t < t1; t++) {
            for (int r = 0; r < rows; r += Int8GemmKernels.MR) {
                kernels.run(g, t, Math.min(Int8GemmKernels.MR, rows - r), NATIVE, a + (long) r * k, k, NATIVE,
                        sums + 4L * r, NATIVE, out + (long) r * n, n, NATIVE, tmp);
            }
        }
    }

    /** Scratch bytes {@link #run} needs. */
    static long scratchBytes(Int8GemmKernels kernels) {
        return align(4L * MAX_ROWS) + align(Math.max(64, kernels.tmpBytes()));
    }

    static long align(long bytes) {
        return (bytes + 63) & ~63L;
    }
}
