// FULLY_CONNECTED float32: the conv GEMM of f32_gemm_avx2.h with each input row read in place
// (a 1x1 convolution over `batches` pixels, params->direct = 1).
#include "f32_gemm_avx2.h"

extern "C" WHITTLE_API void whittle_f32_fully_connected_gemm_6x16__avx2(const whittle_f32_conv_params* p,
    const float* input, float* output, float* scratch, int64_t m0, int64_t m1, int64_t n0, int64_t n1) {
  whittle_f32_avx2::gemm(p, input, output, scratch, m0, m1, n0, n1);
}
