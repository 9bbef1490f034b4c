/* float32 CONV_2D, DEPTHWISE_CONV_2D and FULLY_CONNECTED kernels (kernels/f32_*).
 *
 * A node's parameters are one block of native memory written by the Java kernel at prepare
 * (dev.whittle.runtime.kernels.F32NativeConv, F32NativeDepthwiseConv, F32NativeFullyConnected)
 * in the layouts below; Java validates every field before the first call. */
#ifndef WHITTLE_F32_CONV_H_
#define WHITTLE_F32_CONV_H_

#include <stdint.h>

#include "whittle/export.h"

#ifdef __cplusplus
extern "C" {
#endif

/* CONV_2D as a GEMM: M = batches * out_h * out_w output pixels, N = out_c, K = kh * kw * in_c
 * in the filter's (fy, fx, ic) order. FULLY_CONNECTED uses the same block as a 1x1
 * convolution (in_h = in_w = out_h = out_w = 1, batches = rows).
 * weights: n_panels panels of [k][nr] floats (output channels nr at a time, zero padded);
 * bias: n_panels * nr floats (zeros when the node has none). 112 bytes. */
typedef struct whittle_f32_conv_params {
  int32_t batches, in_h, in_w, in_c;     /*  0 */
  int32_t out_h, out_w, out_c, kh;       /* 16 */
  int32_t kw, stride_h, stride_w, dil_h; /* 32 */
  int32_t dil_w, pad_h, pad_w, k;        /* 48 */
  int32_t n_panels, nr, direct, mr;      /* 64: direct = 1x1 without padding, rows read in place */
  float out_min, out_max;                /* 80 */
  int32_t reserved0, reserved1;          /* 88 */
  const float* weights;                  /* 96 */
  const float* bias;                     /* 104 */
} whittle_f32_conv_params;

/* DEPTHWISE_CONV_2D, depth multiplier 1: weights [kh * kw][c_padded] floats, bias [c_padded],
 * c_padded = in_c rounded up to 16, zero padded. 96 bytes. */
typedef struct whittle_f32_dwconv_params {
  int32_t batches, in_h, in_w, in_c;     /*  0 */
  int32_t out_h, out_w, kh, kw;          /* 16 */
  int32_t stride_h, stride_w, dil_h, dil_w; /* 32 */
  int32_t pad_h, pad_w, c_padded, reserved0; /* 48 */
  float out_min, out_max;                /* 64 */
  int32_t reserved1, reserved2;          /* 72 */
  const float* weights;                  /* 80 */
  const float* bias;                     /* 88 */
} whittle_f32_dwconv_params;

/* Output pixels [m0, m1) x output-channel panels [n0, n1). scratch: 12 * k + 16 + kw * in_c floats
 * of the worker's scratch (unused when direct): im2col rows of the tallest tile (12x8) and a row
 * of zeros. */
WHITTLE_API void whittle_f32_conv2d_gemm_6x16__avx2(const whittle_f32_conv_params* p, const float* input,
    float* output, float* scratch, int64_t m0, int64_t m1, int64_t n0, int64_t n1);
/* FULLY_CONNECTED: the same GEMM, rows [m0, m1) of the input read in place. */
WHITTLE_API void whittle_f32_fully_connected_gemm_6x16__avx2(const whittle_f32_conv_params* p, const float* input,
    float* output, float* scratch, int64_t m0, int64_t m1, int64_t n0, int64_t n1);

/* Output pixels [m0, m1), all channels. */
WHITTLE_API void whittle_f32_dwconv2d_minmax_16c__avx2(const whittle_f32_dwconv_params* p, const float* input,
    float* output, int64_t m0, int64_t m1);

#ifdef __cplusplus
}
#endif

#endif /* WHITTLE_F32_CONV_H_ */
