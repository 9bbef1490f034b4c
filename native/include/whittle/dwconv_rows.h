/* DEPTHWISE_CONV_2D int8/uint8, row-based kernels (q8_dwconv2d_minmax_rows*): any depth
 * multiplier, channel count, stride and dilation; written for few channels over many pixels
 * (person_detect, MobileNet's first layers), where channel-blocked kernels waste lanes, and as
 * fast as those on many channels.
 *
 * Output lanes of a row are (pixel, output channel) pairs in output order. A step is
 * step_pixels pixels (step_lanes = step_pixels * out_c lanes) in `vectors` vectors of 64 lanes
 * (VNNI) or units of 16 (AVX2); the row has `steps` steps; lanes past step_lanes (and past the
 * row) are computed but never stored.
 *
 * Each input row a task needs is turned once into a "tap row" kept in the scratch (row_slots of
 * them, direct-mapped by input row): per horizontal group gx of taps (x_groups = ceil(kw / 4)
 * for VNNI: quads, ceil(kw / 2) for AVX2: pairs), per step and vector, the group's taps' values
 * of each lane interleaved as the dot instruction wants them: VNNI 4 x 64 bytes (4 bytes per
 * int32 lane, XORed with xor_byte: 0x80 = x + 128 for int8, vpdpbusd's unsigned operand; 0 for uint8), AVX2 2 x 32 bytes (2
 * int16 per int32 lane, vpmaddwd). qrow_bytes = x_groups * steps * vectors * (256 or 64). An
 * output row then costs kh * x_groups dot instructions per accumulator and no shuffles. The
 * interleave permutes lanes within 128-bit blocks (accumulator a, dword j = 4k + i holds lane
 * 16k + 4a + i (VNNI) or 8k + 4a + i (AVX2)); the packed weights and constants follow it, and
 * the final packs (packssdw, packsswb / packuswb) undo it.
 *
 * direct_mode: how a tap's bytes are read from the input row. VNNI: 1 stride 1 and multiplier
 * 1 (contiguous lanes), 2 stride 2, multiplier 1, in_c 8, 16 or 32 (vpermt2q keeps every other
 * pixel of 128 bytes), 3 multiplier 1 and in_c a multiple of 64 (a vector is 64 channels of one
 * pixel), 4 in_c 1 and mult dividing 64 with (64 / mult - 1) * stride_w < 16 (a 16-byte window
 * broadcast and spread by pshufb); byte-masked loads give the zero point outside the row. 0:
 * the row is first staged (padded columns split into stride_w phases of phase_bytes, each
 * expanded to out_c bytes, XORed with xor_byte) into a row of row_bytes, and the taps read it.
 * AVX2: 1 as VNNI, 2 stride 2 and in_c 8, 3 multiplier 1 and in_c a multiple of 16, 4 in_c 1 and
 * mult dividing 16 with (16 / mult - 1) * stride_w < 16; 0 (session 12; before, each unit
 * gathered its 16 bytes one by one): the padded row is staged as VNNI's (stride_w phases of
 * (row_bytes / in_c - 1) / stride_w columns of out_c bytes, no XOR) and each tap is one load;
 * 5 (session 12) out_c / gcd(16, out_c) <= 16 and every unit's bytes within a 32-byte window:
 * two pshufb per tap (control tables per unit phase, built per call); 6 (session 12) multiplier
 * 1, in_c >= 16: two loads (pixel px from channel c, pixel px + 1) and a blend.
 *
 * Block at the params address: this header (192 bytes), then at weights_offset
 *   [kh * x_groups][vectors][accumulators] vectors: VNNI 4 x 64 bytes (16 int32 lanes x 4 int8
 *   taps), AVX2 2 x 32 bytes (8 int32 lanes x 2 int16 taps); group g = fy * x_groups + gx,
 *   tap b of the group is (fy, gx * group + b), zero past kw;
 * at consts_offset per (vector, accumulator):
 *   VNNI: 10 x 64 bytes: bias', left shift, multiplier (dwords), the odd lanes' multipliers (at
 *         the even dwords), then int64 per even / odd lane: R, N, S (see the kernel)
 *   AVX2:  6 x 32 bytes: bias', left shift, multiplier, right mask, right half, right shift
 * (bias' = bias + (input_offset - (xor_byte ? 128 : 0)) * sum of the channel's w_eff), and at
 * zero_row_offset the tap row of a row of zero points (rows above and below the input):
 * max(row_bytes, qrow_bytes) bytes.
 *
 * Entry points: (params, input, output, scratch, first output row, end output row, first vector,
 * end vector), rows counting batch * out_h; the call computes vectors [vec_begin, vec_end) of
 * every step of those rows (all of them: 0, vectors), so that threads can split layers of few
 * rows and many channels by vectors (lanes) instead of rows; scratch: a 64-byte aligned array of
 * row_slots int32 tags, then (VNNI) one staged row of row_bytes (AVX2: the padded row), then
 * row_slots tap rows of qrow_bytes, then (AVX2, direct_mode 0) the staged row and 64 bytes.
 */
#ifndef WHITTLE_DWCONV_ROWS_H_
#define WHITTLE_DWCONV_ROWS_H_

#include <stdint.h>

#include "whittle/dwconv.h"
#include "whittle/export.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Most fix groups (VNNI, uint8 weights outside int8): see fix_groups. */
#define WHITTLE_Q8_DWCONV_ROWS_MAX_FIX 8

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
  /* VNNI: fix groups after the tap_groups tap groups (their weights follow those groups'), fix
   * group k reading the quads of tap group fix_src[k]: uint8 weights minus their zero point that
   * leave int8 are stored clamped to int8 and their rest (at most 127 off) in a fix group, so a
   * node with a few such weights (MobileNet v1/v2 quant: 1-5 per layer) still takes vpdpbusd. */
  int32_t fix_groups, fix_src[WHITTLE_Q8_DWCONV_ROWS_MAX_FIX];
} whittle_q8_dwconv_rows_params;

/* flags: some channel has a left shift; the activation range is narrower than the type's. */
#define WHITTLE_Q8_DWCONV_ROWS_LEFT_SHIFT 1
#define WHITTLE_Q8_DWCONV_ROWS_CLAMP 2
/* AVX2 (rows16c2): every channel with a right shift has |accumulator| < 2^30 for any input, so
 * the final rounding may add its nudge in int32; const vectors 3 and 4 then hold 2^(right-1)
 * (0 for right = 0) and 31 (32 for right = 0) instead of the mask and the half. */
#define WHITTLE_Q8_DWCONV_ROWS_SMALL_ACC 4
/* AVX2 (rows16c2): two output rows of one image per pass, each weight vector loaded once for
 * both; row_slots is then stride_h rows more than one row's taps span. */
#define WHITTLE_Q8_DWCONV_ROWS_TWO_ROWS 8
/* AVX2 (rows16c2), step_lanes = 16 * vectors and shift = 2 * dil_w / stride_w output pixels a
 * multiple of 8 lanes: tap rows in lane order (per unit, lane k's pair at dword k: accumulator a
 * holds lanes 8a..8a+7; weights and constants follow), holding group 0 only as one run of
 * steps * vectors units and (x_groups - 1) * shift lanes more; group gx is group 0 gx * shift
 * lanes on. Used when a call computes every vector (else the call builds every group, and then
 * needs the unpack order: such nodes are packed without it -- see the Java side). */
#define WHITTLE_Q8_DWCONV_ROWS_SHIFTED_GROUPS 16
/* AVX2 (rows16c2), with TWO_ROWS and SHIFTED_GROUPS, 3x3 stride_h 2, dil_h 1: the two output
 * rows read five tap rows once each (row oy + 1's first tap row is row oy's last) in one run of
 * the row's units, as stride_h 1 does with four (session 10). */
#define WHITTLE_Q8_DWCONV_ROWS_ROW2_S2 32
/* VNNI (rows64c4), uint8: the kernel computes int8 outputs with output_offset, act_min and
 * act_max lowered by 128 and XORs the bytes with 0x80 before storing them (= +128: the signed
 * pack's saturation is then the uint8 one). */
#define WHITTLE_Q8_DWCONV_ROWS_U8_OUT 64
/* The most taps (kh * kw) the kernels take: tap pointers live on the stack. */
#define WHITTLE_Q8_DWCONV_ROWS_MAX_TAPS 256

#define WHITTLE_Q8_DWCONV_ROWS_SIGNATURE(name, ctype)                                              \
  WHITTLE_API void name(const whittle_q8_dwconv_rows_params* p, const ctype* input, ctype* output,  \
                        void* scratch, int32_t row_begin, int32_t row_end, int32_t vec_begin,        \
                        int32_t vec_end)
#define WHITTLE_Q8_DWCONV_ROWS_TAIL scratch, row_begin, row_end, vec_begin, vec_end

WHITTLE_Q8_DWCONV_DECLS(WHITTLE_Q8_DWCONV_ROWS, rows16c2__avx2)
WHITTLE_Q8_DWCONV_DECLS(WHITTLE_Q8_DWCONV_ROWS, rows64c4__avx512vnni)

#ifdef __cplusplus
}
#endif

#endif /* WHITTLE_DWCONV_ROWS_H_ */
