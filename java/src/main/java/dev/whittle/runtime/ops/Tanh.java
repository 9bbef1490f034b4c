package dev.whittle.runtime.ops;

import dev.whittle.runtime.Kernel;
import dev.whittle.runtime.kernels.reference.Int16Activations;
import dev.whittle.runtime.kernels.reference.UnaryParams;

/**
 * TANH. float32: computed in double and rounded once. int8/uint8: TFLite's table of
 * {@code tanhf(x)} (any output quantization, as TFLite's generic kernel accepts).
 * int16: zero points 0, output scale 2^-15, any input scale but the powers of two 2^-12 and
 * 2^-11 (for which TFLite runs gemmlowp's int16 fixed point), through {@link Int16Activations}'
 * interpolated table.
 */
public final class Tanh extends LutActivation {
    public Tanh() {
        super("tanh", Math::tanh);
    }

    @Override
    float transform(float x) {
        return (float) Math.tanh(x);
    }

    @Override
    int maxPotShift() {
        return 1;
    }

    @Override
    Kernel<UnaryParams> int16Kernel() {
        return Int16Activations.QS16_TANH;
    }
}
