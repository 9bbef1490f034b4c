package dev.whittle.runtime.ops;

import dev.whittle.model.TensorType;
import dev.whittle.runtime.ExecutionState;
import dev.whittle.runtime.Op;
import dev.whittle.runtime.PrepareContext;
import dev.whittle.runtime.kernels.reference.ActivationKernels;
import dev.whittle.runtime.kernels.reference.ActivationParams;
import dev.whittle.runtime.quant.FixedPoint16;
import dev.whittle.runtime.quant.QuantizedMultiplier;

/**
 * HARD_SWISH, {@code x * relu6(x + 3) / 6}: float32, int8 and uint8. The quantized parameters
 * are TFLite's {@code HardSwishPrepare}, all in float: the input scale divided by 128 (the
 * "hires" scale), the output multiplier {@code hires / outputScale} and the "reluish"
 * multiplier {@code hires / (3 / 32768)}, each through {@code QuantizeMultiplier} and then
 * rounded to int16. TFLite refuses an output multiplier exponent above 0 (an output scale below
 * about 1/128 of the input scale); so does this op. int16 is not supported (nor by TFLite).
 */
public final class HardSwish implements Op<ActivationParams> {
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
        return switch (type) {
            case FLOAT32 -> new ActivationParams(ActivationKernels.F32_HARD_SWISH, ctx.input(0), ctx.output(0), n, type,
                    0, 0, 0, 0, 0, 0, 0, 0, 0f, 0f, 0f);
            case INT8, UINT8 -> {
                float hires = (1.0f / 128.0f) * (float) ctx.inputScale(0);
                float reluishScale = 3.0f / 32768.0f;
                QuantizedMultiplier out = QuantizedActivations.multiplier(ctx, hires / (float) ctx.outputScale(0),
                        "output multiplier");
                if (out.shift() > 0) {
                    throw ctx.unsupported("the output multiplier " + hires / (float) ctx.outputScale(0)
                            + " must be below 1 (output scale at least 1/128 of the input scale)");
                }
                QuantizedMultiplier reluish = QuantizedActivations.multiplier(ctx, hires / reluishScale,
                        "reluish multiplier");
                yield new ActivationParams(ActivationKernels.hardSwish(type), ctx.input(0), ctx.output(0), n, type,
                        ctx.inputZeroPoint(0), ctx.outputZeroPoint(0),
                        FixedPoint16.downScaleMultiplier(out.multiplier()), out.shift(),
                        FixedPoint16.downScaleMultiplier(reluish.multiplier()), reluish.shift(), 0, 0, 0f, 0f, 0f);
            }
            default -> throw ctx.unsupported("type " + type + " is not supported");
        };
    }

    @Override
    public void eval(ActivationParams p, ExecutionState s) {
        p.kernel().run(p, s);
    }
}
