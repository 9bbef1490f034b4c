// The body of the AVX-512 VNNI LUT panel kernels, compiled twice (static inline, one TU per
// variant): q8_gemm_lut4_8x16c4__avx512vnni.cc (vpshufb decode) and
// q8_gemm_lut4vbmi_16x16c4__avx512vnni.cc (WHITTLE_Q8_LUT_VBMI = 1: vpermi2b decode, see below).
//
// int8/uint8 CONV_2D and FULLY_CONNECTED as a GEMM on LUT-coded clustered weights, AVX-512
// VNNI: the dense 8x16c4 microkernel (q8_conv2d_gemm_8x16c4__avx512vnni.cc) on weights decoded
// from 4-bit indices, one 16-channel panel at a time.
//
// Format (written by Q8LutGemm.java): per 16-channel panel and pair of K quads (q, q + 1), 64
// bytes of indices in the dense VNNI panel's byte order (byte i: channel i / 4 of the panel,
// K = 4q + i % 4): the low nibble is quad q's index, the high nibble quad q + 1's. Per panel
// 4 zmm of tables (256 bytes): table j holds, in 128-bit lane L, the 16 entries of channel
// 4L + j. The entries are the dense VNNI kernel's packed weight bytes (w for int8, w - 128 for
// uint8: (byte) (w ^ flip)), so a decoded panel IS the dense panel, and the algebra, the
// per-channel constants and the per-row term c * sum_k x_u are the dense kernel's, unchanged.
//
// Decode: vpshufb looks up one 16-entry table per 128-bit lane, and a lane of the dense layout
// holds 4 channels (16 channels x 4 K per zmm). So one vpshufb with table 0 and three masked
// vpshufb (vpshufb {k}: bytes of channel 4L + j only) with tables 1..3 decode 64 weights; a
// 64-byte load of indices gives two such zmm after one vpand and one vpsrlw + vpand: 5.5 ops
// per 64 weights (1 vpshufb where the layer shares one table).
//
// lut5 (same code, index_bits = 5, up to 32 values per channel): bit 4 of each index kept as a
// bitplane, 8 bytes per decoded zmm, loaded straight into a mask register (kmovq); entries
// 16..31 in 4 more table zmm, merged with 4 more masked vpshufb (mask: the bit AND the channel's
// byte positions); 1 more where the layer shares a table.
//
// Where the decoded weights go (the two uses, measured in kernels/README.md):
// - Blocks of more than 8 pixels (MR): the panel is decoded once into a 16 x kp byte buffer in
//   the worker's scratch (L1: 20 KB at K = 1280) and the dense microkernel runs every 8-pixel
//   microtile of the block over it, so the decode is paid once per panel and block of pixels
//   (up to 512 pixels) instead of once per microtile. The dense weights of the layer never
//   exist in memory: one panel at a time, overwritten by the next.
// - Blocks of at most 8 pixels (FULLY_CONNECTED at batch 1..8, a 1x1 image): each zmm is
//   decoded in registers right before its vpdpbusd, nothing is stored.
//
// VBMI (WHITTLE_Q8_LUT_VBMI, issue 9 session 7, per-channel tables, 4-bit indices): the panel's
// 16 tables as 4 zmm of 4 channels x 16 entries (P0: channels 0..3, P1: 4..7, ...; a 4x4
// transpose of the 128-bit lanes of t0..t3, once per panel), so that vpermi2b (a 128-byte
// table: two zmm, 8 channels) looks up 8 channels at once. An index byte is the nibble with the
// channel (mod 8) in bits 4..6 (one vpternlogd: (v & 0x0F) | channel bits); two vpermi2b with
// merge masks decode a zmm: the first fills bytes 0..31 (channels 0..7) from P0:P1 and passes
// the index through in bytes 32..63, the second reads those indices for channels 8..15 from
// P2:P3 and passes the first's bytes through. 2 vpermi2b + 1.5 other ops per 64 weights against
// 4 vpshufb + 1.5 (vpermi2b zmm and vpshufb zmm both issue 1 per cycle on Zen 4, measured).
#ifndef WHITTLE_Q8_LUT_8X16C4_AVX512_H_
#define WHITTLE_Q8_LUT_8X16C4_AVX512_H_
#ifndef WHITTLE_Q8_LUT_VBMI
#define WHITTLE_Q8_LUT_VBMI 0
#endif
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <immintrin.h>
#include <string.h>

#include "q8_gemm_common.h"
#include "q8_lut_compact_avx2.h"
#include "q8_pack_avx512.h"
#include "q8_requant_avx2.h"
#include "q8_requant_avx512.h"
#include "whittle/q8_lut.h"

static_assert(offsetof(whittle_q8_lut_params, bits) == 280, "params block layout is mirrored by Java");
static_assert(offsetof(whittle_q8_lut_params, index_bits) == 288, "params block layout is mirrored by Java");

namespace {

using namespace whittle_q8_avx512;  // NOLINT: Requant, load_requant, requantize, transform_row

constexpr int kMR = 8;
constexpr int kNR = 16;


// The 4 tables of a panel (entries 0..15), and for lut5 the 4 of entries 16..31.
struct Tables {
  __m512i t0, t1, t2, t3;
  __m512i h0, h1, h2, h3;
  // VBMI: p0..p3 = channels 4j..4j+3, 16 entries each; ch = (channel % 8) << 4 per byte
  __m512i p0, p1, p2, p3, ch;
};

#if WHITTLE_Q8_LUT_VBMI
// The 4x4 transpose of the 128-bit lanes (table j, lane L: channel 4L + j -> p_L, lane j).
WHITTLE_Q8_INLINE void vbmi_tables(Tables* t) {
  const __m512i u0 = _mm512_shuffle_i64x2(t->t0, t->t1, 0x44), u1 = _mm512_shuffle_i64x2(t->t2, t->t3, 0x44);
  const __m512i u2 = _mm512_shuffle_i64x2(t->t0, t->t1, 0xEE), u3 = _mm512_shuffle_i64x2(t->t2, t->t3, 0xEE);
  t->p0 = _mm512_shuffle_i64x2(u0, u1, 0x88);
  t->p1 = _mm512_shuffle_i64x2(u0, u1, 0xDD);
  t->p2 = _mm512_shuffle_i64x2(u2, u3, 0x88);
  t->p3 = _mm512_shuffle_i64x2(u2, u3, 0xDD);
  // byte i: channel i / 4 of the panel, mod 8, in bits 4..6 (bit 6 picks the second table)
  t->ch = _mm512_set_epi64(0x7070707060606060ll, 0x5050505040404040ll, 0x3030303020202020ll, 0x1010101000000000ll,
                           0x7070707060606060ll, 0x5050505040404040ll, 0x3030303020202020ll, 0x1010101000000000ll);
}

// --- 12-byte tables (issue 9, table bytes; table_format 1, the lut4vbmi2 symbols) ---
// A panel's 16 per-channel tables as 192 bytes instead of 256: a table's entries are sorted by
// their (stored) byte, so its high nibbles h_0 <= ... <= h_15 are a unary code of 32 bits (bit
// h_e + e set for each entry e: 16 ones, at most 15 zeros before the last), its low nibbles 8
// bytes. Layout per panel (Q8LutGemm writes it): bytes 32 j + 8 L (j, L < 4): the low nibbles
// of channel 4 L + j (byte b: entry b | entry b + 8 << 4); bytes 128 + 16 j + 8 h: the codes of
// channels 8 h + j (low dword) and 8 h + 4 + j (high dword). vpcompressb of the bytes 0..31,
// 0..31 under a 64-bit pair of codes gives each entry's bit position h_e + e; minus e, h_e.
// ~10 ops per zmm, once per panel and block of rows, against 1 load.
WHITTLE_Q8_INLINE __m512i compact_table(const uint8_t* tb, int32_t j) {
  const __m512i pos = _mm512_set_epi64(0x1F1E1D1C1B1A1918ll, 0x1716151413121110ll, 0x0F0E0D0C0B0A0908ll,
                                       0x0706050403020100ll, 0x1F1E1D1C1B1A1918ll, 0x1716151413121110ll,
                                       0x0F0E0D0C0B0A0908ll, 0x0706050403020100ll);
  const __m512i entry = _mm512_set4_epi32(0x0F0E0D0C, 0x0B0A0908, 0x07060504, 0x03020100);
  uint64_t m0;
  uint64_t m1;
  memcpy(&m0, tb + 128 + 16 * j, 8);
  memcpy(&m1, tb + 136 + 16 * j, 8);
  const __m512i c0 = _mm512_maskz_compress_epi8((__mmask64) m0, pos);
  const __m512i c1 = _mm512_maskz_compress_epi8((__mmask64) m1, pos);
  const __m512i hi = _mm512_sub_epi8(_mm512_inserti64x4(c0, _mm512_castsi512_si256(c1), 1), entry);
  // lane L: the channel's 8 low-nibble bytes twice; the upper copy shifted right by 4 (entries 8..15)
  const __m512i lo = _mm512_srlv_epi16(
      _mm512_permutexvar_epi64(_mm512_set_epi64(3, 3, 2, 2, 1, 1, 0, 0),
                               _mm512_castsi256_si512(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(tb + 32 * j)))),
      _mm512_set_epi64(0x0004000400040004ll, 0, 0x0004000400040004ll, 0, 0x0004000400040004ll, 0,
                       0x0004000400040004ll, 0));
  // (hi << 4) | (lo & 0x0F)
  return _mm512_ternarylogic_epi32(_mm512_slli_epi16(hi, 4), lo, _mm512_set1_epi8(0x0F), 0xF8);
}
// --- end 12-byte tables ---

// v: nibbles already shifted into bits 0..3 of each byte (bits 4..7: garbage).
WHITTLE_Q8_INLINE __m512i decode_vbmi(const Tables& t, __m512i v) {
  const __m512i idx = _mm512_ternarylogic_epi32(v, _mm512_set1_epi8(0x0F), t.ch, 0xEA);  // (v & 0x0F) | ch
  const __m512i lo = _mm512_mask2_permutex2var_epi8(t.p0, idx, (__mmask64) 0x00000000FFFFFFFFull, t.p1);
  return _mm512_mask2_permutex2var_epi8(t.p2, lo, (__mmask64) 0xFFFFFFFF00000000ull, t.p3);
}
#endif

// Both zmm of a 64-byte index block (low nibbles: quad q, high: quad q + 1).
template <bool SHARED, bool B5, bool VB>
WHITTLE_Q8_INLINE void decode2(const Tables& t, __m512i v, const uint8_t* bits, __m512i* b0, __m512i* b1);

// lut5 (B5): bits = bit 4 of each byte's index; entries 16..31 come from the h tables.
template <bool SHARED, bool B5>
WHITTLE_Q8_INLINE __m512i decode(const Tables& t, __m512i idx, __mmask64 bits) {
  const __mmask64 k1 = (__mmask64) 0x00F000F000F000F0ull, k2 = (__mmask64) 0x0F000F000F000F00ull;
  const __mmask64 k3 = (__mmask64) 0xF000F000F000F000ull, k0 = (__mmask64) 0x000F000F000F000Full;
  __m512i w = _mm512_shuffle_epi8(t.t0, idx);
  if (!SHARED) {
    w = _mm512_mask_shuffle_epi8(w, k1, t.t1, idx);
    w = _mm512_mask_shuffle_epi8(w, k2, t.t2, idx);
    w = _mm512_mask_shuffle_epi8(w, k3, t.t3, idx);
  }
  if (B5) {
    if (SHARED) {
      w = _mm512_mask_shuffle_epi8(w, bits, t.h0, idx);
    } else {
      w = _mm512_mask_shuffle_epi8(w, _kand_mask64(bits, k0), t.h0, idx);
      w = _mm512_mask_shuffle_epi8(w, _kand_mask64(bits, k1), t.h1, idx);
      w = _mm512_mask_shuffle_epi8(w, _kand_mask64(bits, k2), t.h2, idx);
      w = _mm512_mask_shuffle_epi8(w, _kand_mask64(bits, k3), t.h3, idx);
    }
  }
  return w;
}

WHITTLE_Q8_INLINE __mmask64 load_bits(const uint8_t* p) {
  uint64_t v;
  memcpy(&v, p, 8);
  return _cvtu64_mask64(v);
}

template <bool SHARED, bool B5, bool VB>
WHITTLE_Q8_INLINE void decode2(const Tables& t, __m512i v, const uint8_t* bits, __m512i* b0, __m512i* b1) {
#if WHITTLE_Q8_LUT_VBMI
  if (VB) {
    *b0 = decode_vbmi(t, v);
    *b1 = decode_vbmi(t, _mm512_srli_epi16(v, 4));
    return;
  }
#endif
  const __m512i m = _mm512_set1_epi8(0x0F);
  const __mmask64 m0 = B5 ? load_bits(bits) : 0;
  const __mmask64 m1 = B5 ? load_bits(bits + 8) : 0;
  *b0 = decode<SHARED, B5>(t, _mm512_and_si512(v, m), m0);
  *b1 = decode<SHARED, B5>(t, _mm512_and_si512(_mm512_srli_epi16(v, 4), m), m1);
}

// Decodes a panel's kp / 8 index blocks into the dense layout (64 bytes per K quad).
template <bool SHARED, bool B5, bool VB>
static void decode_panel(const Tables& t, const uint8_t* idx, const uint8_t* bits, int32_t blocks, uint8_t* dst) {
  for (int32_t b = 0; b < blocks; b++) {
    __m512i w0, w1;
    decode2<SHARED, B5, VB>(t, _mm512_loadu_si512(idx + (size_t) b * 64), B5 ? bits + (size_t) b * 16 : nullptr, &w0,
                            &w1);
    _mm512_storeu_si512(dst + (size_t) b * 128, w0);
    _mm512_storeu_si512(dst + (size_t) b * 128 + 64, w1);
  }
}

// MR pixels x 16 channels. DECODE: the weights come as index blocks (idx) decoded here in
// registers; else as the decoded panel (w).
template <int MR, bool GL, bool U, bool DECODE, bool SHARED, bool B5, bool VB>
WHITTLE_Q8_INLINE void microtile(const whittle_q8_gemm_params* p, const uint8_t* a, int32_t a_stride,
                                 const int32_t* row_terms, const uint8_t* w, const uint8_t* idx,
                                 const uint8_t* bits, const Tables& t,
                                 int32_t n, __mmask16 store_mask, uint8_t* out, int32_t out_stride) {
  const __m512i c = _mm512_loadu_si512(whittle_q8::channel_array(p, WHITTLE_Q8_CH_CONST) + n);
  __m512i acc[MR], acc2[MR];
  _Pragma("GCC unroll 16") for (int r = 0; r < MR; r++) {
    acc[r] = c;
    acc2[r] = _mm512_setzero_si512();
  }
  // A decoded panel is read by quads up to k, not kp (kp is a multiple of 8 for the index blocks,
  // the dense kernel's of 4): a last quad wholly in the K padding multiplies zero activations,
  // so skipping it is exact (K = 27: 7 quads, not 8; 0.96x of dense before, session 9).
  const int32_t quads = DECODE ? p->kp >> 2 : (p->k + 3) >> 2;
  const int32_t blocks = quads >> 1;
  int32_t q = 0;
  if (MR == 1 && !DECODE) {
    // One pixel (the tail of a block): four chains, as the dense kernel's one-pixel tile (two
    // chains left the one-pixel tail of a 49-pixel layer at 0.93x of dense).
    __m512i s2 = _mm512_setzero_si512(), s3 = _mm512_setzero_si512();
    for (; q + 2 <= blocks; q += 2) {
      int32_t x[4];
      memcpy(x, a + 8 * q, 16);
      acc[0] = _mm512_dpbusd_epi32(acc[0], _mm512_set1_epi32(x[0]), _mm512_loadu_si512(w + (size_t) q * 128));
      acc2[0] = _mm512_dpbusd_epi32(acc2[0], _mm512_set1_epi32(x[1]), _mm512_loadu_si512(w + (size_t) q * 128 + 64));
      s2 = _mm512_dpbusd_epi32(s2, _mm512_set1_epi32(x[2]), _mm512_loadu_si512(w + (size_t) q * 128 + 128));
      s3 = _mm512_dpbusd_epi32(s3, _mm512_set1_epi32(x[3]), _mm512_loadu_si512(w + (size_t) q * 128 + 192));
    }
    acc[0] = _mm512_add_epi32(acc[0], s2);
    acc2[0] = _mm512_add_epi32(acc2[0], s3);
  }
  for (; q < blocks; q++) {
    __m512i b0, b1;
    if (DECODE) {
      decode2<SHARED, B5, VB>(t, _mm512_loadu_si512(idx + (size_t) q * 64), B5 ? bits + (size_t) q * 16 : nullptr, &b0,
                              &b1);
    } else {
      b0 = _mm512_loadu_si512(w + (size_t) q * 128);
      b1 = _mm512_loadu_si512(w + (size_t) q * 128 + 64);
    }
    // Each quad broadcast from memory (vpbroadcastd m32: a load, no ALU op; an 8-byte load
    // split in registers costs two shuffle-port ops per pixel: measured 0.75x of dense).
    _Pragma("GCC unroll 16") for (int r = 0; r < MR; r++) {
      int32_t x0, x1;
      memcpy(&x0, a + (size_t) r * a_stride + 8 * q, 4);
      memcpy(&x1, a + (size_t) r * a_stride + 8 * q + 4, 4);
      acc[r] = _mm512_dpbusd_epi32(acc[r], _mm512_set1_epi32(x0), b0);
      // few pixels: a second chain per pixel, so the two quads' vpdpbusd do not wait on each other
      if (MR <= 2) {
        acc2[r] = _mm512_dpbusd_epi32(acc2[r], _mm512_set1_epi32(x1), b1);
      } else {
        acc[r] = _mm512_dpbusd_epi32(acc[r], _mm512_set1_epi32(x1), b1);
      }
    }
  }
  if (!DECODE && (quads & 1) != 0) {
    const __m512i b0 = _mm512_loadu_si512(w + (size_t) blocks * 128);
    _Pragma("GCC unroll 16") for (int r = 0; r < MR; r++) {
      int32_t x0;
      memcpy(&x0, a + (size_t) r * a_stride + 8 * blocks, 4);
      acc[r] = _mm512_dpbusd_epi32(acc[r], _mm512_set1_epi32(x0), b0);
    }
  }
  // The dense kernel's cheaper output stage (q8_requant_avx512.h: fast_requantize, store16;
  // session 8, issue 9): same integers as requantize, ~7 slots per 16 outputs against ~12, which
  // left the K = 16..32 layers of clustered MobileNet v2 at 0.75-0.87x of the dense kernel.
  const FastRequant rq = load_fast_requant<GL>(p, n);
  const __m512i off = _mm512_set1_epi32(p->output_offset);
  const __m512i lo = _mm512_set1_epi32(p->act_min);
  const __m512i hi = _mm512_set1_epi32(p->act_max);
  const bool hl = p->has_left_shift != 0;
  const int clamp = clamp_kind<U>(p);
  const bool full = store_mask == (__mmask16) 0xFFFF;
  _Pragma("GCC unroll 16") for (int r = 0; r < MR; r++) {
    const __m512i all = MR <= 2 ? _mm512_add_epi32(acc[r], acc2[r]) : acc[r];
    const __m512i v = fast_requantize<GL>(_mm512_add_epi32(all, _mm512_set1_epi32(row_terms[r])), rq, hl, off);
    store16<U>(out + (size_t) r * out_stride, v, clamp, lo, hi, full, store_mask);
  }
}

template <bool GL, bool U, bool DECODE, bool SHARED, bool B5, bool VB>
WHITTLE_Q8_INLINE void tail(int32_t mr, const whittle_q8_gemm_params* p, const uint8_t* a, int32_t kp,
                            const int32_t* rt, const uint8_t* w, const uint8_t* idx, const uint8_t* bits,
                            const Tables& t, int32_t n, __mmask16 sm, uint8_t* out, int32_t ns) {
  switch (mr) {
    case 8: microtile<8, GL, U, DECODE, SHARED, B5, VB>(p, a, kp, rt, w, idx, bits, t, n, sm, out, ns); break;
    case 7: microtile<7, GL, U, DECODE, SHARED, B5, VB>(p, a, kp, rt, w, idx, bits, t, n, sm, out, ns); break;
    case 6: microtile<6, GL, U, DECODE, SHARED, B5, VB>(p, a, kp, rt, w, idx, bits, t, n, sm, out, ns); break;
    case 5: microtile<5, GL, U, DECODE, SHARED, B5, VB>(p, a, kp, rt, w, idx, bits, t, n, sm, out, ns); break;
    case 4: microtile<4, GL, U, DECODE, SHARED, B5, VB>(p, a, kp, rt, w, idx, bits, t, n, sm, out, ns); break;
    case 3: microtile<3, GL, U, DECODE, SHARED, B5, VB>(p, a, kp, rt, w, idx, bits, t, n, sm, out, ns); break;
    case 2: microtile<2, GL, U, DECODE, SHARED, B5, VB>(p, a, kp, rt, w, idx, bits, t, n, sm, out, ns); break;
    case 1: microtile<1, GL, U, DECODE, SHARED, B5, VB>(p, a, kp, rt, w, idx, bits, t, n, sm, out, ns); break;
    default: break;
  }
}

// A decoded panel with at most 8 real channels (N = 24, 40, ...: MobileNet v2's 56x56x144x24),
// as the dense kernel's microtile8 (q8_conv2d_gemm_8x16c4__avx512vnni.cc, session 6): the low
// half of each 64-byte K quad (channels 0..7) on ymm, nothing spent on the padding channels.
// Computing all 16 left 56x56x144x24 at 0.84-0.86 of that dense kernel.
template <int MR, bool GL, bool U>
WHITTLE_Q8_INLINE void microtile8(const whittle_q8_gemm_params* p, const uint8_t* a, int32_t a_stride,
                                  const int32_t* row_terms, const uint8_t* w, int32_t n, __mmask8 store_mask,
                                  uint8_t* out, int32_t out_stride) {
  const __m256i c = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(
      whittle_q8::channel_array(p, WHITTLE_Q8_CH_CONST) + n));
  __m256i acc[MR];
  _Pragma("GCC unroll 8") for (int r = 0; r < MR; r++) {
    acc[r] = c;
  }
  const int32_t quads = (p->k + 3) >> 2;  // quads past k multiply zeros (see microtile)
  for (int32_t q = 0; q < quads; q++) {
    const __m256i b = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w));
    w += 64;
    _Pragma("GCC unroll 8") for (int r = 0; r < MR; r++) {
      int32_t quad;
      memcpy(&quad, a + (size_t) r * a_stride + 4 * q, 4);
      acc[r] = _mm256_dpbusd_epi32(acc[r], _mm256_set1_epi32(quad), b);
    }
  }
  // the dense microtile8's output stage (fast_requantize8 + store8): same integers
  const FastRequant8 rq = load_fast_requant8<GL>(p, n);
  const __m256i off = _mm256_set1_epi32(p->output_offset);
  const __m256i lo = _mm256_set1_epi32(p->act_min);
  const __m256i hi = _mm256_set1_epi32(p->act_max);
  const bool hl = p->has_left_shift != 0;
  const int clamp = clamp_kind<U>(p);
  _Pragma("GCC unroll 8") for (int r = 0; r < MR; r++) {
    const __m256i v = fast_requantize8<GL>(_mm256_add_epi32(acc[r], _mm256_set1_epi32(row_terms[r])), rq, hl, off);
    store8<U>(out + (size_t) r * out_stride, v, clamp, lo, hi, store_mask);
  }
}

template <bool GL, bool U>
static void run_half(const whittle_q8_gemm_params* p, const uint8_t* a, int32_t kp, const int32_t* row_terms,
                     const uint8_t* panel, int32_t n, __mmask8 mask, uint8_t* out, int32_t n_total, int32_t rows) {
  int32_t r = 0;
  for (; r + kMR <= rows; r += kMR) {
    microtile8<kMR, GL, U>(p, a + (size_t) r * kp, kp, row_terms + r, panel, n, mask, out + (size_t) r * n_total,
                           n_total);
  }
  const uint8_t* ar = a + (size_t) r * kp;
  uint8_t* outr = out + (size_t) r * n_total;
  switch (rows - r) {
    case 7: microtile8<7, GL, U>(p, ar, kp, row_terms + r, panel, n, mask, outr, n_total); break;
    case 6: microtile8<6, GL, U>(p, ar, kp, row_terms + r, panel, n, mask, outr, n_total); break;
    case 5: microtile8<5, GL, U>(p, ar, kp, row_terms + r, panel, n, mask, outr, n_total); break;
    case 4: microtile8<4, GL, U>(p, ar, kp, row_terms + r, panel, n, mask, outr, n_total); break;
    case 3: microtile8<3, GL, U>(p, ar, kp, row_terms + r, panel, n, mask, outr, n_total); break;
    case 2: microtile8<2, GL, U>(p, ar, kp, row_terms + r, panel, n, mask, outr, n_total); break;
    case 1: microtile8<1, GL, U>(p, ar, kp, row_terms + r, panel, n, mask, outr, n_total); break;
    default: break;
  }
}

// 1..16 rows, weights decoded in registers.
template <bool GL, bool U, bool SHARED, bool B5, bool VB>
WHITTLE_Q8_INLINE void tail16(int32_t mr, const whittle_q8_gemm_params* p, const uint8_t* a, int32_t kp,
                              const int32_t* rt, const uint8_t* idx, const uint8_t* bits, const Tables& t, int32_t n,
                              __mmask16 sm, uint8_t* out, int32_t ns) {
  switch (mr) {
    case 16: microtile<16, GL, U, true, SHARED, B5, VB>(p, a, kp, rt, nullptr, idx, bits, t, n, sm, out, ns); break;
    case 15: microtile<15, GL, U, true, SHARED, B5, VB>(p, a, kp, rt, nullptr, idx, bits, t, n, sm, out, ns); break;
    case 14: microtile<14, GL, U, true, SHARED, B5, VB>(p, a, kp, rt, nullptr, idx, bits, t, n, sm, out, ns); break;
    case 13: microtile<13, GL, U, true, SHARED, B5, VB>(p, a, kp, rt, nullptr, idx, bits, t, n, sm, out, ns); break;
    case 12: microtile<12, GL, U, true, SHARED, B5, VB>(p, a, kp, rt, nullptr, idx, bits, t, n, sm, out, ns); break;
    case 11: microtile<11, GL, U, true, SHARED, B5, VB>(p, a, kp, rt, nullptr, idx, bits, t, n, sm, out, ns); break;
    case 10: microtile<10, GL, U, true, SHARED, B5, VB>(p, a, kp, rt, nullptr, idx, bits, t, n, sm, out, ns); break;
    case 9: microtile<9, GL, U, true, SHARED, B5, VB>(p, a, kp, rt, nullptr, idx, bits, t, n, sm, out, ns); break;
    default: tail<GL, U, true, SHARED, B5, VB>(mr, p, a, kp, rt, nullptr, idx, bits, t, n, sm, out, ns); break;
  }
}

// The row terms coef * sum_k x of `rows` contiguous rows of k bytes read in place (k a
// multiple of 8; masked loads, nothing read past a row's k bytes of the last row).
WHITTLE_Q8_INLINE void direct_row_terms(const uint8_t* src, int32_t rows, int32_t k, uint32_t coef, bool want_sum,
                                        int32_t* row_terms) {
  if (!want_sum) {
    for (int32_t r = 0; r < rows; r++) {
      row_terms[r] = 0;
    }
    return;
  }
  if (k <= 32) {
    const __mmask32 m = (__mmask32) ((UINT64_C(1) << k) - 1);
    for (int32_t r = 0; r < rows; r++, src += k) {
      const __m256i s = _mm256_sad_epu8(_mm256_maskz_loadu_epi8(m, src), _mm256_setzero_si256());
      const __m128i t = _mm_add_epi64(_mm256_castsi256_si128(s), _mm256_extracti128_si256(s, 1));
      row_terms[r] = (int32_t) (coef * (uint32_t) (_mm_cvtsi128_si32(t) + _mm_extract_epi32(t, 2)));
    }
    return;
  }
  for (int32_t r = 0; r < rows; r++, src += k) {
    __m512i sums = _mm512_setzero_si512();
    int32_t i = 0;
    for (; i + 64 <= k; i += 64) {
      sums = _mm512_add_epi64(sums, _mm512_sad_epu8(_mm512_loadu_si512(src + i), _mm512_setzero_si512()));
    }
    if (i < k) {
      const __mmask64 m = ((__mmask64) 1 << (k - i)) - 1;
      sums = _mm512_add_epi64(sums, _mm512_sad_epu8(_mm512_maskz_loadu_epi8(m, src + i), _mm512_setzero_si512()));
    }
    const __m256i h = _mm256_add_epi64(_mm512_castsi512_si256(sums), _mm512_extracti64x4_epi64(sums, 1));
    const __m128i t = _mm_add_epi64(_mm256_castsi256_si128(h), _mm256_extracti128_si256(h, 1));
    row_terms[r] = (int32_t) (coef * (uint32_t) (_mm_cvtsi128_si32(t) + _mm_extract_epi32(t, 2)));
  }
}

// VBMI: blocks of at most this many rows take the weights decoded in registers, in tiles of up
// to 16 rows (tail16), not a decoded panel. A 16-row tile decodes each 64-byte index block (7
// ops) for 32 vpdpbusd, which hide most of it (~1.3 cycles per block and tile measured); the
// panel decode (~11 cycles per block, stores included, not overlapped with the multiply-adds)
// pays off only over more tiles. LutGemmBenchmark.main, qu8, LUT / dense, min of 150-200
// interleaved, in registers vs panels: 7x7x320x1280 (49 rows) 0.97 vs 0.92, FC 1280 -> 1001 at
// batch 16 0.97 vs 0.75, batch 32 0.97 vs 0.86, 10x10x320x1280 0.96 vs 0.95, 14x14x96x576
// (196) 0.97 vs 0.97 (noise ~3%): the crossover by that cost is near 8 tiles.
constexpr int32_t kInRegisterMaxRows = 128;

template <bool GL, bool U, bool SHARED, bool B5, bool VB, bool CT = false>
static void run_s(const whittle_q8_lut_params* lp, const uint8_t* input, uint8_t* output, void* scratch, int32_t m0,
                  int32_t m1, int32_t n0, int32_t n1) {
  const whittle_q8_gemm_params* p = &lp->gemm;
  const int32_t kp = p->kp;
  const int32_t k = p->k;
  // scratch: the decoded panel (64-aligned: Java allocates 64-aligned scratch), the packed
  // block of rows, 64 bytes of slack for gather_bytes, the rows' sum terms.
  uint8_t* panel = static_cast<uint8_t*>(scratch);
  uint8_t* a = panel + (size_t) kNR * kp;
  int32_t* row_terms = reinterpret_cast<int32_t*>(a + (size_t) p->mb * kp + 64);
  const uint8_t* input_end = input + whittle_q8::input_bytes(p);
  const uint8_t flip = (uint8_t) p->x_flip;
  const uint32_t coef = (uint32_t) p->row_coef;
  const bool want_sum = coef != 0;
  const uint8_t* indices = reinterpret_cast<const uint8_t*>(static_cast<uintptr_t>(lp->indices));
  const uint8_t* tables = reinterpret_cast<const uint8_t*>(static_cast<uintptr_t>(lp->tables));
  const uint8_t* bits = reinterpret_cast<const uint8_t*>(static_cast<uintptr_t>(lp->bits));
  const size_t panel_idx = (size_t) kNR * kp / 2;
  const int32_t blocks = kp >> 3;
  const int32_t n_total = p->out_c;
  const bool direct = whittle_q8::is_direct(p);
  const whittle_q8::SmallRuns small(p, input);
  const size_t src_step = (size_t) p->stride_w * p->in_c;
  const __m128i flip16 = _mm_set1_epi8((char) flip);
  alignas(64) uint8_t rebuilt[256];
  const __mmask16 run_mask = (__mmask16) ((1u << (small.run < 16 ? small.run : 16)) - 1);
  const bool in_place = direct && kp == k && flip == 0;
  for (int32_t mb0 = m0; mb0 < m1; mb0 += p->mb) {
    const int32_t rows = m1 - mb0 < p->mb ? m1 - mb0 : p->mb;
    whittle_q8::Pixel px = whittle_q8::pixel_at(p, mb0);
    // The block's packed rows. 1x1 / FC blocks of unsigned activations (x_flip 0: uint8
    // layers) with kp == k (K a multiple of 8) are read in place: row m of the block IS input
    // row m, so only the row terms are computed (one masked load + vpsadbw per row, no store).
    // Staging them (stage_row: load, XOR, mask, store, sum, and the pixel bookkeeping) took
    // ~11 cycles a row, a third of 112x112x32x16 (session 9, issue 9).
    const uint8_t* ab = a;
    if (in_place) {
      ab = input + (size_t) mb0 * k;
      direct_row_terms(ab, rows, k, coef, want_sum, row_terms);
    } else {
      for (int32_t r = 0; r < rows;) {
        // Small-Cin convolutions (kw * Cin <= 16: MobileNet's first layer, K = 27), as the dense
        // kernel packs them (q8_conv2d_gemm_8x16c4__avx512vnni.cc, whittle_q8::SmallRuns): the
        // interior pixels of an output row as kh 16-byte loads and stores each; the bytes a store
        // writes past its run are overwritten by the next run, the K padding (kp - k < 8 zero
        // bytes), the next row, or fall in the block's 64 bytes of slack. The generic gather took
        // 0.45x of dense on 224x224x3 -> 32 3x3 s2.
        const uint8_t* src = nullptr;
        const int32_t run_px = direct ? 0 : small.interior(input, p->in_c, p->kw, p->out_w, px, rows - r, &src);
        if (run_px > 0) {
          for (int32_t j = 0; j < run_px; j++, r++, src += src_step) {
            uint8_t* row = a + (size_t) r * kp;
            __m128i sums = _mm_setzero_si128();
            for (int32_t fy = 0; fy < small.kh; fy++) {
              const __m128i v = _mm_xor_si128(
                  _mm_loadu_si128(reinterpret_cast<const __m128i*>(src + (size_t) fy * small.row_step)), flip16);
              _mm_storeu_si128(reinterpret_cast<__m128i*>(row + fy * small.run), v);
              if (want_sum) {
                sums = _mm_add_epi64(sums, _mm_sad_epu8(_mm_maskz_mov_epi8(run_mask, v), _mm_setzero_si128()));
              }
            }
            const uint64_t zero = 0;
            memcpy(row + k, &zero, 8);
            row_terms[r] = want_sum
                               ? (int32_t) (coef * (uint32_t) (_mm_cvtsi128_si64(sums) + _mm_extract_epi64(sums, 1)))
                               : 0;
          }
          whittle_q8::advance_pixels(p, &px, run_px);
          continue;
        }
        uint8_t* row = a + (size_t) r * kp;
        uint32_t sum;
        if (direct) {
          // 1x1 rows: the dense kernel's stage_row (unmasked stores, up to 63 bytes past the row:
          // rows are staged in order and the block has 64 bytes of slack before row_terms);
          // transform_row's masked stores left 112x112 K = 32 at 0.80x of dense (session 8).
          sum = stage_row(input + (size_t) px.m * k, input_end, row, k, kp, flip, want_sum);
        } else {
          whittle_q8::gather_bytes(p, input, input_end, false, px, row);
          sum = transform_row(row, row, k, kp, flip, want_sum);
        }
        row_terms[r] = (int32_t) (coef * sum);
        r++;
        whittle_q8::next_pixel(p, &px);
      }
    }
    for (int32_t n = n0; n < n1; n += kNR) {
      const uint8_t* tb = tables + (size_t) (n / kNR) * lp->table_stride;
      Tables t;
#if WHITTLE_Q8_LUT_VBMI
      if (CT) {
        t.t0 = compact_table(tb, 0);
        t.t1 = compact_table(tb, 1);
        t.t2 = compact_table(tb, 2);
        t.t3 = compact_table(tb, 3);
      } else
#endif
      {
        if (!B5 && lp->table_format == 2) {
          // 12-byte tables in the slot form (q8_lut_compact_avx2.h; CPUs without VBMI2, or
          // -Dwhittle.lut.vbmi=false): the panel's 4 zmm rebuilt on the stack
          whittle_q8_lut_compact_avx2::expand<true>(tb, rebuilt);
          tb = rebuilt;
        }
        t.t0 = _mm512_loadu_si512(tb);
        t.t1 = _mm512_loadu_si512(tb + 64);
        t.t2 = _mm512_loadu_si512(tb + 128);
        t.t3 = _mm512_loadu_si512(tb + 192);
      }
      if (B5) {
        t.h0 = _mm512_loadu_si512(tb + 256);
        t.h1 = _mm512_loadu_si512(tb + 320);
        t.h2 = _mm512_loadu_si512(tb + 384);
        t.h3 = _mm512_loadu_si512(tb + 448);
      }
#if WHITTLE_Q8_LUT_VBMI
      if (VB) {
        vbmi_tables(&t);
      }
#endif
      const uint8_t* idx = indices + (size_t) (n / kNR) * panel_idx;
      // lut5: 16 bytes of bits per 8 K (two zmm), 2 kp bytes per panel
      const uint8_t* pb = B5 ? bits + (size_t) (n / kNR) * 2 * kp : nullptr;
      const int32_t nc = n_total - n < kNR ? n_total - n : kNR;
      const __mmask16 sm = (__mmask16) ((1u << nc) - 1);
      uint8_t* out = output + (size_t) mb0 * n_total + n;
      if (rows <= kMR) {
        tail<GL, U, true, SHARED, B5, VB>(rows, p, ab, kp, row_terms, nullptr, idx, pb, t, n, sm, out, n_total);
        continue;
      }
      if (VB && rows <= kInRegisterMaxRows) {
        // tiles of at most 16 rows, as even as possible (no 1-row tile paying a whole decode)
        const int32_t tiles = (rows + 15) / 16;
        int32_t r = 0;
        for (int32_t i = 0; i < tiles; i++) {
          const int32_t mr = rows / tiles + (i < rows % tiles ? 1 : 0);
          tail16<GL, U, SHARED, B5, VB>(mr, p, ab + (size_t) r * kp, kp, row_terms + r, idx, pb, t, n, sm,
                                        out + (size_t) r * n_total, n_total);
          r += mr;
        }
        continue;
      }
      // Panels (blocks of more than kInRegisterMaxRows rows) keep the vpshufb decode: with the
      // decode amortized over 16+ tiles, vpermi2b measured 0.97-0.98 of dense at 14x14x96x576
      // against 1.01 (both dtypes, one run each, noise ~2%).
      decode_panel<SHARED, B5, false>(t, idx, pb, blocks, panel);
      if (nc <= 8) {
        run_half<GL, U>(p, ab, kp, row_terms, panel, n, (__mmask8) ((1u << nc) - 1), out, n_total, rows);
        continue;
      }
      int32_t r = 0;
      for (; r + kMR <= rows; r += kMR) {
        microtile<kMR, GL, U, false, SHARED, B5, VB>(p, ab + (size_t) r * kp, kp, row_terms + r, panel, nullptr,
                                                     nullptr, t, n, sm, out + (size_t) r * n_total, n_total);
      }
      tail<GL, U, false, SHARED, B5, VB>(rows - r, p, ab + (size_t) r * kp, kp, row_terms + r, panel, nullptr, nullptr, t,
                                     n, sm, out + (size_t) r * n_total, n_total);
    }
  }
}

template <bool GL, bool U>
static void run_t(const whittle_q8_lut_params* lp, const uint8_t* input, uint8_t* output, void* scratch, int32_t m0,
                  int32_t m1, int32_t n0, int32_t n1) {
  const bool b5 = lp->index_bits == 5;
  if (lp->table_stride == 0) {
    if (b5) {
      run_s<GL, U, true, true, false>(lp, input, output, scratch, m0, m1, n0, n1);
    } else {
      run_s<GL, U, true, false, false>(lp, input, output, scratch, m0, m1, n0, n1);
    }
  } else if (b5) {
    run_s<GL, U, false, true, false>(lp, input, output, scratch, m0, m1, n0, n1);
  } else {
    // per-channel 4-bit tables: the VBMI decode where this TU has it (shared tables take one
    // vpshufb already; lut5's entries 16..31 stay on the masked vpshufb)
#if WHITTLE_Q8_LUT_VBMI
    if (lp->table_format == 1) {
      run_s<GL, U, false, false, true, true>(lp, input, output, scratch, m0, m1, n0, n1);
      return;
    }
#endif
    run_s<GL, U, false, false, WHITTLE_Q8_LUT_VBMI != 0>(lp, input, output, scratch, m0, m1, n0, n1);
  }
}

static void run(const whittle_q8_lut_params* p, const uint8_t* input, uint8_t* output, void* scratch, int32_t m0,
                int32_t m1, int32_t n0, int32_t n1) {
  WHITTLE_Q8_RUN_GL_U(&p->gemm, run_t, p, input, output, scratch, m0, m1, n0, n1);
}

}  // namespace

#endif  // WHITTLE_Q8_LUT_8X16C4_AVX512_H_
