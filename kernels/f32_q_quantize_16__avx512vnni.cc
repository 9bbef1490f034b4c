// f32_qs8_quantize__avx512vnni, f32_qu8_quantize__avx512vnni, f32_qs16_quantize__avx512vnni:
// the AVX2 kernels' arithmetic (see f32_q_quantize_8__avx2.cc: the same double division,
// rounding and Java int conversion, so the same bits) on 16 elements per step, the tail with
// masked loads and stores. Only AVX-512 F/BW/VL instructions; listed under the VNNI path, the
// one AVX-512 path dispatch has.
#pragma GCC optimize("fp-contract=off")

#include <immintrin.h>
#include <stdint.h>

#include "whittle/quantize.h"

namespace {

// 0.5 - 2^-54: see f32_q_quantize_8__avx2.cc
constexpr double kRoundBias = 0.49999999999999994;

inline __m256i to_int(__m512d x, __m512d scale) {
  const __m512d v = _mm512_div_pd(x, scale);
  const __m512i sign = _mm512_set1_epi64(INT64_MIN);
  const __m512d bias = _mm512_castsi512_pd(_mm512_ternarylogic_epi64(
      _mm512_castpd_si512(v), sign, _mm512_castpd_si512(_mm512_set1_pd(kRoundBias)), 0xEA));  // (v & sign) | bias
  const __m512d w = _mm512_add_pd(v, bias);
  // NaN lanes to +0 (Java's cast), the rest at most 2^31-1 (its saturation; below -2^31 the
  // conversion's own INT_MIN)
  const __m512d r = _mm512_maskz_min_pd(_mm512_cmp_pd_mask(v, v, _CMP_ORD_Q), w, _mm512_set1_pd(2147483647.0));
  return _mm512_cvttpd_epi32(r);
}

template <int kKind>
inline void step(const float* in, void* out, __mmask16 m, __m512d scale, __m512i zp, __m512i lo, __m512i hi) {
  // two 8-float loads straight into the widening conversions: no cross-lane extract
  const __m256i a = to_int(_mm512_cvtps_pd(_mm256_maskz_loadu_ps(static_cast<__mmask8>(m), in)), scale);
  const __m256i b = to_int(_mm512_cvtps_pd(_mm256_maskz_loadu_ps(static_cast<__mmask8>(m >> 8), in + 8)), scale);
  __m512i q = _mm512_add_epi32(_mm512_inserti64x4(_mm512_castsi256_si512(a), b, 1), zp);
  q = _mm512_min_epi32(_mm512_max_epi32(q, lo), hi);
  if (kKind == 2) {
    _mm512_mask_cvtepi32_storeu_epi16(out, m, q);
  } else {
    _mm512_mask_cvtepi32_storeu_epi8(out, m, q);
  }
}

template <int kKind>
void quantize(const float* in, void* out, int64_t from, int64_t to, double scale, int32_t zero_point) {
  constexpr int kBytes = kKind == 2 ? 2 : 1;
  const __m512d vs = _mm512_set1_pd(scale);
  const __m512i zp = _mm512_set1_epi32(zero_point);
  const __m512i lo = _mm512_set1_epi32(kKind == 2 ? -32768 : kKind == 1 ? 0 : -128);
  const __m512i hi = _mm512_set1_epi32(kKind == 2 ? 32767 : kKind == 1 ? 255 : 127);
  char* o = static_cast<char*>(out);
  int64_t i = from;
  for (; i + 16 <= to; i += 16) {
    step<kKind>(in + i, o + i * kBytes, 0xFFFF, vs, zp, lo, hi);
  }
  if (i < to) {
    const __mmask16 m = static_cast<__mmask16>((1u << (to - i)) - 1);
    step<kKind>(in + i, o + i * kBytes, m, vs, zp, lo, hi);
  }
}

}  // namespace

extern "C" {

WHITTLE_API void whittle_f32_qs8_quantize__avx512vnni(const float* in, int8_t* out, int64_t from, int64_t to,
                                                      double scale, int32_t zero_point) {
  quantize<0>(in, out, from, to, scale, zero_point);
}

WHITTLE_API void whittle_f32_qu8_quantize__avx512vnni(const float* in, uint8_t* out, int64_t from, int64_t to,
                                                      double scale, int32_t zero_point) {
  quantize<1>(in, out, from, to, scale, zero_point);
}

WHITTLE_API void whittle_f32_qs16_quantize__avx512vnni(const float* in, int16_t* out, int64_t from, int64_t to,
                                                       double scale, int32_t zero_point) {
  quantize<2>(in, out, from, to, scale, zero_point);
}

}  // extern "C"
