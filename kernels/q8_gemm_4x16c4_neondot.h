// The dense int8/uint8 4x16c4 NEON DotProd GEMM microkernel (q8_conv2d_gemm_4x16c4__neondot.cc
// explains the arithmetic): the row transform (to signed bytes, with the byte sum) and the
// MR x 16 microtile with the fused requantization. Shared by the dense kernel and by the LUT
// kernel (q8_gemm_lut4_4x16c4__neondot.cc), which runs it on panels it decodes in the same layout.
// Include only from a file compiled with the neondot ISA flags.
#ifndef WHITTLE_KERNELS_Q8_GEMM_4X16C4_NEONDOT_H_
#define WHITTLE_KERNELS_Q8_GEMM_4X16C4_NEONDOT_H_

#include <arm_neon.h>
#include <string.h>

#include <type_traits>

#include "q8_gemm_common.h"

namespace whittle_q8_4x16c4_neondot {

constexpr int kMR = 4;
constexpr int kNR = 16;

// Writes the k bytes of src moved to signed (XOR flip) into dst (src may be dst), zeros
// dst[k, kp), and returns the (wrapping) sum of the k moved bytes when wanted.
WHITTLE_Q8_INLINE int32_t transform_row(const uint8_t* src, uint8_t* dst, int32_t k, int32_t kp, uint8_t flip,
                                        bool want_sum) {
  const uint8x16_t f = vdupq_n_u8(flip);
  const int8x16_t ones = vdupq_n_s8(1);
  int32x4_t sums = vdupq_n_s32(0);
  int32_t i = 0;
  for (; i + 16 <= k; i += 16) {
    const int8x16_t v = vreinterpretq_s8_u8(veorq_u8(vld1q_u8(src + i), f));
    vst1q_s8(reinterpret_cast<int8_t*>(dst + i), v);
    if (want_sum) {
      sums = vdotq_s32(sums, v, ones);
    }
  }
  uint32_t s = want_sum ? (uint32_t) vaddvq_s32(sums) : 0;
  for (; i < k; i++) {
    const int8_t v = (int8_t) (src[i] ^ flip);
    dst[i] = (uint8_t) v;
    s += (uint32_t) (int32_t) v;
  }
  for (; i < kp; i++) {
    dst[i] = 0;
  }
  return (int32_t) s;
}

// The output stage of 4 channels, one per lane.
struct Requant {
  int32x4_t mult, left, neg_right, nudge, ovf, sat, mask, half;
};

WHITTLE_Q8_INLINE Requant load_requant(const whittle_q8_gemm_params* p, int32_t n) {
  using whittle_q8::channel_array;
  Requant r;
  r.mult = vld1q_s32(channel_array(p, WHITTLE_Q8_CH_MULT) + n);
  r.left = vld1q_s32(channel_array(p, WHITTLE_Q8_CH_LEFT) + n);
  r.neg_right = vnegq_s32(vld1q_s32(channel_array(p, WHITTLE_Q8_CH_RIGHT) + n));
  r.nudge = vld1q_s32(channel_array(p, WHITTLE_Q8_CH_NUDGE) + n);
  r.ovf = vld1q_s32(channel_array(p, WHITTLE_Q8_CH_OVF) + n);
  r.sat = vld1q_s32(channel_array(p, WHITTLE_Q8_CH_SAT) + n);
  r.mask = vld1q_s32(channel_array(p, WHITTLE_Q8_CH_MASK) + n);
  r.half = vld1q_s32(channel_array(p, WHITTLE_Q8_CH_HALF) + n);
  return r;
}

// acc -> clamped output value: RuyMath.multiplyByQuantizedMultiplier (GL = false) or
// FixedPoint.multiplyByQuantizedMultiplier (GL = true), + output offset, clamp.
template <bool GL>
WHITTLE_Q8_INLINE int32x4_t requantize(int32x4_t acc, const Requant& r, bool has_left, int32x4_t out_off,
                                       int32x4_t lo, int32x4_t hi) {
  int32x4_t x = acc;
  if (has_left) {
    x = vshlq_s32(x, r.left);  // wrapping, as the reference's int shift
  }
  const int32x4_t v = vqrdmulhq_s32(x, r.mult);
  int32x4_t out;
  if (GL) {
    // RoundingDivideByPOT: halves away from zero (threshold + 1 for negative v).
    const int32x4_t rem = vandq_s32(v, r.mask);
    const int32x4_t thr = vsubq_s32(r.half, vreinterpretq_s32_u32(vcltzq_s32(v)));
    out = vsubq_s32(vshlq_s32(v, r.neg_right), vreinterpretq_s32_u32(vcgtq_s32(rem, thr)));
  } else {
    // ruy: halves up, 1 << (31 - right) where v + nudge would pass INT32_MAX.
    const int32x4_t shifted = vshlq_s32(vaddq_s32(v, r.nudge), r.neg_right);
    out = vbslq_s32(vcgtq_s32(v, r.ovf), r.sat, shifted);
  }
  out = vaddq_s32(out, out_off);
  return vminq_s32(vmaxq_s32(out, lo), hi);
}

// One quad (lane L of the rows' 8-byte registers) of an 8-K step: 4 weight loads, MR x 4 sdot.
template <int MR, int L>
WHITTLE_Q8_INLINE void quad_step(int32x4_t (&acc)[kMR][4], const int8x8_t (&x)[kMR], const int8_t* w) {
  const int8x16_t b0 = vld1q_s8(w + 64 * L);
  const int8x16_t b1 = vld1q_s8(w + 64 * L + 16);
  const int8x16_t b2 = vld1q_s8(w + 64 * L + 32);
  const int8x16_t b3 = vld1q_s8(w + 64 * L + 48);
  _Pragma("GCC unroll 4") for (int r = 0; r < MR; r++) {
    acc[r][0] = vdotq_lane_s32(acc[r][0], b0, x[r], L);
    acc[r][1] = vdotq_lane_s32(acc[r][1], b1, x[r], L);
    acc[r][2] = vdotq_lane_s32(acc[r][2], b2, x[r], L);
    acc[r][3] = vdotq_lane_s32(acc[r][3], b3, x[r], L);
  }
}

// GL: gemmlowp rounding (else ruy's); U: uint8 output.
template <int MR, bool GL, bool U>
WHITTLE_Q8_INLINE void microtile(const whittle_q8_gemm_params* p, const uint8_t* a, int32_t a_stride,
                                 const int32_t* row_terms, const int8_t* w, int32_t n, int32_t nc, uint8_t* out,
                                 int32_t out_stride) {
  // The accumulators start from the per-channel constant (bias and offset terms).
  const int32_t* cc = whittle_q8::channel_array(p, WHITTLE_Q8_CH_CONST) + n;
  int32x4_t acc[kMR][4];
  _Pragma("GCC unroll 4") for (int r = 0; r < MR; r++) {
    const int32x4_t t = vdupq_n_s32(row_terms[r]);
    _Pragma("GCC unroll 4") for (int j = 0; j < 4; j++) {
      acc[r][j] = vaddq_s32(vld1q_s32(cc + 4 * j), t);
    }
  }
  const int32_t kp = p->kp;
  int32_t kk = 0;
  // Steps of 8 K (two quads per row register): 16 accumulators + 4 row registers + 8 weight
  // registers fit the 32 without a spill (16-K steps made GCC hoist 16 weight loads and spill).
  if (MR == 1) {
    // One pixel (FULLY_CONNECTED at batch 1): a second set of accumulators for the odd quads,
    // so consecutive sdot do not all wait on one another's latency.
    int32x4_t odd[kMR][4];
    _Pragma("GCC unroll 4") for (int j = 0; j < 4; j++) {
      odd[0][j] = vdupq_n_s32(0);
    }
    for (; kk + 8 <= kp; kk += 8) {
      int8x8_t x[kMR];
      x[0] = vld1_s8(reinterpret_cast<const int8_t*>(a + kk));
      quad_step<1, 0>(acc, x, w);
      quad_step<1, 1>(odd, x, w);
      w += 128;
    }
    _Pragma("GCC unroll 4") for (int j = 0; j < 4; j++) {
      acc[0][j] = vaddq_s32(acc[0][j], odd[0][j]);
    }
  } else {
    for (; kk + 8 <= kp; kk += 8) {
      int8x8_t x[kMR];
      _Pragma("GCC unroll 4") for (int r = 0; r < MR; r++) {
        x[r] = vld1_s8(reinterpret_cast<const int8_t*>(a + (size_t) r * a_stride + kk));
      }
      quad_step<MR, 0>(acc, x, w);
      quad_step<MR, 1>(acc, x, w);
      w += 128;
    }
  }
  // The last quad when kp % 8 = 4 (rows are read no further than kp).
  if (kk < kp) {
    int8x8_t x[kMR];
    _Pragma("GCC unroll 4") for (int r = 0; r < MR; r++) {
      int32_t quad;
      memcpy(&quad, a + (size_t) r * a_stride + kk, 4);
      x[r] = vreinterpret_s8_s32(vdup_n_s32(quad));
    }
    quad_step<MR, 0>(acc, x, w);
  }

  const int32x4_t off = vdupq_n_s32(p->output_offset);
  const int32x4_t lo = vdupq_n_s32(p->act_min);
  const int32x4_t hi = vdupq_n_s32(p->act_max);
  const bool hl = p->has_left_shift != 0;
  int32x4_t v[kMR][4];
  _Pragma("GCC unroll 4") for (int j = 0; j < 4; j++) {
    const Requant rq = load_requant(p, n + 4 * j);
    _Pragma("GCC unroll 4") for (int r = 0; r < MR; r++) {
      v[r][j] = requantize<GL>(acc[r][j], rq, hl, off, lo, hi);
    }
  }
  _Pragma("GCC unroll 4") for (int r = 0; r < MR; r++) {
    // Clamped into the output type's range: the narrowing cannot saturate.
    const int16x8_t h0 = vcombine_s16(vmovn_s32(v[r][0]), vmovn_s32(v[r][1]));
    const int16x8_t h1 = vcombine_s16(vmovn_s32(v[r][2]), vmovn_s32(v[r][3]));
    const uint8x16_t bytes = U ? vcombine_u8(vqmovun_s16(h0), vqmovun_s16(h1))
                               : vreinterpretq_u8_s8(vcombine_s8(vqmovn_s16(h0), vqmovn_s16(h1)));
    uint8_t* dst = out + (size_t) r * out_stride;
    if (nc == kNR) {
      vst1q_u8(dst, bytes);
    } else {
      uint8_t tmp[kNR];
      vst1q_u8(tmp, bytes);
      memcpy(dst, tmp, (size_t) nc);
    }
  }
}

// The packed rows of a row loop (gemm_rows here, the LUT kernels' q8_gemm_lut4_4x16c4__neondot.cc
// and q8_gemm_lut4_4x16c16__neondot.cc): the block of p->mb rows at scratch a, 64 bytes of slack
// for gather_bytes after it, then the rows' sum terms.
struct RowStage {
  const whittle_q8_gemm_params* p;
  const uint8_t* input;
  const uint8_t* input_end;
  uint8_t* a;
  int32_t* row_terms;
  uint8_t flip;
  uint32_t coef;
  bool want_sum;
  bool direct;
  // int8 rows of a direct layer (FULLY_CONNECTED, 1x1 stride-1 conv) with K already a multiple
  // of the kernel's K step (kp == k) are what sdot / smmla want: the microtiles read the input
  // in place.
  bool in_place;
};

WHITTLE_Q8_INLINE RowStage row_stage(const whittle_q8_gemm_params* p, const uint8_t* input, uint8_t* a) {
  RowStage s;
  s.p = p;
  s.input = input;
  s.input_end = input + whittle_q8::input_bytes(p);
  s.a = a;
  s.row_terms = reinterpret_cast<int32_t*>(a + (size_t) p->mb * p->kp + 64);
  s.flip = (uint8_t) p->x_flip;
  s.coef = (uint32_t) p->row_coef;
  s.want_sum = s.coef != 0;
  s.direct = whittle_q8::is_direct(p);
  s.in_place = s.direct && s.flip == 0 && !s.want_sum && p->kp == p->k;
  return s;
}

// Output pixels [mb0, mb0 + rows) as the microtiles read them, kp bytes apart from the returned
// row 0: in place (row terms 0), or each row gathered (im2col) or read in place and moved to
// signed bytes in the block (transform_row, with its sum term).
WHITTLE_Q8_INLINE const uint8_t* stage_rows(const RowStage& s, int32_t mb0, int32_t rows) {
  const whittle_q8_gemm_params* p = s.p;
  const int32_t kp = p->kp;
  const int32_t k = p->k;
  if (s.in_place) {
    for (int32_t r = 0; r < rows; r++) {
      s.row_terms[r] = 0;
    }
    return s.input + (size_t) mb0 * k;
  }
  whittle_q8::Pixel px = whittle_q8::pixel_at(p, mb0);
  for (int32_t r = 0; r < rows; r++, whittle_q8::next_pixel(p, &px)) {
    uint8_t* row = s.a + (size_t) r * kp;
    const uint8_t* bytes = s.input + (size_t) px.m * k;
    if (!s.direct) {
      whittle_q8::gather_bytes(p, s.input, s.input_end, false, px, row);
      bytes = row;
    }
    s.row_terms[r] = (int32_t) (s.coef * (uint32_t) transform_row(bytes, row, k, kp, s.flip, s.want_sum));
  }
  return s.a;
}

// tile(std::integral_constant<int, MR>(), r) for the block's rows r in microtiles of kMR rows,
// then the 3 / 2 / 1 remainder.
template <typename Tile>
WHITTLE_Q8_INLINE void for_microtiles(int32_t rows, Tile tile) {
  int32_t r = 0;
  for (; r + kMR <= rows; r += kMR) {
    tile(std::integral_constant<int, kMR>(), r);
  }
  switch (rows - r) {
    case 3: tile(std::integral_constant<int, 3>(), r); break;
    case 2: tile(std::integral_constant<int, 2>(), r); break;
    case 1: tile(std::integral_constant<int, 1>(), r); break;
    default: break;
  }
}

// The row loop of the dense NEON GEMMs (DotProd here, I8MM in q8_conv2d_gemm_4x16c8__neoni8mm.cc):
// output pixels [m0, m1) in blocks of p->mb rows, each staged (stage_rows), then for every
// 16-channel panel in [n0, n1) the Tile's MR x 16 microtile (Tile::template apply<MR, GL, U>,
// MR = kMR, then the 3 / 2 / 1 remainder). Both panel layouts hold 16 channels x kp bytes.
template <typename Tile, bool GL, bool U>
WHITTLE_Q8_INLINE void gemm_rows(const whittle_q8_gemm_params* p, const uint8_t* input, uint8_t* output,
                                 void* scratch, int32_t m0, int32_t m1, int32_t n0, int32_t n1) {
  const int32_t kp = p->kp;
  const RowStage stage = row_stage(p, input, static_cast<uint8_t*>(scratch));
  const int8_t* weights = reinterpret_cast<const int8_t*>(static_cast<uintptr_t>(p->weights));
  const int32_t n_total = p->out_c;
  for (int32_t mb0 = m0; mb0 < m1; mb0 += p->mb) {
    const int32_t rows = m1 - mb0 < p->mb ? m1 - mb0 : p->mb;
    const uint8_t* rows_at = stage_rows(stage, mb0, rows);
    for (int32_t n = n0; n < n1; n += kNR) {
      const int8_t* panel = weights + (size_t) (n / kNR) * kp * kNR;
      const int32_t nc = n_total - n < kNR ? n_total - n : kNR;
      uint8_t* out = output + (size_t) mb0 * n_total + n;
      for_microtiles(rows, [&](auto mr, int32_t r) __attribute__((always_inline)) {
        Tile::template apply<decltype(mr)::value, GL, U>(p, rows_at + (size_t) r * kp, kp, stage.row_terms + r,
                                                         panel, n, nc, out + (size_t) r * n_total, n_total);
      });
    }
  }
}

}  // namespace whittle_q8_4x16c4_neondot

#endif  // WHITTLE_KERNELS_Q8_GEMM_4X16C4_NEONDOT_H_
