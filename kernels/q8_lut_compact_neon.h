// 12-byte LUT tables on NEON (issue 9, table bytes on Arm, session 10): the resident per-channel
// tables of the NEON LUT kernels (q8_gemm_lut4_4x16c4__neondot.cc, q8_gemm_lut4_4x16c16__neondot.cc)
// when params table_format is 2, rebuilt into the 16-byte tables those kernels read, one
// 16-channel group at a time into a 256-byte buffer on the caller's stack (no allocation, L1).
//
// The resident bytes are exactly those of the AVX2 / VNNI slot form (q8_lut_compact_avx2.h,
// written by Q8LutGemm.writeCompactTablesAvx2 with slot = channel): per group 192 bytes, three
// arrays of 16 dwords (slot s at 4 s): the 32-bit unary codes (bit h_e + e set for entry e,
// h_e its high nibble; entries ascending), loA (byte i: low nibble of t_i | low nibble of
// t_{8+i} << 4, i = 0..3), loB (the same for t_{4+i}, t_{12+i}). The rebuilt layout is the NEON
// (and VNNI) panel tables: channel 4 L + j's 16 entries at byte 64 j + 16 L (the AVX2 header's
// expand<true> layout).
//
// Portable C++ (no ISA flags): per entry one count-trailing-zeros (the lowest set bit left in
// the code is h_e + e), one clear of that bit, a shift and an or; 256 entries per group, paid
// once per 16-channel group and block of pixels (up to 512 pixels: the panel kernel decodes
// each panel once per block too), against ~16 K / 8 vector ops of panel decode at K = 1280.
// Not measured on Arm hardware (none here); tested for exactness under qemu only.
#ifndef WHITTLE_Q8_LUT_COMPACT_NEON_H_
#define WHITTLE_Q8_LUT_COMPACT_NEON_H_

#include <stdint.h>
#include <string.h>

namespace whittle_q8_lut_compact_neon {

// Bytes of one 16-channel group's 12-byte tables (Q8LutGemm.COMPACT_PANEL_BYTES).
constexpr int kGroupBytes = 192;

// Rebuilds one group's 256 bytes of 16-byte tables at dst (channel c at 64 (c % 4) + 16 (c / 4))
// from its 192 bytes of 12-byte tables at src.
static inline void expand(const uint8_t* src, uint8_t* dst) {
  for (int s = 0; s < 16; s++) {
    uint32_t code;
    uint32_t lo[2];
    memcpy(&code, src + 4 * s, 4);
    memcpy(&lo[0], src + 64 + 4 * s, 4);
    memcpy(&lo[1], src + 128 + 4 * s, 4);
    uint8_t* out = dst + 64 * (s % 4) + 16 * (s / 4);
    for (int e = 0; e < 16; e++) {
      // entries 0..3 / 8..11 in loA, 4..7 / 12..15 in loB; byte e % 4; high nibble from 8 on
      const uint32_t low = (lo[(e >> 2) & 1] >> (8 * (e & 3) + 4 * (e >> 3))) & 15;
      const int position = code == 0 ? e : __builtin_ctz(code);  // 16 bits are set: never 0
      code &= code - 1;
      out[e] = (uint8_t) ((uint32_t) (position - e) << 4 | low);
    }
  }
}

}  // namespace whittle_q8_lut_compact_neon

#endif  // WHITTLE_Q8_LUT_COMPACT_NEON_H_
