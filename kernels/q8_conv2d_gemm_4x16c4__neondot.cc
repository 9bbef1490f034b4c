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

template <bool GL, bool U>
static void run_t(const whittle_q8_gemm_params* p, const uint8_t* input, uint8_t* output, void* scratch, int32_t m0,
                  int32_t m1, int32_t n0, int32_t n1) {
  const int32_t kp = p->kp;
  const int32_t k = p->k;
  uint8_t* a = static_cast<uint8_t*>(scratch);
  // After the packed block: 64 bytes of slack for gather_bytes, then the rows' sum terms.
  int32_t* row_terms = reinterpret_cast<int32_t*>(a + (size_t) p->mb * kp + 64);
  const uint8_t* input_end = input + whittle_q8::input_bytes(p);
  const uint8_t flip = (uint8_t) p->x_flip;
  const uint32_t coef = (uint32_t) p->row_coef;
  const bool want_sum = coef != 0;
  const int8_t* weights = reinterpret_cast<const int8_t*>(static_cast<uintptr_t>(p->weights));
  const int32_t n_total = p->out_c;
  const bool direct = whittle_q8::is_direct(p);
  // int8 rows of a direct layer (FULLY_CONNECTED, 1x1 stride-1 conv) with K a multiple of 4 are
  // already what sdot wants: the microtiles read the input in place.
  const bool in_place = direct && flip == 0 && !want_sum && kp == k;
  for (int32_t mb0 = m0; mb0 < m1; mb0 += p->mb) {
    const int32_t rows = m1 - mb0 < p->mb ? m1 - mb0 : p->mb;
    const uint8_t* rows_at = a;
    if (in_place) {
      rows_at = input + (size_t) mb0 * k;
      for (int32_t r = 0; r < rows; r++) {
        row_terms[r] = 0;
      }
    } else {
      whittle_q8::Pixel px = whittle_q8::pixel_at(p, mb0);
      for (int32_t r = 0; r < rows; r++, whittle_q8::next_pixel(p, &px)) {
        uint8_t* row = a + (size_t) r * kp;
        const uint8_t* bytes = input + (size_t) px.m * k;
        if (!direct) {
          whittle_q8::gather_bytes(p, input, input_end, false, px, row);
          bytes = row;
        }
        row_terms[r] = (int32_t) (coef * (uint32_t) transform_row(bytes, row, k, kp, flip, want_sum));
      }
    }
    for (int32_t n = n0; n < n1; n += kNR) {
      const int8_t* panel = weights + (size_t) (n / kNR) * kp * kNR;
      const int32_t nc = n_total - n < kNR ? n_total - n : kNR;
      uint8_t* out = output + (size_t) mb0 * n_total + n;
      int32_t r = 0;
      for (; r + kMR <= rows; r += kMR) {
        microtile<kMR, GL, U>(p, rows_at + (size_t) r * kp, kp, row_terms + r, panel, n, nc,
                              out + (size_t) r * n_total, n_total);
      }
      const uint8_t* ar = rows_at + (size_t) r * kp;
      uint8_t* outr = out + (size_t) r * n_total;
      switch (rows - r) {
        case 3: microtile<3, GL, U>(p, ar, kp, row_terms + r, panel, n, nc, outr, n_total); break;
        case 2: microtile<2, GL, U>(p, ar, kp, row_terms + r, panel, n, nc, outr, n_total); break;
        case 1: microtile<1, GL, U>(p, ar, kp, row_terms + r, panel, n, nc, outr, n_total); break;
        default: break;
      }
    }
  }
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
