package dev.whittle.runtime.ops;

import dev.whittle.model.TensorType;
import dev.whittle.runtime.Kernel;
import dev.whittle.runtime.PrepareContext;
import dev.whittle.runtime.kernels.reference.Int16Activations;
import dev.whittle.runtime.kernels.reference.UnaryParams;

/**
 * LOGISTIC (sigmoid). float32: {@code 1 / (1 + exp(-x))} in double, rounded once. int8/uint8:
 * TFLite's table of {@code 1.0f / (1.0f + expf(-x))}; the output scale must be exactly 1/256
 * (TFLite's generic kernel checks the scale only, not the zero point). int16: zero points 0,
 * output scale 1/32768, any input scale but the powers of two 2^-12 (for which TFLite runs
 * gemmlowp's int16 fixed point), through {@link Int16Activations}' interpolated table.
 */
public final class Logistic extends LutActivation {
    public Logistic() {
        super("logistic", x -> 1.0 / (1.0 + Math.exp(-x)));
    }

    @Override
    float transform(float x) {
        return 1.0f / (1.0f + (float) Math.exp(-x));
    }

    @Override
    int maxPotShift() {
        return 0;
    }

    @Override
    Kernel<UnaryParams> int16Kernel() {
        return Int16Activations.QS16_LOGISTIC;
    }

    @Override
    void checkInt16Output(PrepareContext ctx) {
        if ((float) ctx.outputScale(0) != 1.0f / 32768) {
            throw ctx.unsupported("the int16 output scale must be 1/32768, is " + (float) ctx.outputScale(0));
        }
    }

    @Override
    void checkOutput(PrepareContext ctx, TensorType type) {
        if ((float) ctx.outputScale(0) != 1.0f / 256) {
            throw ctx.unsupported("the output scale must be 1/256, is " + (float) ctx.outputScale(0));
        }
    }
}
