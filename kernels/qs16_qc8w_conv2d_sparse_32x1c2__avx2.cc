// 16x8 CONV_2D and FULLY_CONNECTED on blocked unstructured sparse int8 weights, AVX2: tiles of 32
// output pixels x 1 output channel, K in pairs (1x2 blocks), XNNPACK's SpMM with pixels in lanes.
//
// A tile's activations are packed once per call as [kp / 2][32 pixels][2] int16 (1x1 unpadded:
// copied from the input rows; others: im2col, zeros for padding, the zero point being 0), so a
// non-zero block of a channel is one broadcast of its weight pair and 4 vpmaddwd (8 pixels each):
// the dense kernel's 16 MACs per vpmaddwd, on only the blocks that are not all zero. Why 1x2 and
// not 1x4 on AVX2: see q8_conv2d_sparse_32x1c2__avx2.cc (a 1x2 block is one vpmaddwd; blocks
// all zero with probability ~s^2: 0.65 at 80% random zeros, 1x4 0.43).
//
// Exactness, as the dense qs16 kernels (whittle/qs16.h): a pair sum is at most 2^23, so at
// most WHITTLE_QS16_PAIRS_PER_FLUSH = 255 blocks are summed in int32 before they are widened
// into the int64 sums (bias included); the output stages are the dense kernel's
// (qs16_gemm_4x16c2_avx2.h: stage4 for CONV_2D's int64 stage; qs16_common.h's scalar ones for
// FULLY_CONNECTED's ruy and double stages).
#include <immintrin.h>
#include <stdint.h>
#include <string.h>

#include "qs16_common.h"
#include "qs16_gemm_4x16c2_avx2.h"
#include "whittle/qs16_sparse.h"

namespace {

using whittle_qs16_4x16c2_avx2::stage4;

constexpr int kTile = WHITTLE_QS16_SPARSE_TILE;

// acc[0..32) += this channel's blocks over the packed tile (int64 sums, exact).
static inline void channel_sums(const whittle_qs16_sparse_params* sp, const uint8_t* tile, int64_t c,
                                int64_t* acc) {
  const int32_t b0 = sp->row_start[c];
  const int32_t b1 = sp->row_start[c + 1];
  for (int32_t f0 = b0; f0 < b1; f0 += WHITTLE_QS16_PAIRS_PER_FLUSH) {
    const int32_t f1 = b1 - f0 < WHITTLE_QS16_PAIRS_PER_FLUSH ? b1 : f0 + WHITTLE_QS16_PAIRS_PER_FLUSH;
    __m256i s0 = _mm256_setzero_si256();
    __m256i s1 = _mm256_setzero_si256();
    __m256i s2 = _mm256_setzero_si256();
    __m256i s3 = _mm256_setzero_si256();
    for (int32_t b = f0; b < f1; b++) {
      const __m256i w = _mm256_set1_epi32(sp->block_weights[b]);
      const __m256i* x = reinterpret_cast<const __m256i*>(tile + sp->block_offset[b]);
      s0 = _mm256_add_epi32(s0, _mm256_madd_epi16(_mm256_load_si256(x), w));
      s1 = _mm256_add_epi32(s1, _mm256_madd_epi16(_mm256_load_si256(x + 1), w));
      s2 = _mm256_add_epi32(s2, _mm256_madd_epi16(_mm256_load_si256(x + 2), w));
      s3 = _mm256_add_epi32(s3, _mm256_madd_epi16(_mm256_load_si256(x + 3), w));
    }
    const __m256i s[4] = {s0, s1, s2, s3};
    for (int q = 0; q < 4; q++) {
      __m256i* d = reinterpret_cast<__m256i*>(acc + 8 * q);
      _mm256_store_si256(d, _mm256_add_epi64(_mm256_load_si256(d),
          _mm256_cvtepi32_epi64(_mm256_castsi256_si128(s[q]))));
      _mm256_store_si256(d + 1, _mm256_add_epi64(_mm256_load_si256(d + 1),
          _mm256_cvtepi32_epi64(_mm256_extracti128_si256(s[q], 1))));
    }
  }
}

static void run(const whittle_qs16_sparse_params* sp, const int16_t* input, int16_t* output, void* scratch,
                int64_t m0, int64_t m1, int64_t n0, int64_t n1) {
  const whittle_qs16_gemm_params* p = &sp->gemm;
  const int64_t kp = p->kp;
  // scratch: the packed tile (32-aligned rows of 128 bytes), then one im2col row.
  uint8_t* tile = reinterpret_cast<uint8_t*>((reinterpret_cast<uintptr_t>(scratch) + 63) & ~(uintptr_t) 63);
  int16_t* row = reinterpret_cast<int16_t*>(tile + 64 * kp);
  alignas(32) int64_t acc[kTile];
  alignas(32) int32_t out32[kTile];
  for (int64_t t0 = m0; t0 < m1; t0 += kTile) {
    const int64_t rows = m1 - t0 < kTile ? m1 - t0 : kTile;
    // Pack: pixel r's K pair j at tile + j * 128 + r * 4 (pixels past `rows` repeat the last).
    for (int64_t r = 0; r < kTile; r++) {
      const int16_t* a = whittle_qs16::a_row(p, input, row, t0 + (r < rows ? r : rows - 1));
      const int64_t full = p->k / 2;
      for (int64_t j = 0; j < full; j++) {
        int32_t v;
        memcpy(&v, a + 2 * j, 4);
        memcpy(tile + j * 128 + r * 4, &v, 4);
      }
      if (p->k & 1) {
        const int32_t v = (int32_t) (uint16_t) a[p->k - 1];
        memcpy(tile + full * 128 + r * 4, &v, 4);
      }
    }
    for (int64_t c = n0; c < n1 && c < p->out_c; c++) {
      const __m256i b = _mm256_set1_epi64x(p->bias[c]);
      for (int q = 0; q < kTile; q += 4) {
        _mm256_store_si256(reinterpret_cast<__m256i*>(acc + q), b);
      }
      channel_sums(sp, tile, c, acc);
      int16_t* out = output + t0 * p->out_c + c;
      if (p->stage == WHITTLE_QS16_STAGE_INT64) {
        const __m256i m = _mm256_set1_epi64x(p->mult[c]);
        const __m256i s = _mm256_set1_epi64x(p->shift[c]);
        const __m256i rnd = _mm256_set1_epi64x(p->rnd[c]);
        const __m256i idx = _mm256_setr_epi32(0, 2, 4, 6, 1, 3, 5, 7);
        // The activation clamp in vector registers: the scalar clamp was a data-dependent branch
        // that mispredicts on RELU6 layers (see qs16_qc8w_conv2d_sp24_32x1c4__avx2.cc).
        const __m128i lo = _mm_set1_epi32((int32_t) p->act_min);
        const __m128i hi = _mm_set1_epi32((int32_t) p->act_max);
        for (int q = 0; q < kTile; q += 4) {
          const __m256i v = _mm256_permutevar8x32_epi32(
              stage4(_mm256_load_si256(reinterpret_cast<const __m256i*>(acc + q)), m, s, rnd), idx);
          _mm_store_si128(reinterpret_cast<__m128i*>(out32 + q),
                          _mm_min_epi32(_mm_max_epi32(_mm256_castsi256_si128(v), lo), hi));
        }
        for (int64_t r = 0; r < rows; r++) {
          out[r * p->out_c] = (int16_t) out32[r];
        }
      } else {
        for (int64_t r = 0; r < rows; r++) {
          whittle_qs16::stage_row(p, acc + r, c, 1, out + r * p->out_c);
        }
      }
    }
  }
}

}  // namespace

extern "C" {

WHITTLE_API void whittle_qs16_qc8w_conv2d_sparse_32x1c2__avx2(const whittle_qs16_sparse_params* p,
    const int16_t* input, int16_t* output, void* scratch, int64_t m0, int64_t m1, int64_t n0, int64_t n1) {
  run(p, input, output, scratch, m0, m1, n0, n1);
}

WHITTLE_API void whittle_qs16_qc8w_fully_connected_sparse_32x1c2__avx2(const whittle_qs16_sparse_params* p,
    const int16_t* input, int16_t* output, void* scratch, int64_t m0, int64_t m1, int64_t n0, int64_t n1) {
  run(p, input, output, scratch, m0, m1, n0, n1);
}

}  // extern "C"
