// Portable helpers of the row-based q8 depthwise kernels (q8_dwconv2d_minmax_rows*): the row
// staging of the VNNI kernel's fallback mode (direct_mode 0). No ISA flags needed, static inline only, so each kernel
// file gets its own copy compiled (and auto-vectorized) with its own flags. Layout and
// algebra: native/include/whittle/dwconv_rows.h.
#ifndef WHITTLE_KERNELS_Q8_DWCONV_ROWS_COMMON_H_
#define WHITTLE_KERNELS_Q8_DWCONV_ROWS_COMMON_H_

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "whittle/dwconv_rows.h"

namespace whittle_q8_dwconv_rows {

using Params = whittle_q8_dwconv_rows_params;

template <typename T>
static inline const T* at(const Params* p, int32_t offset) {
  return reinterpret_cast<const T*>(reinterpret_cast<const uint8_t*>(p) + offset);
}

static inline void fill8(uint8_t* dst, uint8_t v, size_t n) {
  // memset with a run-time length is a call; columns are short (out_c bytes).
  const uint64_t w = 0x0101010101010101ull * v;
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    memcpy(dst + i, &w, 8);
  }
  for (; i < n; i++) {
    dst[i] = v;
  }
}

static inline void copy_small(uint8_t* dst, const uint8_t* src, size_t n) {
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t w;
    memcpy(&w, src + i, 8);
    memcpy(dst + i, &w, 8);
  }
  for (; i < n; i++) {
    dst[i] = src[i];
  }
}

// Stages one input row (in_row: its first pixel) into dst (see dwconv_rows.h); xor_bytes(p, x, n)
// XORs n bytes with x (the kernel file's vector code).
template <class XorBytes>
static inline void stage_row(const XorBytes& xor_bytes, const Params* p, const uint8_t* in_row, uint8_t* dst) {
  const int32_t s = p->stride_w;
  const size_t oc = (size_t)p->out_c;
  const size_t ic = (size_t)p->in_c;
  const int32_t mult = p->mult;
  const size_t phase = (size_t)p->phase_bytes;
  const int32_t nj = (int32_t)(phase / oc);
  const uint8_t z = (uint8_t)p->zero_byte;
  const size_t total = (size_t)s * phase;
  if (s == 1 && mult == 1) {
    // Contiguous: left padding, the row, right padding.
    const int32_t left = p->pad_w < nj ? p->pad_w : nj;
    int32_t cols = nj - left;
    if (cols > p->in_w) {
      cols = p->in_w;
    }
    memset(dst, z, (size_t)left * oc);
    memcpy(dst + (size_t)left * oc, in_row, (size_t)cols * oc);
    memset(dst + (size_t)(left + cols) * oc, z, total - (size_t)(left + cols) * oc);
  } else {
    // Phase by phase (no division per column): column j = idx * s + phase.
    for (int32_t ph = 0; ph < s; ph++) {
      uint8_t* col = dst + (size_t)ph * phase;
      int32_t ix = ph - p->pad_w;
      for (int32_t idx = 0; idx < nj; idx++, ix += s, col += oc) {
        if (ix < 0 || ix >= p->in_w) {
          fill8(col, z, oc);
          continue;
        }
        const uint8_t* src = in_row + (size_t)ix * ic;
        if (mult == 1) {
          copy_small(col, src, oc);
        } else if (ic == 1) {
          fill8(col, src[0], oc);
        } else {
          for (size_t c = 0; c < ic; c++) {
            fill8(col + c * (size_t)mult, src[c], (size_t)mult);
          }
        }
      }
    }
  }
  if (p->xor_byte != 0) {
    xor_bytes(dst, (uint8_t)p->xor_byte, total);
  }
}

}  // namespace whittle_q8_dwconv_rows

#endif  // WHITTLE_KERNELS_Q8_DWCONV_ROWS_COMMON_H_
