package dev.whittle.runtime.quant;

/**
 * gemmlowp's scalar int32 fixed-point primitives and TFLite's
 * {@code MultiplyByQuantizedMultiplier} family built on them.
 *
 * <p>The multiply-by-quantized-multiplier functions follow TFLite's default build, in which
 * {@code TFLITE_SINGLE_ROUNDING} is off: the int32 variant rounds twice (once in
 * {@link #saturatingRoundingDoublingHighMul}, once in {@link #roundingDivideByPOT}).
 * Sources: gemmlowp {@code fixedpoint/fixedpoint.h}, TFLite {@code kernels/internal/common.h}
 * and {@code common.cc}.
 */
public final class FixedPoint {

    private FixedPoint() {
    }

    /**
     * gemmlowp {@code SaturatingRoundingDoublingHighMul} (int32; ARM's VQRDMULH): the integer
     * nearest to {@code a * b / 2^31}. The 64-bit product gets a nudge of {@code 2^30} when
     * non-negative and {@code 1 - 2^30} when negative, then is divided by {@code 2^31} with
     * C's truncating division. That equals {@code floor((a * b + 2^30) / 2^31)}: exact halves
     * round towards positive infinity (1.5 gives 2, -1.5 gives -1), unlike
     * {@link #roundingDivideByPOT}. The one product that does not fit,
     * {@code MIN_VALUE * MIN_VALUE} (i.e. -1 * -1 = 1), saturates to {@code MAX_VALUE}.
     */
    public static int saturatingRoundingDoublingHighMul(int a, int b) {
        if (a == Integer.MIN_VALUE && b == Integer.MIN_VALUE) {
            return Integer.MAX_VALUE;
        }
        long ab = (long) a * (long) b;
        long nudge = ab >= 0 ? (1L << 30) : (1L - (1L << 30));
        // Java's long division truncates toward zero, like C++'s.
        return (int) ((ab + nudge) / (1L << 31));
    }

    /**
     * gemmlowp {@code RoundingDivideByPOT}: {@code x / 2^exponent} rounded to nearest with
     * halves away from zero. The arithmetic shift floors; one is added back when the
     * discarded bits exceed a threshold of half the divisor minus one ulp, raised by one for
     * negative x (so a negative exact half is not rounded up towards zero).
     * Example: -5 / 2 = -2.5 gives -3; 5 / 2 gives 3; -3 / 2 = -1.5 gives -2.
     *
     * @param exponent 0..31, as gemmlowp asserts
     */
    public static int roundingDivideByPOT(int x, int exponent) {
        if (exponent < 0 || exponent > 31) {
            throw new IllegalArgumentException("exponent out of [0, 31]: " + exponent);
        }
        int mask = (int) ((1L << exponent) - 1);
        int remainder = x & mask;
        int threshold = (mask >> 1) + (x < 0 ? 1 : 0);
        return (x >> exponent) + (remainder > threshold ? 1 : 0);
    }

    /**
     * gemmlowp {@code SaturatingRoundingMultiplyByPOT<exponent>} on int32: for a positive
     * exponent, a left shift that saturates to {@code MIN_VALUE}/{@code MAX_VALUE} when the
     * magnitude exceeds {@code 2^(31 - exponent) - 1}; for a negative exponent,
     * {@link #roundingDivideByPOT} by {@code -exponent}; zero is the identity.
     */
    public static int saturatingRoundingMultiplyByPOT(int x, int exponent) {
        if (exponent == 0) {
            return x;
        }
        if (exponent < 0) {
            return roundingDivideByPOT(x, -exponent);
        }
        if (exponent > 31) {
            throw new IllegalArgumentException("exponent above 31: " + exponent);
        }
        int threshold = (int) ((1L << (31 - exponent)) - 1);
        if (x > threshold) {
            return Integer.MAX_VALUE;
        }
        if (x < -threshold) {
            return Integer.MIN_VALUE;
        }
        return x << exponent;
    }

    /**
     * gemmlowp {@code Rescale<dstIntegerBits>} from a Q{@code srcIntegerBits} value: changes
     * the number of integer bits with {@link #saturatingRoundingMultiplyByPOT} by
     * {@code srcIntegerBits - dstIntegerBits}.
     */
    public static int rescale(int raw, int srcIntegerBits, int dstIntegerBits) {
        return saturatingRoundingMultiplyByPOT(raw, srcIntegerBits - dstIntegerBits);
    }

    /**
     * gemmlowp {@code RoundingHalfSum} (int32; ARM's VRHADD): {@code (a + b) / 2} computed in
     * 64 bits, with halves rounded away from zero (add the sign, then truncate).
     */
    public static int roundingHalfSum(int a, int b) {
        long sum = (long) a + (long) b;
        long sign = sum >= 0 ? 1 : -1;
        return (int) ((sum + sign) / 2);
    }

    /**
     * TFLite {@code MultiplyByQuantizedMultiplier(int32_t x, int32_t multiplier, int shift)},
     * double-rounding version (the default, {@code TFLITE_SINGLE_ROUNDING} off): a positive
     * shift is applied first as a plain left shift of x (wrapping, as the C++ does in
     * practice), then {@link #saturatingRoundingDoublingHighMul} by the multiplier, then a
     * negative shift as {@link #roundingDivideByPOT}. Both roundings are to nearest; the
     * first sends halves towards positive infinity, the second away from zero.
     */
    public static int multiplyByQuantizedMultiplier(int x, int quantizedMultiplier, int shift) {
        int leftShift = shift > 0 ? shift : 0;
        int rightShift = shift > 0 ? 0 : -shift;
        return roundingDivideByPOT(
                saturatingRoundingDoublingHighMul(x * (1 << leftShift), quantizedMultiplier),
                rightShift);
    }

    /** {@link #multiplyByQuantizedMultiplier(int, int, int)} with a {@link QuantizedMultiplier}. */
    public static int multiplyByQuantizedMultiplier(int x, QuantizedMultiplier m) {
        return multiplyByQuantizedMultiplier(x, m.multiplier(), m.shift());
    }

    /**
     * TFLite {@code MultiplyByQuantizedMultiplier(int64_t x, int32_t multiplier, int shift)},
     * used by the 16x8 kernels. It is the same code in both builds: the multiplier is first
     * reduced to 15 fractional bits, {@code (multiplier + 2^15) >> 16}, or 0x7FFF when the
     * multiplier is at least 0x7FFF0000 (where that rounding would reach 2^15); then
     * {@code (x * reduced + 2^(total - 1)) >> total} with {@code total = 15 - shift}, i.e. a
     * single rounding with halves rounded towards positive infinity (not away from zero).
     * The result is truncated to 32 bits as the C++ {@code int32_t} conversion does.
     * TFLite asserts {@code multiplier >= 0} and {@code -31 <= shift < 8}, which are checked
     * here; its third assertion, {@code -2^47 <= x < 2^47}, is compiled out of release builds
     * (plain {@code assert}), so x is not checked and the 64-bit product wraps as in C++.
     */
    public static int multiplyByQuantizedMultiplier(long x, int quantizedMultiplier, int shift) {
        if (quantizedMultiplier < 0) {
            throw new IllegalArgumentException("negative multiplier: " + quantizedMultiplier);
        }
        if (shift < -31 || shift >= 8) {
            throw new IllegalArgumentException("shift out of [-31, 8): " + shift);
        }
        int reduced = quantizedMultiplier < 0x7FFF0000
                ? (quantizedMultiplier + (1 << 15)) >> 16
                : 0x7FFF;
        int totalShift = 15 - shift;
        long result = x * (long) reduced + (1L << (totalShift - 1));
        return (int) (result >> totalShift);
    }

    /**
     * TFLite {@code MultiplyByQuantizedMultiplierSmallerThanOneExp}: no left shift;
     * {@link #saturatingRoundingDoublingHighMul} then {@link #roundingDivideByPOT} by
     * {@code -leftShift} (so {@code leftShift} must be &lt;= 0).
     */
    public static int multiplyByQuantizedMultiplierSmallerThanOneExp(
            int x, int quantizedMultiplier, int leftShift) {
        return roundingDivideByPOT(
                saturatingRoundingDoublingHighMul(x, quantizedMultiplier), -leftShift);
    }

    /**
     * TFLite {@code MultiplyByQuantizedMultiplierGreaterThanOne}: a plain (wrapping) left
     * shift of x by {@code leftShift} &gt;= 0, then {@link #saturatingRoundingDoublingHighMul}.
     */
    public static int multiplyByQuantizedMultiplierGreaterThanOne(
            int x, int quantizedMultiplier, int leftShift) {
        return saturatingRoundingDoublingHighMul(x * (1 << leftShift), quantizedMultiplier);
    }

    /** Clamps a value into [min, max], as the kernels do with the activation range. */
    public static int clamp(int value, int min, int max) {
        return Math.max(min, Math.min(max, value));
    }

    /** Saturates a 64-bit value to the int32 range. */
    public static int saturateToInt(long value) {
        if (value > Integer.MAX_VALUE) {
            return Integer.MAX_VALUE;
        }
        if (value < Integer.MIN_VALUE) {
            return Integer.MIN_VALUE;
        }
        return (int) value;
    }

    /**
     * gemmlowp's {@code SaturatingAdd} for int16 (the only width gemmlowp saturates): the
     * sum clamped into [-32768, 32767].
     */
    public static short saturatingAdd16(short a, short b) {
        return (short) clamp(a + b, Short.MIN_VALUE, Short.MAX_VALUE);
    }
}
