// The folded AVX2 output stage of the q8 GEMM-shaped kernels (session 14, issue 9): both
// roundings of the requantization in ONE 64-bit add + logical shift, for ruy's rounding (int8)
// AND gemmlowp's (uint8 CONV_2D). Used by the dense q8_conv2d_gemm_4x16c2 (per-lane channels)
// and the blocked sparse q8_conv2d_sparse_64x1c2 (one channel broadcast). Include it only from
// files compiled with AVX2 flags; static inline only.
//
// y = (x << left) * m (x the int32 accumulator, m the Q0.31 multiplier, |y| < 2^62), r = right.
//
// ruy (RuyMath.multiplyByQuantizedMultiplier): floor((floor((y + 2^30) / 2^31) + nudge) / 2^r);
// nested floor divisions by powers of two with an integer addend compose:
//   floor((floor(A / 2^a) + b) / 2^c) = floor((A + b * 2^a) / 2^(a + c))          (*)
// so it is floor((y + 2^30 + nudge * 2^31) / 2^(31 + r)).
//
// gemmlowp (FixedPoint.multiplyByQuantizedMultiplier): v = SaturatingRoundingDoublingHighMul =
// floor((y + 2^30) / 2^31) (its one saturating case needs m = INT32_MIN), then
// RoundingDivideByPOT(v, r): v / 2^r rounded half AWAY from zero. With h = 2^(r - 1) (r >= 1):
//   v >= 0:  floor((v + h) / 2^r)                 (half up = away from zero)
//   v <  0:  floor((v + h - 1) / 2^r)             (= -floor((-v + h) / 2^r): ties go down)
// and for r = 0 it is v itself (h = 0, no -1). By (*):
//   v >= 0:  floor((y + 2^30 + h * 2^31) / 2^(31 + r))               constant c
//   v <  0:  floor((y + 2^30 + (h - 1) * 2^31) / 2^(31 + r))         constant cn = c - 2^31
// The choice of c or cn is taken from the SIGN OF y (the bit 63 of the 64-bit product, one
// vblendvpd), not of v: they differ only where y < 0 and v = 0, i.e. y + 2^30 in [0, 2^31);
// there cn gives floor((y + 2^30 + (h - 1) * 2^31) / 2^(31 + r)) with the numerator in
// [0, 2^31 * (h - 1) + 2^31) = [0, 2^(30 + r)), so 0 = RoundingDivideByPOT(0) too.
//
// Fused ReLU / ReLU6 (act_min >= output_offset, MobileNet's expansion layers): where v < 0 both
// the away-from-zero and the half-up quotient are <= 0 (v + h <= h - 1 < 2^r), so the output
// (<= output_offset <= act_min, no int32 wrap: |quotient| <= 2^30 for r >= 1, and r = 0 rounds
// nothing) clamps to act_min either way: the blend is dropped and c serves every lane (kFix false).
//
// Logical shifts: AVX2 has no 64-bit arithmetic shift. 2^62 is added (a multiple of 2^(31 + r)
// for r <= 31): y + 2^62 is in (0, 2^63), plus c - 2^62 <= 2^30 + 2^61 the sum stays below 2^64,
// so vpsrlvq floors it; the quotient's extra 2^(31 - r) goes into the int32 output offset
// (wrapping, as the reference's final add; the quotient itself fits int32).
//
// Instructions per 8 outputs (no left shift): 10 (ruy, ReLU-fused gemmlowp) or 12 (gemmlowp)
// against 15 for q8_requant_avx2.h's two-step gemmlowp (vpand, 2 vpcmpgtd, vpsubd x2, vpsravd).
// Boundary tests: SparseRequantFoldTest (a Java mirror of this arithmetic against FixedPoint at every
// shift, every |x| <= 2^16, the int32 ends and constructed ties; the sparse kernels at shifts 3 and 0)
// and every kernel test through the native code.
#ifndef WHITTLE_KERNELS_Q8_REQUANT_FAST_AVX2_H_
#define WHITTLE_KERNELS_Q8_REQUANT_FAST_AVX2_H_

#include <immintrin.h>

#include "q8_gemm_common.h"

namespace whittle_q8_fast_avx2 {

// Whether gemmlowp's sign-dependent constant can be dropped (see above): the clamp's lower
// bound is at or above the output zero point.
WHITTLE_Q8_INLINE bool relu_folds(const whittle_q8_gemm_params* p) {
  return p->act_min >= p->output_offset;
}

// The 64-bit constants of one channel (right r, ruy nudge), and its output offset less 2^(31 - r).
struct FoldScalars {
  int64_t c, cn, s;
  int32_t off;
};

WHITTLE_Q8_INLINE FoldScalars fold_scalars(const whittle_q8_gemm_params* p, int32_t o, bool gemmlowp) {
  const int32_t r = whittle_q8::channel_array(p, WHITTLE_Q8_CH_RIGHT)[o];
  const int64_t add = gemmlowp ? (r > 0 ? INT64_C(1) << (r - 1) : 0)
                               : (int64_t) (uint32_t) whittle_q8::channel_array(p, WHITTLE_Q8_CH_NUDGE)[o];
  FoldScalars f;
  f.c = (INT64_C(1) << 62) + (INT64_C(1) << 30) + (add << 31);
  f.cn = gemmlowp && r > 0 ? f.c - (INT64_C(1) << 31) : f.c;
  f.s = (int64_t) r + 31;
  f.off = (int32_t) ((uint32_t) p->output_offset - (UINT32_C(1) << (31 - r)));
  return f;
}

// One channel broadcast over 8 lanes (8 pixels of one channel: the sparse kernels).
struct FoldBroadcast {
  __m256i m, c, cn, s, s_hi, off, left;
};

WHITTLE_Q8_INLINE FoldBroadcast fold_broadcast(const whittle_q8_gemm_params* p, int32_t o, bool gemmlowp) {
  const FoldScalars f = fold_scalars(p, o, gemmlowp);
  FoldBroadcast b;
  b.m = _mm256_set1_epi32(whittle_q8::channel_array(p, WHITTLE_Q8_CH_MULT)[o]);
  b.left = _mm256_set1_epi32(whittle_q8::channel_array(p, WHITTLE_Q8_CH_LEFT)[o]);
  b.c = _mm256_set1_epi64x(f.c);
  b.cn = _mm256_set1_epi64x(f.cn);
  b.s = _mm256_set1_epi64x(f.s);
  b.s_hi = _mm256_set1_epi64x(f.s - 32);  // used only where r >= 1 (kOddHi)
  b.off = _mm256_set1_epi32(f.off);
  return b;
}

// y + (y < 0 ? cn : c) (kFix) or y + c, per 64-bit lane.
template <bool kFix>
WHITTLE_Q8_INLINE __m256i add_constant(__m256i y, __m256i c, __m256i cn) {
  if (!kFix) {
    return _mm256_add_epi64(y, c);
  }
  const __m256i k = _mm256_castpd_si256(
      _mm256_blendv_pd(_mm256_castsi256_pd(c), _mm256_castsi256_pd(cn), _mm256_castsi256_pd(y)));
  return _mm256_add_epi64(y, k);
}

// 8 accumulators of one channel -> 8 int32 outputs, unclamped (the kernels clamp the packed bytes).
// kOddHi: the channel shifts right (r >= 1), so the odd quotient lands in the high dword with one
// vpsrlvq by s - 32 (as FoldLanes' odd_hi): 9 instructions per 8 outputs instead of 10.
template <bool kLeft, bool kFix, bool kOddHi = false>
WHITTLE_Q8_INLINE __m256i requantize_broadcast(__m256i acc, const FoldBroadcast& f) {
  const __m256i x = kLeft ? _mm256_sllv_epi32(acc, f.left) : acc;
  __m256i e = add_constant<kFix>(_mm256_mul_epi32(x, f.m), f.c, f.cn);
  __m256i o = add_constant<kFix>(_mm256_mul_epi32(_mm256_srli_epi64(x, 32), f.m), f.c, f.cn);
  e = _mm256_srlv_epi64(e, f.s);
  o = kOddHi ? _mm256_srlv_epi64(o, f.s_hi) : _mm256_slli_epi64(_mm256_srlv_epi64(o, f.s), 32);
  return _mm256_add_epi32(_mm256_blend_epi32(e, o, 0xAA), f.off);
}

// Channels n..n+7, one per lane (the dense kernel's 16-channel panels). s_odd_hi / odd_hi: where
// every lane shifts right (r >= 1) the odd quotient lands in the high dword with one vpsrlvq by
// s - 32 (floor(floor(o / 2^(s - 32)) / 2^32) = floor(o / 2^s)).
struct FoldLanes {
  __m256i m_even, m_odd, c_even, c_odd, cn_even, cn_odd, s_even, s_odd, s_odd_hi, off, left;
  bool odd_hi;
};

// fold_scalars of channels n..n+7, vectorized (the dense kernel loads it per panel and row block).
WHITTLE_Q8_INLINE FoldLanes fold_lanes(const whittle_q8_gemm_params* p, int32_t n, bool gemmlowp) {
  auto ld = [&](int which) {
    return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(whittle_q8::channel_array(p, which) + n));
  };
  const __m256i right = ld(WHITTLE_Q8_CH_RIGHT);
  const __m256i one = _mm256_set1_epi32(1);
  // gemmlowp: h = 2^(r - 1), 0 for r = 0; ruy: its nudge (the same where the array is filled).
  const __m256i add = gemmlowp ? _mm256_srli_epi32(_mm256_sllv_epi32(one, right), 1) : ld(WHITTLE_Q8_CH_NUDGE);
  // 1 where cn = c - 2^31 (gemmlowp, r >= 1).
  const __m256i fix = gemmlowp ? _mm256_srli_epi32(_mm256_cmpgt_epi32(right, _mm256_setzero_si256()), 31)
                               : _mm256_setzero_si256();
  const __m256i low = _mm256_set1_epi64x(INT64_C(0xFFFFFFFF));
  const __m256i base = _mm256_set1_epi64x((INT64_C(1) << 62) + (INT64_C(1) << 30));
  const __m256i s31 = _mm256_set1_epi64x(31);
  auto even = [&](__m256i v) { return _mm256_and_si256(v, low); };
  auto odd = [&](__m256i v) { return _mm256_srli_epi64(v, 32); };
  FoldLanes f;
  const __m256i mult = ld(WHITTLE_Q8_CH_MULT);
  f.m_even = mult;
  f.m_odd = odd(mult);
  f.left = ld(WHITTLE_Q8_CH_LEFT);
  f.c_even = _mm256_add_epi64(base, _mm256_slli_epi64(even(add), 31));
  f.c_odd = _mm256_add_epi64(base, _mm256_slli_epi64(odd(add), 31));
  f.cn_even = _mm256_sub_epi64(f.c_even, _mm256_slli_epi64(even(fix), 31));
  f.cn_odd = _mm256_sub_epi64(f.c_odd, _mm256_slli_epi64(odd(fix), 31));
  f.s_even = _mm256_add_epi64(even(right), s31);
  f.s_odd = _mm256_add_epi64(odd(right), s31);
  f.s_odd_hi = _mm256_sub_epi64(f.s_odd, _mm256_set1_epi64x(32));
  f.odd_hi = _mm256_movemask_epi8(_mm256_cmpeq_epi32(right, _mm256_setzero_si256())) == 0;
  const __m256i bias = _mm256_sllv_epi32(one, _mm256_sub_epi32(_mm256_set1_epi32(31), right));
  f.off = _mm256_sub_epi32(_mm256_set1_epi32(p->output_offset), bias);
  return f;
}

template <bool kOddHi, bool kFix>
WHITTLE_Q8_INLINE __m256i requantize_lanes(__m256i acc, const FoldLanes& f, bool has_left) {
  const __m256i x = has_left ? _mm256_sllv_epi32(acc, f.left) : acc;
  __m256i e = add_constant<kFix>(_mm256_mul_epi32(x, f.m_even), f.c_even, f.cn_even);
  __m256i o = add_constant<kFix>(_mm256_mul_epi32(_mm256_srli_epi64(x, 32), f.m_odd), f.c_odd, f.cn_odd);
  e = _mm256_srlv_epi64(e, f.s_even);
  o = kOddHi ? _mm256_srlv_epi64(o, f.s_odd_hi) : _mm256_slli_epi64(_mm256_srlv_epi64(o, f.s_odd), 32);
  return _mm256_add_epi32(_mm256_blend_epi32(e, o, 0xAA), f.off);
}

}  // namespace whittle_q8_fast_avx2

#endif  // WHITTLE_KERNELS_Q8_REQUANT_FAST_AVX2_H_
