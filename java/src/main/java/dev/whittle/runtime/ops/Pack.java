package dev.whittle.runtime.ops;

import dev.whittle.model.BuiltinOptions;
import dev.whittle.model.TensorType;
import dev.whittle.runtime.ExecutionState;
import dev.whittle.runtime.Op;
import dev.whittle.runtime.PrepareContext;
import dev.whittle.runtime.kernels.reference.ElementWidth;
import dev.whittle.runtime.kernels.reference.LayoutKernels;
import dev.whittle.runtime.kernels.reference.LayoutKernels.PackParams;

import java.util.Arrays;
import java.util.EnumSet;
import java.util.Set;

/**
 * PACK: {@code values_count} inputs of one shape stacked along a new dimension {@code axis}
 * (negative counts from the end of the output). Types as TFLite's {@code pack.cc}: FLOAT32,
 * INT8, UINT8, INT16, INT32, UINT32, INT64 (no BOOL); every input must carry the output's
 * scale and zero point.
 */
public final class Pack implements Op<PackParams> {
    private static final Set<TensorType> TYPES = EnumSet.of(TensorType.FLOAT32, TensorType.INT8, TensorType.UINT8,
            TensorType.INT16, TensorType.INT32, TensorType.UINT32, TensorType.INT64);

    @Override
    public PackParams prepare(PrepareContext ctx) {
        BuiltinOptions o = ctx.options();
        int count = o == null ? 0 : o.getInt("values_count");
        int axisOption = o == null ? 0 : o.getInt("axis");
        if (count < 1 || ctx.inputCount() != count) {
            throw ctx.unsupported("values_count " + count + " must equal the number of inputs " + ctx.inputCount());
        }
        ctx.requireArity(count, count, 1);
        ElementWidth w = LayoutSupport.width(ctx, TYPES);
        int[] in = ctx.inputShape(0);
        int axis = axisOption < 0 ? axisOption + in.length + 1 : axisOption;
        if (axis < 0 || axis > in.length) {
            throw ctx.unsupported("axis " + axisOption + " is outside the rank-" + (in.length + 1) + " output");
        }
        int[] inputs = new int[count];
        for (int i = 0; i < count; i++) {
            if (ctx.input(i) < 0) {
                throw ctx.unsupported("input " + i + " is omitted");
            }
            if (!Arrays.equals(ctx.inputShape(i), in) || ctx.inputTensor(i).type() != ctx.inputTensor(0).type()) {
                throw ctx.unsupported("input " + i + " must have input 0's type and shape " + Arrays.toString(in));
            }
            LayoutSupport.requireSameQuantization(ctx, i, 0);
            inputs[i] = ctx.input(i);
        }
        int[] out = new int[in.length + 1];
        for (int d = 0, k = 0; d < out.length; d++) {
            out[d] = d == axis ? count : in[k++];
        }
        ctx.setOutputShape(0, out);
        int outer = OpSupport.product(Arrays.copyOfRange(in, 0, axis));
        int inner = OpSupport.product(Arrays.copyOfRange(in, axis, in.length));
        return new PackParams(LayoutKernels.pack(w), inputs, ctx.output(0), outer, inner);
    }

    @Override
    public void eval(PackParams p, ExecutionState s) {
        p.kernel().run(p, s);
    }
}
