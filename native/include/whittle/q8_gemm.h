/*
 * Whittle: int8/uint8 CONV_2D and FULLY_CONNECTED as a GEMM (M = output pixels, N = output
 * channels, K = kh * kw * inC), with the requantization fused into the microkernel's store.
 *
 * One params block per node, written once at prepare by dev.whittle.runtime.kernels.Q8Gemm
 * (Java mirrors the offsets below), then passed to every call with the tensor addresses, the
 * worker's scratch and the task's range of output pixels [m0, m1) and of output channels
 * [n0, n1) (n0 a multiple of 16). A FULLY_CONNECTED node is the 1x1 convolution of a 1x1
 * image: batches = rows, inC = inFeatures.
 */
#ifndef WHITTLE_Q8_GEMM_H_
#define WHITTLE_Q8_GEMM_H_

#include <stdint.h>

#include "whittle/export.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Per-channel arrays, each np int32 values, one after another from `channel`. */
enum {
  WHITTLE_Q8_CH_CONST = 0,    /* bias + every offset term that depends on the channel only */
  WHITTLE_Q8_CH_MULT = 1,     /* Q0.31 multiplier */
  WHITTLE_Q8_CH_LEFT = 2,     /* max(shift, 0) */
  WHITTLE_Q8_CH_RIGHT = 3,    /* max(-shift, 0) */
  WHITTLE_Q8_CH_NUDGE = 4,    /* ruy: 1 << (right - 1), or 0 */
  WHITTLE_Q8_CH_OVF = 5,      /* ruy: INT32_MAX - nudge */
  WHITTLE_Q8_CH_SAT = 6,      /* ruy: 1 << (31 - right) when right > 0 */
  WHITTLE_Q8_CH_MASK = 7,     /* gemmlowp: (1 << right) - 1 */
  WHITTLE_Q8_CH_HALF = 8,     /* gemmlowp: mask >> 1 */
  WHITTLE_Q8_CH_COUNT = 9
};

/* 256 bytes; field order is the Java writer's. */
typedef struct whittle_q8_gemm_params {
  int32_t batches, in_h, in_w, in_c;
  int32_t out_h, out_w, out_c, kh;
  int32_t kw, stride_h, stride_w, dil_h;
  int32_t dil_w, pad_h, pad_w, k;
  int32_t kp;          /* K rounded up to 4: the packed rows' length */
  int32_t np;          /* N rounded up to 16 */
  int32_t mb;          /* output pixels per packed block (a multiple of the tile's MR) */
  int32_t gemmlowp;    /* 1: TFLite/gemmlowp rounding of the final shift; 0: ruy's */
  int32_t input_zero_point; /* the raw byte value of padding taps (x + inputOffset = 0) */
  int32_t output_offset, act_min, act_max;
  int32_t is_unsigned; /* 1: uint8 activations */
  int32_t row_coef;    /* avx512vnni, neondot: coefficient of each packed row's byte sum */
  int32_t x_flip;      /* avx512vnni: 0x80 for int8 (to unsigned bytes); neondot: 0x80 for uint8 (to signed) */
  int32_t has_left_shift; /* 1 when some channel has a positive shift */
  int64_t weights;     /* address of the packed weight panels */
  int64_t channel;     /* address of WHITTLE_Q8_CH_COUNT arrays of np int32 */
  int32_t reserved[32];
} whittle_q8_gemm_params;

#define WHITTLE_Q8_GEMM_SIGNATURE(name)                                                    \
  WHITTLE_API void name(const whittle_q8_gemm_params* params, const uint8_t* input,       \
                        uint8_t* output, void* scratch, int32_t m0, int32_t m1, int32_t n0, \
                        int32_t n1)

/* AVX2: int16 x int16 (vpmaddwd), 4 pixels x 16 channels, K in pairs. */
WHITTLE_Q8_GEMM_SIGNATURE(whittle_qs8_conv2d_gemm_4x16c2__avx2);
WHITTLE_Q8_GEMM_SIGNATURE(whittle_qs8_qc8w_conv2d_gemm_4x16c2__avx2);
WHITTLE_Q8_GEMM_SIGNATURE(whittle_qu8_conv2d_gemm_4x16c2__avx2);
WHITTLE_Q8_GEMM_SIGNATURE(whittle_qs8_fully_connected_gemm_4x16c2__avx2);
WHITTLE_Q8_GEMM_SIGNATURE(whittle_qs8_qc8w_fully_connected_gemm_4x16c2__avx2);
WHITTLE_Q8_GEMM_SIGNATURE(whittle_qu8_fully_connected_gemm_4x16c2__avx2);
/* Independent vpmaddwd + vpaddd chains in registers: returns a value to keep; 8 * 16 MACs per iteration. */
WHITTLE_API int32_t whittle_qs16_peak__avx2(int64_t iterations);

/* AVX-512 VNNI: uint8 x int8 (vpdpbusd), 8 pixels x 16 channels, K in quads. */
WHITTLE_Q8_GEMM_SIGNATURE(whittle_qs8_conv2d_gemm_8x16c4__avx512vnni);
WHITTLE_Q8_GEMM_SIGNATURE(whittle_qs8_qc8w_conv2d_gemm_8x16c4__avx512vnni);
WHITTLE_Q8_GEMM_SIGNATURE(whittle_qu8_conv2d_gemm_8x16c4__avx512vnni);
WHITTLE_Q8_GEMM_SIGNATURE(whittle_qs8_fully_connected_gemm_8x16c4__avx512vnni);
WHITTLE_Q8_GEMM_SIGNATURE(whittle_qs8_qc8w_fully_connected_gemm_8x16c4__avx512vnni);
WHITTLE_Q8_GEMM_SIGNATURE(whittle_qu8_fully_connected_gemm_8x16c4__avx512vnni);
/* Independent vpdpbusd chains in registers: 12 * 64 MACs per iteration. */
WHITTLE_API int32_t whittle_qs8_peak__avx512vnni(int64_t iterations);

/* NEON DotProd (AArch64): int8 x int8 (sdot by element), 4 pixels x 16 channels, K in quads;
 * the AVX-512 VNNI weight panels, activations moved to signed bytes. */
WHITTLE_Q8_GEMM_SIGNATURE(whittle_qs8_conv2d_gemm_4x16c4__neondot);
WHITTLE_Q8_GEMM_SIGNATURE(whittle_qs8_qc8w_conv2d_gemm_4x16c4__neondot);
WHITTLE_Q8_GEMM_SIGNATURE(whittle_qu8_conv2d_gemm_4x16c4__neondot);
WHITTLE_Q8_GEMM_SIGNATURE(whittle_qs8_fully_connected_gemm_4x16c4__neondot);
WHITTLE_Q8_GEMM_SIGNATURE(whittle_qs8_qc8w_fully_connected_gemm_4x16c4__neondot);
WHITTLE_Q8_GEMM_SIGNATURE(whittle_qu8_fully_connected_gemm_4x16c4__neondot);
/* NEON gaps (issue 6): AArch64 NEON I8MM (smmla), int8 x int8 2x8x2 blocks, 4 pixels x 16 channels,
 * K in octets (kp = K rounded up to 8); the neondot arithmetic, panels of channel pairs. */
WHITTLE_Q8_GEMM_SIGNATURE(whittle_qs8_conv2d_gemm_4x16c8__neoni8mm);
WHITTLE_Q8_GEMM_SIGNATURE(whittle_qs8_qc8w_conv2d_gemm_4x16c8__neoni8mm);
WHITTLE_Q8_GEMM_SIGNATURE(whittle_qu8_conv2d_gemm_4x16c8__neoni8mm);
WHITTLE_Q8_GEMM_SIGNATURE(whittle_qs8_fully_connected_gemm_4x16c8__neoni8mm);
WHITTLE_Q8_GEMM_SIGNATURE(whittle_qs8_qc8w_fully_connected_gemm_4x16c8__neoni8mm);
WHITTLE_Q8_GEMM_SIGNATURE(whittle_qu8_fully_connected_gemm_4x16c8__neoni8mm);

#ifdef __cplusplus
}
#endif

#endif /* WHITTLE_Q8_GEMM_H_ */
