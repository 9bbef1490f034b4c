// int8/uint8 CONV_2D and FULLY_CONNECTED on blocked unstructured sparse weights, AArch64 NEON
// with DotProd: tiles of 64 (32, 16) output pixels x 1 output channel, K in quads (1x4 blocks),
// sdot by element.
//
// The format: the AVX-512 VNNI tiles' (q8_conv2d_sparse_64x1c4__avx512vnni.cc, whittle/q8_sparse.h),
// byte for byte (Q8SparseGemm.packBlocks, Isa.NEONDOT): per output channel its non-zero 1x4
// blocks along K (an even count), each as the byte offset of its K quad in the packed activation
// tile ((k / 4) * 256) and its four int8 weights in one int32 (a uint8 layer's quad outside int8
// split into 2-3 blocks at the same offset). The activations of a tile are packed per call as
// [kp / 4][64 pixels][4] SIGNED bytes (int8 as they are, uint8 x ^ 0x80 = x - 128: sdot wants
// both sides signed, usdot needs I8MM), so a block is one sdot per 4 pixels,
//
//   acc[4 pixels] += sdot(tile[offset + 16 v], weights of the block (by element))
//
// with the two blocks of a step in the two 32-bit lanes of one 64-bit load (vdotq_lane_s32): per
// 64-pixel tile and block 16 activation loads and 16 sdot (16 MACs each) on 16 accumulators,
// independent chains that cover sdot's latency. Java folds the activation bias into the
// per-channel constant: acc = sum_blocks x_s * w + (bias + (inputOffset - d) * sum_k w_eff),
// d = -128 for uint8, 0 for int8.
//
// Output: per channel its tile of pixels requantized (the dense NEON kernel's output stage,
// broadcast per channel: q8_gemm_4x16c4_neondot.h), staged as [16 channels][64] bytes and
// transposed 16x16 (4 rounds of zip1/zip2, the AVX2 kernel's unpack rounds) into NHWC rows.
//
// Why this one format and not a rows kernel (the VNNI vpermb one): NEON's TBL looks up at most 64
// bytes (4 registers) per instruction, and the 16-byte lanes of the by-element sdot hold 4
// channels, so a gather of 4 non-zero activations per channel per lane would take a TBL per 4
// channels per row; the tiles need no gather. Not measured: no Arm hardware here (tested for
// exactness under qemu only). Designed for Cortex-A76-class cores: two 128-bit loads and two
// sdot per cycle, so a block's 16 loads and 16 sdot balance; the dense NEON kernel loads one
// weight register per 4 sdot (by element from a row register), i.e. more MACs per load, which is
// why, as on VNNI, the tiles pay only at high sparsity (Q8SparseGemm.pays assumes the VNNI
// break-even).
#include <arm_neon.h>
#include <stddef.h>
#include <string.h>

#include "q8_gemm_4x16c4_neondot.h"
#include "whittle/q8_sparse.h"

static_assert(sizeof(whittle_q8_sparse_params) == 320, "params block layout is mirrored by Java");

namespace {

using whittle_q8_4x16c4_neondot::Requant;
using whittle_q8_4x16c4_neondot::requantize;

constexpr int kTile = 64;            // pixels per packed tile row (the format's offsets)
constexpr int kQuadRow = kTile * 4;  // bytes of one K quad's row in the packed tile
constexpr int kGroup = 16;           // channels staged before the transpose

WHITTLE_Q8_INLINE Requant broadcast_requant(const whittle_q8_gemm_params* p, int32_t n) {
  using whittle_q8::channel_array;
  Requant r;
  r.mult = vdupq_n_s32(channel_array(p, WHITTLE_Q8_CH_MULT)[n]);
  r.left = vdupq_n_s32(channel_array(p, WHITTLE_Q8_CH_LEFT)[n]);
  r.neg_right = vdupq_n_s32(-channel_array(p, WHITTLE_Q8_CH_RIGHT)[n]);
  r.nudge = vdupq_n_s32(channel_array(p, WHITTLE_Q8_CH_NUDGE)[n]);
  r.ovf = vdupq_n_s32(channel_array(p, WHITTLE_Q8_CH_OVF)[n]);
  r.sat = vdupq_n_s32(channel_array(p, WHITTLE_Q8_CH_SAT)[n]);
  r.mask = vdupq_n_s32(channel_array(p, WHITTLE_Q8_CH_MASK)[n]);
  r.half = vdupq_n_s32(channel_array(p, WHITTLE_Q8_CH_HALF)[n]);
  return r;
}

// 16x16 byte transpose: 4 rounds of interleaving rows i and i + 8.
WHITTLE_Q8_INLINE void transpose16x16(uint8x16_t x[16]) {
  _Pragma("GCC unroll 4") for (int round = 0; round < 4; round++) {
    uint8x16_t t[16];
    _Pragma("GCC unroll 8") for (int i = 0; i < 8; i++) {
      t[2 * i] = vzip1q_u8(x[i], x[i + 8]);
      t[2 * i + 1] = vzip2q_u8(x[i], x[i + 8]);
    }
    _Pragma("GCC unroll 16") for (int i = 0; i < 16; i++) {
      x[i] = t[i];
    }
  }
}

// Packs pixels [m, m + valid) (valid <= MT) into tile: [kp / 4][64][4] signed bytes (MT pixels
// of each row used), pixels past valid as zeros. raw: MT staged rows of kp bytes (kp a multiple
// of 64, + slack).
template <int MT>
static void pack_tile(const whittle_q8_gemm_params* p, const uint8_t* input, const uint8_t* input_end, bool direct,
                      int32_t m, int32_t valid, uint8_t flip, uint8_t* raw, uint8_t* tile) {
  const int32_t k = p->k;
  const int32_t kp = p->kp;
  whittle_q8::Pixel px = whittle_q8::pixel_at(p, m);
  for (int32_t r = 0; r < MT; r++) {
    uint8_t* row = raw + (size_t) r * kp;
    if (r >= valid) {
      // zero after the flip too: the flip is applied below to every row
      memset(row, flip, (size_t) kp);
      continue;
    }
    if (direct) {
      memcpy(row, input + (size_t) px.m * k, (size_t) k);
    } else {
      whittle_q8::gather_bytes(p, input, input_end, false, px, row);
    }
    // the K padding: zero after the flip (no block reads it with a non-zero weight anyway)
    memset(row + k, flip, (size_t) (kp - k));
    whittle_q8::next_pixel(p, &px);
  }
  const uint8x16_t f = vdupq_n_u8(flip);
  const int32_t quads = (k + 3) / 4;
  for (int32_t c = 0; c < kp && c / 4 < quads; c += 16) {
    // quads c/4 .. c/4 + 3 of 4 pixels at a time: a 4x4 transpose of 32-bit elements
    uint8_t* dst = tile + (size_t) (c / 4) * kQuadRow;
    _Pragma("GCC unroll 4") for (int r = 0; r < MT; r += 4) {
      const uint32x4_t r0 = vreinterpretq_u32_u8(veorq_u8(vld1q_u8(raw + (size_t) (r + 0) * kp + c), f));
      const uint32x4_t r1 = vreinterpretq_u32_u8(veorq_u8(vld1q_u8(raw + (size_t) (r + 1) * kp + c), f));
      const uint32x4_t r2 = vreinterpretq_u32_u8(veorq_u8(vld1q_u8(raw + (size_t) (r + 2) * kp + c), f));
      const uint32x4_t r3 = vreinterpretq_u32_u8(veorq_u8(vld1q_u8(raw + (size_t) (r + 3) * kp + c), f));
      const uint64x2_t t0 = vreinterpretq_u64_u32(vtrn1q_u32(r0, r1));
      const uint64x2_t t1 = vreinterpretq_u64_u32(vtrn2q_u32(r0, r1));
      const uint64x2_t t2 = vreinterpretq_u64_u32(vtrn1q_u32(r2, r3));
      const uint64x2_t t3 = vreinterpretq_u64_u32(vtrn2q_u32(r2, r3));
      vst1q_u8(dst + 0 * kQuadRow + 4 * r, vreinterpretq_u8_u64(vtrn1q_u64(t0, t2)));
      vst1q_u8(dst + 1 * kQuadRow + 4 * r, vreinterpretq_u8_u64(vtrn1q_u64(t1, t3)));
      vst1q_u8(dst + 2 * kQuadRow + 4 * r, vreinterpretq_u8_u64(vtrn2q_u64(t0, t2)));
      vst1q_u8(dst + 3 * kQuadRow + 4 * r, vreinterpretq_u8_u64(vtrn2q_u64(t1, t3)));
    }
  }
}

// Channels [n, n + nc) of the tile's pixels [m, m + valid): staged [16][64] bytes, then
// written to the NHWC output.
template <int MT, bool GL, bool U>
static void channel_group(const whittle_q8_sparse_params* sp, const uint8_t* tile, int32_t n, int32_t nc, int32_t m,
                          int32_t valid, uint8_t* stage, uint8_t* output) {
  constexpr int V = MT / 4;
  const whittle_q8_gemm_params* p = &sp->gemm;
  const int32_t* start = reinterpret_cast<const int32_t*>(static_cast<uintptr_t>(sp->row_start));
  const int32_t* offsets = reinterpret_cast<const int32_t*>(static_cast<uintptr_t>(sp->pair_offset));
  const int8_t* values = reinterpret_cast<const int8_t*>(static_cast<uintptr_t>(sp->pair_value));
  const int32_t* cnst = whittle_q8::channel_array(p, WHITTLE_Q8_CH_CONST);
  const int32x4_t off = vdupq_n_s32(p->output_offset);
  const int32x4_t lo = vdupq_n_s32(p->act_min);
  const int32x4_t hi = vdupq_n_s32(p->act_max);
  const bool hl = p->has_left_shift != 0;
  for (int32_t c = 0; c < nc; c++) {
    const int32_t o = n + c;
    // Tiles of 16 and 32 pixels: a second accumulator set for the odd block of each pair, so
    // that 4 (8) accumulators do not chain two dependent sdot per step (latency ~4 cycles on
    // Cortex-A76); 64-pixel tiles have 16 independent chains already.
    constexpr bool kTwo = V <= 8;
    int32x4_t acc[V];
    int32x4_t odd[kTwo ? V : 1];
    _Pragma("GCC unroll 16") for (int v = 0; v < V; v++) {
      acc[v] = vdupq_n_s32(cnst[o]);
    }
    _Pragma("GCC unroll 8") for (int v = 0; v < (kTwo ? V : 1); v++) {
      odd[v] = vdupq_n_s32(0);
    }
    const int32_t j1 = start[o + 1];
    for (int32_t j = start[o]; j < j1; j += 2) {  // the count is even (the packer pads it)
      const int8x8_t w = vld1_s8(values + 4 * (size_t) j);
      const int8_t* p0 = reinterpret_cast<const int8_t*>(tile + offsets[j]);
      const int8_t* p1 = reinterpret_cast<const int8_t*>(tile + offsets[j + 1]);
      _Pragma("GCC unroll 16") for (int v = 0; v < V; v++) {
        acc[v] = vdotq_lane_s32(acc[v], vld1q_s8(p0 + 16 * v), w, 0);
      }
      _Pragma("GCC unroll 16") for (int v = 0; v < V; v++) {
        if (kTwo) {
          odd[v] = vdotq_lane_s32(odd[v], vld1q_s8(p1 + 16 * v), w, 1);
        } else {
          acc[v] = vdotq_lane_s32(acc[v], vld1q_s8(p1 + 16 * v), w, 1);
        }
      }
    }
    if (kTwo) {
      _Pragma("GCC unroll 8") for (int v = 0; v < V; v++) {
        acc[v] = vaddq_s32(acc[v], odd[kTwo ? v : 0]);
      }
    }
    const Requant rq = broadcast_requant(p, o);
    _Pragma("GCC unroll 4") for (int g = 0; g < V / 4; g++) {
      int32x4_t q[4];
      _Pragma("GCC unroll 4") for (int i = 0; i < 4; i++) {
        q[i] = requantize<GL>(acc[4 * g + i], rq, hl, off, lo, hi);
      }
      // clamped into the output type's range: the narrowing cannot saturate
      const int16x8_t h0 = vcombine_s16(vmovn_s32(q[0]), vmovn_s32(q[1]));
      const int16x8_t h1 = vcombine_s16(vmovn_s32(q[2]), vmovn_s32(q[3]));
      const uint8x16_t bytes = U ? vcombine_u8(vqmovun_s16(h0), vqmovun_s16(h1))
                                 : vreinterpretq_u8_s8(vcombine_s8(vqmovn_s16(h0), vqmovn_s16(h1)));
      vst1q_u8(stage + (size_t) c * 64 + 16 * g, bytes);
    }
  }
  const int32_t n_total = p->out_c;
  for (int h = 0; h < MT && h < valid; h += 16) {
    uint8x16_t x[16];
    _Pragma("GCC unroll 16") for (int i = 0; i < 16; i++) {
      x[i] = vld1q_u8(stage + (size_t) i * 64 + h);
    }
    transpose16x16(x);
    const int rows = valid - h < 16 ? valid - h : 16;
    if (rows == 16 && nc == kGroup) {
      _Pragma("GCC unroll 16") for (int r = 0; r < 16; r++) {
        vst1q_u8(output + (size_t) (m + h + r) * n_total + n, x[r]);
      }
      continue;
    }
    for (int r = 0; r < rows; r++) {
      uint8_t tmp[16];
      vst1q_u8(tmp, x[r]);
      memcpy(output + (size_t) (m + h + r) * n_total + n, tmp, (size_t) nc);
    }
  }
}

template <int MT, bool GL, bool U>
static void tile_t(const whittle_q8_sparse_params* sp, const uint8_t* input, const uint8_t* input_end, bool direct,
                   uint8_t* output, uint8_t* raw, uint8_t* tile, uint8_t* stage, int32_t m, int32_t valid, int32_t n0,
                   int32_t n1) {
  pack_tile<MT>(&sp->gemm, input, input_end, direct, m, valid, U ? 0x80 : 0, raw, tile);
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

#define WHITTLE_Q8_SPARSE_NEONDOT(name) \
  extern "C" WHITTLE_Q8_SPARSE_SIGNATURE(name) { run(params, input, output, scratch, m0, m1, n0, n1); }

WHITTLE_Q8_SPARSE_NEONDOT(whittle_qs8_conv2d_sparse_64x1c4__neondot)
WHITTLE_Q8_SPARSE_NEONDOT(whittle_qs8_qc8w_conv2d_sparse_64x1c4__neondot)
WHITTLE_Q8_SPARSE_NEONDOT(whittle_qu8_conv2d_sparse_64x1c4__neondot)
WHITTLE_Q8_SPARSE_NEONDOT(whittle_qs8_fully_connected_sparse_64x1c4__neondot)
WHITTLE_Q8_SPARSE_NEONDOT(whittle_qs8_qc8w_fully_connected_sparse_64x1c4__neondot)
WHITTLE_Q8_SPARSE_NEONDOT(whittle_qu8_fully_connected_sparse_64x1c4__neondot)
