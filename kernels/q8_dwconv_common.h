// Portable helpers of the q8 depthwise kernels (q8_dwconv2d_minmax_*): no ISA flags needed,
// static inline only, so each kernel file gets its own copy compiled with its own flags.
#ifndef WHITTLE_KERNELS_Q8_DWCONV_COMMON_H_
#define WHITTLE_KERNELS_Q8_DWCONV_COMMON_H_

#include <stddef.h>
#include <stdint.h>

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

}  // namespace whittle_q8_dwconv

#endif  // WHITTLE_KERNELS_Q8_DWCONV_COMMON_H_
