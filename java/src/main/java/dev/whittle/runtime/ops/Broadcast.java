package dev.whittle.runtime.ops;

import dev.whittle.runtime.PrepareContext;

import java.util.Arrays;

/**
 * NumPy-style broadcasting of two inputs, prepared once for the binary element-wise ops: the
 * output shape and, for every output dimension, the stride of each input (0 where that input is
 * broadcast along it).
 *
 * <p>TFLite 2.20's broadcasting kernels work on at most {@code maxRank} dimensions (6 for
 * ADD/SUB/MUL, 4 for the {@code BroadcastBinaryFunction4DSlow} ops), so a broadcast of more
 * dimensions is refused. Inputs of the same shape need no broadcast and run flat at any rank.
 */
record Broadcast(int[] outShape, int[] aStrides, int[] bStrides, int count) {

    static Broadcast prepare(PrepareContext ctx, int maxRank) {
        int[] sa = ctx.inputShape(0);
        int[] sb = ctx.inputShape(1);
        int rank = Math.max(sa.length, sb.length);
        if (!Arrays.equals(sa, sb) && rank > maxRank) {
            throw ctx.unsupported("broadcasting " + Arrays.toString(sa) + " with " + Arrays.toString(sb)
                    + " needs rank " + rank + "; TFLite broadcasts at most " + maxRank + " dimensions");
        }
        int[] out = new int[rank];
        int[] da = new int[rank];
        int[] db = new int[rank];
        for (int d = 0; d < rank; d++) {
            int ka = d - (rank - sa.length);
            int kb = d - (rank - sb.length);
            int x = ka >= 0 ? sa[ka] : 1;
            int y = kb >= 0 ? sb[kb] : 1;
            if (x != y && x != 1 && y != 1) {
                throw ctx.unsupported("shapes " + Arrays.toString(sa) + " and " + Arrays.toString(sb)
                        + " do not broadcast");
            }
            out[d] = x == 1 ? y : x;
            da[d] = x;
            db[d] = y;
        }
        ctx.setOutputShape(0, out);
        int[] stridesA = OpSupport.strides(da);
        int[] stridesB = OpSupport.strides(db);
        for (int d = 0; d < rank; d++) {
            if (da[d] == 1) {
                stridesA[d] = 0;
            }
            if (db[d] == 1) {
                stridesB[d] = 0;
            }
        }
        return new Broadcast(out, stridesA, stridesB, OpSupport.product(out));
    }

    /** Whether the two inputs have different shapes. */
    static boolean needed(PrepareContext ctx) {
        return !Arrays.equals(ctx.inputShape(0), ctx.inputShape(1));
    }
}
