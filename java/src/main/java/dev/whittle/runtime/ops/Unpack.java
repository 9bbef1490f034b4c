package dev.whittle.runtime.ops;

import dev.whittle.model.BuiltinOptions;
import dev.whittle.model.TensorType;
import dev.whittle.runtime.ExecutionState;
import dev.whittle.runtime.Op;
import dev.whittle.runtime.PrepareContext;
import dev.whittle.runtime.kernels.reference.ElementWidth;
import dev.whittle.runtime.kernels.reference.LayoutKernels;
import dev.whittle.runtime.kernels.reference.LayoutKernels.UnpackParams;

import java.util.Arrays;
import java.util.EnumSet;
import java.util.Set;

/**
 * UNPACK: splits the input along {@code axis} (negative counts from the end) into {@code num}
 * outputs, {@code num} being that dimension. Types as TFLite's {@code unpack.cc}: FLOAT32,
 * INT8, UINT8, INT16, INT32, BOOL (no INT64); an empty input is refused as TFLite refuses it,
 * and every output must carry the input's scale and zero point.
 */
public final class Unpack implements Op<UnpackParams> {
    private static final Set<TensorType> TYPES = EnumSet.of(TensorType.FLOAT32, TensorType.INT8, TensorType.UINT8,
            TensorType.INT16, TensorType.INT32, TensorType.BOOL);

    @Override
    public UnpackParams prepare(PrepareContext ctx) {
        BuiltinOptions o = ctx.options();
        int num = o == null ? 0 : o.getInt("num");
        int axisOption = o == null ? 0 : o.getInt("axis");
        if (ctx.outputCount() != num) {
            throw ctx.unsupported("num " + num + " must equal the number of outputs " + ctx.outputCount());
        }
        ctx.requireArity(1, 1, num);
        ElementWidth w = LayoutSupport.width(ctx, TYPES);
        int[] in = ctx.inputShape(0);
        if (OpSupport.product(in) == 0) {
            throw ctx.unsupported("the input is empty");
        }
        int axis = axisOption < 0 ? axisOption + in.length : axisOption;
        if (axis < 0 || axis >= in.length) {
            throw ctx.unsupported("axis " + axisOption + " is outside the rank-" + in.length + " input");
        }
        if (in[axis] != num) {
            throw ctx.unsupported("num " + num + " differs from dimension " + axis + " of the input, " + in[axis]);
        }
        int[] out = new int[in.length - 1];
        for (int d = 0, k = 0; d < in.length; d++) {
            if (d != axis) {
                out[k++] = in[d];
            }
        }
        int[] outputs = new int[num];
        for (int i = 0; i < num; i++) {
            LayoutSupport.requireSameQuantization(ctx, 0, i);
            ctx.setOutputShape(i, out);
            outputs[i] = ctx.output(i);
        }
        int outer = OpSupport.product(Arrays.copyOfRange(in, 0, axis));
        int inner = OpSupport.product(Arrays.copyOfRange(in, axis + 1, in.length));
        return new UnpackParams(LayoutKernels.unpack(w), ctx.input(0), outputs, outer, inner);
    }

    @Override
    public void eval(UnpackParams p, ExecutionState s) {
        p.kernel().run(p, s);
    }
}
