// DEPTHWISE_CONV_2D float32, depth multiplier 1. Per output row, the valid filter rows are
// listed once; interior pixels (all taps inside along x) go four at a time, channels 16 at a time
// (8 and a masked tail for the rest), through the taps in the reference's (fy, fx) order, + bias,
// clamp. Border pixels list their in-bounds taps and go one at a time. Branches are per row, per
// pixel or per tap, never per element. Differs from the reference only by FMA's rounding.
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


// Four adjacent interior output pixels (every tap inside the input along x) of one output row:
// four independent accumulator chains per channel vector instead of one, so the FMA latency
// (4 cycles) no longer bounds small channel counts, and each weight vector is loaded once for
// four pixels. rows[i]: the input row of valid filter row fys[i]; x0: float offset of the first
// pixel's first tap in those rows; xstep: floats between the pixels' windows.
template <int NV, bool kMasked>
inline void dw_4px(const whittle_f32_dwconv_params* p, const float* const* rows, const int* fys, int nrows,
    size_t x0, size_t xstep, size_t ch, __m256i mask, float* out, size_t c, __m256 vmin, __m256 vmax) {
  const size_t cp = (size_t) p->c_padded;
  const size_t tap_step = (size_t) p->dil_w * c;
  __m256 a[4][NV];
#pragma GCC unroll 4
  for (int j = 0; j < 4; j++) {
#pragma GCC unroll 2
    for (int v = 0; v < NV; v++) a[j][v] = _mm256_setzero_ps();
  }
  for (int i = 0; i < nrows; i++) {
    const float* r = rows[i] + x0 + ch;
    const float* wr = p->weights + (size_t) fys[i] * p->kw * cp + ch;
    for (int fx = 0; fx < p->kw; fx++) {
      const float* x = r + fx * tap_step;
      const float* w = wr + fx * cp;
#pragma GCC unroll 2
      for (int v = 0; v < NV; v++) {
        const __m256 wv = _mm256_load_ps(w + 8 * v);
#pragma GCC unroll 4
        for (int j = 0; j < 4; j++) {
          const float* xj = x + j * xstep + 8 * v;
          const __m256 xv = kMasked ? _mm256_maskload_ps(xj, mask) : _mm256_loadu_ps(xj);
          a[j][v] = _mm256_fmadd_ps(xv, wv, a[j][v]);
        }
      }
    }
  }
#pragma GCC unroll 4
  for (int j = 0; j < 4; j++) {
#pragma GCC unroll 2
    for (int v = 0; v < NV; v++) {
      const __m256 r = finish(a[j][v], p->bias + ch + 8 * v, vmin, vmax);
      if (kMasked) {
        _mm256_maskstore_ps(out + j * c + ch + 8 * v, mask, r);
      } else {
        _mm256_storeu_ps(out + j * c + ch + 8 * v, r);
      }
    }
  }
}

// One output pixel, any taps (borders): the in-bounds taps listed once, then channels.
inline void dw_1px(const whittle_f32_dwconv_params* p, const float* input, int b, int oy, int ox, float* out,
    __m256 vmin, __m256 vmax) {
  const size_t c = (size_t) p->in_c;
  const size_t cp = (size_t) p->c_padded;
  const float* xs[kMaxTaps];
  const float* ws[kMaxTaps];
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
}

}  // namespace

extern "C" WHITTLE_API void whittle_f32_dwconv2d_minmax_16c__avx2(const whittle_f32_dwconv_params* p,
    const float* input, float* output, int64_t m0, int64_t m1) {
  const size_t c = (size_t) p->in_c;
  const __m256 vmin = _mm256_set1_ps(p->out_min);
  const __m256 vmax = _mm256_set1_ps(p->out_max);
  const int64_t hw = (int64_t) p->out_h * p->out_w;
  // Output columns whose every tap is inside the input along x: [ox_lo, ox_hi).
  const int ox_lo = (p->pad_w + p->stride_w - 1) / p->stride_w;
  const int span = p->in_w - 1 - (p->kw - 1) * p->dil_w + p->pad_w;
  int ox_hi = span < 0 ? 0 : span / p->stride_w + 1;
  if (ox_hi > p->out_w) ox_hi = p->out_w;
  const size_t xstep = (size_t) p->stride_w * c;
  const float* rows[kMaxTaps];
  int fys[kMaxTaps];
  int64_t m = m0;
  while (m < m1) {
    const int b = (int) (m / hw);
    const int oy = (int) ((m % hw) / p->out_w);
    int ox = (int) (m % p->out_w);
    const int64_t row_end_m = m + (p->out_w - ox) < m1 ? m + (p->out_w - ox) : m1;
    const int ox_end = ox + (int) (row_end_m - m);
    int nrows = 0;
    for (int fy = 0; fy < p->kh; fy++) {
      const int iy = oy * p->stride_h - p->pad_h + fy * p->dil_h;
      if (iy < 0 || iy >= p->in_h) continue;
      rows[nrows] = input + ((size_t) b * p->in_h + iy) * p->in_w * c;
      fys[nrows] = fy;
      nrows++;
    }
    float* out_row = output + (size_t) (m - ox) * c;
    for (; ox < ox_end;) {
      if (ox >= ox_lo && ox + 4 <= ox_hi && ox + 4 <= ox_end) {
        const size_t x0 = (size_t) (ox * p->stride_w - p->pad_w) * c;
        float* out = out_row + (size_t) ox * c;
        size_t ch = 0;
        const __m256i none = _mm256_setzero_si256();
        for (; ch + 16 <= c; ch += 16) {
          dw_4px<2, false>(p, rows, fys, nrows, x0, xstep, ch, none, out, c, vmin, vmax);
        }
        for (; ch + 8 <= c; ch += 8) {
          dw_4px<1, false>(p, rows, fys, nrows, x0, xstep, ch, none, out, c, vmin, vmax);
        }
        if (ch < c) {
          dw_4px<1, true>(p, rows, fys, nrows, x0, xstep, ch, tail_mask(c - ch), out, c, vmin, vmax);
        }
        ox += 4;
      } else {
        dw_1px(p, input, b, oy, ox, out_row + (size_t) ox * c, vmin, vmax);
        ox++;
      }
    }
    m = row_end_m;
  }
}
