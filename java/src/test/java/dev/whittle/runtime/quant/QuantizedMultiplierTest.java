package dev.whittle.runtime.quant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class QuantizedMultiplierTest {

    @Test
    void powersOfTwoAndSimpleFractions() {
        assertEquals(new QuantizedMultiplier(1 << 30, 0), QuantizedMultiplier.of(0.5));
        assertEquals(new QuantizedMultiplier(1 << 30, 1), QuantizedMultiplier.of(1.0));
        assertEquals(new QuantizedMultiplier(0, 0), QuantizedMultiplier.of(0.0));
        assertEquals(new QuantizedMultiplier(3 << 29, 0), QuantizedMultiplier.of(0.75));
        assertEquals(new QuantizedMultiplier(3 << 29, 2), QuantizedMultiplier.of(3.0));
        assertEquals(new QuantizedMultiplier(-(1 << 30), 0), QuantizedMultiplier.of(-0.5));
    }

    @Test
    void valuesJustBelowAPowerOfTwoRoundUpToTheNextExponent() {
        // frexp gives q = 1 - 2^-40; q * 2^31 rounds to 2^31, which is halved with shift + 1.
        assertEquals(new QuantizedMultiplier(1 << 30, 1), QuantizedMultiplier.of(1.0 - 0x1p-40));
        assertEquals(new QuantizedMultiplier(1 << 30, -1), QuantizedMultiplier.of(0.25 - 0x1p-45));
        // 1 - 2^-31 is representable: q * 2^31 = 2^31 - 1 stays.
        assertEquals(new QuantizedMultiplier(Integer.MAX_VALUE, 0),
                QuantizedMultiplier.of(1.0 - 0x1p-31));
    }

    @Test
    void halvesRoundAwayFromZero() {
        // q * 2^31 = 2^30 + 0.5 exactly.
        assertEquals(new QuantizedMultiplier((1 << 30) + 1, 0), QuantizedMultiplier.of(0.5 + 0x1p-32));
        assertEquals(new QuantizedMultiplier(-(1 << 30) - 1, 0), QuantizedMultiplier.of(-0.5 - 0x1p-32));
        // Just below the half rounds down.
        assertEquals(new QuantizedMultiplier(1 << 30, 0), QuantizedMultiplier.of(0.5 + 0x1p-33));
    }

    @Test
    void tinyMultipliersFlushToZero() {
        assertEquals(new QuantizedMultiplier(1 << 30, -30), QuantizedMultiplier.of(0x1p-31));
        assertEquals(new QuantizedMultiplier(1 << 30, -31), QuantizedMultiplier.of(0x1p-32));
        assertEquals(new QuantizedMultiplier(0, 0), QuantizedMultiplier.of(0x1p-33));
        assertEquals(new QuantizedMultiplier(0, 0), QuantizedMultiplier.of(Double.MIN_VALUE));
    }

    @Test
    void largeMultipliersAreNotClampedInTheDefaultBuild() {
        assertEquals(new QuantizedMultiplier(1 << 30, 41), QuantizedMultiplier.of(0x1p40));
        assertEquals(new QuantizedMultiplier(Integer.MAX_VALUE, 31),
                QuantizedMultiplier.of((1L << 31) - 1.0));
    }

    @Test
    void typicalScaleRoundTrips() {
        double real = 0.0123456789;
        QuantizedMultiplier q = QuantizedMultiplier.of(real);
        assertEquals(-6, q.shift());
        assertEquals(real, q.toDouble(), Math.ulp(1.0f) * real);
        assertEquals(Math.round(real * 0x1p37), q.multiplier());
    }

    @Test
    void greaterThanOneAndSmallerThanOneChecks() {
        assertEquals(new QuantizedMultiplier(3 << 29, 2), QuantizedMultiplier.ofGreaterThanOne(3.0));
        assertEquals(new QuantizedMultiplier(3 << 29, -1), QuantizedMultiplier.ofSmallerThanOne(0.375));
        assertThrows(IllegalArgumentException.class, () -> QuantizedMultiplier.ofGreaterThanOne(1.0));
        assertThrows(IllegalArgumentException.class, () -> QuantizedMultiplier.ofSmallerThanOne(1.0));
        assertThrows(IllegalArgumentException.class, () -> QuantizedMultiplier.ofSmallerThanOne(0.0));
        assertThrows(IllegalArgumentException.class, () -> QuantizedMultiplier.of(Double.NaN));
    }

    @Test
    void frexpMatchesTheCLibrary() {
        assertEquals(new CppMath.Frexp(0.5, 4), CppMath.frexp(8.0));
        assertEquals(new CppMath.Frexp(-0.75, 2), CppMath.frexp(-3.0));
        assertEquals(new CppMath.Frexp(0.5, -1073), CppMath.frexp(Double.MIN_VALUE));
        assertEquals(new CppMath.Frexp(0.75, -1072), CppMath.frexp(3 * Double.MIN_VALUE));
        assertEquals(new CppMath.Frexp(0.0, 0), CppMath.frexp(0.0));
        assertEquals(new CppMath.Frexp(0.5 + 0x1p-53, 1), CppMath.frexp(1.0 + 0x1p-52));
    }

    @Test
    void tfliteRoundIsHalfAwayFromZero() {
        assertEquals(3.0, CppMath.round(2.5));
        assertEquals(-3.0, CppMath.round(-2.5));
        assertEquals(-1.0, CppMath.round(-0.5));
        assertEquals(0.0, CppMath.round(0.49999999999999994));
        assertEquals(-2.0, CppMath.round(-1.6));
        assertEquals(2.0f, CppMath.round(1.5f));
        assertEquals(-2.0f, CppMath.round(-1.5f));
        assertEquals(0.0f, CppMath.round(0.49999997f));
    }
}
