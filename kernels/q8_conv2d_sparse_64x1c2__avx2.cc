// int8/uint8 CONV_2D and FULLY_CONNECTED on blocked unstructured sparse weights, AVX2:
// tiles of 64 output pixels x 1 output channel, K in pairs (1x2 blocks); the pixels left
// over (fewer than 64) run as one tile of 8..56 (V = 1..7 vectors of 8 pixels).
//
// The format (whittle/q8_sparse.h): per output channel, only its non-zero 1x2 blocks along K
// (two adjacent K values, at least one weight non-zero), each as the byte offset of its K
// pair in the packed activation tile and the two weights w_eff = w + filterOffset as int16.
// The activations of a tile of pixels are packed per call (im2col for non-1x1) as
// [K/2][64 pixels][2] int16, so a block is one broadcast of its weight pair and one vpmaddwd
// per 8 pixels: the same 16 MACs per vpmaddwd as the dense kernel (q8_conv2d_gemm_4x16c2),
// on only the blocks that are not all zero.
//
// Why 1x2 (measured on MobileNet v2 pruned by `whittle prune --sparsity S`, magnitude, per
// layer; fraction of all-zero blocks over all 1x1 conv weights):
//
//   sparsity   1x1    1x2    1x4    1x8    1x16
//     50%     0.50   0.26   0.08   0.01   0.003
//     70%     0.70   0.50   0.26   0.09   0.02
//     80%     0.80   0.65   0.43   0.21   0.08
//     90%     0.90   0.81   0.67   0.47   0.25
//
// Unstructured magnitude pruning leaves zeros where they fall, so a 1xB block is all zero
// with probability ~s^B. On AVX2 the exact int8 multiply-add is vpmaddwd (pairs of int16;
// vpmaddubsw saturates its pair sums, and uint8 weights with their zero point need 9 bits),
// so a 1x4 block costs 2 vpmaddwd and a 1x2 block 1: per K value, the vpmaddwd count relative
// to dense is (1 - z2) for 1x2, (1 - z4) for 1x4, and 2 * (1 - z1) for 1x1 (half of each
// vpmaddwd wasted): at 80% that is 0.35, 0.57 and 0.40; at 90% 0.19, 0.33 and 0.20. 1x2
// wins at every sparsity, with the fewest blocks (index loads) after 1x4. Layers pruned in
// 1x4 blocks (`blocks(s, 4)`) lose nothing: their 1x2 halves are zero too.
//
// Exactness, as the dense AVX2 kernel: x (raw byte, widened) times w_eff in int16, pair sums
// exact in int32, then wrapping int32 like the reference:
//
//   acc[m][n] = sum_{non-zero pairs} w_eff * x + (inputOffset * sum_k w_eff[n][k] + bias[n])
//
// (the zero pairs add nothing; padding taps are gathered as the input zero point). The
// requantization is the dense kernel's, per channel (broadcast): ruy's rounding, or gemmlowp's
// for uint8 CONV_2D. A channel with no non-zero pair outputs its requantized constant.
//
// Output: the accumulators hold one channel x 8V pixels; 16 channels' bytes are staged and
// transposed (16x16 byte blocks) into NHWC rows.
//
// Why 64 and a fitted tail (session 13; 32x1c2 before: tiles of 32, then 16 and 8): per
// non-zero block a tile pays its loop step, the offset load and the weight broadcast once for
// V vpmaddwd, so wider tiles cut that share (64 pixels: 8 vpmaddwd on 8 + 2 loads, against 4
// on 4 + 2), and a 49-pixel layer (7x7) ran as 32 + 16 + 8 (one pixel in the last tile:
// three passes over every channel's blocks, 7 vpmaddwd on 7 + 6 loads per block) where one
// tile of 56 does 7 on 7 + 2. Measured in kernels/README.md ("Sparse AVX2: 64-pixel tiles").
#include <immintrin.h>
#include <string.h>

#include "q8_gemm_common.h"
#include "q8_requant_avx2.h"
#include "q8_requant_fast_avx2.h"
#include "whittle/q8_sparse.h"

namespace {

using namespace whittle_q8_avx2;       // NOLINT: Requant, load_requant, requantize
using namespace whittle_q8_fast_avx2;  // NOLINT: FoldBroadcast, fold_broadcast, requantize_broadcast

constexpr int kTile = WHITTLE_Q8_SPARSE_TILE;  // the widest tile, and the staged rows' stride
constexpr int kGroup = 16;           // channels staged before the transpose

// 8x8 transpose of int32 (here: int16 pairs): r[i] holds row i; on return r[j] holds column j.
WHITTLE_Q8_INLINE void transpose8x8(__m256i r[8]) {
  const __m256i t0 = _mm256_unpacklo_epi32(r[0], r[1]), t1 = _mm256_unpackhi_epi32(r[0], r[1]);
  const __m256i t2 = _mm256_unpacklo_epi32(r[2], r[3]), t3 = _mm256_unpackhi_epi32(r[2], r[3]);
  const __m256i t4 = _mm256_unpacklo_epi32(r[4], r[5]), t5 = _mm256_unpackhi_epi32(r[4], r[5]);
  const __m256i t6 = _mm256_unpacklo_epi32(r[6], r[7]), t7 = _mm256_unpackhi_epi32(r[6], r[7]);
  const __m256i u0 = _mm256_unpacklo_epi64(t0, t2), u1 = _mm256_unpackhi_epi64(t0, t2);
  const __m256i u2 = _mm256_unpacklo_epi64(t1, t3), u3 = _mm256_unpackhi_epi64(t1, t3);
  const __m256i u4 = _mm256_unpacklo_epi64(t4, t6), u5 = _mm256_unpackhi_epi64(t4, t6);
  const __m256i u6 = _mm256_unpacklo_epi64(t5, t7), u7 = _mm256_unpackhi_epi64(t5, t7);
  r[0] = _mm256_permute2x128_si256(u0, u4, 0x20);
  r[1] = _mm256_permute2x128_si256(u1, u5, 0x20);
  r[2] = _mm256_permute2x128_si256(u2, u6, 0x20);
  r[3] = _mm256_permute2x128_si256(u3, u7, 0x20);
  r[4] = _mm256_permute2x128_si256(u0, u4, 0x31);
  r[5] = _mm256_permute2x128_si256(u1, u5, 0x31);
  r[6] = _mm256_permute2x128_si256(u2, u6, 0x31);
  r[7] = _mm256_permute2x128_si256(u3, u7, 0x31);
}

// Packs pixels [m, m + valid) (valid <= MT) into tile: [kp / 2][64][2] int16 (the first MT
// pixels of each row), pixels past valid as zeros. raw: MT staged rows of kp bytes (+ slack).
template <int MT, bool U>
static void pack_tile(const whittle_q8_gemm_params* p, const uint8_t* input, const uint8_t* input_end, bool direct,
                      int32_t m, int32_t valid, uint8_t* raw, uint8_t* tile, int32_t pair_row) {
  const int32_t k = p->k;
  const int32_t kp = p->kp;
  whittle_q8::Pixel px = whittle_q8::pixel_at(p, m);
  for (int32_t r = 0; r < MT; r++) {
    uint8_t* row = raw + (size_t) r * kp;
    if (r >= valid) {
      memset(row, 0, (size_t) kp);
      continue;
    }
    if (direct) {
      memcpy(row, input + (size_t) px.m * k, (size_t) k);
    } else {
      whittle_q8::gather_bytes(p, input, input_end, false, px, row);
    }
    memset(row + k, 0, (size_t) (kp - k));
    whittle_q8::next_pixel(p, &px);
  }
  for (int32_t c = 0; c < kp; c += 16) {
    uint8_t* dst = tile + (size_t) (c / 2) * pair_row;
    _Pragma("GCC unroll 8") for (int g = 0; g < MT / 8; g++) {
      __m256i r[8];
      _Pragma("GCC unroll 8") for (int i = 0; i < 8; i++) {
        const __m128i b = _mm_loadu_si128(reinterpret_cast<const __m128i*>(raw + (size_t) (g * 8 + i) * kp + c));
        r[i] = U ? _mm256_cvtepu8_epi16(b) : _mm256_cvtepi8_epi16(b);
      }
      transpose8x8(r);
      _Pragma("GCC unroll 8") for (int j = 0; j < 8; j++) {
        _mm256_store_si256(reinterpret_cast<__m256i*>(dst + (size_t) j * pair_row + g * 32), r[j]);
      }
    }
  }
}

// 16x16 byte transpose: 4 rounds of interleaving rows i and i + 8 (each round rotates the
// 8-bit (row, column) address left by one bit; four rounds swap row and column).
WHITTLE_Q8_INLINE void transpose16x16(__m128i x[16]) {
  _Pragma("GCC unroll 4") for (int round = 0; round < 4; round++) {
    __m128i t[16];
    _Pragma("GCC unroll 8") for (int i = 0; i < 8; i++) {
      t[2 * i] = _mm_unpacklo_epi8(x[i], x[i + 8]);
      t[2 * i + 1] = _mm_unpackhi_epi8(x[i], x[i + 8]);
    }
    _Pragma("GCC unroll 16") for (int i = 0; i < 16; i++) {
      x[i] = t[i];
    }
  }
}

// The output stage: q8_requant_fast_avx2.h's folded requantization of one channel broadcast
// (ruy's or gemmlowp's rounding in one 64-bit add + shift; FIX: gemmlowp's sign-dependent
// constant, dropped where a fused ReLU clamps the negatives anyway), without its clamp: the
// clamp to [act_min, act_max] is done on the packed bytes (as the dense kernel's clamp_bytes:
// the saturating packs are monotone and the bounds lie inside the byte type, so clamping after
// them is the same), 2 ops per 32 outputs instead of 2 per 8; the output offset stays an int32
// add (wrapping as the reference does). Session 13's form (two-step gemmlowp: 15 instructions
// per 8 outputs) is in git history; this one takes 12, or 10 with the ReLU fold.
template <bool U>
WHITTLE_Q8_INLINE __m256i clamp_bytes(__m256i b, __m256i lo, __m256i hi) {
  return U ? _mm256_min_epu8(_mm256_max_epu8(b, lo), hi) : _mm256_min_epi8(_mm256_max_epi8(b, lo), hi);
}

// Channels [n, n + nc) of the tile's pixels [m, m + valid): staged [16][64] bytes, then
// written to the NHWC output.
template <int MT, bool GL, bool FIX, bool U, bool HL, bool OH>
static void channel_group(const whittle_q8_sparse_params* sp, const uint8_t* tile, int32_t n, int32_t nc, int32_t m,
                          int32_t valid, uint8_t* stage, uint8_t* output) {
  constexpr int V = MT / 8;
  static_assert(V >= 1 && V <= 8, "1..8 vectors of 8 pixels");
  const whittle_q8_gemm_params* p = &sp->gemm;
  const int32_t* start = reinterpret_cast<const int32_t*>(static_cast<uintptr_t>(sp->row_start));
  const int32_t* offsets = reinterpret_cast<const int32_t*>(static_cast<uintptr_t>(sp->pair_offset));
  const int32_t* values = reinterpret_cast<const int32_t*>(static_cast<uintptr_t>(sp->pair_value));
  const int32_t* cnst = whittle_q8::channel_array(p, WHITTLE_Q8_CH_CONST);
  const __m256i lo = _mm256_set1_epi8((char) p->act_min);
  const __m256i hi = _mm256_set1_epi8((char) p->act_max);
  const __m256i order = _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7);
  for (int32_t c = 0; c < nc; c++) {
    const int32_t o = n + c;
    // Named accumulators, not an array: GCC at -O2 keeps an array of vectors on the stack.
    const __m256i c0 = _mm256_set1_epi32(cnst[o]);
    __m256i a0 = c0, a1 = c0, a2 = c0, a3 = c0, a4 = c0, a5 = c0, a6 = c0, a7 = c0;
    const int32_t j1 = start[o + 1];
    int32_t j = start[o];
    // Two blocks per iteration, their products summed before the accumulators: two
    // independent vpmaddwd per vpaddd chain step.
#define WHITTLE_SPARSE_MADD(a, v)                                                                       \
  if (V > (v)) {                                                                                        \
    a = _mm256_add_epi32(                                                                               \
        a, _mm256_add_epi32(                                                                            \
               _mm256_madd_epi16(_mm256_load_si256(reinterpret_cast<const __m256i*>(p0 + 32 * (v))), w0), \
               _mm256_madd_epi16(_mm256_load_si256(reinterpret_cast<const __m256i*>(p1 + 32 * (v))), w1))); \
  }
    for (; j + 2 <= j1; j += 2) {
      const __m256i w0 = _mm256_set1_epi32(values[j]);
      const __m256i w1 = _mm256_set1_epi32(values[j + 1]);
      const uint8_t* p0 = tile + offsets[j];
      const uint8_t* p1 = tile + offsets[j + 1];
      WHITTLE_SPARSE_MADD(a0, 0)
      WHITTLE_SPARSE_MADD(a1, 1)
      WHITTLE_SPARSE_MADD(a2, 2)
      WHITTLE_SPARSE_MADD(a3, 3)
      WHITTLE_SPARSE_MADD(a4, 4)
      WHITTLE_SPARSE_MADD(a5, 5)
      WHITTLE_SPARSE_MADD(a6, 6)
      WHITTLE_SPARSE_MADD(a7, 7)
    }
#undef WHITTLE_SPARSE_MADD
    if (j < j1) {
      const __m256i w0 = _mm256_set1_epi32(values[j]);
      const uint8_t* p0 = tile + offsets[j];
#define WHITTLE_SPARSE_MADD1(a, v)                                                                                   \
  if (V > (v)) {                                                                                                     \
    a = _mm256_add_epi32(a, _mm256_madd_epi16(_mm256_load_si256(reinterpret_cast<const __m256i*>(p0 + 32 * (v))), w0)); \
  }
      WHITTLE_SPARSE_MADD1(a0, 0)
      WHITTLE_SPARSE_MADD1(a1, 1)
      WHITTLE_SPARSE_MADD1(a2, 2)
      WHITTLE_SPARSE_MADD1(a3, 3)
      WHITTLE_SPARSE_MADD1(a4, 4)
      WHITTLE_SPARSE_MADD1(a5, 5)
      WHITTLE_SPARSE_MADD1(a6, 6)
      WHITTLE_SPARSE_MADD1(a7, 7)
#undef WHITTLE_SPARSE_MADD1
    }
    const FoldBroadcast rq = fold_broadcast(p, o, GL);
    // 32 int32 -> 32 clamped bytes in pixel order (see the permutation's derivation: packs
    // interleave the 128-bit lanes, dword d of the result holds pixels 4 * order^-1(d)..).
    // Vectors past V are not computed (their bytes are garbage in lanes never written out).
    const __m256i q0 = requantize_broadcast<HL, FIX, OH>(a0, rq);
    const __m256i q1 = V > 1 ? requantize_broadcast<HL, FIX, OH>(a1, rq) : q0;
    const __m256i q2 = V > 2 ? requantize_broadcast<HL, FIX, OH>(a2, rq) : q0;
    const __m256i q3 = V > 3 ? requantize_broadcast<HL, FIX, OH>(a3, rq) : q0;
    const __m256i w01 = _mm256_packs_epi32(q0, q1);
    const __m256i w23 = _mm256_packs_epi32(q2, q3);
    const __m256i bytes = clamp_bytes<U>(U ? _mm256_packus_epi16(w01, w23) : _mm256_packs_epi16(w01, w23), lo, hi);
    _mm256_store_si256(reinterpret_cast<__m256i*>(stage + (size_t) c * 64),
                       _mm256_permutevar8x32_epi32(bytes, order));
    if (V > 4) {
      const __m256i q4 = requantize_broadcast<HL, FIX, OH>(a4, rq);
      const __m256i q5 = V > 5 ? requantize_broadcast<HL, FIX, OH>(a5, rq) : q4;
      const __m256i q6 = V > 6 ? requantize_broadcast<HL, FIX, OH>(a6, rq) : q4;
      const __m256i q7 = V > 7 ? requantize_broadcast<HL, FIX, OH>(a7, rq) : q4;
      const __m256i w45 = _mm256_packs_epi32(q4, q5);
      const __m256i w67 = _mm256_packs_epi32(q6, q7);
      const __m256i bytes2 =
          clamp_bytes<U>(U ? _mm256_packus_epi16(w45, w67) : _mm256_packs_epi16(w45, w67), lo, hi);
      _mm256_store_si256(reinterpret_cast<__m256i*>(stage + (size_t) c * 64 + 32),
                         _mm256_permutevar8x32_epi32(bytes2, order));
    }
  }
  const int32_t n_total = p->out_c;
  for (int h = 0; h < MT && h < valid; h += 16) {
    __m128i x[16];
    _Pragma("GCC unroll 16") for (int i = 0; i < 16; i++) {
      x[i] = _mm_load_si128(reinterpret_cast<const __m128i*>(stage + (size_t) i * 64 + h));
    }
    transpose16x16(x);
    const int rows = valid - h < 16 ? valid - h : 16;
    if (rows == 16 && nc == kGroup) {
      _Pragma("GCC unroll 16") for (int r = 0; r < 16; r++) {
        _mm_storeu_si128(reinterpret_cast<__m128i*>(output + (size_t) (m + h + r) * n_total + n), x[r]);
      }
      continue;
    }
    for (int r = 0; r < rows; r++) {
      uint8_t* dst = output + (size_t) (m + h + r) * n_total + n;
      if (nc == kGroup) {
        _mm_storeu_si128(reinterpret_cast<__m128i*>(dst), x[r]);
      } else {
        alignas(16) uint8_t tmp[16];
        _mm_store_si128(reinterpret_cast<__m128i*>(tmp), x[r]);
        memcpy(dst, tmp, (size_t) nc);
      }
    }
  }
}

template <int MT, bool GL, bool U>
static void tile_t(const whittle_q8_sparse_params* sp, const uint8_t* input, const uint8_t* input_end, bool direct,
                   uint8_t* output, uint8_t* raw, uint8_t* tile, uint8_t* stage, int32_t m, int32_t valid, int32_t n0,
                   int32_t n1, bool odd_hi) {
  pack_tile<MT, U>(&sp->gemm, input, input_end, direct, m, valid, raw, tile, sp->gemm.mb * 4);
  for (int32_t n = n0; n < n1; n += kGroup) {
    const int32_t nc = n1 - n < kGroup ? n1 - n : kGroup;
    const bool fix = GL && !relu_folds(&sp->gemm);
    if (sp->gemm.has_left_shift != 0) {
      if (fix) {
        channel_group<MT, GL, true, U, true, false>(sp, tile, n, nc, m, valid, stage, output);
      } else {
        channel_group<MT, GL, false, U, true, false>(sp, tile, n, nc, m, valid, stage, output);
      }
    } else if (odd_hi) {
      if (fix) {
        channel_group<MT, GL, true, U, false, true>(sp, tile, n, nc, m, valid, stage, output);
      } else {
        channel_group<MT, GL, false, U, false, true>(sp, tile, n, nc, m, valid, stage, output);
      }
    } else if (fix) {
      channel_group<MT, GL, true, U, false, false>(sp, tile, n, nc, m, valid, stage, output);
    } else {
      channel_group<MT, GL, false, U, false, false>(sp, tile, n, nc, m, valid, stage, output);
    }
  }
}

template <bool GL, bool U>
static void run_t(const whittle_q8_sparse_params* sp, const uint8_t* input, uint8_t* output, void* scratch, int32_t m0,
                  int32_t m1, int32_t n0, int32_t n1) {
  const whittle_q8_gemm_params* p = &sp->gemm;
  // Scratch (Q8SparseGemm sizes it): the packed tile, the staged output, the raw rows.
  uint8_t* base = reinterpret_cast<uint8_t*>((reinterpret_cast<uintptr_t>(scratch) + 63) & ~static_cast<uintptr_t>(63));
  uint8_t* tile = base;
  // gemm.mb: this layer's tile width, 32 or 64 (Q8SparseGemm.tileWidth): the packed K pair
  // rows' stride is 4 * mb bytes, as the block offsets were packed.
  const int32_t width = p->mb;
  uint8_t* stage = tile + (size_t) (p->kp / 2) * width * 4;
  uint8_t* raw = stage + kGroup * kTile;
  const uint8_t* input_end = input + whittle_q8::input_bytes(p);
  const bool direct = whittle_q8::is_direct(p);
  // Whether every channel of the call shifts right (requantize_broadcast's kOddHi).
  bool odd_hi = true;
  const int32_t* right = whittle_q8::channel_array(p, WHITTLE_Q8_CH_RIGHT);
  for (int32_t o = n0; o < n1; o++) {
    odd_hi = odd_hi && right[o] > 0;
  }
  for (int32_t m = m0; m < m1;) {
    // Tiles of `width`; the rest in one tile of the fewest 8-pixel vectors that hold it: at
    // width 64, 49 pixels run as one tile of 56, 196 as 3 x 64 + 8 (4 pixels).
    const int32_t valid = m1 - m < width ? m1 - m : width;
#define WHITTLE_SPARSE_TILE(MT) \
  tile_t<MT, GL, U>(sp, input, input_end, direct, output, raw, tile, stage, m, valid, n0, n1, odd_hi)
    switch ((valid + 7) / 8) {
      case 1: WHITTLE_SPARSE_TILE(8); break;
      case 2: WHITTLE_SPARSE_TILE(16); break;
      case 3: WHITTLE_SPARSE_TILE(24); break;
      case 4: WHITTLE_SPARSE_TILE(32); break;
      case 5: WHITTLE_SPARSE_TILE(40); break;
      case 6: WHITTLE_SPARSE_TILE(48); break;
      case 7: WHITTLE_SPARSE_TILE(56); break;
      default: WHITTLE_SPARSE_TILE(64); break;
    }
#undef WHITTLE_SPARSE_TILE
    m += valid;
  }
}

static void run(const whittle_q8_sparse_params* sp, const uint8_t* input, uint8_t* output, void* scratch, int32_t m0,
                int32_t m1, int32_t n0, int32_t n1) {
  WHITTLE_Q8_RUN_GL_U(&sp->gemm, run_t, sp, input, output, scratch, m0, m1, n0, n1);
}

}  // namespace

static_assert(sizeof(whittle_q8_sparse_params) == 320, "params block layout is mirrored by Java");
static_assert(offsetof(whittle_q8_sparse_params, row_start) == 256, "params block layout is mirrored by Java");

#define WHITTLE_Q8_SPARSE_AVX2(name)                                                               \
  extern "C" WHITTLE_Q8_SPARSE_SIGNATURE(name) { run(params, input, output, scratch, m0, m1, n0, n1); }

WHITTLE_Q8_SPARSE_AVX2(whittle_qs8_conv2d_sparse_64x1c2__avx2)
WHITTLE_Q8_SPARSE_AVX2(whittle_qs8_qc8w_conv2d_sparse_64x1c2__avx2)
WHITTLE_Q8_SPARSE_AVX2(whittle_qu8_conv2d_sparse_64x1c2__avx2)
WHITTLE_Q8_SPARSE_AVX2(whittle_qs8_fully_connected_sparse_64x1c2__avx2)
WHITTLE_Q8_SPARSE_AVX2(whittle_qs8_qc8w_fully_connected_sparse_64x1c2__avx2)
WHITTLE_Q8_SPARSE_AVX2(whittle_qu8_fully_connected_sparse_64x1c2__avx2)
