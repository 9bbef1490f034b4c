// qs16_add_8__avx2, qs16_sub_8__avx2: int16 ADD/SUB (TFLite's general 16-bit path), 8 elements
// per step in int32 lanes; qs16_add_16__avx512vnni.cc explains the arithmetic. The tail runs
// the same step on copies padded to 8 elements. Java checks min/max within int16, so the
// saturating pack stores the clamped values unchanged.
#include <immintrin.h>
#include <stdint.h>
#include <string.h>

#include "whittle/qs16_binary.h"

namespace {

inline __m256i srdhm(__m256i x, __m256i m) {
  const __m256i nudge = _mm256_set1_epi64x(1LL << 30);
  const __m256i even = _mm256_srli_epi64(_mm256_add_epi64(_mm256_mul_epi32(x, m), nudge), 31);
  const __m256i odd = _mm256_slli_epi64(_mm256_add_epi64(_mm256_mul_epi32(_mm256_srli_epi64(x, 32), m), nudge), 1);
  return _mm256_blend_epi32(even, odd, 0xAA);
}

inline __m256i rdbpot(__m256i x, __m128i e, __m256i mask, __m256i half) {
  const __m256i rem = _mm256_and_si256(x, mask);
  const __m256i thr = _mm256_sub_epi32(half, _mm256_srai_epi32(x, 31));
  const __m256i r = _mm256_sra_epi32(x, e);
  return _mm256_sub_epi32(r, _mm256_cmpgt_epi32(rem, thr));
}

struct Side {
  __m256i offset, multiplier, mask, half, mh, ml;
  __m128i exp;
};

inline Side side(int32_t offset, int32_t multiplier, int32_t exp) {
  const int32_t mask = (int32_t) ((1LL << exp) - 1);
  return {_mm256_set1_epi32(offset), _mm256_set1_epi32(multiplier), _mm256_set1_epi32(mask),
          _mm256_set1_epi32(mask >> 1), _mm256_set1_epi32(multiplier >> 16), _mm256_set1_epi32(multiplier & 0xFFFF),
          _mm_cvtsi32_si128(exp)};
}

// kFast (left shift 15, offset 0): two vpmulld instead of the 64-bit products, as in
// qs16_add_16__avx512vnni.cc.
template <bool kFast>
inline __m256i scaled(__m128i x16, const Side& s, __m128i ls) {
  const __m256i x = _mm256_cvtepi16_epi32(x16);
  __m256i v;
  if (kFast) {
    const __m256i lo = _mm256_srai_epi32(_mm256_add_epi32(_mm256_mullo_epi32(x, s.ml), _mm256_set1_epi32(1 << 15)),
        16);
    v = _mm256_add_epi32(_mm256_mullo_epi32(x, s.mh), lo);
  } else {
    v = srdhm(_mm256_sll_epi32(_mm256_add_epi32(x, s.offset), ls), s.multiplier);
  }
  return rdbpot(v, s.exp, s.mask, s.half);
}

template <bool kSub, bool kFast>
void add(const whittle_qs16_add_params* p, const int16_t* a, int64_t a_step, const int16_t* b, int64_t b_step,
         int16_t* out, int64_t n) {
  const __m128i ls = _mm_cvtsi32_si128(p->left_shift);
  const Side sa = side(p->a_offset, p->a_multiplier, p->a_exp);
  const Side sb = side(p->b_offset, p->b_multiplier, p->b_exp);
  const Side so = side(0, p->out_multiplier, p->out_exp);
  const __m256i oo = _mm256_set1_epi32(p->out_offset);
  const __m256i lo = _mm256_set1_epi32(p->min);
  const __m256i hi = _mm256_set1_epi32(p->max);
  // A broadcast scalar is scaled once.
  const __m256i ca = a_step == 0 ? scaled<kFast>(_mm_set1_epi16(a[0]), sa, ls) : _mm256_setzero_si256();
  const __m256i cb = b_step == 0 ? scaled<kFast>(_mm_set1_epi16(b[0]), sb, ls) : _mm256_setzero_si256();
  auto step = [&](const int16_t* ap, const int16_t* bp, int16_t* op) {
    const __m256i x = a_step == 0 ? ca : scaled<kFast>(_mm_loadu_si128(reinterpret_cast<const __m128i*>(ap)), sa, ls);
    const __m256i y = b_step == 0 ? cb : scaled<kFast>(_mm_loadu_si128(reinterpret_cast<const __m128i*>(bp)), sb, ls);
    const __m256i raw = kSub ? _mm256_sub_epi32(x, y) : _mm256_add_epi32(x, y);
    __m256i v = _mm256_add_epi32(rdbpot(srdhm(raw, so.multiplier), so.exp, so.mask, so.half), oo);
    v = _mm256_min_epi32(_mm256_max_epi32(v, lo), hi);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(op),
        _mm_packs_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1)));
  };
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    step(a + i * a_step, b + i * b_step, out + i);
  }
  if (i < n) {
    const int64_t r = n - i;
    int16_t ta[8] = {0};
    int16_t tb[8] = {0};
    int16_t to[8];
    if (a_step != 0) {
      memcpy(ta, a + i, (size_t) r * 2);
    }
    if (b_step != 0) {
      memcpy(tb, b + i, (size_t) r * 2);
    }
    step(ta, tb, to);
    memcpy(out + i, to, (size_t) r * 2);
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
