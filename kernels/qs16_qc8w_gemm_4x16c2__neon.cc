// 16x8 GEMM (CONV_2D and FULLY_CONNECTED) on AArch64 Advanced SIMD (baseline): 4 output pixels
// x 16 output channels per tile, the AVX2 kernel's packed panels unchanged ([kp / 2][width][2]
// int16, whittle/qs16.h; Qs16Gemm.Isa.NEON packs exactly as Isa.AVX2).
//
// NEON has no vpmaddwd; smlal by element (int16 x int16 accumulated into int32, 4 products per
// instruction) wants one k per vector, so each pair of weight vectors (8 channels x the pair
// k, k + 1) is split into its k and k + 1 halves with uzp1/uzp2, and the activations are
// taken by lane from a register holding 8 consecutive k of the row: per 4 pairs, 1 row load
// per pixel, 4 (NB = 2) weight loads + 4 uzp, and 16 smlal per pixel. Each int32 lane then
// sums 2 products per pair: with at most 255 pairs per flush (WHITTLE_QS16_PAIRS_PER_FLUSH) a
// lane sums at most 510 products of |x w| <= 2^22, 510 * 2^22 < 2^31, so it never wraps before
// being widened into the int64 sums, which equal the reference's. Output stages: the portable
// scalar ones of qs16_common.h (one 64-bit multiply per output).
#include <arm_neon.h>
#include <stdint.h>
#include <string.h>

#include "qs16_common.h"
#include "whittle/qs16.h"

namespace {

constexpr int MR = 4;

// Pair L (k = 2L, 2L + 1 of the rows' registers) of NB blocks of 8 channels.
// Inlined with its loops unrolled, or GCC keeps the accumulators on the stack.
#define WHITTLE_QS16_INLINE static inline __attribute__((always_inline))

template <int NB, int L>
WHITTLE_QS16_INLINE void pair_step(int32x4_t (&c)[MR][2 * NB], const int16x8_t (&x)[MR], const int16_t* wp) {
  _Pragma("GCC unroll 2") for (int j = 0; j < NB; j++) {
    const int16x8_t a = vld1q_s16(wp + 16 * j);
    const int16x8_t b = vld1q_s16(wp + 16 * j + 8);
    const int16x8_t k0 = vuzp1q_s16(a, b);  // w[2L][8 channels]
    const int16x8_t k1 = vuzp2q_s16(a, b);  // w[2L + 1][8 channels]
    _Pragma("GCC unroll 4") for (int i = 0; i < MR; i++) {
      c[i][2 * j] = vmlal_laneq_s16(c[i][2 * j], vget_low_s16(k0), x[i], 2 * L);
      c[i][2 * j + 1] = vmlal_high_laneq_s16(c[i][2 * j + 1], k0, x[i], 2 * L);
      c[i][2 * j] = vmlal_laneq_s16(c[i][2 * j], vget_low_s16(k1), x[i], 2 * L + 1);
      c[i][2 * j + 1] = vmlal_high_laneq_s16(c[i][2 * j + 1], k1, x[i], 2 * L + 1);
    }
  }
}

// acc64[i][0..8*NB) += sum over k of a[i][k] * w[k][c]: NB blocks of 8 channels.
template <int NB>
WHITTLE_QS16_INLINE void tile(const int16_t* const* a, int64_t k, const int16_t* w, int64_t (*acc64)[16]) {
  const int64_t pairs = (k + 1) / 2;
  for (int64_t p0 = 0; p0 < pairs; p0 += 252) {
    // 252 = 63 steps of 4 pairs: at most WHITTLE_QS16_PAIRS_PER_FLUSH pairs per int32 sum.
    const int64_t p1 = p0 + 252 < pairs ? p0 + 252 : pairs;
    int32x4_t c[MR][2 * NB];
    _Pragma("GCC unroll 4") for (int i = 0; i < MR; i++) {
      _Pragma("GCC unroll 4") for (int j = 0; j < 2 * NB; j++) {
        c[i][j] = vdupq_n_s32(0);
      }
    }
    const int16_t* wp = w + p0 * NB * 16;
    int64_t q = p0;
    // Whole steps of 4 pairs whose 8 k lie inside the row (k, not kp: a row read in place
    // has no padding element).
    for (; q + 4 <= p1 && 2 * q + 8 <= k; q += 4) {
      int16x8_t x[MR];
      _Pragma("GCC unroll 4") for (int i = 0; i < MR; i++) {
        x[i] = vld1q_s16(a[i] + 2 * q);
      }
      pair_step<NB, 0>(c, x, wp);
      pair_step<NB, 1>(c, x, wp + NB * 16);
      pair_step<NB, 2>(c, x, wp + 2 * NB * 16);
      pair_step<NB, 3>(c, x, wp + 3 * NB * 16);
      wp += 4 * NB * 16;
    }
    if (q < p1) {
      // The last 1-3 pairs of this flush (or 4 with an odd k): the row's remaining k copied
      // into a zeroed register image (the odd k's partner is 0, as its padded weight).
      const int64_t left = p1 - q;
      int16x8_t x[MR];
      _Pragma("GCC unroll 4") for (int i = 0; i < MR; i++) {
        int16_t buf[8] = {0, 0, 0, 0, 0, 0, 0, 0};
        const int64_t n = k - 2 * q < 8 ? k - 2 * q : 8;
        memcpy(buf, a[i] + 2 * q, (size_t) n * 2);
        x[i] = vld1q_s16(buf);
      }
      pair_step<NB, 0>(c, x, wp);
      if (left > 1) pair_step<NB, 1>(c, x, wp + NB * 16);
      if (left > 2) pair_step<NB, 2>(c, x, wp + 2 * NB * 16);
      if (left > 3) pair_step<NB, 3>(c, x, wp + 3 * NB * 16);
    }
    _Pragma("GCC unroll 4") for (int i = 0; i < MR; i++) {
      _Pragma("GCC unroll 4") for (int j = 0; j < 2 * NB; j++) {
        int64_t* d = &acc64[i][4 * j];
        vst1q_s64(d, vaddq_s64(vld1q_s64(d), vmovl_s32(vget_low_s32(c[i][j]))));
        vst1q_s64(d + 2, vaddq_s64(vld1q_s64(d + 2), vmovl_high_s32(c[i][j])));
      }
    }
  }
}

static void gemm(const whittle_qs16_gemm_params* p, const int16_t* input, int16_t* output, int16_t* scratch,
                 int64_t m0, int64_t m1, int64_t n0, int64_t n1) {
  alignas(16) int64_t acc[MR][16];
  const int16_t* a[MR];
  for (int64_t m = m0; m < m1; m += MR) {
    const int rows = m1 - m < MR ? (int) (m1 - m) : MR;
    for (int i = 0; i < MR; i++) {
      a[i] = i < rows ? whittle_qs16::a_row(p, input, scratch + i * p->kp, m + i) : a[rows - 1];
    }
    for (int64_t c0 = n0; c0 < n1; c0 += 16) {
      const int64_t width = p->n_padded - c0 < 16 ? p->n_padded - c0 : 16;
      for (int i = 0; i < MR; i++) {
        memcpy(acc[i], p->bias + c0, (size_t) width * 8);
      }
      if (width == 16) {
        tile<2>(a, p->k, p->weights + c0 * p->kp, acc);
      } else {
        tile<1>(a, p->k, p->weights + c0 * p->kp, acc);
      }
      const int64_t count = p->out_c - c0 < width ? p->out_c - c0 : width;
      for (int i = 0; i < rows; i++) {
        whittle_qs16::stage_row(p, acc[i], c0, count, output + (m + i) * p->out_c + c0);
      }
    }
  }
}

}  // namespace

extern "C" {

WHITTLE_API void whittle_qs16_qc8w_conv2d_gemm_4x16c2__neon(const whittle_qs16_gemm_params* p,
    const int16_t* input, int16_t* output, int16_t* scratch, int64_t m0, int64_t m1, int64_t n0, int64_t n1) {
  gemm(p, input, output, scratch, m0, m1, n0, n1);
}

WHITTLE_API void whittle_qs16_qc8w_fully_connected_gemm_4x16c2__neon(const whittle_qs16_gemm_params* p,
    const int16_t* input, int16_t* output, int16_t* scratch, int64_t m0, int64_t m1, int64_t n0, int64_t n1) {
  gemm(p, input, output, scratch, m0, m1, n0, n1);
}

}  // extern "C"
