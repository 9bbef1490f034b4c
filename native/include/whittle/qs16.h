/* 16x8 kernels: int16 activations (zero point 0), per-channel int8 weights, int64 (or int32)
 * bias. CONV_2D, DEPTHWISE_CONV_2D and FULLY_CONNECTED (kernels/qs16_qc8w_*).
 *
 * A node's parameters are one block of native memory written by the Java kernel at prepare
 * (dev.whittle.runtime.kernels.Qs16NativeGemm, Qs16NativeDepthwiseConv) in the layouts below;
 * Java validates every field before the first call, native code trusts them.
 *
 * Exactness: vpmaddwd of int16 activations by int16-widened int8 weights gives the exact sum
 * of a pair of products, |pair| <= 2 * 32768 * 128 = 2^23. Sums of at most
 * WHITTLE_QS16_PAIRS_PER_FLUSH = 255 pairs stay within int32 (255 * 2^23 < 2^31 - 1; 256 pairs
 * of the most positive pair, (-32768 * -128) * 2, would reach 2^31), so the kernels add at
 * most 255 pairs in int32 before widening into int64 accumulators: the int64 total equals
 * the reference's int64 sum of single products exactly. */
#ifndef WHITTLE_QS16_H_
#define WHITTLE_QS16_H_

#include <stdint.h>

#include "whittle/export.h"

#ifdef __cplusplus
extern "C" {
#endif

#define WHITTLE_QS16_PAIRS_PER_FLUSH 255

/* Output stages (what the reference kernel of each family does after the sum). */
/* CONV_2D / DEPTHWISE_CONV_2D: TFLite's int64 MultiplyByQuantizedMultiplier,
 * (acc * mult[c] + rnd[c]) >> shift[c] (64-bit wrapping), truncated to int32, clamped. */
#define WHITTLE_QS16_STAGE_INT64 0
/* FULLY_CONNECTED with int32 or no bias (the int32 GEMM path): acc truncated to int32 (the
 * reference's wrapping int32 sum), ruy's multiplier (mult[c], shift[c] = exponent), clamped. */
#define WHITTLE_QS16_STAGE_RUY 1
/* FULLY_CONNECTED with int64 bias: (int32) round((double) acc * scale[c]) (x86 cvttsd2si:
 * INT32_MIN outside the range), clamped. */
#define WHITTLE_QS16_STAGE_DOUBLE 2

/* CONV_2D as a GEMM: M = batches * out_h * out_w output pixels, N = out_c, K = kh * kw * in_c
 * in the filter's (fy, fx, ic) order. FULLY_CONNECTED is the same block as a 1x1 convolution
 * (in_h = out_h = 1, in_w = out_w = rows, batches = 1).
 * weights: panels of nr output channels (the last one narrower: a multiple of the kernel's
 * vector width), each [kp / 2][width][2] int16 (the pair k, k + 1 of one channel adjacent),
 * zero padded; panel starting at channel c0 begins at weights + c0 * kp.
 * bias, mult, shift, rnd: int64 per channel, n_padded of them; scale: double per channel. */
typedef struct whittle_qs16_gemm_params {
  int64_t batches, in_h, in_w, in_c;      /*   0 */
  int64_t out_h, out_w, out_c, kh;        /*  32 */
  int64_t kw, stride_h, stride_w, dil_h;  /*  64 */
  int64_t dil_w, pad_h, pad_w, k;         /*  96 */
  int64_t kp, direct, stage, nr;          /* 128: kp = k rounded up to 2; direct = 1x1 without padding */
  int64_t n_padded, act_min, act_max, r0; /* 160 */
  const int16_t* weights;                 /* 192 */
  const int64_t* bias;                    /* 200 */
  const int64_t* mult;                    /* 208 */
  const int64_t* shift;                   /* 216 */
  const int64_t* rnd;                     /* 224 */
  const double* scale;                    /* 232 */
} whittle_qs16_gemm_params;

/* DEPTHWISE_CONV_2D, depth multiplier 1. weights: [c_padded / 16][taps_padded / 2][32] int16
 * in the order of vpunpcklwd/vpunpckhwd of two taps' 16 channels (see Qs16NativeDepthwiseConv);
 * bias, mult, shift, rnd: int64 [c_padded]. */
typedef struct whittle_qs16_dwconv_params {
  int64_t batches, in_h, in_w, channels;  /*   0 */
  int64_t out_h, out_w, kh, kw;           /*  32 */
  int64_t stride_h, stride_w, dil_h, dil_w; /* 64 */
  int64_t pad_h, pad_w, c_padded, taps_padded; /* 96 */
  int64_t act_min, act_max, r0, r1;       /* 128 */
  const int16_t* weights;                 /* 160 */
  const int64_t* bias;                    /* 168 */
  const int64_t* mult;                    /* 176 */
  const int64_t* shift;                   /* 184 */
  const int64_t* rnd;                     /* 192 */
} whittle_qs16_dwconv_params;

/* Output pixels [m0, m1) x output channels [n0, n1) (n0, n1 multiples of p->nr, n1 may be
 * n_padded). scratch: 64-aligned, mr * kp int16 (unused when direct). */
WHITTLE_API void whittle_qs16_qc8w_conv2d_gemm_4x16c2__avx2(const whittle_qs16_gemm_params* p,
    const int16_t* input, int16_t* output, int16_t* scratch, int64_t m0, int64_t m1, int64_t n0, int64_t n1);
WHITTLE_API void whittle_qs16_qc8w_fully_connected_gemm_4x16c2__avx2(const whittle_qs16_gemm_params* p,
    const int16_t* input, int16_t* output, int16_t* scratch, int64_t m0, int64_t m1, int64_t n0, int64_t n1);
/* AArch64 Advanced SIMD (smlal by element), the AVX2 panels. */
WHITTLE_API void whittle_qs16_qc8w_conv2d_gemm_4x16c2__neon(const whittle_qs16_gemm_params* p,
    const int16_t* input, int16_t* output, int16_t* scratch, int64_t m0, int64_t m1, int64_t n0, int64_t n1);
WHITTLE_API void whittle_qs16_qc8w_fully_connected_gemm_4x16c2__neon(const whittle_qs16_gemm_params* p,
    const int16_t* input, int16_t* output, int16_t* scratch, int64_t m0, int64_t m1, int64_t n0, int64_t n1);
WHITTLE_API void whittle_qs16_qc8w_conv2d_gemm_8x32c2__avx512vnni(const whittle_qs16_gemm_params* p,
    const int16_t* input, int16_t* output, int16_t* scratch, int64_t m0, int64_t m1, int64_t n0, int64_t n1);
WHITTLE_API void whittle_qs16_qc8w_fully_connected_gemm_8x32c2__avx512vnni(const whittle_qs16_gemm_params* p,
    const int16_t* input, int16_t* output, int16_t* scratch, int64_t m0, int64_t m1, int64_t n0, int64_t n1);

/* Output rows (b * out_h + oy) [r0, r1), all channels. */
WHITTLE_API void whittle_qs16_qc8w_dwconv2d_16c__avx2(const whittle_qs16_dwconv_params* p,
    const int16_t* input, int16_t* output, int64_t r0, int64_t r1);
/* AArch64 Advanced SIMD, the same block (uzp1/uzp2 of the weight pairs, smlal). */
WHITTLE_API void whittle_qs16_qc8w_dwconv2d_16c__neon(const whittle_qs16_dwconv_params* p,
    const int16_t* input, int16_t* output, int64_t r0, int64_t r1);


#ifdef __cplusplus
}
#endif

#endif /* WHITTLE_QS16_H_ */
