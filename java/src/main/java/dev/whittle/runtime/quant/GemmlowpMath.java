package dev.whittle.runtime.quant;

/**
 * gemmlowp's fixed-point transcendental functions on int32 raw values, as TFLite's softmax,
 * logistic and tanh reference kernels use them, plus the TFLite helpers that prepare their
 * inputs.
 *
 * <p>A value in Q{@code m} ("{@code FixedPoint<int32_t, m>}" in gemmlowp) is a raw int with
 * {@code m} integer bits and {@code 31 - m} fractional bits: {@code real = raw / 2^(31 - m)}.
 * gemmlowp fixes {@code m} at compile time; here it is the {@code integerBits} argument.
 * Results of the transcendental functions are in Q0 (range [-1, 1); "one" is
 * {@code Integer.MAX_VALUE}).
 *
 * <p>Fixed-point multiplication is {@link FixedPoint#saturatingRoundingDoublingHighMul}
 * (integer bits add up), {@code Rescale} is {@link FixedPoint#rescale}, and plain
 * addition/subtraction wrap as gemmlowp's int32 {@code Add}/{@code Sub} do in practice.
 * Sources: gemmlowp {@code fixedpoint/fixedpoint.h}; TFLite
 * {@code kernels/internal/common.h} and {@code quantization_util.cc}.
 */
public final class GemmlowpMath {

    /** Q0 one: gemmlowp's {@code FixedPoint<int32_t, 0>::One()} is the largest raw value. */
    public static final int Q0_ONE = Integer.MAX_VALUE;

    /** exp(-1/8) in Q0.31. */
    private static final int EXP_MINUS_ONE_EIGHTH = 1895147668;
    /** 1/3 in Q0.31. */
    private static final int ONE_THIRD = 715827883;
    /** 48/17 in Q2.29, the Newton-Raphson starting point's constant term. */
    private static final int FORTY_EIGHT_OVER_SEVENTEEN = 1515870810;
    /** -32/17 in Q2.29, the Newton-Raphson starting point's slope. */
    private static final int MINUS_THIRTY_TWO_OVER_SEVENTEEN = -1010580540;
    /** One in Q2.29. */
    private static final int Q2_ONE = 1 << 29;

    /**
     * The barrel shifter of {@code exp_on_negative_values}: exp(-2^k) in Q0.31 for
     * k = -2 .. 4, applied for each set bit of the input's distance below its quarter.
     */
    private static final int[] BARREL_EXPONENTS = {-2, -1, 0, 1, 2, 3, 4};
    private static final int[] BARREL_MULTIPLIERS = {
        1672461947, 1302514674, 790015084, 290630308, 39332535, 720401, 242};

    private GemmlowpMath() {
    }

    /**
     * gemmlowp {@code exp_on_interval_between_negative_one_quarter_and_0_excl}: exp(a) for a
     * Q0 value a in [-1/4, 0). A Taylor expansion around -1/8: with {@code x = a + 1/8},
     * {@code exp(a) = exp(-1/8) * (1 + x + x^2/2 + x^3/6 + x^4/24)}, where the last three
     * terms are computed as {@code ((x^4/4 + x^3) * 1/3 + x^2) / 2} with rounding shifts.
     */
    public static int expOnIntervalBetweenNegativeOneQuarterAnd0Excl(int a) {
        int x = a + (1 << 28);
        int x2 = mul(x, x);
        int x3 = mul(x2, x);
        int x4 = mul(x2, x2);
        int x4Over4 = FixedPoint.saturatingRoundingMultiplyByPOT(x4, -2);
        int higherTerms = FixedPoint.saturatingRoundingMultiplyByPOT(
                mul(x4Over4 + x3, ONE_THIRD) + x2, -1);
        return EXP_MINUS_ONE_EIGHTH + mul(EXP_MINUS_ONE_EIGHTH, x + higherTerms);
    }

    /**
     * gemmlowp {@code exp_on_negative_values}: exp(a) in Q0 for a Q{@code integerBits} value
     * a &lt;= 0. The input is split into {@code a = r - q} with r in [-1/4, 0) and q a
     * non-negative multiple of 1/4; exp(r) comes from the Taylor expansion, and each set bit
     * 2^k (k = -2 .. 4, only those below 2^integerBits) of q multiplies in exp(-2^k). With more
     * than 5 integer bits, inputs below -32 give 0; an input of exactly 0 gives Q0 one.
     *
     * @param integerBits 0..29 (gemmlowp needs 1/4 to be representable)
     */
    public static int expOnNegativeValues(int a, int integerBits) {
        if (integerBits < 0 || integerBits > 29) {
            throw new IllegalArgumentException("integerBits out of [0, 29]: " + integerBits);
        }
        int fractionalBits = 31 - integerBits;
        int oneQuarter = 1 << (fractionalBits - 2);
        int mask = oneQuarter - 1;
        int aModQuarterMinusOneQuarter = (a & mask) - oneQuarter;
        int result = expOnIntervalBetweenNegativeOneQuarterAnd0Excl(
                FixedPoint.rescale(aModQuarterMinusOneQuarter, integerBits, 0));
        int remainder = aModQuarterMinusOneQuarter - a;
        for (int i = 0; i < BARREL_EXPONENTS.length; i++) {
            int exponent = BARREL_EXPONENTS[i];
            if (integerBits > exponent) {
                int bit = 1 << (fractionalBits + exponent);
                if ((remainder & bit) != 0) {
                    result = mul(result, BARREL_MULTIPLIERS[i]);
                }
            }
        }
        if (integerBits > 5) {
            // -32 in Q(integerBits).
            int clamp = -(1 << (36 - integerBits));
            if (a < clamp) {
                result = 0;
            }
        }
        if (a == 0) {
            result = Q0_ONE;
        }
        return result;
    }

    /**
     * gemmlowp {@code one_over_one_plus_x_for_x_in_0_1}: 1 / (1 + a) for a Q0 value a in
     * [0, 1), in Q0. Newton-Raphson division on the half denominator
     * {@code d = RoundingHalfSum(a, 1)} in [1/2, 1): start from {@code 48/17 - 32/17 d} in
     * Q2.29, iterate {@code x += Rescale<2>(x * (1 - d x))} three times, and return x / 2
     * (moved to Q0 with a saturating shift).
     */
    public static int oneOverOnePlusXForXIn01(int a) {
        int x = newtonRaphsonReciprocalOfHalfDenominator(a);
        // ExactMulByPot<-1> reinterprets Q2.29 as Q1; Rescale<0> shifts left by 1.
        return FixedPoint.rescale(x, 1, 0);
    }

    /**
     * gemmlowp {@code one_minus_x_over_one_plus_x_for_x_in_0_1}: (1 - a) / (1 + a) for a Q0
     * value a in [0, 1), in Q0; the same Newton-Raphson reciprocal as
     * {@link #oneOverOnePlusXForXIn01}, from which Q2 one is subtracted before rescaling to Q0.
     */
    public static int oneMinusXOverOnePlusXForXIn01(int a) {
        int x = newtonRaphsonReciprocalOfHalfDenominator(a);
        return FixedPoint.rescale(x - Q2_ONE, 2, 0);
    }

    /** The shared Newton-Raphson loop: 1 / ((a + 1) / 2) in Q2.29. */
    private static int newtonRaphsonReciprocalOfHalfDenominator(int a) {
        int halfDenominator = FixedPoint.roundingHalfSum(a, Q0_ONE);
        int x = FORTY_EIGHT_OVER_SEVENTEEN + mul(halfDenominator, MINUS_THIRTY_TWO_OVER_SEVENTEEN);
        for (int i = 0; i < 3; i++) {
            int halfDenominatorTimesX = mul(halfDenominator, x);
            int oneMinusHalfDenominatorTimesX = Q2_ONE - halfDenominatorTimesX;
            // Q2 * Q2 is Q4; Rescale<2> brings it back to Q2.
            x = x + FixedPoint.rescale(mul(x, oneMinusHalfDenominatorTimesX), 4, 2);
        }
        return x;
    }

    /**
     * gemmlowp {@code logistic}: 1 / (1 + exp(-a)) in Q0 for a Q{@code integerBits} value a.
     * For a &gt; 0 it is {@code one_over_one_plus_x(exp_on_negative_values(-a))}; for a &lt; 0
     * it is Q0 one minus that value computed on -a; a = 0 gives exactly 1/2 (2^30).
     */
    public static int logistic(int a, int integerBits) {
        if (a == 0) {
            return 1 << 30;
        }
        boolean positive = a > 0;
        int absInput = positive ? a : -a;
        int resultIfPositive = oneOverOnePlusXForXIn01(expOnNegativeValues(-absInput, integerBits));
        return positive ? resultIfPositive : Q0_ONE - resultIfPositive;
    }

    /**
     * gemmlowp {@code tanh}: tanh(a) in Q0 for a Q{@code integerBits} value a. With
     * {@code n = -|a|}, {@code -tanh(n) = (1 - exp(2n)) / (1 + exp(2n))}, where 2n is taken
     * exactly by reading n with one more integer bit ({@code ExactMulByPot<1>}); the sign is
     * then restored, and a = 0 gives 0.
     *
     * @param integerBits 0..28 (exp is evaluated with integerBits + 1)
     */
    public static int tanh(int a, int integerBits) {
        if (a == 0) {
            return 0;
        }
        boolean negative = a < 0;
        int n = negative ? a : -a;
        int t = oneMinusXOverOnePlusXForXIn01(expOnNegativeValues(n, integerBits + 1));
        return negative ? -t : t;
    }

    /**
     * TFLite {@code GetReciprocal} (common.h), used by softmax: for a positive Q{@code
     * xIntegerDigits} value x, returns a Q0 scale and the count of bits x has above one, such
     * that {@code 1/x ~= scale * 2^-numBitsOverUnit}. x is normalised by its leading zeros
     * ({@code headroomPlusOne}) into [1, 2) read as Q0 plus one, then
     * {@link #oneOverOnePlusXForXIn01} gives 1 / that.
     *
     * @param scale the Q0 reciprocal of the normalised value
     * @param numBitsOverUnit {@code xIntegerDigits - headroomPlusOne}
     */
    public record Reciprocal(int scale, int numBitsOverUnit) {
    }

    /**
     * TFLite {@code GetReciprocal}; see {@link Reciprocal}. The shift and subtraction are
     * done on the unsigned 32-bit pattern, as TFLite does.
     *
     * @throws IllegalArgumentException for x = 0, where TFLite would shift by 32 (undefined)
     */
    public static Reciprocal getReciprocal(int x, int xIntegerDigits) {
        if (x == 0) {
            throw new IllegalArgumentException("reciprocal of zero");
        }
        int headroomPlusOne = Integer.numberOfLeadingZeros(x);
        int numBitsOverUnit = xIntegerDigits - headroomPlusOne;
        int shiftedSumMinusOne = (x << headroomPlusOne) - (1 << 31);
        return new Reciprocal(oneOverOnePlusXForXIn01(shiftedSumMinusOne), numBitsOverUnit);
    }

    /**
     * TFLite {@code PreprocessSoftmaxScaling} in the default build: the real multiplier
     * {@code beta * inputScale * 2^(31 - inputIntegerBits)}, capped at {@code 2^31 - 1}
     * (the single-rounding build caps at 2^30 - 1 instead), quantized with
     * {@link QuantizedMultiplier#ofGreaterThanOne}. The shift is a left shift. TFLite passes
     * its float beta and scale widened to double; callers should do the same.
     */
    public static QuantizedMultiplier preprocessSoftmaxScaling(double beta, double inputScale,
            int inputIntegerBits) {
        double maxRealMultiplier = (1L << 31) - 1.0;
        double realMultiplier = Math.min(
                beta * inputScale * (double) (1 << (31 - inputIntegerBits)), maxRealMultiplier);
        return QuantizedMultiplier.ofGreaterThanOne(realMultiplier);
    }

    /**
     * TFLite {@code CalculateInputRadius}: the largest input difference that, after scaling
     * by the left shift, stays inside Q{@code inputIntegerBits}:
     * {@code floor((2^inputIntegerBits - 1) * 2^(totalSignedBits - inputIntegerBits)
     * / 2^inputLeftShift)}, computed in double. TFLite's default {@code totalSignedBits} is 31.
     */
    public static int calculateInputRadius(int inputIntegerBits, int inputLeftShift,
            int totalSignedBits) {
        double maxInputRescaled = 1.0 * ((1 << inputIntegerBits) - 1)
                * (double) (1L << (totalSignedBits - inputIntegerBits))
                / (double) (1L << inputLeftShift);
        return (int) Math.floor(maxInputRescaled);
    }

    /** {@link #calculateInputRadius(int, int, int)} with TFLite's default of 31 signed bits. */
    public static int calculateInputRadius(int inputIntegerBits, int inputLeftShift) {
        return calculateInputRadius(inputIntegerBits, inputLeftShift, 31);
    }

    /** gemmlowp's fixed-point product: the rounding doubling high multiply. */
    private static int mul(int a, int b) {
        return FixedPoint.saturatingRoundingDoublingHighMul(a, b);
    }
}
