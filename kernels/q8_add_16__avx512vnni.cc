// qs8_add_16__avx512vnni, qu8_add_16__avx512vnni, qs8_sub_*, qu8_sub_*: int8/uint8 ADD/SUB, 16
// elements per step in int32 lanes; the arithmetic (and kFast for TFLite's constants) as
// q8_add_16__avx2.cc, the vector steps as qs16_add_16__avx512vnni.cc. The tail uses masked loads
// and stores. Only AVX-512 F/BW/VL instructions.
// GCC 12's avx512fintrin.h: see qs16_add_16__avx512vnni.cc.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <immintrin.h>
#include <stdint.h>

#include "q8_add_common.h"
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

// kFast's rdbpot (exponent >= 1, |x| + 2^(e-1) < 2^31): rounding half away from zero is
// (x + 2^(e-1) - (x < 0)) >> e.
inline __m512i rdbpot_fast(__m512i x, __m128i e, __m512i round) {
  return _mm512_sra_epi32(_mm512_add_epi32(_mm512_add_epi32(x, round), _mm512_srai_epi32(x, 31)), e);
}

struct Side {
  __m512i offset, multiplier, mask, half, mh, ml, round;
  __m128i exp;
};

inline Side side(int32_t offset, int32_t multiplier, int32_t exp) {
  const int32_t mask = (int32_t) ((1LL << exp) - 1);
  return {_mm512_set1_epi32(offset), _mm512_set1_epi32(multiplier), _mm512_set1_epi32(mask),
          _mm512_set1_epi32(mask >> 1), _mm512_set1_epi32(multiplier >> 11), _mm512_set1_epi32(multiplier & 0x7FF),
          _mm512_set1_epi32((int32_t) ((1LL << exp) >> 1)), _mm_cvtsi32_si128(exp)};
}

template <bool kSigned>
inline __m512i widen(__m128i x8) {
  return kSigned ? _mm512_cvtepi8_epi32(x8) : _mm512_cvtepu8_epi32(x8);
}

template <bool kFast>
inline __m512i scaled(__m512i x32, const Side& s, __m128i ls) {
  const __m512i x = _mm512_add_epi32(x32, s.offset);
  __m512i v;
  if (kFast) {
    const __m512i lo = _mm512_srai_epi32(_mm512_add_epi32(_mm512_mullo_epi32(x, s.ml), _mm512_set1_epi32(1 << 10)),
        11);
    v = _mm512_add_epi32(_mm512_mullo_epi32(x, s.mh), lo);
  } else {
    v = srdhm(_mm512_sll_epi32(x, ls), s.multiplier);
  }
  return kFast ? rdbpot_fast(v, s.exp, s.round) : rdbpot(v, s.exp, s.mask, s.half);
}

template <typename T, bool kSub, bool kFast>
void add(const whittle_qs16_add_params* p, const T* a, int64_t a_step, const T* b, int64_t b_step, T* out,
         int64_t n) {
  constexpr bool kSigned = (T) -1 < 0;
  const __m128i ls = _mm_cvtsi32_si128(p->left_shift);
  const Side sa = side(p->a_offset, p->a_multiplier, p->a_exp);
  const Side sb = side(p->b_offset, p->b_multiplier, p->b_exp);
  const Side so = side(0, p->out_multiplier, p->out_exp);
  const __m512i oo = _mm512_set1_epi32(p->out_offset);
  const __m512i lo = _mm512_set1_epi32(p->min);
  const __m512i hi = _mm512_set1_epi32(p->max);
  // A broadcast scalar is scaled once.
  const __m512i ca = a_step == 0 ? scaled<kFast>(_mm512_set1_epi32((int32_t) a[0]), sa, ls) : _mm512_setzero_si512();
  const __m512i cb = b_step == 0 ? scaled<kFast>(_mm512_set1_epi32((int32_t) b[0]), sb, ls) : _mm512_setzero_si512();
  // Values are clamped within the 8-bit type, so the truncating vpmovdb stores them unchanged.
  auto result = [&](__m128i x8, __m128i y8) __attribute__((always_inline)) {
    const __m512i x = a_step == 0 ? ca : scaled<kFast>(widen<kSigned>(x8), sa, ls);
    const __m512i y = b_step == 0 ? cb : scaled<kFast>(widen<kSigned>(y8), sb, ls);
    const __m512i raw = kSub ? _mm512_sub_epi32(x, y) : _mm512_add_epi32(x, y);
    const __m512i v = _mm512_add_epi32((kFast ? rdbpot_fast(srdhm(raw, so.multiplier), so.exp, so.round)
                                              : rdbpot(srdhm(raw, so.multiplier), so.exp, so.mask, so.half)), oo);
    return _mm512_cvtepi32_epi8(_mm512_min_epi32(_mm512_max_epi32(v, lo), hi));
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
