/*
 * Whittle: int8/uint8 CONV_2D and FULLY_CONNECTED on blocked unstructured sparse weights
 * (kernels/q8_conv2d_sparse_*; Java: dev.whittle.runtime.kernels.Q8SparseGemm).
 *
 * The weights are kept as 1x2 blocks along K (a pair of adjacent K values of one output
 * channel, the granularity of vpmaddwd): per output channel, only the pairs with a non-zero
 * weight, as (byte offset of the pair's row in the packed activation tile, the two int16
 * weights w + filterOffset). The activations of a tile of up to 32 output pixels are packed
 * per call as [K/2][32 pixels][2] int16, so one weight pair multiplies 8 pixels per vpmaddwd.
 * See the kernel file for why 1x2 and not 1x4 / 1x16.
 *
 * The params block starts with the dense GEMM's block (geometry, offsets, the per-channel
 * requantization arrays and constants of whittle_q8_gemm_params, written by the same rules;
 * its `weights` field is unused), followed by the sparse fields. A call passes the task's
 * range of output pixels [m0, m1) and of output channels [n0, n1) (n0 a multiple of 16).
 */
#ifndef WHITTLE_Q8_SPARSE_H_
#define WHITTLE_Q8_SPARSE_H_

#include <stdint.h>

#include "whittle/export.h"
#include "whittle/q8_gemm.h"

#ifdef __cplusplus
extern "C" {
#endif

/* AVX2: pixels per packed activation tile (the row stride of a K pair is 64 * 4 bytes). */
#define WHITTLE_Q8_SPARSE_TILE 64

/* 320 bytes; the sparse fields' order is the Java writer's. */
typedef struct whittle_q8_sparse_params {
  whittle_q8_gemm_params gemm; /* gemm.kp: K rounded up to 16 (the staged row length) */
  int64_t row_start;           /* out_c + 1 int32: channel n's pairs are [row_start[n], row_start[n+1]) */
  int64_t pair_offset;         /* int32 per non-zero pair: (k / 2) * 4 * gemm.mb: its row in the packed tile */
  int64_t pair_value;          /* int32 per non-zero pair: (uint16) w_eff[k] | w_eff[k + 1] << 16 */
  int32_t reserved[10];
} whittle_q8_sparse_params;

#define WHITTLE_Q8_SPARSE_SIGNATURE(name)                                                  \
  WHITTLE_API void name(const whittle_q8_sparse_params* params, const uint8_t* input,     \
                        uint8_t* output, void* scratch, int32_t m0, int32_t m1, int32_t n0, \
                        int32_t n1)

/* AVX2: vpmaddwd, tiles of 64 pixels (the rest in one tile of 8..56) x 1 output channel, K in pairs. */
WHITTLE_Q8_SPARSE_SIGNATURE(whittle_qs8_conv2d_sparse_64x1c2__avx2);
WHITTLE_Q8_SPARSE_SIGNATURE(whittle_qs8_qc8w_conv2d_sparse_64x1c2__avx2);
WHITTLE_Q8_SPARSE_SIGNATURE(whittle_qu8_conv2d_sparse_64x1c2__avx2);
WHITTLE_Q8_SPARSE_SIGNATURE(whittle_qs8_fully_connected_sparse_64x1c2__avx2);
WHITTLE_Q8_SPARSE_SIGNATURE(whittle_qs8_qc8w_fully_connected_sparse_64x1c2__avx2);
WHITTLE_Q8_SPARSE_SIGNATURE(whittle_qu8_fully_connected_sparse_64x1c2__avx2);

/* AVX-512 VNNI: vpdpbusd, tiles of 64/32/16 pixels x 1 output channel, K in quads (1x4
 * blocks): pair_offset holds (k / 4) * 256, pair_value the 4 int8 weights of a block (a uint8
 * layer's quad outside int8 split into 2-3 blocks at the same offset); gemm.kp: K rounded up
 * to 64. */
WHITTLE_Q8_SPARSE_SIGNATURE(whittle_qs8_conv2d_sparse_64x1c4__avx512vnni);
WHITTLE_Q8_SPARSE_SIGNATURE(whittle_qs8_qc8w_conv2d_sparse_64x1c4__avx512vnni);
WHITTLE_Q8_SPARSE_SIGNATURE(whittle_qu8_conv2d_sparse_64x1c4__avx512vnni);
WHITTLE_Q8_SPARSE_SIGNATURE(whittle_qs8_fully_connected_sparse_64x1c4__avx512vnni);
WHITTLE_Q8_SPARSE_SIGNATURE(whittle_qs8_qc8w_fully_connected_sparse_64x1c4__avx512vnni);
WHITTLE_Q8_SPARSE_SIGNATURE(whittle_qu8_fully_connected_sparse_64x1c4__avx512vnni);

/* AVX-512 VNNI + VBMI, few output pixels (direct rows only: FULLY_CONNECTED, unpadded 1x1
 * stride-1 CONV_2D): 1-4 rows x 16 output channels per register, vpermt2b gathers each
 * channel's activations of its non-zero weights from a 128-K segment. row_start: uint8 steps
 * per (16-channel group, segment); pair_offset: int32 byte offset of each group's steps in
 * pair_value; pair_value: per step 64 index bytes and 64 int8 weights; reserved[0]: the K
 * window, 128 (vpermt2b) or 64 (vpermb); reserved[1]: the stride between windows; reserved[2]:
 * the windows per group; gemm.kp: the row length read (past K by at least a window). */
WHITTLE_Q8_SPARSE_SIGNATURE(whittle_qs8_conv2d_sparse_4x16c4__avx512vnni);
WHITTLE_Q8_SPARSE_SIGNATURE(whittle_qs8_qc8w_conv2d_sparse_4x16c4__avx512vnni);
WHITTLE_Q8_SPARSE_SIGNATURE(whittle_qu8_conv2d_sparse_4x16c4__avx512vnni);
WHITTLE_Q8_SPARSE_SIGNATURE(whittle_qs8_fully_connected_sparse_4x16c4__avx512vnni);
WHITTLE_Q8_SPARSE_SIGNATURE(whittle_qs8_qc8w_fully_connected_sparse_4x16c4__avx512vnni);
WHITTLE_Q8_SPARSE_SIGNATURE(whittle_qu8_fully_connected_sparse_4x16c4__avx512vnni);

/* NEON DotProd (AArch64; issue 9, NEON weight formats): the AVX-512 VNNI tile format (1x4 blocks,
 * offsets (k / 4) * 256), int8 activations (uint8: x ^ 0x80), sdot by element; gemm.kp: K
 * rounded up to 64. */
WHITTLE_Q8_SPARSE_SIGNATURE(whittle_qs8_conv2d_sparse_64x1c4__neondot);
WHITTLE_Q8_SPARSE_SIGNATURE(whittle_qs8_qc8w_conv2d_sparse_64x1c4__neondot);
WHITTLE_Q8_SPARSE_SIGNATURE(whittle_qu8_conv2d_sparse_64x1c4__neondot);
WHITTLE_Q8_SPARSE_SIGNATURE(whittle_qs8_fully_connected_sparse_64x1c4__neondot);
WHITTLE_Q8_SPARSE_SIGNATURE(whittle_qs8_qc8w_fully_connected_sparse_64x1c4__neondot);
WHITTLE_Q8_SPARSE_SIGNATURE(whittle_qu8_fully_connected_sparse_64x1c4__neondot);

#ifdef __cplusplus
}
#endif

#endif /* WHITTLE_Q8_SPARSE_H_ */
