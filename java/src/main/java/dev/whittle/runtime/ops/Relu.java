package dev.whittle.runtime.ops;

/** RELU, float32: {@code max(x, 0)}. */
public final class Relu extends UnaryFloat {
    @Override
    float apply(float x) {
        return Math.max(x, 0f);
    }
}
