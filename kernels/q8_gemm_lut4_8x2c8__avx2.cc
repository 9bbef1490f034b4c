// int8/uint8 CONV_2D and FULLY_CONNECTED as a GEMM on LUT-coded clustered weights, AVX2:
// 8 output pixels x 2 output channels per microtile, 8 K of one channel per 128-bit lane (c8).
// Used below 16 output pixels (Q8LutGemm.AVX2_PANEL_MIN_M); from 16 on, q8_gemm_lut4_4x16c2
// decodes panels for the dense microkernel instead, which removes the costs described below.
//
// Format (written by Q8LutGemm.java): a layer whose output channels each hold at most 16
// distinct weight bytes keeps a 4-bit index per weight and a 16-byte table per channel (or one
// table for the whole layer). Table entries are unsigned bytes t = w ^ flip (flip 0x80 for int8,
// 0 for uint8), so that w_eff = w + filterOffset = t + c with one layer constant
// c = filterOffset - (int8 ? 128 : 0): uint8 weights with their zero point folded in span
// [-255, 255], which fits no byte, but t always does and c moves to a per-pixel term.
//
// Why this layout. vpshufb looks up 16 bytes per 128-bit lane, one table per lane, so a lane
// can only decode ONE channel's weights: the dense kernel's layout (16 channels side by side in
// a register, 4x16c2) would need 16 tables per register. Hence the dot-product ("c8") layout:
// lane 0 holds K values of channel n, lane 1 of channel n + 1, the pair's two tables sit in one
// register, and each lane's partial sums are reduced once per tile at the end (vphaddd). The
// multiply stays the dense kernel's exact vpmaddwd on int16 (no u8 x s8 instruction in AVX2
// is saturation-free), and the decode produces int16 directly, without unpacking: the indices
// are packed as 16-bit words holding 4 nibbles (K = 8j + i of the lane in nibble j of word i),
// so (word >> 4j) & 15 is an index word whose high byte is 0; vpshufb turns it into
// t[idx] + 256 * t[0], the high byte being the channel's entry 0, a constant. So
//
//   sum_k x_k w_eff_k = sum_k x_k word_k + (c - 256 * (int8) t[0]) * sum_k x_k,
//
// exact in wrapping int32 arithmetic (vpmaddwd's products and pair sums are exact: |x| <= 255),
// with the coefficient per channel (CH_COEF) and sum_k x_k per pixel, computed while the
// activations are widened. A 32-byte load of indices gives 4 weight registers (64 weights) for
// 2 + 4 shift/and + 4 vpshufb = 10 ALU ops, and each weight register feeds 8 pixels
// (8 vpmaddwd + 8 vpaddd): 74 ALU ops per 512 MACs against the dense kernel's 64, and no
// weight bytes from memory beyond the 4-bit indices. MR = 8 is what fits: 8 accumulators + the
// table + indices + index + weights + activations + product = 14 of 16 ymm.
//
// So on AVX2 the LUT kernel does ~15% more ALU work per MAC than the dense one, plus the
// per-tile reduction and transposition (heavy at small K), and 2.2x at one pixel (the decode is
// then amortized over nothing): it pays only where the dense kernel waits on memory, one output
// pixel with cold weights (a classifier at batch 1 inside a model), where it streams a quarter
// of the dense AVX2 kernel's int16 weight bytes. kernels/README.md has the numbers.
//
// 12-byte tables (params table_format 2, table_stride 192 per 16-channel group; the default for
// per-channel tables, -Dwhittle.lut.compact=false keeps 16-byte ones): the resident tables are
// q8_lut_compact_avx2.h's compact form with slots in pair order, and each group's 8 pair tables
// are rebuilt on the stack once per group and block of pixels, before its tiles.
//
// The rest is the dense kernel's: im2col of a pixel block into int16 rows of the worker's
// scratch (padding taps = the input zero point), a per-channel constant bias + inputOffset *
// sum_k w_eff, and the same fused requantization (ruy's rounding, or gemmlowp's for uint8
// conv) and clamp, copied from q8_conv2d_gemm_4x16c2__avx2.cc.
#include <immintrin.h>
#include <string.h>

#include "q8_gemm_common.h"
#include "q8_lut_compact_avx2.h"
#include "q8_lut_pairs_avx2.h"
#include "q8_requant_avx2.h"
#include "whittle/q8_lut.h"

static_assert(sizeof(whittle_q8_lut_params) == 320, "params block layout is mirrored by Java");
static_assert(offsetof(whittle_q8_lut_params, indices) == 256, "params block layout is mirrored by Java");

namespace {

using namespace whittle_q8_avx2;  // NOLINT: Requant, load_requant, requantize

constexpr int kMR = 8;
constexpr int kGroup = 16;

// Widens count bytes (signed or unsigned) to int16 into one row of an 8-row tile whose rows
// are interleaved in chunks of 8 K (chunk c of row r at dst + (c * 8 + r) * 8, dst = the row's
// first chunk), zero-fills the row up to kp, and returns the bytes' sum.
static inline int32_t widen_sum(const uint8_t* src, int16_t* dst, int32_t count, int32_t kp, bool is_unsigned) {
  const __m256i ones = _mm256_set1_epi16(1);
  __m256i acc = _mm256_setzero_si256();
  int32_t i = 0;
  for (; i + 16 <= count; i += 16) {
    const __m128i b = _mm_loadu_si128(reinterpret_cast<const __m128i*>(src + i));
    const __m256i w = is_unsigned ? _mm256_cvtepu8_epi16(b) : _mm256_cvtepi8_epi16(b);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(dst + (size_t) i * 8), _mm256_castsi256_si128(w));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(dst + (size_t) (i + 8) * 8), _mm256_extracti128_si256(w, 1));
    acc = _mm256_add_epi32(acc, _mm256_madd_epi16(w, ones));
  }
  __m128i s = _mm_add_epi32(_mm256_castsi256_si128(acc), _mm256_extracti128_si256(acc, 1));
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0x4E));
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0xB1));
  int32_t sum = _mm_cvtsi128_si32(s);
  for (; i < kp; i++) {
    const int16_t v = i >= count ? 0 : is_unsigned ? (int16_t) src[i] : (int16_t) (int8_t) src[i];
    dst[(size_t) (i & ~7) * 8 + (i & 7)] = v;
    sum += v;
  }
  return sum;
}

// One channel pair x MR pixels over all of K. x: the 8-row tile of activations (interleaved
// as widen_sum writes them), idx: the pair's index blocks, table: the pair's two tables. Out:
// q0 = (sum_a, sum_b) of pixels 0..3 as 4 qwords, q1 of pixels 4..7 (when MR > 4).
template <int MR>
WHITTLE_Q8_INLINE void pair_tile(const int16_t* x, const uint8_t* idx, __m256i table, int32_t full, int32_t tail,
                                 __m256i* q0, __m256i* q1) {
  __m256i acc[kMR];
  _Pragma("GCC unroll 8") for (int r = 0; r < kMR; r++) { acc[r] = _mm256_setzero_si256(); }
  const __m256i m = _mm256_set1_epi16(0x000F);
#define WHITTLE_LUT_STEP(J, IX)                                                                              \
  {                                                                                                          \
    const __m256i w = _mm256_shuffle_epi8(table, IX);                                                        \
    _Pragma("GCC unroll 8") for (int r = 0; r < MR; r++) {                                                   \
      const __m256i xv = _mm256_broadcastsi128_si256(                                                        \
          _mm_loadu_si128(reinterpret_cast<const __m128i*>(x + 64 * (J) + 8 * r)));                          \
      acc[r] = _mm256_add_epi32(acc[r], _mm256_madd_epi16(w, xv));                                           \
    }                                                                                                        \
  }
  if (MR == kMR && full > 0) {
    // The full tile's block loop in asm: GCC reassociates the adds and keeps products and row
    // pointers on the stack (25+ live ymm); here 8 accumulators + table + mask + indices +
    // weights + activations = 13 ymm, and one pointer walks the interleaved tile.
    const intptr_t end = (intptr_t) full * 32;
    intptr_t i = 0;
    const uint8_t* xb = reinterpret_cast<const uint8_t*>(x);
    __m256i v, w, t;
#define WHITTLE_LUT_ROW(J, R, A) \
    "vbroadcasti128 " #J "*128+" #R "*16(%[x]), %[t]\n\t" \
    "vpmaddwd %[t], %[w], %[t]\n\t" \
    "vpaddd %[t], %[" #A "], %[" #A "]\n\t"
#define WHITTLE_LUT_ROWS(J) \
    WHITTLE_LUT_ROW(J, 0, a0) WHITTLE_LUT_ROW(J, 1, a1) WHITTLE_LUT_ROW(J, 2, a2) WHITTLE_LUT_ROW(J, 3, a3) \
    WHITTLE_LUT_ROW(J, 4, a4) WHITTLE_LUT_ROW(J, 5, a5) WHITTLE_LUT_ROW(J, 6, a6) WHITTLE_LUT_ROW(J, 7, a7)
    __asm__ volatile(
        "1:\n\t"
        "vmovdqu (%[idx],%[i]), %[v]\n\t"
        "vpand %[v], %[m], %[w]\n\t"
        "vpshufb %[w], %[tb], %[w]\n\t"
        WHITTLE_LUT_ROWS(0)
        "vpsrlw $4, %[v], %[w]\n\t"
        "vpand %[w], %[m], %[w]\n\t"
        "vpshufb %[w], %[tb], %[w]\n\t"
        WHITTLE_LUT_ROWS(1)
        "vpsrlw $8, %[v], %[w]\n\t"
        "vpand %[w], %[m], %[w]\n\t"
        "vpshufb %[w], %[tb], %[w]\n\t"
        WHITTLE_LUT_ROWS(2)
        "vpsrlw $12, %[v], %[w]\n\t"
        "vpshufb %[w], %[tb], %[w]\n\t"
        WHITTLE_LUT_ROWS(3)
        "add $512, %[x]\n\t"
        "add $32, %[i]\n\t"
        "cmp %[end], %[i]\n\t"
        "jne 1b\n\t"
        : [a0] "+x"(acc[0]), [a1] "+x"(acc[1]), [a2] "+x"(acc[2]), [a3] "+x"(acc[3]), [a4] "+x"(acc[4]),
          [a5] "+x"(acc[5]), [a6] "+x"(acc[6]), [a7] "+x"(acc[7]), [x] "+r"(xb), [i] "+r"(i), [v] "=&x"(v),
          [w] "=&x"(w), [t] "=&x"(t)
        : [idx] "r"(idx), [tb] "x"(table), [m] "x"(m), [end] "r"(end)
        : "cc", "memory");
#undef WHITTLE_LUT_ROWS
#undef WHITTLE_LUT_ROW
    idx += end;
    x = reinterpret_cast<const int16_t*>(xb);
  } else {
    for (int32_t b = 0; b < full; b++) {
      const __m256i v = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(idx));
      WHITTLE_LUT_STEP(0, _mm256_and_si256(v, m))
      WHITTLE_LUT_STEP(1, _mm256_and_si256(_mm256_srli_epi16(v, 4), m))
      WHITTLE_LUT_STEP(2, _mm256_and_si256(_mm256_srli_epi16(v, 8), m))
      WHITTLE_LUT_STEP(3, _mm256_srli_epi16(v, 12))
      idx += 32;
      x += 256;
    }
  }
  if (tail > 0) {
    const __m256i v = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(idx));
    WHITTLE_LUT_STEP(0, _mm256_and_si256(v, m))
    if (tail > 1) WHITTLE_LUT_STEP(1, _mm256_and_si256(_mm256_srli_epi16(v, 4), m))
    if (tail > 2) WHITTLE_LUT_STEP(2, _mm256_and_si256(_mm256_srli_epi16(v, 8), m))
    if (tail > 3) WHITTLE_LUT_STEP(3, _mm256_srli_epi16(v, 12))
  }
#undef WHITTLE_LUT_STEP
  // lane 0: channel a, lane 1: channel b; hadd twice gives each pixel's total per lane.
  const __m256i h01 = _mm256_hadd_epi32(acc[0], acc[1]);
  const __m256i h23 = _mm256_hadd_epi32(acc[2], acc[3]);
  const __m256i order = _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7);
  *q0 = _mm256_permutevar8x32_epi32(_mm256_hadd_epi32(h01, h23), order);
  if (MR > 4) {
    const __m256i h45 = _mm256_hadd_epi32(acc[4], acc[5]);
    const __m256i h67 = _mm256_hadd_epi32(acc[6], acc[7]);
    *q1 = _mm256_permutevar8x32_epi32(_mm256_hadd_epi32(h45, h67), order);
  }
}

template <int MR>
static void pair_tile_call(const int16_t* x, const uint8_t* idx, __m256i table, int32_t full, int32_t tail,
                           __m256i* q) {
  pair_tile<MR>(x, idx, table, full, tail, q, q + 1);
}

template <bool GL, bool U>
static void run_t(const whittle_q8_lut_params* lp, const uint8_t* input, uint8_t* output, void* scratch, int32_t m0,
                  int32_t m1, int32_t n0, int32_t n1) {
  const whittle_q8_gemm_params* p = &lp->gemm;
  const int32_t kp = p->kp;
  const int32_t k = p->k;
  int16_t* a = static_cast<int16_t*>(scratch);
  int32_t* sums = reinterpret_cast<int32_t*>(a + (size_t) p->mb * kp);
  uint8_t* stage = reinterpret_cast<uint8_t*>(sums + p->mb + kMR);
  const uint8_t* input_end = input + whittle_q8::input_bytes(p);
  const bool is_unsigned = p->is_unsigned != 0;
  const uint8_t* indices = reinterpret_cast<const uint8_t*>(static_cast<uintptr_t>(lp->indices));
  const uint8_t* tables = reinterpret_cast<const uint8_t*>(static_cast<uintptr_t>(lp->tables));
  const size_t pair_bytes = (size_t) lp->blocks * 32;
  const int32_t full = k / 32;
  const int32_t tail = (k % 32 + 7) / 8;
  const int32_t n_total = p->out_c;
  const bool direct = whittle_q8::is_direct(p);
  const __m256i off = _mm256_set1_epi32(p->output_offset);
  const __m256i lo = _mm256_set1_epi32(p->act_min);
  const __m256i hi = _mm256_set1_epi32(p->act_max);
  const bool hl = p->has_left_shift != 0;
  alignas(32) __m256i qbuf[kGroup / 2][2];
  // 12-byte tables (table_format 2): each group's 8 pair tables rebuilt here (q8_lut_compact_avx2.h)
  const bool compact = lp->table_format == 2 && lp->table_stride != 0;
  alignas(32) uint8_t rebuilt[256];
  for (int32_t mb0 = m0; mb0 < m1; mb0 += p->mb) {
    const int32_t rows = m1 - mb0 < p->mb ? m1 - mb0 : p->mb;
    whittle_q8::Pixel px = whittle_q8::pixel_at(p, mb0);
    for (int32_t r = 0; r < rows; r++, whittle_q8::next_pixel(p, &px)) {
      // row r of tile r / 8, interleaved (see widen_sum)
      int16_t* row = a + (size_t) (r & ~7) * kp + (size_t) (r & 7) * 8;
      const uint8_t* bytes = input + (size_t) px.m * k;
      if (!direct) {
        whittle_q8::gather_bytes(p, input, input_end, false, px, stage);
        bytes = stage;
      }
      sums[r] = widen_sum(bytes, row, k, kp, is_unsigned);
    }
    for (int32_t n = n0; n < n1; n += kGroup) {
      const int32_t nc = n_total - n < kGroup ? n_total - n : kGroup;
      const int32_t pairs = (nc + 1) / 2;
      const Requant r0 = load_requant(p, n);
      const Requant r1 = load_requant(p, n + 8);
      const __m256i c0 = ld_channel(p, WHITTLE_Q8_CH_CONST, n);
      const __m256i c1 = ld_channel(p, WHITTLE_Q8_CH_CONST, n + 8);
      const __m256i f0 = ld_channel(p, WHITTLE_Q8_LUT_CH_COEF, n);
      const __m256i f1 = ld_channel(p, WHITTLE_Q8_LUT_CH_COEF, n + 8);
      const whittle_q8_lut_pairs_avx2::GroupOut out_group{r0, r1, c0, c1, f0, f1, off, lo, hi, hl};
      if (compact) {
        whittle_q8_lut_compact_avx2::expand(tables + (size_t) (n / kGroup) * lp->table_stride, rebuilt);
      }
      for (int32_t pp = pairs; pp < kGroup / 2; pp++) {
        qbuf[pp][0] = _mm256_setzero_si256();
        qbuf[pp][1] = _mm256_setzero_si256();
      }
      for (int32_t r = 0; r < rows; r += kMR) {
        const int32_t mr = rows - r < kMR ? rows - r : kMR;
        const int16_t* ar = a + (size_t) r * kp;
        for (int32_t pp = 0; pp < pairs; pp++) {
          const int32_t pair = n / 2 + pp;
          const __m256i table = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(
              compact ? rebuilt + (size_t) pp * 32 : tables + (size_t) pair * lp->table_stride));
          const uint8_t* idx = indices + (size_t) pair * pair_bytes;
          switch (mr) {
            case 8: pair_tile_call<8>(ar, idx, table, full, tail, qbuf[pp]); break;
            case 7: pair_tile_call<7>(ar, idx, table, full, tail, qbuf[pp]); break;
            case 6: pair_tile_call<6>(ar, idx, table, full, tail, qbuf[pp]); break;
            case 5: pair_tile_call<5>(ar, idx, table, full, tail, qbuf[pp]); break;
            case 4: pair_tile_call<4>(ar, idx, table, full, tail, qbuf[pp]); break;
            case 3: pair_tile_call<3>(ar, idx, table, full, tail, qbuf[pp]); break;
            case 2: pair_tile_call<2>(ar, idx, table, full, tail, qbuf[pp]); break;
            default: pair_tile_call<1>(ar, idx, table, full, tail, qbuf[pp]); break;
          }
        }
        whittle_q8_lut_pairs_avx2::store_tile<GL, U>(qbuf, mr, sums + r, out_group,
                                                     output + (size_t) (mb0 + r) * n_total + n, (size_t) n_total,
                                                     nc, kGroup);
      }
    }
  }
}

static void run(const whittle_q8_lut_params* p, const uint8_t* input, uint8_t* output, void* scratch, int32_t m0,
                int32_t m1, int32_t n0, int32_t n1) {
  WHITTLE_Q8_RUN_GL_U(&p->gemm, run_t, p, input, output, scratch, m0, m1, n0, n1);
}

}  // namespace

WHITTLE_Q8_LUT_ENTRIES(lut4_8x2c8__avx2)
