package dev.whittle.runtime.ops;

import dev.whittle.model.TensorType;
import dev.whittle.runtime.ExecutionState;
import dev.whittle.runtime.Op;
import dev.whittle.runtime.PrepareContext;
import dev.whittle.runtime.kernels.reference.ActivationKernels;
import dev.whittle.runtime.kernels.reference.ActivationParams;
import dev.whittle.runtime.quant.QuantizedMultiplier;

/**
 * LEAKY_RELU: float32 {@code x > 0 ? x : alpha * x}; int8, uint8 and int16 (zero points 0)
 * with TFLite's two multipliers from {@code LeakyReluPrepare}, each computed in float and then
 * widened: identity {@code inputScale / outputScale} for {@code x - zp >= 0}, alpha
 * {@code inputScale * alpha / outputScale} below (alpha may be negative or above 1).
 */
public final class LeakyRelu implements Op<ActivationParams> {
    @Override
    public ActivationParams prepare(PrepareContext ctx) {
        ctx.requireArity(1, 1, 1);
        TensorType type = ctx.inputTensor(0).type();
        if (ctx.outputTensor(0).type() != type) {
            throw ctx.unsupported("input and output must have the same type");
        }
        int[] shape = ctx.inputShape(0);
        ctx.setOutputShape(0, shape);
        int n = OpSupport.product(shape);
        float alpha = ctx.options() == null ? 0.2f : ctx.options().getFloat("alpha");
        return switch (type) {
            case FLOAT32 -> new ActivationParams(ActivationKernels.F32_LEAKY_RELU, ctx.input(0), ctx.output(0), n, type,
                    0, 0, 0, 0, 0, 0, 0, 0, 0f, 0f, alpha);
            case INT8, UINT8, INT16 -> {
                float inScale = (float) ctx.inputScale(0);
                float outScale = (float) ctx.outputScale(0);
                int inZp = ctx.inputZeroPoint(0);
                int outZp = ctx.outputZeroPoint(0);
                if (type == TensorType.INT16 && (inZp != 0 || outZp != 0)) {
                    throw ctx.unsupported("int16 zero points must be 0, are " + inZp + " and " + outZp);
                }
                QuantizedMultiplier identity = QuantizedActivations.multiplier(ctx, inScale / outScale,
                        "input/output scale ratio");
                QuantizedMultiplier slope = QuantizedActivations.multiplier(ctx, inScale * alpha / outScale,
                        "alpha rescale");
                yield new ActivationParams(ActivationKernels.leakyRelu(type), ctx.input(0), ctx.output(0), n, type,
                        inZp, outZp, identity.multiplier(), identity.shift(), slope.multiplier(), slope.shift(), 0, 0,
                        0f, 0f, alpha);
            }
            default -> throw ctx.unsupported("type " + type + " is not supported");
        };
    }

    @Override
    public void eval(ActivationParams p, ExecutionState s) {
        p.kernel().run(p, s);
    }
}
