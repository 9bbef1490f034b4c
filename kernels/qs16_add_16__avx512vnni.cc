// qs16_add_16__avx512vnni, qs16_sub_16__avx512vnni: int16 ADD/SUB (TFLite's general 16-bit
// path), 16 elements per step in int32 lanes. srdhm(x, m) = (x * m + 2^30) >> 31 exactly (the
// reference's nudge and truncating division are this floor shift; INT32_MIN multipliers are
// excluded in Java, so it never saturates): vpmuldq on the even and the odd dwords, the low 32
// bits of the 64-bit shift (a logical shift gives the same low bits as an arithmetic one).
// rdbpot(x, e) = (x >> e) + ((x & mask) > (mask >> 1) + (x < 0)). The tail uses masked
// loads and stores. Only AVX-512 F/BW/VL instructions.
// GCC 12's avx512fintrin.h makes its "undefined" vectors as __m512i __Y = __Y, which
// -Wuninitialized reports at every inlined use of an intrinsic built on one; no value of
// them is ever read.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <immintrin.h>
#include <stdint.h>

#include "whittle/qs16_binary.h"

namespace {

inline __m512i srdhm(__m512i x, __m512i m) {
  const __m512i nudge = _mm512_set1_epi64(1LL << 30);
  const __m512i even = _mm512_srli_epi64(_mm512_add_epi64(_mm512_mul_epi32(x, m), nudge), 31);
  const __m512i odd = _mm512_slli_epi64(_mm512_add_epi64(_mm512_mul_epi32(_mm512_srli_epi64(x, 32), m), nudge), 1);
  return _mm512_mask_blend_epi32(0xAAAA, even, odd);
}

inline __m512i rdbpot(__m512i x, __m128i e, __m512i mask, __m512i half) {
  const __m512i rem = _mm512_and_si512(x, mask);
  const __m512i thr = _mm512_sub_epi32(half, _mm512_srai_epi32(x, 31));
  const __m512i r = _mm512_sra_epi32(x, e);
  return _mm512_mask_sub_epi32(r, _mm512_cmpgt_epi32_mask(rem, thr), r, _mm512_set1_epi32(-1));
}

struct Side {
  __m512i offset, multiplier, mask, half, mh, ml;
  __m128i exp;
};

inline Side side(int32_t offset, int32_t multiplier, int32_t exp) {
  const int32_t mask = (int32_t) ((1LL << exp) - 1);
  return {_mm512_set1_epi32(offset), _mm512_set1_epi32(multiplier), _mm512_set1_epi32(mask),
          _mm512_set1_epi32(mask >> 1), _mm512_set1_epi32(multiplier >> 16), _mm512_set1_epi32(multiplier & 0xFFFF),
          _mm_cvtsi32_si128(exp)};
}

// kFast (left shift 15, offset 0: TFLite's int16 ADD): srdhm(x << 15, m) = floor((x * m + 2^15) / 2^16)
// = x * mh + ((x * ml + 2^15) >> 16) with m = mh * 2^16 + ml, 0 <= ml < 2^16: for |x| <= 2^15 every
// term fits int32 (|x * mh| <= 2^30, x * ml + 2^15 in (-2^31, 2^31)), so two vpmulld replace the
// 64-bit products.
template <bool kFast>
inline __m512i scaled(__m256i x16, const Side& s, __m128i ls) {
  const __m512i x = _mm512_cvtepi16_epi32(x16);
  __m512i v;
  if (kFast) {
    const __m512i lo = _mm512_srai_epi32(_mm512_add_epi32(_mm512_mullo_epi32(x, s.ml), _mm512_set1_epi32(1 << 15)),
        16);
    v = _mm512_add_epi32(_mm512_mullo_epi32(x, s.mh), lo);
  } else {
    v = srdhm(_mm512_sll_epi32(_mm512_add_epi32(x, s.offset), ls), s.multiplier);
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
  const __m512i oo = _mm512_set1_epi32(p->out_offset);
  const __m512i lo = _mm512_set1_epi32(p->min);
  const __m512i hi = _mm512_set1_epi32(p->max);
  // A broadcast scalar is scaled once.
  const __m512i ca = a_step == 0 ? scaled<kFast>(_mm256_set1_epi16(a[0]), sa, ls) : _mm512_setzero_si512();
  const __m512i cb = b_step == 0 ? scaled<kFast>(_mm256_set1_epi16(b[0]), sb, ls) : _mm512_setzero_si512();
  auto result = [&](__m512i x, __m512i y) {
    const __m512i raw = kSub ? _mm512_sub_epi32(x, y) : _mm512_add_epi32(x, y);
    const __m512i v = _mm512_add_epi32(rdbpot(srdhm(raw, so.multiplier), so.exp, so.mask, so.half), oo);
    return _mm512_cvtepi32_epi16(_mm512_min_epi32(_mm512_max_epi32(v, lo), hi));
  };
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    const __m512i x = a_step == 0 ? ca : scaled<kFast>(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(a + i)), sa, ls);
    const __m512i y = b_step == 0 ? cb : scaled<kFast>(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(b + i)), sb, ls);
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + i), result(x, y));
  }
  if (i < n) {
    const __mmask16 m = (__mmask16) ((1u << (n - i)) - 1);
    const __m512i x = a_step == 0 ? ca : scaled<kFast>(_mm256_maskz_loadu_epi16(m, a + i), sa, ls);
    const __m512i y = b_step == 0 ? cb : scaled<kFast>(_mm256_maskz_loadu_epi16(m, b + i), sb, ls);
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
