package dev.whittle.runtime.ops;

import dev.whittle.model.TensorType;
import dev.whittle.runtime.PrepareContext;

import java.util.Arrays;

/**
 * NumPy-style broadcasting of two inputs, prepared once for ADD and MUL: for every output
 * dimension the stride of each input, 0 where that input is broadcast along it.
 */
record Broadcast(int a, int b, int output, int[] outShape, int[] aStrides, int[] bStrides, int count, float actMin,
        float actMax) {

    static Broadcast prepare(PrepareContext ctx) {
        ctx.requireArity(2, 2, 1);
        ctx.requireAllTypes(TensorType.FLOAT32);
        int[] sa = ctx.inputShape(0);
        int[] sb = ctx.inputShape(1);
        int rank = Math.max(sa.length, sb.length);
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
        int code = ctx.options() == null ? 0 : ctx.options().getInt("fused_activation_function");
        float[] act = OpSupport.activationRange(ctx, code);
        return new Broadcast(ctx.input(0), ctx.input(1), ctx.output(0), out, stridesA, stridesB,
                OpSupport.product(out), act[0], act[1]);
    }

    /** Element index in input a of output element {@code i}. */
    int indexA(int i) {
        return index(i, aStrides);
    }

    /** Element index in input b of output element {@code i}. */
    int indexB(int i) {
        return index(i, bStrides);
    }

    private int index(int i, int[] strides) {
        int rem = i;
        int idx = 0;
        for (int d = outShape.length - 1; d >= 0; d--) {
            int c = rem % outShape[d];
            rem /= outShape[d];
            idx += c * strides[d];
        }
        return idx;
    }
}
