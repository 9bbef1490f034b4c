// int8/uint8 CONV_2D and FULLY_CONNECTED as a GEMM on LUT-coded clustered weights, AArch64 NEON
// with DotProd: the dense 4x16c4 microkernel (q8_gemm_4x16c4_neondot.h,
// q8_conv2d_gemm_4x16c4__neondot.cc) on weights decoded from 4-bit indices with TBL, one
// 16-channel panel at a time.
//
// Format: the AVX-512 VNNI panel format of q8_gemm_lut4_8x16c4__avx512vnni.cc, byte for byte
// (written by Q8LutGemm.java, Layout.PANEL_NEON): per 16-channel panel and pair of K quads
// (q, q + 1), 64 bytes of indices in the dense panel's byte order (byte i: channel i / 4 of the
// panel, K = 4q + i % 4), the low nibble quad q's index, the high nibble quad q + 1's; per panel
// 256 bytes of tables, channel 4L + j's 16 entries at byte 64 j + 16 L. The entries are the dense
// kernel's packed weight bytes (w for int8, w - 128 for uint8), so a decoded panel IS the dense
// NEON panel (the NEON and VNNI dense kernels share their panels); only the per-channel constants
// and the per-row term differ from VNNI's (activations moved to signed, not unsigned, bytes),
// and Java writes the NEON ones.
//
// Decode: each 16-byte quarter of a quad holds 4 channels (one sdot operand), so the 4 tables of
// a quarter's channels go into one 4-register TBL (vqtbl4q_s8, 64 entries): index = nibble +
// 16 * (byte / 4), i.e. one AND + one ORR (low nibble) or one USRA (high nibble) and one TBL per
// 16 weights; where the layer shares one table, one single-register TBL (vqtbl1q_s8) after one
// AND or USHR. The 16 table registers of a panel stay in registers for its whole decode.
//
// Where the decoded weights go: the panel is decoded once into a 16 x kp byte buffer in the
// worker's scratch (L1: 20 KB at K = 1280) and the dense microkernel runs every 4-pixel
// microtile of the block (up to 512 pixels, Q8LutGemm.PANEL_BLOCK_BYTES) over it, so the decode
// is paid once per panel and block of pixels. The layer's dense weights never exist in memory:
// one panel at a time, overwritten by the next (kernels/README.md, LUT section, says why this
// keeps to the "decoded in registers"). Not measured: no Arm hardware here (tested for
// exactness under qemu only); the design targets Cortex-A76-class cores (2 ASIMD pipes, sdot and
// 1-register TBL on both; a 4-register TBL costs about 4 of them), where the decode is ~2.5 ALU
// ops per 16 weights once per panel and block against MR = 4 sdot per 16 weights per microtile.
//
// 12-byte tables (params table_format 2, table_stride 192; the default for per-channel tables,
// -Dwhittle.lut.compact=false keeps 16-byte ones): the resident tables are the slot form of
// q8_lut_compact_neon.h, and each panel's 256 bytes of tables above are rebuilt from its 192 on
// the stack right before its decode (once per panel and block of pixels, like the decode).
#include <arm_neon.h>
#include <stddef.h>
#include <string.h>

#include "q8_gemm_4x16c4_neondot.h"
#include "q8_lut_compact_neon.h"
#include "whittle/q8_lut.h"

static_assert(offsetof(whittle_q8_lut_params, indices) == 256, "params block layout is mirrored by Java");
static_assert(offsetof(whittle_q8_lut_params, table_stride) == 272, "params block layout is mirrored by Java");

namespace {

using namespace whittle_q8_4x16c4_neondot;  // NOLINT: kNR, row_stage, stage_rows, for_microtiles, microtile

// Decodes one panel's kp / 8 index blocks (64 bytes each) into the dense panel layout (128 bytes
// per 8 K) at dst. tb: the panel's 256 table bytes (SHARED: the layer's, channel 0's table at 0).
template <bool SHARED>
WHITTLE_Q8_INLINE void decode_panel(const uint8_t* idx, const uint8_t* tb, int32_t kp, int8_t* dst) {
  const uint8x16_t low = vdupq_n_u8(0x0F);
  if (SHARED) {
    const int8x16_t t = vld1q_s8(reinterpret_cast<const int8_t*>(tb));
    for (int32_t b = 0; b < kp / 8; b++, idx += 64, dst += 128) {
      _Pragma("GCC unroll 4") for (int q = 0; q < 4; q++) {
        const uint8x16_t v = vld1q_u8(idx + 16 * q);
        vst1q_s8(dst + 16 * q, vqtbl1q_s8(t, vandq_u8(v, low)));
        vst1q_s8(dst + 64 + 16 * q, vqtbl1q_s8(t, vshrq_n_u8(v, 4)));
      }
    }
    return;
  }
  // Quarter q's 4 channels (4q + j) as one 64-entry table: entry 16 j + i is channel 4q + j's i.
  int8x16x4_t t[4];
  _Pragma("GCC unroll 4") for (int q = 0; q < 4; q++) {
    _Pragma("GCC unroll 4") for (int j = 0; j < 4; j++) {
      t[q].val[j] = vld1q_s8(reinterpret_cast<const int8_t*>(tb + 64 * j + 16 * q));
    }
  }
  static const uint8_t kOffsets[16] = {0, 0, 0, 0, 16, 16, 16, 16, 32, 32, 32, 32, 48, 48, 48, 48};
  const uint8x16_t off = vld1q_u8(kOffsets);
  for (int32_t b = 0; b < kp / 8; b++, idx += 64, dst += 128) {
    _Pragma("GCC unroll 4") for (int q = 0; q < 4; q++) {
      const uint8x16_t v = vld1q_u8(idx + 16 * q);
      vst1q_s8(dst + 16 * q, vqtbl4q_s8(t[q], vorrq_u8(vandq_u8(v, low), off)));
      vst1q_s8(dst + 64 + 16 * q, vqtbl4q_s8(t[q], vsraq_n_u8(off, v, 4)));
    }
  }
}

template <bool GL, bool U, bool SHARED>
static void run_s(const whittle_q8_lut_params* lp, const uint8_t* input, uint8_t* output, void* scratch, int32_t m0,
                  int32_t m1, int32_t n0, int32_t n1) {
  const whittle_q8_gemm_params* p = &lp->gemm;
  const int32_t kp = p->kp;
  // Scratch: alignment, the decoded panel (16 x kp), then gemm_rows' staging (the packed rows,
  // 64 bytes of slack for gather_bytes, the rows' sum terms; Q8LutGemm.scratchBytes).
  int8_t* panel = reinterpret_cast<int8_t*>((reinterpret_cast<uintptr_t>(scratch) + 63) & ~(uintptr_t) 63);
  const RowStage stage = row_stage(p, input, reinterpret_cast<uint8_t*>(panel) + (size_t) kNR * kp);
  const uint8_t* indices = reinterpret_cast<const uint8_t*>(static_cast<uintptr_t>(lp->indices));
  const uint8_t* tables = reinterpret_cast<const uint8_t*>(static_cast<uintptr_t>(lp->tables));
  const int32_t n_total = p->out_c;
  const bool compact = lp->table_format == 2;
  alignas(16) uint8_t rebuilt[256];
  for (int32_t mb0 = m0; mb0 < m1; mb0 += p->mb) {
    const int32_t rows = m1 - mb0 < p->mb ? m1 - mb0 : p->mb;
    const uint8_t* rows_at = stage_rows(stage, mb0, rows);
    for (int32_t n = n0; n < n1; n += kNR) {
      const size_t pi = (size_t) (n / kNR);
      const uint8_t* tb = tables + pi * (size_t) lp->table_stride;
      if (!SHARED && compact) {
        // 12-byte tables (table_format 2): the panel's 16-byte tables rebuilt on the stack
        whittle_q8_lut_compact_neon::expand(tb, rebuilt);
        tb = rebuilt;
      }
      decode_panel<SHARED>(indices + pi * kNR * kp / 2, tb, kp, panel);
      const int32_t nc = n_total - n < kNR ? n_total - n : kNR;
      uint8_t* out = output + (size_t) mb0 * n_total + n;
      for_microtiles(rows, [&](auto mr, int32_t r) __attribute__((always_inline)) {
        microtile<decltype(mr)::value, GL, U>(p, rows_at + (size_t) r * kp, kp, stage.row_terms + r, panel, n, nc,
                                              out + (size_t) r * n_total, n_total);
      });
    }
  }
}

template <bool GL, bool U>
static void run_t(const whittle_q8_lut_params* lp, const uint8_t* input, uint8_t* output, void* scratch, int32_t m0,
                  int32_t m1, int32_t n0, int32_t n1) {
  if (lp->table_stride == 0) {
    run_s<GL, U, true>(lp, input, output, scratch, m0, m1, n0, n1);
  } else {
    run_s<GL, U, false>(lp, input, output, scratch, m0, m1, n0, n1);
  }
}

static void run(const whittle_q8_lut_params* p, const uint8_t* input, uint8_t* output, void* scratch, int32_t m0,
                int32_t m1, int32_t n0, int32_t n1) {
  WHITTLE_Q8_RUN_GL_U(&p->gemm, run_t, p, input, output, scratch, m0, m1, n0, n1);
}

}  // namespace

WHITTLE_Q8_LUT_ENTRIES(lut4_4x16c4__neondot)
