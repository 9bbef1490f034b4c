// 16x8 DEPTHWISE_CONV_2D (depth multiplier 1) on AArch64 Advanced SIMD (baseline: no
// extension): 16 channels per step, taps two at a time, the packed block of
// qs16_qc8w_dwconv2d_16c__avx2 unchanged (Qs16NativeDepthwiseConv, whittle/qs16.h), bit-exact
// with DepthwiseConvKernels.QS16_QC8W.
//
// No vpmaddwd on NEON: a 32-int16 weight group (two taps t, t + 1 of 16 channels, interleaved
// for vpunpck{l,h}wd: [ch 0-3 | ch 8-11 | ch 4-7 | ch 12-15], each as t, t+1 pairs) is split
// with uzp1/uzp2 into per-tap vectors of channels 0-7 and 8-15, and smlal/smlal2 multiply them
// by the taps' inputs in channel order. An int32 lane sums single products |p| <= 2^22 over at
// most 2 * WHITTLE_QS16_PAIRS_PER_FLUSH = 510 taps (the factory's limit): < 2^31, exact, the
// same bound as the AVX2 pairs. Output stage: TFLite's int64 MultiplyByQuantizedMultiplier as
// whittle_qs16::stage_int64, two lanes per register: acc * mult (mult < 2^16, >= 0) from
// umull of the low words and smull of the high words shifted 32 (wrapping, as the reference's
// 64-bit product), + rnd, arithmetic shift right (sshl by -shift), truncated to int32, clamped.
#include <arm_neon.h>
#include <stdint.h>
#include <string.h>

#include "whittle/qs16.h"

namespace {

constexpr int kMaxTaps = 2 * WHITTLE_QS16_PAIRS_PER_FLUSH + 2;

// (int32) ((acc * mult + rnd) >> shift) for 2 lanes, 64-bit wrapping.
inline int32x2_t stage2(int64x2_t acc, const int64_t* mult, const int64_t* shift, const int64_t* rnd) {
  const uint32x2_t m = vmovn_u64(vreinterpretq_u64_s64(vld1q_s64(mult)));
  const uint32x2_t lo = vmovn_u64(vreinterpretq_u64_s64(acc));
  const int32x2_t hi = vshrn_n_s64(acc, 32);
  const uint64x2_t plo = vmull_u32(lo, m);
  const int64x2_t phi = vmull_s32(hi, vreinterpret_s32_u32(m));
  const uint64x2_t v = vaddq_u64(vaddq_u64(plo, vreinterpretq_u64_s64(vshlq_n_s64(phi, 32))),
                                 vreinterpretq_u64_s64(vld1q_s64(rnd)));
  return vmovn_s64(vshlq_s64(vreinterpretq_s64_u64(v), vnegq_s64(vld1q_s64(shift))));
}

// 4 channels from channel c: int32 sums widened, + bias, output stage (not yet clamped).
inline int32x4_t stage4(const whittle_qs16_dwconv_params* p, int32x4_t acc, int64_t c) {
  const int64x2_t lo = vaddq_s64(vmovl_s32(vget_low_s32(acc)), vld1q_s64(p->bias + c));
  const int64x2_t hi = vaddq_s64(vmovl_high_s32(acc), vld1q_s64(p->bias + c + 2));
  return vcombine_s32(stage2(lo, p->mult + c, p->shift + c, p->rnd + c),
                      stage2(hi, p->mult + c + 2, p->shift + c + 2, p->rnd + c + 2));
}

// 16 channels [c, c + 16) of one pixel; src[t] points at 16 int16 of tap t (zeros for padding).
inline void block16(const whittle_qs16_dwconv_params* p, const int16_t* const* src, int64_t pairs, const int16_t* w,
                    int64_t c, int32x4_t vmin, int32x4_t vmax, int16_t* out) {
  int32x4_t a0 = vdupq_n_s32(0), a1 = vdupq_n_s32(0), a2 = vdupq_n_s32(0), a3 = vdupq_n_s32(0);
  for (int64_t q = 0; q < pairs; q++) {
    const int16x8_t x0l = vld1q_s16(src[2 * q]);
    const int16x8_t x0h = vld1q_s16(src[2 * q] + 8);
    const int16x8_t x1l = vld1q_s16(src[2 * q + 1]);
    const int16x8_t x1h = vld1q_s16(src[2 * q + 1] + 8);
    const int16x8_t g0 = vld1q_s16(w);       // ch 0-3, taps interleaved
    const int16x8_t g1 = vld1q_s16(w + 8);   // ch 8-11
    const int16x8_t g2 = vld1q_s16(w + 16);  // ch 4-7
    const int16x8_t g3 = vld1q_s16(w + 24);  // ch 12-15
    const int16x8_t w0l = vuzp1q_s16(g0, g2);  // tap t, ch 0-7
    const int16x8_t w1l = vuzp2q_s16(g0, g2);  // tap t + 1, ch 0-7
    const int16x8_t w0h = vuzp1q_s16(g1, g3);  // tap t, ch 8-15
    const int16x8_t w1h = vuzp2q_s16(g1, g3);
    a0 = vmlal_s16(a0, vget_low_s16(x0l), vget_low_s16(w0l));
    a1 = vmlal_high_s16(a1, x0l, w0l);
    a2 = vmlal_s16(a2, vget_low_s16(x0h), vget_low_s16(w0h));
    a3 = vmlal_high_s16(a3, x0h, w0h);
    a0 = vmlal_s16(a0, vget_low_s16(x1l), vget_low_s16(w1l));
    a1 = vmlal_high_s16(a1, x1l, w1l);
    a2 = vmlal_s16(a2, vget_low_s16(x1h), vget_low_s16(w1h));
    a3 = vmlal_high_s16(a3, x1h, w1h);
    w += 32;
  }
  // Clamped into int16's range: the narrowing cannot saturate.
  const int32x4_t r0 = vminq_s32(vmaxq_s32(stage4(p, a0, c), vmin), vmax);
  const int32x4_t r1 = vminq_s32(vmaxq_s32(stage4(p, a1, c + 4), vmin), vmax);
  const int32x4_t r2 = vminq_s32(vmaxq_s32(stage4(p, a2, c + 8), vmin), vmax);
  const int32x4_t r3 = vminq_s32(vmaxq_s32(stage4(p, a3, c + 12), vmin), vmax);
  vst1q_s16(out, vcombine_s16(vmovn_s32(r0), vmovn_s32(r1)));
  vst1q_s16(out + 8, vcombine_s16(vmovn_s32(r2), vmovn_s32(r3)));
}

}  // namespace

extern "C" WHITTLE_API void whittle_qs16_qc8w_dwconv2d_16c__neon(const whittle_qs16_dwconv_params* p,
    const int16_t* input, int16_t* output, int64_t r0, int64_t r1) {
  const int64_t C = p->channels;
  const int64_t taps = p->kh * p->kw;
  const int64_t pairs = p->taps_padded / 2;
  const int16_t* tap[kMaxTaps];
  const int16_t* src[kMaxTaps];
  alignas(16) int16_t tail[kMaxTaps][16];
  alignas(16) int16_t out_tail[16];
  alignas(16) static const int16_t kZeros[16] = {0};
  const int32x4_t vmin = vdupq_n_s32((int32_t) p->act_min);
  const int32x4_t vmax = vdupq_n_s32((int32_t) p->act_max);
  for (int64_t r = r0; r < r1; r++) {
    const int64_t b = r / p->out_h;
    const int64_t oy = r % p->out_h;
    for (int64_t ox = 0; ox < p->out_w; ox++) {
      // One input pointer per tap, null where the tap falls outside the image (zeros).
      for (int64_t fy = 0; fy < p->kh; fy++) {
        const int64_t iy = oy * p->stride_h - p->pad_h + fy * p->dil_h;
        for (int64_t fx = 0; fx < p->kw; fx++) {
          const int64_t ix = ox * p->stride_w - p->pad_w + fx * p->dil_w;
          tap[fy * p->kw + fx] = iy >= 0 && iy < p->in_h && ix >= 0 && ix < p->in_w
              ? input + ((b * p->in_h + iy) * p->in_w + ix) * C : nullptr;
        }
      }
      for (int64_t t = taps; t < p->taps_padded; t++) {
        tap[t] = nullptr;
      }
      int16_t* out = output + ((b * p->out_h + oy) * p->out_w + ox) * C;
      const int16_t* w = p->weights;
      int64_t c = 0;
      for (; c + 16 <= C; c += 16) {
        for (int64_t t = 0; t < p->taps_padded; t++) {
          src[t] = tap[t] ? tap[t] + c : kZeros;
        }
        block16(p, src, pairs, w, c, vmin, vmax, out + c);
        w += pairs * 32;
      }
      if (c < C) {
        // Partial block: the channels copied into zero-padded rows, so no load passes the input.
        const int64_t count = C - c;
        for (int64_t t = 0; t < p->taps_padded; t++) {
          if (tap[t]) {
            memset(tail[t], 0, sizeof(tail[t]));
            memcpy(tail[t], tap[t] + c, (size_t) count * 2);
            src[t] = tail[t];
          } else {
            src[t] = kZeros;
          }
        }
        block16(p, src, pairs, w, c, vmin, vmax, out_tail);
        memcpy(out + c, out_tail, (size_t) count * 2);
      }
    }
  }
}
