package dev.whittle.runtime.kernels;

import dev.whittle.internal.vectorization.Int8GemmKernels;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** How the Java-path int8 GEMM ({@link Int8Conv2D}, {@link Int8FullyConnected}) cuts a node into tasks. */
class Int8GemmBlocksTest {
    private static int blocks(int rows, int rowsPerTask) {
        return (rows + rowsPerTask - 1) / rowsPerTask;
    }

    @Test
    void oneThreadKeepsTheCacheSizedBlock() {
        assertEquals(256, Int8GemmBlocks.rowsPerTask(196, 256, 1));
        assertEquals(256, Int8GemmBlocks.rowsPerTask(100_000, 256, 1));
    }

    @Test
    void fewPixelLayersSplitByRowsNotByChannelHalves() {
        // MobileNet v1 0.25's 14x14x64 -> 64 (k = 64: one block of 256 rows on one thread). It was
        // one block split into two channel halves, both writing every 64-byte output row.
        int perBlock = Int8GemmBlocks.rowsPerBlock(64);
        int rows = Int8GemmBlocks.rowsPerTask(196, perBlock, 2);
        assertEquals(24, rows);
        assertEquals(1, Int8GemmBlocks.channelSplits(blocks(196, rows), 2, 2), "rows alone give 2 threads 9 tasks");
        // 7x7: 16-row blocks at least, then channel splits make up the count.
        int r7 = Int8GemmBlocks.rowsPerTask(49, Int8GemmBlocks.rowsPerBlock(128), 2);
        assertEquals(Int8GemmBlocks.MIN_SPLIT_ROWS, r7);
        assertEquals(2, Int8GemmBlocks.channelSplits(blocks(49, r7), 4, 2));
    }

    @Test
    void largeLayersAndSingleRowsAreUnchanged() {
        int perBlock = Int8GemmBlocks.rowsPerBlock(144);
        assertEquals(perBlock, Int8GemmBlocks.rowsPerTask(56 * 56, perBlock, 2));
        assertEquals(perBlock, Int8GemmBlocks.rowsPerTask(56 * 56, perBlock, 4));
        // One pixel (a batch-1 fully connected layer): channels only.
        assertEquals(Int8GemmBlocks.MIN_SPLIT_ROWS, Int8GemmBlocks.rowsPerTask(1, 256, 2));
        assertEquals(8, Int8GemmBlocks.channelSplits(blocks(1, 16), 32, 2));
    }

    @Test
    void blocksAreWholeMicroTilesAndNeverLargerThanTheScratchPanel() {
        for (int threads = 1; threads <= 8; threads++) {
            for (int k : new int[] {1, 27, 64, 96, 1280, 30_000}) {
                int perBlock = Int8GemmBlocks.rowsPerBlock(k);
                for (int rows = 1; rows <= 4000; rows += 37) {
                    int r = Int8GemmBlocks.rowsPerTask(rows, perBlock, threads);
                    assertTrue(r <= perBlock && r >= Int8GemmKernels.MR, rows + " rows, k " + k + ": " + r);
                    assertEquals(0, r % Int8GemmKernels.MR, rows + " rows, k " + k + ": " + r);
                }
            }
        }
    }
}
