// int8/uint8 CONV_2D and FULLY_CONNECTED as a GEMM on LUT-coded clustered weights, AVX2, for
// layers with many output pixels: the dense 4x16c2 microkernel (q8_gemm_4x16c2_avx2.h, shared with
// q8_conv2d_gemm_4x16c2__avx2.cc) on int16 weights decoded from 4-bit indices one 16-channel panel at a
// time into the worker's scratch. Few pixels (FULLY_CONNECTED at batch 1): q8_gemm_lut4_8x2c8,
// which decodes in registers (Q8LutGemm picks one of the two formats at prepare by M).
//
// Format (written by Q8LutGemm.java): per 16-channel panel and K pair j, 16 bytes of indices:
// byte e holds in its low nibble the index of channel e / 2, K = 2j + e % 2, and in its high
// nibble that of channel 8 + e / 2: after vpmovzxbw, (word & 15) and (word >> 4) are the
// control words of the dense panel's two ymm of that pair (int16 element e = channel e / 2 of
// the ymm's 8 channels, K = 2j + e % 2), each with a high byte of 0. Per panel 8 ymm of tables
// (256 bytes): ymm j (0..3) holds in lane L the 16 entries of channel 4L + j, ymm 4 + j those of
// channel 8 + 4L + j. Entries are t = w ^ flip (unsigned bytes; w_eff = w + filterOffset =
// t + c with one layer constant c, see q8_gemm_lut4_8x2c8__avx2.cc).
//
// Decode: a 128-bit lane of the dense layout holds 4 channels (one dword = one channel's K
// pair), and vpshufb has one table per lane: 4 vpshufb (tables 0..3) and 3 vpblendd (dword j
// of each lane from table j) give t[idx] in each word's low byte and t[0] of the SAME table in
// its high byte (control byte 0); one vpaddw of the channel's CH_COEF (c - 256 t[0], wrapped to
// int16, a per-panel vector) makes it w_eff exactly (w_eff fits int16; the add wraps mod 2^16).
// 21 ops per K pair (32 weights), 9 where the layer shares one table, stored once per panel and
// block of pixels (the block holds up to 512 pixels, Q8LutGemm sizes it to amortize this):
// the dense weights of the layer never exist in memory, only one 16 x kp int16 panel (L1: 8 KB
// at K = 256), overwritten by the next.
//
// 12-byte tables (params table_format 2, table_stride 192; the default for per-channel tables,
// -Dwhittle.lut.compact=false keeps 16-byte ones): the resident tables are the compact form of
// q8_lut_compact_avx2.h, and each panel's 256 bytes of tables above are rebuilt from its 192
// on the stack right before its decode (about 120 ops per panel and block of pixels).
#include <immintrin.h>
#include <string.h>

#include "q8_gemm_common.h"
#include "q8_gemm_4x16c2_avx2.h"
#include "q8_lut_compact_avx2.h"
#include "q8_requant_avx2.h"
#include "whittle/q8_lut.h"

namespace {

using namespace whittle_q8_avx2;  // NOLINT: Requant, load_requant, requantize

using namespace whittle_q8_4x16c2_avx2;  // NOLINT: kMR, kNR, widen, microtile, microtile8 (the dense kernel's)

// One 16-entry table lookup of 32 index bytes: t0 serves every dword of a 128-bit lane when the
// panel shares one table (SHARED), else dword q of each lane takes t_q (one channel's table each).
template <bool SHARED>
WHITTLE_Q8_INLINE __m256i lookup4(__m256i t0, __m256i t1, __m256i t2, __m256i t3, __m256i i) {
  __m256i y = _mm256_shuffle_epi8(t0, i);
  if (!SHARED) {
    y = _mm256_blend_epi32(y, _mm256_shuffle_epi8(t1, i), 0x22);
    y = _mm256_blend_epi32(y, _mm256_shuffle_epi8(t2, i), 0x44);
    y = _mm256_blend_epi32(y, _mm256_shuffle_epi8(t3, i), 0x88);
  }
  return y;
}

// Decodes a panel's kp / 2 K pairs of indices into the dense int16 layout (64 bytes per pair).
template <bool SHARED, bool FIVE>
static void decode_panel(const whittle_q8_gemm_params* p, const uint8_t* tb, const uint8_t* idx, const uint8_t* bits,
                         int32_t n, int32_t pairs, int16_t* dst) {
  const int32_t* coef = whittle_q8::channel_array(p, WHITTLE_Q8_LUT_CH_COEF) + n;
  // (coef & 0xFFFF) in both int16 halves of each channel's dword
  const __m256i lo16 = _mm256_set1_epi32(0xFFFF);
  const __m256i k0 = _mm256_and_si256(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(coef)), lo16);
  const __m256i k1 = _mm256_and_si256(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(coef + 8)), lo16);
  const __m256i corr0 = _mm256_or_si256(k0, _mm256_slli_epi32(k0, 16));
  const __m256i corr1 = _mm256_or_si256(k1, _mm256_slli_epi32(k1, 16));
  const __m256i a0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(tb));
  const __m256i a1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(tb + 32));
  const __m256i a2 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(tb + 64));
  const __m256i a3 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(tb + 96));
  const __m256i b0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(tb + 128));
  const __m256i b1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(tb + 160));
  const __m256i b2 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(tb + 192));
  const __m256i b3 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(tb + 224));
  const __m256i m = _mm256_set1_epi16(0x000F);
  // lut5: entries 16..31 (the panel's second 256 bytes of tables, same order), and the byte
  // masks of the bit-4 bitplane: bits 0..15 of a pair's dword select words 0..15 of y0, bits
  // 16..31 those of y1; vpshufb of the broadcast dword puts bitplane byte (lane + 2 half) in
  // each word's low byte and 0 in its high byte, vpand + vpcmpeqb with the word's bit (high
  // byte 1: never equal) give 0xFF in the low byte of the words whose index is >= 16.
  const __m256i h0 = FIVE ? _mm256_loadu_si256(reinterpret_cast<const __m256i*>(tb + 256)) : a0;
  const __m256i h1 = FIVE ? _mm256_loadu_si256(reinterpret_cast<const __m256i*>(tb + 288)) : a0;
  const __m256i h2 = FIVE ? _mm256_loadu_si256(reinterpret_cast<const __m256i*>(tb + 320)) : a0;
  const __m256i h3 = FIVE ? _mm256_loadu_si256(reinterpret_cast<const __m256i*>(tb + 352)) : a0;
  const __m256i g0 = FIVE ? _mm256_loadu_si256(reinterpret_cast<const __m256i*>(tb + 384)) : a0;
  const __m256i g1 = FIVE ? _mm256_loadu_si256(reinterpret_cast<const __m256i*>(tb + 416)) : a0;
  const __m256i g2 = FIVE ? _mm256_loadu_si256(reinterpret_cast<const __m256i*>(tb + 448)) : a0;
  const __m256i g3 = FIVE ? _mm256_loadu_si256(reinterpret_cast<const __m256i*>(tb + 480)) : a0;
  const __m256i spread0 = _mm256_setr_epi8(0, -128, 0, -128, 0, -128, 0, -128, 0, -128, 0, -128, 0, -128, 0, -128,  //
                                           1, -128, 1, -128, 1, -128, 1, -128, 1, -128, 1, -128, 1, -128, 1, -128);
  const __m256i spread1 = _mm256_setr_epi8(2, -128, 2, -128, 2, -128, 2, -128, 2, -128, 2, -128, 2, -128, 2, -128,  //
                                           3, -128, 3, -128, 3, -128, 3, -128, 3, -128, 3, -128, 3, -128, 3, -128);
  const __m256i bit = _mm256_setr_epi8(1, 1, 2, 1, 4, 1, 8, 1, 16, 1, 32, 1, 64, 1, -128, 1,  //
                                       1, 1, 2, 1, 4, 1, 8, 1, 16, 1, 32, 1, 64, 1, -128, 1);
  for (int32_t j = 0; j < pairs; j++) {
    const __m256i v = _mm256_cvtepu8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(idx + (size_t) j * 16)));
    const __m256i i0 = _mm256_and_si256(v, m);
    const __m256i i1 = _mm256_srli_epi16(v, 4);
    __m256i y0 = lookup4<SHARED>(a0, a1, a2, a3, i0);
    __m256i y1 = lookup4<SHARED>(b0, b1, b2, b3, i1);
    if (FIVE) {
      const __m256i z0 = lookup4<SHARED>(h0, h1, h2, h3, i0);
      const __m256i z1 = lookup4<SHARED>(g0, g1, g2, g3, i1);
      int32_t word;
      memcpy(&word, bits + (size_t) j * 4, 4);
      const __m256i b = _mm256_set1_epi32(word);
      const __m256i s0 = _mm256_cmpeq_epi8(_mm256_and_si256(_mm256_shuffle_epi8(b, spread0), bit), bit);
      const __m256i s1 = _mm256_cmpeq_epi8(_mm256_and_si256(_mm256_shuffle_epi8(b, spread1), bit), bit);
      // the high bytes keep t[0] of the low table, as CH_COEF expects
      y0 = _mm256_blendv_epi8(y0, z0, s0);
      y1 = _mm256_blendv_epi8(y1, z1, s1);
    }
    _mm256_store_si256(reinterpret_cast<__m256i*>(dst + (size_t) j * 32), _mm256_add_epi16(y0, corr0));
    _mm256_store_si256(reinterpret_cast<__m256i*>(dst + (size_t) j * 32 + 16), _mm256_add_epi16(y1, corr1));
  }
}

template <bool GL, bool U>
static void run_half(const whittle_q8_gemm_params* p, const int16_t* a, int32_t kp, const int16_t* panel, int32_t n,
                     int32_t nc, uint8_t* out, int32_t n_total, int32_t rows) {
  int32_t r = 0;
  for (; r + 8 <= rows; r += 8) {
    microtile8<8, GL, U>(p, a + (size_t) r * kp, kp, panel, n, nc, out + (size_t) r * n_total, n_total);
  }
  const int16_t* ar = a + (size_t) r * kp;
  uint8_t* outr = out + (size_t) r * n_total;
  switch (rows - r) {
    case 7: microtile8<7, GL, U>(p, ar, kp, panel, n, nc, outr, n_total); break;
    case 6: microtile8<6, GL, U>(p, ar, kp, panel, n, nc, outr, n_total); break;
    case 5: microtile8<5, GL, U>(p, ar, kp, panel, n, nc, outr, n_total); break;
    case 4: microtile8<4, GL, U>(p, ar, kp, panel, n, nc, outr, n_total); break;
    case 3: microtile8<3, GL, U>(p, ar, kp, panel, n, nc, outr, n_total); break;
    case 2: microtile8<2, GL, U>(p, ar, kp, panel, n, nc, outr, n_total); break;
    case 1: microtile8<1, GL, U>(p, ar, kp, panel, n, nc, outr, n_total); break;
    default: break;
  }
}

template <bool GL, bool U, bool SHARED, bool FIVE>
static void run_s(const whittle_q8_lut_params* lp, const uint8_t* input, uint8_t* output, void* scratch, int32_t m0,
                  int32_t m1, int32_t n0, int32_t n1) {
  const whittle_q8_gemm_params* p = &lp->gemm;
  const int32_t kp = p->kp;
  const int32_t k = p->k;
  // scratch: the decoded panel (32-aligned: the microtile loads it with vmovdqa), the packed
  // block of rows, one staged row of raw bytes.
  int16_t* panel = reinterpret_cast<int16_t*>((reinterpret_cast<uintptr_t>(scratch) + 63) & ~(uintptr_t) 63);
  int16_t* a = panel + (size_t) kNR * kp;
  uint8_t* stage = reinterpret_cast<uint8_t*>(a + (size_t) p->mb * kp);
  const uint8_t* input_end = input + whittle_q8::input_bytes(p);
  const bool is_unsigned = p->is_unsigned != 0;
  const uint8_t* indices = reinterpret_cast<const uint8_t*>(static_cast<uintptr_t>(lp->indices));
  const uint8_t* tables = reinterpret_cast<const uint8_t*>(static_cast<uintptr_t>(lp->tables));
  const uint8_t* bits = reinterpret_cast<const uint8_t*>(static_cast<uintptr_t>(lp->bits));
  const size_t panel_idx = (size_t) kNR * kp / 2;
  const int32_t n_total = p->out_c;
  const bool direct = whittle_q8::is_direct(p);
  const whittle_q8::SmallRuns small(p, input);
  const bool compact = lp->table_format == 2;
  alignas(32) uint8_t rebuilt[256];
  const size_t src_step = (size_t) p->stride_w * p->in_c;
  for (int32_t mb0 = m0; mb0 < m1; mb0 += p->mb) {
    const int32_t rows = m1 - mb0 < p->mb ? m1 - mb0 : p->mb;
    whittle_q8::Pixel px = whittle_q8::pixel_at(p, mb0);
    for (int32_t r = 0; r < rows;) {
      // Small-Cin convolutions (kw * Cin <= 16), as the dense kernel packs them (session 6,
      // whittle_q8::SmallRuns): interior pixels as kh 16-byte loads widened to 32-byte stores; the
      // excess of a store is overwritten by the next run, the K padding (kp - k < 4 int16 zeroed
      // by an 8-byte store), the next row, or lands in the staging row after the block. The
      // generic gather left 224x224x3 -> 32 3x3 s2 at 0.60 of the dense AVX2 kernel.
      const uint8_t* src = nullptr;
      const int32_t run_px = direct ? 0 : small.interior(input, p->in_c, p->kw, p->out_w, px, rows - r, &src);
      if (run_px > 0) {
        for (int32_t j = 0; j < run_px; j++, r++, src += src_step) {
          int16_t* row = a + (size_t) r * kp;
          for (int32_t fy = 0; fy < small.kh; fy++) {
            const __m128i b = _mm_loadu_si128(reinterpret_cast<const __m128i*>(src + (size_t) fy * small.row_step));
            _mm256_storeu_si256(reinterpret_cast<__m256i*>(row + fy * small.run),
                                is_unsigned ? _mm256_cvtepu8_epi16(b) : _mm256_cvtepi8_epi16(b));
          }
          const uint64_t zero = 0;
          memcpy(row + k, &zero, 8);
        }
        whittle_q8::advance_pixels(p, &px, run_px);
        continue;
      }
      if (direct && kp == k) {
        // 1x1 / FC blocks with K a multiple of 4 (kp == k): the block's input rows and packed rows are both
        // contiguous, so one widen pass converts the whole block, as the dense kernel does
        // (q8_conv2d_gemm_4x16c2__avx2.cc, session 7). Row by row, the per-row call and
        // bookkeeping left 112x112x32x16 at 0.85x and 56x56x24x144 at 0.92x of dense (session 9).
        widen(input + (size_t) px.m * k, a + (size_t) r * kp, (rows - r) * k, is_unsigned, 0);
        break;
      }
      int16_t* row = a + (size_t) r * kp;
      const uint8_t* bytes = input + (size_t) px.m * k;
      if (!direct) {
        whittle_q8::gather_bytes(p, input, input_end, false, px, stage);
        bytes = stage;
      }
      widen(bytes, row, k, is_unsigned, 0);
      for (int32_t i = k; i < kp; i++) {
        row[i] = 0;
      }
      r++;
      whittle_q8::next_pixel(p, &px);
    }
    for (int32_t n = n0; n < n1; n += kNR) {
      const uint8_t* tb = tables + (size_t) (n / kNR) * lp->table_stride;
      if (!SHARED && !FIVE && compact) {
        // 12-byte tables (table_format 2): the panel's 16-byte tables rebuilt on the stack
        whittle_q8_lut_compact_avx2::expand(tb, rebuilt);
        tb = rebuilt;
      }
      // lut5: per panel 4 bytes of bitplane per K pair (2 kp bytes)
      decode_panel<SHARED, FIVE>(p, tb, indices + (size_t) (n / kNR) * panel_idx,
                                 FIVE ? bits + (size_t) (n / kNR) * 2 * kp : nullptr, n, kp / 2, panel);
      const int32_t nc = n_total - n < kNR ? n_total - n : kNR;
      uint8_t* out = output + (size_t) mb0 * n_total + n;
      if (nc <= 8) {
        // 56x56x144x24: 0.79 of the dense AVX2 kernel with all 16 channels computed
        run_half<GL, U>(p, a, kp, panel, n, nc, out, n_total, rows);
        continue;
      }
      if (nc == kNR) {
        // the dense kernel's folded output stage on full panels (session 14), so LUT and dense
        // differ only in the decode
        folded_rows<GL, U>(p, a, kp, panel, n, out, n_total, rows);
        continue;
      }
      int32_t r = 0;
      for (; r + kMR <= rows; r += kMR) {
        microtile<kMR, GL, U>(p, a + (size_t) r * kp, kp, panel, n, nc, out + (size_t) r * n_total, n_total);
      }
      switch (rows - r) {
        case 3:
          microtile<3, GL, U>(p, a + (size_t) r * kp, kp, panel, n, nc, out + (size_t) r * n_total, n_total);
          break;
        case 2:
          microtile<2, GL, U>(p, a + (size_t) r * kp, kp, panel, n, nc, out + (size_t) r * n_total, n_total);
          break;
        case 1:
          microtile<1, GL, U>(p, a + (size_t) r * kp, kp, panel, n, nc, out + (size_t) r * n_total, n_total);
          break;
        default:
          break;
      }
    }
  }
}

template <bool GL, bool U>
static void run_t(const whittle_q8_lut_params* lp, const uint8_t* input, uint8_t* output, void* scratch, int32_t m0,
                  int32_t m1, int32_t n0, int32_t n1) {
  const bool five = lp->index_bits == 5;
  if (lp->table_stride == 0) {
    if (five) {
      run_s<GL, U, true, true>(lp, input, output, scratch, m0, m1, n0, n1);
    } else {
      run_s<GL, U, true, false>(lp, input, output, scratch, m0, m1, n0, n1);
    }
  } else if (five) {
    run_s<GL, U, false, true>(lp, input, output, scratch, m0, m1, n0, n1);
  } else {
    run_s<GL, U, false, false>(lp, input, output, scratch, m0, m1, n0, n1);
  }
}

static void run(const whittle_q8_lut_params* p, const uint8_t* input, uint8_t* output, void* scratch, int32_t m0,
                int32_t m1, int32_t n0, int32_t n1) {
  WHITTLE_Q8_RUN_GL_U(&p->gemm, run_t, p, input, output, scratch, m0, m1, n0, n1);
}

}  // namespace

WHITTLE_Q8_LUT_ENTRIES(lut4_4x16c2__avx2)

// lut5 (issue 9, session 13): the same kernel with index_bits = 5 (17..32 values per channel or
// layer): a second 256 bytes of tables per panel (entries 16..31) and a bitplane of bit 4, 4
// bytes per K pair, merged by vpblendvb on a byte mask (see decode_panel). Every M on AVX2.
WHITTLE_Q8_LUT_ENTRIES(lut5_4x16c2__avx2)
