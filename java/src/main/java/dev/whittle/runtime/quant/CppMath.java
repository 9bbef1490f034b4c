package dev.whittle.runtime.quant;

/**
 * The two C++ math library functions TFLite's quantization code depends on, with the
 * C++ semantics rather than Java's: {@code std::frexp} and {@code TfLiteRound}
 * (which is {@code std::round}, rounding halves away from zero; Java's
 * {@link Math#round(double)} rounds halves towards positive infinity instead).
 */
public final class CppMath {

    private CppMath() {
    }

    /**
     * The result of {@link #frexp(double)}: {@code value == fraction * 2^exponent}.
     *
     * @param fraction in [0.5, 1) for positive input, (-1, -0.5] for negative input, 0 for zero
     * @param exponent the power of two
     */
    public record Frexp(double fraction, int exponent) {
    }

    /**
     * {@code std::frexp}: splits a finite double into a fraction with magnitude in [0.5, 1)
     * and a power of two. Zero gives (0, 0) (keeping the sign of zero in the fraction).
     * Subnormal inputs are handled exactly. Both steps are exact: only the exponent changes.
     *
     * @throws IllegalArgumentException for NaN or infinity, where the C++ result is unspecified
     */
    public static Frexp frexp(double value) {
        if (Double.isNaN(value) || Double.isInfinite(value)) {
            throw new IllegalArgumentException("frexp of a non-finite value: " + value);
        }
        if (value == 0.0) {
            return new Frexp(value, 0);
        }
        // Math.getExponent gives e with |value| in [2^e, 2^(e+1)) for normal numbers;
        // subnormals report MIN_EXPONENT - 1, so scale them into the normal range first.
        int bias = 0;
        double v = value;
        if (Math.getExponent(v) < Double.MIN_EXPONENT) {
            v = v * 0x1p54;
            bias = 54;
        }
        int e = Math.getExponent(v) + 1;
        double fraction = Math.scalb(v, -e);
        return new Frexp(fraction, e - bias);
    }

    /**
     * {@code TfLiteRound(double)} = {@code std::round}: nearest integer, halves away from zero.
     * Computed with an exact floor and an exact subtraction, so no value just below one half
     * is pushed over it by the addition of 0.5.
     */
    public static double round(double x) {
        if (Double.isNaN(x) || Double.isInfinite(x)) {
            return x;
        }
        double a = Math.abs(x);
        double t = Math.floor(a);
        if (a - t >= 0.5) {
            t += 1.0;
        }
        return Math.copySign(t, x);
    }

    /** {@code TfLiteRound(float)} = {@code std::round} on a float: halves away from zero. */
    public static float round(float x) {
        if (Float.isNaN(x) || Float.isInfinite(x)) {
            return x;
        }
        float a = Math.abs(x);
        float t = (float) Math.floor(a);
        if (a - t >= 0.5f) {
            t += 1.0f;
        }
        return Math.copySign(t, x);
    }
}
