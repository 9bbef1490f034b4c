// DEPTHWISE_CONV_2D int8/uint8 with one input channel, depth multiplier >= 8, AVX2 (issue 6): the
// kernel in q8_dwconv_c1_avx2.h with vpmaddwd + vpaddd. Layout in whittle/dwconv_c1.h.
#define WHITTLE_C1_DPWSSD 0
#include "q8_dwconv_c1_avx2.h"

#define WHITTLE_DWCONV_C1_AVX2(name)                                                               \
  extern "C" WHITTLE_DWCONV_C1_SIGNATURE(name) { run(params, input, output, scratch, row_begin, row_end); }

WHITTLE_DWCONV_C1_AVX2(whittle_qs8_dwconv2d_minmax_c1x8__avx2)
WHITTLE_DWCONV_C1_AVX2(whittle_qs8_qc8w_dwconv2d_minmax_c1x8__avx2)
WHITTLE_DWCONV_C1_AVX2(whittle_qu8_dwconv2d_minmax_c1x8__avx2)
