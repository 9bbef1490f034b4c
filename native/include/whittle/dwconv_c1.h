/*
 * Whittle: int8/uint8 DEPTHWISE_CONV_2D with one input channel and a depth multiplier of 8 or
 * more (person_detect's first layer: 96x96x1 -> 48x48x8, 3x3 stride 2), issue 6:
 * {qs8,qs8_qc8w,qu8}_dwconv2d_minmax_c1x8__avx2 (kernels/q8_dwconv2d_minmax_c1x8__avx2.cc,
 * Java dev.whittle.runtime.kernels.NativeDepthwiseConvC1).
 *
 * Lanes are the 8 output channels of one block of one pixel; the one input value of a tap is the
 * same for all of them. Per needed input row the call widens the row once to int16 (x + input
 * offset, zero outside the image: padding taps then add nothing) in the scratch; a pair of
 * horizontal taps (kx, kx + 1) of output pixel ox is then the int32 at element
 * ox * stride_w + pair_off[p] of that row, broadcast (vpbroadcastd) and multiplied by the
 * block's (w[kx], w[kx + 1]) int16 weight pairs (vpmaddwd). An odd last tap, and every tap when
 * dil_w > 1, is paired with a zero weight (its neighbour element is read and multiplied by 0).
 * Channel blocks: [0, 8), [8, 16), ..., the last one [m - 8, m) (overlapping; its duplicated
 * outputs are computed identically).
 *
 * Block at the params address: this header, then at `weights`
 *   [blocks][kh][pairs] x 32 bytes: 8 x (int16 w_eff(kx), int16 w_eff(kx + 1) or 0),
 * and at `consts` per block 11 x 32 bytes: bias (int32 x 8), left shift (int32 x 8), the
 * multipliers (int32 x 8), the odd lanes' multipliers at the even dwords, then int64 per even /
 * odd lane: R_hi, R_lo (R_hi - N), the shift counts (even lanes 0 2 4 6: 31 + right shift; odd lanes
 * 1 3 5 7: right shift - 1 where odd_high, every right shift >= 1, else 31 + right shift), and the
 * output zero point - 2^(31 - right) (int32 x 8); see the kernel for the output stage.
 *
 * Entry points: (params, input, output, scratch, first output row, end output row), rows counting
 * batch * out_h; scratch: kh rows of row_elems int16 (64-byte aligned).
 */
#ifndef WHITTLE_DWCONV_C1_H_
#define WHITTLE_DWCONV_C1_H_

#include <stdint.h>

#include "whittle/export.h"

#ifdef __cplusplus
extern "C" {
#endif

enum { WHITTLE_DWCONV_C1_MAX_PAIRS = 16, WHITTLE_DWCONV_C1_CONSTS = 11 };

typedef struct whittle_dwconv_c1_params {
  int32_t batches, in_h, in_w, out_h;
  int32_t out_w, m, kh, kw;
  int32_t stride_h, stride_w, dil_h, dil_w;
  int32_t pad_h, pad_w, input_offset, act_min;
  int32_t act_max, is_unsigned, has_left, blocks;
  int32_t pairs, row_elems, odd_high, reserved1;
  int64_t weights, consts;
  int32_t pair_off[WHITTLE_DWCONV_C1_MAX_PAIRS];
} whittle_dwconv_c1_params;

#define WHITTLE_DWCONV_C1_SIGNATURE(name)                                                   \
  WHITTLE_API void name(const whittle_dwconv_c1_params* params, const uint8_t* input,      \
                        uint8_t* output, void* scratch, int32_t row_begin, int32_t row_end)

WHITTLE_DWCONV_C1_SIGNATURE(whittle_qs8_dwconv2d_minmax_c1x8__avx2);
WHITTLE_DWCONV_C1_SIGNATURE(whittle_qs8_qc8w_dwconv2d_minmax_c1x8__avx2);
WHITTLE_DWCONV_C1_SIGNATURE(whittle_qu8_dwconv2d_minmax_c1x8__avx2);
/* AVX-512 VL + VNNI: the same kernel with vpdpwssd on ymm. */
WHITTLE_DWCONV_C1_SIGNATURE(whittle_qs8_dwconv2d_minmax_c1x8__avx512vnni);
WHITTLE_DWCONV_C1_SIGNATURE(whittle_qs8_qc8w_dwconv2d_minmax_c1x8__avx512vnni);
WHITTLE_DWCONV_C1_SIGNATURE(whittle_qu8_dwconv2d_minmax_c1x8__avx512vnni);
/* AArch64 Advanced SIMD (q8_dwconv2d_minmax_c1x8__neon.cc): the same block, smlal by element. */
WHITTLE_DWCONV_C1_SIGNATURE(whittle_qs8_dwconv2d_minmax_c1x8__neon);
WHITTLE_DWCONV_C1_SIGNATURE(whittle_qs8_qc8w_dwconv2d_minmax_c1x8__neon);
WHITTLE_DWCONV_C1_SIGNATURE(whittle_qu8_dwconv2d_minmax_c1x8__neon);

#ifdef __cplusplus
}
#endif

#endif /* WHITTLE_DWCONV_C1_H_ */
