// DEPTHWISE_CONV_2D, int8 and uint8 activations (qs8, qs8_qc8w, qu8), any depth multiplier and
// few channels, on AArch64 Advanced SIMD (baseline): lane-mapped, the block of
// q8_dwconv2d_minmax_64l__avx2 unchanged (whittle_q8_dwconv_lanes_params, dwconv.h; Java:
// NativeDepthwiseConv.createLanes), so the NEON path takes the nodes the x86 paths give this
// kernel: depth multiplier > 1 (inC = 1: one byte broadcast to every output channel) and fewer
// than 32 channels (several output pixels per step). A step computes up to 4 units of 16
// (pixel, output channel) lanes; each unit's input bytes (one 16-byte window, or two 8-byte
// halves) are spread to their lanes by tbl (vqtbl1q_u8: pshufb's job; the tables' indices are
// all < 16, where the two agree), widened to int16, and multiplied by w_eff (int32 in the
// block, in [-255, 255]: narrowed to int16) with smlal/smlal2 into int32 (exact). Output stage
// as q8_dwconv2d_minmax_16c__neon: sqrdmulh is gemmlowp's SaturatingRoundingDoublingHighMul,
// then RoundingDivideByPOT. Window loads within 16 bytes of the tensor's end copy the
// referenced bytes first (no read past the tensor).
#include <arm_neon.h>
#include <string.h>

#include "q8_dwconv_common.h"
#include "q8_dwconv_entries.h"
#include "whittle/dwconv.h"

namespace {

#define WHITTLE_DW_INLINE inline __attribute__((always_inline))

using whittle_q8_dwconv::LanesMap;

struct Consts {
  int32x4_t out_offset, vmin, vmax;
};

// TFLite's MultiplyByQuantizedMultiplier, + output offset, clamp; 4 lanes from lane c of m.
WHITTLE_DW_INLINE int32x4_t requant(const LanesMap& m, int32x4_t acc, size_t c, const Consts& k) {
  const int32x4_t x = vshlq_s32(acc, vld1q_s32(m.lsh + c));  // wrapping, as the reference
  const int32x4_t h = vqrdmulhq_s32(x, vld1q_s32(m.mult + c));
  const int32x4_t rem = vandq_s32(h, vld1q_s32(m.rmask + c));
  const int32x4_t thr = vsubq_s32(vld1q_s32(m.rhalf + c), vreinterpretq_s32_u32(vcltzq_s32(h)));
  int32x4_t q = vshlq_s32(h, vnegq_s32(vld1q_s32(m.rsh + c)));
  q = vsubq_s32(q, vreinterpretq_s32_u32(vcgtq_s32(rem, thr)));
  q = vaddq_s32(q, k.out_offset);
  return vminq_s32(vmaxq_s32(q, k.vmin), k.vmax);
}

// The len referenced bytes at s, in a 16-byte (kBytes 16) or 8-byte load; near the tensor's
// end (s < end, fewer than kBytes left) they are copied first. Zero-buffer pointers (not below
// end, or far from it) read their padding.
template <int kBytes>
WHITTLE_DW_INLINE uint8x16_t load_window(const uint8_t* s, int32_t len, const uint8_t* end) {
  if ((size_t)(end - s) >= (size_t)kBytes) {
    return kBytes == 16 ? vld1q_u8(s) : vcombine_u8(vld1_u8(s), vdup_n_u8(0));
  }
  alignas(16) uint8_t tmp[16] = {0};
  memcpy(tmp, s, (size_t)len);
  return vld1q_u8(tmp);
}

template <bool kUnsigned>
WHITTLE_DW_INLINE int16x8_t widen_lo(uint8x16_t v) {
  return kUnsigned ? vreinterpretq_s16_u16(vmovl_u8(vget_low_u8(v))) : vmovl_s8(vget_low_s8(vreinterpretq_s8_u8(v)));
}

template <bool kUnsigned>
WHITTLE_DW_INLINE int16x8_t widen_hi(uint8x16_t v) {
  return kUnsigned ? vreinterpretq_s16_u16(vmovl_high_u8(v)) : vmovl_high_s8(vreinterpretq_s8_u8(v));
}

WHITTLE_DW_INLINE int16x8_t narrow_w(const int32_t* w) {
  return vcombine_s16(vmovn_s32(vld1q_s32(w)), vmovn_s32(vld1q_s32(w + 4)));
}

// Units [u0, u0 + N) of mapping m for the step whose tap pointers are taps; stores to out.
template <bool kUnsigned, bool kOneWindow, int N>
WHITTLE_DW_INLINE void units(const uint8_t* const* taps, int32_t ntaps, const LanesMap& m, int32_t u0, uint8_t* out,
                             const uint8_t* end, const Consts& k) {
  int32x4_t a[N][4];
  #pragma GCC unroll 4
  for (int i = 0; i < N; i++) {
    for (int j = 0; j < 4; j++) {
      a[i][j] = vld1q_s32(m.bias + 16 * (size_t)(u0 + i) + 4 * j);
    }
  }
  const whittle_q8_dwconv_unit* un = m.units + u0;
  const int32_t* wt = m.w + 16 * (size_t)u0;
  for (int32_t t = 0; t < ntaps; t++) {
    const uint8_t* x = taps[t];
    #pragma GCC unroll 4
    for (int i = 0; i < N; i++) {
      uint8x16_t v;
      if (kOneWindow) {
        v = load_window<16>(x + un[i].off_a, un[i].len_a, end);
      } else {
        v = vcombine_u8(vget_low_u8(load_window<8>(x + un[i].off_a, un[i].len_a, end)),
                        vget_low_u8(load_window<8>(x + un[i].off_b, un[i].len_b, end)));
      }
      v = vqtbl1q_u8(v, vld1q_u8(reinterpret_cast<const uint8_t*>(un[i].shuffle)));
      const int16x8_t xl = widen_lo<kUnsigned>(v);
      const int16x8_t xh = widen_hi<kUnsigned>(v);
      const int16x8_t wl = narrow_w(wt + 16 * i);
      const int16x8_t wh = narrow_w(wt + 16 * i + 8);
      a[i][0] = vmlal_s16(a[i][0], vget_low_s16(xl), vget_low_s16(wl));
      a[i][1] = vmlal_high_s16(a[i][1], xl, wl);
      a[i][2] = vmlal_s16(a[i][2], vget_low_s16(xh), vget_low_s16(wh));
      a[i][3] = vmlal_high_s16(a[i][3], xh, wh);
    }
    wt += m.stride;
  }
  #pragma GCC unroll 4
  for (int i = 0; i < N; i++) {
    const int32_t u = u0 + i;
    const size_t c = 16 * (size_t)u;
    // Clamped into the output type's range: the narrowings cannot saturate.
    const int16x8_t lo = vcombine_s16(vmovn_s32(requant(m, a[i][0], c, k)), vmovn_s32(requant(m, a[i][1], c + 4, k)));
    const int16x8_t hi = vcombine_s16(vmovn_s32(requant(m, a[i][2], c + 8, k)),
                                      vmovn_s32(requant(m, a[i][3], c + 12, k)));
    const uint8x16_t r = kUnsigned ? vcombine_u8(vqmovun_s16(lo), vqmovun_s16(hi))
                                   : vreinterpretq_u8_s8(vcombine_s8(vqmovn_s16(lo), vqmovn_s16(hi)));
    const int32_t valid = m.lanes - 16 * u;
    if (valid >= 16) {
      vst1q_u8(out + 16 * (size_t)i, r);
    } else {
      alignas(16) uint8_t tmp[16];
      vst1q_u8(tmp, r);
      memcpy(out + 16 * (size_t)i, tmp, (size_t)valid);
    }
  }
}

template <bool kUnsigned, bool kOneWindow>
inline void map_step(const uint8_t* const* taps, int32_t ntaps, const LanesMap& m, uint8_t* out, const uint8_t* end,
                     const Consts& k) {
  int32_t u = 0;
  for (; u + 4 <= m.n; u += 4) {
    units<kUnsigned, kOneWindow, 4>(taps, ntaps, m, u, out + 16 * (size_t)u, end, k);
  }
  switch (m.n - u) {
    case 3:
      units<kUnsigned, kOneWindow, 3>(taps, ntaps, m, u, out + 16 * (size_t)u, end, k);
      break;
    case 2:
      units<kUnsigned, kOneWindow, 2>(taps, ntaps, m, u, out + 16 * (size_t)u, end, k);
      break;
    case 1:
      units<kUnsigned, kOneWindow, 1>(taps, ntaps, m, u, out + 16 * (size_t)u, end, k);
      break;
    default:
      break;
  }
}

template <bool kUnsigned, bool kGroupOneWindow>
struct Ops {
  LanesMap group_map, single_map;
  int32_t ntaps;
  const uint8_t* end;
  Consts k;

  void group(const uint8_t* const* taps, uint8_t* out) const {
    map_step<kUnsigned, kGroupOneWindow>(taps, ntaps, group_map, out, end, k);
  }
  // A single pixel's units each read one window (16 consecutive output channels read at most
  // 16 consecutive input channels).
  void single(const uint8_t* const* taps, uint8_t* out) const {
    map_step<kUnsigned, true>(taps, ntaps, single_map, out, end, k);
  }
};

template <bool kUnsigned, bool kGroupOneWindow>
void run(const whittle_q8_dwconv_lanes_params* p, const uint8_t* input, uint8_t* output, int32_t row_begin,
         int32_t row_end) {
  Ops<kUnsigned, kGroupOneWindow> ops;
  ops.group_map = whittle_q8_dwconv::lanes_map(p, p->group_offset, p->group_units, p->group_pixels * p->out_c);
  ops.single_map = whittle_q8_dwconv::lanes_map(p, p->single_offset, p->single_units, p->out_c);
  ops.ntaps = p->kh * p->kw;
  ops.end = input + (size_t)p->batches * (size_t)p->in_h * (size_t)p->in_w * (size_t)p->in_c;
  ops.k.out_offset = vdupq_n_s32(p->output_offset);
  ops.k.vmin = vdupq_n_s32(p->act_min);
  ops.k.vmax = vdupq_n_s32(p->act_max);
  whittle_q8_dwconv::lanes_rows(p, input, output, row_begin, row_end, ops);
}

template <bool kUnsigned>
void dwconv(const whittle_q8_dwconv_lanes_params* p, const uint8_t* input, uint8_t* output, int32_t row_begin,
            int32_t row_end) {
  if (p->group_one_window) {
    run<kUnsigned, true>(p, input, output, row_begin, row_end);
  } else {
    run<kUnsigned, false>(p, input, output, row_begin, row_end);
  }
}

}  // namespace

WHITTLE_Q8_DWCONV_ENTRIES(WHITTLE_Q8_DWCONV_LANES, 64l__neon, dwconv<false>, dwconv<true>)
