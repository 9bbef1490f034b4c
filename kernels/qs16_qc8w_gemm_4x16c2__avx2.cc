// 16x8 GEMM (CONV_2D and FULLY_CONNECTED), AVX2: 4 output pixels x 16 output channels per
// tile, K two at a time (c2): vpmaddwd of a broadcast pair of int16 activations by 8
// channels' pairs of int16-widened weights gives 8 exact int32 pair sums. At most
// WHITTLE_QS16_PAIRS_PER_FLUSH pairs are summed in int32, then widened into int64 (see
// whittle/qs16.h for the bound), so the sums equal the reference's int64 sums.
#include <immintrin.h>
#include <stdint.h>
#include <string.h>

#include "qs16_common.h"
#include "qs16_gemm_4x16c2_avx2.h"
#include "whittle/qs16.h"

namespace {

using namespace whittle_qs16_4x16c2_avx2;  // NOLINT: MR, tile, stage8, microtile (shared with the LUT kernel)

static void gemm(const whittle_qs16_gemm_params* p, const int16_t* input, int16_t* output, int16_t* scratch,
                 int64_t m0, int64_t m1, int64_t n0, int64_t n1) {
  const int16_t* a[MR];
  const __m256i vmin = _mm256_set1_epi32((int32_t) p->act_min);
  const __m256i vmax = _mm256_set1_epi32((int32_t) p->act_max);
  for (int64_t m = m0; m < m1; m += MR) {
    const int rows = m1 - m < MR ? (int) (m1 - m) : MR;
    for (int i = 0; i < MR; i++) {
      a[i] = i < rows ? whittle_qs16::a_row(p, input, scratch + i * p->kp, m + i) : a[rows - 1];
    }
    for (int64_t c0 = n0; c0 < n1; c0 += 16) {
      const int64_t width = p->n_padded - c0 < 16 ? p->n_padded - c0 : 16;
      microtile(p, a, rows, p->weights + c0 * p->kp, c0, width, output + m * p->out_c, vmin, vmax);
    }
  }
}

}  // namespace

extern "C" {

WHITTLE_API void whittle_qs16_qc8w_conv2d_gemm_4x16c2__avx2(const whittle_qs16_gemm_params* p,
    const int16_t* input, int16_t* output, int16_t* scratch, int64_t m0, int64_t m1, int64_t n0, int64_t n1) {
  gemm(p, input, output, scratch, m0, m1, n0, n1);
}

WHITTLE_API void whittle_qs16_qc8w_fully_connected_gemm_4x16c2__avx2(const whittle_qs16_gemm_params* p,
    const int16_t* input, int16_t* output, int16_t* scratch, int64_t m0, int64_t m1, int64_t n0, int64_t n1) {
  gemm(p, input, output, scratch, m0, m1, n0, n1);
}

}  // extern "C"
