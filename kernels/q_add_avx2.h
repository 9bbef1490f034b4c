// The AVX2 operations of the quantized ADD/SUB kernels' shared steps (q_add_steps.h), and their
// padded tail, for q8_add_16__avx2.cc and qs16_add_8__avx2.cc. Include it only from files
// compiled with AVX2 flags. Static inline only.
#ifndef WHITTLE_KERNELS_Q_ADD_AVX2_H_
#define WHITTLE_KERNELS_Q_ADD_AVX2_H_

#include <immintrin.h>
#include <stdint.h>
#include <string.h>

#include "q_add_steps.h"

namespace whittle_q_add {

// 8 int32 lanes.
struct Avx2 {
  using V = __m256i;
  WHITTLE_Q_ADD_INLINE V set1(int32_t v) { return _mm256_set1_epi32(v); }
  WHITTLE_Q_ADD_INLINE V set1_64(int64_t v) { return _mm256_set1_epi64x(v); }
  WHITTLE_Q_ADD_INLINE V zero() { return _mm256_setzero_si256(); }
  WHITTLE_Q_ADD_INLINE V add(V a, V b) { return _mm256_add_epi32(a, b); }
  WHITTLE_Q_ADD_INLINE V sub(V a, V b) { return _mm256_sub_epi32(a, b); }
  WHITTLE_Q_ADD_INLINE V add_64(V a, V b) { return _mm256_add_epi64(a, b); }
  WHITTLE_Q_ADD_INLINE V and_(V a, V b) { return _mm256_and_si256(a, b); }
  WHITTLE_Q_ADD_INLINE V mullo(V a, V b) { return _mm256_mullo_epi32(a, b); }
  WHITTLE_Q_ADD_INLINE V mul_32(V a, V b) { return _mm256_mul_epi32(a, b); }
  WHITTLE_Q_ADD_INLINE V min(V a, V b) { return _mm256_min_epi32(a, b); }
  WHITTLE_Q_ADD_INLINE V max(V a, V b) { return _mm256_max_epi32(a, b); }
  WHITTLE_Q_ADD_INLINE V sll(V a, __m128i n) { return _mm256_sll_epi32(a, n); }
  WHITTLE_Q_ADD_INLINE V sra(V a, __m128i n) { return _mm256_sra_epi32(a, n); }
  template <int n>
  WHITTLE_Q_ADD_INLINE V srai(V a) { return _mm256_srai_epi32(a, n); }
  template <int n>
  WHITTLE_Q_ADD_INLINE V srli_64(V a) { return _mm256_srli_epi64(a, n); }
  template <int n>
  WHITTLE_Q_ADD_INLINE V slli_64(V a) { return _mm256_slli_epi64(a, n); }
  // The even dwords of even, the odd ones of odd.
  WHITTLE_Q_ADD_INLINE V blend_odd(V even, V odd) { return _mm256_blend_epi32(even, odd, 0xAA); }
  // r - 1 in the lanes where a > b.
  WHITTLE_Q_ADD_INLINE V sub_one_where_greater(V r, V a, V b) { return _mm256_sub_epi32(r, _mm256_cmpgt_epi32(a, b)); }
};

// The last n - i < W elements (i < n): step(ap, bp, op) on copies padded to W elements; a
// broadcast operand (step 0) is never read by the step, so its copy stays zero.
template <int W, typename T, typename Step>
WHITTLE_Q_ADD_INLINE void padded_tail(const T* a, int64_t a_step, const T* b, int64_t b_step, T* out, int64_t i,
                                      int64_t n, Step step) {
  const size_t bytes = (size_t) (n - i) * sizeof(T);
  T ta[W] = {0};
  T tb[W] = {0};
  T to[W];
  if (a_step != 0) {
    memcpy(ta, a + i, bytes);
  }
  if (b_step != 0) {
    memcpy(tb, b + i, bytes);
  }
  step(ta, tb, to);
  memcpy(out + i, to, bytes);
}

}  // namespace whittle_q_add

#endif  // WHITTLE_KERNELS_Q_ADD_AVX2_H_
