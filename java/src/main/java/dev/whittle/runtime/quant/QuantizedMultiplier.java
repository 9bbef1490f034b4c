package dev.whittle.runtime.quant;

/**
 * A real multiplier in TFLite's quantized form: {@code real ~= multiplier * 2^(shift - 31)}
 * where {@code multiplier} is a Q0.31 value in [2^30, 2^31) (or 0, or negative for a negative
 * real) and {@code shift} is a left shift when positive and a right shift when negative.
 *
 * <p>Produced by {@link #of(double)}, which mirrors TFLite's {@code QuantizeMultiplier} in
 * {@code kernels/internal/quantization_util.cc} in its default build (neither
 * {@code TFLITE_SINGLE_ROUNDING} nor {@code TFLITE_EMULATE_FLOAT}).
 *
 * @param multiplier the Q0.31 significand
 * @param shift the power-of-two exponent (positive = left shift)
 */
public record QuantizedMultiplier(int multiplier, int shift) {

    private static final long TWO_POW_31 = 1L << 31;

    /**
     * TFLite's {@code QuantizeMultiplier}:
     * <ol>
     * <li>0 gives (0, 0);</li>
     * <li>otherwise {@code q, shift = frexp(real)} and {@code qFixed = TfLiteRound(q * 2^31)}
     *     (halves away from zero);</li>
     * <li>if rounding reached 2^31 exactly (q just below 1), halve it and increment shift;</li>
     * <li>if shift &lt; -31 every bit would be shifted out, so the multiplier is flushed to
     *     (0, 0).</li>
     * </ol>
     * The default build has no upper clamp on the shift: the "shift &gt; 30 becomes
     * (2^31 - 1, 30)" saturation exists only under {@code TFLITE_SINGLE_ROUNDING}, so it is
     * not applied here.
     *
     * @throws IllegalArgumentException for NaN or infinity (TFLite's behaviour is undefined)
     */
    public static QuantizedMultiplier of(double realMultiplier) {
        if (realMultiplier == 0.0) {
            return new QuantizedMultiplier(0, 0);
        }
        CppMath.Frexp f = CppMath.frexp(realMultiplier);
        int shift = f.exponent();
        // |q| < 1 so |q * 2^31| <= 2^31: exact in a double, and the rounded value fits a long.
        long qFixed = (long) CppMath.round(f.fraction() * TWO_POW_31);
        if (qFixed == TWO_POW_31) {
            qFixed /= 2;
            shift++;
        }
        if (shift < -31) {
            shift = 0;
            qFixed = 0;
        }
        return new QuantizedMultiplier((int) qFixed, shift);
    }

    /**
     * TFLite's {@code QuantizeMultiplierGreaterThanOne}: {@link #of(double)} for a real
     * multiplier that must be &gt; 1, giving a non-negative (left) shift.
     *
     * @throws IllegalArgumentException if the multiplier is not &gt; 1
     */
    public static QuantizedMultiplier ofGreaterThanOne(double realMultiplier) {
        if (!(realMultiplier > 1.0)) {
            throw new IllegalArgumentException("multiplier must be > 1: " + realMultiplier);
        }
        QuantizedMultiplier q = of(realMultiplier);
        if (q.shift < 0) {
            throw new IllegalArgumentException("negative left shift for " + realMultiplier);
        }
        return q;
    }

    /**
     * TFLite's {@code QuantizeMultiplierSmallerThanOneExp}: {@link #of(double)} for a real
     * multiplier in (0, 1), giving a shift &lt;= 0 (a right shift, kept as a negative exponent).
     *
     * @throws IllegalArgumentException if the multiplier is not in (0, 1)
     */
    public static QuantizedMultiplier ofSmallerThanOne(double realMultiplier) {
        if (!(realMultiplier > 0.0 && realMultiplier < 1.0)) {
            throw new IllegalArgumentException("multiplier must be in (0, 1): " + realMultiplier);
        }
        QuantizedMultiplier q = of(realMultiplier);
        if (q.shift > 0) {
            throw new IllegalArgumentException("positive shift for " + realMultiplier);
        }
        return q;
    }

    /** The real value this pair stands for: {@code multiplier * 2^(shift - 31)}. */
    public double toDouble() {
        return Math.scalb((double) multiplier, shift - 31);
    }
}
