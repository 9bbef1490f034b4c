// Shared, ISA-free helpers of the q8 GEMM convolution kernels (q8_conv2d_gemm_*__<isa>.cc).
// Static inline only: each kernel file compiles its own copy with its own flags.
#ifndef WHITTLE_KERNELS_Q8_GEMM_COMMON_H_
#define WHITTLE_KERNELS_Q8_GEMM_COMMON_H_

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "whittle/q8_gemm.h"

static_assert(sizeof(whittle_q8_gemm_params) == 256, "params block layout is mirrored by Java");
static_assert(offsetof(whittle_q8_gemm_params, weights) == 112, "params block layout is mirrored by Java");

// The microtile and its store helpers must be inlined for the accumulators to live in
// registers (GCC at -O2 keeps small arrays of vectors on the stack otherwise).
#define WHITTLE_Q8_INLINE static inline __attribute__((always_inline))

// A kernel file's run(...): calls run_t<GL, U>(args...) with GL = the gemmlowp rounding and
// U = uint8 flags of gemm (a const whittle_q8_gemm_params*), so each of the four is compiled
// without per-row branches.
#define WHITTLE_Q8_RUN_GL_U(gemm, run_t, ...)  \
  do {                                          \
    if ((gemm)->gemmlowp != 0) {                \
      if ((gemm)->is_unsigned != 0) {           \
        run_t<true, true>(__VA_ARGS__);         \
      } else {                                  \
        run_t<true, false>(__VA_ARGS__);        \
      }                                         \
    } else if ((gemm)->is_unsigned != 0) {      \
      run_t<false, true>(__VA_ARGS__);          \
    } else {                                    \
      run_t<false, false>(__VA_ARGS__);         \
    }                                           \
  } while (0)

namespace whittle_q8 {

// An output pixel's coordinates, advanced row by row through a block (no divisions per row:
// at small K two integer divisions cost more than the pixel's multiply-adds).
struct Pixel {
  int32_t m, b, oy, ox;
};

static inline Pixel pixel_at(const whittle_q8_gemm_params* p, int32_t m) {
  const int32_t pixels = p->out_h * p->out_w;
  Pixel px;
  px.m = m;
  px.b = m / pixels;
  const int32_t rem = m - px.b * pixels;
  px.oy = rem / p->out_w;
  px.ox = rem - px.oy * p->out_w;
  return px;
}

// Advances px by count pixels along its output row (count <= out_w - ox).
static inline void advance_pixels(const whittle_q8_gemm_params* p, Pixel* px, int32_t count) {
  px->m += count;
  px->ox += count;
  if (px->ox == p->out_w) {
    px->ox = 0;
    if (++px->oy == p->out_h) {
      px->oy = 0;
      px->b++;
    }
  }
}

static inline void next_pixel(const whittle_q8_gemm_params* p, Pixel* px) {
  px->m++;
  if (++px->ox == p->out_w) {
    px->ox = 0;
    if (++px->oy == p->out_h) {
      px->oy = 0;
      px->b++;
    }
  }
}

// Whether output pixel m reads exactly input pixel m (1x1, stride 1, no padding; FULLY_CONNECTED).
static inline bool is_direct(const whittle_q8_gemm_params* p) {
  return p->kh == 1 && p->kw == 1 && p->stride_h == 1 && p->stride_w == 1 && p->pad_h == 0 && p->pad_w == 0 &&
         p->in_h == p->out_h && p->in_w == p->out_w;
}

// Where the K values of output pixel px come from: calls emit(src, count) for every run of
// inC input bytes in K order (fy, fx, ic), or emit(nullptr, count) for a padding tap.
template <typename Emit>
WHITTLE_Q8_INLINE void gather_row(const whittle_q8_gemm_params* p, const uint8_t* input, bool direct, const Pixel& px,
                              Emit emit) {
  const int32_t c = p->in_c;
  if (direct) {
    emit(input + (size_t) px.m * c, c);
    return;
  }
  const uint8_t* image = input + (size_t) px.b * p->in_h * p->in_w * c;
  for (int32_t fy = 0; fy < p->kh; fy++) {
    const int32_t iy = px.oy * p->stride_h - p->pad_h + p->dil_h * fy;
    const bool row_in = iy >= 0 && iy < p->in_h;
    const int32_t ix0 = px.ox * p->stride_w - p->pad_w;
    if (row_in && p->dil_w == 1 && ix0 >= 0 && ix0 + p->kw <= p->in_w) {
      // The kw taps of this filter row are adjacent pixels: one run of kw * inC bytes.
      emit(image + ((size_t) iy * p->in_w + ix0) * c, p->kw * c);
      continue;
    }
    for (int32_t fx = 0; fx < p->kw; fx++) {
      const int32_t ix = px.ox * p->stride_w - p->pad_w + p->dil_w * fx;
      if (row_in && ix >= 0 && ix < p->in_w) {
        emit(image + ((size_t) iy * p->in_w + ix) * c, c);
      } else {
        emit(nullptr, c);
      }
    }
  }
}

// Copies a run of count input bytes to dst. Small runs (the inC of a first RGB layer is 3) move
// 8 or 16 bytes at once: dst may be written up to 16 bytes past the run (callers leave that
// much slack, and later runs overwrite it), src is over-read only while that stays inside
// the input tensor (src_end).
WHITTLE_Q8_INLINE void copy_run(uint8_t* dst, const uint8_t* src, int32_t count, const uint8_t* src_end) {
  if (count <= 8 && src + 8 <= src_end) {
    uint64_t v;
    memcpy(&v, src, 8);
    memcpy(dst, &v, 8);
  } else if (count <= 16 && src + 16 <= src_end) {
    uint64_t v[2];
    memcpy(v, src, 16);
    memcpy(dst, v, 16);
  } else {
    memcpy(dst, src, (size_t) count);
  }
}

// Fills a run of count bytes with v; may write up to 16 bytes past it, as copy_run.
WHITTLE_Q8_INLINE void fill_run(uint8_t* dst, uint8_t v, int32_t count) {
  if (count <= 16) {
    const uint64_t x = 0x0101010101010101ull * v;
    memcpy(dst, &x, 8);
    memcpy(dst + 8, &x, 8);
  } else {
    memset(dst, v, (size_t) count);
  }
}

// Gathers output pixel px's K raw input bytes (padding taps = the input zero point) into dst,
// with the slack copy_run needs after dst + K.
WHITTLE_Q8_INLINE void gather_bytes(const whittle_q8_gemm_params* p, const uint8_t* input, const uint8_t* input_end,
                                bool direct, const Pixel& px, uint8_t* dst) {
  const uint8_t zero = (uint8_t) p->input_zero_point;
  int32_t at = 0;
  gather_row(p, input, direct, px, [&](const uint8_t* src, int32_t count) {
    if (src == nullptr) {
      fill_run(dst + at, zero, count);
    } else {
      copy_run(dst + at, src, count, input_end);
    }
    at += count;
  });
}

// The small-run fast path of the im2col gathers (input channels <= 16 / kw, e.g. the
// RGB first layer of a MobileNet: three 9-byte runs per pixel). gather_row is general
// (per-tap bounds, dilation, padding) and reloads the geometry per pixel (its byte stores may
// alias the params block): measured at 5x the cost of the loads and stores themselves on
// a 224x224x3 -> 112x112 3x3 stride-2 layer. SmallRuns holds the geometry in locals, and
// interior() finds an interior pixel's first run with no per-tap work: the kernel then moves
// kh runs of `run` bytes, `row_step` apart, with one 16-byte load each.
struct SmallRuns {
  int32_t in_h, in_w, kh, sh, sw, ph, pw, dh, run;
  size_t row_step, image;
  const uint8_t* last;  // the last address a 16-byte load may start at
  bool on;              // the fast path applies to this node at all

  explicit SmallRuns(const whittle_q8_gemm_params* p, const uint8_t* input)
      : in_h(p->in_h), in_w(p->in_w), kh(p->kh), sh(p->stride_h), sw(p->stride_w), ph(p->pad_h), pw(p->pad_w),
        dh(p->dil_h), run(p->kw * p->in_c), row_step((size_t) p->dil_h * p->in_w * p->in_c),
        image((size_t) p->in_h * p->in_w * p->in_c),
        last(input + input_bytes(p) - 16), on(p->dil_w == 1 && p->kw * p->in_c <= 16) {}

  // How many pixels from px on (along its output row, at most max) have every tap inside the
  // image and every run loadable with 16 bytes inside the input; *src = px's first run. 0:
  // the caller takes gather_row for px. The pixels' first runs are sw * c bytes apart.
  int32_t interior(const uint8_t* input, int32_t c, int32_t kw, int32_t out_w, const Pixel& px, int32_t max,
                   const uint8_t** src) const {
    const int32_t iy = px.oy * sh - ph;
    const int32_t ix = px.ox * sw - pw;
    if (!on || iy < 0 || iy + (kh - 1) * dh >= in_h || ix < 0 || ix + kw > in_w) {
      return 0;
    }
    const uint8_t* s = input + (size_t) px.b * image + ((size_t) iy * in_w + ix) * c;
    const uint8_t* s_last = s + (size_t) (kh - 1) * row_step;
    if (s_last > last) {
      return 0;
    }
    // Right edge of the image, end of the output row, the input's end (the last row's loads).
    int64_t n = (int64_t) (in_w - kw - ix) / sw + 1;
    n = n < out_w - px.ox ? n : out_w - px.ox;
    n = n < max ? n : max;
    const int64_t by_end = (int64_t) (last - s_last) / ((int64_t) sw * c) + 1;
    n = n < by_end ? n : by_end;
    *src = s;
    return (int32_t) n;
  }

 private:
  static size_t input_bytes(const whittle_q8_gemm_params* p) {
    return (size_t) p->batches * p->in_h * p->in_w * p->in_c;
  }
};

static inline size_t input_bytes(const whittle_q8_gemm_params* p) {
  return (size_t) p->batches * p->in_h * p->in_w * p->in_c;
}

static inline const int32_t* channel_array(const whittle_q8_gemm_params* p, int which) {
  return reinterpret_cast<const int32_t*>(static_cast<uintptr_t>(p->channel)) + (size_t) which * p->np;
}

}  // namespace whittle_q8

#endif  // WHITTLE_KERNELS_Q8_GEMM_COMMON_H_
