package dev.whittle.runtime.ops;

/** LOGISTIC (sigmoid), float32: {@code 1 / (1 + exp(-x))}, computed in double and rounded once. */
public final class Logistic extends UnaryFloat {
    @Override
    float apply(float x) {
        return (float) (1.0 / (1.0 + Math.exp(-(double) x)));
    }
}
