/* Whittle: 16x8 CONV_2D and FULLY_CONNECTED (int16 activations, int8 per-channel weights, int64
 * or int32 bias) on LUT-coded clustered weights: at most 16 distinct weight values per output
 * channel, stored as 4-bit indices and a 16-entry byte table per channel (or one for the layer),
 * decoded one 16-channel panel at a time into the worker's scratch in the dense qs16 panel
 * layout (whittle/qs16.h), then multiplied by the dense 4x16c2 microkernel
 * (kernels/qs16_gemm_4x16c2_avx2.h). Written once at prepare by
 * dev.whittle.runtime.kernels.Qs16LutGemm (Java mirrors the offsets). */
#ifndef WHITTLE_QS16_LUT_H_
#define WHITTLE_QS16_LUT_H_

#include <stdint.h>

#include "whittle/export.h"
#include "whittle/qs16.h"

#ifdef __cplusplus
extern "C" {
#endif

/* 272 bytes. gemm.weights is unused (0); gemm.nr = 16 and gemm.n_padded is out_c rounded up to 16
 * (the per-channel arrays have that many entries). */
typedef struct whittle_qs16_lut_params {
  whittle_qs16_gemm_params gemm; /*   0 */
  const uint8_t* indices;        /* 240: per 16-channel panel, kp / 2 K pairs of 16 bytes (see the kernel) */
  const uint8_t* tables;         /* 248: per panel, table_stride bytes: 8 x 32 table bytes, 16 int32 corrections */
  int64_t table_stride;          /* 256: 320, or 0 when the whole layer shares one table block */
  int64_t mb;                    /* 264: output pixels per block (a multiple of 4): rows gathered once per block */
} whittle_qs16_lut_params;

/* Output pixels [m0, m1) x output channels [n0, n1) (multiples of 16, n1 <= n_padded).
 * scratch: 64 + 32 * kp + 8 * mb (+ 2 * mb * kp unless gemm.direct) bytes per worker. */
WHITTLE_API void whittle_qs16_qc8w_conv2d_lut4_4x16c2__avx2(const whittle_qs16_lut_params* p, const int16_t* input,
    int16_t* output, void* scratch, int64_t m0, int64_t m1, int64_t n0, int64_t n1);
WHITTLE_API void whittle_qs16_qc8w_fully_connected_lut4_4x16c2__avx2(const whittle_qs16_lut_params* p,
    const int16_t* input, int16_t* output, void* scratch, int64_t m0, int64_t m1, int64_t n0, int64_t n1);

#ifdef __cplusplus
}
#endif

#endif /* WHITTLE_QS16_LUT_H_ */
