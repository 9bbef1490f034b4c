// int8/uint8 CONV_2D and FULLY_CONNECTED as a GEMM on LUT-coded clustered weights, AArch64 NEON
// with DotProd, for few output pixels (FULLY_CONNECTED at batch 1..7, tiny images): the 4-bit
// indices decoded in registers, one vqtbl1q_s8 per 16 weights straight into sdot; nothing stored.
//
// Format: the AVX-512 VNNI c16 format of q8_gemm_lut4_4x16c16__avx512vnni.cc byte for byte
// (Q8LutGemm.Layout.C16_NEON): per 16-channel panel and 32-K block 256 index bytes, channel c's
// 16 bytes at 64 (c % 4) + 16 (c / 4) (byte i: K = 32 b + i in the low nibble, 32 b + 16 + i in
// the high one); per panel 256 bytes of tables, channel c's 16 entries at the same position
// (64 (c % 4) + 16 (c / 4)); the entries are the dense kernel's packed bytes (w, or w - 128 for
// uint8), the per-channel constants and the per-row term those of the dense NEON kernel
// (q8_conv2d_gemm_4x16c4__neondot.cc: activations moved to signed bytes).
//
// Why one channel per register here: vqtbl1q_s8 looks up ONE 16-entry table, so a register whose
// 16 bytes all belong to one channel decodes with a single TBL (after one AND or USHR for the
// nibble), where the dense layout (4 channels per register, as the by-element sdot wants) needs a
// 4-register TBL. The price: the full-vector sdot (16 K of one channel x 16 K of one pixel) leaves
// 4 partial sums per lane to add (two ADDP per 4 channels and pixel, once per tile). Tile: up to 4
// pixels x 4 channels (16 accumulators, 4 tables, 8 decoded registers, 2 rows), per 32 K: 4
// index loads, 4 AND + 4 USHR + 8 TBL, MR x 8 sdot. At one pixel that is 3 ALU ops per 16
// weights where the dense kernel does 1 sdot, on half the weight bytes: it pays where the weight
// stream is the cost (FULLY_CONNECTED at batch 1 with weights out of cache). Not measured (no
// Arm hardware here; exactness is tested under qemu); designed for Cortex-A76-class cores.
//
// 12-byte tables (params table_format 2, table_stride 192; the default for per-channel tables,
// -Dwhittle.lut.compact=false keeps 16-byte ones): each panel's 256 bytes of tables are rebuilt
// on the stack from its 192 resident ones (q8_lut_compact_neon.h) when the channel loop enters
// the panel, once per panel and block of pixels.
#include <arm_neon.h>
#include <stddef.h>
#include <string.h>

#include "q8_gemm_4x16c4_neondot.h"
#include "q8_lut_compact_neon.h"
#include "whittle/q8_lut.h"

namespace {

// NOLINTNEXTLINE: kMR (4 rows), Requant, load_requant, requantize, row_stage, stage_rows, for_microtiles
using namespace whittle_q8_4x16c4_neondot;

// Channels n .. n + 3 (panel positions 4 g .. 4 g + 3; nc4 of them stored) of MR pixels.
// lut5 (FIVE, issue 9, session 13): entries 16..31 of channel j's table 256 bytes after its 16
// (t2[j] = {t, th}: one vqtbl2q_s8 looks up all 32); bit 4 of each index in the VNNI c16 bitplane
// (per 32-K block 64 bytes, channel position j at 16 j, the low nibbles' 16 K in the 8 bytes at
// 0, the high nibbles' at 8, channel quarter g's 16 bits at byte 2 g of each: bits points there).
// The 16 bits become a byte mask (dup, TBL spreading byte i / 8, CMTST with bit i % 8), its 0x10
// is or-ed into the nibble: 4 more ops and a 2-register TBL per 16 weights.
template <bool FIVE>
WHITTLE_Q8_INLINE int8x16_t lookup(const int8x16x2_t& t2, uint8x16_t nib, const uint8_t* bits) {
  if (!FIVE) {
    return vqtbl1q_s8(t2.val[0], nib);
  }
  uint16_t b16;
  memcpy(&b16, bits, 2);
  static const uint8_t kSpread[16] = {0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1};
  static const uint8_t kBit[16] = {1, 2, 4, 8, 16, 32, 64, 128, 1, 2, 4, 8, 16, 32, 64, 128};
  const uint8x16_t spread = vqtbl1q_u8(vreinterpretq_u8_u16(vdupq_n_u16(b16)), vld1q_u8(kSpread));
  const uint8x16_t hi = vandq_u8(vtstq_u8(spread, vld1q_u8(kBit)), vdupq_n_u8(0x10));
  return vqtbl2q_s8(t2, vorrq_u8(nib, hi));
}

template <int MR, bool GL, bool U, bool FIVE>
WHITTLE_Q8_INLINE void microtile(const whittle_q8_gemm_params* p, const uint8_t* a, int32_t a_stride,
                                 const int32_t* row_terms, const uint8_t* idx, const uint8_t* tb, const uint8_t* bits,
                                 int32_t n, int32_t nc4, uint8_t* out, int32_t out_stride) {
  int8x16x2_t t[4];
  _Pragma("GCC unroll 4") for (int j = 0; j < 4; j++) {
    t[j].val[0] = vld1q_s8(reinterpret_cast<const int8_t*>(tb + 64 * j));
    t[j].val[1] = FIVE ? vld1q_s8(reinterpret_cast<const int8_t*>(tb + 256 + 64 * j)) : t[j].val[0];
  }
  int32x4_t acc[kMR][4];
  _Pragma("GCC unroll 4") for (int r = 0; r < MR; r++) {
    _Pragma("GCC unroll 4") for (int j = 0; j < 4; j++) {
      acc[r][j] = vdupq_n_s32(0);
    }
  }
  // One pixel: a second accumulator set for the high nibbles, so that consecutive sdot do not
  // all wait on one another's latency (4 accumulators alone).
  int32x4_t hacc[4];
  _Pragma("GCC unroll 4") for (int j = 0; j < 4; j++) {
    hacc[j] = vdupq_n_s32(0);
  }
  const uint8x16_t low = vdupq_n_u8(0x0F);
  const int32_t blocks = p->kp / 32;
  for (int32_t b = 0; b < blocks; b++, idx += 256) {
    int8x16_t wl[4];
    int8x16_t wh[4];
    _Pragma("GCC unroll 4") for (int j = 0; j < 4; j++) {
      const uint8x16_t v = vld1q_u8(idx + 64 * j);
      const uint8_t* bj = FIVE ? bits + (size_t) b * 64 + 16 * j : nullptr;
      wl[j] = lookup<FIVE>(t[j], vandq_u8(v, low), bj);
      wh[j] = lookup<FIVE>(t[j], vshrq_n_u8(v, 4), FIVE ? bj + 8 : nullptr);
    }
    _Pragma("GCC unroll 4") for (int r = 0; r < MR; r++) {
      const int8x16_t xl = vld1q_s8(reinterpret_cast<const int8_t*>(a + (size_t) r * a_stride + 32 * b));
      const int8x16_t xh = vld1q_s8(reinterpret_cast<const int8_t*>(a + (size_t) r * a_stride + 32 * b + 16));
      _Pragma("GCC unroll 4") for (int j = 0; j < 4; j++) {
        acc[r][j] = vdotq_s32(acc[r][j], wl[j], xl);
        if (MR == 1) {
          hacc[j] = vdotq_s32(hacc[j], wh[j], xh);
        } else {
          acc[r][j] = vdotq_s32(acc[r][j], wh[j], xh);
        }
      }
    }
  }
  if (MR == 1) {
    _Pragma("GCC unroll 4") for (int j = 0; j < 4; j++) {
      acc[0][j] = vaddq_s32(acc[0][j], hacc[j]);
    }
  }
  const int32x4_t cc = vld1q_s32(whittle_q8::channel_array(p, WHITTLE_Q8_CH_CONST) + n);
  const Requant rq = load_requant(p, n);
  const int32x4_t off = vdupq_n_s32(p->output_offset);
  const int32x4_t lo = vdupq_n_s32(p->act_min);
  const int32x4_t hi = vdupq_n_s32(p->act_max);
  const bool hl = p->has_left_shift != 0;
  _Pragma("GCC unroll 4") for (int r = 0; r < MR; r++) {
    // lane j: the sum of channel n + j's 4 partial sums
    const int32x4_t s = vpaddq_s32(vpaddq_s32(acc[r][0], acc[r][1]), vpaddq_s32(acc[r][2], acc[r][3]));
    const int32x4_t v = requantize<GL>(vaddq_s32(vaddq_s32(s, cc), vdupq_n_s32(row_terms[r])), rq, hl, off, lo, hi);
    // clamped into the output type's range: the narrowing cannot saturate
    const int16x8_t h = vcombine_s16(vmovn_s32(v), vmovn_s32(v));
    const uint8x8_t bytes = U ? vqmovun_s16(h) : vreinterpret_u8_s8(vqmovn_s16(h));
    uint8_t tmp[8];
    vst1_u8(tmp, bytes);
    memcpy(out + (size_t) r * out_stride, tmp, (size_t) nc4);
  }
}

template <bool GL, bool U, bool FIVE>
static void run_f(const whittle_q8_lut_params* lp, const uint8_t* input, uint8_t* output, void* scratch, int32_t m0,
                  int32_t m1, int32_t n0, int32_t n1) {
  const whittle_q8_gemm_params* p = &lp->gemm;
  const int32_t kp = p->kp;
  // Scratch: alignment, then gemm_rows' staging (the packed rows, 64 bytes of slack for
  // gather_bytes, the rows' sum terms).
  const RowStage stage = row_stage(
      p, input, reinterpret_cast<uint8_t*>((reinterpret_cast<uintptr_t>(scratch) + 63) & ~(uintptr_t) 63));
  const uint8_t* indices = reinterpret_cast<const uint8_t*>(static_cast<uintptr_t>(lp->indices));
  const uint8_t* tables = reinterpret_cast<const uint8_t*>(static_cast<uintptr_t>(lp->tables));
  const uint8_t* bits = reinterpret_cast<const uint8_t*>(static_cast<uintptr_t>(lp->bits));
  const int32_t n_total = p->out_c;
  // 12-byte tables (table_format 2, q8_lut_compact_neon.h): a panel's 16-byte tables rebuilt on
  // the stack when the loop reaches a panel other than the last one rebuilt
  const bool compact = lp->table_format == 2;
  alignas(16) uint8_t rebuilt[256];
  size_t built = ~(size_t) 0;
  for (int32_t mb0 = m0; mb0 < m1; mb0 += p->mb) {
    const int32_t rows = m1 - mb0 < p->mb ? m1 - mb0 : p->mb;
    const uint8_t* rows_at = stage_rows(stage, mb0, rows);
    for (int32_t n = n0; n < n1 && n < n_total; n += 4) {
      const size_t panel = (size_t) (n / 16);
      const int32_t g = (n % 16) / 4;  // quarter of the panel: channel offset 16 g in each 64 bytes
      const uint8_t* idx = indices + panel * 16 * (size_t) kp / 2 + 16 * g;
      const uint8_t* tb = tables + panel * (size_t) lp->table_stride + 16 * g;
      if (compact) {
        if (built != panel) {
          whittle_q8_lut_compact_neon::expand(tables + panel * (size_t) lp->table_stride, rebuilt);
          built = panel;
        }
        tb = rebuilt + 16 * g;
      }
      // lut5: the panel's bitplane (2 kp bytes), quarter g's 16 bits at byte 2 g of each 8
      const uint8_t* pb = FIVE ? bits + panel * 2 * (size_t) kp + 2 * g : nullptr;
      const int32_t nc4 = n_total - n < 4 ? n_total - n : 4;
      uint8_t* out = output + (size_t) mb0 * n_total + n;
      for_microtiles(rows, [&](auto mr, int32_t r) __attribute__((always_inline)) {
        microtile<decltype(mr)::value, GL, U, FIVE>(p, rows_at + (size_t) r * kp, kp, stage.row_terms + r, idx, tb, pb,
                                                    n, nc4, out + (size_t) r * n_total, n_total);
      });
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

WHITTLE_Q8_LUT_ENTRIES(lut4_4x16c16__neondot)

// lut5 (issue 9, session 13): index_bits = 5, every M (no NEON lut5 panel kernel): the VNNI
// lut5_4x16c16 indices, tables (512 bytes per panel) and bitplane byte for byte.
WHITTLE_Q8_LUT_ENTRIES(lut5_4x16c16__neondot)
