package dev.whittle.runtime.kernels.elementwise;

/**
 * A binary op's broadcast collapsed to at most three dimensions {@code n0 x n1 x n2}: adjacent
 * dimensions merge where both inputs step through them alike (both contiguous, or both
 * broadcast), and size-1 dimensions drop. Same-shape inputs become one run; a scalar or a
 * per-channel operand becomes an inner run with stride 0 or 1. A kernel walks an output range
 * as runs of the innermost dimension, computing the input positions once per run instead of
 * once per element (the reference's per-element division by every dimension).
 */
record BroadcastPlan(int n0, int n1, int n2, int a0, int a1, int a2, int b0, int b1, int b2) {

    /** The plan of a broadcast ({@code outShape}, strides 0 where broadcast), or null beyond three dimensions. */
    static BroadcastPlan of(int[] outShape, int[] aStrides, int[] bStrides) {
        int[] n = new int[3];
        int[] sa = new int[3];
        int[] sb = new int[3];
        int groups = 0;
        for (int d = outShape.length - 1; d >= 0; d--) {
            if (outShape[d] == 1) {
                continue;
            }
            if (groups > 0) {
                int g = groups - 1;
                long na = (long) sa[g] * n[g];
                long nb = (long) sb[g] * n[g];
                if (aStrides[d] == na && bStrides[d] == nb) {
                    n[g] *= outShape[d];
                    continue;
                }
            }
            if (groups == 3) {
                return null;
            }
            n[groups] = outShape[d];
            sa[groups] = aStrides[d];
            sb[groups] = bStrides[d];
            groups++;
        }
        // groups were collected innermost first; pad the outer ones with size 1.
        int[] gn = {1, 1, 1};
        int[] ga = new int[3];
        int[] gb = new int[3];
        for (int g = 0; g < groups; g++) {
            gn[2 - g] = n[g];
            ga[2 - g] = sa[g];
            gb[2 - g] = sb[g];
        }
        return new BroadcastPlan(gn[0], gn[1], gn[2], ga[0], ga[1], ga[2], gb[0], gb[1], gb[2]);
    }

    /** Output elements. */
    long count() {
        return (long) n0 * n1 * n2;
    }
}
