// qs8_add_16__avx2, qu8_add_16__avx2, qs8_sub_16__avx2, qu8_sub_16__avx2: int8/uint8 ADD/SUB
// (TFLite's quantized 8-bit path: offsets, left shift 20, per-input
// MultiplyByQuantizedMultiplierSmallerThanOne, output multiplier, offset, clamp), 16 elements per
// step in two int32 vectors; the vector steps are q_add_steps.h's (q_add_avx2.h), shared with
// the int16 kernels, same params block (whittle/qs16_binary.h). The tail runs the same
// step on copies padded to 16 elements. Java checks min/max within the 8-bit type, so the
// saturating packs store the clamped values unchanged.
//
// kFast (left shift 20, |offset| <= 255 and every exponent >= 1, as TFLite always has for 8-bit):
// x' = x + offset has |x'| <= 510, so srdhm(x' << 20, m) = floor((x' * m * 2^20 + 2^30) / 2^31)
// = floor((x' * m + 2^10) / 2^11) = x' * mh + ((x' * ml + 2^10) >> 11) with m = mh * 2^11 + ml,
// 0 <= ml < 2^11: |x' * mh| < 2^30 and |x' * ml| < 2^20, so two vpmulld replace the 64-bit
// products; every rounding shift then sees |x| < 2^30 and takes 4 instructions (rdbpot_fast).
#include <immintrin.h>
#include <stdint.h>

#include "q8_add_common.h"
#include "q_add_avx2.h"
#include "whittle/qs16_binary.h"

namespace {

using O = whittle_q_add::Avx2;
using K = whittle_q_add::Int8Kind;

template <bool kSigned>
inline __m256i widen(__m128i x8) {
  return kSigned ? _mm256_cvtepi8_epi32(x8) : _mm256_cvtepu8_epi32(x8);
}

template <typename T, bool kSub, bool kFast>
void add(const whittle_qs16_add_params* p, const T* a, int64_t a_step, const T* b, int64_t b_step, T* out,
         int64_t n) {
  using whittle_q_add::scaled;
  constexpr bool kSigned = sizeof(T) == 1 && (T) -1 < 0;
  const whittle_q_add::Constants<O, K> c(p);
  // A broadcast scalar is scaled once.
  const __m256i ca = a_step == 0 ? scaled<O, K, kFast>(_mm256_set1_epi32((int32_t) a[0]), c.sa, c.ls) : O::zero();
  const __m256i cb = b_step == 0 ? scaled<O, K, kFast>(_mm256_set1_epi32((int32_t) b[0]), c.sb, c.ls) : O::zero();
  auto half = [&](__m128i x8, __m128i y8) __attribute__((always_inline)) {
    const __m256i x = a_step == 0 ? ca : scaled<O, K, kFast>(widen<kSigned>(x8), c.sa, c.ls);
    const __m256i y = b_step == 0 ? cb : scaled<O, K, kFast>(widen<kSigned>(y8), c.sb, c.ls);
    return whittle_q_add::combine<O, K, kSub, kFast>(x, y, c);
  };
  auto step = [&](const T* ap, const T* bp, T* op) __attribute__((always_inline)) {
    const __m128i x = a_step == 0 ? _mm_setzero_si128() : _mm_loadu_si128(reinterpret_cast<const __m128i*>(ap));
    const __m128i y = b_step == 0 ? _mm_setzero_si128() : _mm_loadu_si128(reinterpret_cast<const __m128i*>(bp));
    const __m256i v0 = half(x, y);
    const __m256i v1 = half(_mm_unpackhi_epi64(x, x), _mm_unpackhi_epi64(y, y));
    // packs_epi32 interleaves 128-bit lanes: [v0 lo, v1 lo, v0 hi, v1 hi] as int16.
    const __m256i w = _mm256_permute4x64_epi64(_mm256_packs_epi32(v0, v1), 0xD8);
    const __m128i w0 = _mm256_castsi256_si128(w);
    const __m128i w1 = _mm256_extracti128_si256(w, 1);
    const __m128i r = kSigned ? _mm_packs_epi16(w0, w1) : _mm_packus_epi16(w0, w1);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(op), r);
  };
  int64_t i = 0;
  if (a_step != 0 && b_step != 0) {
    // Both contiguous (the common case): the broadcast tests fold away.
    for (; i + 16 <= n; i += 16) {
      step(a + i, b + i, out + i);
    }
  } else {
    for (; i + 16 <= n; i += 16) {
      step(a + i * a_step, b + i * b_step, out + i);
    }
  }
  if (i < n) {
    whittle_q_add::padded_tail<16>(a, a_step, b, b_step, out, i, n, step);
  }
}

template <typename T, bool kSub>
void add(const whittle_qs16_add_params* p, const T* a, int64_t a_step, const T* b, int64_t b_step, T* out,
         int64_t n) {
  if (whittle_q8_add::fast(p)) {
    add<T, kSub, true>(p, a, a_step, b, b_step, out, n);
  } else {
    add<T, kSub, false>(p, a, a_step, b, b_step, out, n);
  }
}

}  // namespace

WHITTLE_Q8_ADD_EXPORTS(avx2)
