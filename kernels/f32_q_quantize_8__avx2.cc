// f32_qs8_quantize__avx2, f32_qu8_quantize__avx2, f32_qs16_quantize__avx2: QUANTIZE float32 ->
// int8/uint8/int16, per tensor, 8 elements per step. Bit-exact with UnaryKernels.quantize:
// the same IEEE double division x / scale (vdivpd is correctly rounded, as Java's is; a
// multiplication by 1/scale would round differently), then std::round (halves away from zero)
// and Java's (int) cast in one truncating conversion of v + copysign(kRoundBias, v): NaN to 0
// (cvttpd2dq gives INT_MIN, so NaN lanes are zeroed first), >= 2^31 to INT_MAX (min with
// 2147483647.0 first), < -2^31 to INT_MIN (cvttpd2dq's own out-of-range value). The zero
// point is added with int32 wrap-around (vpaddd), as Java's int addition wraps.
#pragma GCC optimize("fp-contract=off")

#include <immintrin.h>
#include <stdint.h>
#include <string.h>

#include "whittle/quantize.h"

namespace {

// 0.5 - 2^-54, the double below one half. For finite v, RN(|v| + kRoundBias) truncates to
// floor(|v| + 1/2): a fraction of exactly 1/2 gives a sum within 2^-54 of the next integer,
// which rounds to it (to even at |v| = 1/2: 1 - 2^-54 ties to 1.0); a fraction below 1/2 is at
// most 1/2 - ulp(v), so the sum stays at least ulp/2 + 2^-54 below the next integer and rounds
// below it; from 2^52 on, v is an integer and the bias is below half an ulp.
constexpr double kRoundBias = 0.49999999999999994;

inline __m128i to_int(__m256d x, __m256d scale) {
  const __m256d v = _mm256_div_pd(x, scale);
  // trunc(v + copysign(0.5 - 2^-54, v)) is std::round(v) for every finite v (kRoundBias)
  const __m256d w = _mm256_add_pd(v, _mm256_or_pd(_mm256_and_pd(v, _mm256_set1_pd(-0.0)), _mm256_set1_pd(kRoundBias)));
  // min returns its second operand for a NaN first operand; the NaN lanes are then zeroed
  __m256d r = _mm256_min_pd(w, _mm256_set1_pd(2147483647.0));
  r = _mm256_andnot_pd(_mm256_cmp_pd(v, v, _CMP_UNORD_Q), r);
  return _mm256_cvttpd_epi32(r);  // truncates; below -2^31 gives INT_MIN, as Java's cast
}

// 8 int32 results of in[0..7], zero point added (wrapping) and clamped to [lo, hi].
inline __m128i step(const float* in, __m256d scale, __m256i zp, __m256i lo, __m256i hi) {
  // two 4-float loads straight into the widening conversions: no cross-lane extract
  const __m128i a = to_int(_mm256_cvtps_pd(_mm_loadu_ps(in)), scale);
  const __m128i b = to_int(_mm256_cvtps_pd(_mm_loadu_ps(in + 4)), scale);
  __m256i q = _mm256_add_epi32(_mm256_set_m128i(b, a), zp);
  q = _mm256_min_epi32(_mm256_max_epi32(q, lo), hi);
  // in range of int16 now: the saturating pack is exact
  return _mm_packs_epi32(_mm256_castsi256_si128(q), _mm256_extracti128_si256(q, 1));
}

// Kind 0: int8, 1: uint8, 2: int16.
template <int kKind>
inline void store8(void* out, __m128i q16) {
  if (kKind == 2) {
    _mm_storeu_si128(static_cast<__m128i*>(out), q16);
  } else if (kKind == 1) {
    _mm_storel_epi64(static_cast<__m128i*>(out), _mm_packus_epi16(q16, q16));
  } else {
    _mm_storel_epi64(static_cast<__m128i*>(out), _mm_packs_epi16(q16, q16));
  }
}

template <int kKind>
void quantize(const float* in, void* out, int64_t from, int64_t to, double scale, int32_t zero_point) {
  constexpr int kBytes = kKind == 2 ? 2 : 1;
  const __m256d vs = _mm256_set1_pd(scale);
  const __m256i zp = _mm256_set1_epi32(zero_point);
  const __m256i lo = _mm256_set1_epi32(kKind == 2 ? -32768 : kKind == 1 ? 0 : -128);
  const __m256i hi = _mm256_set1_epi32(kKind == 2 ? 32767 : kKind == 1 ? 255 : 127);
  char* o = static_cast<char*>(out);
  int64_t i = from;
  for (; i + 8 <= to; i += 8) {
    store8<kKind>(o + i * kBytes, step(in + i, vs, zp, lo, hi));
  }
  if (i < to) {
    // the tail through a zero-padded copy: the same instructions as the full steps
    const int n = static_cast<int>(to - i);
    float buf[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    alignas(16) char res[16];
    memcpy(buf, in + i, sizeof(float) * n);
    store8<kKind>(res, step(buf, vs, zp, lo, hi));
    memcpy(o + i * kBytes, res, static_cast<size_t>(n) * kBytes);
  }
}

}  // namespace

extern "C" {

WHITTLE_API void whittle_f32_qs8_quantize__avx2(const float* in, int8_t* out, int64_t from, int64_t to, double scale,
                                                int32_t zero_point) {
  quantize<0>(in, out, from, to, scale, zero_point);
}

WHITTLE_API void whittle_f32_qu8_quantize__avx2(const float* in, uint8_t* out, int64_t from, int64_t to,
                                                double scale, int32_t zero_point) {
  quantize<1>(in, out, from, to, scale, zero_point);
}

WHITTLE_API void whittle_f32_qs16_quantize__avx2(const float* in, int16_t* out, int64_t from, int64_t to,
                                                 double scale, int32_t zero_point) {
  quantize<2>(in, out, from, to, scale, zero_point);
}

}  // extern "C"
