package dev.whittle.runtime.quant;

import dev.whittle.model.TensorType;

/**
 * The clamp range a fused activation imposes on a kernel's output, as TFLite computes it in
 * {@code kernels/kernel_util.cc} ({@code CalculateActivationRangeQuantized}) and
 * {@code kernels/kernel_util.h} ({@code CalculateActivationRange<float>}).
 *
 * <p>Fused activation codes are the schema's {@code ActivationFunctionType}: NONE = 0,
 * RELU = 1, RELU_N1_TO_1 = 2, RELU6 = 3, TANH = 4, SIGN_BIT = 5. Codes other than 1, 2, 3
 * give the full range of the output type, exactly as TFLite does.
 */
public final class ActivationRange {

    /** {@code ActivationFunctionType.NONE}. */
    public static final int NONE = 0;
    /** {@code ActivationFunctionType.RELU}. */
    public static final int RELU = 1;
    /** {@code ActivationFunctionType.RELU_N1_TO_1}. */
    public static final int RELU_N1_TO_1 = 2;
    /** {@code ActivationFunctionType.RELU6}. */
    public static final int RELU6 = 3;

    private ActivationRange() {
    }

    /** A quantized clamp range, both ends inclusive. */
    public record Quantized(int min, int max) {
    }

    /** A float clamp range, both ends inclusive. */
    public record FloatBounds(float min, float max) {
    }

    /**
     * {@code CalculateActivationRangeQuantized}: starts from the output type's full range
     * (UINT8 0..255, INT8 -128..127, INT16 -32768..32767) and narrows it with the quantized
     * images of 0, 6, -1 and 1. Each image is {@code zeroPoint + (int) TfLiteRound(f / scale)}
     * with the division and the rounding (halves away from zero) done in {@code float},
     * because TFLite keeps {@code scale} as a float and {@code zero_point} as an int32.
     * The bounds are then {@code max(qmin, image)} and {@code min(qmax, image)}.
     *
     * @param scale the output scale; narrowed to float as TFLite stores it
     * @param zeroPoint the output zero point; narrowed to int32 as TFLite stores it
     * @throws IllegalArgumentException for an output type other than UINT8, INT8, INT16, or
     *         when an image does not fit an int32 (TFLite's {@code Quantize} check; a NaN
     *         image, as from a zero scale, fails it too)
     */
    public static Quantized quantized(int fusedActivation, TensorType outType, double scale,
            long zeroPoint) {
        int qmin;
        int qmax;
        switch (outType) {
            case UINT8 -> {
                qmin = 0;
                qmax = 255;
            }
            case INT8 -> {
                qmin = Byte.MIN_VALUE;
                qmax = Byte.MAX_VALUE;
            }
            case INT16 -> {
                qmin = Short.MIN_VALUE;
                qmax = Short.MAX_VALUE;
            }
            default -> throw new IllegalArgumentException(
                    "quantized activation range needs UINT8, INT8 or INT16, not " + outType);
        }
        float s = (float) scale;
        int zp = (int) zeroPoint;
        return switch (fusedActivation) {
            case RELU -> new Quantized(Math.max(qmin, quantize(s, zp, 0.0f)), qmax);
            case RELU6 -> new Quantized(Math.max(qmin, quantize(s, zp, 0.0f)),
                    Math.min(qmax, quantize(s, zp, 6.0f)));
            case RELU_N1_TO_1 -> new Quantized(Math.max(qmin, quantize(s, zp, -1.0f)),
                    Math.min(qmax, quantize(s, zp, 1.0f)));
            default -> new Quantized(qmin, qmax);
        };
    }

    /**
     * The {@code Quantize} helper in {@code kernel_util.cc}: float division, float
     * {@code TfLiteRound}, a range check against the int32 limits converted to float, then the
     * zero point added in int32. The check admits exactly 2^31 (the float image of
     * INT32_MAX), whose conversion is undefined in C++; it is refused here instead.
     */
    static int quantize(float scale, int zeroPoint, float f) {
        float tmp = CppMath.round(f / scale);
        boolean fits = tmp >= (float) Integer.MIN_VALUE && tmp < 0x1p31f;
        if (!fits) {
            throw new IllegalArgumentException("activation bound " + f + " / scale " + scale
                    + " does not fit an int32");
        }
        return zeroPoint + (int) tmp;
    }

    /**
     * {@code CalculateActivationRange<float>}: RELU gives [0, FLT_MAX], RELU6 [0, 6],
     * RELU_N1_TO_1 [-1, 1], anything else [-FLT_MAX, FLT_MAX] ({@code lowest()} and
     * {@code max()}, finite, not infinities).
     */
    public static FloatBounds floatRange(int fusedActivation) {
        return switch (fusedActivation) {
            case RELU -> new FloatBounds(0.0f, Float.MAX_VALUE);
            case RELU6 -> new FloatBounds(0.0f, 6.0f);
            case RELU_N1_TO_1 -> new FloatBounds(-1.0f, 1.0f);
            default -> new FloatBounds(-Float.MAX_VALUE, Float.MAX_VALUE);
        };
    }
}
