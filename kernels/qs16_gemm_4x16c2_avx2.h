// The dense 16x8 4x16c2 AVX2 GEMM microkernel (qs16_qc8w_gemm_4x16c2__avx2.cc explains the
// arithmetic): the 4-pixel x 16-channel tile with its exact int32 -> int64 flush, and the int64
// output stage. Shared by the dense kernel and by the LUT panel kernel
// (qs16_qc8w_gemm_lut4_4x16c2__avx2.cc), which runs it on panels it decodes in the same layout.
// Include only from a file compiled with the avx2 ISA flags.
#ifndef WHITTLE_KERNELS_QS16_GEMM_4X16C2_AVX2_H_
#define WHITTLE_KERNELS_QS16_GEMM_4X16C2_AVX2_H_

#include <immintrin.h>
#include <stdint.h>
#include <string.h>

#include "qs16_common.h"
#include "whittle/qs16.h"

namespace whittle_qs16_4x16c2_avx2 {

constexpr int MR = 4;

static inline __m256i load_pair(const int16_t* a) {
  int32_t v;
  memcpy(&v, a, 4);
  return _mm256_set1_epi32(v);
}

// acc64[i][0..8*NB) += sum over k of a[i][k] * w[k][c] for the first R (<= MR) rows: NB blocks
// of 8 channels. R < MR for the last tile of a range (one pixel: FULLY_CONNECTED at batch 1, the
// logits 1x1 conv), which then does only its own rows' multiply-adds. The loops over rows and
// blocks are unrolled so the R * NB accumulators stay in registers (rolled, GCC kept some tiles'
// accumulators in memory: a load and a store around every vpmaddwd).
template <int R, int NB>
static inline void tile(const int16_t* const* a, int64_t k, const int16_t* w, int64_t (*acc64)[16]) {
  const int64_t full = k / 2;
  const int64_t total = full + (k & 1);
  for (int64_t p0 = 0; p0 < total; p0 += WHITTLE_QS16_PAIRS_PER_FLUSH) {
    const int64_t p1 = p0 + WHITTLE_QS16_PAIRS_PER_FLUSH < total ? p0 + WHITTLE_QS16_PAIRS_PER_FLUSH : total;
    const int64_t pe = p1 < full ? p1 : full;
    __m256i c[R][NB];
#pragma GCC unroll 4
    for (int i = 0; i < R; i++) {
#pragma GCC unroll 2
      for (int j = 0; j < NB; j++) {
        c[i][j] = _mm256_setzero_si256();
      }
    }
    const int16_t* wp = w + p0 * NB * 16;
    for (int64_t q = p0; q < pe; q++) {
      __m256i b[NB];
#pragma GCC unroll 2
      for (int j = 0; j < NB; j++) {
        b[j] = _mm256_load_si256(reinterpret_cast<const __m256i*>(wp + j * 16));
      }
#pragma GCC unroll 4
    for (int i = 0; i < R; i++) {
        const __m256i x = load_pair(a[i] + 2 * q);
#pragma GCC unroll 2
      for (int j = 0; j < NB; j++) {
          c[i][j] = _mm256_add_epi32(c[i][j], _mm256_madd_epi16(x, b[j]));
        }
      }
      wp += NB * 16;
    }
    if (p1 > full) {
      // Odd K: the last pair is (a[k - 1], 0), read as one int16 so nothing past the row is read.
#pragma GCC unroll 4
    for (int i = 0; i < R; i++) {
        const __m256i x = _mm256_set1_epi32((int32_t) (uint16_t) a[i][2 * full]);
#pragma GCC unroll 2
      for (int j = 0; j < NB; j++) {
          const __m256i b = _mm256_load_si256(reinterpret_cast<const __m256i*>(wp + j * 16));
          c[i][j] = _mm256_add_epi32(c[i][j], _mm256_madd_epi16(x, b));
        }
      }
    }
#pragma GCC unroll 4
    for (int i = 0; i < R; i++) {
#pragma GCC unroll 2
      for (int j = 0; j < NB; j++) {
        __m256i* d = reinterpret_cast<__m256i*>(&acc64[i][8 * j]);
        const __m256i lo = _mm256_cvtepi32_epi64(_mm256_castsi256_si128(c[i][j]));
        const __m256i hi = _mm256_cvtepi32_epi64(_mm256_extracti128_si256(c[i][j], 1));
        _mm256_store_si256(d, _mm256_add_epi64(_mm256_load_si256(d), lo));
        _mm256_store_si256(d + 1, _mm256_add_epi64(_mm256_load_si256(d + 1), hi));
      }
    }
  }
}

// The int64 output stage on 4 lanes: (x * m + rnd) >> s, wrapping, arithmetic shift. AVX2 has
// no 64x64 multiply: x * m = lo32(x) * m + (hi32(x) * m << 32) with 0 <= m < 2^15.
static inline __m256i stage4(__m256i x, __m256i m, __m256i s, __m256i rnd) {
  const __m256i lo = _mm256_mul_epu32(x, m);
  const __m256i hi = _mm256_mul_epi32(_mm256_srli_epi64(x, 32), m);
  const __m256i v = _mm256_add_epi64(_mm256_add_epi64(lo, _mm256_slli_epi64(hi, 32)), rnd);
  // No vpsraq in AVX2: flip negatives, shift logically, flip back (floor division).
  const __m256i sign = _mm256_cmpgt_epi64(_mm256_setzero_si256(), v);
  return _mm256_xor_si256(_mm256_srlv_epi64(_mm256_xor_si256(v, sign), s), sign);
}

// 8 channels from c of one pixel's int64 sums to clamped int16.
static inline __m128i stage8(const whittle_qs16_gemm_params* p, const int64_t* acc, int64_t c, __m256i vmin,
                             __m256i vmax) {
  const __m256i r0 = stage4(_mm256_load_si256(reinterpret_cast<const __m256i*>(acc)),
      _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p->mult + c)),
      _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p->shift + c)),
      _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p->rnd + c)));
  const __m256i r1 = stage4(_mm256_load_si256(reinterpret_cast<const __m256i*>(acc + 4)),
      _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p->mult + c + 4)),
      _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p->shift + c + 4)),
      _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p->rnd + c + 4)));
  // Low dword of each lane (the int32 truncation), in order.
  const __m256i idx = _mm256_setr_epi32(0, 2, 4, 6, 1, 3, 5, 7);
  const __m256i t0 = _mm256_permutevar8x32_epi32(r0, idx);
  const __m256i t1 = _mm256_permutevar8x32_epi32(r1, idx);
  __m256i v = _mm256_permute2x128_si256(t0, t1, 0x20);
  v = _mm256_min_epi32(_mm256_max_epi32(v, vmin), vmax);
  return _mm_packs_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
}

// One microtile: `rows` (<= MR) pixels whose K rows are a[0..MR) (rows past `rows` repeat the
// last) times the panel w of channels [c0, c0 + width) (width 16 or 8, [kp / 2][width][2]
// int16), bias added, output stage, stored to out (pixel i at out + i * out_c + c0).
static inline void microtile(const whittle_qs16_gemm_params* p, const int16_t* const* a, int rows, const int16_t* w,
                             int64_t c0, int64_t width, int16_t* out, __m256i vmin, __m256i vmax) {
  alignas(32) int64_t acc[MR][16];
  for (int i = 0; i < MR; i++) {
    memcpy(acc[i], p->bias + c0, (size_t) width * 8);
  }
  if (width == 16) {
    switch (rows) {
      case 1: tile<1, 2>(a, p->k, w, acc); break;
      case 2: tile<2, 2>(a, p->k, w, acc); break;
      case 3: tile<3, 2>(a, p->k, w, acc); break;
      default: tile<MR, 2>(a, p->k, w, acc); break;
    }
  } else {
    switch (rows) {
      case 1: tile<1, 1>(a, p->k, w, acc); break;
      case 2: tile<2, 1>(a, p->k, w, acc); break;
      case 3: tile<3, 1>(a, p->k, w, acc); break;
      default: tile<MR, 1>(a, p->k, w, acc); break;
    }
  }
  const int64_t count = p->out_c - c0 < width ? p->out_c - c0 : width;
  for (int i = 0; i < rows; i++) {
    int16_t* o = out + i * p->out_c + c0;
    if (p->stage == WHITTLE_QS16_STAGE_INT64 && count == width) {
      for (int64_t j = 0; j < width; j += 8) {
        _mm_storeu_si128(reinterpret_cast<__m128i*>(o + j), stage8(p, acc[i] + j, c0 + j, vmin, vmax));
      }
    } else {
      whittle_qs16::stage_row(p, acc[i], c0, count, o);
    }
  }
}

}  // namespace whittle_qs16_4x16c2_avx2

#endif  // WHITTLE_KERNELS_QS16_GEMM_4X16C2_AVX2_H_
