// DEPTHWISE_CONV_2D float32, depth multiplier 1: per output pixel, the in-bounds taps are listed
// once (the only branches are per tap, none per element), then channels go 16 at a time (two
// YMM accumulators; 8 and a masked tail for the rest) through the taps in the reference's
// (fy, fx) order, + bias, clamp. Differs from the reference only by FMA's rounding.
#include <immintrin.h>
#include <stddef.h>
#include <stdint.h>

#include "whittle/f32_conv.h"

namespace {

constexpr int kMaxTaps = 256;  // the Java factory refuses larger filters

inline __m256i tail_mask(size_t n) {
  const __m256i idx = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  return _mm256_cmpgt_epi32(_mm256_set1_epi32((int) n), idx);
}

inline __m256 finish(__m256 acc, const float* bias, __m256 vmin, __m256 vmax) {
  acc = _mm256_add_ps(acc, _mm256_load_ps(bias));
  return _mm256_min_ps(_mm256_max_ps(acc, vmin), vmax);
}

}  // namespace

extern "C" WHITTLE_API void whittle_f32_dwconv2d_minmax_16c__avx2(const whittle_f32_dwconv_params* p,
    const float* input, float* output, int64_t m0, int64_t m1) {
  const size_t c = (size_t) p->in_c;
  const size_t cp = (size_t) p->c_padded;
  const __m256 vmin = _mm256_set1_ps(p->out_min);
  const __m256 vmax = _mm256_set1_ps(p->out_max);
  const int64_t hw = (int64_t) p->out_h * p->out_w;
  int b = (int) (m0 / hw);
  int oy = (int) ((m0 % hw) / p->out_w);
  int ox = (int) (m0 % p->out_w);
  const float* xs[kMaxTaps];
  const float* ws[kMaxTaps];
  for (int64_t m = m0; m < m1; m++) {
    int taps = 0;
    for (int fy = 0; fy < p->kh; fy++) {
      const int iy = oy * p->stride_h - p->pad_h + fy * p->dil_h;
      if (iy < 0 || iy >= p->in_h) continue;
      const float* row = input + ((size_t) b * p->in_h + iy) * p->in_w * c;
      for (int fx = 0; fx < p->kw; fx++) {
        const int ix = ox * p->stride_w - p->pad_w + fx * p->dil_w;
        if (ix < 0 || ix >= p->in_w) continue;
        xs[taps] = row + (size_t) ix * c;
        ws[taps] = p->weights + (size_t) (fy * p->kw + fx) * cp;
        taps++;
      }
    }
    float* out = output + (size_t) m * c;
    size_t ch = 0;
    for (; ch + 16 <= c; ch += 16) {
      __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps();
      for (int t = 0; t < taps; t++) {
        a0 = _mm256_fmadd_ps(_mm256_loadu_ps(xs[t] + ch), _mm256_load_ps(ws[t] + ch), a0);
        a1 = _mm256_fmadd_ps(_mm256_loadu_ps(xs[t] + ch + 8), _mm256_load_ps(ws[t] + ch + 8), a1);
      }
      _mm256_storeu_ps(out + ch, finish(a0, p->bias + ch, vmin, vmax));
      _mm256_storeu_ps(out + ch + 8, finish(a1, p->bias + ch + 8, vmin, vmax));
    }
    for (; ch + 8 <= c; ch += 8) {
      __m256 a0 = _mm256_setzero_ps();
      for (int t = 0; t < taps; t++) {
        a0 = _mm256_fmadd_ps(_mm256_loadu_ps(xs[t] + ch), _mm256_load_ps(ws[t] + ch), a0);
      }
      _mm256_storeu_ps(out + ch, finish(a0, p->bias + ch, vmin, vmax));
    }
    if (ch < c) {
      // Masked loads: the input's last pixel may end at the end of its buffer.
      const __m256i mask = tail_mask(c - ch);
      __m256 a0 = _mm256_setzero_ps();
      for (int t = 0; t < taps; t++) {
        a0 = _mm256_fmadd_ps(_mm256_maskload_ps(xs[t] + ch, mask), _mm256_load_ps(ws[t] + ch), a0);
      }
      _mm256_maskstore_ps(out + ch, mask, finish(a0, p->bias + ch, vmin, vmax));
    }
    if (++ox == p->out_w) {
      ox = 0;
      if (++oy == p->out_h) {
        oy = 0;
        b++;
      }
    }
  }
}
