package dev.whittle.runtime.ops;

/** RELU6, float32: {@code min(max(x, 0), 6)}. */
public final class Relu6 extends UnaryFloat {
    @Override
    float apply(float x) {
        return Math.min(Math.max(x, 0f), 6f);
    }
}
