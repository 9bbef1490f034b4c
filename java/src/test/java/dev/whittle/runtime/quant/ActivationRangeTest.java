package dev.whittle.runtime.quant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.whittle.model.TensorType;
import org.junit.jupiter.api.Test;

class ActivationRangeTest {

    private static ActivationRange.Quantized range(int act, TensorType type, double scale, long zp) {
        return ActivationRange.quantized(act, type, scale, zp);
    }

    private static ActivationRange.Quantized q(int min, int max) {
        return new ActivationRange.Quantized(min, max);
    }

    @Test
    void noneGivesTheTypesFullRange() {
        assertEquals(q(0, 255), range(ActivationRange.NONE, TensorType.UINT8, 0.1, 10));
        assertEquals(q(-128, 127), range(ActivationRange.NONE, TensorType.INT8, 0.1, 10));
        assertEquals(q(-32768, 32767), range(ActivationRange.NONE, TensorType.INT16, 0.1, 0));
        // Codes other than RELU, RELU_N1_TO_1 and RELU6 (here TANH = 4) do not narrow.
        assertEquals(q(-128, 127), range(4, TensorType.INT8, 0.1, 0));
        // NONE never divides by the scale, so a zero scale is not an error there.
        assertEquals(q(-128, 127), range(ActivationRange.NONE, TensorType.INT8, 0.0, 0));
    }

    @Test
    void reluAndRelu6() {
        assertEquals(q(10, 255), range(ActivationRange.RELU, TensorType.UINT8, 0.1f, 10));
        // 6 / 0.1f rounds to 60.0f in float.
        assertEquals(q(10, 70), range(ActivationRange.RELU6, TensorType.UINT8, 0.1f, 10));
        assertEquals(q(-128, 127), range(ActivationRange.RELU, TensorType.INT8, 0.05f, -128));
        assertEquals(q(-128, -8), range(ActivationRange.RELU6, TensorType.INT8, 0.05f, -128));
        assertEquals(q(0, 32767), range(ActivationRange.RELU, TensorType.INT16, 1e-3f, 0));
        assertEquals(q(0, 6000), range(ActivationRange.RELU6, TensorType.INT16, 1e-3f, 0));
        // A zero point above the type's range: max(qmin, image) keeps the image.
        assertEquals(q(300, 255), range(ActivationRange.RELU, TensorType.UINT8, 1.0, 300));
    }

    @Test
    void reluN1To1() {
        assertEquals(q(-128, 127), range(ActivationRange.RELU_N1_TO_1, TensorType.INT8, 0.0078125, 0));
        assertEquals(q(-123, 127), range(ActivationRange.RELU_N1_TO_1, TensorType.INT8, 0.0078125, 5));
        assertEquals(q(0, 255), range(ActivationRange.RELU_N1_TO_1, TensorType.UINT8, 0.0078125, 128));
        assertEquals(q(-100, 100), range(ActivationRange.RELU_N1_TO_1, TensorType.INT16, 0.01f, 0));
    }

    @Test
    void imagesRoundHalfAwayFromZero() {
        // 6 / 4 = 1.5 -> 2; -1 / 2 = -0.5 -> -1 and 1 / 2 = 0.5 -> 1.
        assertEquals(q(0, 2), range(ActivationRange.RELU6, TensorType.UINT8, 4.0, 0));
        assertEquals(q(-1, 1), range(ActivationRange.RELU_N1_TO_1, TensorType.INT8, 2.0, 0));
        assertEquals(q(2, 4), range(ActivationRange.RELU_N1_TO_1, TensorType.INT8, 2.0, 3));
    }

    @Test
    void refusals() {
        assertThrows(IllegalArgumentException.class,
                () -> range(ActivationRange.RELU, TensorType.FLOAT32, 0.1, 0));
        assertThrows(IllegalArgumentException.class,
                () -> range(ActivationRange.RELU, TensorType.INT32, 0.1, 0));
        // 0 / 0 is NaN, which fails TFLite's int32 range check.
        assertThrows(IllegalArgumentException.class,
                () -> range(ActivationRange.RELU, TensorType.INT8, 0.0, 0));
        // 6 / 1e-12 does not fit an int32.
        assertThrows(IllegalArgumentException.class,
                () -> range(ActivationRange.RELU6, TensorType.INT8, 1e-12, 0));
    }

    @Test
    void floatRanges() {
        assertEquals(new ActivationRange.FloatBounds(-Float.MAX_VALUE, Float.MAX_VALUE),
                ActivationRange.floatRange(ActivationRange.NONE));
        assertEquals(new ActivationRange.FloatBounds(0f, Float.MAX_VALUE),
                ActivationRange.floatRange(ActivationRange.RELU));
        assertEquals(new ActivationRange.FloatBounds(0f, 6f),
                ActivationRange.floatRange(ActivationRange.RELU6));
        assertEquals(new ActivationRange.FloatBounds(-1f, 1f),
                ActivationRange.floatRange(ActivationRange.RELU_N1_TO_1));
        assertEquals(new ActivationRange.FloatBounds(-Float.MAX_VALUE, Float.MAX_VALUE),
                ActivationRange.floatRange(4));
    }
}
