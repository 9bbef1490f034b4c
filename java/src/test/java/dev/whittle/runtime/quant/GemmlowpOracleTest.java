package dev.whittle.runtime.quant;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.function.IntUnaryOperator;
import org.junit.jupiter.api.Test;

/**
 * Bit-exactness against gemmlowp itself. The expected hashes were produced by compiling
 * gemmlowp's own {@code fixedpoint/fixedpoint.h} (scalar path, g++ with {@code -fwrapv})
 * and running each function over the same 200,000 pseudo-random inputs this test draws:
 * a 64-bit xorshift (13, 7, 17) seeded with 0x9E3779B97F4A7C15, each input the top 32 bits
 * of the state, outputs folded byte by byte, low byte first, into a 64-bit FNV-1a-style hash
 * (FNV prime, starting value 1469598103934665603).
 * The TFLite pieces (MultiplyByQuantizedMultiplier, QuantizeMultiplier, GetReciprocal) were
 * written in that driver on top of gemmlowp, {@code std::frexp} and {@code std::round} as
 * TFLite writes them. One wrong bit in any output changes its hash. The driver is kept next
 * to this test as {@code gemmlowp_oracle.cc} in the test resources.
 */
class GemmlowpOracleTest {

    /** The driver's starting value (the FNV-1a offset basis with its last digit dropped). */
    private static final long FNV_OFFSET = 1469598103934665603L;
    private static final long FNV_PRIME = 0x100000001b3L;

    private long state;
    private long hash;

    private void reset() {
        state = 0x9E3779B97F4A7C15L;
        hash = FNV_OFFSET;
    }

    private int next() {
        state ^= state << 13;
        state ^= state >>> 7;
        state ^= state << 17;
        return (int) (state >>> 32);
    }

    private void mix(int v) {
        for (int i = 0; i < 4; i++) {
            hash ^= (v >>> (8 * i)) & 0xff;
            hash *= FNV_PRIME;
        }
    }

    private String hex() {
        return String.format("%016x", hash);
    }

    private String sweep(IntUnaryOperator input, IntUnaryOperator f) {
        reset();
        for (int i = 0; i < 200_000; i++) {
            mix(f.applyAsInt(input.applyAsInt(next())));
        }
        return hex();
    }

    private static int nonPositive(int v) {
        return v > 0 ? -v : v;
    }

    @Test
    void expOnNegativeValues() {
        assertEquals("b25230ad87c4224e", sweep(GemmlowpOracleTest::nonPositive, v -> GemmlowpMath.expOnNegativeValues(v, 0)));
        assertEquals("3dc5d6441cdf6f6a", sweep(GemmlowpOracleTest::nonPositive, v -> GemmlowpMath.expOnNegativeValues(v, 3)));
        assertEquals("02ca1aae75399b3e", sweep(GemmlowpOracleTest::nonPositive, v -> GemmlowpMath.expOnNegativeValues(v, 5)));
        assertEquals("f9dd97b0ebc37adc", sweep(GemmlowpOracleTest::nonPositive, v -> GemmlowpMath.expOnNegativeValues(v, 6)));
        assertEquals("b7d346eac40317cd", sweep(GemmlowpOracleTest::nonPositive, v -> GemmlowpMath.expOnNegativeValues(v, 12)));
    }

    @Test
    void logisticAndTanh() {
        assertEquals("b2a6624f1c5b7594", sweep(v -> v, v -> GemmlowpMath.logistic(v, 0)));
        assertEquals("efb6bd49f9c62667", sweep(v -> v, v -> GemmlowpMath.tanh(v, 0)));
        assertEquals("bd6f82e14918ce55", sweep(v -> v, v -> GemmlowpMath.logistic(v, 3)));
        assertEquals("d0f9742bd94eaa23", sweep(v -> v, v -> GemmlowpMath.tanh(v, 3)));
        assertEquals("2e687989de3eb3ee", sweep(v -> v, v -> GemmlowpMath.logistic(v, 4)));
        assertEquals("124b128836c2a401", sweep(v -> v, v -> GemmlowpMath.tanh(v, 4)));
        assertEquals("f7c1ac2c3c961f92", sweep(v -> v, v -> GemmlowpMath.logistic(v, 5)));
        assertEquals("5707d44e919fd0df", sweep(v -> v, v -> GemmlowpMath.tanh(v, 5)));
    }

    @Test
    void oneOverOnePlusX() {
        assertEquals("bfae1e1423527118",
                sweep(v -> v < 0 ? -(v + 1) : v, GemmlowpMath::oneOverOnePlusXForXIn01));
    }

    @Test
    void srdhmAndRoundingDivideByPot() {
        reset();
        for (int i = 0; i < 200_000; i++) {
            int a = next();
            int b = next();
            mix(FixedPoint.saturatingRoundingDoublingHighMul(a, b));
        }
        assertEquals("bc147ee52a89b21f", hex());
        reset();
        for (int i = 0; i < 200_000; i++) {
            int a = next();
            int e = next() & 31;
            mix(FixedPoint.roundingDivideByPOT(a, e));
        }
        assertEquals("3a59bcb3228d0225", hex());
    }

    @Test
    void multiplyByQuantizedMultiplier() {
        reset();
        for (int i = 0; i < 200_000; i++) {
            int x = next();
            int m = next();
            if (m < 0) {
                m = -(m + 1);
            }
            int shift = Integer.remainderUnsigned(next(), 40) - 31;
            if (shift > 0) {
                x >>= shift;
            }
            mix(FixedPoint.multiplyByQuantizedMultiplier(x, m, shift));
        }
        assertEquals("dc27b52786e9503e", hex());
    }

    @Test
    void quantizeMultiplier() {
        reset();
        for (int i = 0; i < 200_000; i++) {
            int hi = next();
            int lo = next();
            int e = Integer.remainderUnsigned(hi, 80) - 60;
            double m = 1.0 + (lo & 0xFFFFFFFFL) / 4294967296.0;
            double d = Math.scalb(m, e);
            if (hi < 0) {
                d = -d;
            }
            QuantizedMultiplier q = QuantizedMultiplier.of(d);
            mix(q.multiplier());
            mix(q.shift());
        }
        assertEquals("90c6b8dcfeffdd58", hex());
    }

    @Test
    void getReciprocal() {
        reset();
        for (int i = 0; i < 200_000; i++) {
            int x = next();
            if (x <= 0) {
                x = -(x + 1);
            }
            if (x == 0) {
                x = 1;
            }
            GemmlowpMath.Reciprocal r = GemmlowpMath.getReciprocal(x, 12);
            mix(r.scale());
            mix(r.numBitsOverUnit());
        }
        assertEquals("7760ada7f09e29c1", hex());
    }

    @Test
    void namedSamples() {
        assertEquals(790015308, GemmlowpMath.expOnNegativeValues(-(1 << 26), 5));
        assertEquals(1672462419, GemmlowpMath.expOnNegativeValues(-(1 << 29), 0));
        assertEquals(1569936226, GemmlowpMath.logistic(1 << 27, 4));
        assertEquals(1635510876, GemmlowpMath.tanh(1 << 27, 4));
        assertEquals(-1635510876, GemmlowpMath.tanh(-(1 << 27), 4));
        assertEquals(1431655762, GemmlowpMath.oneOverOnePlusXForXIn01(1 << 30));
    }
}
