// 12-byte LUT tables on AVX2 (issue 9, table bytes, session 10): the resident per-channel
// tables of the AVX2 LUT kernels (q8_gemm_lut4_4x16c2__avx2.cc, q8_gemm_lut4_8x2c8__avx2.cc) when
// params table_format is 1, rebuilt into the 16-byte tables those kernels read, one 16-channel
// group at a time into a 256-byte buffer on the caller's stack (no allocation, L1).
//
// The information is the lut4vbmi2 kernel's (q8_lut_8x16c4_avx512.h, compact_table): a
// channel's 16 entries t_0..t_15 (stored bytes; Java sorts them ascending, so the high nibbles
// h_e rise) are kept as 8 bytes of low nibbles and a 32-bit unary code with bit h_e + e set for
// each entry e. AVX2 has no vpcompressb, so the layout differs (written by
// Q8LutGemm.writeCompactTablesAvx2): per group 192 bytes of 16 dword slots, each of three
// 64-byte arrays in slot order: the codes; loA (byte i = low nibble of t_i | low nibble of
// t_{8+i} << 4, i = 0..3); loB (the same for t_{4+i} and t_{12+i}). Slot s holds the channel
// the kernel wants in ymm (s / 8) * 4 + s % 4, lane (s % 8) / 4 of the rebuilt tables: the
// panel kernel's own table layout (slot = channel), or the 8x2c8 kernel's channel pairs
// (slot order 0 2 4 6 1 3 5 7 8 10 ...).
//
// The rebuild works on 8 channels per ymm, one dword per channel: the e-th entry's position
// p_e = h_e + e is the lowest set bit left in the code (x & -x, cleared after), whose int32 ->
// float conversion is exactly (127 + p_e) << 23; shifted to the high nibble of byte e % 4 of
// dword e / 4 and summed, minus the constant sum of (127 + e) at the same places, that is
// h_e << 4 in every byte (exact: the sums are linear mod 2^32 and the result fits). The low
// nibbles are or-ed in and a 4x4 dword transpose per 128-bit lane gives the tables: about
// 120 ops per 16 channels, against 21 ops per K pair for the panel decode that follows.
#ifndef WHITTLE_Q8_LUT_COMPACT_AVX2_H_
#define WHITTLE_Q8_LUT_COMPACT_AVX2_H_

#include <immintrin.h>
#include <stdint.h>

namespace whittle_q8_lut_compact_avx2 {

// Bytes of one 16-channel group's 12-byte tables.
constexpr int kGroupBytes = 192;

// The lowest set bit left in each dword of *c, removed, as (127 + position) << 23.
static inline __attribute__((always_inline)) __m256i take(__m256i* c) {
  const __m256i low = _mm256_and_si256(*c, _mm256_sub_epi32(_mm256_setzero_si256(), *c));
  *c = _mm256_xor_si256(*c, low);
  return _mm256_castps_si256(_mm256_cvtepi32_ps(low));
}

// sum over i = 0..3 of (127 + 4 q + i) << (4 + 8 i), mod 2^32
constexpr uint32_t bias_of(int q) {
  uint32_t k = 0;
  for (int i = 0; i < 4; i++) {
    k += (uint32_t) (127 + 4 * q + i) << (4 + 8 * i);
  }
  return k;
}

// The four entries 4q..4q+3 of each channel, high nibbles only: (h << 4) in bytes 0..3.
static inline __attribute__((always_inline)) __m256i quad(__m256i* c, uint32_t bias) {
  __m256i d = _mm256_srli_epi32(take(c), 19);
  d = _mm256_add_epi32(d, _mm256_srli_epi32(take(c), 11));
  d = _mm256_add_epi32(d, _mm256_srli_epi32(take(c), 3));
  d = _mm256_add_epi32(d, _mm256_slli_epi32(take(c), 5));
  return _mm256_sub_epi32(d, _mm256_set1_epi32((int32_t) bias));
}

// Rebuilds one group's 16-byte tables (256 bytes, 32-aligned) from its 12-byte ones: out_g[i]
// (lane L: slot 8 g + 4 L + i) as ymm 4 g + i (AVX2 kernels), or, ZMM, as the low (g = 0) or high
// (g = 1) half of zmm i (the AVX-512 VNNI c16 / 8x16c4 tables: zmm i, lane L = channel 4 L + i).
template <bool ZMM = false>
static inline void expand(const uint8_t* src, uint8_t* dst) {
  const __m256i f = _mm256_set1_epi8(0x0F);
  for (int g = 0; g < 2; g++) {
    const uint8_t* s = src + 32 * g;
    __m256i c = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(s));
    const __m256i la = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(s + 64));
    const __m256i lb = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(s + 128));
    const __m256i d0 = _mm256_or_si256(quad(&c, bias_of(0)), _mm256_and_si256(la, f));
    const __m256i d1 = _mm256_or_si256(quad(&c, bias_of(1)), _mm256_and_si256(lb, f));
    const __m256i d2 = _mm256_or_si256(quad(&c, bias_of(2)), _mm256_and_si256(_mm256_srli_epi32(la, 4), f));
    const __m256i d3 = _mm256_or_si256(quad(&c, bias_of(3)), _mm256_and_si256(_mm256_srli_epi32(lb, 4), f));
    // per 128-bit lane, dword i of d_q is entry quad q of slot 4 L + i: transpose to slots
    const __m256i t0 = _mm256_unpacklo_epi32(d0, d1);
    const __m256i t1 = _mm256_unpackhi_epi32(d0, d1);
    const __m256i t2 = _mm256_unpacklo_epi32(d2, d3);
    const __m256i t3 = _mm256_unpackhi_epi32(d2, d3);
    __m256i* out = reinterpret_cast<__m256i*>(dst) + (ZMM ? g : 4 * g);
    const int step = ZMM ? 2 : 1;
    _mm256_store_si256(out, _mm256_unpacklo_epi64(t0, t2));
    _mm256_store_si256(out + step, _mm256_unpackhi_epi64(t0, t2));
    _mm256_store_si256(out + 2 * step, _mm256_unpacklo_epi64(t1, t3));
    _mm256_store_si256(out + 3 * step, _mm256_unpackhi_epi64(t1, t3));
  }
}

}  // namespace whittle_q8_lut_compact_avx2

#endif  // WHITTLE_Q8_LUT_COMPACT_AVX2_H_
