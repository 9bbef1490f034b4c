package dev.whittle.runtime.ops;

/** RELU6: float32 {@code min(max(x, 0), 6)}; int8, uint8, int16 (zero points 0) requantized and clamped to [0, 6]. */
public final class Relu6 extends ReluFamily {
    public Relu6() {
        super("relu6", 0f, 6f, true);
    }
}
