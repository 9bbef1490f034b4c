/* DEPTHWISE_CONV_2D int8/uint8 kernels (qs8, qs8_qc8w, qu8), depth multiplier 1.
 *
 * A node's parameters are one block of native memory written at prepare by
 * dev.whittle.runtime.kernels.NativeDepthwiseConv: this header (128 bytes of int32), then
 * per-channel arrays and the packed filter at the byte offsets the header gives, every array
 * padded to channels_padded (a multiple of 32) and 64-byte aligned:
 *
 *   bias[Cp]        int32  bias + input_offset * sum over taps of w_eff (padded taps then read
 *                          zero[] whose bytes are the input zero point, so x + input_offset = 0)
 *   multiplier[Cp]  int32  >= 0 (so SaturatingRoundingDoublingHighMul never saturates)
 *   left_shift[Cp]  int32  0..30
 *   right_mask[Cp]  int32  (1 << right_shift) - 1, right_shift 0..31
 *   right_half[Cp]  int32  right_mask >> 1
 *   right_shift[Cp] int32
 *   weights[kh*kw][Cp] int32  w + filter_offset (0 in padding channels)
 *   zero[Cp + 64]   uint8  the input zero point (-input_offset)
 *
 * acc = bias' + sum_taps w_eff * x, in wrapping int32 (equal to the reference's sum of
 * (w + filter_offset) * (x + input_offset) modulo 2^32); then TFLite's
 * MultiplyByQuantizedMultiplier, + output_offset, clamp to [act_min, act_max].
 *
 * Entry points: (params, input, output, first output row, end output row) where rows count
 * batch * out_h; the channel-blocked kernels (16c, 32c) also take (first channel, end channel):
 * the channels [ch_begin, ch_end) of those rows, ch_begin a multiple of the block and ch_end
 * one too or the channel count (0, channels: all), so that threads can split layers of few
 * rows and many channels by channels. Tensors are NHWC, channels = in channels = out channels.
 */
#ifndef WHITTLE_DWCONV_H_
#define WHITTLE_DWCONV_H_

#include <stdint.h>

#include "whittle/export.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct whittle_q8_dwconv_params {
  int32_t batches, in_h, in_w, channels;
  int32_t out_h, out_w, kh, kw;
  int32_t stride_h, stride_w, dil_h, dil_w;
  int32_t pad_h, pad_w, output_offset, act_min;
  int32_t act_max, channels_padded, max_taps_unused, flags; /* flags: WHITTLE_Q8_DWCONV_FLAG_* */
  int32_t bias_offset, multiplier_offset, left_shift_offset, right_mask_offset;
  int32_t right_half_offset, right_shift_offset, weights_offset, zero_offset;
  /* AVX2 16c: the int16 tap-pair weights (q8_dwconv2d_minmax_16c__avx2.cc block16_pairs), 0: none */
  int32_t pair_weights_offset;
  int32_t reserved[3];
} whittle_q8_dwconv_params;

/* AVX2 16c only: every right-shifting channel's |accumulator| < 2^30 for any input; the
 * right_mask and right_half arrays then hold 2^(right-1) (0 for right = 0) and 31 (32 for
 * right = 0), the final rounding's int32 nudge and sign-bit shift (q8_dwconv2d_minmax_16c__avx2.cc). */
#define WHITTLE_Q8_DWCONV_FLAG_SMALL_ACC 1
/* AVX2 16c: the overlapping last block of a channel count that is not a multiple of 16 has its own
 * tap-pair weights after the others (32 int16 per pair; session 12). */
#define WHITTLE_Q8_DWCONV_FLAG_PAIRS_TAIL 2

/* The most taps (kh * kw) a kernel takes: its tap pointers live on the stack. */
#define WHITTLE_Q8_DWCONV_MAX_TAPS 256

/* Every q8 depthwise kernel exports three entry points of one signature, qs8, qs8_qc8w and qu8
 * (per-tensor weights are per-channel weights with equal scales: qs8 and qs8_qc8w run the same
 * code): WHITTLE_Q8_DWCONV_DECLS(FAMILY, tile) declares them, FAMILY being one of the signature
 * families WHITTLE_Q8_DWCONV (channel-blocked: rows and a channel range), WHITTLE_Q8_DWCONV_LANES
 * (below: rows) and WHITTLE_Q8_DWCONV_ROWS (whittle/dwconv_rows.h: scratch, rows and a vector
 * range); FAMILY##_SIGNATURE(name, ctype) is the prototype, FAMILY##_TAIL its arguments after
 * (p, input, output), for the kernels' definitions (kernels/q8_dwconv_entries.h). */
#define WHITTLE_Q8_DWCONV_DECLS(FAMILY, tile)                                  \
  FAMILY##_SIGNATURE(whittle_qs8_dwconv2d_minmax_##tile, int8_t);              \
  FAMILY##_SIGNATURE(whittle_qs8_qc8w_dwconv2d_minmax_##tile, int8_t);         \
  FAMILY##_SIGNATURE(whittle_qu8_dwconv2d_minmax_##tile, uint8_t);

#define WHITTLE_Q8_DWCONV_SIGNATURE(name, ctype)                                                    \
  WHITTLE_API void name(const whittle_q8_dwconv_params* p, const ctype* input, ctype* output,       \
                        int32_t row_begin, int32_t row_end, int32_t ch_begin, int32_t ch_end)
#define WHITTLE_Q8_DWCONV_TAIL row_begin, row_end, ch_begin, ch_end

WHITTLE_Q8_DWCONV_DECLS(WHITTLE_Q8_DWCONV, 16c__avx2)
WHITTLE_Q8_DWCONV_DECLS(WHITTLE_Q8_DWCONV, 32c__avx512)
/* AArch64 Advanced SIMD: 16 channels per step, the same block as the AVX2 16c kernel. */
WHITTLE_Q8_DWCONV_DECLS(WHITTLE_Q8_DWCONV, 16c__neon)

/* The lane-mapped kernels (q8_dwconv2d_minmax_64l_*): any depth multiplier, and few channels.
 *
 * Output lanes of a step are (pixel, output channel) pairs flattened in output order, in
 * units of 16 lanes. A "mapping" says, per unit, which input bytes its lanes read relative to
 * the tap pointer of the step's first pixel: one window of up to 16 bytes (or two halves of
 * up to 8 bytes: lanes 0..7 from off_a, 8..15 from off_b), permuted by a pshufb table.
 * Two mappings per node: "group" (group_pixels consecutive interior output pixels per step,
 * group_pixels * out_c lanes, at most 64) and "single" (one pixel, out_c lanes, any count of
 * units); group_pixels = 1 means no group mapping. Pixels in [ox_lo, ox_hi) read no horizontal
 * padding.
 *
 * A mapping block at its offset: units[n] (whittle_q8_dwconv_unit, 32 bytes each), padded to
 * 64 bytes; then six int32 arrays of n * 16 lanes (bias', multiplier, left_shift, right_mask,
 * right_half, right_shift, as above but per lane); then weights[kh*kw][n * 16] int32.
 * Lanes past the step's lanes have zero weights and are never stored.
 */
typedef struct whittle_q8_dwconv_unit {
  int32_t off_a, off_b, len_a, len_b;
  uint8_t shuffle[16];
} whittle_q8_dwconv_unit;

typedef struct whittle_q8_dwconv_lanes_params {
  int32_t batches, in_h, in_w, in_c;
  int32_t out_h, out_w, kh, kw;
  int32_t stride_h, stride_w, dil_h, dil_w;
  int32_t pad_h, pad_w, output_offset, act_min;
  int32_t act_max, out_c, group_pixels, group_units;
  int32_t single_units, ox_lo, ox_hi, group_one_window;
  int32_t zero_offset, group_offset, single_offset, reserved0;
  int32_t reserved[4];
} whittle_q8_dwconv_lanes_params;

#define WHITTLE_Q8_DWCONV_LANES_SIGNATURE(name, ctype)                                             \
  WHITTLE_API void name(const whittle_q8_dwconv_lanes_params* p, const ctype* input, ctype* output, \
                        int32_t row_begin, int32_t row_end)
#define WHITTLE_Q8_DWCONV_LANES_TAIL row_begin, row_end

WHITTLE_Q8_DWCONV_DECLS(WHITTLE_Q8_DWCONV_LANES, 64l__avx2)
WHITTLE_Q8_DWCONV_DECLS(WHITTLE_Q8_DWCONV_LANES, 64l__avx512)
/* NEON gaps (issue 6): AArch64 Advanced SIMD, the same block (tbl for pshufb, smlal). */
WHITTLE_Q8_DWCONV_DECLS(WHITTLE_Q8_DWCONV_LANES, 64l__neon)

#ifdef __cplusplus
}
#endif

#endif /* WHITTLE_DWCONV_H_ */
