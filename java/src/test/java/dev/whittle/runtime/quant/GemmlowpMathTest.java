package dev.whittle.runtime.quant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class GemmlowpMathTest {

    private static final int MAX = Integer.MAX_VALUE;

    /** The 4th-order Taylor step over [-1/4, 0) is off by at most (1/8)^5 / 120 ~ 2.5e-7. */
    private static final double EXP_TOLERANCE = 3e-7;

    private static double q0(int raw) {
        return raw / 0x1p31;
    }

    @Test
    void expOfZeroIsQ0OneForEveryFormat() {
        for (int ib = 0; ib <= 12; ib++) {
            assertEquals(MAX, GemmlowpMath.expOnNegativeValues(0, ib), "integer bits " + ib);
        }
    }

    @Test
    void expAtQuarterSteps() {
        // -1/4 in Q0: only the Taylor step runs, close to exp(-1/4) = 1672461947 in Q0.31.
        assertEquals(1672461947, GemmlowpMath.expOnNegativeValues(-(1 << 29), 0), 600);
        // -1 in Q5: Taylor step at -1/4 times exp(-1/4) and exp(-1/2).
        assertEquals(Math.exp(-1), q0(GemmlowpMath.expOnNegativeValues(-(1 << 26), 5)), EXP_TOLERANCE);
        // -32 in Q5 underflows; -32 - ulp in Q6 is below the clamp.
        assertEquals(0, GemmlowpMath.expOnNegativeValues(Integer.MIN_VALUE, 5));
        assertEquals(0, GemmlowpMath.expOnNegativeValues(-(32 << 25) - 1, 6));
        assertThrows(IllegalArgumentException.class, () -> GemmlowpMath.expOnNegativeValues(-1, 30));
    }

    @Test
    void expTracksMathExpAndIsMonotonic() {
        for (int ib : new int[] {0, 3, 5, 6}) {
            double scale = Math.scalb(1.0, 31 - ib);
            int previous = MAX;
            for (long raw = 0; raw >= Integer.MIN_VALUE; raw -= 4099) {
                int v = GemmlowpMath.expOnNegativeValues((int) raw, ib);
                assertEquals(Math.exp(raw / scale), q0(v), EXP_TOLERANCE, "ib=" + ib + " raw=" + raw);
                assertTrue(v <= previous, "not monotonic at ib=" + ib + " raw=" + raw);
                previous = v;
            }
        }
    }

    @Test
    void oneOverOnePlusX() {
        assertEquals(MAX, GemmlowpMath.oneOverOnePlusXForXIn01(0));
        // 1 / (1 + 1/2) = 2/3.
        assertEquals(1431655765, GemmlowpMath.oneOverOnePlusXForXIn01(1 << 30), 8);
        for (long raw = 0; raw <= MAX; raw += 65537) {
            double x = q0((int) raw);
            assertEquals(1 / (1 + x), q0(GemmlowpMath.oneOverOnePlusXForXIn01((int) raw)), 1e-8);
            assertEquals((1 - x) / (1 + x), q0(GemmlowpMath.oneMinusXOverOnePlusXForXIn01((int) raw)), 1e-8);
        }
    }

    @Test
    void logisticIsExactAtZeroSymmetricAndAccurate() {
        assertEquals(1 << 30, GemmlowpMath.logistic(0, 4));
        double scale = 0x1p27;
        for (long raw = Integer.MIN_VALUE + 1; raw <= MAX; raw += 1_048_573) {
            int a = (int) raw;
            int v = GemmlowpMath.logistic(a, 4);
            // The negative side is defined as one minus the positive side.
            assertEquals(MAX, v + GemmlowpMath.logistic(-a, 4));
            assertEquals(1 / (1 + Math.exp(-raw / scale)), q0(v), 1.5e-7, "raw=" + raw);
        }
    }

    @Test
    void tanhIsExactAtZeroOddAndAccurate() {
        assertEquals(0, GemmlowpMath.tanh(0, 4));
        double scale = 0x1p27;
        int previous = Integer.MIN_VALUE;
        for (long raw = Integer.MIN_VALUE + 1; raw <= MAX; raw += 1_048_573) {
            int a = (int) raw;
            int v = GemmlowpMath.tanh(a, 4);
            assertEquals(-v, GemmlowpMath.tanh(-a, 4));
            assertEquals(Math.tanh(raw / scale), q0(v), 2e-7, "raw=" + raw);
            assertTrue(v >= previous);
            previous = v;
        }
    }

    @Test
    void reciprocal() {
        // 1.0 in Q12 is 2^19: 12 leading zeros, no bits over one, 1/1 ~ Q0 one.
        assertEquals(new GemmlowpMath.Reciprocal(MAX, 0), GemmlowpMath.getReciprocal(1 << 19, 12));
        // 2.0: one bit over one, 1/2 = one * 2^-1.
        assertEquals(new GemmlowpMath.Reciprocal(MAX, 1), GemmlowpMath.getReciprocal(1 << 20, 12));
        // 1.5: 1/1.5 = 2/3.
        GemmlowpMath.Reciprocal r = GemmlowpMath.getReciprocal(3 << 18, 12);
        assertEquals(0, r.numBitsOverUnit());
        assertEquals(1431655765, r.scale(), 8);
        // 10.0 in Q12: 1/10 = 0.8 * 2^-3.
        GemmlowpMath.Reciprocal ten = GemmlowpMath.getReciprocal(10 << 19, 12);
        assertEquals(3, ten.numBitsOverUnit());
        assertEquals(0.8, q0(ten.scale()), 1e-8);
        assertThrows(IllegalArgumentException.class, () -> GemmlowpMath.getReciprocal(0, 12));
    }

    @Test
    void softmaxScalingAndInputRadius() {
        // beta 1, scale 1/256, 5 integer bits: 2^-8 * 2^26 = 2^18 = 0.5 * 2^19.
        QuantizedMultiplier q = GemmlowpMath.preprocessSoftmaxScaling(1.0, 1.0 / 256, 5);
        assertEquals(new QuantizedMultiplier(1 << 30, 19), q);
        // floor(31 * 2^26 / 2^19) = 31 * 128.
        assertEquals(3968, GemmlowpMath.calculateInputRadius(5, 19));
        assertEquals(3968, GemmlowpMath.calculateInputRadius(5, 19, 31));
        // A huge beta is capped at 2^31 - 1.
        assertEquals(new QuantizedMultiplier(MAX, 31),
                GemmlowpMath.preprocessSoftmaxScaling(1e6, 1.0, 5));
        // floor(15 * 2^27) with no shift; floor(31 * 2^26 / 2^27) = floor(15.5) = 15.
        assertEquals(15 << 27, GemmlowpMath.calculateInputRadius(4, 0));
        assertEquals(15, GemmlowpMath.calculateInputRadius(5, 27));
        // A product that is not above one is refused, as QuantizeMultiplierGreaterThanOne does.
        assertThrows(IllegalArgumentException.class,
                () -> GemmlowpMath.preprocessSoftmaxScaling(1.0, 0x1p-40, 5));
    }
}
