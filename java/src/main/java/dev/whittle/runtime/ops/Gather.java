package dev.whittle.runtime.ops;

import dev.whittle.model.BuiltinOptions;
import dev.whittle.model.TensorType;
import dev.whittle.runtime.ExecutionState;
import dev.whittle.runtime.Op;
import dev.whittle.runtime.PrepareContext;
import dev.whittle.runtime.kernels.reference.ElementWidth;
import dev.whittle.runtime.kernels.reference.LayoutKernels;
import dev.whittle.runtime.kernels.reference.LayoutKernels.GatherParams;

import java.util.EnumSet;
import java.util.Set;

/**
 * GATHER: slices of the input along {@code axis} picked by INT16, INT32 or INT64 positions,
 * with {@code batch_dims} (negative counts from the positions' rank) as TFLite's
 * {@code gather.cc} checks and computes it. Output shape: {@code input[:axis] +
 * positions[batch_dims:] + input[axis + 1:]}. A position outside {@code [0, dim)} fails the
 * invoke with {@link dev.whittle.InvalidInputException}, where TFLite's invoke fails too.
 * Types: FLOAT32, FLOAT16, BFLOAT16, INT8, UINT8, INT16, INT32, INT64, BOOL.
 */
public final class Gather implements Op<GatherParams> {
    private static final Set<TensorType> TYPES = EnumSet.of(TensorType.FLOAT32, TensorType.FLOAT16,
            TensorType.BFLOAT16, TensorType.INT8, TensorType.UINT8, TensorType.INT16, TensorType.INT32,
            TensorType.INT64, TensorType.BOOL);

    @Override
    public GatherParams prepare(PrepareContext ctx) {
        ctx.requireArity(2, 2, 1);
        ElementWidth w = LayoutSupport.width(ctx, TYPES);
        TensorType posType = ctx.inputTensor(1).type();
        if (posType != TensorType.INT16 && posType != TensorType.INT32 && posType != TensorType.INT64) {
            throw ctx.unsupported("positions must be INT16, INT32 or INT64, are " + posType);
        }
        BuiltinOptions o = ctx.options();
        int axisOption = o == null ? 0 : o.getInt("axis");
        int batchOption = o == null ? 0 : o.getInt("batch_dims");
        int[] in = ctx.inputShape(0);
        int[] pos = ctx.inputShape(1);
        int axis = axisOption < 0 ? axisOption + in.length : axisOption;
        if (axis < 0 || axis >= in.length) {
            throw ctx.unsupported("axis " + axisOption + " is outside the rank-" + in.length + " input");
        }
        int batchDims = batchOption < 0 ? batchOption + pos.length : batchOption;
        if (batchDims > axis || batchDims < 0 || batchDims >= in.length || batchDims > pos.length) {
            throw ctx.unsupported("batch_dims " + batchOption + " does not fit axis " + axis + ", input rank "
                    + in.length + " and positions rank " + pos.length);
        }
        for (int i = 0; i < batchDims; i++) {
            if (in[i] != pos[i]) {
                throw ctx.unsupported("batch dimension " + i + " differs between input and positions");
            }
        }
        int[] out = new int[in.length + pos.length - 1 - batchDims];
        int k = 0;
        for (int i = 0; i < axis; i++) {
            out[k++] = in[i];
        }
        for (int i = batchDims; i < pos.length; i++) {
            out[k++] = pos[i];
        }
        for (int i = axis + 1; i < in.length; i++) {
            out[k++] = in[i];
        }
        ctx.setOutputShape(0, out);
        int batch = 1;
        for (int i = 0; i < batchDims; i++) {
            batch *= in[i];
        }
        int outer = 1;
        for (int i = batchDims; i < axis; i++) {
            outer *= in[i];
        }
        int inner = 1;
        for (int i = axis + 1; i < in.length; i++) {
            inner *= in[i];
        }
        int coords = 1;
        for (int i = batchDims; i < pos.length; i++) {
            coords *= pos[i];
        }
        return new GatherParams(LayoutKernels.gather(w), ctx.input(0), ctx.input(1), ElementWidth.of(posType),
                ctx.output(0), batch, outer, in[axis], coords, inner);
    }

    @Override
    public void eval(GatherParams p, ExecutionState s) {
        p.kernel().run(p, s);
    }
}
