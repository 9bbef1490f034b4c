package dev.whittle.runtime.ops;

import dev.whittle.model.TensorType;
import dev.whittle.runtime.ExecutionState;
import dev.whittle.runtime.Kernel;
import dev.whittle.runtime.Op;
import dev.whittle.runtime.PrepareContext;
import dev.whittle.runtime.kernels.reference.DataMovementKernels;
import dev.whittle.runtime.kernels.reference.DataMovementKernels.ConcatParams;

/**
 * CONCATENATION along one axis (negative counts from the end) of float32, int8, uint8, int16,
 * int32 or int64 tensors, with TFLite 2.20's rules: a fused activation is refused for every
 * type (its {@code Prepare} requires none); uint8 inputs whose scale or zero point differ from
 * the output's are requantized ({@link DataMovementKernels}); int8 inputs must be quantized
 * exactly as the output (TFLite refuses otherwise); int16 needs zero points 0 and, since
 * TFLite would copy the raw values of a differently scaled input, equal scales too.
 */
public final class Concatenation implements Op<Concatenation.Prepared> {
    record Prepared(ConcatParams params, Kernel<ConcatParams> kernel) {
    }

    @Override
    public Prepared prepare(PrepareContext ctx) {
        if (ctx.inputCount() < 1 || ctx.outputCount() != 1) {
            throw ctx.unsupported("expects at least one input and one output");
        }
        TensorType type = ctx.inputTensor(0).type();
        switch (type) {
            case FLOAT32, INT8, UINT8, INT16, INT32, INT64 -> {
            }
            default -> throw ctx.unsupported("type " + type + " is not one of FLOAT32, INT8, UINT8, INT16, INT32, INT64");
        }
        ctx.requireAllTypes(type);
        int[] first = ctx.inputShape(0);
        int rank = first.length;
        int axis = ctx.options().getInt("axis");
        int k = axis < 0 ? axis + rank : axis;
        if (k < 0 || k >= rank) {
            throw ctx.unsupported("axis " + axis + " out of range");
        }
        if (ctx.options().getInt("fused_activation_function") != 0) {
            throw ctx.unsupported("a fused activation is not supported (TFLite refuses it for every type)");
        }
        int n = ctx.inputCount();
        int[] out = first.clone();
        out[k] = 0;
        int[] inputs = new int[n];
        int[] chunks = new int[n];
        float[] scales = new float[n];
        int[] zps = new int[n];
        boolean[] rescale = new boolean[n];
        int inner = 1;
        for (int d = k + 1; d < rank; d++) {
            inner *= first[d];
        }
        int outer = 1;
        for (int d = 0; d < k; d++) {
            outer *= first[d];
        }
        for (int i = 0; i < n; i++) {
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
            if (QuantizedOps.isQuantizedType(type)) {
                scales[i] = (float) ctx.inputScale(i);
                zps[i] = ctx.inputZeroPoint(i);
                rescale[i] = !QuantizedOps.sameQuantization(ctx, i, 0);
                if (type == TensorType.INT16 && zps[i] != 0) {
                    throw ctx.unsupported("INT16 input " + i + " must have zero point 0, as TFLite requires");
                }
                if (type != TensorType.UINT8 && rescale[i]) {
                    throw ctx.unsupported(type + " input " + i + " must be quantized as the output (scale "
                            + (float) ctx.outputScale(0) + ", zero point " + ctx.outputZeroPoint(0)
                            + "): only UINT8 inputs are requantized");
                }
            }
        }
        ctx.setOutputShape(0, out);
        boolean quantized = QuantizedOps.isQuantizedType(type);
        ConcatParams p = new ConcatParams(type, inputs, chunks, ctx.output(0), outer, out[k] * inner, scales, zps,
                rescale, quantized ? (float) ctx.outputScale(0) : 0f, quantized ? ctx.outputZeroPoint(0) : 0);
        return new Prepared(p, type == TensorType.UINT8 ? DataMovementKernels.QU8_CONCAT
                : DataMovementKernels.concatFor(type));
    }

    @Override
    public void eval(Prepared p, ExecutionState s) {
        p.kernel().run(p.params(), s);
    }
}
