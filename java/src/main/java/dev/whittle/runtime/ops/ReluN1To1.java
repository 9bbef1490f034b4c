package dev.whittle.runtime.ops;

/** RELU_N1_TO_1: float32 {@code min(max(x, -1), 1)}; int8, uint8 requantized and clamped to [-1, 1] (TFLite has no int16). */
public final class ReluN1To1 extends ReluFamily {
    public ReluN1To1() {
        super("relu_n1_to_1", -1f, 1f, false);
    }
}
