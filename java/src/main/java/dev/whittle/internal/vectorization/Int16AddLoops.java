package dev.whittle.internal.vectorization;

import java.lang.foreign.MemorySegment;

/**
 * The int16 ADD/SUB loop of the Java path ({@code qs16_add__java}, {@code qs16_sub__java} in
 * {@code runtime/kernels/elementwise/QuantizedBinaryKernels}): {@link PanamaInt16AddLoops} on the
 * Vector API, {@link ScalarInt16AddLoops} its plain twin. Both compute, bit for bit, the
 * reference's {@code BinaryArithmetic} per element:
 * {@code clamp(rdbpot(srdhm(rdbpot(srdhm((x + aOff) << ls, am), as) +- rdbpot(srdhm((y + bOff) << ls, bm), bs), om), os) + oo, min, max)}
 * with int (wrapping) additions and shifts. Preconditions (checked by the caller at prepare):
 * no multiplier is {@code Integer.MIN_VALUE} (so srdhm never saturates) and the exponents
 * {@code as, bs, os} are in 0..31.
 */
public interface Int16AddLoops {
    /**
     * {@code len} elements: int16 x at byte offset {@code ap} + 2k (or {@code ap} alone when
     * {@code aScalar}), y likewise, int16 output at {@code op} + 2k (little-endian/native).
     */
    void addSub(MemorySegment a, long ap, boolean aScalar, MemorySegment b, long bp, boolean bScalar,
            MemorySegment o, long op, int len, Int16AddParams q);

    /** The loop for this JVM: Panama when {@link VectorizationProvider#get()} is vectorized, else the twin. */
    static Int16AddLoops get() {
        return Int16AddVectorization.INSTANCE;
    }

    /** The plain-Java twin, whatever the JVM has: for tests. */
    static Int16AddLoops plain() {
        return ScalarInt16AddLoops.INSTANCE;
    }

    /** {@code panama256}, {@code panama512} or {@code scalar}. */
    String isa();

    /** The node's constants; exponents as right shifts (0..31). */
    record Int16AddParams(boolean subtract, int leftShift, int aOffset, int aMultiplier, int aExp, int bOffset,
            int bMultiplier, int bExp, int outMultiplier, int outExp, int outOffset, int min, int max) {
        /** Whether the loops take these constants (see the interface's preconditions). */
        public boolean supported() {
            return aMultiplier != Integer.MIN_VALUE && bMultiplier != Integer.MIN_VALUE
                    && outMultiplier != Integer.MIN_VALUE && aExp >= 0 && aExp <= 31 && bExp >= 0 && bExp <= 31
                    && outExp >= 0 && outExp <= 31 && leftShift >= 0 && leftShift <= 31;
        }
    }
}
