package dev.whittle.runtime.ops;

import dev.whittle.model.TensorType;
import dev.whittle.runtime.ExecutionState;
import dev.whittle.runtime.Kernel;
import dev.whittle.runtime.Op;
import dev.whittle.runtime.PrepareContext;
import dev.whittle.runtime.kernels.KernelRegistry;
import dev.whittle.runtime.kernels.elementwise.ElementwiseFamilies;
import dev.whittle.runtime.kernels.reference.ArgMinMaxKernels;

/**
 * ARG_MAX and ARG_MIN of float32, int8, uint8 or int32 input along the axis of the constant
 * one-element INT32/INT64 second input, writing int32 or int64 indices as {@code output_type}
 * says; ties go to the first index. TFLite 2.20 has no int16 kernel for these ops, so int16
 * is refused.
 */
public final class ArgMinMax implements Op<ArgMinMax.Prepared> {
    record Prepared(ArgMinMaxKernels.Params params, Kernel<ArgMinMaxKernels.Params> kernel) {
    }

    private final boolean max;

    ArgMinMax(boolean max) {
        this.max = max;
    }

    @Override
    public Prepared prepare(PrepareContext ctx) {
        ctx.requireArity(2, 2, 1);
        TensorType type = ctx.inputTensor(0).type();
        Kernel<ArgMinMaxKernels.Params> kernel = switch (type) {
            case FLOAT32 -> ArgMinMaxKernels.F32;
            case INT8 -> ArgMinMaxKernels.QS8;
            case UINT8 -> ArgMinMaxKernels.QU8;
            case INT32 -> ArgMinMaxKernels.S32;
            default -> throw ctx.unsupported("input type " + type
                    + " is not one of FLOAT32, INT8, UINT8, INT32 (TFLite 2.20 has no other)");
        };
        TensorType outType = ctx.outputTensor(0).type();
        int declared = ctx.options() == null ? TensorType.INT64.code() : ctx.options().getInt("output_type");
        if ((outType != TensorType.INT32 && outType != TensorType.INT64) || declared != outType.code()) {
            throw ctx.unsupported("output must be INT32 or INT64 and match output_type " + declared);
        }
        TensorType axisType = ctx.inputTensor(1).type();
        if ((axisType != TensorType.INT32 && axisType != TensorType.INT64) || ctx.inputTensor(1).elementCount() != 1) {
            throw ctx.unsupported("axis (input 1) must be one INT32 or INT64 value");
        }
        int[] in = ctx.inputShape(0);
        if (in.length < 1) {
            throw ctx.unsupported("a scalar input is not supported");
        }
        int axis = ctx.constantInts(1)[0];
        int k = axis < 0 ? axis + in.length : axis;
        if (k < 0 || k >= in.length) {
            throw ctx.unsupported("axis " + axis + " out of range");
        }
        int[] out = new int[in.length - 1];
        int outer = 1;
        int inner = 1;
        for (int d = 0, j = 0; d < in.length; d++) {
            if (d < k) {
                outer *= in[d];
            } else if (d > k) {
                inner *= in[d];
            }
            if (d != k) {
                out[j++] = in[d];
            }
        }
        ctx.setOutputShape(0, out);
        ArgMinMaxKernels.Params params = new ArgMinMaxKernels.Params(type, outType, ctx.input(0), ctx.output(0),
                outer, in[k], inner, max);
        return new Prepared(params, KernelRegistry.fastestOr(ElementwiseFamilies.ARG_MIN_MAX, f -> f.create(params),
                kernel));
    }

    @Override
    public void eval(Prepared p, ExecutionState s) {
        p.kernel().run(p.params(), s);
    }
}
