// qu8_resize_bilinear__avx2 and its float32 twin f32_resize_bilinear__avx2.
// RESIZE_BILINEAR, NHWC, float corner weights (TFLite's ResizeBilinearGenericSmallChannel for
// uint8, the float reference for float32): for every output pixel four weights, then the
// channels eight at a time. Bit-exact with the Java reference: the same float operations in
// the same order, so FMA contraction must stay off (GCC would otherwise fuse the
// intrinsics' mul/add pairs under -mfma).
#pragma GCC optimize("fp-contract=off")

#include <immintrin.h>
#include <stdint.h>

#include "whittle/elementwise.h"

namespace {

struct Tables {
  const int32_t* y0;
  const int32_t* y1;
  const float* fy;
  const int32_t* x0;
  const int32_t* x1;
  const float* fx;
};

inline Tables tables(const whittle_resize_bilinear_params* p) {
  const char* base = reinterpret_cast<const char*>(p + 1);
  Tables t;
  t.y0 = reinterpret_cast<const int32_t*>(base);
  t.y1 = t.y0 + p->out_h;
  t.fy = reinterpret_cast<const float*>(t.y1 + p->out_h);
  t.x0 = reinterpret_cast<const int32_t*>(t.fy + p->out_h);
  t.x1 = t.x0 + p->out_w;
  t.fx = reinterpret_cast<const float*>(t.x1 + p->out_w);
  return t;
}

inline __m256 load8u8(const uint8_t* p) {
  return _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(p))));
}

}  // namespace

extern "C" WHITTLE_API void whittle_qu8_resize_bilinear__avx2(const whittle_resize_bilinear_params* p,
                                                              const uint8_t* in, uint8_t* out, int64_t row_from,
                                                              int64_t row_to) {
  const Tables t = tables(p);
  const int64_t c = p->channels;
  const int64_t row_in = static_cast<int64_t>(p->in_w) * c;
  const __m256 half = _mm256_set1_ps(0.5f);
  for (int64_t r = row_from; r < row_to; r++) {
    const int64_t b = r / p->out_h;
    const int64_t y = r - b * p->out_h;
    const uint8_t* r0 = in + (b * p->in_h + t.y0[y]) * row_in;
    const uint8_t* r1 = in + (b * p->in_h + t.y1[y]) * row_in;
    const float dy = t.fy[y];
    uint8_t* o = out + r * p->out_w * c;
    for (int64_t x = 0; x < p->out_w; x++, o += c) {
      const float dx = t.fx[x];
      const float w00 = (1 - dy) * (1 - dx);
      const float w01 = (1 - dy) * dx;
      const float w10 = dy * (1 - dx);
      const float w11 = dy * dx;
      const uint8_t* p00 = r0 + t.x0[x] * c;
      const uint8_t* p01 = r0 + t.x1[x] * c;
      const uint8_t* p10 = r1 + t.x0[x] * c;
      const uint8_t* p11 = r1 + t.x1[x] * c;
      const __m256 v00 = _mm256_set1_ps(w00);
      const __m256 v01 = _mm256_set1_ps(w01);
      const __m256 v10 = _mm256_set1_ps(w10);
      const __m256 v11 = _mm256_set1_ps(w11);
      int64_t k = 0;
      for (; k + 8 <= c; k += 8) {
        __m256 v = _mm256_mul_ps(load8u8(p00 + k), v00);
        v = _mm256_add_ps(v, _mm256_mul_ps(load8u8(p01 + k), v01));
        v = _mm256_add_ps(v, _mm256_mul_ps(load8u8(p10 + k), v10));
        v = _mm256_add_ps(v, _mm256_mul_ps(load8u8(p11 + k), v11));
        v = _mm256_add_ps(v, half);
        const __m256i i = _mm256_cvttps_epi32(v);  // in [0, 255]: the sum of weights is 1
        const __m128i w = _mm_packus_epi32(_mm256_castsi256_si128(i), _mm256_extracti128_si256(i, 1));
        _mm_storel_epi64(reinterpret_cast<__m128i*>(o + k), _mm_packus_epi16(w, w));
      }
      for (; k < c; k++) {
        const float v = static_cast<float>(p00[k]) * w00 + static_cast<float>(p01[k]) * w01 +
                        static_cast<float>(p10[k]) * w10 + static_cast<float>(p11[k]) * w11 + 0.5f;
        o[k] = static_cast<uint8_t>(static_cast<int32_t>(v));
      }
    }
  }
}

extern "C" WHITTLE_API void whittle_f32_resize_bilinear__avx2(const whittle_resize_bilinear_params* p,
                                                              const float* in, float* out, int64_t row_from,
                                                              int64_t row_to) {
  const Tables t = tables(p);
  const int64_t c = p->channels;
  const int64_t row_in = static_cast<int64_t>(p->in_w) * c;
  for (int64_t r = row_from; r < row_to; r++) {
    const int64_t b = r / p->out_h;
    const int64_t y = r - b * p->out_h;
    const float* r0 = in + (b * p->in_h + t.y0[y]) * row_in;
    const float* r1 = in + (b * p->in_h + t.y1[y]) * row_in;
    const float dy = t.fy[y];
    float* o = out + r * p->out_w * c;
    for (int64_t x = 0; x < p->out_w; x++, o += c) {
      const float dx = t.fx[x];
      const float w00 = (1 - dy) * (1 - dx);
      const float w01 = (1 - dy) * dx;
      const float w10 = dy * (1 - dx);
      const float w11 = dy * dx;
      const float* p00 = r0 + t.x0[x] * c;
      const float* p01 = r0 + t.x1[x] * c;
      const float* p10 = r1 + t.x0[x] * c;
      const float* p11 = r1 + t.x1[x] * c;
      const __m256 v00 = _mm256_set1_ps(w00);
      const __m256 v01 = _mm256_set1_ps(w01);
      const __m256 v10 = _mm256_set1_ps(w10);
      const __m256 v11 = _mm256_set1_ps(w11);
      int64_t k = 0;
      for (; k + 8 <= c; k += 8) {
        __m256 v = _mm256_mul_ps(_mm256_loadu_ps(p00 + k), v00);
        v = _mm256_add_ps(v, _mm256_mul_ps(_mm256_loadu_ps(p01 + k), v01));
        v = _mm256_add_ps(v, _mm256_mul_ps(_mm256_loadu_ps(p10 + k), v10));
        v = _mm256_add_ps(v, _mm256_mul_ps(_mm256_loadu_ps(p11 + k), v11));
        _mm256_storeu_ps(o + k, v);
      }
      for (; k < c; k++) {
        o[k] = p00[k] * w00 + p01[k] * w01 + p10[k] * w10 + p11[k] * w11;
      }
    }
  }
}
