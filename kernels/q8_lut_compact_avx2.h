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
// p_e = h_e + e is the lowest set bit left in the code (x ^ (x & (x - 1)), cleared after), whose int32 ->
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

// The lowest set bit left in each dword of *c, removed, as (127 + position) << 23. The chain
// through *c is vpsubd + vpand (2 cycles); the isolated bit and its conversion hang off it.
static inline __attribute__((always_inline)) __m256i take(__m256i* c) {
  const __m256i next = _mm256_and_si256(*c, _mm256_sub_epi32(*c, _mm256_set1_epi32(1)));
  const __m256i low = _mm256_xor_si256(*c, next);
  *c = next;
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

// The four entries 4q..4q+3 of the two groups of 8 channels, high nibbles only: (h << 4) in
// bytes 0..3 (the two groups' chains interleaved: they are independent).
static inline __attribute__((always_inline)) void quad(__m256i* c0, __m256i* c1, uint32_t bias, __m256i* d0,
                                                       __m256i* d1) {
  __m256i a = _mm256_srli_epi32(take(c0), 19);
  __m256i b = _mm256_srli_epi32(take(c1), 19);
  a = _mm256_add_epi32(a, _mm256_srli_epi32(take(c0), 11));
  b = _mm256_add_epi32(b, _mm256_srli_epi32(take(c1), 11));
  a = _mm256_add_epi32(a, _mm256_srli_epi32(take(c0), 3));
  b = _mm256_add_epi32(b, _mm256_srli_epi32(take(c1), 3));
  a = _mm256_add_epi32(a, _mm256_slli_epi32(take(c0), 5));
  b = _mm256_add_epi32(b, _mm256_slli_epi32(take(c1), 5));
  const __m256i k = _mm256_set1_epi32((int32_t) bias);
  *d0 = _mm256_sub_epi32(a, k);
  *d1 = _mm256_sub_epi32(b, k);
}

// Transposes one group's entry quads d[q] (per 128-bit lane, dword i = slot 4 L + i) into
// tables and stores them: out[i * step] lane L = slot 4 L + i.
static inline __attribute__((always_inline)) void store_group(const __m256i* d, __m256i* out, int step) {
  const __m256i t0 = _mm256_unpacklo_epi32(d[0], d[1]);
  const __m256i t1 = _mm256_unpackhi_epi32(d[0], d[1]);
  const __m256i t2 = _mm256_unpacklo_epi32(d[2], d[3]);
  const __m256i t3 = _mm256_unpackhi_epi32(d[2], d[3]);
  _mm256_store_si256(out, _mm256_unpacklo_epi64(t0, t2));
  _mm256_store_si256(out + step, _mm256_unpackhi_epi64(t0, t2));
  _mm256_store_si256(out + 2 * step, _mm256_unpacklo_epi64(t1, t3));
  _mm256_store_si256(out + 3 * step, _mm256_unpackhi_epi64(t1, t3));
}

// Rebuilds one group's 16-byte tables (256 bytes, 32-aligned) from its 12-byte ones: out_g[i]
// (lane L: slot 8 g + 4 L + i) as ymm 4 g + i (AVX2 kernels), or, ZMM, as the low (g = 0) or high
// (g = 1) half of zmm i (the AVX-512 VNNI c16 / 8x16c4 tables: zmm i, lane L = channel 4 L + i).
template <bool ZMM = false>
static inline void expand(const uint8_t* src, uint8_t* dst) {
  const __m256i f = _mm256_set1_epi8(0x0F);
  __m256i c0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(src));
  __m256i c1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(src + 32));
  __m256i d0[4], d1[4];
  quad(&c0, &c1, bias_of(0), &d0[0], &d1[0]);
  quad(&c0, &c1, bias_of(1), &d0[1], &d1[1]);
  quad(&c0, &c1, bias_of(2), &d0[2], &d1[2]);
  quad(&c0, &c1, bias_of(3), &d0[3], &d1[3]);
  for (int g = 0; g < 2; g++) {
    __m256i* d = g == 0 ? d0 : d1;
    const __m256i la = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(src + 64 + 32 * g));
    const __m256i lb = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(src + 128 + 32 * g));
    d[0] = _mm256_or_si256(d[0], _mm256_and_si256(la, f));
    d[1] = _mm256_or_si256(d[1], _mm256_and_si256(lb, f));
    d[2] = _mm256_or_si256(d[2], _mm256_and_si256(_mm256_srli_epi32(la, 4), f));
    d[3] = _mm256_or_si256(d[3], _mm256_and_si256(_mm256_srli_epi32(lb, 4), f));
    store_group(d, reinterpret_cast<__m256i*>(dst) + (ZMM ? g : 4 * g), ZMM ? 2 : 1);
  }
}

}  // namespace whittle_q8_lut_compact_avx2

#endif  // WHITTLE_Q8_LUT_COMPACT_AVX2_H_
