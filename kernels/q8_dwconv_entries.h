// The exported entry points of a q8 depthwise kernel file (whittle/dwconv.h): qs8, qs8_qc8w and
// qu8 forward to the file's implementation on byte pointers. The kernels treat int8 and uint8
// activations as bytes and take the difference from their params (the int8 kernels' sign flip or
// the uint8 ones' offsets), and per-tensor weights are per-channel weights with equal scales, so
// qs8 and qs8_qc8w share IMPL_S8. Use at file scope, after the implementation:
//
//   WHITTLE_Q8_DWCONV_ENTRIES(WHITTLE_Q8_DWCONV_LANES, 64l__avx2, dwconv<false>, dwconv<true>)
#ifndef WHITTLE_KERNELS_Q8_DWCONV_ENTRIES_H_
#define WHITTLE_KERNELS_Q8_DWCONV_ENTRIES_H_

#include <stdint.h>

namespace whittle_q8_dwconv_entries {

inline const uint8_t* bytes(const int8_t* p) { return reinterpret_cast<const uint8_t*>(p); }
inline const uint8_t* bytes(const uint8_t* p) { return p; }
inline uint8_t* bytes(int8_t* p) { return reinterpret_cast<uint8_t*>(p); }
inline uint8_t* bytes(uint8_t* p) { return p; }

}  // namespace whittle_q8_dwconv_entries

#define WHITTLE_Q8_DWCONV_ENTRY_(FAMILY, name, ctype, IMPL)                                        \
  FAMILY##_SIGNATURE(name, ctype) {                                                                \
    IMPL(p, whittle_q8_dwconv_entries::bytes(input), whittle_q8_dwconv_entries::bytes(output),     \
         FAMILY##_TAIL);                                                                           \
  }

#define WHITTLE_Q8_DWCONV_ENTRIES(FAMILY, tile, IMPL_S8, IMPL_U8)                                  \
  extern "C" {                                                                                     \
  WHITTLE_Q8_DWCONV_ENTRY_(FAMILY, whittle_qs8_dwconv2d_minmax_##tile, int8_t, IMPL_S8)            \
  WHITTLE_Q8_DWCONV_ENTRY_(FAMILY, whittle_qs8_qc8w_dwconv2d_minmax_##tile, int8_t, IMPL_S8)       \
  WHITTLE_Q8_DWCONV_ENTRY_(FAMILY, whittle_qu8_dwconv2d_minmax_##tile, uint8_t, IMPL_U8)           \
  }

#endif  // WHITTLE_KERNELS_Q8_DWCONV_ENTRIES_H_
