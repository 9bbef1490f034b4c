// DEPTHWISE_CONV_2D int8/uint8 with one input channel, depth multiplier >= 8, AVX-512 VL + VNNI
// (issue 6): the AVX2 kernel of q8_dwconv_c1_avx2.h on ymm with vpdpwssd (the multiply-add and the
// accumulate in one instruction: a fifth of the group's instructions). Layout in whittle/dwconv_c1.h.
#define WHITTLE_C1_DPWSSD 1
#include "q8_dwconv_c1_avx2.h"

#define WHITTLE_DWCONV_C1_AVX512VNNI(name)                                                               \
  extern "C" WHITTLE_DWCONV_C1_SIGNATURE(name) { run(params, input, output, scratch, row_begin, row_end); }

WHITTLE_DWCONV_C1_AVX512VNNI(whittle_qs8_dwconv2d_minmax_c1x8__avx512vnni)
WHITTLE_DWCONV_C1_AVX512VNNI(whittle_qs8_qc8w_dwconv2d_minmax_c1x8__avx512vnni)
WHITTLE_DWCONV_C1_AVX512VNNI(whittle_qu8_dwconv2d_minmax_c1x8__avx512vnni)
