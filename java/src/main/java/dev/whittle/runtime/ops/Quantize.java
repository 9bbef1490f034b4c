package dev.whittle.runtime.ops;

import dev.whittle.model.TensorType;
import dev.whittle.runtime.ExecutionState;
import dev.whittle.runtime.Op;
import dev.whittle.runtime.PrepareContext;
import dev.whittle.runtime.kernels.elementwise.UnaryLutKernels;
import dev.whittle.runtime.kernels.reference.UnaryKernels;
import dev.whittle.runtime.kernels.reference.UnaryParams;
import dev.whittle.runtime.quant.QuantizedMultiplier;

/**
 * QUANTIZE as TFLite 2.20's {@code quantize.cc}: float32 to int8/uint8/int16 per tensor
 * ({@code AffineQuantize}); requantization int8/uint8 to int8/uint8 and int16 to int8/int16
 * (int16 to int16 with zero points 0) with one {@code QuantizeMultiplier} of
 * {@code inputScale / outputScale} (double division of the float scales). Equal scales give
 * the multiplier (2^30, shift 1), which is exact, so the zero-point-shift shortcut a build may
 * take computes the same values. Per-channel output quantization is refused.
 */
public final class Quantize implements Op<UnaryParams> {
    @Override
    public UnaryParams prepare(PrepareContext ctx) {
        ctx.requireArity(1, 1, 1);
        TensorType in = ctx.inputTensor(0).type();
        TensorType out = ctx.outputTensor(0).type();
        int[] shape = ctx.inputShape(0);
        ctx.setOutputShape(0, shape);
        int n = OpSupport.product(shape);
        double outScale = (float) ctx.outputScale(0);
        int outZp = ctx.outputZeroPoint(0);
        if (in == TensorType.FLOAT32) {
            if (out != TensorType.INT8 && out != TensorType.UINT8 && out != TensorType.INT16) {
                throw ctx.unsupported("float32 quantizes to INT8, UINT8 or INT16 only");
            }
            return UnaryLutKernels.fastest(new UnaryParams(UnaryKernels.quantize(out), ctx.input(0), ctx.output(0), n,
                    in, out, 0, outZp, outScale, 0, 0, null));
        }
        boolean ok = switch (in) {
            case INT8, UINT8 -> out == TensorType.INT8 || out == TensorType.UINT8;
            case INT16 -> out == TensorType.INT8 || out == TensorType.INT16;
            default -> false;
        };
        if (!ok) {
            throw ctx.unsupported("requantizing " + in + " to " + out + " is not supported");
        }
        int inZp = ctx.inputZeroPoint(0);
        if (in == TensorType.INT16 && out == TensorType.INT16 && (inZp != 0 || outZp != 0)) {
            throw ctx.unsupported("int16 to int16 needs zero points 0, has " + inZp + " and " + outZp);
        }
        double real = (double) (float) ctx.inputScale(0) / outScale;
        QuantizedMultiplier m = QuantizedMultiplier.of(real);
        if (m.shift() > 30) {
            throw ctx.unsupported("rescale " + real + " is out of range");
        }
        return UnaryLutKernels.fastest(new UnaryParams(UnaryKernels.requantize(in, out), ctx.input(0), ctx.output(0),
                n, in, out, inZp, outZp, 0, m.multiplier(), m.shift(), null));
    }

    @Override
    public void eval(UnaryParams p, ExecutionState s) {
        p.kernel().run(p, s);
    }
}
