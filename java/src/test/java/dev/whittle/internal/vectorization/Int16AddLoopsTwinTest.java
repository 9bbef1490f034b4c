package dev.whittle.internal.vectorization;

import dev.whittle.testing.QuantizedAddReference;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static dev.whittle.testing.QuantizedAddReference.expected;
import static dev.whittle.testing.QuantizedAddReference.int16Input;
import static dev.whittle.testing.QuantizedAddReference.multiplier;

/**
 * {@link Int16AddLoops}: the JVM's loop (Panama where the module is there) and the plain twin
 * against the reference arithmetic ({@link QuantizedAddReference}: {@code BinaryArithmetic}
 * through FixedPoint's multiplyByQuantizedMultiplierSmallerThanOneExp) on multipliers in
 * [2^30, 2^31) and anywhere in int32 (negative, tiny, MAX_VALUE), every exponent 0..31, left
 * shifts 0..31, zero offsets and random ones, inputs at -32768/32767 and random, lengths 1..70,
 * either operand scalar, ADD and SUB, int16 and narrow clamps. Identical shorts.
 */
class Int16AddLoopsTwinTest {
    private static short[] run(Int16AddLoops loops, short[] x, short[] y, boolean aScalar, boolean bScalar, int len,
            Int16AddLoops.Int16AddParams q) {
        // Offsets inside the segments, to exercise unaligned starts.
        MemorySegment a = MemorySegment.ofArray(new short[x.length + 3]);
        MemorySegment b = MemorySegment.ofArray(new short[y.length + 3]);
        MemorySegment o = MemorySegment.ofArray(new short[len + 3]);
        MemorySegment.copy(x, 0, a, ValueLayout.JAVA_SHORT_UNALIGNED, 2, x.length);
        MemorySegment.copy(y, 0, b, ValueLayout.JAVA_SHORT_UNALIGNED, 6, y.length);
        loops.addSub(a, 2, aScalar, b, 6, bScalar, o, 4, len, q);
        short[] r = new short[len];
        MemorySegment.copy(o, ValueLayout.JAVA_SHORT_UNALIGNED, 4, r, 0, len);
        return r;
    }

    @Test
    void twinsMatchReference() {
        Int16AddLoops jvm = Int16AddLoops.get();
        if (VectorizationProvider.get().vectorized()) {
            assertTrue(jvm.isa().startsWith("panama"), jvm.isa());
        }
        assertEquals("scalar", Int16AddLoops.plain().isa());
        SplittableRandom r = new SplittableRandom(42);
        int cases = 0;
        for (int it = 0; it < 6000; it++) {
            int ls = it % 3 == 0 ? r.nextInt(32) : 15;
            boolean zeroOffsets = it % 2 == 0;
            int min = it % 4 == 0 ? r.nextInt(-32768, 0) : Short.MIN_VALUE;
            int max = it % 4 == 0 ? r.nextInt(0, 32768) : Short.MAX_VALUE;
            Int16AddLoops.Int16AddParams q = new Int16AddLoops.Int16AddParams(r.nextBoolean(), ls,
                    zeroOffsets ? 0 : r.nextInt(-40000, 40000), multiplier(r), r.nextInt(32),
                    zeroOffsets ? 0 : r.nextInt(-40000, 40000), multiplier(r), r.nextInt(32),
                    multiplier(r), it % 5 == 0 ? r.nextInt(32) : r.nextInt(12), zeroOffsets ? 0 : r.nextInt(-40000, 40000),
                    min, max);
            assertTrue(q.supported());
            int len = 1 + it % 70;
            boolean aScalar = it % 7 == 3;
            boolean bScalar = it % 5 == 2;
            short[] x = new short[aScalar ? 1 : len];
            short[] y = new short[bScalar ? 1 : len];
            for (int i = 0; i < x.length; i++) {
                x[i] = int16Input(r);
            }
            for (int i = 0; i < y.length; i++) {
                y[i] = int16Input(r);
            }
            short[] want = expected(x, y, aScalar, bScalar, len, q);
            String label = q + " len " + len + " scalar " + aScalar + "/" + bScalar;
            assertArrayEquals(want, run(jvm, x, y, aScalar, bScalar, len, q), jvm.isa() + " " + label);
            assertArrayEquals(want, run(Int16AddLoops.plain(), x, y, aScalar, bScalar, len, q), "plain " + label);
            cases++;
        }
        assertEquals(6000, cases);
    }

    /** Every int16 x against every exponent with TFLite-like multipliers: the full input range. */
    @Test
    void everyInput() {
        short[] x = new short[65536];
        short[] y = new short[65536];
        for (int i = 0; i < 65536; i++) {
            x[i] = (short) (i - 32768);
            y[i] = (short) (32767 - i);
        }
        SplittableRandom r = new SplittableRandom(7);
        for (int e = 0; e < 32; e += 3) {
            Int16AddLoops.Int16AddParams q = new Int16AddLoops.Int16AddParams(e % 2 == 0, 15, 0,
                    r.nextInt(1 << 30, Integer.MAX_VALUE), e, 0, r.nextInt(1 << 30, Integer.MAX_VALUE), 31 - e,
                    r.nextInt(1 << 30, Integer.MAX_VALUE), e % 16, 0, Short.MIN_VALUE, Short.MAX_VALUE);
            short[] want = expected(x, y, false, false, 65536, q);
            assertArrayEquals(want, run(Int16AddLoops.get(), x, y, false, false, 65536, q));
            assertArrayEquals(want, run(Int16AddLoops.plain(), x, y, false, false, 65536, q));
        }
    }
}
