// 16x8 CONV_2D and FULLY_CONNECTED on 2:4 structured sparse int8 weights, AVX2: tiles of 32
// output pixels x 1 output channel, K in groups of 4 of which each channel keeps 2.
//
// Why this layout. With int16 activations the kept pair of a group is exactly one vpmaddwd
// dword lane (the dense 16x8 kernel needs two vpmaddwd per 4 K). A group of 4 K has only 6
// possible kept pairs, so per tile of 32 pixels all 6 pair vectors of every group are built
// once (the int8 AVX2 2:4 kernel's idea, q8_conv2d_sp24_24x4__avx2.cc) and shared by every
// output channel: a channel's group is then one vpbroadcastd of its weight pair and 4 vpmaddwd
// whose activation operand is a load at an address picked by the channel's pattern byte, so the
// gather costs no vector ALU op at all (a per-channel vpshufb gather with pixels in lanes would
// need one shuffle per vpmaddwd). 32 pixels (4 ymm) per channel amortize the scalar pattern
// load and address arithmetic over 4 multiply-adds. Building the pairs: per 8 pixels and 2
// groups, 4 row loads (16 bytes) paired into ymm, 4 vpunpck{l,h}qdq, then per group 4 vpshufb
// (the word orders (0,2,1,3) and (0,3,1,2)) and 6 vshufps (even / odd dwords of two vectors),
// 6 stores; vshufps leaves the pixels of an 8-block in the order 0,2,4,6,1,3,5,7, which the
// output stage undoes (kPixel).
//
// Exactness, as the dense qs16 kernels (whittle/qs16.h): a pair sum is at most 2^23, so at
// most WHITTLE_QS16_PAIRS_PER_FLUSH = 255 groups are summed in int32 before they are widened
// into the int64 sums (bias included); the output stages are the dense kernel's
// (qs16_gemm_4x16c2_avx2.h: stage4 for CONV_2D's int64 stage; qs16_common.h's scalar ones for
// FULLY_CONNECTED's ruy and double stages). Groups with fewer than 2 non-zeros keep zero weights.
#include <immintrin.h>
#include <stdint.h>
#include <string.h>

#include "qs16_common.h"
#include "qs16_gemm_4x16c2_avx2.h"
#include "whittle/qs16_sp24.h"

namespace {

using whittle_qs16_4x16c2_avx2::stage4;

constexpr int kTile = WHITTLE_QS16_SP24_TILE;
constexpr int64_t kGroupBytes = 6 * kTile * 4;  // 768
// Vector position -> pixel within a block of 8 (the vshufps order).
constexpr int kPixel[8] = {0, 2, 4, 6, 1, 3, 5, 7};


#define WHITTLE_SHUFPS(a, b, imm) \
  _mm256_castps_si256(_mm256_shuffle_ps(_mm256_castsi256_ps(a), _mm256_castsi256_ps(b), imm))

// The 6 pair vectors of one group for 8 pixels: A = rows (0, 2 | 1, 3), B = rows (4, 6 | 5, 7),
// each qword one pixel's 4 int16 of the group.
static inline void store_group(uint8_t* dst, __m256i a, __m256i b, __m256i s1, __m256i s2) {
  __m256i* d = reinterpret_cast<__m256i*>(dst);
  _mm256_store_si256(d + 0 * (kTile / 8), WHITTLE_SHUFPS(a, b, 0x88));  // (0,1)
  _mm256_store_si256(d + 1 * (kTile / 8), WHITTLE_SHUFPS(a, b, 0xDD));  // (2,3)
  const __m256i a1 = _mm256_shuffle_epi8(a, s1);
  const __m256i b1 = _mm256_shuffle_epi8(b, s1);
  _mm256_store_si256(d + 2 * (kTile / 8), WHITTLE_SHUFPS(a1, b1, 0x88));  // (0,2)
  _mm256_store_si256(d + 3 * (kTile / 8), WHITTLE_SHUFPS(a1, b1, 0xDD));  // (1,3)
  const __m256i a2 = _mm256_shuffle_epi8(a, s2);
  const __m256i b2 = _mm256_shuffle_epi8(b, s2);
  _mm256_store_si256(d + 4 * (kTile / 8), WHITTLE_SHUFPS(a2, b2, 0x88));  // (0,3)
  _mm256_store_si256(d + 5 * (kTile / 8), WHITTLE_SHUFPS(a2, b2, 0xDD));  // (1,2)
}

static inline __m256i rows2(const int16_t* r0, const int16_t* r1, int64_t at) {
  return _mm256_inserti128_si256(
      _mm256_castsi128_si256(_mm_loadu_si128(reinterpret_cast<const __m128i*>(r0 + at))),
      _mm_loadu_si128(reinterpret_cast<const __m128i*>(r1 + at)), 1);
}

static inline __m256i rows2_half(const int16_t* r0, const int16_t* r1, int64_t at) {
  return _mm256_inserti128_si256(
      _mm256_castsi128_si256(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(r0 + at))),
      _mm_loadl_epi64(reinterpret_cast<const __m128i*>(r1 + at)), 1);
}

// Pair vectors of pixels r[0..8) (their K rows) into tile + 32 * block.
static inline void build8(const int16_t* const* r, int64_t groups, uint8_t* tile) {
  // Word orders within each qword: (0,2,1,3) and (0,3,1,2).
  const __m256i s1 = _mm256_setr_epi8(0, 1, 4, 5, 2, 3, 6, 7, 8, 9, 12, 13, 10, 11, 14, 15,
                                      0, 1, 4, 5, 2, 3, 6, 7, 8, 9, 12, 13, 10, 11, 14, 15);
  const __m256i s2 = _mm256_setr_epi8(0, 1, 6, 7, 2, 3, 4, 5, 8, 9, 14, 15, 10, 11, 12, 13,
                                      0, 1, 6, 7, 2, 3, 4, 5, 8, 9, 14, 15, 10, 11, 12, 13);
  int64_t g = 0;
  for (; g + 2 <= groups; g += 2) {
    const __m256i q01 = rows2(r[0], r[1], 4 * g);
    const __m256i q23 = rows2(r[2], r[3], 4 * g);
    const __m256i q45 = rows2(r[4], r[5], 4 * g);
    const __m256i q67 = rows2(r[6], r[7], 4 * g);
    store_group(tile + g * kGroupBytes, _mm256_unpacklo_epi64(q01, q23), _mm256_unpacklo_epi64(q45, q67), s1, s2);
    store_group(tile + (g + 1) * kGroupBytes, _mm256_unpackhi_epi64(q01, q23), _mm256_unpackhi_epi64(q45, q67),
                s1, s2);
  }
  if (g < groups) {
    const __m256i q01 = rows2_half(r[0], r[1], 4 * g);
    const __m256i q23 = rows2_half(r[2], r[3], 4 * g);
    const __m256i q45 = rows2_half(r[4], r[5], 4 * g);
    const __m256i q67 = rows2_half(r[6], r[7], 4 * g);
    store_group(tile + g * kGroupBytes, _mm256_unpacklo_epi64(q01, q23), _mm256_unpacklo_epi64(q45, q67), s1, s2);
  }
}

// acc[0..8 * NB) (vector positions) += this channel's groups over the first NB 8-pixel blocks of
// the pair tile (int64 sums, exact). NB < 4 for a tile of at most 8 * NB pixels (the last one of
// a range, or a layer of few pixels), which then does only those blocks' multiply-adds.
template <int NB>
static inline void channel_sums(const whittle_qs16_sp24_params* sp, const uint8_t* tile, int64_t c, int64_t* acc) {
  const int64_t groups = sp->groups;
  const int32_t* wp = sp->pair_weights + c * groups;
  const uint8_t* id = sp->pattern + c * groups;
  for (int64_t f0 = 0; f0 < groups; f0 += WHITTLE_QS16_PAIRS_PER_FLUSH) {
    const int64_t f1 = groups - f0 < WHITTLE_QS16_PAIRS_PER_FLUSH ? groups : f0 + WHITTLE_QS16_PAIRS_PER_FLUSH;
    // Named accumulators and constant conditions (an array indexed in a loop here compiled to
    // stack round trips per group: 2.2x slower at 7x7x256x256).
    __m256i s0 = _mm256_setzero_si256();
    __m256i s1 = _mm256_setzero_si256();
    __m256i s2 = _mm256_setzero_si256();
    __m256i s3 = _mm256_setzero_si256();
    const uint8_t* t = tile + f0 * kGroupBytes;
    for (int64_t g = f0; g < f1; g++, t += kGroupBytes) {
      const __m256i w = _mm256_set1_epi32(wp[g]);
      const __m256i* x = reinterpret_cast<const __m256i*>(t + (int64_t) id[g] * (kTile * 4));
      s0 = _mm256_add_epi32(s0, _mm256_madd_epi16(_mm256_load_si256(x), w));
      if (NB > 1) s1 = _mm256_add_epi32(s1, _mm256_madd_epi16(_mm256_load_si256(x + 1), w));
      if (NB > 2) s2 = _mm256_add_epi32(s2, _mm256_madd_epi16(_mm256_load_si256(x + 2), w));
      if (NB > 3) s3 = _mm256_add_epi32(s3, _mm256_madd_epi16(_mm256_load_si256(x + 3), w));
    }
    const __m256i s[4] = {s0, s1, s2, s3};
    for (int q = 0; q < NB; q++) {
      __m256i* d = reinterpret_cast<__m256i*>(acc + 8 * q);
      _mm256_store_si256(d, _mm256_add_epi64(_mm256_load_si256(d),
          _mm256_cvtepi32_epi64(_mm256_castsi256_si128(s[q]))));
      _mm256_store_si256(d + 1, _mm256_add_epi64(_mm256_load_si256(d + 1),
          _mm256_cvtepi32_epi64(_mm256_extracti128_si256(s[q], 1))));
    }
  }
}

static void run(const whittle_qs16_sp24_params* sp, const int16_t* input, int16_t* output, void* scratch,
                int64_t m0, int64_t m1, int64_t n0, int64_t n1) {
  const whittle_qs16_gemm_params* p = &sp->gemm;
  const int64_t groups = sp->groups;
  // scratch: the pair tile (64-aligned, 768 bytes per group), then 8 im2col rows.
  uint8_t* tile = reinterpret_cast<uint8_t*>((reinterpret_cast<uintptr_t>(scratch) + 63) & ~(uintptr_t) 63);
  int16_t* rowbuf = reinterpret_cast<int16_t*>(tile + groups * kGroupBytes);
  alignas(32) int64_t acc[kTile];
  alignas(32) int32_t out32[kTile];
  for (int64_t t0 = m0; t0 < m1; t0 += kTile) {
    const int64_t rows = m1 - t0 < kTile ? m1 - t0 : kTile;
    const int nb = (int) ((rows + 7) / 8);
    const int64_t lanes = 8 * nb;
    // Pixels past `rows` in the last block repeat the last one (their sums are computed and dropped).
    for (int64_t b = 0; b < nb; b++) {
      const int16_t* r[8];
      for (int i = 0; i < 8; i++) {
        const int64_t px = 8 * b + i;
        r[i] = whittle_qs16::a_row(p, input, rowbuf + i * p->kp, t0 + (px < rows ? px : rows - 1));
      }
      build8(r, groups, tile + 32 * b);
    }
    for (int64_t c = n0; c < n1 && c < p->out_c; c++) {
      const __m256i bv = _mm256_set1_epi64x(p->bias[c]);
      for (int q = 0; q < lanes; q += 4) {
        _mm256_store_si256(reinterpret_cast<__m256i*>(acc + q), bv);
      }
      switch (nb) {
        case 1: channel_sums<1>(sp, tile, c, acc); break;
        case 2: channel_sums<2>(sp, tile, c, acc); break;
        case 3: channel_sums<3>(sp, tile, c, acc); break;
        default: channel_sums<4>(sp, tile, c, acc); break;
      }
      int16_t* out = output + t0 * p->out_c + c;
      if (p->stage == WHITTLE_QS16_STAGE_INT64) {
        const __m256i m = _mm256_set1_epi64x(p->mult[c]);
        const __m256i s = _mm256_set1_epi64x(p->shift[c]);
        const __m256i rnd = _mm256_set1_epi64x(p->rnd[c]);
        const __m256i idx = _mm256_setr_epi32(0, 2, 4, 6, 1, 3, 5, 7);
        // The activation clamp in vector registers: a scalar clamp here is a data-dependent
        // branch (RELU6 layers: half the outputs below 0), which mispredicted enough to make the
        // 14x14x128x128 layer of the 16x8 MobileNet 1.1x instead of 1.5x faster than dense.
        const __m128i lo = _mm_set1_epi32((int32_t) p->act_min);
        const __m128i hi = _mm_set1_epi32((int32_t) p->act_max);
        for (int q = 0; q < lanes; q += 4) {
          const __m256i v = _mm256_permutevar8x32_epi32(
              stage4(_mm256_load_si256(reinterpret_cast<const __m256i*>(acc + q)), m, s, rnd), idx);
          _mm_store_si128(reinterpret_cast<__m128i*>(out32 + q),
                          _mm_min_epi32(_mm_max_epi32(_mm256_castsi256_si128(v), lo), hi));
        }
        for (int64_t q = 0; q < lanes; q++) {
          const int64_t r = (q & ~7) + kPixel[q & 7];
          if (r < rows) {
            out[r * p->out_c] = (int16_t) out32[q];
          }
        }
      } else {
        for (int64_t q = 0; q < lanes; q++) {
          const int64_t r = (q & ~7) + kPixel[q & 7];
          if (r < rows) {
            whittle_qs16::stage_row(p, acc + q, c, 1, out + r * p->out_c);
          }
        }
      }
    }
  }
}

}  // namespace

extern "C" {

WHITTLE_API void whittle_qs16_qc8w_conv2d_sp24_32x1c4__avx2(const whittle_qs16_sp24_params* p,
    const int16_t* input, int16_t* output, void* scratch, int64_t m0, int64_t m1, int64_t n0, int64_t n1) {
  run(p, input, output, scratch, m0, m1, n0, n1);
}

WHITTLE_API void whittle_qs16_qc8w_fully_connected_sp24_32x1c4__avx2(const whittle_qs16_sp24_params* p,
    const int16_t* input, int16_t* output, void* scratch, int64_t m0, int64_t m1, int64_t n0, int64_t n1) {
  run(p, input, output, scratch, m0, m1, n0, n1);
}

}  // extern "C"
