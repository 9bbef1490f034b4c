// int8/uint8 CONV_2D and FULLY_CONNECTED as a GEMM on AArch64 NEON with the dot-product
// extension (Armv8.2-A DotProd: Cortex-A55/A75 and later, Neoverse, Apple M1): 4 output
// pixels x 16 output channels per microtile, K in quads (c4).
//
// The multiply: sdot, int8 x int8 summed in fours into int32 (no intermediate saturation:
// 4 * 128 * 128 fits easily), 16 MACs per instruction; the by-element form
// (sdot v.4s, w.16b, x.4b[lane]) multiplies 4 channels' quads by one pixel's quad taken from
// a register that holds 2 quads of the pixel's row, so an 8-K step is 1 row load per pixel,
// 4 weight loads per quad and 8 sdot per pixel. 4x16 = 16 accumulators + 8 weight + 4 row
// registers of the 32: the largest tile with a 16-channel panel that leaves no spill.
//
// Weights: the AVX-512 VNNI panels unchanged (q8_conv2d_gemm_8x16c4__avx512vnni.cc; per
// 16-channel panel and K quad, 16 lanes x 4 bytes, w_s = w_eff - c as a signed byte), so one
// tested Java packer serves both ISAs: each 16-byte quarter of a quad's 64 bytes is 4 channels,
// one sdot operand. sdot wants both sides signed (usdot, mixed signs, needs I8MM), so here the
// activations are moved to SIGNED bytes where VNNI moves them to unsigned:
//   activations  x_s = x + d      (d = 0 for int8; d = -128 for uint8: the byte XOR 0x80)
// and with the same c as VNNI the same identity holds, exactly in wrapping int32:
//   sum_k w_eff (x + io) = sum_k w_s x_s + c * sum_k x_s + (io - d) * sum_k w_s + K c (io - d)
// Java (Q8Gemm, Isa.NEONDOT) folds the per-channel terms with this d; the per-pixel
// c * sum_k x_s (a signed sum, taken with an sdot against ones) is skipped when c = 0 (every
// int8 convolution). Padding taps are gathered as the input zero point (x + io = 0); the K
// padding up to a multiple of 4 is zero on both sides and left out of the sums.
//
// Requantization (q8_gemm.h): sqrdmulh is exactly (x * m + 2^30) >> 31 for every Q0.31
// multiplier (it saturates only for INT32_MIN * INT32_MIN, which Java rejects), which is both
// ruy's and gemmlowp's doubling high multiply; the final shift and its rounding as in
// q8_requant_avx2.h, lane for lane.
#include <arm_neon.h>
#include <string.h>

#include "q8_gemm_4x16c4_neondot.h"

namespace {

using namespace whittle_q8_4x16c4_neondot;  // NOLINT: kMR, kNR, transform_row, microtile

// The microtile as gemm_rows calls it.
struct DotTile {
  template <int MR, bool GL, bool U>
  __attribute__((always_inline)) static void apply(const whittle_q8_gemm_params* p, const uint8_t* a,
                                                   int32_t a_stride, const int32_t* row_terms, const int8_t* w,
                                                   int32_t n, int32_t nc, uint8_t* out, int32_t out_stride) {
    microtile<MR, GL, U>(p, a, a_stride, row_terms, w, n, nc, out, out_stride);
  }
};

template <bool GL, bool U>
static void run_t(const whittle_q8_gemm_params* p, const uint8_t* input, uint8_t* output, void* scratch, int32_t m0,
                  int32_t m1, int32_t n0, int32_t n1) {
  whittle_q8_4x16c4_neondot::gemm_rows<DotTile, GL, U>(p, input, output, scratch, m0, m1, n0, n1);
}

static void run(const whittle_q8_gemm_params* p, const uint8_t* input, uint8_t* output, void* scratch, int32_t m0,
                int32_t m1, int32_t n0, int32_t n1) {
  WHITTLE_Q8_RUN_GL_U(p, run_t, p, input, output, scratch, m0, m1, n0, n1);
}

}  // namespace

#define WHITTLE_Q8_GEMM_NEONDOT(name) \
  extern "C" WHITTLE_Q8_GEMM_SIGNATURE(name) { run(params, input, output, scratch, m0, m1, n0, n1); }

WHITTLE_Q8_GEMM_NEONDOT(whittle_qs8_conv2d_gemm_4x16c4__neondot)
WHITTLE_Q8_GEMM_NEONDOT(whittle_qs8_qc8w_conv2d_gemm_4x16c4__neondot)
WHITTLE_Q8_GEMM_NEONDOT(whittle_qu8_conv2d_gemm_4x16c4__neondot)
WHITTLE_Q8_GEMM_NEONDOT(whittle_qs8_fully_connected_gemm_4x16c4__neondot)
WHITTLE_Q8_GEMM_NEONDOT(whittle_qs8_qc8w_fully_connected_gemm_4x16c4__neondot)
WHITTLE_Q8_GEMM_NEONDOT(whittle_qu8_fully_connected_gemm_4x16c4__neondot)
