// qs8_add_16__avx2, qu8_add_16__avx2, qs8_sub_16__avx2, qu8_sub_16__avx2: int8/uint8 ADD/SUB
// (TFLite's quantized 8-bit path: offsets, left shift 20, per-input
// MultiplyByQuantizedMultiplierSmallerThanOne, output multiplier, offset, clamp), 16 elements per
// step in two int32 vectors; the arithmetic is qs16_add_8__avx2.cc's (see
// qs16_add_16__avx512vnni.cc), same params block (whittle/qs16_binary.h). The tail runs the same
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
#include <string.h>

#include "q8_add_common.h"
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

// kFast's rdbpot (exponent >= 1, |x| + 2^(e-1) < 2^31): rounding half away from zero is
// (x + 2^(e-1) - (x < 0)) >> e.
inline __m256i rdbpot_fast(__m256i x, __m128i e, __m256i round) {
  return _mm256_sra_epi32(_mm256_add_epi32(_mm256_add_epi32(x, round), _mm256_srai_epi32(x, 31)), e);
}

struct Side {
  __m256i offset, multiplier, mask, half, mh, ml, round;
  __m128i exp;
};

inline Side side(int32_t offset, int32_t multiplier, int32_t exp) {
  const int32_t mask = (int32_t) ((1LL << exp) - 1);
  return {_mm256_set1_epi32(offset), _mm256_set1_epi32(multiplier), _mm256_set1_epi32(mask),
          _mm256_set1_epi32(mask >> 1), _mm256_set1_epi32(multiplier >> 11), _mm256_set1_epi32(multiplier & 0x7FF),
          _mm256_set1_epi32((int32_t) ((1LL << exp) >> 1)), _mm_cvtsi32_si128(exp)};
}

template <bool kSigned>
inline __m256i widen(__m128i x8) {
  return kSigned ? _mm256_cvtepi8_epi32(x8) : _mm256_cvtepu8_epi32(x8);
}

template <bool kFast>
inline __m256i scaled(__m256i x32, const Side& s, __m128i ls) {
  const __m256i x = _mm256_add_epi32(x32, s.offset);
  __m256i v;
  if (kFast) {
    const __m256i lo = _mm256_srai_epi32(_mm256_add_epi32(_mm256_mullo_epi32(x, s.ml), _mm256_set1_epi32(1 << 10)),
        11);
    v = _mm256_add_epi32(_mm256_mullo_epi32(x, s.mh), lo);
  } else {
    v = srdhm(_mm256_sll_epi32(x, ls), s.multiplier);
  }
  return kFast ? rdbpot_fast(v, s.exp, s.round) : rdbpot(v, s.exp, s.mask, s.half);
}

template <typename T, bool kSub, bool kFast>
void add(const whittle_qs16_add_params* p, const T* a, int64_t a_step, const T* b, int64_t b_step, T* out,
         int64_t n) {
  constexpr bool kSigned = sizeof(T) == 1 && (T) -1 < 0;
  const __m128i ls = _mm_cvtsi32_si128(p->left_shift);
  const Side sa = side(p->a_offset, p->a_multiplier, p->a_exp);
  const Side sb = side(p->b_offset, p->b_multiplier, p->b_exp);
  const Side so = side(0, p->out_multiplier, p->out_exp);
  const __m256i oo = _mm256_set1_epi32(p->out_offset);
  const __m256i lo = _mm256_set1_epi32(p->min);
  const __m256i hi = _mm256_set1_epi32(p->max);
  // A broadcast scalar is scaled once.
  const __m256i ca = a_step == 0 ? scaled<kFast>(_mm256_set1_epi32((int32_t) a[0]), sa, ls) : _mm256_setzero_si256();
  const __m256i cb = b_step == 0 ? scaled<kFast>(_mm256_set1_epi32((int32_t) b[0]), sb, ls) : _mm256_setzero_si256();
  auto half = [&](__m128i x8, __m128i y8) __attribute__((always_inline)) {
    const __m256i x = a_step == 0 ? ca : scaled<kFast>(widen<kSigned>(x8), sa, ls);
    const __m256i y = b_step == 0 ? cb : scaled<kFast>(widen<kSigned>(y8), sb, ls);
    const __m256i raw = kSub ? _mm256_sub_epi32(x, y) : _mm256_add_epi32(x, y);
    const __m256i v = _mm256_add_epi32((kFast ? rdbpot_fast(srdhm(raw, so.multiplier), so.exp, so.round)
                                              : rdbpot(srdhm(raw, so.multiplier), so.exp, so.mask, so.half)), oo);
    return _mm256_min_epi32(_mm256_max_epi32(v, lo), hi);
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
    const int64_t r = n - i;
    T ta[16] = {0};
    T tb[16] = {0};
    T to[16];
    if (a_step != 0) {
      memcpy(ta, a + i, (size_t) r);
    }
    if (b_step != 0) {
      memcpy(tb, b + i, (size_t) r);
    }
    step(ta, tb, to);
    memcpy(out + i, to, (size_t) r);
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
