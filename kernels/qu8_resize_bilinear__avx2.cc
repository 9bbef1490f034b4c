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

// What differs between the two element types: how eight channels are read and written, and how
// one channel's weighted sum becomes an output (uint8: + 0.5 and truncation, as TFLite does).
struct U8Pixels {
  static __m256 load8(const uint8_t* p) {
    return _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(p))));
  }
  static void store8(uint8_t* o, __m256 v) {
    v = _mm256_add_ps(v, _mm256_set1_ps(0.5f));
    const __m256i i = _mm256_cvttps_epi32(v);  // in [0, 255]: the sum of weights is 1
    const __m128i w = _mm_packus_epi32(_mm256_castsi256_si128(i), _mm256_extracti128_si256(i, 1));
    _mm_storel_epi64(reinterpret_cast<__m128i*>(o), _mm_packus_epi16(w, w));
  }
  static uint8_t finish(float v) { return static_cast<uint8_t>(static_cast<int32_t>(v + 0.5f)); }
};

struct F32Pixels {
  static __m256 load8(const float* p) { return _mm256_loadu_ps(p); }
  static void store8(float* o, __m256 v) { _mm256_storeu_ps(o, v); }
  static float finish(float v) { return v; }
};

// Output rows [row_from, row_to) (batch-major): per output pixel the four corner weights, then
// the channels eight at a time and the rest one by one, in the reference's order of operations.
template <typename T, typename Pixels>
void resize_rows(const whittle_resize_bilinear_params* p, const T* in, T* out, int64_t row_from, int64_t row_to) {
  const Tables t = tables(p);
  const int64_t c = p->channels;
  const int64_t row_in = static_cast<int64_t>(p->in_w) * c;
  for (int64_t r = row_from; r < row_to; r++) {
    const int64_t b = r / p->out_h;
    const int64_t y = r - b * p->out_h;
    const T* r0 = in + (b * p->in_h + t.y0[y]) * row_in;
    const T* r1 = in + (b * p->in_h + t.y1[y]) * row_in;
    const float dy = t.fy[y];
    T* o = out + r * p->out_w * c;
    for (int64_t x = 0; x < p->out_w; x++, o += c) {
      const float dx = t.fx[x];
      const float w00 = (1 - dy) * (1 - dx);
      const float w01 = (1 - dy) * dx;
      const float w10 = dy * (1 - dx);
      const float w11 = dy * dx;
      const T* p00 = r0 + t.x0[x] * c;
      const T* p01 = r0 + t.x1[x] * c;
      const T* p10 = r1 + t.x0[x] * c;
      const T* p11 = r1 + t.x1[x] * c;
      const __m256 v00 = _mm256_set1_ps(w00);
      const __m256 v01 = _mm256_set1_ps(w01);
      const __m256 v10 = _mm256_set1_ps(w10);
      const __m256 v11 = _mm256_set1_ps(w11);
      int64_t k = 0;
      for (; k + 8 <= c; k += 8) {
        __m256 v = _mm256_mul_ps(Pixels::load8(p00 + k), v00);
        v = _mm256_add_ps(v, _mm256_mul_ps(Pixels::load8(p01 + k), v01));
        v = _mm256_add_ps(v, _mm256_mul_ps(Pixels::load8(p10 + k), v10));
        v = _mm256_add_ps(v, _mm256_mul_ps(Pixels::load8(p11 + k), v11));
        Pixels::store8(o + k, v);
      }
      for (; k < c; k++) {
        o[k] = Pixels::finish(static_cast<float>(p00[k]) * w00 + static_cast<float>(p01[k]) * w01 +
                              static_cast<float>(p10[k]) * w10 + static_cast<float>(p11[k]) * w11);
      }
    }
  }
}

}  // namespace

extern "C" WHITTLE_API void whittle_qu8_resize_bilinear__avx2(const whittle_resize_bilinear_params* p,
                                                              const uint8_t* in, uint8_t* out, int64_t row_from,
                                                              int64_t row_to) {
  resize_rows<uint8_t, U8Pixels>(p, in, out, row_from, row_to);
}

extern "C" WHITTLE_API void whittle_f32_resize_bilinear__avx2(const whittle_resize_bilinear_params* p,
                                                              const float* in, float* out, int64_t row_from,
                                                              int64_t row_to) {
  resize_rows<float, F32Pixels>(p, in, out, row_from, row_to);
}
