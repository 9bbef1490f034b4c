/* Entry points of the element-wise, resize and pooling kernels (kernels/ of that area).
 * Pointers arrive from Java as 64-bit addresses; every size was validated in Java. */
#ifndef WHITTLE_ELEMENTWISE_H_
#define WHITTLE_ELEMENTWISE_H_

#include <stdint.h>

#include "whittle/export.h"

#ifdef __cplusplus
extern "C" {
#endif

/* RESIZE_BILINEAR parameters, packed at prepare: this header, then int32 y0[out_h],
 * int32 y1[out_h], float fy[out_h], int32 x0[out_w], int32 x1[out_w], float fx[out_w]
 * (source rows/columns and fractions, computed in Java exactly as the reference kernel does). */
typedef struct whittle_resize_bilinear_params {
  int32_t batches;
  int32_t in_h;
  int32_t in_w;
  int32_t channels;
  int32_t out_h;
  int32_t out_w;
  int32_t reserved[2];
} whittle_resize_bilinear_params;

/* Output rows [row_from, row_to) (row = batch * out_h + y), NHWC. uint8: the reference's float
 * sum v00*w00 + v01*w01 + v10*w10 + v11*w11 + 0.5f in that order, truncated; no FMA. */
WHITTLE_API void whittle_qu8_resize_bilinear__avx2(const whittle_resize_bilinear_params* params,
                                                   const uint8_t* input, uint8_t* output, int64_t row_from,
                                                   int64_t row_to);
WHITTLE_API void whittle_f32_resize_bilinear__avx2(const whittle_resize_bilinear_params* params,
                                                   const float* input, float* output, int64_t row_from,
                                                   int64_t row_to);

#ifdef __cplusplus
}
#endif

#endif /* WHITTLE_ELEMENTWISE_H_ */
