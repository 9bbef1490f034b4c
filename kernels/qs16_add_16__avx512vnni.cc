// qs16_add_16__avx512vnni, qs16_sub_16__avx512vnni: int16 ADD/SUB (TFLite's general 16-bit
// path), 16 elements per step in int32 lanes; the vector steps (srdhm, rdbpot, the kFast
// products) are q_add_steps.h's, shared with the AVX2 and the 8-bit kernels. The tail uses
// masked loads and stores. Only AVX-512 F/BW/VL instructions.
#include <immintrin.h>
#include <stdint.h>

#include "q_add_avx512.h"
#include "whittle/qs16_binary.h"

namespace {

using O = whittle_q_add::Avx512;
using K = whittle_q_add::Int16Kind;

// kFast (left shift 15, offset 0: TFLite's int16 ADD): srdhm(x << 15, m) = floor((x * m + 2^15) / 2^16)
// = x * mh + ((x * ml + 2^15) >> 16) with m = mh * 2^16 + ml, 0 <= ml < 2^16: for |x| <= 2^15 every
// term fits int32 (|x * mh| <= 2^30, x * ml + 2^15 in (-2^31, 2^31)), so two vpmulld replace the
// 64-bit products.
template <bool kFast>
inline __m512i scaled(__m256i x16, const whittle_q_add::Side<O>& s, __m128i ls) {
  return whittle_q_add::scaled<O, K, kFast>(_mm512_cvtepi16_epi32(x16), s, ls);
}

template <bool kSub, bool kFast>
void add(const whittle_qs16_add_params* p, const int16_t* a, int64_t a_step, const int16_t* b, int64_t b_step,
         int16_t* out, int64_t n) {
  const whittle_q_add::Constants<O, K> c(p);
  // A broadcast scalar is scaled once.
  const __m512i ca = a_step == 0 ? scaled<kFast>(_mm256_set1_epi16(a[0]), c.sa, c.ls) : O::zero();
  const __m512i cb = b_step == 0 ? scaled<kFast>(_mm256_set1_epi16(b[0]), c.sb, c.ls) : O::zero();
  auto result = [&](__m512i x, __m512i y) {
    return _mm512_cvtepi32_epi16(whittle_q_add::combine<O, K, kSub, kFast>(x, y, c));
  };
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    const __m512i x = a_step == 0 ? ca : scaled<kFast>(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(a + i)), c.sa, c.ls);
    const __m512i y = b_step == 0 ? cb : scaled<kFast>(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(b + i)), c.sb, c.ls);
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + i), result(x, y));
  }
  if (i < n) {
    const __mmask16 m = (__mmask16) ((1u << (n - i)) - 1);
    const __m512i x = a_step == 0 ? ca : scaled<kFast>(_mm256_maskz_loadu_epi16(m, a + i), c.sa, c.ls);
    const __m512i y = b_step == 0 ? cb : scaled<kFast>(_mm256_maskz_loadu_epi16(m, b + i), c.sb, c.ls);
    _mm256_mask_storeu_epi16(out + i, m, result(x, y));
  }
}

template <bool kSub>
void add(const whittle_qs16_add_params* p, const int16_t* a, int64_t a_step, const int16_t* b, int64_t b_step,
         int16_t* out, int64_t n) {
  if (p->left_shift == 15 && p->a_offset == 0 && p->b_offset == 0) {
    add<kSub, true>(p, a, a_step, b, b_step, out, n);
  } else {
    add<kSub, false>(p, a, a_step, b, b_step, out, n);
  }
}

}  // namespace

extern "C" {

WHITTLE_API void whittle_qs16_add_16__avx512vnni(const whittle_qs16_add_params* p, const int16_t* a, int64_t a_step,
                                                 const int16_t* b, int64_t b_step, int16_t* out, int64_t n) {
  add<false>(p, a, a_step, b, b_step, out, n);
}

WHITTLE_API void whittle_qs16_sub_16__avx512vnni(const whittle_qs16_add_params* p, const int16_t* a, int64_t a_step,
                                                 const int16_t* b, int64_t b_step, int16_t* out, int64_t n) {
  add<true>(p, a, a_step, b, b_step, out, n);
}

}  // extern "C"
