package dev.whittle.runtime.ops;

import dev.whittle.model.TensorType;
import dev.whittle.runtime.ExecutionState;
import dev.whittle.runtime.Op;
import dev.whittle.runtime.PrepareContext;
import dev.whittle.runtime.kernels.reference.ActivationKernels;
import dev.whittle.runtime.kernels.reference.ActivationParams;
import dev.whittle.runtime.quant.CppMath;
import dev.whittle.runtime.quant.QuantizedMultiplier;

/**
 * Base of RELU, RELU6, RELU_N1_TO_1 and RELU_0_TO_1: a clamp to [lo, hi]. float32 clamps;
 * int8/uint8 (and int16 where TFLite has it, zero points 0) requantize by
 * {@code float(inputScale / outputScale)} and clamp to
 * {@code zp + (int) roundf(bound / outputScale)}, limited to the type's range, as TFLite's
 * {@code ReluPrepare} and {@code QuantizedReluX} do.
 */
abstract class ReluFamily implements Op<ActivationParams> {
    private final String op;
    private final float lo;
    private final float hi;
    private final boolean int16;

    ReluFamily(String op, float lo, float hi, boolean int16) {
        this.op = op;
        this.lo = lo;
        this.hi = hi;
        this.int16 = int16;
    }

    @Override
    public final ActivationParams prepare(PrepareContext ctx) {
        ctx.requireArity(1, 1, 1);
        TensorType type = ctx.inputTensor(0).type();
        if (ctx.outputTensor(0).type() != type) {
            throw ctx.unsupported("input and output must have the same type");
        }
        int[] shape = ctx.inputShape(0);
        ctx.setOutputShape(0, shape);
        int n = OpSupport.product(shape);
        if (type == TensorType.FLOAT32) {
            return new ActivationParams(ActivationKernels.f32Clamp(op), ctx.input(0), ctx.output(0), n, type, 0, 0, 0,
                    0, 0, 0, 0, 0, lo, hi, 0f);
        }
        if (type != TensorType.INT8 && type != TensorType.UINT8 && !(type == TensorType.INT16 && int16)) {
            throw ctx.unsupported("type " + type + " is not supported");
        }
        float inScale = (float) ctx.inputScale(0);
        float outScale = (float) ctx.outputScale(0);
        int inZp = ctx.inputZeroPoint(0);
        int outZp = ctx.outputZeroPoint(0);
        if (type == TensorType.INT16 && (inZp != 0 || outZp != 0)) {
            throw ctx.unsupported("int16 zero points must be 0, are " + inZp + " and " + outZp);
        }
        // TFLite divides the two float scales in float, then widens the quotient.
        QuantizedMultiplier m = QuantizedActivations.multiplier(ctx, inScale / outScale, "input/output scale ratio");
        int typeMin = type == TensorType.INT8 ? Byte.MIN_VALUE : type == TensorType.UINT8 ? 0 : Short.MIN_VALUE;
        int typeMax = type == TensorType.INT8 ? Byte.MAX_VALUE : type == TensorType.UINT8 ? 255 : Short.MAX_VALUE;
        int qMin = Math.max(typeMin, outZp + boundImage(ctx, lo, outScale));
        int qMax = hi == Float.POSITIVE_INFINITY ? typeMax : Math.min(typeMax, outZp + boundImage(ctx, hi, outScale));
        return new ActivationParams(ActivationKernels.requantizeClamp(type, op), ctx.input(0), ctx.output(0), n, type,
                inZp, outZp, m.multiplier(), m.shift(), 0, 0, qMin, qMax, 0f, 0f, 0f);
    }

    /** {@code static_cast<int32>(roundf(bound / scale))}, refused where the C++ conversion would overflow. */
    private static int boundImage(PrepareContext ctx, float bound, float scale) {
        float r = CppMath.round(bound / scale);
        if (!(Math.abs(r) < 0x1p31f)) {
            throw ctx.unsupported("the output scale " + scale + " puts the bound " + bound + " outside int32");
        }
        return (int) r;
    }

    @Override
    public final void eval(ActivationParams p, ExecutionState s) {
        p.kernel().run(p, s);
    }
}
