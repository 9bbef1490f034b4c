// DEPTHWISE_CONV_2D, int8 and uint8 activations (qs8, qs8_qc8w, qu8), depth multiplier 1, on
// AArch64 Advanced SIMD (baseline: no extension): 16 channels per step, taps looped, the
// packed block of q8_dwconv2d_minmax_16c__avx2 unchanged (native/include/whittle/dwconv.h:
// int32 w_eff per tap and channel, bias with the input offset folded in, a zero buffer that
// padded taps read), bit-exact with DepthwiseConvKernels.
//
// Products: the 16 input bytes widened to int16 (sxtl/uxtl), w_eff (in [-255, 255]: int16) narrowed
// from the block's int32, and smlal/smlal2 (int16 x int16 accumulated into int32: exact).
// The output stage is TFLite's MultiplyByQuantizedMultiplier: sqrdmulh is gemmlowp's
// SaturatingRoundingDoublingHighMul exactly (multipliers are >= 0 and never INT32_MIN), then
// RoundingDivideByPOT with the block's mask and half, as the AVX2 kernel.
#include <arm_neon.h>
#include <string.h>

#include "q8_dwconv_common.h"
#include "q8_dwconv_entries.h"
#include "whittle/dwconv.h"

namespace {

using whittle_q8_dwconv::at;

struct Requant {
  const int32_t* mult;
  const int32_t* lsh;
  const int32_t* rmask;
  const int32_t* rhalf;
  const int32_t* rsh;
  int32x4_t out_offset, vmin, vmax;

  inline int32x4_t apply(int32x4_t acc, size_t c) const {
    const int32x4_t x = vshlq_s32(acc, vld1q_s32(lsh + c));  // wrapping, as the reference
    const int32x4_t h = vqrdmulhq_s32(x, vld1q_s32(mult + c));
    // RoundingDivideByPOT: floor shift, + 1 when the remainder exceeds half (half + 1 if h < 0).
    const int32x4_t rem = vandq_s32(h, vld1q_s32(rmask + c));
    const int32x4_t thr = vsubq_s32(vld1q_s32(rhalf + c), vreinterpretq_s32_u32(vcltzq_s32(h)));
    int32x4_t q = vshlq_s32(h, vnegq_s32(vld1q_s32(rsh + c)));
    q = vsubq_s32(q, vreinterpretq_s32_u32(vcgtq_s32(rem, thr)));
    q = vaddq_s32(q, out_offset);
    return vminq_s32(vmaxq_s32(q, vmin), vmax);
  }
};

template <bool kUnsigned>
inline int16x8_t widen_lo(uint8x16_t v) {
  return kUnsigned ? vreinterpretq_s16_u16(vmovl_u8(vget_low_u8(v))) : vmovl_s8(vget_low_s8(vreinterpretq_s8_u8(v)));
}

template <bool kUnsigned>
inline int16x8_t widen_hi(uint8x16_t v) {
  return kUnsigned ? vreinterpretq_s16_u16(vmovl_high_u8(v)) : vmovl_high_s8(vreinterpretq_s8_u8(v));
}

// Channels [c, c + 16) of one output pixel, reading 16 bytes at taps[t] + off.
template <bool kUnsigned>
inline uint8x16_t block16(const uint8_t* const* taps, int32_t ntaps, size_t off, const int32_t* w, size_t cp,
                          size_t c, const int32_t* bias, const Requant& rq) {
  int32x4_t a0 = vld1q_s32(bias + c);
  int32x4_t a1 = vld1q_s32(bias + c + 4);
  int32x4_t a2 = vld1q_s32(bias + c + 8);
  int32x4_t a3 = vld1q_s32(bias + c + 12);
  const int32_t* wt = w + c;
  for (int32_t t = 0; t < ntaps; t++) {
    const uint8x16_t x = vld1q_u8(taps[t] + off);
    const int16x8_t xl = widen_lo<kUnsigned>(x);
    const int16x8_t xh = widen_hi<kUnsigned>(x);
    const int16x8_t wl = vcombine_s16(vmovn_s32(vld1q_s32(wt)), vmovn_s32(vld1q_s32(wt + 4)));
    const int16x8_t wh = vcombine_s16(vmovn_s32(vld1q_s32(wt + 8)), vmovn_s32(vld1q_s32(wt + 12)));
    a0 = vmlal_s16(a0, vget_low_s16(xl), vget_low_s16(wl));
    a1 = vmlal_high_s16(a1, xl, wl);
    a2 = vmlal_s16(a2, vget_low_s16(xh), vget_low_s16(wh));
    a3 = vmlal_high_s16(a3, xh, wh);
    wt += cp;
  }
  // Clamped into the output type's range: the narrowing cannot saturate.
  const int16x8_t lo = vcombine_s16(vmovn_s32(rq.apply(a0, c)), vmovn_s32(rq.apply(a1, c + 4)));
  const int16x8_t hi = vcombine_s16(vmovn_s32(rq.apply(a2, c + 8)), vmovn_s32(rq.apply(a3, c + 12)));
  return kUnsigned ? vcombine_u8(vqmovun_s16(lo), vqmovun_s16(hi))
                   : vreinterpretq_u8_s8(vcombine_s8(vqmovn_s16(lo), vqmovn_s16(hi)));
}

template <bool kUnsigned>
void dwconv(const whittle_q8_dwconv_params* p, const uint8_t* input, uint8_t* output, int32_t row_begin,
            int32_t row_end, int32_t ch_begin, int32_t ch_end) {
  const size_t cp = (size_t)p->channels_padded;
  const int32_t ntaps = p->kh * p->kw;
  const int32_t* bias = at<int32_t>(p, p->bias_offset);
  const int32_t* w = at<int32_t>(p, p->weights_offset);
  Requant rq;
  rq.mult = at<int32_t>(p, p->multiplier_offset);
  rq.lsh = at<int32_t>(p, p->left_shift_offset);
  rq.rmask = at<int32_t>(p, p->right_mask_offset);
  rq.rhalf = at<int32_t>(p, p->right_half_offset);
  rq.rsh = at<int32_t>(p, p->right_shift_offset);
  rq.out_offset = vdupq_n_s32(p->output_offset);
  rq.vmin = vdupq_n_s32(p->act_min);
  rq.vmax = vdupq_n_s32(p->act_max);

  whittle_q8_dwconv::dwconv16_pixels(
      p, input, output, row_begin, row_end, ch_begin, ch_end,
      [&](const uint8_t* const* taps, size_t off, size_t c) {
        return block16<kUnsigned>(taps, ntaps, off, w, cp, c, bias, rq);
      },
      [](uint8_t* dst, uint8x16_t v) { vst1q_u8(dst, v); });
}

}  // namespace

WHITTLE_Q8_DWCONV_ENTRIES(WHITTLE_Q8_DWCONV, 16c__neon, dwconv<false>, dwconv<true>)
