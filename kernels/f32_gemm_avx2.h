// The float32 GEMM driver of f32_conv2d_gemm_6x16__avx2 and f32_fully_connected_gemm_6x16__avx2.
// Contains AVX2+FMA intrinsics: include it only from files compiled for avx2 (__avx2.cc), never
// from portable code. Static inline only.
//
// C[m][n] = clamp(bias[n] + sum_k A[m][k] * W[k][n]), A's rows either read in place (1x1
// convolutions without padding, fully connected rows) or gathered by im2col into the worker's
// scratch, zeros standing for padding. Each accumulator sums k in ascending order, as the
// reference kernels do, so results differ from them only by FMA's single rounding of each
// product-and-add (and 0 * w terms for padded taps, which add exactly 0).
#ifndef WHITTLE_KERNELS_F32_GEMM_AVX2_H_
#define WHITTLE_KERNELS_F32_GEMM_AVX2_H_

#include <immintrin.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "whittle/f32_conv.h"

namespace whittle_f32_avx2 {

// Filter rows the kernel handles (segments of K; the Java factory refuses taller filters).
constexpr size_t kMaxKh = 64;

static inline __m256i tail_mask(size_t n) {
  // n in [0, 8]: lanes below n set.
  const __m256i idx = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  return _mm256_cmpgt_epi32(_mm256_set1_epi32((int) n), idx);
}

static inline void store_clamped(float* c, __m256 v, __m256 vbias, __m256 vmin, __m256 vmax, size_t nc) {
  v = _mm256_add_ps(v, vbias);
  v = _mm256_min_ps(_mm256_max_ps(v, vmin), vmax);
  if (nc >= 8) {
    _mm256_storeu_ps(c, v);
  } else if (nc > 0) {
    _mm256_maskstore_ps(c, tail_mask(nc), v);
  }
}

// MR = 6 rows, NV vectors of 8 columns. K is ks segments of kc: a[s * 6 + r] points at segment s
// of row r (rows >= mr alias a real row); w: a panel [ks * kc][8 * NV]; c: row 0 of the output
// tile, rows c_stride floats apart.
template <int NV>
static inline void ukernel_6xnv(size_t mr, size_t nc, size_t ks, size_t kc, const float* const* a, const float* w,
    const float* bias, float* c, size_t c_stride, __m256 vmin, __m256 vmax) {
  __m256 c00 = _mm256_setzero_ps(), c01 = _mm256_setzero_ps();
  __m256 c10 = _mm256_setzero_ps(), c11 = _mm256_setzero_ps();
  __m256 c20 = _mm256_setzero_ps(), c21 = _mm256_setzero_ps();
  __m256 c30 = _mm256_setzero_ps(), c31 = _mm256_setzero_ps();
  __m256 c40 = _mm256_setzero_ps(), c41 = _mm256_setzero_ps();
  __m256 c50 = _mm256_setzero_ps(), c51 = _mm256_setzero_ps();
  for (size_t s = 0; s < ks; s++, a += 6) {
    const float* a0 = a[0];
    const float* a1 = a[1];
    const float* a2 = a[2];
    const float* a3 = a[3];
    const float* a4 = a[4];
    const float* a5 = a[5];
    for (size_t i = 0; i < kc; i++) {
      const __m256 b0 = _mm256_load_ps(w);
      const __m256 b1 = NV == 2 ? _mm256_load_ps(w + 8) : b0;
      w += 8 * NV;
      __m256 x;
      x = _mm256_broadcast_ss(a0 + i);
      c00 = _mm256_fmadd_ps(x, b0, c00);
      if (NV == 2) c01 = _mm256_fmadd_ps(x, b1, c01);
      x = _mm256_broadcast_ss(a1 + i);
      c10 = _mm256_fmadd_ps(x, b0, c10);
      if (NV == 2) c11 = _mm256_fmadd_ps(x, b1, c11);
      x = _mm256_broadcast_ss(a2 + i);
      c20 = _mm256_fmadd_ps(x, b0, c20);
      if (NV == 2) c21 = _mm256_fmadd_ps(x, b1, c21);
      x = _mm256_broadcast_ss(a3 + i);
      c30 = _mm256_fmadd_ps(x, b0, c30);
      if (NV == 2) c31 = _mm256_fmadd_ps(x, b1, c31);
      x = _mm256_broadcast_ss(a4 + i);
      c40 = _mm256_fmadd_ps(x, b0, c40);
      if (NV == 2) c41 = _mm256_fmadd_ps(x, b1, c41);
      x = _mm256_broadcast_ss(a5 + i);
      c50 = _mm256_fmadd_ps(x, b0, c50);
      if (NV == 2) c51 = _mm256_fmadd_ps(x, b1, c51);
    }
  }
  const __m256 bias0 = _mm256_load_ps(bias);
  const __m256 bias1 = NV == 2 ? _mm256_load_ps(bias + 8) : bias0;
  const size_t nc0 = nc < 8 ? nc : 8;
  const size_t nc1 = nc > 8 ? nc - 8 : 0;
  // Rows from the last: mr says how many are real.
  switch (mr) {
    case 6:
      store_clamped(c + 5 * c_stride, c50, bias0, vmin, vmax, nc0);
      if (NV == 2) store_clamped(c + 5 * c_stride + 8, c51, bias1, vmin, vmax, nc1);
      [[fallthrough]];
    case 5:
      store_clamped(c + 4 * c_stride, c40, bias0, vmin, vmax, nc0);
      if (NV == 2) store_clamped(c + 4 * c_stride + 8, c41, bias1, vmin, vmax, nc1);
      [[fallthrough]];
    case 4:
      store_clamped(c + 3 * c_stride, c30, bias0, vmin, vmax, nc0);
      if (NV == 2) store_clamped(c + 3 * c_stride + 8, c31, bias1, vmin, vmax, nc1);
      [[fallthrough]];
    case 3:
      store_clamped(c + 2 * c_stride, c20, bias0, vmin, vmax, nc0);
      if (NV == 2) store_clamped(c + 2 * c_stride + 8, c21, bias1, vmin, vmax, nc1);
      [[fallthrough]];
    case 2:
      store_clamped(c + 1 * c_stride, c10, bias0, vmin, vmax, nc0);
      if (NV == 2) store_clamped(c + 1 * c_stride + 8, c11, bias1, vmin, vmax, nc1);
      [[fallthrough]];
    default:
      store_clamped(c, c00, bias0, vmin, vmax, nc0);
      if (NV == 2) store_clamped(c + 8, c01, bias1, vmin, vmax, nc1);
  }
}

// MR = 12 rows x 8 columns, for layers of at most 8 output channels (MobileNet's first): 12
// independent accumulator chains keep both FMA pipes busy through the 4-cycle latency, where a
// 6x8 tile would leave them a quarter idle. a[s * 12 + r] as in ukernel_6xnv.
static inline void ukernel_12x8(size_t mr, size_t nc, size_t ks, size_t kc, const float* const* a, const float* w,
    const float* bias, float* c, size_t c_stride, __m256 vmin, __m256 vmax) {
  __m256 acc[12];
#pragma GCC unroll 12
  for (int r = 0; r < 12; r++) acc[r] = _mm256_setzero_ps();
  for (size_t s = 0; s < ks; s++, a += 12) {
    const float* ap[12];
#pragma GCC unroll 12
    for (int r = 0; r < 12; r++) ap[r] = a[r];
    for (size_t i = 0; i < kc; i++) {
      const __m256 b0 = _mm256_load_ps(w);
      w += 8;
#pragma GCC unroll 12
      for (int r = 0; r < 12; r++) acc[r] = _mm256_fmadd_ps(_mm256_broadcast_ss(ap[r] + i), b0, acc[r]);
    }
  }
  const __m256 bias0 = _mm256_load_ps(bias);
#pragma GCC unroll 12
  for (int r = 0; r < 12; r++) {
    if ((size_t) r < mr) store_clamped(c + r * c_stride, acc[r], bias0, vmin, vmax, nc);
  }
}

// n floats into im2col scratch, inline: the rows copied are short (kw * in_c, 9 floats for MobileNet's first layer),
// where a call to memcpy costs more than the copy. Masked tails never touch memory past n.
static inline void copy_floats(float* dst, const float* src, size_t n) {
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    _mm256_storeu_ps(dst + i, _mm256_loadu_ps(src + i));
  }
  if (i < n) {
    // Masked load (src may end at the end of the tensor), unmasked store: dst is scratch with
    // 8 floats of slack, and what lands past n is overwritten by the next segment. (AMD's
    // masked stores are microcoded and slow.)
    _mm256_storeu_ps(dst + i, _mm256_maskload_ps(src + i, tail_mask(n - i)));
  }
}

static inline void zero_floats(float* dst, size_t n) {
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    _mm256_storeu_ps(dst + i, _mm256_setzero_ps());
  }
  if (i < n) {
    _mm256_storeu_ps(dst + i, _mm256_setzero_ps());  // into the slack, as in copy_floats
  }
}

// One output pixel's im2col row: k = kh * kw * in_c floats in (fy, fx, ic) order.
static inline void im2col_row(const whittle_f32_conv_params* p, const float* input, int b, int oy, int ox,
    float* dst) {
  const size_t ic = (size_t) p->in_c;
  const int ix0 = ox * p->stride_w - p->pad_w;
  const bool x_inside = p->dil_w == 1 && ix0 >= 0 && ix0 + p->kw <= p->in_w;
  for (int fy = 0; fy < p->kh; fy++) {
    const int iy = oy * p->stride_h - p->pad_h + fy * p->dil_h;
    if (iy < 0 || iy >= p->in_h) {
      zero_floats(dst, (size_t) p->kw * ic);
      dst += (size_t) p->kw * ic;
      continue;
    }
    const float* src_row = input + ((size_t) b * p->in_h + iy) * p->in_w * ic;
    if (x_inside) {
      copy_floats(dst, src_row + (size_t) ix0 * ic, (size_t) p->kw * ic);
      dst += (size_t) p->kw * ic;
      continue;
    }
    for (int fx = 0; fx < p->kw; fx++) {
      const int ix = ix0 + fx * p->dil_w;
      if (ix < 0 || ix >= p->in_w) {
        zero_floats(dst, ic);
      } else {
        copy_floats(dst, src_row + (size_t) ix * ic, ic);
      }
      dst += ic;
    }
  }
}

// Row pointers of one block of output pixels. Three ways to read A:
//  - direct (1x1, no padding): one segment, the input row in place;
//  - segmented (dil_w == 1, the pixel's taps inside the input along x): kh segments of kw * in_c
//    floats, each contiguous in the input (rows above/below the input read `zeros`) -- no copy,
//    which matters most for the first layer (in_c = 3), where copying costs more than the FMAs;
//  - otherwise the pixel's im2col row in scratch, as kh segments too.
template <int NV, int MR>
static inline void gemm_rows(const whittle_f32_conv_params* p, const float* input, float* output, float* scratch,
    int64_t m0, int64_t m1, int64_t n0, int64_t n1) {
  const size_t k = (size_t) p->k;
  const size_t out_c = (size_t) p->out_c;
  const size_t nr = 8 * NV;
  const size_t ic = (size_t) p->in_c;
  const __m256 vmin = _mm256_set1_ps(p->out_min);
  const __m256 vmax = _mm256_set1_ps(p->out_max);
  const int64_t hw = (int64_t) p->out_h * p->out_w;
  const bool direct = p->direct != 0;
  const size_t ks = direct ? 1 : (size_t) p->kh;
  const size_t kc = k / ks;
  // scratch: MR im2col rows, 8 floats of slack, then kc zeros (+ 8 slack) that segments of
  // filter rows outside the input read.
  float* zeros = scratch + MR * k + 8;
  if (!direct) zero_floats(zeros, kc);
  const float* a[MR * kMaxKh];
  const size_t x_step = (size_t) p->stride_w * ic;
  // The pixel (b, oy, ox) of row m0, then stepped row by row (no divisions per row).
  int b = (int) (m0 / hw);
  int oy = (int) ((m0 % hw) / p->out_w);
  int ox = (int) (m0 % p->out_w);
  for (int64_t m = m0; m < m1; m += MR) {
    const size_t mr = (size_t) (m1 - m < MR ? m1 - m : MR);
    bool prev_segmented = false;
    for (size_t r = 0; r < mr; r++) {
      if (direct) {
        a[r] = input + (((size_t) b * p->in_h + (size_t) oy * p->stride_h) * p->in_w + (size_t) ox * p->stride_w)
            * ic;
      } else {
        const int ix0 = ox * p->stride_w - p->pad_w;
        if (p->dil_w == 1 && ix0 >= 0 && ix0 + p->kw <= p->in_w) {
          if (r > 0 && ox > 0 && prev_segmented) {
            // The previous pixel of the same output row: every segment moves by one stride
            // (rows outside the input stay on `zeros`, as they depend on oy only).
            for (size_t s = 0; s < ks; s++) {
              const float* q = a[s * MR + r - 1];
              a[s * MR + r] = q == zeros ? zeros : q + x_step;
            }
            goto next_pixel;
          }
          prev_segmented = true;
          for (size_t s = 0; s < ks; s++) {
            const int iy = oy * p->stride_h - p->pad_h + (int) s * p->dil_h;
            a[s * MR + r] = iy < 0 || iy >= p->in_h ? zeros
                : input + (((size_t) b * p->in_h + iy) * p->in_w + ix0) * ic;
          }
        } else {
          float* dst = scratch + r * k;
          im2col_row(p, input, b, oy, ox, dst);
          for (size_t s = 0; s < ks; s++) {
            a[s * MR + r] = dst + s * kc;
          }
          prev_segmented = false;
        }
      }
    next_pixel:
      if (++ox == p->out_w) {
        ox = 0;
        if (++oy == p->out_h) {
          oy = 0;
          b++;
        }
      }
    }
    for (size_t r = mr; r < MR; r++) {
      for (size_t s = 0; s < ks; s++) {
        a[s * MR + r] = a[s * MR + mr - 1];
      }
    }
    for (int64_t n = n0; n < n1; n++) {
      const size_t col = (size_t) n * nr;
      const size_t nc = out_c - col < nr ? out_c - col : nr;
      if (MR == 12) {
        ukernel_12x8(mr, nc, ks, kc, a, p->weights + (size_t) n * k * nr, p->bias + col,
            output + (size_t) m * out_c + col, out_c, vmin, vmax);
      } else {
        ukernel_6xnv<NV>(mr, nc, ks, kc, a, p->weights + (size_t) n * k * nr, p->bias + col,
            output + (size_t) m * out_c + col, out_c, vmin, vmax);
      }
    }
  }
}

static inline void gemm(const whittle_f32_conv_params* p, const float* input, float* output, float* scratch,
    int64_t m0, int64_t m1, int64_t n0, int64_t n1) {
  if (p->nr == 8) {
    gemm_rows<1, 12>(p, input, output, scratch, m0, m1, n0, n1);
  } else {
    gemm_rows<2, 6>(p, input, output, scratch, m0, m1, n0, n1);
  }
}

}  // namespace whittle_f32_avx2

#endif  // WHITTLE_KERNELS_F32_GEMM_AVX2_H_
