package dev.whittle.runtime.ops;

import dev.whittle.model.TensorType;
import dev.whittle.runtime.ExecutionState;
import dev.whittle.runtime.Op;
import dev.whittle.runtime.PrepareContext;

/**
 * CONCATENATION, float32, along one axis (negative counts from the end). TFLite's kernel
 * refuses a fused activation, so does this one.
 */
public final class Concatenation implements Op<Concatenation.Prepared> {
    /** {@code outer} blocks; input k contributes {@code chunks[k]} consecutive elements to each. */
    record Prepared(int[] inputs, int[] chunks, int output, int outer, int outChunk) {
    }

    @Override
    public Prepared prepare(PrepareContext ctx) {
        if (ctx.inputCount() < 1 || ctx.outputCount() != 1) {
            throw ctx.unsupported("expects at least one input and one output");
        }
        ctx.requireAllTypes(TensorType.FLOAT32);
        int[] first = ctx.inputShape(0);
        int rank = first.length;
        int axis = ctx.options().getInt("axis");
        int k = axis < 0 ? axis + rank : axis;
        if (k < 0 || k >= rank) {
            throw ctx.unsupported("axis " + axis + " out of range");
        }
        if (ctx.options().getInt("fused_activation_function") != 0) {
            throw ctx.unsupported("a fused activation is not supported");
        }
        int[] out = first.clone();
        out[k] = 0;
        int[] inputs = new int[ctx.inputCount()];
        int[] chunks = new int[ctx.inputCount()];
        int inner = 1;
        for (int d = k + 1; d < rank; d++) {
            inner *= first[d];
        }
        int outer = 1;
        for (int d = 0; d < k; d++) {
            outer *= first[d];
        }
        for (int i = 0; i < inputs.length; i++) {
            int[] s = ctx.inputShape(i);
            boolean ok = s.length == rank;
            for (int d = 0; ok && d < rank; d++) {
                ok = d == k || s[d] == first[d];
            }
            if (!ok) {
                throw ctx.unsupported("input " + i + " does not match input 0 outside axis " + k);
            }
            out[k] += s[k];
            inputs[i] = ctx.input(i);
            chunks[i] = s[k] * inner;
        }
        ctx.setOutputShape(0, out);
        return new Prepared(inputs, chunks, ctx.output(0), outer, out[k] * inner);
    }

    @Override
    public void eval(Prepared p, ExecutionState s) {
        for (int o = 0; o < p.outer(); o++) {
            int at = o * p.outChunk();
            for (int k = 0; k < p.inputs().length; k++) {
                int chunk = p.chunks()[k];
                for (int i = 0; i < chunk; i++) {
                    s.putFloat(p.output(), at + i, s.getFloat(p.inputs()[k], o * chunk + i));
                }
                at += chunk;
            }
        }
    }
}
