package dev.whittle.runtime.ops;

import dev.whittle.model.TensorType;
import dev.whittle.runtime.ExecutionState;
import dev.whittle.runtime.Op;
import dev.whittle.runtime.PrepareContext;
import dev.whittle.runtime.kernels.elementwise.UnaryLutKernels;
import dev.whittle.runtime.kernels.reference.UnaryKernels;
import dev.whittle.runtime.kernels.reference.UnaryParams;

/**
 * DEQUANTIZE to float32 from int8, uint8, int16 (zero point 0, as TFLite requires) (per tensor: {@code float(double(scale) *
 * (q - zeroPoint))}) and from float16 (exact widening). A DEQUANTIZE of a constant, as float16
 * weight models have, is folded at compile time like any op whose inputs are all known.
 * Per-channel input quantization is refused.
 */
public final class Dequantize implements Op<UnaryParams> {
    @Override
    public UnaryParams prepare(PrepareContext ctx) {
        ctx.requireArity(1, 1, 1);
        TensorType in = ctx.inputTensor(0).type();
        if (ctx.outputTensor(0).type() != TensorType.FLOAT32) {
            throw ctx.unsupported("the output must be FLOAT32");
        }
        int[] shape = ctx.inputShape(0);
        ctx.setOutputShape(0, shape);
        int n = OpSupport.product(shape);
        if (in == TensorType.INT16 && ctx.inputZeroPoint(0) != 0) {
            throw ctx.unsupported("int16 input needs zero point 0, has " + ctx.inputZeroPoint(0));
        }
        return switch (in) {
            case FLOAT16 -> new UnaryParams(UnaryKernels.dequantize(in), ctx.input(0), ctx.output(0), n, in,
                    TensorType.FLOAT32, 0, 0, 0, 0, 0, null);
            case INT8, UINT8, INT16 -> UnaryLutKernels.fastest(new UnaryParams(UnaryKernels.dequantize(in),
                    ctx.input(0), ctx.output(0), n, in, TensorType.FLOAT32, ctx.inputZeroPoint(0), 0,
                    (float) ctx.inputScale(0), 0, 0, null));
            default -> throw ctx.unsupported("type " + in + " is not supported");
        };
    }

    @Override
    public void eval(UnaryParams p, ExecutionState s) {
        p.kernel().run(p, s);
    }
}
