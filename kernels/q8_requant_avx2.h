// The AVX2 output stage of the q8 GEMM-shaped kernels (dense q8_conv2d_gemm_4x16c2, 2:4
// q8_conv2d_sp24_24x4, blocked sparse q8_conv2d_sparse_64x1c2, LUT q8_gemm_lut4_8x2c8):
// requantization of int32 accumulators to clamped bytes, from the per-channel arrays of
// whittle_q8_gemm_params (q8_gemm.h). Include it only from files compiled with AVX2 flags.
// Static inline only: each kernel file compiles its own copy with its own flags.
#ifndef WHITTLE_KERNELS_Q8_REQUANT_AVX2_H_
#define WHITTLE_KERNELS_Q8_REQUANT_AVX2_H_

#include <immintrin.h>

#include "q8_gemm_common.h"

namespace whittle_q8_avx2 {

struct Requant {
  __m256i mult, left, right, nudge, ovf, sat, mask, half;
};

// Channels n..n+7 of the per-channel array which (WHITTLE_Q8_CH_*).
WHITTLE_Q8_INLINE __m256i ld_channel(const whittle_q8_gemm_params* p, int which, int32_t n) {
  return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(whittle_q8::channel_array(p, which) + n));
}

// The output stage of channels n..n+7, one per lane.
WHITTLE_Q8_INLINE Requant load_requant(const whittle_q8_gemm_params* p, int32_t n) {
  Requant r;
  auto ld = [&](int which) { return ld_channel(p, which, n); };
  r.mult = ld(WHITTLE_Q8_CH_MULT);
  r.left = ld(WHITTLE_Q8_CH_LEFT);
  r.right = ld(WHITTLE_Q8_CH_RIGHT);
  r.nudge = ld(WHITTLE_Q8_CH_NUDGE);
  r.ovf = ld(WHITTLE_Q8_CH_OVF);
  r.sat = ld(WHITTLE_Q8_CH_SAT);
  r.mask = ld(WHITTLE_Q8_CH_MASK);
  r.half = ld(WHITTLE_Q8_CH_HALF);
  return r;
}

// The output stage of channel n broadcast over 8 lanes (8 pixels of one channel).
WHITTLE_Q8_INLINE Requant broadcast_requant(const whittle_q8_gemm_params* p, int32_t n) {
  using whittle_q8::channel_array;
  Requant r;
  r.mult = _mm256_set1_epi32(channel_array(p, WHITTLE_Q8_CH_MULT)[n]);
  r.left = _mm256_set1_epi32(channel_array(p, WHITTLE_Q8_CH_LEFT)[n]);
  r.right = _mm256_set1_epi32(channel_array(p, WHITTLE_Q8_CH_RIGHT)[n]);
  r.nudge = _mm256_set1_epi32(channel_array(p, WHITTLE_Q8_CH_NUDGE)[n]);
  r.ovf = _mm256_set1_epi32(channel_array(p, WHITTLE_Q8_CH_OVF)[n]);
  r.sat = _mm256_set1_epi32(channel_array(p, WHITTLE_Q8_CH_SAT)[n]);
  r.mask = _mm256_set1_epi32(channel_array(p, WHITTLE_Q8_CH_MASK)[n]);
  r.half = _mm256_set1_epi32(channel_array(p, WHITTLE_Q8_CH_HALF)[n]);
  return r;
}

// acc -> clamped output value, as RuyMath.multiplyByQuantizedMultiplier (gemmlowp = false) or
// FixedPoint.multiplyByQuantizedMultiplier (gemmlowp = true), then + output offset, clamp.
// Both start with (x << left) * m rounded as floor((x * m + 2^30) / 2^31) (gemmlowp's
// SaturatingRoundingDoublingHighMul is that value; its one saturating case needs
// m = INT32_MIN, which a Q0.31 multiplier never is); only bits 31..62 of the 64-bit sum are
// kept, so a logical 64-bit shift gives the same int32 as an arithmetic one.
WHITTLE_Q8_INLINE __m256i requantize(__m256i acc, const Requant& r, bool has_left, bool gemmlowp, __m256i out_off,
                                     __m256i lo, __m256i hi) {
  // acc started from the per-channel constant (see the kernels' microtiles).
  __m256i x = acc;
  if (has_left) {
    x = _mm256_sllv_epi32(x, r.left);
  }
  const __m256i round = _mm256_set1_epi64x(INT64_C(1) << 30);
  __m256i even = _mm256_mul_epi32(x, r.mult);
  __m256i odd = _mm256_mul_epi32(_mm256_srli_epi64(x, 32), _mm256_srli_epi64(r.mult, 32));
  even = _mm256_srli_epi64(_mm256_add_epi64(even, round), 31);
  odd = _mm256_slli_epi64(_mm256_add_epi64(odd, round), 1);
  __m256i v = _mm256_blend_epi32(even, odd, 0xAA);
  __m256i out;
  if (gemmlowp) {
    // RoundingDivideByPOT: halves away from zero.
    const __m256i rem = _mm256_and_si256(v, r.mask);
    const __m256i thr = _mm256_sub_epi32(r.half, _mm256_cmpgt_epi32(_mm256_setzero_si256(), v));
    out = _mm256_sub_epi32(_mm256_srav_epi32(v, r.right), _mm256_cmpgt_epi32(rem, thr));
  } else {
    // ruy: halves up, 1 << (31 - right) where v + nudge would pass INT32_MAX.
    const __m256i shifted = _mm256_srav_epi32(_mm256_add_epi32(v, r.nudge), r.right);
    out = _mm256_blendv_epi8(shifted, r.sat, _mm256_cmpgt_epi32(v, r.ovf));
  }
  out = _mm256_add_epi32(out, out_off);
  return _mm256_min_epi32(_mm256_max_epi32(out, lo), hi);
}

// 16 clamped int32 (in byte range) -> 16 bytes.
WHITTLE_Q8_INLINE __m128i narrow(__m256i a, __m256i b, bool is_unsigned) {
  __m256i w = _mm256_permute4x64_epi64(_mm256_packs_epi32(a, b), 0xD8);
  __m256i bytes = is_unsigned ? _mm256_packus_epi16(w, w) : _mm256_packs_epi16(w, w);
  return _mm256_castsi256_si128(_mm256_permute4x64_epi64(bytes, 0x08));
}

}  // namespace whittle_q8_avx2

#endif  // WHITTLE_KERNELS_Q8_REQUANT_AVX2_H_
