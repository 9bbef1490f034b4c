// int8/uint8 CONV_2D and FULLY_CONNECTED as a GEMM on AArch64 NEON with the int8 matrix-multiply
// extension (Armv8.6-A I8MM, optional from Armv8.2: Cortex-A510/A710/X2 and later, Neoverse
// V1/N2, Apple M2): 4 output pixels x 16 output channels per microtile, K in octets (c8).
//
// The multiply: smmla v.4s, a.16b, b.16b adds the 2x2 int32 product of a 2x8 int8 block (two
// pixels' 8 K) and an 8x2 one (two channels' 8 K): 32 MACs per instruction, twice sdot's 16, at
// the same issue rate on the cores that have both. Both operands are signed, so the arithmetic
// is the DotProd kernel's exactly (q8_conv2d_gemm_4x16c4__neondot.cc): signed activations
// x_s = x + d (uint8: XOR 0x80), signed weights w_s = w_eff - c, and the same per-channel
// constant and per-pixel c * sum_k x_s term, folded by Java (Q8Gemm, Isa.NEONI8MM: the NEONDOT
// constants; only the panel layout differs). usmmla (unsigned x signed) would let uint8 rows go
// unflipped, but the flip is one EOR per 16 bytes already fused into the row copy.
//
// Weights: per 16-channel panel and K octet, 8 channel pairs x 16 bytes (channel 2q's 8 K, then
// channel 2q + 1's), kp = K rounded up to 8 with zeros on both sides. Rows: the packed rows of
// 2 pixels are zipped by 64-bit halves into one smmla operand (zip1/zip2 of two 16-byte row
// loads give K 0-7 and 8-15 of both). Accumulators: 2 pixel pairs x 8 channel pairs = 16
// registers of [p0c0 p0c1 p1c0 p1c1]; at the end zip1/zip2 by 64 bits put each pixel's 4
// channels in order. An odd pixel count pairs the last pixel with itself (its copy discarded).
//
// Requantization: the DotProd kernel's (q8_gemm_4x16c4_neondot.h, compiled here with the
// I8MM flags, which include DotProd).
#include <arm_neon.h>
#include <string.h>

#include "q8_gemm_4x16c4_neondot.h"

namespace {

using whittle_q8_4x16c4_neondot::load_requant;
using whittle_q8_4x16c4_neondot::requantize;
using whittle_q8_4x16c4_neondot::Requant;
using whittle_q8_4x16c4_neondot::transform_row;

constexpr int kMR = 4;
constexpr int kNR = 16;

inline int8x16_t zip_lo(int8x16_t a, int8x16_t b) {
  return vreinterpretq_s8_s64(vzip1q_s64(vreinterpretq_s64_s8(a), vreinterpretq_s64_s8(b)));
}

inline int8x16_t zip_hi(int8x16_t a, int8x16_t b) {
  return vreinterpretq_s8_s64(vzip2q_s64(vreinterpretq_s64_s8(a), vreinterpretq_s64_s8(b)));
}

// GL: gemmlowp rounding (else ruy's); U: uint8 output. MR pixels (1..4) of packed rows a_stride
// apart, nc (1..16) channels of the panel w.
template <int MR, bool GL, bool U>
WHITTLE_Q8_INLINE void microtile(const whittle_q8_gemm_params* p, const uint8_t* a, int32_t a_stride,
                                 const int32_t* row_terms, const int8_t* w, int32_t n, int32_t nc, uint8_t* out,
                                 int32_t out_stride) {
  constexpr int P = (MR + 1) / 2;
  const int8_t* rows[2 * P];
  _Pragma("GCC unroll 4") for (int r = 0; r < 2 * P; r++) {
    rows[r] = reinterpret_cast<const int8_t*>(a + (size_t) (r < MR ? r : MR - 1) * a_stride);
  }
  int32x4_t acc[P][8];
  _Pragma("GCC unroll 2") for (int i = 0; i < P; i++) {
    _Pragma("GCC unroll 8") for (int q = 0; q < 8; q++) {
      acc[i][q] = vdupq_n_s32(0);
    }
  }
  const int32_t kp = p->kp;
  int32_t kk = 0;
  for (; kk + 16 <= kp; kk += 16) {
    int8x16_t xl[P], xh[P];
    _Pragma("GCC unroll 2") for (int i = 0; i < P; i++) {
      const int8x16_t r0 = vld1q_s8(rows[2 * i] + kk);
      const int8x16_t r1 = vld1q_s8(rows[2 * i + 1] + kk);
      xl[i] = zip_lo(r0, r1);
      xh[i] = zip_hi(r0, r1);
    }
    _Pragma("GCC unroll 8") for (int q = 0; q < 8; q++) {
      const int8x16_t b = vld1q_s8(w + 16 * q);
      _Pragma("GCC unroll 2") for (int i = 0; i < P; i++) {
        acc[i][q] = vmmlaq_s32(acc[i][q], xl[i], b);
      }
    }
    _Pragma("GCC unroll 8") for (int q = 0; q < 8; q++) {
      const int8x16_t b = vld1q_s8(w + 128 + 16 * q);
      _Pragma("GCC unroll 2") for (int i = 0; i < P; i++) {
        acc[i][q] = vmmlaq_s32(acc[i][q], xh[i], b);
      }
    }
    w += 256;
  }
  // The last octet when kp % 16 = 8 (rows are read no further than kp).
  if (kk < kp) {
    int8x16_t x[P];
    _Pragma("GCC unroll 2") for (int i = 0; i < P; i++) {
      x[i] = vcombine_s8(vld1_s8(rows[2 * i] + kk), vld1_s8(rows[2 * i + 1] + kk));
    }
    _Pragma("GCC unroll 8") for (int q = 0; q < 8; q++) {
      const int8x16_t b = vld1q_s8(w + 16 * q);
      _Pragma("GCC unroll 2") for (int i = 0; i < P; i++) {
        acc[i][q] = vmmlaq_s32(acc[i][q], x[i], b);
      }
    }
  }

  // Wrapping int32 sums: adding the constants after the products gives the same integers.
  const int32_t* cc = whittle_q8::channel_array(p, WHITTLE_Q8_CH_CONST) + n;
  const int32x4_t off = vdupq_n_s32(p->output_offset);
  const int32x4_t lo = vdupq_n_s32(p->act_min);
  const int32x4_t hi = vdupq_n_s32(p->act_max);
  const bool hl = p->has_left_shift != 0;
  int32x4_t v[kMR][4];
  _Pragma("GCC unroll 4") for (int j = 0; j < 4; j++) {
    const Requant rq = load_requant(p, n + 4 * j);
    const int32x4_t c4 = vld1q_s32(cc + 4 * j);
    _Pragma("GCC unroll 2") for (int i = 0; i < P; i++) {
      const int32x4_t a0 = acc[i][2 * j];
      const int32x4_t a1 = acc[i][2 * j + 1];
      const int32x4_t even = vreinterpretq_s32_s64(vzip1q_s64(vreinterpretq_s64_s32(a0), vreinterpretq_s64_s32(a1)));
      v[2 * i][j] = requantize<GL>(vaddq_s32(vaddq_s32(even, c4), vdupq_n_s32(row_terms[2 * i])), rq, hl, off, lo, hi);
      if (2 * i + 1 < MR) {
        const int32x4_t odd = vreinterpretq_s32_s64(vzip2q_s64(vreinterpretq_s64_s32(a0), vreinterpretq_s64_s32(a1)));
        v[2 * i + 1][j] = requantize<GL>(vaddq_s32(vaddq_s32(odd, c4), vdupq_n_s32(row_terms[2 * i + 1])), rq, hl,
                                         off, lo, hi);
      }
    }
  }
  _Pragma("GCC unroll 4") for (int r = 0; r < MR; r++) {
    // Clamped into the output type's range: the narrowing cannot saturate.
    const int16x8_t h0 = vcombine_s16(vmovn_s32(v[r][0]), vmovn_s32(v[r][1]));
    const int16x8_t h1 = vcombine_s16(vmovn_s32(v[r][2]), vmovn_s32(v[r][3]));
    const uint8x16_t bytes = U ? vcombine_u8(vqmovun_s16(h0), vqmovun_s16(h1))
                               : vreinterpretq_u8_s8(vcombine_s8(vqmovn_s16(h0), vqmovn_s16(h1)));
    uint8_t* dst = out + (size_t) r * out_stride;
    if (nc == kNR) {
      vst1q_u8(dst, bytes);
    } else {
      uint8_t tmp[kNR];
      vst1q_u8(tmp, bytes);
      memcpy(dst, tmp, (size_t) nc);
    }
  }
}

// The microtile as gemm_rows calls it.
struct SmmlaTile {
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
  whittle_q8_4x16c4_neondot::gemm_rows<SmmlaTile, GL, U>(p, input, output, scratch, m0, m1, n0, n1);
}

static void run(const whittle_q8_gemm_params* p, const uint8_t* input, uint8_t* output, void* scratch, int32_t m0,
                int32_t m1, int32_t n0, int32_t n1) {
  WHITTLE_Q8_RUN_GL_U(p, run_t, p, input, output, scratch, m0, m1, n0, n1);
}

}  // namespace

#define WHITTLE_Q8_GEMM_NEONI8MM(name) \
  extern "C" WHITTLE_Q8_GEMM_SIGNATURE(name) { run(params, input, output, scratch, m0, m1, n0, n1); }

WHITTLE_Q8_GEMM_NEONI8MM(whittle_qs8_conv2d_gemm_4x16c8__neoni8mm)
WHITTLE_Q8_GEMM_NEONI8MM(whittle_qs8_qc8w_conv2d_gemm_4x16c8__neoni8mm)
WHITTLE_Q8_GEMM_NEONI8MM(whittle_qu8_conv2d_gemm_4x16c8__neoni8mm)
WHITTLE_Q8_GEMM_NEONI8MM(whittle_qs8_fully_connected_gemm_4x16c8__neoni8mm)
WHITTLE_Q8_GEMM_NEONI8MM(whittle_qs8_qc8w_fully_connected_gemm_4x16c8__neoni8mm)
WHITTLE_Q8_GEMM_NEONI8MM(whittle_qu8_fully_connected_gemm_4x16c8__neoni8mm)
