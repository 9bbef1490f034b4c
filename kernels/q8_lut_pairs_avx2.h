// The output step the AVX2 LUT pair kernels share (q8_gemm_lut4_8x2c8__avx2.cc and
// q8_gemm_lut4_4x2c16__avx2.cc): a 16-channel group's tile of up to 8 pixels, accumulated as
// channel pairs, transposed to pixel rows, corrected, requantized and stored.
#ifndef WHITTLE_KERNELS_Q8_LUT_PAIRS_AVX2_H_
#define WHITTLE_KERNELS_Q8_LUT_PAIRS_AVX2_H_

#include <immintrin.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "q8_requant_avx2.h"

namespace whittle_q8_lut_pairs_avx2 {

using whittle_q8_avx2::Requant;

// A 16-channel group's output constants: requantization of channels 0-7 and 8-15, the constant
// term, the coefficient of the pixel's activation sum, and the output offset and clamp.
struct GroupOut {
  Requant r0, r1;
  __m256i c0, c1, f0, f1, off, lo, hi;
  bool hl;
};

// qbuf[pair][h] holds (channel 2 pair, 2 pair + 1) of pixels 4h..4h+3 as qwords (pairs past the
// group's channels zero): transposes 4 pairs x 4 pixels of qwords into pixel rows of 8 channels,
// adds c + f * sums[i] and stores the nc bytes of each of the mr pixel rows at dst + i * stride.
template <bool GL, bool U>
WHITTLE_Q8_INLINE void store_tile(const __m256i (*qbuf)[2], int32_t mr, const int32_t* sums, const GroupOut& o,
                                  uint8_t* dst, size_t stride, int32_t nc, int32_t group) {
  for (int32_t h = 0; h * 4 < mr; h++) {
    __m256i rowv[4][2];
    for (int g = 0; g < 2; g++) {
      const __m256i A = qbuf[4 * g + 0][h], B = qbuf[4 * g + 1][h];
      const __m256i C = qbuf[4 * g + 2][h], D = qbuf[4 * g + 3][h];
      const __m256i lab = _mm256_unpacklo_epi64(A, B), hab = _mm256_unpackhi_epi64(A, B);
      const __m256i lcd = _mm256_unpacklo_epi64(C, D), hcd = _mm256_unpackhi_epi64(C, D);
      rowv[0][g] = _mm256_permute2x128_si256(lab, lcd, 0x20);
      rowv[1][g] = _mm256_permute2x128_si256(hab, hcd, 0x20);
      rowv[2][g] = _mm256_permute2x128_si256(lab, lcd, 0x31);
      rowv[3][g] = _mm256_permute2x128_si256(hab, hcd, 0x31);
    }
    const int32_t count = mr - 4 * h < 4 ? mr - 4 * h : 4;
    for (int32_t i = 0; i < count; i++) {
      const int32_t pix = 4 * h + i;
      const __m256i s = _mm256_set1_epi32(sums[pix]);
      const __m256i v0 = _mm256_add_epi32(_mm256_add_epi32(rowv[i][0], o.c0), _mm256_mullo_epi32(o.f0, s));
      const __m256i v1 = _mm256_add_epi32(_mm256_add_epi32(rowv[i][1], o.c1), _mm256_mullo_epi32(o.f1, s));
      const __m128i bytes = whittle_q8_avx2::narrow(
          whittle_q8_avx2::requantize(v0, o.r0, o.hl, GL, o.off, o.lo, o.hi),
          whittle_q8_avx2::requantize(v1, o.r1, o.hl, GL, o.off, o.lo, o.hi), U);
      uint8_t* out = dst + (size_t) pix * stride;
      if (nc == group) {
        _mm_storeu_si128(reinterpret_cast<__m128i*>(out), bytes);
      } else {
        alignas(16) uint8_t tmp[16];
        _mm_store_si128(reinterpret_cast<__m128i*>(tmp), bytes);
        memcpy(out, tmp, (size_t) nc);
      }
    }
  }
}

}  // namespace whittle_q8_lut_pairs_avx2

#endif  // WHITTLE_KERNELS_Q8_LUT_PAIRS_AVX2_H_
