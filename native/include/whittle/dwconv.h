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
 * batch * out_h. Tensors are NHWC, channels = in channels = out channels.
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
  int32_t act_max, channels_padded, max_taps_unused, reserved0;
  int32_t bias_offset, multiplier_offset, left_shift_offset, right_mask_offset;
  int32_t right_half_offset, right_shift_offset, weights_offset, zero_offset;
  int32_t reserved[4];
} whittle_q8_dwconv_params;

/* The most taps (kh * kw) a kernel takes: its tap pointers live on the stack. */
#define WHITTLE_Q8_DWCONV_MAX_TAPS 256

WHITTLE_API void whittle_qs8_dwconv2d_minmax_16c__avx2(const whittle_q8_dwconv_params* p, const int8_t* input,
                                                       int8_t* output, int32_t row_begin, int32_t row_end);
WHITTLE_API void whittle_qs8_qc8w_dwconv2d_minmax_16c__avx2(const whittle_q8_dwconv_params* p, const int8_t* input,
    int8_t* output, int32_t row_begin, int32_t row_end);
WHITTLE_API void whittle_qu8_dwconv2d_minmax_16c__avx2(const whittle_q8_dwconv_params* p, const uint8_t* input,
                                                       uint8_t* output, int32_t row_begin, int32_t row_end);
WHITTLE_API void whittle_qs8_dwconv2d_minmax_32c__avx512(const whittle_q8_dwconv_params* p, const int8_t* input,
                                                         int8_t* output, int32_t row_begin, int32_t row_end);
WHITTLE_API void whittle_qs8_qc8w_dwconv2d_minmax_32c__avx512(const whittle_q8_dwconv_params* p, const int8_t* input,
    int8_t* output, int32_t row_begin, int32_t row_end);
WHITTLE_API void whittle_qu8_dwconv2d_minmax_32c__avx512(const whittle_q8_dwconv_params* p, const uint8_t* input,
                                                         uint8_t* output, int32_t row_begin, int32_t row_end);

#ifdef __cplusplus
}
#endif

#endif /* WHITTLE_DWCONV_H_ */
