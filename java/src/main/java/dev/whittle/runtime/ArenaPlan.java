package dev.whittle.runtime;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * Where every activation tensor lives in one byte arena. Two tensors whose lifetimes (first
 * write to last read, in operator order) overlap never share bytes; all others may. Greedy
 * first-fit by descending size, as TFLite's own simple planner and most micro runtimes do:
 * not optimal, but near it on chain-like CNNs and easy to check.
 */
final class ArenaPlan {
    /** Cache-line alignment, so a later vectorized kernel never straddles lines at a tensor's start. */
    static final int ALIGNMENT = 64;

    final int[] offsets;
    final long arenaBytes;
    final long activationBytes;

    private ArenaPlan(int[] offsets, long arenaBytes, long activationBytes) {
        this.offsets = offsets;
        this.arenaBytes = arenaBytes;
        this.activationBytes = activationBytes;
    }

    /**
     * @param sizes  bytes of each tensor; tensors with {@code first[t] == NOT_PLANNED} get no memory
     * @param first  first operator position that touches the tensor (-1 for graph inputs)
     * @param last   last operator position that touches it ({@code operatorCount} for graph outputs)
     * @param share  false gives every tensor its own bytes (for inspecting intermediates)
     */
    static ArenaPlan plan(long[] sizes, int[] first, int[] last, boolean share) {
        int n = sizes.length;
        int[] offsets = new int[n];
        Arrays.fill(offsets, -1);
        List<Integer> order = new ArrayList<>();
        long total = 0;
        for (int t = 0; t < n; t++) {
            if (first[t] != NOT_PLANNED) {
                order.add(t);
                total += align(sizes[t]);
            }
        }
        order.sort(Comparator.<Integer>comparingLong(t -> -sizes[t]).thenComparingInt(t -> t));
        List<Integer> placed = new ArrayList<>();
        long end = 0;
        for (int t : order) {
            long size = align(sizes[t]);
            long offset = 0;
            if (share) {
                // Live neighbours in offset order; take the first gap that fits.
                List<Integer> live = new ArrayList<>();
                for (int p : placed) {
                    if (first[p] <= last[t] && first[t] <= last[p]) {
                        live.add(p);
                    }
                }
                live.sort(Comparator.comparingInt(p -> offsets[p]));
                for (int p : live) {
                    if (offset + size <= offsets[p]) {
                        break;
                    }
                    offset = Math.max(offset, offsets[p] + align(sizes[p]));
                }
            } else {
                offset = end;
            }
            if (offset + size > Integer.MAX_VALUE) {
                throw new dev.whittle.UnsupportedModelException("activations need more than 2 GiB of arena");
            }
            offsets[t] = (int) offset;
            end = Math.max(end, offset + size);
            placed.add(t);
        }
        return new ArenaPlan(offsets, end, total);
    }

    static final int NOT_PLANNED = Integer.MIN_VALUE;

    static long align(long bytes) {
        return (bytes + ALIGNMENT - 1) / ALIGNMENT * ALIGNMENT;
    }
}
