// The activation row transform of the int8/uint8 AVX-512 VNNI GEMM kernels (dense
// q8_conv2d_gemm_8x16c4, and the LUT kernels that run its microkernel layout): vpdpbusd
// multiplies unsigned bytes, so every activation byte is moved to unsigned by an XOR.
// Include only from a file compiled with the avx512vnni ISA flags.
#ifndef WHITTLE_KERNELS_Q8_PACK_AVX512_H_
#define WHITTLE_KERNELS_Q8_PACK_AVX512_H_

#include <immintrin.h>
#include <stdint.h>

namespace whittle_q8_avx512 {

// Writes the k bytes of src moved to unsigned (XOR flip) into dst (src may be dst), zeros
// dst[k, kp), and returns the sum of the k moved bytes when wanted.
static inline uint32_t transform_row(const uint8_t* src, uint8_t* dst, int32_t k, int32_t kp, uint8_t flip,
                                     bool want_sum) {
  const __m512i f = _mm512_set1_epi8((char) flip);
  __m512i sums = _mm512_setzero_si512();
  for (int32_t i = 0; i < kp; i += 64) {
    const int32_t left = k - i;
    const __mmask64 m = left >= 64 ? ~(__mmask64) 0 : left > 0 ? (((__mmask64) 1 << left) - 1) : 0;
    const int32_t span = kp - i < 64 ? kp - i : 64;
    const __mmask64 store = span == 64 ? ~(__mmask64) 0 : (((__mmask64) 1 << span) - 1);
    // Lanes past k load as 0 and stay 0 (the mask applies the flip to real bytes only).
    const __m512i v = _mm512_xor_si512(_mm512_maskz_loadu_epi8(m, src + i), _mm512_maskz_mov_epi8(m, f));
    _mm512_mask_storeu_epi8(dst + i, store, v);
    if (want_sum) {
      sums = _mm512_add_epi64(sums, _mm512_sad_epu8(v, _mm512_setzero_si512()));
    }
  }
  return want_sum ? (uint32_t) _mm512_reduce_add_epi64(sums) : 0;
}

}  // namespace whittle_q8_avx512

#endif  // WHITTLE_KERNELS_Q8_PACK_AVX512_H_
