/* Whittle: 16x8 CONV_2D and FULLY_CONNECTED (int16 activations, int8 per-channel weights, int64
 * or int32 bias) on blocked unstructured sparse weights: per output channel only the 1x2 blocks
 * along K (K pair 2j, 2j + 1) that are not all zero. Written once at prepare by
 * dev.whittle.runtime.kernels.Qs16SparseGemm (Java mirrors the offsets). */
#ifndef WHITTLE_QS16_SPARSE_H_
#define WHITTLE_QS16_SPARSE_H_

#include <stdint.h>

#include "whittle/export.h"
#include "whittle/qs16.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Output pixels per tile (the activation tile is packed [kp / 2][32][2] int16). */
#define WHITTLE_QS16_SPARSE_TILE 32

/* 272 bytes. gemm.weights is unused (0); gemm.n_padded is out_c rounded up to 8. */
typedef struct whittle_qs16_sparse_params {
  whittle_qs16_gemm_params gemm; /*   0 */
  const int32_t* row_start;      /* 240: out_c + 1 block counts' prefix sums */
  const int32_t* block_offset;   /* 248: per block, byte offset of its K pair's row in the packed tile (j * 128) */
  const int32_t* block_weights;  /* 256: per block, the two weights as int16 (w[2j] low, w[2j + 1] high) */
  int64_t reserved;              /* 264 */
} whittle_qs16_sparse_params;

/* Output pixels [m0, m1) x output channels [n0, n1). scratch: 64 + 64 * kp (+ 2 * kp unless
 * gemm.direct) bytes per worker. */
WHITTLE_API void whittle_qs16_qc8w_conv2d_sparse_32x1c2__avx2(const whittle_qs16_sparse_params* p,
    const int16_t* input, int16_t* output, void* scratch, int64_t m0, int64_t m1, int64_t n0, int64_t n1);
WHITTLE_API void whittle_qs16_qc8w_fully_connected_sparse_32x1c2__avx2(const whittle_qs16_sparse_params* p,
    const int16_t* input, int16_t* output, void* scratch, int64_t m0, int64_t m1, int64_t n0, int64_t n1);

#ifdef __cplusplus
}
#endif

#endif /* WHITTLE_QS16_SPARSE_H_ */
