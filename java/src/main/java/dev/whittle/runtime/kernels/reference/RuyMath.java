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
 * (the differential test has one). Ruy picks its kernel by CPU; its AVX2-FMA kernel
 * ({@code ruy/kernel_avx2_fma.cc}, {@code apply_multiplier} and {@code rounding_right_shift})
 * computes the same two steps with the same half-up rounding and the same overflow case (it
 * emulates the 64-bit arithmetic shift with an offset and a logical shift), so AVX2 and
 * AVX-512 machines agree. {@code FullyConnectedReference.ruyMultiply} is the same function.
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
