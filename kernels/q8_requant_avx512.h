// The AVX-512 output stage of the q8 GEMM-shaped kernels (dense q8_conv2d_gemm_8x16c4, 2:4
// q8_conv2d_sp24_8x16): requantization of int32 accumulators from the per-channel arrays of
// whittle_q8_gemm_params (q8_gemm.h), the same integer steps as q8_requant_avx2.h on 16 lanes.
// Include it only from files compiled with AVX-512 flags. Static inline only: each kernel file
// compiles its own copy with its own flags. Two output stages with the same integers: requantize
// (clamped, the first kernels') and fast_requantize + store16 (fewer ops; the GEMM kernels').
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

// ---- The cheaper output stage (session 7; first in the 2:4 kernel q8_conv2d_sp24_8x16) ----
// The same integers as requantize above, fewer ops. Measured on Zen 4 (a loop of requantize +
// store over 16 int32 outputs): requantize costs ~10 vpdpbusd-slots per 16 outputs (18 zmm ops,
// 2 of them compares into mask registers) and the masked vpmovusdb store 2 more; at K = 24 a
// VNNI GEMM spends ~6 slots on its multiply-adds, so the output stage was over half of it.
// - gemmlowp's RoundingDivideByPOT(v, s) for s >= 1 is ceil(((v - [v < 0]) >> (s - 1)) / 2):
//   nested floors, floor((floor((v - [v<0]) / 2^(s-1)) + 1) / 2) = floor((v + 2^(s-1) - [v<0]) / 2^s),
//   ties away from zero as gemmlowp's (v & mask) > (mask >> 1) + [v < 0]. v - [v < 0] is
//   v + (v >> 31) (v >= -(2^31 - 1) after the doubling high multiply with m >= 0: no wrap), and
//   z - (z >> 1) = ceil(z / 2) never wraps. Channels with s = 0 keep v (a masked subtract).
//   5 shift/add ops, no compares, against 6 ops with 2 compares.
// - The clamp: with the full range of the output type the saturating narrow is the clamp
//   (vpmovsdb), or its upper half (max(v, 0), then vpmovusdb); fused activations keep both.
// - Full 16-channel panels narrow in a register and store 16 bytes unmasked (store16).
// Ruy's rounding (GL = false) keeps requantize's nudge / overflow steps.
struct FastRequant {
  __m512i mult, left, right, nudge, ovf, sat, rm1;
  __mmask16 pos;
};

// From the per-channel arrays: ld(WHITTLE_Q8_CH_*) gives the 16 lanes' values.
template <bool GL, typename Load>
WHITTLE_Q8_INLINE FastRequant fast_requant_from(Load ld) {
  FastRequant r;
  r.mult = ld(WHITTLE_Q8_CH_MULT);
  r.left = ld(WHITTLE_Q8_CH_LEFT);
  r.right = ld(WHITTLE_Q8_CH_RIGHT);
  if (GL) {
    r.pos = _mm512_cmpgt_epi32_mask(r.right, _mm512_setzero_si512());
    r.rm1 = _mm512_max_epi32(_mm512_sub_epi32(r.right, _mm512_set1_epi32(1)), _mm512_setzero_si512());
  } else {
    r.nudge = ld(WHITTLE_Q8_CH_NUDGE);
    r.ovf = ld(WHITTLE_Q8_CH_OVF);
    r.sat = ld(WHITTLE_Q8_CH_SAT);
  }
  return r;
}

// Channels n..n+15, one per lane.
template <bool GL>
WHITTLE_Q8_INLINE FastRequant load_fast_requant(const whittle_q8_gemm_params* p, int32_t n) {
  return fast_requant_from<GL>(
      [&](int which) { return _mm512_loadu_si512(whittle_q8::channel_array(p, which) + n); });
}

// Channel n in every lane (kernels whose lanes are pixels).
template <bool GL>
WHITTLE_Q8_INLINE FastRequant broadcast_fast_requant(const whittle_q8_gemm_params* p, int32_t n) {
  return fast_requant_from<GL>(
      [&](int which) { return _mm512_set1_epi32(whittle_q8::channel_array(p, which)[n]); });
}

// requantize's integers plus the output offset, before the clamp (see clamp_kind / store16).
template <bool GL>
WHITTLE_Q8_INLINE __m512i fast_requantize(__m512i x, const FastRequant& r, bool has_left, __m512i out_off) {
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
  if (GL) {
    const __m512i z = _mm512_srav_epi32(_mm512_add_epi32(v, _mm512_srai_epi32(v, 31)), r.rm1);
    out = _mm512_mask_sub_epi32(v, r.pos, z, _mm512_srai_epi32(z, 1));
  } else {
    const __m512i shifted = _mm512_srav_epi32(_mm512_add_epi32(v, r.nudge), r.right);
    out = _mm512_mask_blend_epi32(_mm512_cmpgt_epi32_mask(v, r.ovf), shifted, r.sat);
  }
  return _mm512_add_epi32(out, out_off);
}

// Which clamp a saturating narrow (vpmovsdb / vpmovusdb) still needs: 0 none (int8, full
// range), 1 max(v, 0) only (uint8 from 0 to 255), 2 both bounds (a fused activation).
template <bool U>
WHITTLE_Q8_INLINE int clamp_kind(const whittle_q8_gemm_params* p) {
  if (U) {
    return p->act_max >= 255 ? (p->act_min <= 0 ? 1 : 2) : 2;
  }
  return p->act_min <= -128 && p->act_max >= 127 ? 0 : 2;
}

// Whether the activation bounds are the whole output range: then the saturating word packs
// (vpackssdw, then vpacksswb or vpackuswb) are the whole clamp.
template <bool U>
WHITTLE_Q8_INLINE bool full_range(const whittle_q8_gemm_params* p) {
  return U ? p->act_min <= 0 && p->act_max >= 255 : p->act_min <= -128 && p->act_max >= 127;
}

// The clamp_kind part of the clamp: v then narrows exactly with vpmov(u)sdb.
template <bool U>
WHITTLE_Q8_INLINE __m512i fast_clamp(__m512i v, int clamp, __m512i lo, __m512i hi) {
  if (clamp == 2) {
    v = _mm512_min_epi32(_mm512_max_epi32(v, lo), hi);
  } else if (U && clamp == 1) {
    v = _mm512_max_epi32(v, _mm512_setzero_si512());
  }
  return v;
}

// The 16 lanes clamped and narrowed to bytes.
template <bool U>
WHITTLE_Q8_INLINE __m128i fast_narrow(__m512i v, int clamp, __m512i lo, __m512i hi) {
  v = fast_clamp<U>(v, clamp, lo, hi);
  return U ? _mm512_cvtusepi32_epi8(v) : _mm512_cvtsepi32_epi8(v);
}

// Clamps (per clamp_kind) and stores 16 outputs (those in store_mask when not full).
template <bool U>
WHITTLE_Q8_INLINE void store16(uint8_t* dst, __m512i v, int clamp, __m512i lo, __m512i hi, bool full,
                               __mmask16 store_mask) {
  v = fast_clamp<U>(v, clamp, lo, hi);
  if (full) {
    _mm_storeu_si128(reinterpret_cast<__m128i*>(dst), U ? _mm512_cvtusepi32_epi8(v) : _mm512_cvtsepi32_epi8(v));
  } else if (U) {
    _mm512_mask_cvtusepi32_storeu_epi8(dst, store_mask, v);
  } else {
    _mm512_mask_cvtsepi32_storeu_epi8(dst, store_mask, v);
  }
}

// The same on 8 lanes (ymm, AVX-512VL masks): the half panels of the GEMM kernels.
struct FastRequant8 {
  __m256i mult, left, right, nudge, ovf, sat, rm1;
  __mmask8 pos;
};

template <bool GL>
WHITTLE_Q8_INLINE FastRequant8 load_fast_requant8(const whittle_q8_gemm_params* p, int32_t n) {
  auto ld = [&](int which) {
    return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(whittle_q8::channel_array(p, which) + n));
  };
  FastRequant8 r;
  r.mult = ld(WHITTLE_Q8_CH_MULT);
  r.left = ld(WHITTLE_Q8_CH_LEFT);
  r.right = ld(WHITTLE_Q8_CH_RIGHT);
  if (GL) {
    r.pos = _mm256_cmpgt_epi32_mask(r.right, _mm256_setzero_si256());
    r.rm1 = _mm256_max_epi32(_mm256_sub_epi32(r.right, _mm256_set1_epi32(1)), _mm256_setzero_si256());
  } else {
    r.nudge = ld(WHITTLE_Q8_CH_NUDGE);
    r.ovf = ld(WHITTLE_Q8_CH_OVF);
    r.sat = ld(WHITTLE_Q8_CH_SAT);
  }
  return r;
}

template <bool GL>
WHITTLE_Q8_INLINE __m256i fast_requantize8(__m256i x, const FastRequant8& r, bool has_left, __m256i out_off) {
  if (has_left) {
    x = _mm256_sllv_epi32(x, r.left);
  }
  const __m256i round = _mm256_set1_epi64x(INT64_C(1) << 30);
  __m256i even = _mm256_mul_epi32(x, r.mult);
  __m256i odd = _mm256_mul_epi32(_mm256_srli_epi64(x, 32), _mm256_srli_epi64(r.mult, 32));
  even = _mm256_srli_epi64(_mm256_add_epi64(even, round), 31);
  odd = _mm256_slli_epi64(_mm256_add_epi64(odd, round), 1);
  const __m256i v = _mm256_blend_epi32(even, odd, 0xAA);
  __m256i out;
  if (GL) {
    const __m256i z = _mm256_srav_epi32(_mm256_add_epi32(v, _mm256_srai_epi32(v, 31)), r.rm1);
    out = _mm256_mask_sub_epi32(v, r.pos, z, _mm256_srai_epi32(z, 1));
  } else {
    const __m256i shifted = _mm256_srav_epi32(_mm256_add_epi32(v, r.nudge), r.right);
    out = _mm256_mask_blend_epi32(_mm256_cmpgt_epi32_mask(v, r.ovf), shifted, r.sat);
  }
  return _mm256_add_epi32(out, out_off);
}

// Clamps (per clamp_kind) and stores the 8 lanes in store_mask.
template <bool U>
WHITTLE_Q8_INLINE void store8(uint8_t* dst, __m256i v, int clamp, __m256i lo, __m256i hi, __mmask8 store_mask) {
  if (clamp == 2) {
    v = _mm256_min_epi32(_mm256_max_epi32(v, lo), hi);
  } else if (U && clamp == 1) {
    v = _mm256_max_epi32(v, _mm256_setzero_si256());
  }
  if (U) {
    _mm256_mask_cvtusepi32_storeu_epi8(dst, store_mask, v);
  } else {
    _mm256_mask_cvtsepi32_storeu_epi8(dst, store_mask, v);
  }
}

}  // namespace whittle_q8_avx512

#endif  // WHITTLE_KERNELS_Q8_REQUANT_AVX512_H_
