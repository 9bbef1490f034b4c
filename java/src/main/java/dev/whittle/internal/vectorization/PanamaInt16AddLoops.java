package dev.whittle.internal.vectorization;

import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;

/**
 * int16 ADD/SUB on the Vector API, the steps of {@link ScalarInt16AddLoops} lane for lane in long
 * lanes (8 with AVX-512, 4 with AVX2): widen int16 to long, int results kept sign-extended
 * (a shift left then arithmetic right by 32 where Java's int arithmetic would wrap),
 * srdhm = (a * m + 2^30) >> 31, rdbpot with its mask/threshold compare, clamp, narrow. A scalar
 * (broadcast) operand is scaled once, outside the loop; the tail runs on the twin.
 */
final class PanamaInt16AddLoops implements Int16AddLoops {
    static final PanamaInt16AddLoops INSTANCE = new PanamaInt16AddLoops();
    private static final VectorSpecies<Long> LS = LongVector.SPECIES_PREFERRED.vectorBitSize() >= 512
            ? LongVector.SPECIES_512 : LongVector.SPECIES_256;
    private static final int L = LS.length();
    private static final VectorSpecies<Short> S = L == 8 ? ShortVector.SPECIES_128 : ShortVector.SPECIES_64;
    private static final java.lang.foreign.ValueLayout.OfShort I16 = java.lang.foreign.ValueLayout.JAVA_SHORT_UNALIGNED;
    private static final ByteOrder NO = ByteOrder.nativeOrder();

    private PanamaInt16AddLoops() {
    }

    @Override
    public String isa() {
        return "panama" + LS.vectorBitSize();
    }

    // The steps are written out in scaled() and store() rather than through wrap/srdhm/rdbpot:
    // nested helpers push the Vector API's own calls past C2's inlining depth, and a call left
    // out-of-line boxes its vectors (measured on 320 elements, AVX-512: 1.7 us nested, 0.5 us flat).
    private static LongVector scaled(MemorySegment s, long off, int ls, int zp, long m, int e, long mask, long half) {
        LongVector x = ((LongVector) ShortVector.fromMemorySegment(S, s, off, NO).convertShape(VectorOperators.S2L, LS, 0))
                .add(zp).lanewise(VectorOperators.LSHL, ls + 32).lanewise(VectorOperators.ASHR, 32)
                .mul(m).add(1L << 30).lanewise(VectorOperators.ASHR, 31);
        LongVector thr = x.lanewise(VectorOperators.LSHR, 63).add(half);
        return x.lanewise(VectorOperators.ASHR, e).add(thr.sub(x.and(mask)).lanewise(VectorOperators.LSHR, 63));
    }

    private static int both(MemorySegment a, long ap, MemorySegment b, long bp, MemorySegment o, long op, int end,
            int ls, int aOff, long am, int ae, long aMask, long aHalf, int bOff, long bm, int be, long bMask,
            long bHalf, long om, int oe, long oMask, long oHalf, long oo, long min, long max, boolean sub) {
        int k = 0;
        if (sub) {
            for (; k < end; k += L) {
                LongVector sx = scaled(a, ap + 2L * k, ls, aOff, am, ae, aMask, aHalf);
                LongVector sy = scaled(b, bp + 2L * k, ls, bOff, bm, be, bMask, bHalf);
                store(o, op + 2L * k, sx.sub(sy), om, oe, oMask, oHalf, oo, min, max);
            }
        } else {
            for (; k < end; k += L) {
                LongVector sx = scaled(a, ap + 2L * k, ls, aOff, am, ae, aMask, aHalf);
                LongVector sy = scaled(b, bp + 2L * k, ls, bOff, bm, be, bMask, bHalf);
                store(o, op + 2L * k, sx.add(sy), om, oe, oMask, oHalf, oo, min, max);
            }
        }
        return k;
    }

    /** One operand a vector (times sgn), the other the scaled constant c. */
    private static int one(MemorySegment a, long ap, MemorySegment o, long op, int end, int ls, int aOff, long am,
            int ae, long aMask, long aHalf, long sgn, long c, long om, int oe, long oMask, long oHalf, long oo,
            long min, long max) {
        int k = 0;
        for (; k < end; k += L) {
            LongVector sx = scaled(a, ap + 2L * k, ls, aOff, am, ae, aMask, aHalf);
            store(o, op + 2L * k, sx.mul(sgn).add(c), om, oe, oMask, oHalf, oo, min, max);
        }
        return k;
    }

    private static void store(MemorySegment o, long off, LongVector sum, long om, int oe, long oMask, long oHalf,
            long oo, long min, long max) {
        LongVector x = sum.lanewise(VectorOperators.LSHL, 32).lanewise(VectorOperators.ASHR, 32)
                .mul(om).add(1L << 30).lanewise(VectorOperators.ASHR, 31);
        LongVector thr = x.lanewise(VectorOperators.LSHR, 63).add(oHalf);
        LongVector v = x.lanewise(VectorOperators.ASHR, oe).add(thr.sub(x.and(oMask)).lanewise(VectorOperators.LSHR, 63))
                .add(oo).lanewise(VectorOperators.LSHL, 32).lanewise(VectorOperators.ASHR, 32).max(min).min(max);
        v.convertShape(VectorOperators.L2S, S, 0).intoMemorySegment(o, off, NO);
    }

    @Override
    public void addSub(MemorySegment a, long ap, boolean aScalar, MemorySegment b, long bp, boolean bScalar,
            MemorySegment o, long op, int len, Int16AddParams q) {
        int ls = q.leftShift();
        int ae = q.aExp();
        int be = q.bExp();
        int oe = q.outExp();
        long am = q.aMultiplier();
        long bm = q.bMultiplier();
        long om = q.outMultiplier();
        long aMask = (1L << ae) - 1;
        long bMask = (1L << be) - 1;
        long oMask = (1L << oe) - 1;
        long aHalf = (int) aMask >> 1;
        long bHalf = (int) bMask >> 1;
        long oHalf = (int) oMask >> 1;
        int aOff = q.aOffset();
        int bOff = q.bOffset();
        long oo = q.outOffset();
        long min = q.min();
        long max = q.max();
        boolean sub = q.subtract();
        // Separate loops per case: a vector chosen by a conditional inside the loop would be
        // boxed (C2 does not scalarize vector phis), costing more than the arithmetic.
        // One small method per case: a vector chosen by a conditional would be boxed, and a big
        // method runs out of C2's inlining budget before every Vector API call is intrinsified.
        long sgn = sub ? -1 : 1;
        int end = len / L * L;
        int k = 0;
        if (!aScalar && !bScalar) {
            k = both(a, ap, b, bp, o, op, end, ls, aOff, am, ae, aMask, aHalf, bOff, bm, be, bMask, bHalf,
                    om, oe, oMask, oHalf, oo, min, max, sub);
        } else if (aScalar != bScalar) {
            long c = aScalar ? ScalarInt16AddLoops.scaled(a.get(I16, ap), aOff, ls, q.aMultiplier(), ae)
                    : sgn * ScalarInt16AddLoops.scaled(b.get(I16, bp), bOff, ls, q.bMultiplier(), be);
            k = aScalar ? one(b, bp, o, op, end, ls, bOff, bm, be, bMask, bHalf, sgn, c, om, oe, oMask, oHalf, oo, min, max)
                    : one(a, ap, o, op, end, ls, aOff, am, ae, aMask, aHalf, 1, c, om, oe, oMask, oHalf, oo, min, max);
        }
        if (k < len) {
            ScalarInt16AddLoops.INSTANCE.addSub(a, aScalar ? ap : ap + 2L * k, aScalar, b, bScalar ? bp : bp + 2L * k,
                    bScalar, o, op + 2L * k, len - k, q);
        }
    }
}
