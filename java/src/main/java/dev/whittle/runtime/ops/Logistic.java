package dev.whittle.runtime.ops;

import dev.whittle.model.TensorType;
import dev.whittle.runtime.PrepareContext;

/**
 * LOGISTIC (sigmoid). float32: {@code 1 / (1 + exp(-x))} in double, rounded once. int8/uint8:
 * TFLite's table of {@code 1.0f / (1.0f + expf(-x))}; the output scale must be exactly 1/256
 * (TFLite's generic kernel checks the scale only, not the zero point). int16 is not supported.
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
    void checkOutput(PrepareContext ctx, TensorType type) {
        if ((float) ctx.outputScale(0) != 1.0f / 256) {
            throw ctx.unsupported("the output scale must be 1/256, is " + (float) ctx.outputScale(0));
        }
    }
}
