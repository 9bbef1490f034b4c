// Portable parts of the int8/uint8 ADD/SUB kernels (q8_add_16__avx2.cc, q8_add_16__avx512vnni.cc):
// no ISA flags needed, so each kernel file compiles its own copy with its own flags.
#ifndef WHITTLE_KERNELS_Q8_ADD_COMMON_H_
#define WHITTLE_KERNELS_Q8_ADD_COMMON_H_

#include <stdint.h>

#include "whittle/qs16_binary.h"

namespace whittle_q8_add {

// The constants TFLite always produces for 8-bit ADD (left shift 20, |offset| <= 255, every
// exponent >= 1), for which the kernels' kFast path (32-bit products, the short rounding
// shift; derivation in q8_add_16__avx2.cc) is exact.
static inline bool fast(const whittle_qs16_add_params* p) {
  return p->left_shift == 20 && p->a_offset >= -255 && p->a_offset <= 255 && p->b_offset >= -255
      && p->b_offset <= 255 && p->a_exp >= 1 && p->b_exp >= 1 && p->out_exp >= 1;
}

}  // namespace whittle_q8_add

// The four exported kernels of one ISA suffix, each calling the including file's
// add<T, kSub>(p, a, a_step, b, b_step, out, n).
#define WHITTLE_Q8_ADD_EXPORT(name, T, kSub)                                                              \
  extern "C" WHITTLE_API void name(const whittle_qs16_add_params* p, const T* a, int64_t a_step, const T* b, \
                                   int64_t b_step, T* out, int64_t n) {                                    \
    add<T, kSub>(p, a, a_step, b, b_step, out, n);                                                         \
  }
#define WHITTLE_Q8_ADD_EXPORTS(isa)                              \
  WHITTLE_Q8_ADD_EXPORT(whittle_qs8_add_16__##isa, int8_t, false)  \
  WHITTLE_Q8_ADD_EXPORT(whittle_qs8_sub_16__##isa, int8_t, true)   \
  WHITTLE_Q8_ADD_EXPORT(whittle_qu8_add_16__##isa, uint8_t, false) \
  WHITTLE_Q8_ADD_EXPORT(whittle_qu8_sub_16__##isa, uint8_t, true)

#endif  // WHITTLE_KERNELS_Q8_ADD_COMMON_H_
