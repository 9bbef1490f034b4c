package dev.whittle.runtime.ops;

/** TANH, float32, computed in double and rounded once. */
public final class Tanh extends UnaryFloat {
    @Override
    float apply(float x) {
        return (float) Math.tanh(x);
    }
}
