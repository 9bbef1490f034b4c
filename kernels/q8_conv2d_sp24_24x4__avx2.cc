// int8/uint8 CONV_2D and FULLY_CONNECTED on 2:4 structured sparse weights, AVX2: tiles of 24
// output pixels x 4 output channels (calls of 8 or more pixels), K in groups of 4 of which
// each channel keeps 2; 1..7 pixels (FULLY_CONNECTED at batch 1..7, a tile's 1..3 leftover
// pixels) on a lanes = channels path of 1..4 pixels x 16 channels.
//
// Packed format (whittle/q8_sp24.h; written by Q8Sp24Gemm.java): per 16-channel panel, per
// aligned group of 4 along K, the 2 kept weights of each channel as int16 w_eff = w +
// filterOffset (64 bytes: channels 0..15, each a (w_a, w_b) pair) and one pattern byte per
// channel (16 bytes: id | id << 5, id 0..5 the kept pair (a, b): the lanes = channels path's
// vpermd reads the low 3 bits, the tiles use id << 5 as an offset). 80 bytes per 16
// channels x 4 K against the dense kernel's 128 (int16 w_eff of all 4): 62.5% of the dense
// packed bytes. A group with fewer than 2 non-zeros stores zeros. The integer algebra is the
// dense AVX2 kernel's (q8_conv2d_gemm_4x16c2__avx2.cc): acc = sum_kept w_eff * x + (bias +
// inputOffset * sum w_eff), exact in int16 products and wrapping int32 sums; a pruned weight
// has w_eff = 0 and adds nothing, so summing only the kept ones is the same sum.
//
// Why lanes = pixels (kernels/README.md "2:4"): the lanes = channels layout gathers each
// channel's two activations with a vpshufb per 8 channels: 6 vector ALU ops (vpshufb, vpmaddwd,
// vpaddd, twice) per 64 dense-equivalent MACs against the dense kernel's 8, a 1.33x ceiling.
// With pixels in the lanes, the gather becomes an address: a group has only 6 possible kept
// pairs, built once per tile of pixels for every channel, and a channel's pattern byte is the
// offset of its pair vector; the vpmaddwd takes it as its memory operand. Per group, 4
// channels x 24 pixels: 28 vector ALU ops (1 vbroadcasti128 load, 4 vpshufd, 12 vpmaddwd, 12
// vpaddd) for 384 dense-equivalent MACs where the dense kernel needs 48: a 1.7x ceiling,
// measured ~1.6x on the inner loop. The pair vectors are 3x the dense kernel's widened
// activations (24 bytes per pixel and group), so K is walked in chunks of 32 groups (18 KB of
// pair vectors, L1-resident while every channel block passes over them). Costs the dense
// kernel does not pay: building the pairs (a transpose and 6 vpshufb + 6 stores per group and 8
// pixels, shared by all channels: ~20% of the time at N = 32, ~2% at N >= 96). The output stage
// requantizes the sums as they come, 8 pixels of one channel per vector (store_tile), and
// transposes bytes after packing: the per-output requantization is still ~55% of the time at
// K = 16..24 (perf, 112x112x16x96), the dense kernel's own op for op.
#include <immintrin.h>
#include <string.h>

#include "q8_gemm_common.h"
#include "q8_requant_avx2.h"
#include "q8_requant_fast_avx2.h"
#include "whittle/q8_sp24.h"

namespace {

using namespace whittle_q8_avx2;  // NOLINT: Requant, load_requant, requantize

constexpr int kMR = 4;
constexpr int kNR = 16;
// Calls of at least kTilePixels pixels run the lanes = pixels tiles where K >= kTileMinK; others
// the lanes = channels path. Measured (min of 40 interleaved invokes, qu8, against dense;
// kernels/README.md "2:4"): since the tiles requantize with pixels in lanes (store_tile) they
// win from K = 12 at any N (K = 16: 1.38x at N = 96 and 1.24x at N = 24 against the lanes =
// channels path's 1.16x and 1.12x; K = 12, N = 64: 1.19x against 1.06x), tie at K = 8 and lose
// at K = 4 (0.85x against 1.06x: one group cannot pay for the pair building).
constexpr int kTilePixels = 8;
constexpr int kTileMinK = 12;

// Pattern id -> vpshufb control dword: the byte indices of int16 x[a] and x[b] in the
// broadcast quad. Ids 6 and 7 never occur (the packer writes 0..5).
alignas(32) const int32_t kControls[8] = {
    0x03020100,  // 0: (0, 1)
    0x05040100,  // 1: (0, 2)
    0x07060100,  // 2: (0, 3)
    0x05040302,  // 3: (1, 2)
    0x07060302,  // 4: (1, 3)
    0x07060504,  // 5: (2, 3)
    0x03020100, 0x03020100};

// Widens count bytes (signed or unsigned) to int16 (as the dense AVX2 kernel).
static inline void widen(const uint8_t* src, int16_t* dst, int32_t count, bool is_unsigned) {
  int32_t i = 0;
  if (is_unsigned) {
    for (; i + 16 <= count; i += 16) {
      const __m128i b = _mm_loadu_si128(reinterpret_cast<const __m128i*>(src + i));
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(dst + i), _mm256_cvtepu8_epi16(b));
    }
    for (; i < count; i++) {
      dst[i] = (int16_t) src[i];
    }
  } else {
    for (; i + 16 <= count; i += 16) {
      const __m128i b = _mm_loadu_si128(reinterpret_cast<const __m128i*>(src + i));
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(dst + i), _mm256_cvtepi8_epi16(b));
    }
    for (; i < count; i++) {
      dst[i] = (int16_t) (int8_t) src[i];
    }
  }
}

static inline const uint8_t* metadata(const whittle_q8_gemm_params* p) {
  int64_t at;
  memcpy(&at, reinterpret_cast<const uint8_t*>(p) + 128, 8);
  return reinterpret_cast<const uint8_t*>(static_cast<uintptr_t>(at));
}

// ---- Lanes = channels: 1..7 pixels x 16 channels --------------------------------------------
//
// Per group and pixel, one vpbroadcastq of the pixel's 4 widened activations, one vpshufb per
// 8 channels (control dword [2a, 2a+1, 2b, 2b+1]), vpmaddwd against the kept pairs, vpaddd:
// 6 vector ALU ops per 64 dense-equivalent MACs (the dense kernel: 8). Blocks of 4..7 pixels
// expand the controls once per panel into scratch (microtile); 1..3 pixels pick from 6
// precomputed pairs per group with vpermd (microtile_few).

// The vpshufb controls of one panel's groups, 64 bytes per group, from its pattern bytes
// (id | id << 5: vpermd reads the id from the low 3 bits).
static inline void expand_controls(const uint8_t* meta, int32_t groups, __m256i* ctrl) {
  const __m256i table = _mm256_load_si256(reinterpret_cast<const __m256i*>(kControls));
  for (int32_t g = 0; g < groups; g++) {
    const __m128i m = _mm_loadu_si128(reinterpret_cast<const __m128i*>(meta + (size_t) g * 16));
    _mm256_store_si256(ctrl + 2 * g, _mm256_permutevar8x32_epi32(table, _mm256_cvtepu8_epi32(m)));
    _mm256_store_si256(ctrl + 2 * g + 1, _mm256_permutevar8x32_epi32(table, _mm256_cvtepu8_epi32(_mm_srli_si128(m, 8))));
  }
}

template <int MR, bool GL, bool U>
WHITTLE_Q8_INLINE void microtile(const whittle_q8_gemm_params* p, const int16_t* a, int32_t a_stride,
                                 const int16_t* w, const __m256i* ctrl, int32_t groups, int32_t n, int32_t nc,
                                 uint8_t* out, int32_t out_stride) {
  const int32_t* cnst = whittle_q8::channel_array(p, WHITTLE_Q8_CH_CONST) + n;
  const __m256i c0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(cnst));
  const __m256i c1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(cnst + 8));
  __m256i acc0[MR], acc1[MR];
  _Pragma("GCC unroll 8") for (int r = 0; r < MR; r++) {
    acc0[r] = c0;
    acc1[r] = c1;
  }
  if (MR == 4) {
    // In asm for the reason the dense kernel gives: 8 accumulators + 2 weight + 2 control
    // registers + 2 temporaries = 14 ymm, which GCC otherwise spills inside the loop.
    const int16_t* a0 = a;
    const int16_t* a1 = a + a_stride;
    const int16_t* a2 = a + 2 * (size_t) a_stride;
    const int16_t* a3 = a + 3 * (size_t) a_stride;
    // Weights and controls advance 64 bytes per group, the activations 8: one index i for all
    // (scale 8), and the six temporaries as clobbered registers (GCC allows 30 operands).
    intptr_t i = 0;
    const intptr_t end = (intptr_t) groups * 8;
    __asm__ volatile(
        "1:\n\t"
        "vmovdqa (%[w],%[i],8), %%ymm10\n\t"
        "vmovdqa 32(%[w],%[i],8), %%ymm11\n\t"
        "vmovdqa (%[c],%[i],8), %%ymm12\n\t"
        "vmovdqa 32(%[c],%[i],8), %%ymm13\n\t"
        "vpbroadcastq (%[a0],%[i]), %%ymm14\n\t"
        "vpshufb %%ymm12, %%ymm14, %%ymm15\n\t"
        "vpshufb %%ymm13, %%ymm14, %%ymm14\n\t"
        "vpmaddwd %%ymm10, %%ymm15, %%ymm15\n\t"
        "vpmaddwd %%ymm11, %%ymm14, %%ymm14\n\t"
        "vpaddd %%ymm15, %[c00], %[c00]\n\t"
        "vpaddd %%ymm14, %[c01], %[c01]\n\t"
        "vpbroadcastq (%[a1],%[i]), %%ymm14\n\t"
        "vpshufb %%ymm12, %%ymm14, %%ymm15\n\t"
        "vpshufb %%ymm13, %%ymm14, %%ymm14\n\t"
        "vpmaddwd %%ymm10, %%ymm15, %%ymm15\n\t"
        "vpmaddwd %%ymm11, %%ymm14, %%ymm14\n\t"
        "vpaddd %%ymm15, %[c10], %[c10]\n\t"
        "vpaddd %%ymm14, %[c11], %[c11]\n\t"
        "vpbroadcastq (%[a2],%[i]), %%ymm14\n\t"
        "vpshufb %%ymm12, %%ymm14, %%ymm15\n\t"
        "vpshufb %%ymm13, %%ymm14, %%ymm14\n\t"
        "vpmaddwd %%ymm10, %%ymm15, %%ymm15\n\t"
        "vpmaddwd %%ymm11, %%ymm14, %%ymm14\n\t"
        "vpaddd %%ymm15, %[c20], %[c20]\n\t"
        "vpaddd %%ymm14, %[c21], %[c21]\n\t"
        "vpbroadcastq (%[a3],%[i]), %%ymm14\n\t"
        "vpshufb %%ymm12, %%ymm14, %%ymm15\n\t"
        "vpshufb %%ymm13, %%ymm14, %%ymm14\n\t"
        "vpmaddwd %%ymm10, %%ymm15, %%ymm15\n\t"
        "vpmaddwd %%ymm11, %%ymm14, %%ymm14\n\t"
        "vpaddd %%ymm15, %[c30], %[c30]\n\t"
        "vpaddd %%ymm14, %[c31], %[c31]\n\t"
        "add $8, %[i]\n\t"
        "cmp %[end], %[i]\n\t"
        "jne 1b\n\t"
        : [c00] "+x"(acc0[0]), [c01] "+x"(acc1[0]), [c10] "+x"(acc0[1 % MR]), [c11] "+x"(acc1[1 % MR]),
          [c20] "+x"(acc0[2 % MR]), [c21] "+x"(acc1[2 % MR]), [c30] "+x"(acc0[3 % MR]), [c31] "+x"(acc1[3 % MR]),
          [i] "+r"(i)
        : [a0] "r"(a0), [a1] "r"(a1), [a2] "r"(a2), [a3] "r"(a3), [w] "r"(w), [c] "r"(ctrl), [end] "r"(end)
        : "cc", "memory", "xmm10", "xmm11", "xmm12", "xmm13", "xmm14", "xmm15");
  } else {
    for (int32_t g = 0; g < groups; g++) {
      const __m256i w0 = _mm256_load_si256(reinterpret_cast<const __m256i*>(w));
      const __m256i w1 = _mm256_load_si256(reinterpret_cast<const __m256i*>(w + 16));
      const __m256i k0 = _mm256_load_si256(ctrl);
      const __m256i k1 = _mm256_load_si256(ctrl + 1);
      w += 32;
      ctrl += 2;
      _Pragma("GCC unroll 8") for (int r = 0; r < MR; r++) {
        int64_t quad;
        memcpy(&quad, a + (size_t) r * a_stride + 4 * g, 8);
        const __m256i x = _mm256_set1_epi64x(quad);
        acc0[r] = _mm256_add_epi32(acc0[r], _mm256_madd_epi16(_mm256_shuffle_epi8(x, k0), w0));
        acc1[r] = _mm256_add_epi32(acc1[r], _mm256_madd_epi16(_mm256_shuffle_epi8(x, k1), w1));
      }
    }
  }
  const Requant r0 = load_requant(p, n);
  const Requant r1 = load_requant(p, n + 8);
  const __m256i off = _mm256_set1_epi32(p->output_offset);
  const __m256i lo = _mm256_set1_epi32(p->act_min);
  const __m256i hi = _mm256_set1_epi32(p->act_max);
  const bool hl = p->has_left_shift != 0;
  _Pragma("GCC unroll 8") for (int r = 0; r < MR; r++) {
    const __m128i bytes = narrow(requantize(acc0[r], r0, hl, GL, off, lo, hi), requantize(acc1[r], r1, hl, GL, off, lo, hi), U);
    uint8_t* dst = out + (size_t) r * out_stride;
    if (nc == kNR) {
      _mm_storeu_si128(reinterpret_cast<__m128i*>(dst), bytes);
    } else {
      alignas(16) uint8_t tmp[16];
      _mm_store_si128(reinterpret_cast<__m128i*>(tmp), bytes);
      memcpy(dst, tmp, (size_t) nc);
    }
  }
}

// Fewer than 4 pixels in the block (a FULLY_CONNECTED at batch 1..3): vpshufb controls would
// be used once per panel, so they are not expanded; instead each pixel's group gets its 6
// possible pairs once (pairs[g] = vpshufb(quad, all 6 controls), 32 bytes, shared by every
// panel), and each channel lane picks its pair with one vpermd indexed by its pattern byte
// (vpmovzxbd): per 8 channels and group vpermd + vpmaddwd + vpaddd, one op fewer than
// building the control (vpmovzxbd + vpermd + vpshufb) and no stores (measured on FC 1280 ->
// 1001: through scratch 0.75x of dense, controls in registers 1.25-1.30x, this 1.26-1.31x;
// kernels/README.md).
static inline void build_pairs(const int16_t* row, int32_t groups, __m256i* pairs) {
  const __m256i table = _mm256_load_si256(reinterpret_cast<const __m256i*>(kControls));
  for (int32_t g = 0; g < groups; g++) {
    int64_t quad;
    memcpy(&quad, row + 4 * g, 8);
    _mm256_store_si256(pairs + g, _mm256_shuffle_epi8(_mm256_set1_epi64x(quad), table));
  }
}

template <int MR, bool GL, bool U>
WHITTLE_Q8_INLINE void microtile_few(const whittle_q8_gemm_params* p, const __m256i* pairs, int32_t groups,
                                     const int16_t* w, const uint8_t* meta, int32_t n, int32_t nc, uint8_t* out,
                                     int32_t out_stride) {
  const int32_t* cnst = whittle_q8::channel_array(p, WHITTLE_Q8_CH_CONST) + n;
  const __m256i c0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(cnst));
  const __m256i c1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(cnst + 8));
  __m256i acc0[MR], acc1[MR];
  _Pragma("GCC unroll 8") for (int r = 0; r < MR; r++) {
    acc0[r] = c0;
    acc1[r] = c1;
  }
  for (int32_t g = 0; g < groups; g++) {
    const __m256i w0 = _mm256_load_si256(reinterpret_cast<const __m256i*>(w));
    const __m256i w1 = _mm256_load_si256(reinterpret_cast<const __m256i*>(w + 16));
    const __m256i i0 = _mm256_cvtepu8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(meta)));
    const __m256i i1 = _mm256_cvtepu8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(meta + 8)));
    w += 32;
    meta += 16;
    _Pragma("GCC unroll 8") for (int r = 0; r < MR; r++) {
      const __m256i x = _mm256_load_si256(pairs + (size_t) r * groups + g);
      acc0[r] = _mm256_add_epi32(acc0[r], _mm256_madd_epi16(_mm256_permutevar8x32_epi32(x, i0), w0));
      acc1[r] = _mm256_add_epi32(acc1[r], _mm256_madd_epi16(_mm256_permutevar8x32_epi32(x, i1), w1));
    }
  }
  const Requant r0 = load_requant(p, n);
  const Requant r1 = load_requant(p, n + 8);
  const __m256i off = _mm256_set1_epi32(p->output_offset);
  const __m256i lo = _mm256_set1_epi32(p->act_min);
  const __m256i hi = _mm256_set1_epi32(p->act_max);
  const bool hl = p->has_left_shift != 0;
  _Pragma("GCC unroll 8") for (int r = 0; r < MR; r++) {
    const __m128i bytes = narrow(requantize(acc0[r], r0, hl, GL, off, lo, hi), requantize(acc1[r], r1, hl, GL, off, lo, hi), U);
    uint8_t* dst = out + (size_t) r * out_stride;
    if (nc == kNR) {
      _mm_storeu_si128(reinterpret_cast<__m128i*>(dst), bytes);
    } else {
      alignas(16) uint8_t tmp[16];
      _mm_store_si128(reinterpret_cast<__m128i*>(tmp), bytes);
      memcpy(dst, tmp, (size_t) nc);
    }
  }
}

// ---- Lanes = pixels: tiles of 8 * P pixels (P = 1..3 vectors of 8) x 4 channels ----------
//
// Each group's 6 possible activation pairs are built once per tile of pixels (shared by every
// output channel): pairs[g][j][pattern] is one ymm holding, for the 8 pixels of vector j, the
// int16 pair (x[4g + a], x[4g + b]) of that pattern. A channel's group is then one vpmaddwd of
// its broadcast kept weights (w_a, w_b) with the pair vector its pattern selects, the pattern
// as an address offset (a scalar load and mask: the byte holds id | id << 5, id << 5 is the
// offset): the gather moves from the vector ALU to the load ports. Per group and 4 channels x 24 pixels: one vbroadcasti128
// of the 4 channels' kept pairs, 4 vpshufd, 12 vpmaddwd (with their pair vector as the memory
// operand) and 12 vpaddd: 28 vector ALU ops and 13 vector loads for 384 dense-equivalent MACs,
// where the dense kernel issues 48 ALU ops (24 vpmaddwd + 24 vpaddd). K is walked in chunks
// of kChunkGroups groups, so the chunk's pair vectors (576 bytes per group) stay in L1 while
// every channel block passes over them; the int32 sums of the tile wait in scratch between
// chunks. The output pass transposes 8 pixels x 8 channels of sums (the dense kernel's lane
// order: channels) and runs the dense kernel's requantization and stores unchanged.
constexpr int kC = 4;                // channels per block: one vbroadcasti128 of their kept pairs
constexpr int kMaxP = 3;             // pixel vectors per tile: 4 x 3 accumulators + 4 temporaries
constexpr int kPairVectorBytes = 32; // one pattern's pair vector (8 pixels x 2 int16)
constexpr int kGroupVectorBytes = 6 * kPairVectorBytes;  // one pixel vector's 6 patterns of a group
constexpr int kChunkGroups = 32;     // 32 groups x 576 bytes = 18 KB of pair vectors per K chunk

// vpshufb controls: pattern (a, b) -> per dword of 4 activation bytes, the int16 pair (x_a, x_b):
// zero-extended ([a, -, b, -]) for uint8, or in the high bytes ([-, a, -, b]) for int8, then
// vpsraw 8 sign-extends them.
WHITTLE_Q8_INLINE __m256i pair_control(int a, int b, bool is_unsigned) {
  int32_t c[4];
  for (int d = 0; d < 4; d++) {
    const int32_t xa = 4 * d + a, xb = 4 * d + b;
    c[d] = is_unsigned ? (int32_t) (xa | 0x8000 | xb << 16 | 0x80000000u) : (int32_t) (0x80 | xa << 8 | 0x800000 | xb << 24);
  }
  return _mm256_setr_epi32(c[0], c[1], c[2], c[3], c[0], c[1], c[2], c[3]);
}

// Pixels [m, m + valid) of the tile (8 * P rows; rows past valid repeat row 0, their sums are
// never stored) -> pairs: per group g, pixel vector j and pattern, 8 pixels' (x_a, x_b) int16
// at pairs + (g * P + j) * 192 + pattern * 32. Rows are read in place (1x1, stride 1; see
// below) or staged in raw (8 * P rows of kq = K rounded up to 16 bytes, zero padded).
// Per 4 groups and 8 pixels: 4 row loads pairs (vinserti128), a 4x4 dword transpose per lane
// (8 unpacks) puts each group's 4 bytes of pixel i in dword i, then one vpshufb per pattern.
// (noinline, as store_tile: one call per tile, and perf then shows the build / multiply-add /
// output split of the kernel's time.)
template <int P, bool U>
__attribute__((noinline)) static void pack_pairs(const whittle_q8_gemm_params* p, const uint8_t* input,
                                                 const uint8_t* input_end, bool direct, int32_t m, int32_t valid,
                                                 int32_t kq, uint8_t* raw, uint8_t* pairs) {
  const int32_t k = p->k;
  const uint8_t* rows[8 * P];
  whittle_q8::Pixel px = whittle_q8::pixel_at(p, m);
  // Rows are read in place, kq bytes from the pixel's first: with K % 16 != 0 (K = 24) the
  // bytes past K are the next pixel's, which land in groups past K / 4 that no block reads; a
  // row whose kq bytes would pass the input's end is staged (a memcpy + memset per row cost
  // ~10% at 56x56x24x144).
  const size_t in_bytes = (size_t) (input_end - input);
  for (int32_t r = 0; r < 8 * P; r++) {
    if (r >= valid) {
      rows[r] = rows[0];
      continue;
    }
    if (direct && (size_t) px.m * k + kq <= in_bytes) {
      rows[r] = input + (size_t) px.m * k;
    } else {
      uint8_t* row = raw + (size_t) r * kq;
      if (direct) {
        memcpy(row, input + (size_t) px.m * k, (size_t) k);
      } else {
        whittle_q8::gather_bytes(p, input, input_end, false, px, row);
      }
      memset(row + k, 0, (size_t) (kq - k));
      rows[r] = row;
    }
    whittle_q8::next_pixel(p, &px);
  }
  const __m256i s0 = pair_control(0, 1, U), s1 = pair_control(0, 2, U), s2 = pair_control(0, 3, U);
  const __m256i s3 = pair_control(1, 2, U), s4 = pair_control(1, 3, U), s5 = pair_control(2, 3, U);
  for (int32_t c = 0; c < kq; c += 16) {
    _Pragma("GCC unroll 3") for (int j = 0; j < P; j++) {
      const uint8_t* const* rj = rows + 8 * j;
      __m256i r[4];
      _Pragma("GCC unroll 4") for (int i = 0; i < 4; i++) {
        r[i] = _mm256_inserti128_si256(
            _mm256_castsi128_si256(_mm_loadu_si128(reinterpret_cast<const __m128i*>(rj[i] + c))),
            _mm_loadu_si128(reinterpret_cast<const __m128i*>(rj[i + 4] + c)), 1);
      }
      const __m256i t0 = _mm256_unpacklo_epi32(r[0], r[1]), t1 = _mm256_unpackhi_epi32(r[0], r[1]);
      const __m256i t2 = _mm256_unpacklo_epi32(r[2], r[3]), t3 = _mm256_unpackhi_epi32(r[2], r[3]);
      // q[h]: group c / 4 + h, dword i = pixel i's 4 bytes (lane 0 pixels 0..3, lane 1 4..7)
      const __m256i q[4] = {_mm256_unpacklo_epi64(t0, t2), _mm256_unpackhi_epi64(t0, t2),
                            _mm256_unpacklo_epi64(t1, t3), _mm256_unpackhi_epi64(t1, t3)};
      _Pragma("GCC unroll 4") for (int h = 0; h < 4; h++) {
        __m256i* dst = reinterpret_cast<__m256i*>(pairs + ((size_t) (c / 4 + h) * P + j) * kGroupVectorBytes);
        auto put = [&](int at, __m256i control) {
          const __m256i v = _mm256_shuffle_epi8(q[h], control);
          _mm256_store_si256(dst + at, U ? v : _mm256_srai_epi16(v, 8));
        };
        put(0, s0);
        put(1, s1);
        put(2, s2);
        put(3, s3);
        put(4, s4);
        put(5, s5);
      }
    }
  }
}

// Channels n..n+3 over groups [g0, g0 + count) of the tile: acc[(j * 4 + c)] (8 pixels of
// vector j, channel c) from cnst (first chunk) or from acc, back into acc. w / meta: the
// channels' kept pairs and pattern bytes at group g0 (stride 64 / 16 bytes: the 16-channel
// panel layout shared with the lanes = channels path).
template <int P>
WHITTLE_Q8_INLINE void block(const int16_t* w, const uint8_t* meta, const uint8_t* x, int32_t count, __m256i* acc,
                             const int32_t* cnst) {
  if (P == 3) {
    // In asm, the accumulators started (from cnst, or loaded from acc) and stored inside it
    // (ymm0..11: channel c, vector j in ymm(4j + c)): 12 accumulators + the 4 channels' pairs +
    // one broadcast + 2 products = 16 ymm, which GCC would spill; the pattern bytes become
    // offsets on the integer pipes.
    const uint8_t* end = x + (size_t) count * 3 * kGroupVectorBytes;
    intptr_t i = 0;  // meta + i, w + 4 i: 16 and 64 bytes per group
#define WHITTLE_SP24_CHANNEL(sel, t, a0, a1, a2)             \
  "vpshufd $" #sel ", %%ymm12, %%ymm13\n\t"                   \
  "vpmaddwd (%[x],%%" #t "), %%ymm13, %%ymm14\n\t"           \
  "vpmaddwd 192(%[x],%%" #t "), %%ymm13, %%ymm15\n\t"        \
  "vpaddd %%ymm14, %%" #a0 ", %%" #a0 "\n\t"                 \
  "vpaddd %%ymm15, %%" #a1 ", %%" #a1 "\n\t"                 \
  "vpmaddwd 384(%[x],%%" #t "), %%ymm13, %%ymm14\n\t"        \
  "vpaddd %%ymm14, %%" #a2 ", %%" #a2 "\n\t"
    __asm__ volatile(
        "test %[cnst], %[cnst]\n\t"
        "jz 2f\n\t"
        "vpbroadcastd 0(%[cnst]), %%ymm0\n\t"
        "vpbroadcastd 4(%[cnst]), %%ymm1\n\t"
        "vpbroadcastd 8(%[cnst]), %%ymm2\n\t"
        "vpbroadcastd 12(%[cnst]), %%ymm3\n\t"
        "vmovdqa %%ymm0, %%ymm4\n\t"
        "vmovdqa %%ymm1, %%ymm5\n\t"
        "vmovdqa %%ymm2, %%ymm6\n\t"
        "vmovdqa %%ymm3, %%ymm7\n\t"
        "vmovdqa %%ymm0, %%ymm8\n\t"
        "vmovdqa %%ymm1, %%ymm9\n\t"
        "vmovdqa %%ymm2, %%ymm10\n\t"
        "vmovdqa %%ymm3, %%ymm11\n\t"
        "jmp 1f\n\t"
        "2:\n\t"
        "vmovdqu 0(%[acc]), %%ymm0\n\t"
        "vmovdqu 32(%[acc]), %%ymm1\n\t"
        "vmovdqu 64(%[acc]), %%ymm2\n\t"
        "vmovdqu 96(%[acc]), %%ymm3\n\t"
        "vmovdqu 128(%[acc]), %%ymm4\n\t"
        "vmovdqu 160(%[acc]), %%ymm5\n\t"
        "vmovdqu 192(%[acc]), %%ymm6\n\t"
        "vmovdqu 224(%[acc]), %%ymm7\n\t"
        "vmovdqu 256(%[acc]), %%ymm8\n\t"
        "vmovdqu 288(%[acc]), %%ymm9\n\t"
        "vmovdqu 320(%[acc]), %%ymm10\n\t"
        "vmovdqu 352(%[acc]), %%ymm11\n\t"
        "1:\n\t"
        "vbroadcasti128 (%[w],%[i],4), %%ymm12\n\t"
        "movzbl (%[m],%[i]), %%eax\n\t"
        "movzbl 1(%[m],%[i]), %%edx\n\t"
        "and $0xE0, %%eax\n\t"
        "and $0xE0, %%edx\n\t"
        WHITTLE_SP24_CHANNEL(0x00, rax, ymm0, ymm4, ymm8)
        WHITTLE_SP24_CHANNEL(0x55, rdx, ymm1, ymm5, ymm9)
        "movzbl 2(%[m],%[i]), %%eax\n\t"
        "movzbl 3(%[m],%[i]), %%edx\n\t"
        "and $0xE0, %%eax\n\t"
        "and $0xE0, %%edx\n\t"
        WHITTLE_SP24_CHANNEL(0xAA, rax, ymm2, ymm6, ymm10)
        WHITTLE_SP24_CHANNEL(0xFF, rdx, ymm3, ymm7, ymm11)
        "add $16, %[i]\n\t"
        "add $576, %[x]\n\t"
        "cmp %[end], %[x]\n\t"
        "jne 1b\n\t"
        "vmovdqu %%ymm0, 0(%[acc])\n\t"
        "vmovdqu %%ymm1, 32(%[acc])\n\t"
        "vmovdqu %%ymm2, 64(%[acc])\n\t"
        "vmovdqu %%ymm3, 96(%[acc])\n\t"
        "vmovdqu %%ymm4, 128(%[acc])\n\t"
        "vmovdqu %%ymm5, 160(%[acc])\n\t"
        "vmovdqu %%ymm6, 192(%[acc])\n\t"
        "vmovdqu %%ymm7, 224(%[acc])\n\t"
        "vmovdqu %%ymm8, 256(%[acc])\n\t"
        "vmovdqu %%ymm9, 288(%[acc])\n\t"
        "vmovdqu %%ymm10, 320(%[acc])\n\t"
        "vmovdqu %%ymm11, 352(%[acc])\n\t"
        : [x] "+r"(x), [i] "+r"(i)
        : [w] "r"(w), [m] "r"(meta), [end] "r"(end), [acc] "r"(acc), [cnst] "r"(cnst)
        : "cc", "memory", "rax", "rdx", "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8",
          "xmm9", "xmm10", "xmm11", "xmm12", "xmm13", "xmm14", "xmm15");
#undef WHITTLE_SP24_CHANNEL
  } else {
    __m256i a[P * kC];
    _Pragma("GCC unroll 8") for (int j = 0; j < P; j++) {
      _Pragma("GCC unroll 4") for (int c = 0; c < kC; c++) {
        a[j * kC + c] = cnst != nullptr ? _mm256_set1_epi32(cnst[c]) : acc[j * kC + c];
      }
    }
    for (int32_t g = 0; g < count; g++) {
      const __m256i wp = _mm256_broadcastsi128_si256(_mm_loadu_si128(reinterpret_cast<const __m128i*>(w)));
      const __m256i wc[4] = {_mm256_shuffle_epi32(wp, 0x00), _mm256_shuffle_epi32(wp, 0x55),
                             _mm256_shuffle_epi32(wp, 0xAA), _mm256_shuffle_epi32(wp, 0xFF)};
      _Pragma("GCC unroll 4") for (int c = 0; c < kC; c++) {
        const uint8_t* src = x + (meta[c] & 0xE0);
        _Pragma("GCC unroll 8") for (int j = 0; j < P; j++) {
          const __m256i v = _mm256_load_si256(reinterpret_cast<const __m256i*>(src + j * kGroupVectorBytes));
          a[j * kC + c] = _mm256_add_epi32(a[j * kC + c], _mm256_madd_epi16(wc[c], v));
        }
      }
      w += 32;
      meta += 16;
      x += P * kGroupVectorBytes;
    }
    _Pragma("GCC unroll 8") for (int i = 0; i < P * kC; i++) {
      acc[i] = a[i];
    }
  }
}

// ---- Output stage of the tiles, pixels in lanes ---------------------------------------------
//
// The sums come out of the blocks with 8 pixels of one channel per vector. The dense kernel's
// output stage wants channels in lanes, which cost an 8x8 int32 transpose per 64 outputs (24
// shuffles) and then a narrow per 16 (4 shuffles) and a clamp per 8 (2 ops). Here each vector
// is requantized as it is, the channel's constants broadcast (loads, not ALU ops), and the
// transpose happens on bytes: 4 channels' vectors -> 2 vpackssdw + 1 vpackuswb/vpacksswb + 1
// vpshufb (each dword one pixel's 4 channels), the clamp as vpmaxub/vpminub (vpmaxsb/vpminsb)
// on 32 bytes at once, then a 4x4 dword transpose of the 4 quads (8 unpacks) leaves each
// pixel's 16 channel bytes in one 128-bit lane: per 128 outputs 28 shuffle/clamp ops (before:
// 88). The requantization itself is the dense kernel's integer algebra, op for op
// (q8_requant_avx2.h requantize, without its int32 clamp: the saturating packs then the byte
// clamp to the clamped bounds give the same bytes as clamping in int32 then packing, both
// being monotone clamps).

// The per-channel arrays of the output stage at the first channel of a 16-channel step: each
// value is then one vpbroadcastd from base + constant offset (recomputing channel_array per
// channel cost ~10 scalar instructions per 8 outputs).
struct ChannelStage {
  const int32_t *mult, *left, *right, *mask, *half, *nudge, *sat, *ovf;
};

WHITTLE_Q8_INLINE ChannelStage channel_stage(const whittle_q8_gemm_params* p, int32_t n) {
  using whittle_q8::channel_array;
  return {channel_array(p, WHITTLE_Q8_CH_MULT) + n,  channel_array(p, WHITTLE_Q8_CH_LEFT) + n,
          channel_array(p, WHITTLE_Q8_CH_RIGHT) + n, channel_array(p, WHITTLE_Q8_CH_MASK) + n,
          channel_array(p, WHITTLE_Q8_CH_HALF) + n,  channel_array(p, WHITTLE_Q8_CH_NUDGE) + n,
          channel_array(p, WHITTLE_Q8_CH_SAT) + n,   channel_array(p, WHITTLE_Q8_CH_OVF) + n};
}

// The requantization of channel c of the step broadcast over 8 pixels, up to the output offset:
// the dense kernel's (q8_requant_avx2.h requantize) op for op, its Requant values broadcast.
template <bool GL, bool HL>
WHITTLE_Q8_INLINE __m256i requant_pixels(__m256i x, const ChannelStage& ch, int c, __m256i off) {
  if (HL) {
    x = _mm256_sllv_epi32(x, _mm256_set1_epi32(ch.left[c]));
  }
  // m in every dword: vpmuldq reads the low dword of each qword, so the odd lanes need no shift
  // of the multiplier.
  const __m256i mult = _mm256_set1_epi32(ch.mult[c]);
  const __m256i round = _mm256_set1_epi64x(INT64_C(1) << 30);
  __m256i even = _mm256_mul_epi32(x, mult);
  __m256i odd = _mm256_mul_epi32(_mm256_srli_epi64(x, 32), mult);
  even = _mm256_srli_epi64(_mm256_add_epi64(even, round), 31);
  odd = _mm256_slli_epi64(_mm256_add_epi64(odd, round), 1);
  const __m256i v = _mm256_blend_epi32(even, odd, 0xAA);
  const __m256i right = _mm256_set1_epi32(ch.right[c]);
  __m256i out;
  if (GL) {
    const __m256i rem = _mm256_and_si256(v, _mm256_set1_epi32(ch.mask[c]));
    const __m256i thr =
        _mm256_sub_epi32(_mm256_set1_epi32(ch.half[c]), _mm256_cmpgt_epi32(_mm256_setzero_si256(), v));
    out = _mm256_sub_epi32(_mm256_srav_epi32(v, right), _mm256_cmpgt_epi32(rem, thr));
  } else {
    const __m256i shifted = _mm256_srav_epi32(_mm256_add_epi32(v, _mm256_set1_epi32(ch.nudge[c])), right);
    out = _mm256_blendv_epi8(shifted, _mm256_set1_epi32(ch.sat[c]),
                             _mm256_cmpgt_epi32(v, _mm256_set1_epi32(ch.ovf[c])));
  }
  return _mm256_add_epi32(out, off);
}

// ---- Session 14: gemmlowp's two roundings as one, for layers whose clamp starts at or above
// the output zero point (ReLU / ReLU6 fused: MobileNet v2's expansion layers) ----------------
//
// FixedPoint.multiplyByQuantizedMultiplier (uint8 CONV_2D / FULLY_CONNECTED) is
//   r = RoundingDivideByPOT(v, e),  v = SRDHM(x << left, m) = floor((y + 2^30) / 2^31),
// y = (x << left) * m (SRDHM's truncating division with its sign-dependent nudge is that floor;
// q8_requant_avx2.h), e = right. RoundingDivideByPOT rounds halves away from zero:
//   v >= 0: r = floor((v + 2^(e-1)) / 2^e)          (e = 0: r = v)
//   v <  0: r = floor((v + 2^(e-1) - 1) / 2^e)      (ties go down)
// Nested floor divisions by positive integers with integer addends compose
// (floor((floor(y / a) + c) / b) = floor((y + c a) / (a b))), so with nudge = 2^(e-1) (0 for
// e = 0; the per-channel NUDGE array holds exactly that for both roundings)
//   f = floor((y + 2^30 + nudge * 2^31) / 2^(31 + e))
// equals r for v >= 0 (and for every v when e = 0), and for v < 0 both are <= 0: f is
// floor((v + 2^(e-1)) / 2^e) with v + 2^(e-1) <= 2^(e-1) - 1 < 2^e, and r <= f. The output is
// clamp(r + offset, act_min, act_max); where act_min >= offset, r <= 0 and f <= 0 give
// r + offset <= act_min and f + offset <= act_min, both clamp to act_min: the clamped outputs
// are identical for every x. f is ruy's folded rounding (the dense kernel's RuyFold,
// q8_conv2d_gemm_4x16c2__avx2.cc), computed the same way: 2^62 added so a logical 64-bit shift
// floors (|y| < 2^62; 2^62 is a multiple of 2^(31 + e), the extra 2^(31 - e) of the quotient
// is taken off the output offset, int32 wrapping), the odd lanes' quotient shifted straight
// into the high dword (s - 32) when e >= 1. 9 ops per 8 outputs against 15 (requant_pixels).
// Here it is used when every channel of the call has the same multiplier and shifts (uint8
// layers are per-tensor), so the constants are registers for the whole call. The dense kernel
// takes the same fold for its full 16-channel panels (microtile_ruy), so ratios stay fair.
// Linear gemmlowp layers (the projections: act_min below the output offset) take the same fold
// with q8_requant_fast_avx2.h's sign-dependent constant (cn = c - 2^31 where the 64-bit product
// is negative, one vblendvpd; proof there): fix. The dense kernel folds those too (session 14).
// The constants are q8_requant_fast_avx2.h's one-channel broadcast (the sparse kernels' form).
struct UniformFold {
  whittle_q8_fast_avx2::FoldBroadcast b;
  bool odd_hi, fix;
};

// Whether the call [n0, n1) can use the fold: one multiplier / left / right for all its
// channels (int8 per-tensor and uint8 layers; the dense kernel folds every full panel).
static bool uniform_fold(const whittle_q8_gemm_params* p, int32_t n0, int32_t n1, UniformFold* f) {
  using whittle_q8::channel_array;
  // ruy's rounding (int8) is this fold exactly for every x (the dense kernel's RuyFold), gemmlowp's
  // where the clamp starts at or above the output offset, else with the sign-dependent constant.
  if (n1 <= n0) {
    return false;
  }
  const int32_t* mult = channel_array(p, WHITTLE_Q8_CH_MULT);
  const int32_t* left = channel_array(p, WHITTLE_Q8_CH_LEFT);
  const int32_t* right = channel_array(p, WHITTLE_Q8_CH_RIGHT);
  const int32_t* nudge = channel_array(p, WHITTLE_Q8_CH_NUDGE);
  for (int32_t n = n0 + 1; n < n1; n++) {
    if (mult[n] != mult[n0] || left[n] != left[n0] || right[n] != right[n0] || nudge[n] != nudge[n0]) {
      return false;
    }
  }
  const int32_t e = right[n0];
  if (e < 0 || e > 31 || left[n0] < 0 || left[n0] > 31 || mult[n0] < 0) {
    return false;
  }
  f->b = whittle_q8_fast_avx2::fold_broadcast(p, n0, p->gemmlowp != 0);
  f->fix = p->gemmlowp != 0 && !whittle_q8_fast_avx2::relu_folds(p) && e >= 1;
  f->odd_hi = e >= 1;
  return true;
}

// floor-folded requantization of 8 pixels (any channel of the call) + output offset, unclamped;
// FIX: with the sign-dependent constant (linear gemmlowp layers).
template <bool HL, bool FIX>
WHITTLE_Q8_INLINE __m256i requant_fold(__m256i x, const UniformFold& f) {
  using whittle_q8_fast_avx2::requantize_broadcast;
  return f.odd_hi ? requantize_broadcast<HL, FIX, true>(x, f.b) : requantize_broadcast<HL, FIX, false>(x, f.b);
}

// The same fold with per-channel constants (int8 per-channel layers, qs8_qc8w), built per
// 16-channel step of the output pass into a small table read by broadcast loads (load ports,
// not vector ALU ops); the odd lanes take the two-shift form (any right shift): 10 ops per 8.
struct FoldEntry {
  int64_t c, s, left;
  int32_t mult, off;
};

// Whether every channel of [n0, n1) can take the per-channel fold (as uniform_fold, without
// the one-multiplier condition).
static bool channel_fold(const whittle_q8_gemm_params* p, int32_t n0, int32_t n1) {
  using whittle_q8::channel_array;
  if ((p->gemmlowp != 0 && p->act_min < p->output_offset) || n1 <= n0) {
    return false;
  }
  const int32_t* mult = channel_array(p, WHITTLE_Q8_CH_MULT);
  const int32_t* left = channel_array(p, WHITTLE_Q8_CH_LEFT);
  const int32_t* right = channel_array(p, WHITTLE_Q8_CH_RIGHT);
  for (int32_t n = n0; n < n1; n++) {
    if (right[n] < 0 || right[n] > 31 || left[n] < 0 || left[n] > 31 || mult[n] < 0) {
      return false;
    }
  }
  return true;
}

WHITTLE_Q8_INLINE void fold_entries(const whittle_q8_gemm_params* p, int32_t n, FoldEntry* e) {
  using whittle_q8::channel_array;
  const int32_t* mult = channel_array(p, WHITTLE_Q8_CH_MULT) + n;
  const int32_t* left = channel_array(p, WHITTLE_Q8_CH_LEFT) + n;
  const int32_t* right = channel_array(p, WHITTLE_Q8_CH_RIGHT) + n;
  const int32_t* nudge = channel_array(p, WHITTLE_Q8_CH_NUDGE) + n;
  for (int c = 0; c < 16; c++) {
    // padding channels past np / out_c: their sums are dropped; keep the shifts in range
    const int32_t r = right[c] & 31;
    e[c].c = (INT64_C(1) << 62) + (INT64_C(1) << 30) + ((int64_t) nudge[c] << 31);
    e[c].s = 31 + r;
    e[c].left = left[c] & 31;
    e[c].mult = mult[c];
    e[c].off = (int32_t) ((uint32_t) p->output_offset - (UINT32_C(1) << (31 - r)));
  }
}

template <bool HL>
WHITTLE_Q8_INLINE __m256i requant_fold_entry(__m256i x, const FoldEntry& f) {
  if (HL) {
    x = _mm256_sll_epi32(x, _mm_loadl_epi64(reinterpret_cast<const __m128i*>(&f.left)));
  }
  const __m256i mult = _mm256_set1_epi32(f.mult);
  const __m256i c = _mm256_set1_epi64x(f.c);
  const __m128i sh = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(&f.s));
  __m256i e = _mm256_add_epi64(_mm256_mul_epi32(x, mult), c);
  __m256i o = _mm256_add_epi64(_mm256_mul_epi32(_mm256_srli_epi64(x, 32), mult), c);
  e = _mm256_srl_epi64(e, sh);
  o = _mm256_slli_epi64(_mm256_srl_epi64(o, sh), 32);
  return _mm256_add_epi32(_mm256_blend_epi32(e, o, 0xAA), _mm256_set1_epi32(f.off));
}

// Sums of the tile's pixels [m, m + valid) x channels [n0, n1) (sums[(block * P + j) * 4 + c]:
// channel n0 + 4 * block + c, pixels 8j..8j+7) -> output bytes.
// FOLD: 0 the two-step requantization, 1 the uniform fold, 2 the per-channel fold, 3 the uniform
// fold with the sign-dependent constant.
template <int P, bool GL, bool U, bool HL, int FOLD>
static void store_tile_t(const whittle_q8_gemm_params* p, const __m256i* sums, uint8_t* output, int32_t m,
                         int32_t valid, int32_t n0, int32_t n1, const UniformFold& fold) {
  const int32_t n_total = p->out_c;
  const __m256i off = _mm256_set1_epi32(p->output_offset);
  const int32_t bmin = U ? 0 : -128, bmax = U ? 255 : 127;
  auto clampi = [](int32_t v, int32_t a, int32_t b) { return v < a ? a : v > b ? b : v; };
  const __m256i lo = _mm256_set1_epi8((char) clampi(p->act_min, bmin, bmax));
  const __m256i hi = _mm256_set1_epi8((char) clampi(p->act_max, bmin, bmax));
  // per lane: pixel i's bytes of channels 0..3 (packed as channel-major runs of 4 pixels)
  const __m256i gather = _mm256_setr_epi8(0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15, 0, 4, 8, 12, 1, 5,
                                          9, 13, 2, 6, 10, 14, 3, 7, 11, 15);
  for (int32_t n = n0; n < n1; n += 16) {
    const int32_t nc = n_total - n < 16 ? n_total - n : 16;
    const __m256i* s = sums + (size_t) ((n - n0) / kC) * P * kC;
    const ChannelStage ch = channel_stage(p, n);
    alignas(16) FoldEntry tab[FOLD == 2 ? 16 : 1];
    if (FOLD == 2) {
      fold_entries(p, n, tab);
    }
    // A last step of <= 8 channels (N = 24: 56x56x144x24) requantizes 2 quads, not 4: the
    // sums of channels past the block rounding are never read (session 8; kernels/README.md).
    const int nq = nc <= 8 ? 2 : 4;
    for (int j = 0; j < P && 8 * j < valid; j++) {
      __m256i quad[4] = {_mm256_setzero_si256(), _mm256_setzero_si256(), _mm256_setzero_si256(),
                         _mm256_setzero_si256()};
      _Pragma("GCC unroll 4") for (int q = 0; q < 4; q++) {
        if (q >= nq) {
          break;
        }
        const __m256i* sq = s + (size_t) (q * P + j) * kC;
        const __m256i v0 = FOLD == 1 || FOLD == 3 ? requant_fold<HL, FOLD == 3>(sq[0], fold)
                             : FOLD == 2 ? requant_fold_entry<HL>(sq[0], tab[(4 * q + 0) & (FOLD == 2 ? 15 : 0)])
                                         : requant_pixels<GL, HL>(sq[0], ch, 4 * q, off);
        const __m256i v1 = FOLD == 1 || FOLD == 3 ? requant_fold<HL, FOLD == 3>(sq[1], fold)
                             : FOLD == 2 ? requant_fold_entry<HL>(sq[1], tab[(4 * q + 1) & (FOLD == 2 ? 15 : 0)])
                                         : requant_pixels<GL, HL>(sq[1], ch, 4 * q + 1, off);
        const __m256i v2 = FOLD == 1 || FOLD == 3 ? requant_fold<HL, FOLD == 3>(sq[2], fold)
                             : FOLD == 2 ? requant_fold_entry<HL>(sq[2], tab[(4 * q + 2) & (FOLD == 2 ? 15 : 0)])
                                         : requant_pixels<GL, HL>(sq[2], ch, 4 * q + 2, off);
        const __m256i v3 = FOLD == 1 || FOLD == 3 ? requant_fold<HL, FOLD == 3>(sq[3], fold)
                             : FOLD == 2 ? requant_fold_entry<HL>(sq[3], tab[(4 * q + 3) & (FOLD == 2 ? 15 : 0)])
                                         : requant_pixels<GL, HL>(sq[3], ch, 4 * q + 3, off);
        const __m256i w01 = _mm256_packs_epi32(v0, v1);
        const __m256i w23 = _mm256_packs_epi32(v2, v3);
        __m256i b = U ? _mm256_packus_epi16(w01, w23) : _mm256_packs_epi16(w01, w23);
        b = U ? _mm256_min_epu8(_mm256_max_epu8(b, lo), hi) : _mm256_min_epi8(_mm256_max_epi8(b, lo), hi);
        quad[q] = _mm256_shuffle_epi8(b, gather);
      }
      const __m256i t0 = _mm256_unpacklo_epi32(quad[0], quad[1]), t1 = _mm256_unpackhi_epi32(quad[0], quad[1]);
      const __m256i t2 = _mm256_unpacklo_epi32(quad[2], quad[3]), t3 = _mm256_unpackhi_epi32(quad[2], quad[3]);
      // row[i]: pixel 8j + i (low lane) and 8j + 4 + i (high lane), 16 channels each
      const __m256i row[4] = {_mm256_unpacklo_epi64(t0, t2), _mm256_unpackhi_epi64(t0, t2),
                              _mm256_unpacklo_epi64(t1, t3), _mm256_unpackhi_epi64(t1, t3)};
      const int32_t rows = valid - 8 * j < 8 ? valid - 8 * j : 8;
      uint8_t* dst = output + (size_t) (m + 8 * j) * n_total + n;
      if (nc == 16 && rows == 8) {
        _Pragma("GCC unroll 4") for (int i = 0; i < 4; i++) {
          _mm_storeu_si128(reinterpret_cast<__m128i*>(dst + (size_t) i * n_total), _mm256_castsi256_si128(row[i]));
          _mm_storeu_si128(reinterpret_cast<__m128i*>(dst + (size_t) (i + 4) * n_total),
                           _mm256_extracti128_si256(row[i], 1));
        }
      } else if (nc == 8 && rows == 8) {
        _Pragma("GCC unroll 4") for (int i = 0; i < 4; i++) {
          _mm_storel_epi64(reinterpret_cast<__m128i*>(dst + (size_t) i * n_total), _mm256_castsi256_si128(row[i]));
          _mm_storel_epi64(reinterpret_cast<__m128i*>(dst + (size_t) (i + 4) * n_total),
                           _mm256_extracti128_si256(row[i], 1));
        }
      } else {
        alignas(32) uint8_t tmp[4][32];
        _Pragma("GCC unroll 4") for (int i = 0; i < 4; i++) {
          _mm256_store_si256(reinterpret_cast<__m256i*>(tmp[i]), row[i]);
        }
        for (int32_t i = 0; i < rows; i++) {
          memcpy(dst + (size_t) i * n_total, tmp[i & 3] + 16 * (i >> 2), (size_t) nc);
        }
      }
    }
  }
}

// fold: the uniform fold's constants (nullptr: none); per_channel: the per-channel fold.
template <int P, bool GL, bool U>
__attribute__((noinline)) static void store_tile(const whittle_q8_gemm_params* p, const __m256i* sums,
                                                 uint8_t* output, int32_t m, int32_t valid, int32_t n0, int32_t n1,
                                                 const UniformFold* fold, bool per_channel) {
  const bool hl = p->has_left_shift != 0;
  const UniformFold none{};
  if (fold != nullptr && fold->fix) {
    if (hl) {
      store_tile_t<P, GL, U, true, 3>(p, sums, output, m, valid, n0, n1, *fold);
    } else {
      store_tile_t<P, GL, U, false, 3>(p, sums, output, m, valid, n0, n1, *fold);
    }
  } else if (fold != nullptr) {
    if (hl) {
      store_tile_t<P, GL, U, true, 1>(p, sums, output, m, valid, n0, n1, *fold);
    } else {
      store_tile_t<P, GL, U, false, 1>(p, sums, output, m, valid, n0, n1, *fold);
    }
  } else if (per_channel) {
    if (hl) {
      store_tile_t<P, GL, U, true, 2>(p, sums, output, m, valid, n0, n1, none);
    } else {
      store_tile_t<P, GL, U, false, 2>(p, sums, output, m, valid, n0, n1, none);
    }
  } else if (hl) {
    store_tile_t<P, GL, U, true, 0>(p, sums, output, m, valid, n0, n1, none);
  } else {
    store_tile_t<P, GL, U, false, 0>(p, sums, output, m, valid, n0, n1, none);
  }
}

// One tile: pixels [m, m + valid) (valid <= 8 * P) x channels [n0, n1).
template <int P, bool GL, bool U>
static void tile_t(const whittle_q8_gemm_params* p, const uint8_t* input, const uint8_t* input_end, bool direct,
                   uint8_t* output, uint8_t* raw, uint8_t* pairs, __m256i* sums, int32_t kq, int32_t m,
                   int32_t valid, int32_t n0, int32_t n1, const UniformFold* fold, bool per_channel) {
  pack_pairs<P, U>(p, input, input_end, direct, m, valid, kq, raw, pairs);
  const int32_t groups = p->k >> 2;
  // Channel blocks up to n1 rounded to 4 (the panel's padding channels have zero weights; the
  // output pass reads, and drops, the sums of the rest of the last panel).
  const int32_t n_end = (n1 + kC - 1) & ~(kC - 1);
  const int16_t* weights = reinterpret_cast<const int16_t*>(static_cast<uintptr_t>(p->weights));
  const uint8_t* meta = metadata(p);
  const int32_t* cnst = whittle_q8::channel_array(p, WHITTLE_Q8_CH_CONST);
  // Chunks of equal size (K = 144: 18 + 18 groups, not 32 + 4: a short last chunk pays the
  // accumulators' reload and store per channel block for little work; session 8).
  const int32_t chunks = (groups + kChunkGroups - 1) / kChunkGroups;
  const int32_t per_chunk = (groups + chunks - 1) / chunks;
  for (int32_t g0 = 0; g0 < groups; g0 += per_chunk) {
    const int32_t count = groups - g0 < per_chunk ? groups - g0 : per_chunk;
    const uint8_t* x = pairs + (size_t) g0 * P * kGroupVectorBytes;
    for (int32_t n = n0; n < n_end; n += kC) {
      const size_t at = (size_t) (n >> 4) * groups + g0;
      block<P>(weights + at * 32 + (n & 15) * 2, meta + at * 16 + (n & 15), x, count,
               sums + (size_t) ((n - n0) / kC) * P * kC, g0 == 0 ? cnst + n : nullptr);
    }
  }
  store_tile<P, GL, U>(p, sums, output, m, valid, n0, n1, fold, per_channel);
}

template <bool GL, bool U>
static void run_tiles(const whittle_q8_gemm_params* p, const uint8_t* input, uint8_t* output, void* scratch,
                      int32_t m0, int32_t m1, int32_t n0, int32_t n1) {
  // Scratch (Q8Sp24Gemm sizes it): 24 raw rows of kq bytes + slack, then (64-aligned) the
  // tile's pair vectors (kq / 4 groups x 576 bytes), then the int32 sums (np x 24 pixels).
  const int32_t kq = (p->k + 15) & ~15;
  uint8_t* raw = static_cast<uint8_t*>(scratch);
  uint8_t* pairs = reinterpret_cast<uint8_t*>((reinterpret_cast<uintptr_t>(raw + (size_t) 8 * kMaxP * kq + 64) + 63) &
                                              ~(uintptr_t) 63);
  __m256i* sums = reinterpret_cast<__m256i*>(pairs + (size_t) (kq / 4) * kMaxP * kGroupVectorBytes);
  const uint8_t* input_end = input + whittle_q8::input_bytes(p);
  const bool direct = whittle_q8::is_direct(p);
  UniformFold f;
  const UniformFold* fold = uniform_fold(p, n0, n1, &f) ? &f : nullptr;
  const bool per_channel = fold == nullptr && channel_fold(p, n0, n1);
  for (int32_t m = m0; m < m1;) {
    const int32_t rem = m1 - m;
    const int32_t valid = rem < 8 * kMaxP ? rem : 8 * kMaxP;
    if (rem > 16) {
      tile_t<3, GL, U>(p, input, input_end, direct, output, raw, pairs, sums, kq, m, valid, n0, n1, fold, per_channel);
    } else if (rem > 8) {
      tile_t<2, GL, U>(p, input, input_end, direct, output, raw, pairs, sums, kq, m, valid, n0, n1, fold, per_channel);
    } else {
      tile_t<1, GL, U>(p, input, input_end, direct, output, raw, pairs, sums, kq, m, valid, n0, n1, fold, per_channel);
    }
    m += valid;
  }
}

template <bool GL, bool U>
static void run_t(const whittle_q8_gemm_params* p, const uint8_t* input, uint8_t* output, void* scratch, int32_t m0,
                  int32_t m1, int32_t n0, int32_t n1) {
  // Scratch (Q8Sp24Gemm sizes it): the block of widened rows, one staged row of raw bytes with
  // its slack, then (64-aligned) one panel's vpshufb controls.
  int16_t* a = static_cast<int16_t*>(scratch);
  const int32_t kp = p->kp;
  const int32_t k = p->k;
  const int32_t groups = kp >> 2;
  uint8_t* stage = reinterpret_cast<uint8_t*>(a + (size_t) p->mb * kp);
  __m256i* ctrl = reinterpret_cast<__m256i*>((reinterpret_cast<uintptr_t>(stage + kp + 64) + 63) & ~(uintptr_t) 63);
  const uint8_t* input_end = input + whittle_q8::input_bytes(p);
  const bool is_unsigned = p->is_unsigned != 0;
  const int16_t* weights = reinterpret_cast<const int16_t*>(static_cast<uintptr_t>(p->weights));
  const uint8_t* meta = metadata(p);
  const int32_t n_total = p->out_c;
  const bool direct = whittle_q8::is_direct(p);
  for (int32_t mb0 = m0; mb0 < m1; mb0 += p->mb) {
    const int32_t rows = m1 - mb0 < p->mb ? m1 - mb0 : p->mb;
    whittle_q8::Pixel px = whittle_q8::pixel_at(p, mb0);
    for (int32_t r = 0; r < rows; r++, whittle_q8::next_pixel(p, &px)) {
      const uint8_t* bytes = input + (size_t) px.m * k;
      if (!direct) {
        whittle_q8::gather_bytes(p, input, input_end, false, px, stage);
        bytes = stage;
      }
      widen(bytes, a + (size_t) r * kp, k, is_unsigned);
    }
    if (rows < kMR) {
      // (the scratch's control area holds up to 3 rows of pairs: 3 * 32 bytes per group)
      for (int32_t r = 0; r < rows; r++) {
        build_pairs(a + (size_t) r * kp, groups, ctrl + (size_t) r * groups);
      }
    }
    for (int32_t n = n0; n < n1; n += kNR) {
      const int32_t panel_index = n / kNR;
      const int16_t* panel = weights + (size_t) panel_index * groups * 32;
      const uint8_t* panel_meta = meta + (size_t) panel_index * groups * 16;
      const int32_t nc = n_total - n < kNR ? n_total - n : kNR;
      uint8_t* out = output + (size_t) mb0 * n_total + n;
      if (rows < kMR) {
        switch (rows) {
          case 3:
            microtile_few<3, GL, U>(p, ctrl, groups, panel, panel_meta, n, nc, out, n_total);
            break;
          case 2:
            microtile_few<2, GL, U>(p, ctrl, groups, panel, panel_meta, n, nc, out, n_total);
            break;
          default:
            microtile_few<1, GL, U>(p, ctrl, groups, panel, panel_meta, n, nc, out, n_total);
            break;
        }
        continue;
      }
      expand_controls(panel_meta, groups, ctrl);
      int32_t r = 0;
      for (; r + kMR <= rows; r += kMR) {
        microtile<kMR, GL, U>(p, a + (size_t) r * kp, kp, panel, ctrl, groups, n, nc, out + (size_t) r * n_total,
                              n_total);
      }
      switch (rows - r) {
        case 3:
          microtile<3, GL, U>(p, a + (size_t) r * kp, kp, panel, ctrl, groups, n, nc, out + (size_t) r * n_total,
                              n_total);
          break;
        case 2:
          microtile<2, GL, U>(p, a + (size_t) r * kp, kp, panel, ctrl, groups, n, nc, out + (size_t) r * n_total,
                              n_total);
          break;
        case 1:
          microtile<1, GL, U>(p, a + (size_t) r * kp, kp, panel, ctrl, groups, n, nc, out + (size_t) r * n_total,
                              n_total);
          break;
        default:
          break;
      }
    }
  }
}

static void run(const whittle_q8_gemm_params* p, const uint8_t* input, uint8_t* output, void* scratch, int32_t m0,
                int32_t m1, int32_t n0, int32_t n1) {
  // The lanes = pixels tiles for all but a tail of 1..3 pixels (a tile of 8 would compute 5 to 7
  // padding pixels), which the lanes = channels path takes, as it takes calls of fewer than 8.
  const int32_t tail = (m1 - m0) % 8 < 4 ? (m1 - m0) % 8 : 0;
  const bool tiles = p->k >= kTileMinK;
  const int32_t mt = m1 - m0 >= kTilePixels && tiles ? m1 - tail : m0;
  if (mt > m0) {
    WHITTLE_Q8_RUN_GL_U(p, run_tiles, p, input, output, scratch, m0, mt, n0, n1);
  }
  if (m1 > mt) {
    WHITTLE_Q8_RUN_GL_U(p, run_t, p, input, output, scratch, mt, m1, n0, n1);
  }
}

}  // namespace

#define WHITTLE_Q8_SP24_AVX2(name) \
  extern "C" WHITTLE_Q8_GEMM_SIGNATURE(name) { run(params, input, output, scratch, m0, m1, n0, n1); }

WHITTLE_Q8_SP24_AVX2(whittle_qs8_conv2d_sp24_24x4__avx2)
WHITTLE_Q8_SP24_AVX2(whittle_qs8_qc8w_conv2d_sp24_24x4__avx2)
WHITTLE_Q8_SP24_AVX2(whittle_qu8_conv2d_sp24_24x4__avx2)
WHITTLE_Q8_SP24_AVX2(whittle_qs8_fully_connected_sp24_24x4__avx2)
WHITTLE_Q8_SP24_AVX2(whittle_qs8_qc8w_fully_connected_sp24_24x4__avx2)
WHITTLE_Q8_SP24_AVX2(whittle_qu8_fully_connected_sp24_24x4__avx2)
