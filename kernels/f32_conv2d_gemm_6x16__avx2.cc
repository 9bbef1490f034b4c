// CONV_2D float32 as a GEMM over output pixels (f32_gemm_avx2.h): 6 pixels x 16 output channels
// of FMA accumulators (12 of the 16 YMM registers), weights packed at prepare into panels of 16
// channels x K; layers of at most 8 output channels use 8-channel panels and a 12x8 tile
// instead (none of the panel wasted, still 12 independent accumulators).
#include "f32_gemm_avx2.h"

extern "C" WHITTLE_API void whittle_f32_conv2d_gemm_6x16__avx2(const whittle_f32_conv_params* p,
    const float* input, float* output, float* scratch, int64_t m0, int64_t m1, int64_t n0, int64_t n1) {
  whittle_f32_avx2::gemm(p, input, output, scratch, m0, m1, n0, n1);
}
