package dev.whittle.internal.vectorization;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The plain twin of {@link PanamaInt16AddLoops}: the reference arithmetic per element, with
 * srdhm as {@code (int) ((a * b + 2^30) >> 31)}. That equals TFLite's
 * {@code (a * b + nudge) / 2^31} (nudge 2^30, or 1 - 2^30 for a negative product, division
 * truncating): for a negative product n = ab + 1 - 2^30 is negative and
 * trunc(n / 2^31) = floor((n + 2^31 - 1) / 2^31) = floor((ab + 2^30) / 2^31). The saturating
 * case (both MIN_VALUE) is excluded by the preconditions.
 */
final class ScalarInt16AddLoops implements Int16AddLoops {
    static final ScalarInt16AddLoops INSTANCE = new ScalarInt16AddLoops();
    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED;

    private ScalarInt16AddLoops() {
    }

    static int srdhm(int a, int b) {
        return (int) (((long) a * b + (1L << 30)) >> 31);
    }

    static int rdbpot(int x, int exponent) {
        int mask = (int) ((1L << exponent) - 1);
        int remainder = x & mask;
        int threshold = (mask >> 1) + (x < 0 ? 1 : 0);
        return (x >> exponent) + (remainder > threshold ? 1 : 0);
    }

    static int scaled(int x, int offset, int ls, int m, int e) {
        return rdbpot(srdhm((x + offset) << ls, m), e);
    }

    @Override
    public String isa() {
        return "scalar";
    }

    @Override
    public void addSub(MemorySegment a, long ap, boolean aScalar, MemorySegment b, long bp, boolean bScalar,
            MemorySegment o, long op, int len, Int16AddParams q) {
        long sa = aScalar ? 0 : 2;
        long sb = bScalar ? 0 : 2;
        int ls = q.leftShift();
        for (int k = 0; k < len; k++) {
            int sx = scaled(a.get(I16, ap + k * sa), q.aOffset(), ls, q.aMultiplier(), q.aExp());
            int sy = scaled(b.get(I16, bp + k * sb), q.bOffset(), ls, q.bMultiplier(), q.bExp());
            int raw = q.subtract() ? sx - sy : sx + sy;
            int v = rdbpot(srdhm(raw, q.outMultiplier()), q.outExp()) + q.outOffset();
            o.set(I16, op + 2L * k, (short) Math.max(q.min(), Math.min(q.max(), v)));
        }
    }
}
