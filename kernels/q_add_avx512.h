// The AVX-512 operations of the quantized ADD/SUB kernels' shared steps (q_add_steps.h), for
// q8_add_16__avx512vnni.cc and qs16_add_16__avx512vnni.cc. Include it only from files compiled
// with AVX-512 flags (F/BW/VL instructions only). Static inline only.
#ifndef WHITTLE_KERNELS_Q_ADD_AVX512_H_
#define WHITTLE_KERNELS_Q_ADD_AVX512_H_

// GCC 12's avx512fintrin.h makes its "undefined" vectors as __m512i __Y = __Y, which
// -Wuninitialized reports at every inlined use of an intrinsic built on one (in the including
// kernel file too, so the pragmas stay on for the rest of it); no value of them is ever read.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

#include <immintrin.h>
#include <stdint.h>

#include "q_add_steps.h"

namespace whittle_q_add {

// 16 int32 lanes.
struct Avx512 {
  using V = __m512i;
  WHITTLE_Q_ADD_INLINE V set1(int32_t v) { return _mm512_set1_epi32(v); }
  WHITTLE_Q_ADD_INLINE V set1_64(int64_t v) { return _mm512_set1_epi64(v); }
  WHITTLE_Q_ADD_INLINE V zero() { return _mm512_setzero_si512(); }
  WHITTLE_Q_ADD_INLINE V add(V a, V b) { return _mm512_add_epi32(a, b); }
  WHITTLE_Q_ADD_INLINE V sub(V a, V b) { return _mm512_sub_epi32(a, b); }
  WHITTLE_Q_ADD_INLINE V add_64(V a, V b) { return _mm512_add_epi64(a, b); }
  WHITTLE_Q_ADD_INLINE V and_(V a, V b) { return _mm512_and_si512(a, b); }
  WHITTLE_Q_ADD_INLINE V mullo(V a, V b) { return _mm512_mullo_epi32(a, b); }
  WHITTLE_Q_ADD_INLINE V mul_32(V a, V b) { return _mm512_mul_epi32(a, b); }
  WHITTLE_Q_ADD_INLINE V min(V a, V b) { return _mm512_min_epi32(a, b); }
  WHITTLE_Q_ADD_INLINE V max(V a, V b) { return _mm512_max_epi32(a, b); }
  WHITTLE_Q_ADD_INLINE V sll(V a, __m128i n) { return _mm512_sll_epi32(a, n); }
  WHITTLE_Q_ADD_INLINE V sra(V a, __m128i n) { return _mm512_sra_epi32(a, n); }
  template <int n>
  WHITTLE_Q_ADD_INLINE V srai(V a) { return _mm512_srai_epi32(a, n); }
  template <int n>
  WHITTLE_Q_ADD_INLINE V srli_64(V a) { return _mm512_srli_epi64(a, n); }
  template <int n>
  WHITTLE_Q_ADD_INLINE V slli_64(V a) { return _mm512_slli_epi64(a, n); }
  // The even dwords of even, the odd ones of odd.
  WHITTLE_Q_ADD_INLINE V blend_odd(V even, V odd) { return _mm512_mask_blend_epi32(0xAAAA, even, odd); }
  // r - 1 in the lanes where a > b.
  WHITTLE_Q_ADD_INLINE V sub_one_where_greater(V r, V a, V b) {
    return _mm512_mask_sub_epi32(r, _mm512_cmpgt_epi32_mask(a, b), r, _mm512_set1_epi32(-1));
  }
};

}  // namespace whittle_q_add

#endif  // WHITTLE_KERNELS_Q_ADD_AVX512_H_
