// Portable helpers of the 16x8 kernels (qs16_qc8w_*): im2col and the scalar output stages.
// static inline only: each ISA file compiles its own copy with its own flags.
#ifndef WHITTLE_KERNELS_QS16_COMMON_H_
#define WHITTLE_KERNELS_QS16_COMMON_H_

#include <stdint.h>
#include <string.h>

#include <cmath>

#include "whittle/qs16.h"

namespace whittle_qs16 {

// Row of the GEMM's A for output pixel m: the input in place (1x1 without padding) or its
// window copied into `row` (kp int16; taps outside the image are zeros: the zero point is 0).
static inline const int16_t* a_row(const whittle_qs16_gemm_params* p, const int16_t* input, int16_t* row,
                                   int64_t m) {
  const int64_t ox = m % p->out_w;
  const int64_t t = m / p->out_w;
  const int64_t oy = t % p->out_h;
  const int64_t b = t / p->out_h;
  if (p->direct) {
    return input + ((b * p->in_h + oy * p->stride_h) * p->in_w + ox * p->stride_w) * p->in_c;
  }
  const int64_t c = p->in_c;
  int16_t* dst = row;
  for (int64_t fy = 0; fy < p->kh; fy++) {
    const int64_t iy = oy * p->stride_h - p->pad_h + fy * p->dil_h;
    const bool row_in = iy >= 0 && iy < p->in_h;
    const int64_t ix0 = ox * p->stride_w - p->pad_w;
    if (row_in && p->dil_w == 1 && ix0 >= 0 && ix0 + p->kw <= p->in_w) {
      // The whole window row is inside the image and contiguous in NHWC: one copy.
      memcpy(dst, input + ((b * p->in_h + iy) * p->in_w + ix0) * c, (size_t) (p->kw * c) * 2);
      dst += p->kw * c;
      continue;
    }
    for (int64_t fx = 0; fx < p->kw; fx++) {
      const int64_t ix = ox * p->stride_w - p->pad_w + fx * p->dil_w;
      if (row_in && ix >= 0 && ix < p->in_w) {
        memcpy(dst, input + ((b * p->in_h + iy) * p->in_w + ix) * c, (size_t) c * 2);
      } else {
        memset(dst, 0, (size_t) c * 2);
      }
      dst += c;
    }
  }
  if (p->kp != p->k) {
    row[p->k] = 0;
  }
  return row;
}

static inline int32_t clamp32(int32_t v, int64_t lo, int64_t hi) {
  return v < lo ? (int32_t) lo : (v > hi ? (int32_t) hi : v);
}

// TFLite's MultiplyByQuantizedMultiplier(int64_t, ...) with the multiplier already reduced
// to 15 bits: mult[c], shift[c] = 15 - exponent, rnd[c] = 2^(shift - 1). Wrapping 64-bit
// arithmetic (unsigned in C++: signed overflow is undefined), arithmetic right shift.
static inline int32_t stage_int64(int64_t acc, int64_t mult, int64_t shift, int64_t rnd) {
  const uint64_t v = (uint64_t) acc * (uint64_t) mult + (uint64_t) rnd;
  return (int32_t) (int64_t) ((int64_t) v >> shift);
}

// ruy's x86 output stage (RuyMath.multiplyByQuantizedMultiplier).
static inline int32_t stage_ruy(int32_t x, int32_t mult, int32_t shift) {
  const int32_t left = shift > 0 ? shift : 0;
  const int32_t right = shift > 0 ? 0 : -shift;
  const int32_t xs = (int32_t) ((uint32_t) x << left);
  int64_t scaled = ((int64_t) xs * mult + ((int64_t) 1 << 30)) >> 31;
  if (right > 0) {
    const int64_t nudge = (int64_t) 1 << (right - 1);
    scaled = scaled > 0x7fffffffLL - nudge ? (int64_t) 1 << (31 - right) : (scaled + nudge) >> right;
  }
  return (int32_t) scaled;
}

// (int32_t) std::round((double) acc * scale) as x86 computes the cast (cvttsd2si).
static inline int32_t stage_double(int64_t acc, double scale) {
  const double v = std::round((double) acc * scale);
  if (!(v > -2147483649.0 && v < 2147483648.0)) {
    return INT32_MIN;
  }
  return (int32_t) v;
}

// Output stage of one pixel's channels [c0, c0 + count) from int64 sums (bias included).
static inline void stage_row(const whittle_qs16_gemm_params* p, const int64_t* acc, int64_t c0, int64_t count,
                             int16_t* out) {
  for (int64_t j = 0; j < count; j++) {
    const int64_t c = c0 + j;
    int32_t v;
    if (p->stage == WHITTLE_QS16_STAGE_INT64) {
      v = stage_int64(acc[j], p->mult[c], p->shift[c], p->rnd[c]);
    } else if (p->stage == WHITTLE_QS16_STAGE_RUY) {
      v = stage_ruy((int32_t) acc[j], (int32_t) p->mult[c], (int32_t) p->shift[c]);
    } else {
      v = stage_double(acc[j], p->scale[c]);
    }
    out[j] = (int16_t) clamp32(v, p->act_min, p->act_max);
  }
}

}  // namespace whittle_qs16

#endif  // WHITTLE_KERNELS_QS16_COMMON_H_
