// int8/uint8 CONV_2D and FULLY_CONNECTED as a GEMM on LUT-coded clustered weights, AVX-512
// VNNI, for few output pixels (FULLY_CONNECTED at batch 1..7, a 1x1 image): weights decoded in
// registers with ONE vpshufb per 64 weights, straight into vpdpbusd.
//
// Why another layout than q8_gemm_lut4_8x16c4's: there a zmm holds the dense panel's 16
// channels x 4 K, a 128-bit lane 4 channels, so decoding needs 4 (masked) vpshufb per zmm, one
// per table: ~5.5 ops per 64 weights, which only many pixels amortize (0.45-0.5x of dense at
// 1-4 pixels). Here each 128-bit lane holds 16 K of ONE channel (c16, a dot-product layout),
// so one vpshufb with the 4 lanes' tables decodes a zmm: zmm g of a 16-channel panel holds
// channels g, g + 4, g + 8, g + 12 (lane L: channel g + 4L), and the per-lane partial sums are
// reduced once per tile (unpack + add: lane L of the result = channels 4L..4L+3, in order).
// The activations are broadcast 16 bytes at a time to the 4 lanes (vbroadcasti32x4 m128: a
// load). Per 64 bytes of indices (128 weights): vpand, vpsrlw + vpand, 2 vpshufb, then 2
// vpdpbusd per pixel.
//
// Format (Q8LutGemm.java): per 16-channel panel and 32-K block, 4 x 64 bytes (zmm g, lane L =
// channel g + 4L; byte i of the lane: low nibble K = 32b + i, high nibble K = 32b + 16 + i); per
// panel the 4 zmm of tables laid out alike. Table entries, constants and the per-row term are
// the dense VNNI kernel's (x_u = x + d, w_s = w or w - 128, c * sum_k x_u per pixel): see
// q8_conv2d_gemm_8x16c4__avx512vnni.cc. Per-channel 12-byte tables (table_format 2, the default
// unless -Dwhittle.lut.compact=false): rebuilt per panel on the stack (q8_lut_compact_avx2.h).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <immintrin.h>
#include <string.h>

#include "q8_gemm_common.h"
#include "q8_lut_compact_avx2.h"
#include "q8_pack_avx512.h"
#include "q8_requant_avx512.h"
#include "whittle/q8_lut.h"

namespace {

using namespace whittle_q8_avx512;  // NOLINT: Requant, load_requant, requantize, transform_row

constexpr int kMR = 4;
constexpr int kNR = 16;



// MR pixels x 16 channels over all of K.
// lut5 (B5, index_bits = 5): bit 4 of each index in a bitplane (8 bytes per decoded zmm: for
// 32-K block b and zmm g, bytes 64 b + 16 g .. + 15: the masks of w0 and w1), entries 16..31 in
// 4 more table zmm after the first 4: one more masked vpshufb per zmm.
template <bool B5>
WHITTLE_Q8_INLINE __m512i decode(__m512i t, __m512i h, __m512i idx, const uint8_t* bits) {
  __m512i w = _mm512_shuffle_epi8(t, idx);
  if (B5) {
    uint64_t v;
    memcpy(&v, bits, 8);
    w = _mm512_mask_shuffle_epi8(w, _cvtu64_mask64(v), h, idx);
  }
  return w;
}

template <int MR, bool GL, bool U, bool B5>
WHITTLE_Q8_INLINE void microtile(const whittle_q8_gemm_params* p, const uint8_t* a, int32_t a_stride,
                                 const int32_t* row_terms, const uint8_t* idx, const uint8_t* bits,
                                 const uint8_t* tb, int32_t n, __mmask16 store_mask, uint8_t* out,
                                 int32_t out_stride) {
  const __m512i t0 = _mm512_loadu_si512(tb), t1 = _mm512_loadu_si512(tb + 64);
  const __m512i t2 = _mm512_loadu_si512(tb + 128), t3 = _mm512_loadu_si512(tb + 192);
  const __m512i h0 = B5 ? _mm512_loadu_si512(tb + 256) : t0, h1 = B5 ? _mm512_loadu_si512(tb + 320) : t1;
  const __m512i h2 = B5 ? _mm512_loadu_si512(tb + 384) : t2, h3 = B5 ? _mm512_loadu_si512(tb + 448) : t3;
  const __m512i m = _mm512_set1_epi8(0x0F);
  __m512i acc[MR][4];
  _Pragma("GCC unroll 4") for (int r = 0; r < MR; r++) {
    _Pragma("GCC unroll 4") for (int g = 0; g < 4; g++) {
      acc[r][g] = _mm512_setzero_si512();
    }
  }
  const int32_t blocks = p->kp >> 5;
  for (int32_t b = 0; b < blocks; b++) {
    __m512i x0[MR], x1[MR];
    _Pragma("GCC unroll 4") for (int r = 0; r < MR; r++) {
      const uint8_t* xr = a + (size_t) r * a_stride + 32 * b;
      x0[r] = _mm512_broadcast_i32x4(_mm_loadu_si128(reinterpret_cast<const __m128i*>(xr)));
      x1[r] = _mm512_broadcast_i32x4(_mm_loadu_si128(reinterpret_cast<const __m128i*>(xr + 16)));
    }
#define WHITTLE_LUT_G(G, T, H)                                                                      \
    {                                                                                               \
      const __m512i v = _mm512_loadu_si512(idx + (size_t) b * 256 + 64 * (G));                      \
      const uint8_t* bb = B5 ? bits + (size_t) b * 64 + 16 * (G) : nullptr;                          \
      const __m512i w0 = decode<B5>(T, H, _mm512_and_si512(v, m), bb);                               \
      const __m512i w1 = decode<B5>(T, H, _mm512_and_si512(_mm512_srli_epi16(v, 4), m), bb + 8);     \
      _Pragma("GCC unroll 4") for (int r = 0; r < MR; r++) {                                        \
        acc[r][G] = _mm512_dpbusd_epi32(acc[r][G], x0[r], w0);                                      \
        acc[r][G] = _mm512_dpbusd_epi32(acc[r][G], x1[r], w1);                                      \
      }                                                                                             \
    }
    WHITTLE_LUT_G(0, t0, h0)
    WHITTLE_LUT_G(1, t1, h1)
    WHITTLE_LUT_G(2, t2, h2)
    WHITTLE_LUT_G(3, t3, h3)
#undef WHITTLE_LUT_G
  }
  const __m512i c = _mm512_loadu_si512(whittle_q8::channel_array(p, WHITTLE_Q8_CH_CONST) + n);
  const Requant rq = load_requant(p, n);
  const __m512i off = _mm512_set1_epi32(p->output_offset);
  const __m512i lo = _mm512_set1_epi32(p->act_min);
  const __m512i hi = _mm512_set1_epi32(p->act_max);
  const bool hl = p->has_left_shift != 0;
  _Pragma("GCC unroll 4") for (int r = 0; r < MR; r++) {
    // lane L of acc[r][g] holds 4 partial sums of channel g + 4L: sum them, channels in order
    const __m512i s01 = _mm512_add_epi32(_mm512_unpacklo_epi32(acc[r][0], acc[r][1]),
                                         _mm512_unpackhi_epi32(acc[r][0], acc[r][1]));
    const __m512i s23 = _mm512_add_epi32(_mm512_unpacklo_epi32(acc[r][2], acc[r][3]),
                                         _mm512_unpackhi_epi32(acc[r][2], acc[r][3]));
    const __m512i dot = _mm512_add_epi32(_mm512_unpacklo_epi64(s01, s23), _mm512_unpackhi_epi64(s01, s23));
    const __m512i sum = _mm512_add_epi32(_mm512_add_epi32(dot, c), _mm512_set1_epi32(row_terms[r]));
    const __m512i v = requantize(sum, rq, hl, GL, off, lo, hi);
    uint8_t* dst = out + (size_t) r * out_stride;
    if (U) {
      _mm512_mask_cvtusepi32_storeu_epi8(dst, store_mask, v);
    } else {
      _mm512_mask_cvtsepi32_storeu_epi8(dst, store_mask, v);
    }
  }
}

template <bool GL, bool U, bool B5>
static void run_b(const whittle_q8_lut_params* lp, const uint8_t* input, uint8_t* output, void* scratch, int32_t m0,
                  int32_t m1, int32_t n0, int32_t n1) {
  const whittle_q8_gemm_params* p = &lp->gemm;
  const int32_t kp = p->kp;
  const int32_t k = p->k;
  // scratch: the packed block of rows, 64 bytes of slack for gather_bytes, the rows' sum terms.
  uint8_t* a = static_cast<uint8_t*>(scratch);
  int32_t* row_terms = reinterpret_cast<int32_t*>(a + (size_t) p->mb * kp + 64);
  const uint8_t* input_end = input + whittle_q8::input_bytes(p);
  const uint8_t flip = (uint8_t) p->x_flip;
  const uint32_t coef = (uint32_t) p->row_coef;
  const bool want_sum = coef != 0;
  const uint8_t* indices = reinterpret_cast<const uint8_t*>(static_cast<uintptr_t>(lp->indices));
  const uint8_t* tables = reinterpret_cast<const uint8_t*>(static_cast<uintptr_t>(lp->tables));
  const uint8_t* bits = reinterpret_cast<const uint8_t*>(static_cast<uintptr_t>(lp->bits));
  const size_t panel_idx = (size_t) kNR * kp / 2;
  const int32_t n_total = p->out_c;
  const bool direct = whittle_q8::is_direct(p);
  const bool compact = lp->table_format == 2;
  alignas(64) uint8_t rebuilt[256];
  for (int32_t mb0 = m0; mb0 < m1; mb0 += p->mb) {
    const int32_t rows = m1 - mb0 < p->mb ? m1 - mb0 : p->mb;
    whittle_q8::Pixel px = whittle_q8::pixel_at(p, mb0);
    for (int32_t r = 0; r < rows; r++, whittle_q8::next_pixel(p, &px)) {
      uint8_t* row = a + (size_t) r * kp;
      const uint8_t* bytes = input + (size_t) px.m * k;
      if (!direct) {
        whittle_q8::gather_bytes(p, input, input_end, false, px, row);
        bytes = row;
      }
      row_terms[r] = (int32_t) (coef * transform_row(bytes, row, k, kp, flip, want_sum));
    }
    for (int32_t n = n0; n < n1; n += kNR) {
      const uint8_t* tb = tables + (size_t) (n / kNR) * lp->table_stride;
      if (!B5 && compact) {
        // 12-byte tables (table_format 2, q8_lut_compact_avx2.h): the panel's 4 zmm rebuilt here
        whittle_q8_lut_compact_avx2::expand<true>(tb, rebuilt);
        tb = rebuilt;
      }
      const uint8_t* idx = indices + (size_t) (n / kNR) * panel_idx;
      const uint8_t* pb = B5 ? bits + (size_t) (n / kNR) * 2 * kp : nullptr;
      const int32_t nc = n_total - n < kNR ? n_total - n : kNR;
      const __mmask16 sm = (__mmask16) ((1u << nc) - 1);
      uint8_t* out = output + (size_t) mb0 * n_total + n;
      for (int32_t r = 0; r < rows; r += kMR) {
        const uint8_t* ar = a + (size_t) r * kp;
        uint8_t* o = out + (size_t) r * n_total;
        switch (rows - r < kMR ? rows - r : kMR) {
          case 4: microtile<4, GL, U, B5>(p, ar, kp, row_terms + r, idx, pb, tb, n, sm, o, n_total); break;
          case 3: microtile<3, GL, U, B5>(p, ar, kp, row_terms + r, idx, pb, tb, n, sm, o, n_total); break;
          case 2: microtile<2, GL, U, B5>(p, ar, kp, row_terms + r, idx, pb, tb, n, sm, o, n_total); break;
          default: microtile<1, GL, U, B5>(p, ar, kp, row_terms + r, idx, pb, tb, n, sm, o, n_total); break;
        }
      }
    }
  }
}

template <bool GL, bool U>
static void run_t(const whittle_q8_lut_params* lp, const uint8_t* input, uint8_t* output, void* scratch, int32_t m0,
                  int32_t m1, int32_t n0, int32_t n1) {
  if (lp->index_bits == 5) {
    run_b<GL, U, true>(lp, input, output, scratch, m0, m1, n0, n1);
  } else {
    run_b<GL, U, false>(lp, input, output, scratch, m0, m1, n0, n1);
  }
}

static void run(const whittle_q8_lut_params* p, const uint8_t* input, uint8_t* output, void* scratch, int32_t m0,
                int32_t m1, int32_t n0, int32_t n1) {
  WHITTLE_Q8_RUN_GL_U(&p->gemm, run_t, p, input, output, scratch, m0, m1, n0, n1);
}

}  // namespace

WHITTLE_Q8_LUT_ENTRIES(lut4_4x16c16__avx512vnni)
WHITTLE_Q8_LUT_ENTRIES(lut5_4x16c16__avx512vnni)
