/* Entry points of the QUANTIZE float32 -> int8/uint8/int16 kernels (kernels/f32_q_quantize_*).
 * Pointers arrive from Java as 64-bit addresses; every size was validated in Java. */
#ifndef WHITTLE_QUANTIZE_H_
#define WHITTLE_QUANTIZE_H_

#include <stdint.h>

#include "whittle/export.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Elements [from, to): out[i] = clamp(int32(round_half_away((double) in[i] / scale)) + zero_point)
 * with Java's int conversion (NaN -> 0, saturating) and int32 wrap-around on the addition, as
 * UnaryKernels.quantize (the reference) computes it. scale: the output scale as TFLite's double. */
WHITTLE_API void whittle_f32_qs8_quantize__avx2(const float* in, int8_t* out, int64_t from, int64_t to, double scale,
                                                int32_t zero_point);
WHITTLE_API void whittle_f32_qu8_quantize__avx2(const float* in, uint8_t* out, int64_t from, int64_t to,
                                                double scale, int32_t zero_point);
WHITTLE_API void whittle_f32_qs16_quantize__avx2(const float* in, int16_t* out, int64_t from, int64_t to,
                                                 double scale, int32_t zero_point);
WHITTLE_API void whittle_f32_qs8_quantize__avx512vnni(const float* in, int8_t* out, int64_t from, int64_t to,
                                                      double scale, int32_t zero_point);
WHITTLE_API void whittle_f32_qu8_quantize__avx512vnni(const float* in, uint8_t* out, int64_t from, int64_t to,
                                                      double scale, int32_t zero_point);
WHITTLE_API void whittle_f32_qs16_quantize__avx512vnni(const float* in, int16_t* out, int64_t from, int64_t to,
                                                       double scale, int32_t zero_point);

#ifdef __cplusplus
}
#endif

#endif /* WHITTLE_QUANTIZE_H_ */
