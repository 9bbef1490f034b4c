// The AVX-512 output stage of the q8 GEMM-shaped kernels (dense q8_conv2d_gemm_8x16c4, 2:4
// q8_conv2d_sp24_8x16): requantization of int32 accumulators from the per-channel arrays of
// whittle_q8_gemm_params (q8_gemm.h), the same integer steps as q8_requant_avx2.h on 16 lanes.
// Include it only from files compiled with AVX-512 flags. Static inline only: each kernel file
// compiles its own copy with its own flags.
#ifndef WHITTLE_KERNELS_Q8_REQUANT_AVX512_H_
#define WHITTLE_KERNELS_Q8_REQUANT_AVX512_H_

#include <immintrin.h>

#include "q8_gemm_common.h"

namespace whittle_q8_avx512 {

struct Requant {
  __m512i mult, left, right, nudge, ovf, sat, mask, half;
};

// The output stage of channels n..n+15, one per lane.
WHITTLE_Q8_INLINE Requant load_requant(const whittle_q8_gemm_params* p, int32_t n) {
  using whittle_q8::channel_array;
  Requant r;
  auto ld = [&](int which) { return _mm512_loadu_si512(channel_array(p, which) + n); };
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

// As the AVX2 requantize (same integer steps), on 16 lanes.
WHITTLE_Q8_INLINE __m512i requantize(__m512i acc, const Requant& r, bool has_left, bool gemmlowp, __m512i out_off,
                                     __m512i lo, __m512i hi) {
  // acc started from the per-channel constant (see the kernels' microtiles).
  __m512i x = acc;
  if (has_left) {
    x = _mm512_sllv_epi32(x, r.left);
  }
  const __m512i round = _mm512_set1_epi64(INT64_C(1) << 30);
  __m512i even = _mm512_mul_epi32(x, r.mult);
  __m512i odd = _mm512_mul_epi32(_mm512_srli_epi64(x, 32), _mm512_srli_epi64(r.mult, 32));
  even = _mm512_srli_epi64(_mm512_add_epi64(even, round), 31);
  odd = _mm512_slli_epi64(_mm512_add_epi64(odd, round), 1);
  const __m512i v = _mm512_mask_blend_epi32((__mmask16) 0xAAAA, even, odd);
  __m512i out;
  if (gemmlowp) {
    const __m512i rem = _mm512_and_si512(v, r.mask);
    const __m512i thr = _mm512_mask_add_epi32(r.half, _mm512_cmplt_epi32_mask(v, _mm512_setzero_si512()), r.half,
                                              _mm512_set1_epi32(1));
    out = _mm512_mask_add_epi32(_mm512_srav_epi32(v, r.right), _mm512_cmpgt_epi32_mask(rem, thr),
                                _mm512_srav_epi32(v, r.right), _mm512_set1_epi32(1));
  } else {
    const __m512i shifted = _mm512_srav_epi32(_mm512_add_epi32(v, r.nudge), r.right);
    out = _mm512_mask_blend_epi32(_mm512_cmpgt_epi32_mask(v, r.ovf), shifted, r.sat);
  }
  out = _mm512_add_epi32(out, out_off);
  return _mm512_min_epi32(_mm512_max_epi32(out, lo), hi);
}

}  // namespace whittle_q8_avx512

#endif  // WHITTLE_KERNELS_Q8_REQUANT_AVX512_H_
