package dev.whittle.internal.vectorization;

import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
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
    private static final VectorSpecies<Short> S = ShortVector.SPECIES_PREFERRED.withShape(
            VectorShape.forBitSize(16 * L));
    private static final ByteOrder NO = ByteOrder.nativeOrder();

    private PanamaInt16AddLoops() {
    }

    @Override
    public String isa() {
        return "panama" + LS.vectorBitSize();
    }

    /** Sign-extends the low 32 bits of each lane: Java's int wrap. */
    private static LongVector wrap(LongVector v) {
        return v.lanewise(VectorOperators.LSHL, 32).lanewise(VectorOperators.ASHR, 32);
    }

    private static LongVector srdhm(LongVector a, long m) {
        return a.mul(m).add(1L << 30).lanewise(VectorOperators.ASHR, 31);
    }

    private static LongVector rdbpot(LongVector x, int e, long mask, long half) {
        LongVector rem = x.and(mask);
        LongVector thr = x.lanewise(VectorOperators.ASHR, 63).neg().add(half);
        VectorMask<Long> up = rem.compare(VectorOperators.GT, thr);
        return x.lanewise(VectorOperators.ASHR, e).lanewise(VectorOperators.ADD, 1L, up);
    }

    private static LongVector load(MemorySegment s, long off) {
        return (LongVector) ShortVector.fromMemorySegment(S, s, off, NO).convertShape(VectorOperators.S2L, LS, 0);
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
        LongVector sxConst = aScalar ? LongVector.broadcast(LS,
                ScalarInt16AddLoops.scaled(a.get(java.lang.foreign.ValueLayout.JAVA_SHORT_UNALIGNED, ap), aOff, ls,
                        q.aMultiplier(), ae)) : null;
        LongVector syConst = bScalar ? LongVector.broadcast(LS,
                ScalarInt16AddLoops.scaled(b.get(java.lang.foreign.ValueLayout.JAVA_SHORT_UNALIGNED, bp), bOff, ls,
                        q.bMultiplier(), be)) : null;
        int k = 0;
        int end = len / L * L;
        for (; k < end; k += L) {
            LongVector sx = sxConst != null ? sxConst
                    : rdbpot(srdhm(wrap(load(a, ap + 2L * k).add(aOff).lanewise(VectorOperators.LSHL, ls)), am), ae,
                            aMask, aHalf);
            LongVector sy = syConst != null ? syConst
                    : rdbpot(srdhm(wrap(load(b, bp + 2L * k).add(bOff).lanewise(VectorOperators.LSHL, ls)), bm), be,
                            bMask, bHalf);
            LongVector raw = wrap(sub ? sx.sub(sy) : sx.add(sy));
            LongVector v = wrap(rdbpot(srdhm(raw, om), oe, oMask, oHalf).add(oo)).max(min).min(max);
            v.convertShape(VectorOperators.L2S, S, 0).intoMemorySegment(o, op + 2L * k, NO);
        }
        if (k < len) {
            ScalarInt16AddLoops.INSTANCE.addSub(a, aScalar ? ap : ap + 2L * k, aScalar, b, bScalar ? bp : bp + 2L * k,
                    bScalar, o, op + 2L * k, len - k, q);
        }
    }
}
