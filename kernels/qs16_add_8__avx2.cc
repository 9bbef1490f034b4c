// qs16_add_8__avx2, qs16_sub_8__avx2: int16 ADD/SUB (TFLite's general 16-bit path), 8 elements
// per step in int32 lanes; the vector steps are q_add_steps.h's (q_add_avx2.h). The tail runs
// the same step on copies padded to 8 elements. Java checks min/max within int16, so the
// saturating pack stores the clamped values unchanged.
#include <immintrin.h>
#include <stdint.h>

#include "q_add_avx2.h"
#include "whittle/qs16_binary.h"

namespace {

using O = whittle_q_add::Avx2;
using K = whittle_q_add::Int16Kind;

// kFast (left shift 15, offset 0): two vpmulld instead of the 64-bit products, as in
// qs16_add_16__avx512vnni.cc.
template <bool kFast>
inline __m256i scaled(__m128i x16, const whittle_q_add::Side<O>& s, __m128i ls) {
  return whittle_q_add::scaled<O, K, kFast>(_mm256_cvtepi16_epi32(x16), s, ls);
}

template <bool kSub, bool kFast>
void add(const whittle_qs16_add_params* p, const int16_t* a, int64_t a_step, const int16_t* b, int64_t b_step,
         int16_t* out, int64_t n) {
  const whittle_q_add::Constants<O, K> c(p);
  // A broadcast scalar is scaled once.
  const __m256i ca = a_step == 0 ? scaled<kFast>(_mm_set1_epi16(a[0]), c.sa, c.ls) : O::zero();
  const __m256i cb = b_step == 0 ? scaled<kFast>(_mm_set1_epi16(b[0]), c.sb, c.ls) : O::zero();
  auto step = [&](const int16_t* ap, const int16_t* bp, int16_t* op) {
    const __m256i x = a_step == 0 ? ca : scaled<kFast>(_mm_loadu_si128(reinterpret_cast<const __m128i*>(ap)), c.sa, c.ls);
    const __m256i y = b_step == 0 ? cb : scaled<kFast>(_mm_loadu_si128(reinterpret_cast<const __m128i*>(bp)), c.sb, c.ls);
    const __m256i v = whittle_q_add::combine<O, K, kSub, kFast>(x, y, c);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(op),
        _mm_packs_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1)));
  };
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    step(a + i * a_step, b + i * b_step, out + i);
  }
  if (i < n) {
    whittle_q_add::padded_tail<8>(a, a_step, b, b_step, out, i, n, step);
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

WHITTLE_API void whittle_qs16_add_8__avx2(const whittle_qs16_add_params* p, const int16_t* a, int64_t a_step,
                                          const int16_t* b, int64_t b_step, int16_t* out, int64_t n) {
  add<false>(p, a, a_step, b, b_step, out, n);
}

WHITTLE_API void whittle_qs16_sub_8__avx2(const whittle_qs16_add_params* p, const int16_t* a, int64_t a_step,
                                          const int16_t* b, int64_t b_step, int16_t* out, int64_t n) {
  add<true>(p, a, a_step, b, b_step, out, n);
}

}  // extern "C"
