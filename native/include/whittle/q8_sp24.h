/*
 * Whittle: int8/uint8 CONV_2D and FULLY_CONNECTED on 2:4 structured sparse weights (issue 9),
 * as a GEMM like whittle/q8_gemm.h (M = output pixels, N = output channels, K = kh * kw * inC),
 * with the requantization fused into the microkernel's store.
 *
 * The params block is a whittle_q8_gemm_params (same geometry, requantization arrays and task
 * range, written by dev.whittle.runtime.kernels.Q8Sp24Gemm) with:
 *   weights      the packed kept weights: per 16-channel panel, per group of 4 along K, 16
 *                channels x 2 int16 (w + filterOffset) = 64 bytes (avx2), or per 16-channel
 *                panel, per 2 groups (8 K), 16 channels x 4 int8 = 64 bytes (avx512vnni);
 *   reserved[0..1] (byte offset 128) int64 address of the metadata, 16 bytes per panel and
 *                group (avx2: one pattern id 0..5 per channel, which 2 of the 4 K positions are
 *                kept, as id | id << 5: id << 5 is the byte offset of its pair vector in a tile) or per
 *                panel and 8 K (avx512vnni: both groups' ids, p_g | p_g+1 << 4).
 *   reserved[2..7] (byte offsets 136, 144, 152; avx512vnni, 0 when none) int64 addresses of
 *                the residual blocks, for uint8 layers whose kept w + filterOffset leave int8
 *                (the packed weights then hold them clamped to [-128, 127]): np / 16 + 1 int32
 *                panel starts, one int32 8-K index q per block, 64 bytes per block of
 *                r = w_eff - clamp(w_eff) in the packed layout (a kept w_eff of 255 is declined).
 * K % 4 == 0 (inC % 4 == 0) so groups never straddle filter taps; kp == k (avx2) or K rounded
 * up to 8 (avx512vnni, the missing group padded with zero weights).
 */
#ifndef WHITTLE_Q8_SP24_H_
#define WHITTLE_Q8_SP24_H_

#include "whittle/q8_gemm.h"

#ifdef __cplusplus
extern "C" {
#endif

/* AVX2: tiles of 24 pixels x 4 channels, each channel's group one vpmaddwd of its kept pair with the
 * precomputed activation pair vector its pattern selects (8+ pixels); 1..7 pixels: vpshufb/vpermd
 * gathers per channel lane, 16 channels. */
WHITTLE_Q8_GEMM_SIGNATURE(whittle_qs8_conv2d_sp24_24x4__avx2);
WHITTLE_Q8_GEMM_SIGNATURE(whittle_qs8_qc8w_conv2d_sp24_24x4__avx2);
WHITTLE_Q8_GEMM_SIGNATURE(whittle_qu8_conv2d_sp24_24x4__avx2);
WHITTLE_Q8_GEMM_SIGNATURE(whittle_qs8_fully_connected_sp24_24x4__avx2);
WHITTLE_Q8_GEMM_SIGNATURE(whittle_qs8_qc8w_fully_connected_sp24_24x4__avx2);
WHITTLE_Q8_GEMM_SIGNATURE(whittle_qu8_fully_connected_sp24_24x4__avx2);

/* AVX-512 VNNI: vpshufb gathers each channel's 4 kept activation bytes of 8 K, vpdpbusd against
 * 4 int8 kept weights (+ the residual blocks), 8 pixels x 16 channels; kp = K rounded up to 8. */
WHITTLE_Q8_GEMM_SIGNATURE(whittle_qs8_conv2d_sp24_8x16__avx512vnni);
WHITTLE_Q8_GEMM_SIGNATURE(whittle_qs8_qc8w_conv2d_sp24_8x16__avx512vnni);
WHITTLE_Q8_GEMM_SIGNATURE(whittle_qu8_conv2d_sp24_8x16__avx512vnni);
WHITTLE_Q8_GEMM_SIGNATURE(whittle_qs8_fully_connected_sp24_8x16__avx512vnni);
WHITTLE_Q8_GEMM_SIGNATURE(whittle_qs8_qc8w_fully_connected_sp24_8x16__avx512vnni);
WHITTLE_Q8_GEMM_SIGNATURE(whittle_qu8_fully_connected_sp24_8x16__avx512vnni);

/* NEON DotProd (AArch64; issue 9, NEON weight formats): lanes = pixels, 16-pixel tiles, per 8 K
 * one sdot per 4 pixels on the 4 kept activations of the channel's pattern pair (36 combinations
 * built per tile); per channel and 8 K 4 int8 kept weights + 1 combination byte (at offset 128),
 * the VNNI residual blocks (136..152); kp = K rounded up to 8. */
WHITTLE_Q8_GEMM_SIGNATURE(whittle_qs8_conv2d_sp24_16x1c8__neondot);
WHITTLE_Q8_GEMM_SIGNATURE(whittle_qs8_qc8w_conv2d_sp24_16x1c8__neondot);
WHITTLE_Q8_GEMM_SIGNATURE(whittle_qu8_conv2d_sp24_16x1c8__neondot);
WHITTLE_Q8_GEMM_SIGNATURE(whittle_qs8_fully_connected_sp24_16x1c8__neondot);
WHITTLE_Q8_GEMM_SIGNATURE(whittle_qs8_qc8w_fully_connected_sp24_16x1c8__neondot);
WHITTLE_Q8_GEMM_SIGNATURE(whittle_qu8_fully_connected_sp24_16x1c8__neondot);

#ifdef __cplusplus
}
#endif

#endif /* WHITTLE_Q8_SP24_H_ */
