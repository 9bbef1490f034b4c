/* Whittle: 16x8 CONV_2D and FULLY_CONNECTED (int16 activations, int8 per-channel weights, int64
 * or int32 bias) on 2:4 structured sparse weights: K = kh * kw * in_c with in_c % 4 == 0, and
 * every aligned group of 4 along K keeps at most 2 non-zero weights. Written once at prepare by
 * dev.whittle.runtime.kernels.Qs16Sp24Gemm. */
#ifndef WHITTLE_QS16_SP24_H_
#define WHITTLE_QS16_SP24_H_

#include <stdint.h>

#include "whittle/export.h"
#include "whittle/qs16.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Output pixels per tile. The tile holds, per group g of 4 K and pattern id, the kept pair of 32
 * pixels as int16 pairs: byte offset g * 768 + id * 128 (+ 32 per 8 pixels). */
#define WHITTLE_QS16_SP24_TILE 32

/* Pattern ids: which two of the 4 positions of a group are kept (low position first):
 * 0: (0,1)  1: (2,3)  2: (0,2)  3: (1,3)  4: (0,3)  5: (1,2). */

/* 272 bytes. gemm.weights is unused (0); gemm.k % 4 == 0 (so kp == k). */
typedef struct whittle_qs16_sp24_params {
  whittle_qs16_gemm_params gemm; /*   0 */
  const int32_t* pair_weights;   /* 240: [out_c][k / 4] the kept weights as int16 (low position in the low half) */
  const uint8_t* pattern;        /* 248: [out_c][k / 4] pattern id 0..5 */
  int64_t groups;                /* 256: k / 4 */
  int64_t reserved;              /* 264 */
} whittle_qs16_sp24_params;

/* Output pixels [m0, m1) x output channels [n0, n1). scratch: 64 + 192 * k (+ 16 * k unless
 * gemm.direct) bytes per worker. */
WHITTLE_API void whittle_qs16_qc8w_conv2d_sp24_32x1c4__avx2(const whittle_qs16_sp24_params* p,
    const int16_t* input, int16_t* output, void* scratch, int64_t m0, int64_t m1, int64_t n0, int64_t n1);
WHITTLE_API void whittle_qs16_qc8w_fully_connected_sp24_32x1c4__avx2(const whittle_qs16_sp24_params* p,
    const int16_t* input, int16_t* output, void* scratch, int64_t m0, int64_t m1, int64_t n0, int64_t n1);

#ifdef __cplusplus
}
#endif

#endif /* WHITTLE_QS16_SP24_H_ */
