// 12-byte LUT tables on NEON (issue 9, table bytes on Arm, session 10): the resident per-channel
// tables of the NEON LUT kernels (q8_gemm_lut4_4x16c4__neondot.cc,
// q8_gemm_lut4_4x16c16__neondot.cc) when params table_format is 2, rebuilt into the 16-byte
// tables those kernels read, one 16-channel group at a time into a 256-byte buffer on the
// caller's stack (no allocation, L1).
//
// The resident bytes are exactly those of the AVX2 / VNNI slot form (q8_lut_compact_avx2.h,
// written by Q8LutGemm.writeCompactTablesAvx2 with slot = channel): per group 192 bytes, three
// arrays of 16 dwords (slot s at 4 s): the 32-bit unary codes (bit h_e + e set for entry e,
// h_e its high nibble; entries ascending), loA (byte i: low nibble of t_i | low nibble of
// t_{8+i} << 4, i = 0..3), loB (the same for t_{4+i}, t_{12+i}). The rebuilt layout is the NEON
// (and VNNI) panel tables: channel 4 L + j's 16 entries at byte 64 j + 16 L (the AVX2 header's
// expand<true> layout).
//
// AArch64 baseline NEON (no DotProd needed), the AVX2 header's method 4 channels per register:
// the e-th entry's bit position p_e = h_e + e is the lowest set bit left in the code (x ^ (x &
// (x - 1)), cleared after), whose uint32 -> float conversion is exactly (127 + p_e) << 23;
// shifted to the high nibble of byte e % 4 and summed (USRA), minus the constant sum of
// (127 + e) at the same places, that is h_e << 4 in every byte (exact: linear mod 2^32); the low
// nibbles or-ed in, a 4x4 dword transpose (TRN1/TRN2) gives 4 channels' tables. ~110 ops per 16
// channels (plain C++, one ctz per entry: ~1,500), paid once per 16-channel group and block of
// pixels, like the panel decode itself. Not measured on Arm hardware (none here); tested for
// exactness under qemu only (NeonFormatVectorsTest).
#ifndef WHITTLE_Q8_LUT_COMPACT_NEON_H_
#define WHITTLE_Q8_LUT_COMPACT_NEON_H_

#include <arm_neon.h>
#include <stdint.h>

namespace whittle_q8_lut_compact_neon {

// Bytes of one 16-channel group's 12-byte tables (Q8LutGemm.COMPACT_PANEL_BYTES).
constexpr int kGroupBytes = 192;

// sum over i = 0..3 of (127 + 4 q + i) << (4 + 8 i), mod 2^32
constexpr uint32_t bias_of(int q) {
  uint32_t k = 0;
  for (int i = 0; i < 4; i++) {
    k += (uint32_t) (127 + 4 * q + i) << (4 + 8 * i);
  }
  return k;
}

// The lowest set bit left in each dword of *c, removed, as (127 + position) << 23 (the uint32 ->
// float conversion of a power of two is exact).
static inline __attribute__((always_inline)) uint32x4_t take(uint32x4_t* c) {
  const uint32x4_t next = vandq_u32(*c, vsubq_u32(*c, vdupq_n_u32(1)));
  const uint32x4_t low = veorq_u32(*c, next);
  *c = next;
  return vreinterpretq_u32_f32(vcvtq_f32_u32(low));
}

// Entries 4 q..4 q + 3 of 4 channels (one per dword), high nibbles only: (h << 4) in bytes 0..3.
static inline __attribute__((always_inline)) uint32x4_t quad(uint32x4_t* c, uint32_t bias) {
  uint32x4_t a = vshrq_n_u32(take(c), 19);
  a = vsraq_n_u32(a, take(c), 11);
  a = vsraq_n_u32(a, take(c), 3);
  a = vaddq_u32(a, vshlq_n_u32(take(c), 5));
  return vsubq_u32(a, vdupq_n_u32(bias));
}

// Rebuilds one group's 256 bytes of 16-byte tables at dst (channel c at 64 (c % 4) + 16 (c / 4))
// from its 192 bytes of 12-byte tables at src: the AVX2 header's method, 4 channels per
// register (one dword each), a 4x4 dword transpose per 4 channels; ~110 NEON ops per 16 channels.
static inline void expand(const uint8_t* src, uint8_t* dst) {
  const uint32x4_t f = vdupq_n_u32(0x0F0F0F0Fu);
  _Pragma("GCC unroll 4") for (int q = 0; q < 4; q++) {
    uint32x4_t c = vld1q_u32(reinterpret_cast<const uint32_t*>(src + 16 * q));
    const uint32x4_t la = vld1q_u32(reinterpret_cast<const uint32_t*>(src + 64 + 16 * q));
    const uint32x4_t lb = vld1q_u32(reinterpret_cast<const uint32_t*>(src + 128 + 16 * q));
    const uint32x4_t d0 = vorrq_u32(quad(&c, bias_of(0)), vandq_u32(la, f));
    const uint32x4_t d1 = vorrq_u32(quad(&c, bias_of(1)), vandq_u32(lb, f));
    const uint32x4_t d2 = vorrq_u32(quad(&c, bias_of(2)), vandq_u32(vshrq_n_u32(la, 4), f));
    const uint32x4_t d3 = vorrq_u32(quad(&c, bias_of(3)), vandq_u32(vshrq_n_u32(lb, 4), f));
    // lane i of d0..d3: channel 4 q + i's entries 0..3, 4..7, 8..11, 12..15
    const uint64x2_t t0 = vreinterpretq_u64_u32(vtrn1q_u32(d0, d1));
    const uint64x2_t t1 = vreinterpretq_u64_u32(vtrn2q_u32(d0, d1));
    const uint64x2_t t2 = vreinterpretq_u64_u32(vtrn1q_u32(d2, d3));
    const uint64x2_t t3 = vreinterpretq_u64_u32(vtrn2q_u32(d2, d3));
    vst1q_u8(dst + 16 * q, vreinterpretq_u8_u64(vtrn1q_u64(t0, t2)));
    vst1q_u8(dst + 64 + 16 * q, vreinterpretq_u8_u64(vtrn1q_u64(t1, t3)));
    vst1q_u8(dst + 128 + 16 * q, vreinterpretq_u8_u64(vtrn2q_u64(t0, t2)));
    vst1q_u8(dst + 192 + 16 * q, vreinterpretq_u8_u64(vtrn2q_u64(t1, t3)));
  }
}

}  // namespace whittle_q8_lut_compact_neon

#endif  // WHITTLE_Q8_LUT_COMPACT_NEON_H_
