/* Entry points of the int16 ADD/SUB kernels (kernels/qs16_add_*; Java:
 * runtime/kernels/elementwise/QuantizedBinaryKernels, int16 ADD/SUB of TFLite's general path).
 * Pointers arrive from Java as 64-bit addresses; every size and constant was validated in Java. */
#ifndef WHITTLE_QS16_BINARY_H_
#define WHITTLE_QS16_BINARY_H_

#include <stdint.h>

#include "whittle/export.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A node's constants, as Java's Int16AddLoops.Int16AddParams (exponents as right shifts, 0..31;
 * no multiplier is INT32_MIN; left_shift 0..31; -32768 <= min <= max <= 32767). */
typedef struct whittle_qs16_add_params {
  int32_t left_shift, a_offset, a_multiplier, a_exp;   /*  0 */
  int32_t b_offset, b_multiplier, b_exp, out_multiplier; /* 16 */
  int32_t out_exp, out_offset, min, max;               /* 32 */
} whittle_qs16_add_params;

/* n elements: out[k] = clamp(rdbpot(srdhm(sa(a[k * a_step]) +- sb(b[k * b_step]), out_multiplier), out_exp)
 * + out_offset, min, max) with s(x) = rdbpot(srdhm((x + offset) << left_shift, multiplier), exp), int32
 * wrapping, gemmlowp's SaturatingRoundingDoublingHighMul (srdhm) and RoundingDivideByPOT (rdbpot), as
 * the reference's BinaryArithmetic. a_step, b_step: 1, or 0 for a broadcast scalar. */
WHITTLE_API void whittle_qs16_add_8__avx2(const whittle_qs16_add_params* p, const int16_t* a, int64_t a_step,
                                          const int16_t* b, int64_t b_step, int16_t* out, int64_t n);
WHITTLE_API void whittle_qs16_sub_8__avx2(const whittle_qs16_add_params* p, const int16_t* a, int64_t a_step,
                                          const int16_t* b, int64_t b_step, int16_t* out, int64_t n);
/* AVX-512 F/BW/VL only; listed under the VNNI path, the one AVX-512 path dispatch has. */
WHITTLE_API void whittle_qs16_add_16__avx512vnni(const whittle_qs16_add_params* p, const int16_t* a, int64_t a_step,
                                                 const int16_t* b, int64_t b_step, int16_t* out, int64_t n);
WHITTLE_API void whittle_qs16_sub_16__avx512vnni(const whittle_qs16_add_params* p, const int16_t* a, int64_t a_step,
                                                 const int16_t* b, int64_t b_step, int16_t* out, int64_t n);

/* int8/uint8 ADD/SUB (kernels/q8_add_*; Java: QuantizedBinaryKernels.Q8Native, TFLite's 8-bit
 * path): the same params block and arithmetic as above, on int8_t/uint8_t elements;
 * Java checks min <= max within the element type. */
WHITTLE_API void whittle_qs8_add_16__avx2(const whittle_qs16_add_params* p, const int8_t* a, int64_t a_step,
                                          const int8_t* b, int64_t b_step, int8_t* out, int64_t n);
WHITTLE_API void whittle_qs8_sub_16__avx2(const whittle_qs16_add_params* p, const int8_t* a, int64_t a_step,
                                          const int8_t* b, int64_t b_step, int8_t* out, int64_t n);
WHITTLE_API void whittle_qu8_add_16__avx2(const whittle_qs16_add_params* p, const uint8_t* a, int64_t a_step,
                                          const uint8_t* b, int64_t b_step, uint8_t* out, int64_t n);
WHITTLE_API void whittle_qu8_sub_16__avx2(const whittle_qs16_add_params* p, const uint8_t* a, int64_t a_step,
                                          const uint8_t* b, int64_t b_step, uint8_t* out, int64_t n);
WHITTLE_API void whittle_qs8_add_16__avx512vnni(const whittle_qs16_add_params* p, const int8_t* a, int64_t a_step,
                                                const int8_t* b, int64_t b_step, int8_t* out, int64_t n);
WHITTLE_API void whittle_qs8_sub_16__avx512vnni(const whittle_qs16_add_params* p, const int8_t* a, int64_t a_step,
                                                const int8_t* b, int64_t b_step, int8_t* out, int64_t n);
WHITTLE_API void whittle_qu8_add_16__avx512vnni(const whittle_qs16_add_params* p, const uint8_t* a, int64_t a_step,
                                                const uint8_t* b, int64_t b_step, uint8_t* out, int64_t n);
WHITTLE_API void whittle_qu8_sub_16__avx512vnni(const whittle_qs16_add_params* p, const uint8_t* a, int64_t a_step,
                                                const uint8_t* b, int64_t b_step, uint8_t* out, int64_t n);

#ifdef __cplusplus
}
#endif

#endif /* WHITTLE_QS16_BINARY_H_ */
