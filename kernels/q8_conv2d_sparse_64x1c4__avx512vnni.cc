// int8/uint8 CONV_2D and FULLY_CONNECTED on blocked unstructured sparse weights, AVX-512 VNNI:
// tiles of 64 (32, 16) output pixels x 1 output channel, K in quads (1x4 blocks), vpdpbusd.
//
// The format (whittle/q8_sparse.h, the AVX2 kernel's fields with another block size): per
// output channel its non-zero 1x4 blocks along K, each as the byte offset of its K quad in the
// packed activation tile ((k / 4) * 256) and the four weights as int8 in one dword. The
// activations of a tile are packed per call as [K/4][64 pixels][4] uint8 (int8 inputs x ^ 0x80
// = x + 128), so a block is one broadcast of its 4 weights and one vpdpbusd per 16 pixels: 64
// MACs per instruction, as the dense VNNI kernel (q8_conv2d_gemm_8x16c4), on only the blocks
// that are not all zero.
//
// Why 1x4 and vpdpbusd here, where the AVX2 kernel takes 1x2 and vpmaddwd: the VNNI
// multiply-add of int16 pairs (vpdpwssd) does 32 MACs per zmm instruction, vpdpbusd 64; per K
// value the instruction count relative to the dense VNNI kernel is 2 (1 - z2) for 1x2 blocks
// and (1 - z4) for 1x4 (z_B: the fraction of all-zero 1xB blocks): 0.70 against 0.57 at 80%
// random sparsity, 0.38 against 0.33 at 90% (magnitude pruning: z4 ~ s^4, see the AVX2 file).
//
// Exactness: vpdpbusd multiplies uint8 activations by int8 weights and adds the four products
// to an int32 lane without saturation (int32 wrapping, as the reference). w_eff = w + filterOffset
// of int8 layers is int8 ([-128, 127]); of uint8 layers it spans [-255, 255]: a quad
// that does not fit int8 is stored as two or three blocks at the same offset whose int8 weights
// sum to it (the Java packer splits them; magnitude-pruned uint8 layers keep the extremes, so
// this happens). The activation bias is folded into the per-channel constant:
//
//   acc = sum_blocks x_u * w + (bias + (inputOffset - 128 * signed) * sum_k w_eff)
//
// Output: as the AVX2 kernel: per channel the 64 pixels requantized (the dense VNNI kernel's
// output stage, fast_requantize, broadcast per channel; the clamp left to the saturating packs
// where the activation is the whole output range), staged as [16 channels][64] bytes, transposed (16x16
// bytes) into NHWC rows.
#include <immintrin.h>
#include <string.h>

// GCC 12's avx512fintrin.h makes its "undefined" vectors as __m512i __Y = __Y, which
// -Wuninitialized reports at every inlined use of an intrinsic built on one (as in the dense
// VNNI kernel); no value of them is ever read.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

#include "q8_gemm_common.h"
#include "q8_requant_avx512.h"
#include "whittle/q8_sparse.h"

namespace {

using whittle_q8_avx512::broadcast_fast_requant;
using whittle_q8_avx512::fast_requantize;
using whittle_q8_avx512::FastRequant;
using whittle_q8_avx512::full_range;

constexpr int kTile = 64;             // pixels per packed tile
constexpr int kQuadRow = kTile * 4;   // bytes of one K quad's row in the packed tile
constexpr int kGroup = 16;            // channels staged before the transpose

// 16x16 transpose of dwords: 4 rounds of full-width interleaving of rows i and i + 8 (each
// round rotates the 8-bit (row, column) address left by one bit; four rounds swap them).
WHITTLE_Q8_INLINE void transpose16x16_epi32(__m512i x[16]) {
  const __m512i lo = _mm512_setr_epi32(0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
  const __m512i hi = _mm512_setr_epi32(8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
  _Pragma("GCC unroll 4") for (int round = 0; round < 4; round++) {
    __m512i t[16];
    _Pragma("GCC unroll 8") for (int i = 0; i < 8; i++) {
      t[2 * i] = _mm512_permutex2var_epi32(x[i], lo, x[i + 8]);
      t[2 * i + 1] = _mm512_permutex2var_epi32(x[i], hi, x[i + 8]);
    }
    _Pragma("GCC unroll 16") for (int i = 0; i < 16; i++) {
      x[i] = t[i];
    }
  }
}

// 16x16 byte transpose (the AVX2 kernel's).
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

// Packs pixels [m, m + valid) (valid <= MT) into tile: [kp / 4][64][4] uint8 (MT pixels of
// each row used), pixels past valid as zeros. raw: MT staged rows of kp bytes (kp a multiple
// of 64, + slack).
template <int MT, bool U>
static void pack_tile(const whittle_q8_gemm_params* p, const uint8_t* input, const uint8_t* input_end, bool direct,
                      int32_t m, int32_t valid, uint8_t* raw, uint8_t* tile) {
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
  const __m512i flip = _mm512_set1_epi8(U ? 0 : (char) 0x80);
  const int32_t quads = (k + 3) / 4;
  for (int32_t c = 0; c < kp; c += 64) {
    // Quad rows c/4 .. c/4 + 15; only those below `quads` are read by blocks.
    uint8_t* dst = tile + (size_t) (c / 4) * kQuadRow;
    const int32_t rows = quads - c / 4 < 16 ? quads - c / 4 : 16;
    _Pragma("GCC unroll 4") for (int g = 0; g < MT / 16; g++) {
      __m512i r[16];
      _Pragma("GCC unroll 16") for (int i = 0; i < 16; i++) {
        r[i] = _mm512_xor_si512(_mm512_loadu_si512(raw + (size_t) (g * 16 + i) * kp + c), flip);
      }
      transpose16x16_epi32(r);
      for (int j = 0; j < rows; j++) {
        _mm512_store_si512(dst + (size_t) j * kQuadRow + g * 64, r[j]);
      }
    }
  }
}

// Channels [n, n + nc) of the tile's pixels [m, m + valid): staged [16][64] bytes, then
// written to the NHWC output.
template <int MT, bool GL, bool U>
static void channel_group(const whittle_q8_sparse_params* sp, const uint8_t* tile, int32_t n, int32_t nc, int32_t m,
                          int32_t valid, uint8_t* stage, uint8_t* output) {
  constexpr int V = MT / 16;
  const whittle_q8_gemm_params* p = &sp->gemm;
  const int32_t* start = reinterpret_cast<const int32_t*>(static_cast<uintptr_t>(sp->row_start));
  const int32_t* offsets = reinterpret_cast<const int32_t*>(static_cast<uintptr_t>(sp->pair_offset));
  const int32_t* values = reinterpret_cast<const int32_t*>(static_cast<uintptr_t>(sp->pair_value));
  const int32_t* cnst = whittle_q8::channel_array(p, WHITTLE_Q8_CH_CONST);
  const __m512i off = _mm512_set1_epi32(p->output_offset);
  const __m512i lo = _mm512_set1_epi32(p->act_min);
  const __m512i hi = _mm512_set1_epi32(p->act_max);
  const bool hl = p->has_left_shift != 0;
  const bool clamp = !full_range<U>(p);
  // packs interleave the 128-bit lanes: dword 4L + v of the packed bytes holds pixels
  // 16v + 4L .. +3; this puts pixel group d at dword d.
  const __m512i order = _mm512_setr_epi32(0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15);
  for (int32_t c = 0; c < nc; c++) {
    const int32_t o = n + c;
    const __m512i c0 = _mm512_set1_epi32(cnst[o]);
    const __m512i z = _mm512_setzero_si512();
    // Two accumulator sets (even and odd blocks): vpdpbusd's latency (~4-5 cycles) is longer
    // than the 1-4 independent chains of one set.
    __m512i a0 = c0, a1 = c0, a2 = c0, a3 = c0, b0 = z, b1 = z, b2 = z, b3 = z;
    const int32_t j1 = start[o + 1];
    for (int32_t j = start[o]; j < j1; j += 2) {  // the count is even (the packer pads it)
      const __m512i w0 = _mm512_set1_epi32(values[j]);
      const __m512i w1 = _mm512_set1_epi32(values[j + 1]);
      const uint8_t* p0 = tile + offsets[j];
      const uint8_t* p1 = tile + offsets[j + 1];
#define WHITTLE_SPARSE_DP(a, b, v)                                                                          \
  a = _mm512_dpbusd_epi32(a, _mm512_load_si512(p0 + 64 * (v)), w0);                                         \
  b = _mm512_dpbusd_epi32(b, _mm512_load_si512(p1 + 64 * (v)), w1)
      WHITTLE_SPARSE_DP(a0, b0, 0);
      if (V > 1) {
        WHITTLE_SPARSE_DP(a1, b1, 1);
      }
      if (V > 2) {
        WHITTLE_SPARSE_DP(a2, b2, 2);
        WHITTLE_SPARSE_DP(a3, b3, 3);
      }
#undef WHITTLE_SPARSE_DP
    }
    // The GEMM kernels' output stage (q8_requant_avx512.h), broadcast per channel; the
    // saturating packs below are the clamp where the activation is the whole output range.
    const FastRequant rq = broadcast_fast_requant<GL>(p, o);
    auto rq16 = [&](__m512i acc) __attribute__((always_inline)) {
      const __m512i v = fast_requantize<GL>(acc, rq, hl, off);
      return clamp ? _mm512_min_epi32(_mm512_max_epi32(v, lo), hi) : v;
    };
    const __m512i q0 = rq16(_mm512_add_epi32(a0, b0));
    const __m512i q1 = V > 1 ? rq16(_mm512_add_epi32(a1, b1)) : q0;
    const __m512i q2 = V > 2 ? rq16(_mm512_add_epi32(a2, b2)) : q0;
    const __m512i q3 = V > 2 ? rq16(_mm512_add_epi32(a3, b3)) : q1;
    const __m512i w01 = _mm512_packs_epi32(q0, q1);
    const __m512i w23 = _mm512_packs_epi32(q2, q3);
    const __m512i bytes = U ? _mm512_packus_epi16(w01, w23) : _mm512_packs_epi16(w01, w23);
    _mm512_store_si512(stage + (size_t) c * 64, _mm512_permutexvar_epi32(order, bytes));
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
    const __mmask16 lanes = (__mmask16) ((1u << nc) - 1);
    for (int r = 0; r < rows; r++) {
      _mm_mask_storeu_epi8(output + (size_t) (m + h + r) * n_total + n, lanes, x[r]);
    }
  }
}

template <int MT, bool GL, bool U>
static void tile_t(const whittle_q8_sparse_params* sp, const uint8_t* input, const uint8_t* input_end, bool direct,
                   uint8_t* output, uint8_t* raw, uint8_t* tile, uint8_t* stage, int32_t m, int32_t valid, int32_t n0,
                   int32_t n1) {
  pack_tile<MT, U>(&sp->gemm, input, input_end, direct, m, valid, raw, tile);
  for (int32_t n = n0; n < n1; n += kGroup) {
    const int32_t nc = n1 - n < kGroup ? n1 - n : kGroup;
    channel_group<MT, GL, U>(sp, tile, n, nc, m, valid, stage, output);
  }
}

template <bool GL, bool U>
static void run_t(const whittle_q8_sparse_params* sp, const uint8_t* input, uint8_t* output, void* scratch, int32_t m0,
                  int32_t m1, int32_t n0, int32_t n1) {
  const whittle_q8_gemm_params* p = &sp->gemm;
  // Scratch (Q8SparseGemm sizes it): the packed tile, the staged output, the raw rows.
  uint8_t* base = reinterpret_cast<uint8_t*>((reinterpret_cast<uintptr_t>(scratch) + 63) & ~static_cast<uintptr_t>(63));
  uint8_t* tile = base;
  uint8_t* stage = tile + (size_t) (p->kp / 4) * kQuadRow;
  uint8_t* raw = stage + kGroup * 64;
  const uint8_t* input_end = input + whittle_q8::input_bytes(p);
  const bool direct = whittle_q8::is_direct(p);
  for (int32_t m = m0; m < m1;) {
    const int32_t rem = m1 - m;
    // One 64-pixel tile for anything above 32 (49 pixels: one tile, 4 vpdpbusd per block,
    // rather than 32 + 16 + 16 with three times the per-block loads and broadcasts).
    if (rem > 32) {
      const int32_t valid = rem < 64 ? rem : 64;
      tile_t<64, GL, U>(sp, input, input_end, direct, output, raw, tile, stage, m, valid, n0, n1);
      m += valid;
    } else if (rem > 16) {
      tile_t<32, GL, U>(sp, input, input_end, direct, output, raw, tile, stage, m, rem, n0, n1);
      m += rem;
    } else {
      tile_t<16, GL, U>(sp, input, input_end, direct, output, raw, tile, stage, m, rem, n0, n1);
      m += rem;
    }
  }
}

static void run(const whittle_q8_sparse_params* sp, const uint8_t* input, uint8_t* output, void* scratch, int32_t m0,
                int32_t m1, int32_t n0, int32_t n1) {
  WHITTLE_Q8_RUN_GL_U(&sp->gemm, run_t, sp, input, output, scratch, m0, m1, n0, n1);
}

}  // namespace

static_assert(sizeof(whittle_q8_sparse_params) == 320, "params block layout is mirrored by Java");

#define WHITTLE_Q8_SPARSE_VNNI(name) \
  extern "C" WHITTLE_Q8_SPARSE_SIGNATURE(name) { run(params, input, output, scratch, m0, m1, n0, n1); }

WHITTLE_Q8_SPARSE_VNNI(whittle_qs8_conv2d_sparse_64x1c4__avx512vnni)
WHITTLE_Q8_SPARSE_VNNI(whittle_qs8_qc8w_conv2d_sparse_64x1c4__avx512vnni)
WHITTLE_Q8_SPARSE_VNNI(whittle_qu8_conv2d_sparse_64x1c4__avx512vnni)
WHITTLE_Q8_SPARSE_VNNI(whittle_qs8_fully_connected_sparse_64x1c4__avx512vnni)
WHITTLE_Q8_SPARSE_VNNI(whittle_qs8_qc8w_fully_connected_sparse_64x1c4__avx512vnni)
WHITTLE_Q8_SPARSE_VNNI(whittle_qu8_fully_connected_sparse_64x1c4__avx512vnni)
