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

// transform_row with unmasked stores (session 7: the dense q8_conv2d_gemm_8x16c4's direct rows,
// the 2:4 q8_conv2d_sp24_8x16's staged rows). Each 16/32/64-byte chunk is loaded whole where
// that stays below src_end (masked otherwise), the bytes past k zeroed in the register, and
// stored whole: up to 63 bytes past dst + kp, so the caller stages rows in order into a block
// with 64 bytes of slack after it. On Zen 4 a masked zmm store costs tens of cycles: at
// K = 16..32 (MobileNet v2's expand layers, person_detect's 1x1 layers) transform_row's staging
// cost more than the row's multiply-adds. Rows of K <= 32 take one xmm or ymm and a short
// byte-sum reduction.
static inline __attribute__((always_inline)) uint32_t stage_row(const uint8_t* src, const uint8_t* src_end,
                                                                uint8_t* dst, int32_t k, int32_t kp, uint8_t flip,
                                                                bool want_sum) {
  if (kp <= 16) {
    const __mmask16 m = (__mmask16) ((1u << k) - 1);
    const __m128i raw = src + 16 <= src_end ? _mm_loadu_si128(reinterpret_cast<const __m128i*>(src))
                                            : _mm_maskz_loadu_epi8(m, src);
    // Bytes past k are zeroed after the XOR (flipped they would not be).
    const __m128i z = _mm_maskz_mov_epi8(m, _mm_xor_si128(raw, _mm_set1_epi8((char) flip)));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(dst), z);
    if (!want_sum) {
      return 0;
    }
    const __m128i s = _mm_sad_epu8(z, _mm_setzero_si128());
    return (uint32_t) (_mm_cvtsi128_si32(s) + _mm_extract_epi32(s, 2));
  }
  if (kp <= 32) {
    const __mmask32 m = (__mmask32) ((UINT64_C(1) << k) - 1);
    const __m256i raw = src + 32 <= src_end ? _mm256_loadu_si256(reinterpret_cast<const __m256i*>(src))
                                            : _mm256_maskz_loadu_epi8(m, src);
    const __m256i z = _mm256_maskz_mov_epi8(m, _mm256_xor_si256(raw, _mm256_set1_epi8((char) flip)));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(dst), z);
    if (!want_sum) {
      return 0;
    }
    const __m256i s = _mm256_sad_epu8(z, _mm256_setzero_si256());
    const __m128i t = _mm_add_epi64(_mm256_castsi256_si128(s), _mm256_extracti128_si256(s, 1));
    return (uint32_t) (_mm_cvtsi128_si32(t) + _mm_extract_epi32(t, 2));
  }
  const __m512i f = _mm512_set1_epi8((char) flip);
  __m512i sums = _mm512_setzero_si512();
  for (int32_t i = 0; i < kp; i += 64) {
    const int32_t left = k - i;
    const __mmask64 m = left >= 64 ? ~(__mmask64) 0 : left > 0 ? (((__mmask64) 1 << left) - 1) : 0;
    const __m512i raw = src + i + 64 <= src_end ? _mm512_loadu_si512(src + i) : _mm512_maskz_loadu_epi8(m, src + i);
    const __m512i v = _mm512_maskz_mov_epi8(m, _mm512_xor_si512(raw, f));
    _mm512_storeu_si512(dst + i, v);
    if (want_sum) {
      sums = _mm512_add_epi64(sums, _mm512_sad_epu8(v, _mm512_setzero_si512()));
    }
  }
  return want_sum ? (uint32_t) _mm512_reduce_add_epi64(sums) : 0;
}

}  // namespace whittle_q8_avx512

#endif  // WHITTLE_KERNELS_Q8_PACK_AVX512_H_
