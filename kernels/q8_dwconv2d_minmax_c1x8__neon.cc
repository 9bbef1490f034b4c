// DEPTHWISE_CONV_2D int8/uint8 with one input channel, depth multiplier >= 8, AArch64 Advanced
// SIMD (baseline), issue 6 for Arm: the NEON twin of q8_dwconv2d_minmax_c1x8__avx2 on the same
// packed block (whittle/dwconv_c1.h; Java: NativeDepthwiseConvC1 with isa "neon"). Per needed
// input row the call widens the row once to int16 (x + input offset, 0 outside the image) in the
// scratch; per output pixel and block of 8 channels the (w[kx], w[kx + 1]) int16 weight pairs are
// deinterleaved by vld2q_s16 (once per 4 pixels) and each tap pair's two inputs are multiplied into two int32x4
// accumulators with smlal / smlal2 by element (exact: |x|, |w| <= 255).
// Output stage: the block's x86 constants are decoded once per block (left shift, multiplier,
// right shift e from the shift counts, output zero point = zp' + 2^(31 - e)), then as the other
// NEON depthwise kernels: shift left (wrapping), sqrdmulh (gemmlowp's SRDHM), and TFLite's
// RoundingDivideByPOT (and + sign fixup, srshl), + output zero point, clamp.
#include <arm_neon.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "whittle/dwconv_c1.h"

static_assert(sizeof(whittle_dwconv_c1_params) == 176, "params block layout is mirrored by Java");

namespace {

struct BlockConsts {
  int32x4_t bias[2], left[2], mult[2], nshift[2], zp[2];
};

BlockConsts decode(const uint8_t* c, int32_t odd_high) {
  int32_t bias[8], left[8], mult[8], nshift[8], zp[8];
  memcpy(bias, c, 32);
  memcpy(left, c + 32, 32);
  memcpy(mult, c + 64, 32);
  for (int l = 0; l < 8; l++) {
    int64_t cnt;
    memcpy(&cnt, c + ((l & 1) == 0 ? 256 : 288) + 8 * (l >> 1), 8);
    const int e = (l & 1) == 1 && odd_high != 0 ? (int) cnt + 1 : (int) cnt - 31;
    int32_t z;
    memcpy(&z, c + 320 + 4 * l, 4);
    nshift[l] = -e;
    zp[l] = (int32_t) ((uint32_t) z + (uint32_t) (1u << (31 - e)));
  }
  BlockConsts k;
  for (int h = 0; h < 2; h++) {
    k.bias[h] = vld1q_s32(bias + 4 * h);
    k.left[h] = vld1q_s32(left + 4 * h);
    k.mult[h] = vld1q_s32(mult + 4 * h);
    k.nshift[h] = vld1q_s32(nshift + 4 * h);
    k.zp[h] = vld1q_s32(zp + 4 * h);
  }
  return k;
}

inline int32x4_t requant(int32x4_t acc, const BlockConsts& k, int h, int32x4_t vmin, int32x4_t vmax) {
  const int32x4_t x = vshlq_s32(acc, k.left[h]);
  const int32x4_t s = vqrdmulhq_s32(x, k.mult[h]);
  // RoundingDivideByPOT (ties away from zero): a negative value moves down by one before the
  // rounding shift (srshl rounds ties up).
  const int32x4_t fix = vshrq_n_s32(vandq_s32(s, k.nshift[h]), 31);
  int32x4_t q = vrshlq_s32(vqaddq_s32(s, fix), k.nshift[h]);
  q = vaddq_s32(q, k.zp[h]);
  return vminq_s32(vmaxq_s32(q, vmin), vmax);
}

// 8 channels of one pixel: requantized, clamped, narrowed, stored.
template <bool U>
inline void store8(uint8_t* dst, int32x4_t a0, int32x4_t a1, const BlockConsts& k, int32x4_t vmin, int32x4_t vmax) {
  const int16x8_t r16 = vcombine_s16(vmovn_s32(requant(a0, k, 0, vmin, vmax)), vmovn_s32(requant(a1, k, 1, vmin, vmax)));
  const uint8x8_t r8 = U ? vqmovun_s16(r16) : vreinterpret_u8_s8(vqmovn_s16(r16));
  vst1_u8(dst, r8);
}

template <bool U>
void widen_row(const whittle_dwconv_c1_params* p, const uint8_t* row, int16_t* dst) {
  const int n = p->row_elems, pad = p->pad_w, in_w = p->in_w, io = p->input_offset;
  for (int j = 0; j < n; j++) {
    const int i = j - pad;
    dst[j] = i >= 0 && i < in_w ? (int16_t) ((U ? (int) row[i] : (int) (int8_t) row[i]) + io) : 0;
  }
}

template <bool U>
void run(const whittle_dwconv_c1_params* p, const uint8_t* input, uint8_t* output, void* scratch, int32_t row_begin,
         int32_t row_end) {
  const int out_h = p->out_h, out_w = p->out_w, m = p->m, kh = p->kh;
  const int sw = p->stride_w, blocks = p->blocks, np = p->pairs, row_elems = p->row_elems;
  const int in_h = p->in_h, in_w = p->in_w;
  const uint8_t* weights = reinterpret_cast<const uint8_t*>((uintptr_t) p->weights);
  const uint8_t* consts = reinterpret_cast<const uint8_t*>((uintptr_t) p->consts);
  int16_t* buf = reinterpret_cast<int16_t*>(scratch);
  const int32x4_t vmin = vdupq_n_s32(p->act_min), vmax = vdupq_n_s32(p->act_max);
  const int16_t* rows[64];
  int wky[64];
  for (int r = row_begin; r < row_end; r++) {
    const int b = r / out_h;
    const int oy = r - b * out_h;
    const int iy0 = oy * p->stride_h - p->pad_h;
    int nrows = 0;
    for (int ky = 0; ky < kh; ky++) {
      const int iy = iy0 + ky * p->dil_h;
      if (iy < 0 || iy >= in_h) continue;
      int16_t* dst = buf + (size_t) nrows * row_elems;
      widen_row<U>(p, input + ((size_t) b * in_h + iy) * in_w, dst);
      rows[nrows] = dst;
      wky[nrows] = ky;
      nrows++;
    }
    uint8_t* out_row = output + (size_t) r * out_w * m;
    for (int cb = 0; cb < blocks; cb++) {
      const int choff = cb == blocks - 1 ? m - 8 : cb * 8;
      const BlockConsts k = decode(consts + (size_t) cb * WHITTLE_DWCONV_C1_CONSTS * 32, p->odd_high);
      const int16_t* wrow[64];
      for (int v = 0; v < nrows; v++) {
        wrow[v] = reinterpret_cast<const int16_t*>(weights + ((size_t) cb * kh + wky[v]) * np * 32);
      }
      int ox = 0;
      // 4 pixels a step: each (w[kx], w[kx + 1]) x 8 channels pair loaded once for the 4.
      for (; ox + 4 <= out_w; ox += 4) {
        int32x4_t a[4][2];
        for (int i = 0; i < 4; i++) {
          a[i][0] = k.bias[0];
          a[i][1] = k.bias[1];
        }
        for (int v = 0; v < nrows; v++) {
          const int16_t* x = rows[v] + (size_t) ox * sw;
          const int16_t* w = wrow[v];
          for (int q = 0; q < np; q++) {
            const int16x8x2_t wq = vld2q_s16(w + 16 * q);  // val[0]: w[kx] x 8 channels, val[1]: w[kx + 1]
            const int16_t* xq = x + p->pair_off[q];
#pragma GCC unroll 4
            for (int i = 0; i < 4; i++) {
              const int16_t xa = xq[i * sw], xb = xq[i * sw + 1];
              a[i][0] = vmlal_n_s16(a[i][0], vget_low_s16(wq.val[0]), xa);
              a[i][1] = vmlal_high_n_s16(a[i][1], wq.val[0], xa);
              a[i][0] = vmlal_n_s16(a[i][0], vget_low_s16(wq.val[1]), xb);
              a[i][1] = vmlal_high_n_s16(a[i][1], wq.val[1], xb);
            }
          }
        }
#pragma GCC unroll 4
        for (int i = 0; i < 4; i++) {
          store8<U>(out_row + (size_t) (ox + i) * m + choff, a[i][0], a[i][1], k, vmin, vmax);
        }
      }
      for (; ox < out_w; ox++) {
        int32x4_t a0 = k.bias[0], a1 = k.bias[1];
        for (int v = 0; v < nrows; v++) {
          const int16_t* x = rows[v] + (size_t) ox * sw;
          const int16_t* w = wrow[v];
          for (int q = 0; q < np; q++) {
            const int16x8x2_t wq = vld2q_s16(w + 16 * q);
            const int16_t* xq = x + p->pair_off[q];
            const int16_t xa = xq[0], xb = xq[1];
            a0 = vmlal_n_s16(a0, vget_low_s16(wq.val[0]), xa);
            a1 = vmlal_high_n_s16(a1, wq.val[0], xa);
            a0 = vmlal_n_s16(a0, vget_low_s16(wq.val[1]), xb);
            a1 = vmlal_high_n_s16(a1, wq.val[1], xb);
          }
        }
        store8<U>(out_row + (size_t) ox * m + choff, a0, a1, k, vmin, vmax);
      }
    }
  }
}

}  // namespace

extern "C" {

WHITTLE_DWCONV_C1_SIGNATURE(whittle_qs8_dwconv2d_minmax_c1x8__neon) {
  run<false>(params, input, output, scratch, row_begin, row_end);
}
WHITTLE_DWCONV_C1_SIGNATURE(whittle_qs8_qc8w_dwconv2d_minmax_c1x8__neon) {
  run<false>(params, input, output, scratch, row_begin, row_end);
}
WHITTLE_DWCONV_C1_SIGNATURE(whittle_qu8_dwconv2d_minmax_c1x8__neon) {
  run<true>(params, input, output, scratch, row_begin, row_end);
}

}  // extern "C"
