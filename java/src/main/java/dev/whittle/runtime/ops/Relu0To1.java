package dev.whittle.runtime.ops;

/** RELU_0_TO_1: float32 {@code min(max(x, 0), 1)}; int8, uint8 requantized and clamped to [0, 1] (TFLite has no int16). */
public final class Relu0To1 extends ReluFamily {
    public Relu0To1() {
        super("relu_0_to_1", 0f, 1f, false);
    }
}
