package dev.whittle.runtime.ops;

/** RELU: float32 {@code max(x, 0)}; int8, uint8, int16 (zero points 0) requantized and clamped at 0. */
public final class Relu extends ReluFamily {
    public Relu() {
        super("relu", 0f, Float.POSITIVE_INFINITY, true);
    }
}
