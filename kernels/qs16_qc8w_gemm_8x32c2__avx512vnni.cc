// 16x8 GEMM (CONV_2D and FULLY_CONNECTED), AVX-512 VNNI: 8 output pixels x 32 output channels
// per tile, K two at a time (c2): vpdpwssd adds the exact int32 sum of a pair of int16
// products per lane. At most WHITTLE_QS16_PAIRS_PER_FLUSH pairs are summed in int32 before
// widening into int64 (see whittle/qs16.h), so the sums equal the reference's int64 sums.
#include <immintrin.h>
#include <stdint.h>
#include <string.h>

#include "qs16_common.h"
#include "whittle/qs16.h"

namespace {

constexpr int MR = 8;

static inline __m512i load_pair(const int16_t* a) {
  int32_t v;
  memcpy(&v, a, 4);
  return _mm512_set1_epi32(v);
}

// acc64[i][0..16*NB) += sum over k of a[i][k] * w[k][c] for the first R (<= MR) rows: NB
// blocks of 16 channels. The loops over rows and blocks are unrolled so the R * NB
// accumulators stay in registers (rolled, GCC kept them in memory: a store and a reload around
// every vpdpwssd, 2.5x slower); R < MR for short tiles, which then do only their own rows' work.
template <int R, int NB>
static inline void tile(const int16_t* const* a, int64_t k, const int16_t* w, int64_t (*acc64)[32]) {
  const int64_t full = k / 2;
  const int64_t total = full + (k & 1);
  for (int64_t p0 = 0; p0 < total; p0 += WHITTLE_QS16_PAIRS_PER_FLUSH) {
    const int64_t p1 = p0 + WHITTLE_QS16_PAIRS_PER_FLUSH < total ? p0 + WHITTLE_QS16_PAIRS_PER_FLUSH : total;
    const int64_t pe = p1 < full ? p1 : full;
    __m512i c[R][NB];
#pragma GCC unroll 8
    for (int i = 0; i < R; i++) {
#pragma GCC unroll 2
      for (int j = 0; j < NB; j++) {
        c[i][j] = _mm512_setzero_si512();
      }
    }
    const int16_t* wp = w + p0 * NB * 32;
    for (int64_t q = p0; q < pe; q++) {
      __m512i b[NB];
#pragma GCC unroll 2
      for (int j = 0; j < NB; j++) {
        b[j] = _mm512_load_si512(wp + j * 32);
      }
#pragma GCC unroll 8
      for (int i = 0; i < R; i++) {
        const __m512i x = load_pair(a[i] + 2 * q);
#pragma GCC unroll 2
        for (int j = 0; j < NB; j++) {
          c[i][j] = _mm512_dpwssd_epi32(c[i][j], x, b[j]);
        }
      }
      wp += NB * 32;
    }
    if (p1 > full) {
      // Odd K: the last pair is (a[k - 1], 0), read as one int16 so nothing past the row is read.
#pragma GCC unroll 8
      for (int i = 0; i < R; i++) {
        const __m512i x = _mm512_set1_epi32((int32_t) (uint16_t) a[i][2 * full]);
#pragma GCC unroll 2
        for (int j = 0; j < NB; j++) {
          c[i][j] = _mm512_dpwssd_epi32(c[i][j], x, _mm512_load_si512(wp + j * 32));
        }
      }
    }
#pragma GCC unroll 8
    for (int i = 0; i < R; i++) {
#pragma GCC unroll 2
      for (int j = 0; j < NB; j++) {
        int64_t* d = &acc64[i][16 * j];
        const __m512i lo = _mm512_cvtepi32_epi64(_mm512_castsi512_si256(c[i][j]));
        const __m512i hi = _mm512_cvtepi32_epi64(_mm512_extracti64x4_epi64(c[i][j], 1));
        _mm512_store_si512(d, _mm512_add_epi64(_mm512_load_si512(d), lo));
        _mm512_store_si512(d + 8, _mm512_add_epi64(_mm512_load_si512(d + 8), hi));
      }
    }
  }
}

template <int NB>
static inline void tile_rows(int rows, const int16_t* const* a, int64_t k, const int16_t* w, int64_t (*acc64)[32]) {
  switch (rows) {
    case 1: tile<1, NB>(a, k, w, acc64); break;
    case 2: tile<2, NB>(a, k, w, acc64); break;
    case 3: tile<3, NB>(a, k, w, acc64); break;
    case 4: tile<4, NB>(a, k, w, acc64); break;
    case 5: tile<5, NB>(a, k, w, acc64); break;
    case 6: tile<6, NB>(a, k, w, acc64); break;
    case 7: tile<7, NB>(a, k, w, acc64); break;
    default: tile<MR, NB>(a, k, w, acc64); break;
  }
}

// The int64 output stage on 8 lanes: (x * m + rnd) >> s, wrapping, arithmetic shift
// (vpmullq needs AVX512DQ, so x * m = lo32(x) * m + (hi32(x) * m << 32), 0 <= m < 2^15).
static inline __m256i stage8(const whittle_qs16_gemm_params* p, const int64_t* acc, int64_t c, __m256i vmin,
                             __m256i vmax) {
  const __m512i x = _mm512_load_si512(acc);
  const __m512i m = _mm512_loadu_si512(p->mult + c);
  const __m512i lo = _mm512_mul_epu32(x, m);
  const __m512i hi = _mm512_mul_epi32(_mm512_srli_epi64(x, 32), m);
  const __m512i v = _mm512_add_epi64(_mm512_add_epi64(lo, _mm512_slli_epi64(hi, 32)),
      _mm512_loadu_si512(p->rnd + c));
  const __m512i r = _mm512_srav_epi64(v, _mm512_loadu_si512(p->shift + c));
  const __m256i t = _mm512_cvtepi64_epi32(r);  // truncation to int32
  return _mm256_min_epi32(_mm256_max_epi32(t, vmin), vmax);
}

static void gemm(const whittle_qs16_gemm_params* p, const int16_t* input, int16_t* output, int16_t* scratch,
                 int64_t m0, int64_t m1, int64_t n0, int64_t n1) {
  alignas(64) int64_t acc[MR][32];
  const int16_t* a[MR];
  const __m256i vmin = _mm256_set1_epi32((int32_t) p->act_min);
  const __m256i vmax = _mm256_set1_epi32((int32_t) p->act_max);
  // Tiles of at most MR rows, as even as the range allows (10 rows: 5 + 5, not 8 + 2).
  const int64_t tiles = (m1 - m0 + MR - 1) / MR;
  for (int64_t m = m0, t = 0; m < m1; t++) {
    const int rows = (int) ((m1 - m + (tiles - t) - 1) / (tiles - t));
    for (int i = 0; i < rows; i++) {
      a[i] = whittle_qs16::a_row(p, input, scratch + i * p->kp, m + i);
    }
    for (int64_t c0 = n0; c0 < n1; c0 += 32) {
      const int64_t width = p->n_padded - c0 < 32 ? p->n_padded - c0 : 32;
      for (int i = 0; i < rows; i++) {
        memcpy(acc[i], p->bias + c0, (size_t) width * 8);
      }
      if (width == 32) {
        tile_rows<2>(rows, a, p->k, p->weights + c0 * p->kp, acc);
      } else {
        tile_rows<1>(rows, a, p->k, p->weights + c0 * p->kp, acc);
      }
      const int64_t count = p->out_c - c0 < width ? p->out_c - c0 : width;
      for (int i = 0; i < rows; i++) {
        int16_t* out = output + (m + i) * p->out_c + c0;
        if (p->stage == WHITTLE_QS16_STAGE_INT64 && count == width) {
          for (int64_t j = 0; j < width; j += 8) {
            _mm_storeu_si128(reinterpret_cast<__m128i*>(out + j),
                _mm256_cvtepi32_epi16(stage8(p, acc[i] + j, c0 + j, vmin, vmax)));
          }
        } else {
          whittle_qs16::stage_row(p, acc[i], c0, count, out);
        }
      }
    }
    m += rows;
  }
}

}  // namespace

extern "C" {

WHITTLE_API void whittle_qs16_qc8w_conv2d_gemm_8x32c2__avx512vnni(const whittle_qs16_gemm_params* p,
    const int16_t* input, int16_t* output, int16_t* scratch, int64_t m0, int64_t m1, int64_t n0, int64_t n1) {
  gemm(p, input, output, scratch, m0, m1, n0, n1);
}

WHITTLE_API void whittle_qs16_qc8w_fully_connected_gemm_8x32c2__avx512vnni(const whittle_qs16_gemm_params* p,
    const int16_t* input, int16_t* output, int16_t* scratch, int64_t m0, int64_t m1, int64_t n0, int64_t n1) {
  gemm(p, input, output, scratch, m0, m1, n0, n1);
}

}  // extern "C"
