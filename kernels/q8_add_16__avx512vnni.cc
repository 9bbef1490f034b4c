// qs8_add_16__avx512vnni, qu8_add_16__avx512vnni, qs8_sub_*, qu8_sub_*: int8/uint8 ADD/SUB, 16
// elements per step in int32 lanes; the arithmetic (and kFast for TFLite's constants) as
// q8_add_16__avx2.cc, the vector steps q_add_steps.h's (q_add_avx512.h). The tail uses masked loads
// and stores. Only AVX-512 F/BW/VL instructions.
#include <immintrin.h>
#include <stdint.h>

#include "q8_add_common.h"
#include "q_add_avx512.h"
#include "whittle/qs16_binary.h"

namespace {

using O = whittle_q_add::Avx512;
using K = whittle_q_add::Int8Kind;

template <bool kSigned>
inline __m512i widen(__m128i x8) {
  return kSigned ? _mm512_cvtepi8_epi32(x8) : _mm512_cvtepu8_epi32(x8);
}

template <typename T, bool kSub, bool kFast>
void add(const whittle_qs16_add_params* p, const T* a, int64_t a_step, const T* b, int64_t b_step, T* out,
         int64_t n) {
  using whittle_q_add::scaled;
  constexpr bool kSigned = (T) -1 < 0;
  const whittle_q_add::Constants<O, K> c(p);
  // A broadcast scalar is scaled once.
  const __m512i ca = a_step == 0 ? scaled<O, K, kFast>(_mm512_set1_epi32((int32_t) a[0]), c.sa, c.ls) : O::zero();
  const __m512i cb = b_step == 0 ? scaled<O, K, kFast>(_mm512_set1_epi32((int32_t) b[0]), c.sb, c.ls) : O::zero();
  // Values are clamped within the 8-bit type, so the truncating vpmovdb stores them unchanged.
  auto result = [&](__m128i x8, __m128i y8) __attribute__((always_inline)) {
    const __m512i x = a_step == 0 ? ca : scaled<O, K, kFast>(widen<kSigned>(x8), c.sa, c.ls);
    const __m512i y = b_step == 0 ? cb : scaled<O, K, kFast>(widen<kSigned>(y8), c.sb, c.ls);
    return _mm512_cvtepi32_epi8(whittle_q_add::combine<O, K, kSub, kFast>(x, y, c));
  };
  int64_t i = 0;
  if (a_step != 0 && b_step != 0) {
    // Both contiguous (the common case): the broadcast tests fold away.
    for (; i + 16 <= n; i += 16) {
      const __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(a + i));
      const __m128i y = _mm_loadu_si128(reinterpret_cast<const __m128i*>(b + i));
      _mm_storeu_si128(reinterpret_cast<__m128i*>(out + i), result(x, y));
    }
  } else {
    for (; i + 16 <= n; i += 16) {
      const __m128i x = a_step == 0 ? _mm_setzero_si128() : _mm_loadu_si128(reinterpret_cast<const __m128i*>(a + i));
      const __m128i y = b_step == 0 ? _mm_setzero_si128() : _mm_loadu_si128(reinterpret_cast<const __m128i*>(b + i));
      _mm_storeu_si128(reinterpret_cast<__m128i*>(out + i), result(x, y));
    }
  }
  if (i < n) {
    const __mmask16 m = (__mmask16) ((1u << (n - i)) - 1);
    const __m128i x = a_step == 0 ? _mm_setzero_si128() : _mm_maskz_loadu_epi8(m, a + i);
    const __m128i y = b_step == 0 ? _mm_setzero_si128() : _mm_maskz_loadu_epi8(m, b + i);
    _mm_mask_storeu_epi8(out + i, m, result(x, y));
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

WHITTLE_Q8_ADD_EXPORTS(avx512vnni)
