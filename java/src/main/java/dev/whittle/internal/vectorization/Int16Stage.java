package dev.whittle.internal.vectorization;

/**
 * The per-channel constants of TFLite's int64 {@code MultiplyByQuantizedMultiplier}
 * ({@code FixedPoint.multiplyByQuantizedMultiplier(long, int, int)}) for the vector kernels:
 * {@code (int) ((acc * reduced + rounding) >> t)} with {@code t = 15 - shift} in [8, 46].
 *
 * <p>AVX2 has no 64-bit arithmetic right shift, so the kernels shift logically after
 * flipping the sign bit: for any long {@code p}, {@code (p ^ 2^63) >>> t} is
 * {@code floor((p + 2^63) / 2^t) = (p >> t) + 2^(63 - t)} (2^63 is a multiple of 2^t), so
 * {@code p >> t = ((p ^ MIN_VALUE) >>> t) - signOffset} with {@code signOffset = 2^(63 - t)},
 * exact in wrapping arithmetic. The product wraps as the reference's does.
 */
final class Int16Stage {
    private Int16Stage() {
    }

    /** Whether the reference accepts every channel's multiplier and shift (else it throws). */
    static boolean accepts(int[] multipliers, int[] shifts, int n) {
        for (int c = 0; c < n; c++) {
            if (multipliers[c] < 0 || shifts[c] < -31 || shifts[c] >= 8) {
                return false;
            }
        }
        return true;
    }

    /** Fills the vector constants of channels {@code [0, n)}; padding channels get a harmless shift. */
    static void fill(int[] multipliers, int[] shifts, int n, long[] reduced, long[] rounding, long[] totalShifts,
            long[] signOffsets) {
        for (int c = 0; c < reduced.length; c++) {
            int m = c < n ? multipliers[c] : 0;
            int t = c < n ? 15 - shifts[c] : 15;
            t = Math.max(8, Math.min(46, t));
            reduced[c] = m < 0x7FFF0000 ? (m + (1 << 15)) >> 16 : 0x7FFF;
            rounding[c] = 1L << (t - 1);
            totalShifts[c] = t;
            signOffsets[c] = 1L << (63 - t);
        }
    }
}
