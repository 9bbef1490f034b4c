// int8/uint8 FULLY_CONNECTED and CONV_2D as a GEMM on LUT-coded clustered weights, AVX2, for
// few output pixels (batch-1 / small-M fully-connected layers): up to 4 pixels x 1 channel pair
// per tile, 16 K of one channel per 128-bit lane, the weights decoded to BYTES (one vpshufb per
// 32 weights) and multiplied with vpmaddubsw on the activations split into nibbles.
//
// Same format, params block and constants as q8_gemm_lut4_8x2c8__avx2.cc (Q8LutGemm layout
// C8_AVX2: indices per channel pair in 32-byte blocks of 32 K, word i of a lane holding K = 8j + i
// in nibble j; 16-byte or 12-byte tables, table bytes t = w ^ flip, w_eff = t + c). Only the
// decode and the multiply differ, and why:
//
// The 8x2c8 kernel decodes each index nibble to an int16 word (1 vpshufb + 1 shift/and per 16
// weights) for vpmaddwd, which at one pixel is 18-20 ALU ops per 64 MACs: ~0.8x the dense AVX2
// kernel, itself bound by streaming its 2.56 MB of int16 weights (FC 1280 -> 1001) from L3.
// Here the index bytes are masked as they are, low nibbles (K = i and 16 + i of each byte pair)
// and high nibbles (K = 8 + i, 24 + i), so one vpshufb gives 32 weight BYTES t in 0..255. AVX2
// has no saturation-free 8-bit multiply of u8 t with a full-range activation, so the
// activations are split once per call and pixel (amortized over every output channel):
// x = 16 xh + xl, xl = x & 15, xh = x >> 4 (0..15, or -8..7 for int8), and
//
//   sum_k x_k t_k = sum_k t_k xl_k + 16 sum_k t_k xh_k,
//
// each a vpmaddubsw (u8 t x s8 nibble: pair sums |.| <= 2 * 255 * 15 = 7650, never saturated),
// the two K halves of a block summed in int16 (<= 15300), then vpmaddwd with 1 and 16 into
// int32. Per 32-byte index block (64 weights of a pair = 64 MACs per pixel): 5 shared ALU ops
// (and, shift, and, 2 vpshufb) + 10 per pixel (4 vpmaddubsw, 2 vpaddw, 2 vpmaddwd, 2 vpaddd),
// 15 at one pixel against the 8x2c8 kernel's ~20. The staged activations of a block are 4 x 16
// bytes per pixel (xl and xh of the byte pairs (x_i, x_16+i) and (x_8+i, x_24+i):
// punpcklbw / punpckhbw of the two 16-byte halves), broadcast by vbroadcasti128 (a load).
// Padding K (up to the 32-K block) is staged as x = 0, so whatever its indices decode to
// multiplies zero.
//
// Cold weights (a classifier inside a whole model): the hardware prefetcher alone left the
// one-pixel pass at ~5 GB/s of indices (118-135 us for 0.65 MB, as slow as dense's 2.58 MB);
// a software prefetch of the next pass's line at the same K (one per stream and 64 bytes) gives
// 80-88 us (LutGemmBenchmark -Dwhittle.bench.evictMb=64), and costs nothing hot.
//
// Then, with c the layer constant (w_eff = t + c): sum_k x_k w_eff_k = sum_k x_k t_k + c sum_k x_k,
// and c = CH_COEF + 256 (int8) t[0] (CH_COEF is the 8x2c8 kernel's coefficient, which folds the
// decode's high byte 256 t[0] in), so the per-channel coefficient is rebuilt per 16-channel group
// from the tables' entry 0. Lane sums, transposition, bias and requantization are the 8x2c8
// kernel's, unchanged (ruy's rounding, or gemmlowp's for uint8 conv), so the result is exact.
#include <immintrin.h>
#include <string.h>

#include "q8_gemm_common.h"
#include "q8_lut_compact_avx2.h"
#include "q8_lut_pairs_avx2.h"
#include "q8_requant_avx2.h"
#include "whittle/q8_lut.h"

namespace {

using namespace whittle_q8_avx2;  // NOLINT: Requant, load_requant, requantize

constexpr int kMR = 8;  // pixels per output tile (two 4-pixel sub-tiles)
constexpr int kGroup = 16;

// Stages one pixel's count activation bytes as 32-K blocks of 64 bytes (xl A, xh A, xl B, xh B;
// A = bytes (x_i, x_16+i), B = (x_8+i, x_24+i), i = 0..7), zero past count up to blocks * 32;
// returns sum_k x_k.
static inline int32_t stage_split(const uint8_t* src, uint8_t* dst, int32_t count, int32_t blocks, bool is_unsigned) {
  const __m128i m = _mm_set1_epi8(0x0F);
  const __m128i eight = _mm_set1_epi8(8);
  const __m128i flip = _mm_set1_epi8(is_unsigned ? 0 : (char) 0x80);
  __m128i sad = _mm_setzero_si128();
  alignas(16) uint8_t tmp[32];
  for (int32_t b = 0; b < blocks; b++) {
    const uint8_t* s = src + (size_t) b * 32;
    __m128i lo, hi;
    if ((b + 1) * 32 <= count) {
      lo = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s));
      hi = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s + 16));
    } else {
      memset(tmp, 0, sizeof tmp);
      memcpy(tmp, s, (size_t) (count - b * 32));
      lo = _mm_load_si128(reinterpret_cast<const __m128i*>(tmp));
      hi = _mm_load_si128(reinterpret_cast<const __m128i*>(tmp + 16));
    }
    // sum: bytes ^ flip as unsigned (int8: x + 128), corrected below
    sad = _mm_add_epi64(sad, _mm_sad_epu8(_mm_xor_si128(lo, flip), _mm_setzero_si128()));
    sad = _mm_add_epi64(sad, _mm_sad_epu8(_mm_xor_si128(hi, flip), _mm_setzero_si128()));
    const __m128i a = _mm_unpacklo_epi8(lo, hi);
    const __m128i bb = _mm_unpackhi_epi8(lo, hi);
    __m128i ah = _mm_and_si128(_mm_srli_epi16(a, 4), m);
    __m128i bh = _mm_and_si128(_mm_srli_epi16(bb, 4), m);
    if (!is_unsigned) {
      // sign-extend the high nibble: (h ^ 8) - 8
      ah = _mm_sub_epi8(_mm_xor_si128(ah, eight), eight);
      bh = _mm_sub_epi8(_mm_xor_si128(bh, eight), eight);
    }
    uint8_t* d = dst + (size_t) b * 64;
    _mm_storeu_si128(reinterpret_cast<__m128i*>(d), _mm_and_si128(a, m));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(d + 16), ah);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(d + 32), _mm_and_si128(bb, m));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(d + 48), bh);
  }
  int64_t total = _mm_cvtsi128_si64(sad) + _mm_extract_epi64(sad, 1);
  if (!is_unsigned) {
    // padding bytes are 0 in both forms: each of the blocks * 32 staged bytes added 128
    total -= (int64_t) 128 * blocks * 32;
  }
  return (int32_t) total;
}

WHITTLE_Q8_INLINE __m256i bcast(const uint8_t* x) {
  return _mm256_broadcastsi128_si256(_mm_loadu_si128(reinterpret_cast<const __m128i*>(x)));
}

// Decodes one 32-byte index block of a channel pair to weight bytes: wa (low nibbles: K = i,
// 16 + i of each byte pair) and wb (high nibbles: K = 8 + i, 24 + i). lut5 (FIVE, issue 9,
// session 13): entries 16..31 in a second pair table th, bit 4 of each index in 8 bytes of
// bitplane per block (dword 0: wa's 32 bytes, bit 16 lane + byte; dword 1: wb's); the mask is the
// bitplane byte spread over its 8 weight bytes (vpshufb of the broadcast qword), vpand +
// vpcmpeqb with the byte's bit, and vpblendvb picks the high table's byte.
template <bool FIVE>
WHITTLE_Q8_INLINE void decode(__m256i t, __m256i th, __m256i v, const uint8_t* bits, __m256i* wa, __m256i* wb) {
  const __m256i m = _mm256_set1_epi8(0x0F);
  const __m256i ia = _mm256_and_si256(v, m);
  const __m256i ib = _mm256_and_si256(_mm256_srli_epi16(v, 4), m);
  *wa = _mm256_shuffle_epi8(t, ia);
  *wb = _mm256_shuffle_epi8(t, ib);
  if (FIVE) {
    int64_t q;
    memcpy(&q, bits, 8);
    const __m256i b = _mm256_set1_epi64x(q);
    const __m256i sa = _mm256_setr_epi8(0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1,  //
                                        2, 2, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3);
    const __m256i sb = _mm256_add_epi8(sa, _mm256_set1_epi8(4));
    const __m256i bit = _mm256_set1_epi64x((int64_t) 0x8040201008040201ULL);
    const __m256i ma = _mm256_cmpeq_epi8(_mm256_and_si256(_mm256_shuffle_epi8(b, sa), bit), bit);
    const __m256i mb = _mm256_cmpeq_epi8(_mm256_and_si256(_mm256_shuffle_epi8(b, sb), bit), bit);
    *wa = _mm256_blendv_epi8(*wa, _mm256_shuffle_epi8(th, ia), ma);
    *wb = _mm256_blendv_epi8(*wb, _mm256_shuffle_epi8(th, ib), mb);
  }
}

// One channel pair x R (1..4) pixels over all blocks. xs: pixel 0's staged blocks, rstride bytes
// between pixels. Out: (sum_a, sum_b) of pixels 0..3 as 4 qwords (zero for absent pixels).
template <int R, bool FIVE>
WHITTLE_Q8_INLINE __m256i pair_rows(const uint8_t* xs, size_t rstride, const uint8_t* idx, __m256i table,
                                    __m256i thi, const uint8_t* bits, int32_t blocks) {
  __m256i acc[4];
  _Pragma("GCC unroll 4") for (int r = 0; r < 4; r++) { acc[r] = _mm256_setzero_si256(); }
  const __m256i ones = _mm256_set1_epi16(1);
  const __m256i sixteen = _mm256_set1_epi16(16);
  // Two blocks per step: their int16 products summed before vpmaddwd (4 pair sums of at most
  // 7650 each: 30600 < 32767), then one odd block alone.
  int32_t b = 0;
  for (; b + 2 <= blocks; b += 2) {
    // the next pair's line at the same K (see two_pairs_one_row)
    _mm_prefetch(reinterpret_cast<const char*>(idx + (size_t) b * 32 + (size_t) blocks * 32), _MM_HINT_T0);
    const __m256i v0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(idx + (size_t) b * 32));
    const __m256i v1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(idx + (size_t) b * 32 + 32));
    __m256i wa0, wb0, wa1, wb1;
    decode<FIVE>(table, thi, v0, FIVE ? bits + (size_t) b * 8 : nullptr, &wa0, &wb0);
    decode<FIVE>(table, thi, v1, FIVE ? bits + (size_t) b * 8 + 8 : nullptr, &wa1, &wb1);
    _Pragma("GCC unroll 4") for (int r = 0; r < R; r++) {
      const uint8_t* x = xs + r * rstride + (size_t) b * 64;
      __m256i pl = _mm256_add_epi16(_mm256_maddubs_epi16(wa0, bcast(x)), _mm256_maddubs_epi16(wb0, bcast(x + 32)));
      __m256i ph = _mm256_add_epi16(_mm256_maddubs_epi16(wa0, bcast(x + 16)), _mm256_maddubs_epi16(wb0, bcast(x + 48)));
      pl = _mm256_add_epi16(pl, _mm256_maddubs_epi16(wa1, bcast(x + 64)));
      ph = _mm256_add_epi16(ph, _mm256_maddubs_epi16(wa1, bcast(x + 80)));
      pl = _mm256_add_epi16(pl, _mm256_maddubs_epi16(wb1, bcast(x + 96)));
      ph = _mm256_add_epi16(ph, _mm256_maddubs_epi16(wb1, bcast(x + 112)));
      acc[r] = _mm256_add_epi32(acc[r], _mm256_add_epi32(_mm256_madd_epi16(pl, ones), _mm256_madd_epi16(ph, sixteen)));
    }
  }
  if (b < blocks) {
    const __m256i v = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(idx + (size_t) b * 32));
    __m256i wa, wb;
    decode<FIVE>(table, thi, v, FIVE ? bits + (size_t) b * 8 : nullptr, &wa, &wb);
    _Pragma("GCC unroll 4") for (int r = 0; r < R; r++) {
      const uint8_t* x = xs + r * rstride + (size_t) b * 64;
      const __m256i pl = _mm256_add_epi16(_mm256_maddubs_epi16(wa, bcast(x)), _mm256_maddubs_epi16(wb, bcast(x + 32)));
      const __m256i ph = _mm256_add_epi16(_mm256_maddubs_epi16(wa, bcast(x + 16)), _mm256_maddubs_epi16(wb, bcast(x + 48)));
      acc[r] = _mm256_add_epi32(acc[r], _mm256_add_epi32(_mm256_madd_epi16(pl, ones), _mm256_madd_epi16(ph, sixteen)));
    }
  }
  // lane 0: channel a, lane 1: channel b; hadd twice gives each pixel's total per lane.
  const __m256i h01 = _mm256_hadd_epi32(acc[0], acc[1]);
  const __m256i h23 = _mm256_hadd_epi32(acc[2], acc[3]);
  const __m256i order = _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7);
  return _mm256_permutevar8x32_epi32(_mm256_hadd_epi32(h01, h23), order);
}

// One pixel x two channel pairs (M = 1, the batch-1 classifier): the pixel's activation
// loads shared by both pairs, two accumulator chains, and one reduction for both: q0 / q1 get
// (sum_a, sum_b) of pair 0 / 1 in their qword 0 (the other qwords, pixels 1..3, are not read).
template <bool FIVE>
WHITTLE_Q8_INLINE void two_pairs_one_row(const uint8_t* xs, const uint8_t* idx0, const uint8_t* idx1, __m256i t0,
                                         __m256i t1, __m256i th0, __m256i th1, const uint8_t* bits0,
                                         const uint8_t* bits1, int32_t blocks, size_t pair_bytes, __m256i* q0,
                                         __m256i* q1) {
  const __m256i ones = _mm256_set1_epi16(1);
  const __m256i sixteen = _mm256_set1_epi16(16);
  __m256i acc0 = _mm256_setzero_si256(), acc1 = _mm256_setzero_si256();
  // per pair and block: decode, 4 vpmaddubsw and 2 vpaddw into int16 sums; two blocks' sums
  // added (at most 4 x 7650) before the vpmaddwd pair
  __m256i pl0, ph0, pl1, ph1;
#define WHITTLE_LUT_BLOCK(B, SET)                                                                         \
  {                                                                                                       \
    const uint8_t* x = xs + (size_t) (B) * 64;                                                            \
    const __m256i al = bcast(x), ah = bcast(x + 16), bl = bcast(x + 32), bh = bcast(x + 48);              \
    const __m256i v0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(idx0 + (size_t) (B) * 32));    \
    const __m256i v1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(idx1 + (size_t) (B) * 32));    \
    __m256i wa0, wb0, wa1, wb1;                                                                           \
    decode<FIVE>(t0, th0, v0, FIVE ? bits0 + (size_t) (B) * 8 : nullptr, &wa0, &wb0);                     \
    decode<FIVE>(t1, th1, v1, FIVE ? bits1 + (size_t) (B) * 8 : nullptr, &wa1, &wb1);                     \
    const __m256i l0 = _mm256_add_epi16(_mm256_maddubs_epi16(wa0, al), _mm256_maddubs_epi16(wb0, bl));    \
    const __m256i h0 = _mm256_add_epi16(_mm256_maddubs_epi16(wa0, ah), _mm256_maddubs_epi16(wb0, bh));    \
    const __m256i l1 = _mm256_add_epi16(_mm256_maddubs_epi16(wa1, al), _mm256_maddubs_epi16(wb1, bl));    \
    const __m256i h1 = _mm256_add_epi16(_mm256_maddubs_epi16(wa1, ah), _mm256_maddubs_epi16(wb1, bh));    \
    if (SET) {                                                                                            \
      pl0 = l0; ph0 = h0; pl1 = l1; ph1 = h1;                                                             \
    } else {                                                                                              \
      pl0 = _mm256_add_epi16(pl0, l0); ph0 = _mm256_add_epi16(ph0, h0);                                   \
      pl1 = _mm256_add_epi16(pl1, l1); ph1 = _mm256_add_epi16(ph1, h1);                                   \
    }                                                                                                     \
  }
#define WHITTLE_LUT_FLUSH()                                                                                        \
  acc0 = _mm256_add_epi32(acc0, _mm256_add_epi32(_mm256_madd_epi16(pl0, ones), _mm256_madd_epi16(ph0, sixteen))); \
  acc1 = _mm256_add_epi32(acc1, _mm256_add_epi32(_mm256_madd_epi16(pl1, ones), _mm256_madd_epi16(ph1, sixteen)));
  int32_t b = 0;
  for (; b + 2 <= blocks; b += 2) {
    // the next two pairs' line at the same K (the next pass; prefetching past the end is harmless)
    _mm_prefetch(reinterpret_cast<const char*>(idx0 + (size_t) b * 32 + 2 * pair_bytes), _MM_HINT_T0);
    _mm_prefetch(reinterpret_cast<const char*>(idx1 + (size_t) b * 32 + 2 * pair_bytes), _MM_HINT_T0);
    WHITTLE_LUT_BLOCK(b, true)
    WHITTLE_LUT_BLOCK(b + 1, false)
    WHITTLE_LUT_FLUSH()
  }
  if (b < blocks) {
    WHITTLE_LUT_BLOCK(b, true)
    WHITTLE_LUT_FLUSH()
  }
#undef WHITTLE_LUT_FLUSH
#undef WHITTLE_LUT_BLOCK
  // hadd twice: lane 0 = pair 0's a, 1 = pair 1's a, 4 = pair 0's b, 5 = pair 1's b
  const __m256i h = _mm256_hadd_epi32(acc0, acc1);
  const __m256i hh = _mm256_hadd_epi32(h, h);
  *q0 = _mm256_permutevar8x32_epi32(hh, _mm256_setr_epi32(0, 4, 0, 4, 0, 4, 0, 4));
  *q1 = _mm256_permutevar8x32_epi32(hh, _mm256_setr_epi32(1, 5, 1, 5, 1, 5, 1, 5));
}

template <bool FIVE>
static __m256i pair_rows_n(int32_t rows, const uint8_t* xs, size_t rstride, const uint8_t* idx, __m256i table,
                           __m256i thi, const uint8_t* bits, int32_t blocks) {
  switch (rows) {
    case 4: return pair_rows<4, FIVE>(xs, rstride, idx, table, thi, bits, blocks);
    case 3: return pair_rows<3, FIVE>(xs, rstride, idx, table, thi, bits, blocks);
    case 2: return pair_rows<2, FIVE>(xs, rstride, idx, table, thi, bits, blocks);
    default: return pair_rows<1, FIVE>(xs, rstride, idx, table, thi, bits, blocks);
  }
}

template <bool GL, bool U, bool FIVE>
static void run_f(const whittle_q8_lut_params* lp, const uint8_t* input, uint8_t* output, void* scratch, int32_t m0,
                  int32_t m1, int32_t n0, int32_t n1) {
  const whittle_q8_gemm_params* p = &lp->gemm;
  const int32_t k = p->k;
  const int32_t blocks = lp->blocks;
  const size_t rstride = (size_t) blocks * 64;
  uint8_t* xs = static_cast<uint8_t*>(scratch);
  int32_t* sums = reinterpret_cast<int32_t*>(xs + (size_t) p->mb * rstride);
  uint8_t* stage = reinterpret_cast<uint8_t*>(sums + p->mb + kMR);
  const uint8_t* input_end = input + whittle_q8::input_bytes(p);
  const bool is_unsigned = p->is_unsigned != 0;
  const uint8_t* indices = reinterpret_cast<const uint8_t*>(static_cast<uintptr_t>(lp->indices));
  const uint8_t* tables = reinterpret_cast<const uint8_t*>(static_cast<uintptr_t>(lp->tables));
  // lut5: 8 bytes of bitplane per pair and block; pair tables of 64 bytes (entries 16..31 at 32)
  const uint8_t* bits = reinterpret_cast<const uint8_t*>(static_cast<uintptr_t>(lp->bits));
  const size_t pair_bytes = (size_t) blocks * 32;
  const int32_t n_total = p->out_c;
  const bool direct = whittle_q8::is_direct(p);
  const __m256i off = _mm256_set1_epi32(p->output_offset);
  const __m256i lo = _mm256_set1_epi32(p->act_min);
  const __m256i hi = _mm256_set1_epi32(p->act_max);
  const bool hl = p->has_left_shift != 0;
  alignas(32) __m256i qbuf[kGroup / 2][2];
  const bool compact = lp->table_format == 2 && lp->table_stride != 0;
  alignas(32) uint8_t rebuilt[256];
  alignas(32) int32_t t0s[kGroup];
  for (int32_t mb0 = m0; mb0 < m1; mb0 += p->mb) {
    const int32_t rows = m1 - mb0 < p->mb ? m1 - mb0 : p->mb;
    whittle_q8::Pixel px = whittle_q8::pixel_at(p, mb0);
    for (int32_t r = 0; r < rows; r++, whittle_q8::next_pixel(p, &px)) {
      const uint8_t* bytes = input + (size_t) px.m * k;
      if (!direct) {
        whittle_q8::gather_bytes(p, input, input_end, false, px, stage);
        bytes = stage;
      }
      sums[r] = stage_split(bytes, xs + (size_t) r * rstride, k, blocks, is_unsigned);
    }
    for (int32_t n = n0; n < n1; n += kGroup) {
      const int32_t nc = n_total - n < kGroup ? n_total - n : kGroup;
      const int32_t pairs = (nc + 1) / 2;
      const Requant r0 = load_requant(p, n);
      const Requant r1 = load_requant(p, n + 8);
      const __m256i c0 = ld_channel(p, WHITTLE_Q8_CH_CONST, n);
      const __m256i c1 = ld_channel(p, WHITTLE_Q8_CH_CONST, n + 8);
      if (compact) {
        whittle_q8_lut_compact_avx2::expand(tables + (size_t) (n / kGroup) * lp->table_stride, rebuilt);
      }
      const uint8_t* group_tables = compact ? rebuilt : tables + (size_t) (n / 2) * lp->table_stride;
      const size_t tstride = compact ? 32 : (size_t) lp->table_stride;
      // c = CH_COEF + 256 (int8) t[0] per channel (see the top of the file)
      for (int32_t j = 0; j < kGroup; j++) {
        t0s[j] = j < 2 * pairs ? 256 * (int32_t) (int8_t) group_tables[(size_t) (j / 2) * tstride + 16 * (j % 2)] : 0;
      }
      const __m256i f0 = _mm256_add_epi32(ld_channel(p, WHITTLE_Q8_LUT_CH_COEF, n),
                                          _mm256_load_si256(reinterpret_cast<const __m256i*>(t0s)));
      const __m256i f1 = _mm256_add_epi32(ld_channel(p, WHITTLE_Q8_LUT_CH_COEF, n + 8),
                                          _mm256_load_si256(reinterpret_cast<const __m256i*>(t0s + 8)));
      const whittle_q8_lut_pairs_avx2::GroupOut out_group{r0, r1, c0, c1, f0, f1, off, lo, hi, hl};
      for (int32_t pp = pairs; pp < kGroup / 2; pp++) {
        qbuf[pp][0] = _mm256_setzero_si256();
        qbuf[pp][1] = _mm256_setzero_si256();
      }
      for (int32_t r = 0; r < rows; r += kMR) {
        const int32_t mr = rows - r < kMR ? rows - r : kMR;
        const uint8_t* xr = xs + (size_t) r * rstride;
        int32_t pp = 0;
        if (mr == 1) {
          for (; pp + 2 <= pairs; pp += 2) {
            const __m256i ta = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(group_tables + (size_t) pp * tstride));
            const __m256i tb =
                _mm256_loadu_si256(reinterpret_cast<const __m256i*>(group_tables + (size_t) (pp + 1) * tstride));
            const uint8_t* idx = indices + (size_t) (n / 2 + pp) * pair_bytes;
            const __m256i tha = FIVE ? _mm256_loadu_si256(
                                           reinterpret_cast<const __m256i*>(group_tables + (size_t) pp * tstride + 32))
                                     : ta;
            const __m256i thb = FIVE ? _mm256_loadu_si256(reinterpret_cast<const __m256i*>(
                                           group_tables + (size_t) (pp + 1) * tstride + 32))
                                     : tb;
            const uint8_t* bp = FIVE ? bits + (size_t) (n / 2 + pp) * blocks * 8 : nullptr;
            two_pairs_one_row<FIVE>(xr, idx, idx + pair_bytes, ta, tb, tha, thb, bp,
                                    FIVE ? bp + (size_t) blocks * 8 : nullptr, blocks, pair_bytes, &qbuf[pp][0],
                                    &qbuf[pp + 1][0]);
          }
        }
        for (; pp < pairs; pp++) {
          const __m256i table =
              _mm256_loadu_si256(reinterpret_cast<const __m256i*>(group_tables + (size_t) pp * tstride));
          const uint8_t* idx = indices + (size_t) (n / 2 + pp) * pair_bytes;
          const __m256i thi =
              FIVE ? _mm256_loadu_si256(reinterpret_cast<const __m256i*>(group_tables + (size_t) pp * tstride + 32))
                   : table;
          const uint8_t* bp = FIVE ? bits + (size_t) (n / 2 + pp) * blocks * 8 : nullptr;
          qbuf[pp][0] = pair_rows_n<FIVE>(mr < 4 ? mr : 4, xr, rstride, idx, table, thi, bp, blocks);
          if (mr > 4) {
            qbuf[pp][1] = pair_rows_n<FIVE>(mr - 4, xr + 4 * rstride, rstride, idx, table, thi, bp, blocks);
          }
        }
        whittle_q8_lut_pairs_avx2::store_tile<GL, U>(qbuf, mr, sums + r, out_group,
                                                     output + (size_t) (mb0 + r) * n_total + n, (size_t) n_total,
                                                     nc, kGroup);
      }
    }
  }
}

template <bool GL, bool U>
static void run_t(const whittle_q8_lut_params* lp, const uint8_t* input, uint8_t* output, void* scratch, int32_t m0,
                  int32_t m1, int32_t n0, int32_t n1) {
  if (lp->index_bits == 5) {
    run_f<GL, U, true>(lp, input, output, scratch, m0, m1, n0, n1);
  } else {
    run_f<GL, U, false>(lp, input, output, scratch, m0, m1, n0, n1);
  }
}

static void run(const whittle_q8_lut_params* p, const uint8_t* input, uint8_t* output, void* scratch, int32_t m0,
                int32_t m1, int32_t n0, int32_t n1) {
  WHITTLE_Q8_RUN_GL_U(&p->gemm, run_t, p, input, output, scratch, m0, m1, n0, n1);
}

}  // namespace

WHITTLE_Q8_LUT_ENTRIES(lut4_4x2c16__avx2)

// lut5 (issue 9, session 13): the same kernel with index_bits = 5 (17..32 values per channel or
// layer), 1..15 pixels: pair tables of 64 bytes (table_stride 64), 8 bytes of bitplane per pair
// and 32-K block (see decode).
WHITTLE_Q8_LUT_ENTRIES(lut5_4x2c16__avx2)
