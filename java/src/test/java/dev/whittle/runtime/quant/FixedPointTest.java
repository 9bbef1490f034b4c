package dev.whittle.runtime.quant;

import static dev.whittle.runtime.quant.FixedPoint.multiplyByQuantizedMultiplier;
import static dev.whittle.runtime.quant.FixedPoint.roundingDivideByPOT;
import static dev.whittle.runtime.quant.FixedPoint.saturatingRoundingDoublingHighMul;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class FixedPointTest {

    private static final int MIN = Integer.MIN_VALUE;
    private static final int MAX = Integer.MAX_VALUE;

    @Test
    void srdhmSaturatesOnlyMinTimesMin() {
        assertEquals(MAX, saturatingRoundingDoublingHighMul(MIN, MIN));
        assertEquals(-MAX, saturatingRoundingDoublingHighMul(MIN, MAX));
        assertEquals(MAX - 1, saturatingRoundingDoublingHighMul(MAX, MAX));
        assertEquals(1 << 29, saturatingRoundingDoublingHighMul(1 << 30, 1 << 30));
        assertEquals(0, saturatingRoundingDoublingHighMul(0, MIN));
    }

    @Test
    void srdhmRoundsHalvesTowardsPositiveInfinity() {
        // Multiplying by 2^30 (one half in Q0.31) halves the value.
        assertEquals(2, saturatingRoundingDoublingHighMul(3, 1 << 30));
        assertEquals(-1, saturatingRoundingDoublingHighMul(-3, 1 << 30));
        assertEquals(3, saturatingRoundingDoublingHighMul(5, 1 << 30));
        assertEquals(-2, saturatingRoundingDoublingHighMul(-5, 1 << 30));
        assertEquals(-2, saturatingRoundingDoublingHighMul(-4, 1 << 30));
        // 7 * 3/4 = 5.25 -> 5; -7 * 3/4 = -5.25 -> -5
        assertEquals(5, saturatingRoundingDoublingHighMul(7, 3 << 29));
        assertEquals(-5, saturatingRoundingDoublingHighMul(-7, 3 << 29));
    }

    @Test
    void roundingDivideByPotRoundsHalvesAwayFromZero() {
        assertEquals(-3, roundingDivideByPOT(-5, 1));
        assertEquals(3, roundingDivideByPOT(5, 1));
        assertEquals(-2, roundingDivideByPOT(-3, 1));
        assertEquals(2, roundingDivideByPOT(3, 1));
        assertEquals(-2, roundingDivideByPOT(-4, 1));
        assertEquals(-2, roundingDivideByPOT(-6, 2));
        assertEquals(2, roundingDivideByPOT(6, 2));
        assertEquals(-1, roundingDivideByPOT(-5, 2));
        assertEquals(-2, roundingDivideByPOT(-7, 2));
        assertEquals(0, roundingDivideByPOT(-1, 2));
        assertEquals(-1, roundingDivideByPOT(-2, 2));
        assertEquals(12345, roundingDivideByPOT(12345, 0));
        assertEquals(-1, roundingDivideByPOT(MIN, 31));
        assertEquals(1, roundingDivideByPOT(MAX, 31));
        assertEquals(0, roundingDivideByPOT(1 << 29, 31));
        assertEquals(1, roundingDivideByPOT((1 << 30) + 1, 31));
        assertThrows(IllegalArgumentException.class, () -> roundingDivideByPOT(1, 32));
        assertThrows(IllegalArgumentException.class, () -> roundingDivideByPOT(1, -1));
    }

    @Test
    void roundingDivideByPotAgreesWithExactRoundingOverASweep() {
        for (int x = -4096; x <= 4096; x++) {
            for (int e = 0; e <= 6; e++) {
                double q = x / (double) (1 << e);
                long expected = (long) CppMath.round(q);
                assertEquals(expected, roundingDivideByPOT(x, e), x + " / 2^" + e);
            }
        }
    }

    @Test
    void saturatingMultiplyByPot() {
        assertEquals(1 << 30, FixedPoint.saturatingRoundingMultiplyByPOT(1 << 29, 1));
        assertEquals(MAX, FixedPoint.saturatingRoundingMultiplyByPOT(1 << 30, 1));
        assertEquals(MIN, FixedPoint.saturatingRoundingMultiplyByPOT(-(1 << 30) - 1, 1));
        assertEquals(-(1 << 30) + 1 << 1, FixedPoint.saturatingRoundingMultiplyByPOT(-(1 << 30) + 1, 1));
        assertEquals(-20, FixedPoint.saturatingRoundingMultiplyByPOT(-5, 2));
        assertEquals(-3, FixedPoint.saturatingRoundingMultiplyByPOT(-5, -1));
        assertEquals(7, FixedPoint.saturatingRoundingMultiplyByPOT(7, 0));
        assertEquals(MAX, FixedPoint.rescale(1 << 29, 2, 0));
        assertEquals(1 << 28, FixedPoint.rescale(1 << 29, 0, 1));
    }

    @Test
    void roundingHalfSum() {
        assertEquals(2, FixedPoint.roundingHalfSum(1, 2));
        assertEquals(-2, FixedPoint.roundingHalfSum(-1, -2));
        assertEquals(0, FixedPoint.roundingHalfSum(0, 0));
        assertEquals(MAX, FixedPoint.roundingHalfSum(MAX, MAX));
        assertEquals(MIN, FixedPoint.roundingHalfSum(MIN, MIN));
        assertEquals(-1, FixedPoint.roundingHalfSum(MIN, MAX));
    }

    @Test
    void multiplyByQuantizedMultiplierDoubleRounding() {
        assertEquals(2, multiplyByQuantizedMultiplier(3, 1 << 30, 0));
        assertEquals(-1, multiplyByQuantizedMultiplier(-3, 1 << 30, 0));
        assertEquals(100, multiplyByQuantizedMultiplier(100, 1 << 30, 1));
        assertEquals(300, multiplyByQuantizedMultiplier(100, 3 << 29, 2));
        // 1000 * 0.5 = 500, then / 8 = 62.5 -> 63; the negative half goes away from zero.
        assertEquals(63, multiplyByQuantizedMultiplier(1000, 1 << 30, -3));
        assertEquals(-63, multiplyByQuantizedMultiplier(-1000, 1 << 30, -3));
        // Double rounding: 3 * 0.5 = 1.5 -> 2 (SRDHM), 2 / 2 = 1 -> 1; the exact value is 0.75.
        assertEquals(1, multiplyByQuantizedMultiplier(3, 1 << 30, -1));
        // -3 * 0.5 = -1.5 -> -1 (SRDHM), -1 / 2 = -0.5 -> -1 (RDBPOT).
        assertEquals(-1, multiplyByQuantizedMultiplier(-3, 1 << 30, -1));
        assertEquals(0, multiplyByQuantizedMultiplier(12345, 0, 0));
        assertEquals(63, multiplyByQuantizedMultiplier(1000, new QuantizedMultiplier(1 << 30, -3)));
    }

    @Test
    void multiplyByQuantizedMultiplierTracksTheRealProduct() {
        double real = 0.0123456789;
        QuantizedMultiplier q = QuantizedMultiplier.of(real);
        for (int x = -100000; x <= 100000; x += 37) {
            int got = multiplyByQuantizedMultiplier(x, q);
            assertEquals(x * real, got, 1.0, "x=" + x);
        }
    }

    @Test
    void int64VariantRoundsOnceHalfUp() {
        // 1<<30 reduces to (2^30 + 2^15) >> 16 = 2^14, i.e. one half with 15 fractional bits.
        assertEquals(500, multiplyByQuantizedMultiplier(1000L, 1 << 30, 0));
        assertEquals(2, multiplyByQuantizedMultiplier(3L, 1 << 30, 0));
        assertEquals(-1, multiplyByQuantizedMultiplier(-3L, 1 << 30, 0));
        assertEquals(-2, multiplyByQuantizedMultiplier(-5L, 1 << 30, 0));
        // 1000 * 0.5 / 8 = 62.5 -> 63, -62.5 -> -62 (single rounding, half up).
        assertEquals(63, multiplyByQuantizedMultiplier(1000L, 1 << 30, -3));
        assertEquals(-62, multiplyByQuantizedMultiplier(-1000L, 1 << 30, -3));
        // 2^40 * 0.5 * 2^-31 = 2^8: inputs beyond 32 bits are what the int64 variant is for.
        assertEquals(256, multiplyByQuantizedMultiplier(1L << 40, 1 << 30, -31));
        // Multipliers from 0x7FFF0000 up reduce to 0x7FFF instead of overflowing to 2^15:
        // 65536 * 32767 / 32768 = 65534.0 (+ 0.5, floored).
        assertEquals(65534, multiplyByQuantizedMultiplier(65536L, MAX, 0));
        assertEquals(65534, multiplyByQuantizedMultiplier(65536L, 0x7FFF0000, 0));
        // Just below: (0x7FFEFFFF + 2^15) >> 16 = 0x7FFF as well.
        assertEquals(65534, multiplyByQuantizedMultiplier(65536L, 0x7FFEFFFF, 0));
        // A low multiplier loses its bottom 16 bits: (2^15 - 1 + 2^15) >> 16 = 0.
        assertEquals(0, multiplyByQuantizedMultiplier(1L << 40, (1 << 15) - 1, 0));
        assertThrows(IllegalArgumentException.class, () -> multiplyByQuantizedMultiplier(1L, -1, 0));
        assertThrows(IllegalArgumentException.class, () -> multiplyByQuantizedMultiplier(1L, 1, 8));
        assertThrows(IllegalArgumentException.class, () -> multiplyByQuantizedMultiplier(1L, 1, -32));
    }

    @Test
    void smallerThanOneAndGreaterThanOneVariants() {
        assertEquals(10, FixedPoint.multiplyByQuantizedMultiplierGreaterThanOne(5, 1 << 30, 2));
        assertEquals(3, FixedPoint.multiplyByQuantizedMultiplierSmallerThanOneExp(20, 1 << 30, -2));
        assertEquals(-3, FixedPoint.multiplyByQuantizedMultiplierSmallerThanOneExp(-20, 1 << 30, -2));
        assertEquals(10, FixedPoint.multiplyByQuantizedMultiplierSmallerThanOneExp(20, 1 << 30, 0));
    }

    @Test
    void saturatingHelpers() {
        assertEquals(MAX, FixedPoint.saturateToInt(1L << 40));
        assertEquals(MIN, FixedPoint.saturateToInt(-(1L << 40)));
        assertEquals(-7, FixedPoint.saturateToInt(-7L));
        assertEquals(127, FixedPoint.clamp(300, -128, 127));
        assertEquals(-128, FixedPoint.clamp(-300, -128, 127));
        assertEquals(5, FixedPoint.clamp(5, -128, 127));
        assertEquals(Short.MAX_VALUE, FixedPoint.saturatingAdd16((short) 30000, (short) 30000));
        assertEquals(Short.MIN_VALUE, FixedPoint.saturatingAdd16((short) -30000, (short) -30000));
        assertEquals((short) 3, FixedPoint.saturatingAdd16((short) 1, (short) 2));
    }
}
