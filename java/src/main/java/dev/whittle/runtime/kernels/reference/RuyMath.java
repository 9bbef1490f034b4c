package dev.whittle.runtime.kernels.reference;

/**
 * The multiplier application of ruy, the GEMM library behind TFLite's optimized int8
 * convolution ({@code optimized_integer_ops::ConvPerChannel} goes through
 * {@code cpu_backend_gemm}, which sends int8 GEMMs to ruy on x86), as its AVX-512 kernels
 * compute it ({@code ruy/kernel_avx512.cc}, {@code apply_multiplier} and
 * {@code rounding_right_shift}):
 * <ol>
 * <li>a 32-bit (wrapping) left shift by {@code max(shift, 0)};</li>
 * <li>{@code (x * multiplier + 2^30) >> 31} in 64 bits: halves rounded upward, and no
 *     saturation;</li>
 * <li>a rounding right shift by {@code max(-shift, 0)}: {@code (v + 2^(rs - 1)) >> rs},
 *     halves upward, with {@code 1 << (31 - rs)} where {@code v + 2^(rs - 1)} would pass
 *     {@code INT32_MAX}.</li>
 * </ol>
 * TFLite's own {@code MultiplyByQuantizedMultiplier} rounds the second step's halves away
 * from zero instead, so the two differ on negative exact ties, which real convolutions hit
 * (the differential test has one). Ruy picks its kernel by CPU: this is the AVX-512 path,
 * the one x86 servers take. Its AVX2 kernel rounds once instead
 * ({@code (x * m + 2^(30 + rs)) >> (31 + rs)}); on a machine without AVX-512, TFLite's int8
 * CONV_2D can differ from this by 1 on such ties.
 */
public final class RuyMath {
    private RuyMath() {
    }

    /** {@code x * multiplier * 2^(shift - 31)}, rounded as ruy's AVX-512 kernels round it. */
    public static int multiplyByQuantizedMultiplier(int x, int multiplier, int shift) {
        int leftShift = Math.max(shift, 0);
        int rightShift = Math.max(-shift, 0);
        long scaled = ((long) (x << leftShift) * multiplier + (1L << 30)) >> 31;
        if (rightShift > 0) {
            long nudge = 1L << (rightShift - 1);
            scaled = scaled > 0x7fffffffL - nudge ? 1L << (31 - rightShift) : (scaled + nudge) >> rightShift;
        }
        return (int) scaled;
    }
}
