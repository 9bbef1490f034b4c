package dev.whittle.runtime.ops;

/**
 * TANH. float32: computed in double and rounded once. int8/uint8: TFLite's table of
 * {@code tanhf(x)} (any output quantization, as TFLite's generic kernel accepts). int16 is not
 * supported.
 */
public final class Tanh extends LutActivation {
    public Tanh() {
        super("tanh", Math::tanh);
    }

    @Override
    float transform(float x) {
        return (float) Math.tanh(x);
    }
}
