// Portable helpers of the q8 depthwise kernels (q8_dwconv2d_minmax_*): no ISA flags needed,
// static inline only, so each kernel file gets its own copy compiled with its own flags.
#ifndef WHITTLE_KERNELS_Q8_DWCONV_COMMON_H_
#define WHITTLE_KERNELS_Q8_DWCONV_COMMON_H_

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "whittle/dwconv.h"

namespace whittle_q8_dwconv {

template <typename T>
static inline const T* at(const whittle_q8_dwconv_params* p, int32_t offset) {
  return reinterpret_cast<const T*>(reinterpret_cast<const uint8_t*>(p) + offset);
}

// Row pointers of one output row: rows[fy] = the first pixel of input row iy of batch b, or
// null when iy is padding.
static inline void row_pointers(const whittle_q8_dwconv_params* p, const uint8_t* input, int32_t row,
                                const uint8_t** rows) {
  const int32_t b = row / p->out_h;
  const int32_t oy = row - b * p->out_h;
  const size_t row_bytes = (size_t)p->in_w * (size_t)p->channels;
  for (int32_t fy = 0; fy < p->kh; fy++) {
    const int32_t iy = oy * p->stride_h - p->pad_h + fy * p->dil_h;
    rows[fy] = (iy >= 0 && iy < p->in_h) ? input + ((size_t)b * (size_t)p->in_h + (size_t)iy) * row_bytes : nullptr;
  }
}

// The indirection of one output pixel: taps[fy * kw + fx] points at its input pixel, or at
// zero (filled with the input zero point, so a padded tap adds nothing) when it is padding.
// No branch per element: padding is decided once per tap.
static inline void tap_pointers(const whittle_q8_dwconv_params* p, const uint8_t* const* rows, int32_t ox,
                                const uint8_t* zero, const uint8_t** taps) {
  const int32_t ix0 = ox * p->stride_w - p->pad_w;
  const size_t c = (size_t)p->channels;
  for (int32_t fx = 0; fx < p->kw; fx++) {
    const int32_t ix = ix0 + fx * p->dil_w;
    const bool inside = ix >= 0 && ix < p->in_w;
    const size_t off = (size_t)(inside ? ix : 0) * c;
    for (int32_t fy = 0; fy < p->kh; fy++) {
      const uint8_t* r = rows[fy];
      taps[fy * p->kw + fx] = (inside && r != nullptr) ? r + off : zero;
    }
  }
}


// The pixel loop of the 16-channel-block kernels (q8_dwconv2d_minmax_16c__avx2, __neon): output
// rows [row_begin, row_end), channels [ch_begin, ch_end) (cb a multiple of 16, ce one too or
// the channel count; 0, 0 = all). Per pixel, block(taps, off, c) computes channels [c, c + 16)
// reading 16 bytes at taps[t] + off and store(dst, v) writes them; the last step overlaps the one
// before (recomputed outputs are the same bytes). Fewer than 16 channels: a 16-byte load may run
// past the pixel (into lanes that are never stored), except within 16 bytes of the tensor's end,
// where the tap's bytes are copied into a 16-byte slot first; the result goes through a
// 16-byte slot too.
template <typename Block, typename Store>
static inline void dwconv16_pixels(const whittle_q8_dwconv_params* p, const uint8_t* input, uint8_t* output,
                                   int32_t row_begin, int32_t row_end, int32_t ch_begin, int32_t ch_end,
                                   Block block, Store store) {
  const size_t channels = (size_t)p->channels;
  const size_t cb = ch_begin > 0 ? (size_t)ch_begin : 0;
  const size_t ce = ch_end > 0 && (size_t)ch_end < channels ? (size_t)ch_end : channels;
  if (cb >= ce) {
    return;
  }
  const int32_t ntaps = p->kh * p->kw;
  const uint8_t* zero = at<uint8_t>(p, p->zero_offset);
  const uint8_t* rows[WHITTLE_Q8_DWCONV_MAX_TAPS];
  const uint8_t* taps[WHITTLE_Q8_DWCONV_MAX_TAPS];
  alignas(16) uint8_t small[WHITTLE_Q8_DWCONV_MAX_TAPS][16];
  const uint8_t* small_taps[WHITTLE_Q8_DWCONV_MAX_TAPS];
  const uint8_t* input_end = input + (size_t)p->batches * (size_t)p->in_h * (size_t)p->in_w * channels;
  for (int32_t row = row_begin; row < row_end; row++) {
    row_pointers(p, input, row, rows);
    uint8_t* out_row = output + (size_t)row * (size_t)p->out_w * channels;
    for (int32_t ox = 0; ox < p->out_w; ox++) {
      tap_pointers(p, rows, ox, zero, taps);
      uint8_t* o = out_row + (size_t)ox * channels;
      if (channels < 16) {
        for (int32_t t = 0; t < ntaps; t++) {
          const uint8_t* x = taps[t];
          if (x != zero && (size_t)(input_end - x) < 16) {
            memcpy(small[t], x, channels);
            x = small[t];
          }
          small_taps[t] = x;
        }
        alignas(16) uint8_t tmp[16];
        store(tmp, block(small_taps, 0, 0));
        memcpy(o, tmp, channels);
        continue;
      }
      size_t c = cb;
      for (; c + 16 <= ce; c += 16) {
        store(o + c, block(taps, c, c));
      }
      if (c < ce) {
        c = ce - 16;
        store(o + c, block(taps, c, c));
      }
    }
  }
}

// ---- Lane-mapped kernels (q8_dwconv2d_minmax_64l_*, whittle_q8_dwconv_lanes_params) ----

template <typename T>
static inline const T* at(const whittle_q8_dwconv_lanes_params* p, int32_t offset) {
  return reinterpret_cast<const T*>(reinterpret_cast<const uint8_t*>(p) + offset);
}

// One mapping (group or single) of a lanes block: see native/include/whittle/dwconv.h.
struct LanesMap {
  const whittle_q8_dwconv_unit* units;
  const int32_t* bias;
  const int32_t* mult;
  const int32_t* lsh;
  const int32_t* rmask;
  const int32_t* rhalf;
  const int32_t* rsh;
  const int32_t* w;
  int32_t n;      // units
  size_t stride;  // n * 16: int32 per tap in w
  int32_t lanes;  // lanes stored per step
};

static inline LanesMap lanes_map(const whittle_q8_dwconv_lanes_params* p, int32_t offset, int32_t n, int32_t lanes) {
  LanesMap m;
  const uint8_t* base = reinterpret_cast<const uint8_t*>(p) + offset;
  m.units = reinterpret_cast<const whittle_q8_dwconv_unit*>(base);
  const size_t units_bytes = ((size_t)n * sizeof(whittle_q8_dwconv_unit) + 63) & ~(size_t)63;
  const int32_t* a = reinterpret_cast<const int32_t*>(base + units_bytes);
  const size_t len = (size_t)n * 16;
  m.bias = a;
  m.mult = a + len;
  m.lsh = a + 2 * len;
  m.rmask = a + 3 * len;
  m.rhalf = a + 4 * len;
  m.rsh = a + 5 * len;
  m.w = a + 6 * len;
  m.n = n;
  m.stride = len;
  m.lanes = lanes;
  return m;
}

// Tap pointers of output pixel ox of a lanes node (padding taps point at zero).
static inline void single_pixel(const whittle_q8_dwconv_lanes_params* p, const uint8_t* const* rows,
                                const uint8_t* zero, int32_t ox, const uint8_t** taps) {
  const int32_t ix0 = ox * p->stride_w - p->pad_w;
  for (int32_t fx = 0; fx < p->kw; fx++) {
    const int32_t ix = ix0 + fx * p->dil_w;
    const bool inside = ix >= 0 && ix < p->in_w;
    const size_t off = (size_t)(inside ? ix : 0) * (size_t)p->in_c;
    for (int32_t fy = 0; fy < p->kh; fy++) {
      const uint8_t* r = rows[fy];
      taps[fy * p->kw + fx] = (inside && r != nullptr) ? r + off : zero;
    }
  }
}

// The rows [row_begin, row_end) (batch * out_h) of a lanes node: edge pixels (horizontal
// padding) and row tails one pixel at a time (ops.single), interior pixels group_pixels at a
// time (ops.group), each given the tap pointers of its (first) pixel; padded taps point at
// zero[], whose bytes are the input zero point.
template <class Ops>
static inline void lanes_rows(const whittle_q8_dwconv_lanes_params* p, const uint8_t* input, uint8_t* output,
                              int32_t row_begin, int32_t row_end, const Ops& ops) {
  const uint8_t* zero = at<uint8_t>(p, p->zero_offset);
  const size_t inc = (size_t)p->in_c;
  const size_t outc = (size_t)p->out_c;
  const size_t row_bytes = (size_t)p->in_w * inc;
  const int32_t kh = p->kh, kw = p->kw;
  const int32_t gp = p->group_pixels;
  const uint8_t* rows[WHITTLE_Q8_DWCONV_MAX_TAPS];
  const uint8_t* taps[WHITTLE_Q8_DWCONV_MAX_TAPS];
  for (int32_t row = row_begin; row < row_end; row++) {
    const int32_t b = row / p->out_h;
    const int32_t oy = row - b * p->out_h;
    for (int32_t fy = 0; fy < kh; fy++) {
      const int32_t iy = oy * p->stride_h - p->pad_h + fy * p->dil_h;
      rows[fy] = (iy >= 0 && iy < p->in_h) ? input + ((size_t)b * (size_t)p->in_h + (size_t)iy) * row_bytes : nullptr;
    }
    uint8_t* out_row = output + (size_t)row * (size_t)p->out_w * outc;
    int32_t ox = 0;
    if (gp > 1) {
      for (; ox < p->ox_lo; ox++) {
        single_pixel(p, rows, zero, ox, taps);
        ops.single(taps, out_row + (size_t)ox * outc);
      }
      for (; ox + gp <= p->ox_hi; ox += gp) {
        const int32_t ix0 = ox * p->stride_w - p->pad_w;
        for (int32_t fy = 0; fy < kh; fy++) {
          const uint8_t* r = rows[fy];
          for (int32_t fx = 0; fx < kw; fx++) {
            taps[fy * kw + fx] = r != nullptr ? r + (size_t)(ix0 + fx * p->dil_w) * inc : zero;
          }
        }
        ops.group(taps, out_row + (size_t)ox * outc);
      }
      if (ox < p->ox_hi && p->ox_hi - p->ox_lo >= gp) {
        // The interior's tail: one more group ending at ox_hi, overlapping the previous one
        // (recomputed outputs are the same bytes).
        const int32_t gx = p->ox_hi - gp;
        const int32_t ix0 = gx * p->stride_w - p->pad_w;
        for (int32_t fy = 0; fy < kh; fy++) {
          const uint8_t* r = rows[fy];
          for (int32_t fx = 0; fx < kw; fx++) {
            taps[fy * kw + fx] = r != nullptr ? r + (size_t)(ix0 + fx * p->dil_w) * inc : zero;
          }
        }
        ops.group(taps, out_row + (size_t)gx * outc);
        ox = p->ox_hi;
      }
    }
    for (; ox < p->out_w; ox++) {
      single_pixel(p, rows, zero, ox, taps);
      ops.single(taps, out_row + (size_t)ox * outc);
    }
  }
}

}  // namespace whittle_q8_dwconv

#endif  // WHITTLE_KERNELS_Q8_DWCONV_COMMON_H_
