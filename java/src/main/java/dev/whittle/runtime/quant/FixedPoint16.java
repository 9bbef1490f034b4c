package dev.whittle.runtime.quant;

/**
 * gemmlowp's scalar int16 fixed-point primitives and TFLite's int16 helpers of its quantized
 * HardSwish, with C++'s int16 semantics: every result is converted back to int16 (wrapping)
 * exactly where the C++ assigns to or returns an {@code int16_t}.
 * Sources: gemmlowp {@code fixedpoint/fixedpoint.h} (the {@code std::int16_t}
 * specializations), TFLite {@code kernels/internal/reference/hard_swish.h}.
 */
public final class FixedPoint16 {
    private FixedPoint16() {
    }

    /**
     * gemmlowp {@code SaturatingRoundingDoublingHighMul<int16_t>}: {@code (a * b + nudge) / 2^15}
     * with the nudge {@code 2^14} (or {@code 1 - 2^14} for a negative product) and truncating
     * division; {@code -2^15 * -2^15} saturates to {@code 2^15 - 1}.
     */
    public static short saturatingRoundingDoublingHighMul(short a, short b) {
        if (a == b && a == Short.MIN_VALUE) {
            return Short.MAX_VALUE;
        }
        int ab = a * b;
        int nudge = ab >= 0 ? (1 << 14) : (1 - (1 << 14));
        return (short) ((ab + nudge) / (1 << 15));
    }

    /**
     * TFLite's {@code SaturatingDoublingHighMul} (hard_swish.h): as
     * {@link #saturatingRoundingDoublingHighMul} but truncating towards zero, without a nudge.
     */
    public static short saturatingDoublingHighMul(short a, short b) {
        if (a == b && a == Short.MIN_VALUE) {
            return Short.MAX_VALUE;
        }
        return (short) ((a * b) / (1 << 15));
    }

    /**
     * gemmlowp {@code RoundingDivideByPOT<int16_t>}. The mask {@code 2^exponent - 1} is an
     * int16, so for exponents of 16 and more it is -1 and the function no longer divides (it
     * returns 1 for non-negative x and -1 for negative x); this is reproduced, not fixed.
     */
    public static short roundingDivideByPOT(short x, int exponent) {
        if (exponent < 0 || exponent > 31) {
            throw new IllegalArgumentException("exponent out of [0, 31]: " + exponent);
        }
        short mask = (short) ((1L << exponent) - 1);
        short remainder = (short) (x & mask);
        short threshold = (short) ((mask >> 1) + (x < 0 ? 1 : 0));
        return (short) ((x >> exponent) + (remainder > threshold ? 1 : 0));
    }

    /** TFLite's {@code SaturatingLeftShift} (hard_swish.h): {@code value * 2^amount}, saturated to int16. */
    public static short saturatingLeftShift(short value, int amount) {
        if (amount < 0 || amount > 30) {
            throw new IllegalArgumentException("shift out of [0, 30]: " + amount);
        }
        long r = (long) value * (1L << amount);
        return (short) Math.max(Short.MIN_VALUE, Math.min(Short.MAX_VALUE, r));
    }

    /**
     * TFLite's {@code DownScaleInt32ToInt16Multiplier}: a Q0.31 multiplier rounded to Q0.15,
     * {@code 2^15 - 1} when the rounding would overflow.
     */
    public static short downScaleMultiplier(int multiplier) {
        if (multiplier < 0) {
            throw new IllegalArgumentException("negative multiplier: " + multiplier);
        }
        if (multiplier >= Integer.MAX_VALUE - (1 << 15)) {
            return Short.MAX_VALUE;
        }
        return (short) ((multiplier + (1 << 15)) >> 16);
    }
}
