/* DEPTHWISE_CONV_2D int8/uint8, row-staged kernels (q8_dwconv2d_minmax_rows*): any depth
 * multiplier, any channel count, any stride and dilation; written for few channels over many
 * pixels (person_detect, MobileNet's first layers) where channel-blocked kernels waste lanes.
 *
 * Each input row a task needs is staged once into the worker's scratch, in the layout that
 * makes every tap a plain contiguous load: padded columns j (input column j - pad_w, or the
 * input zero point outside the row) split into stride_w phases (phase j % stride_w, index
 * j / stride_w), each column expanded to out_c bytes (byte oc = input channel oc / mult), and
 * XORed with xor_byte (0x80 for the VNNI kernel: int8 becomes the unsigned operand of
 * vpdpbusd). Tap (fy, fx) of output lane l = ox * out_c + oc then reads byte
 *   (fx * dil_w % stride_w) * phase_bytes + (fx * dil_w / stride_w) * out_c + l
 * of staged row fy: the lanes of a row are contiguous for every tap, whatever the stride or the
 * multiplier. Rows above and below the input read zero_row (the zero point, XORed).
 *
 * A step is step_pixels output pixels (step_lanes = step_pixels * out_c lanes, in `vectors`
 * vectors of 64 lanes (AVX-512) or units of 16 (AVX2)); taps go in groups of 4 (VNNI: four
 * taps' bytes interleaved per int32 lane, one vpdpbusd) or 2 (AVX2: int16 pairs, vpmaddwd).
 * The byte interleave permutes lanes within 128-bit blocks; the packed weights and per-lane
 * constants follow the permutation, and the final packs (packssdw, packsswb) undo it.
 *
 * VNNI only: each staged row is turned once into its "quad row" (qrow_bytes in the scratch):
 * per horizontal group gx of 4 taps (x_groups = ceil(kw / 4)), per step and vector, the four
 * taps' bytes of each lane interleaved as vpdpbusd wants them (4 x 64 bytes, accumulator order),
 * so an output row costs kh * x_groups vpdpbusd per accumulator and no shuffles; a quad row
 * serves every output row that reads its input row (kh / stride_h of them).
 *
 * direct_mode (VNNI): how quads are built. 0: from the staged row; else straight from the input
 * row with byte-masked loads (zero point outside it): 1 stride 1 and multiplier 1 (contiguous
 * lanes), 2 stride 2, multiplier 1, in_c 8, 16 or 32 (vpermt2q picks every other pixel of 128
 * bytes), 3 multiplier 1 and in_c a multiple of 64 (a vector is 64 channels of one pixel),
 * 4 in_c 1 and mult dividing 64 with (64 / mult - 1) * stride_w < 16 (a 16-byte window
 * broadcast and spread by pshufb).
 *
 * Block at the params address: this header (192 bytes), then at weights_offset
 *   VNNI: [kh * x_groups][vectors][4 accumulators] 64 bytes: 16 int32 lanes x 4 int8 taps
 *         (group g = fy * x_groups + gx, byte b: tap (fy, 4 gx + b), zero past kw)
 *   AVX2: [units][tap_groups][2 accumulators] 32 bytes: 8 int32 lanes x 2 int16 taps
 * (accumulator a, dword j = 4k + i holds lane 16k + 4a + i (VNNI) or 8k + 4a + i (AVX2)),
 * at consts_offset per (vector, accumulator):
 *   VNNI: 10 x 64 bytes: bias', left shift, multiplier (dwords), multiplier of the odd lanes
 *         (at the even dwords), then int64 per even / odd lane: R, N, S (see the kernel)
 *   AVX2:  6 x 32 bytes: bias', left shift, multiplier, right mask, right half, right shift
 * and zero_row (row_bytes bytes) at zero_row_offset. Lanes past step_lanes have zero weights
 * and are never stored.
 *
 * Entry points: (params, input, output, scratch, first output row, end output row), rows
 * counting batch * out_h; scratch: a 64-byte aligned array of row_slots int32 tags, then
 * AVX2: row_slots staged rows of row_bytes; VNNI: one staged row of row_bytes, then row_slots
 * quad rows of qrow_bytes. zero_row is max(row_bytes, qrow_bytes) bytes.
 */
#ifndef WHITTLE_DWCONV_ROWS_H_
#define WHITTLE_DWCONV_ROWS_H_

#include <stdint.h>

#include "whittle/export.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct whittle_q8_dwconv_rows_params {
  int32_t batches, in_h, in_w, in_c;
  int32_t out_h, out_w, kh, kw;
  int32_t stride_h, stride_w, dil_h, dil_w;
  int32_t pad_h, pad_w, mult, out_c;
  int32_t step_pixels, step_lanes, vectors, tap_groups;
  int32_t phase_bytes, row_bytes, row_slots, xor_byte;
  int32_t zero_byte, weights_offset, consts_offset, zero_row_offset;
  int32_t output_offset, act_min, act_max, flags;
  int32_t qrow_bytes, x_groups, steps, direct_mode;
} whittle_q8_dwconv_rows_params;

/* flags: some channel has a left shift; the activation range is narrower than the type's. */
#define WHITTLE_Q8_DWCONV_ROWS_LEFT_SHIFT 1
#define WHITTLE_Q8_DWCONV_ROWS_CLAMP 2
/* The most taps (kh * kw) the kernels take: tap pointers live on the stack. */
#define WHITTLE_Q8_DWCONV_ROWS_MAX_TAPS 256

#define WHITTLE_Q8_DWCONV_ROWS_DECL(dtype, tile, ctype)                                                          \
  WHITTLE_API void whittle_##dtype##_dwconv2d_minmax_##tile(const whittle_q8_dwconv_rows_params* p,              \
                                                             const ctype* input, ctype* output, void* scratch,   \
                                                             int32_t row_begin, int32_t row_end);
WHITTLE_Q8_DWCONV_ROWS_DECL(qs8, rows16c2__avx2, int8_t)
WHITTLE_Q8_DWCONV_ROWS_DECL(qs8_qc8w, rows16c2__avx2, int8_t)
WHITTLE_Q8_DWCONV_ROWS_DECL(qu8, rows16c2__avx2, uint8_t)
WHITTLE_Q8_DWCONV_ROWS_DECL(qs8, rows64c4__avx512vnni, int8_t)
WHITTLE_Q8_DWCONV_ROWS_DECL(qs8_qc8w, rows64c4__avx512vnni, int8_t)
#undef WHITTLE_Q8_DWCONV_ROWS_DECL

#ifdef __cplusplus
}
#endif

#endif /* WHITTLE_DWCONV_ROWS_H_ */
