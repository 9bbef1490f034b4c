// The dense int8/uint8 4x16c2 AVX2 GEMM microkernel (q8_conv2d_gemm_4x16c2__avx2.cc explains the
// arithmetic): the activation widening of the im2col gather and the 4 x 16 microtile with the
// fused requantization. Shared by the dense kernel and by the LUT panel kernel
// (q8_gemm_lut4_4x16c2__avx2.cc), which runs it on panels it decodes in the same layout.
// Include only from a file compiled with the avx2 ISA flags.
#ifndef WHITTLE_KERNELS_Q8_GEMM_4X16C2_AVX2_H_
#define WHITTLE_KERNELS_Q8_GEMM_4X16C2_AVX2_H_

#include <immintrin.h>
#include <string.h>

#include "q8_gemm_common.h"
#include "q8_requant_avx2.h"
#include "q8_requant_fast_avx2.h"

namespace whittle_q8_4x16c2_avx2 {

using namespace whittle_q8_avx2;  // NOLINT: Requant, load_requant, requantize

constexpr int kMR = 4;
constexpr int kNR = 16;

// Widens count bytes (signed or unsigned) to int16, or writes count copies of the zero point.
static inline void widen(const uint8_t* src, int16_t* dst, int32_t count, bool is_unsigned, int16_t zero) {
  if (src == nullptr) {
    const __m256i z = _mm256_set1_epi16(zero);
    int32_t i = 0;
    for (; i + 16 <= count; i += 16) {
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(dst + i), z);
    }
    for (; i < count; i++) {
      dst[i] = zero;
    }
    return;
  }
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

// The K loop of a tile of MR pixels x 16 channels: the accumulators start from the per-channel
// constant, then take every K pair of the panel. Shared by microtile and the dense kernel's
// folded-ruy microtile (q8_conv2d_gemm_4x16c2__avx2.cc).
template <int MR>
WHITTLE_Q8_INLINE void accumulate(const whittle_q8_gemm_params* p, const int16_t* a, int32_t a_stride,
                                  const int16_t* w, int32_t n, __m256i (&acc0)[MR], __m256i (&acc1)[MR]) {
  // The accumulators start from the per-channel constant (bias and offset terms).
  const int32_t* cnst = whittle_q8::channel_array(p, WHITTLE_Q8_CH_CONST) + n;
  const __m256i c0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(cnst));
  const __m256i c1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(cnst + 8));
  _Pragma("GCC unroll 8") for (int r = 0; r < MR; r++) {
    acc0[r] = c0;
    acc1[r] = c1;
  }
  const int32_t pairs = p->kp >> 1;
  if (MR == 4) {
    // The full tile's K loop in asm: GCC schedules the four broadcasts first and then spills
    // an accumulator every iteration (18 live ymm), which puts a store-forwarding round trip on
    // the loop-carried path. Here 8 accumulators + 2 weight rows + 3 temporaries = 13 ymm.
    const int16_t* a0 = a;
    const int16_t* a1 = a + a_stride;
    const int16_t* a2 = a + 2 * (size_t) a_stride;
    const int16_t* a3 = a + 3 * (size_t) a_stride;
    const int16_t* wp = w;
    intptr_t i = 0;
    const intptr_t end = (intptr_t) pairs * 4;
    __m256i b0, b1, x, t0, t1;
    __asm__ volatile(
        "1:\n\t"
        "vmovdqa (%[w]), %[b0]\n\t"
        "vmovdqa 32(%[w]), %[b1]\n\t"
        "vpbroadcastd (%[a0],%[i]), %[x]\n\t"
        "vpmaddwd %[b0], %[x], %[t0]\n\t"
        "vpmaddwd %[b1], %[x], %[t1]\n\t"
        "vpaddd %[t0], %[c00], %[c00]\n\t"
        "vpaddd %[t1], %[c01], %[c01]\n\t"
        "vpbroadcastd (%[a1],%[i]), %[x]\n\t"
        "vpmaddwd %[b0], %[x], %[t0]\n\t"
        "vpmaddwd %[b1], %[x], %[t1]\n\t"
        "vpaddd %[t0], %[c10], %[c10]\n\t"
        "vpaddd %[t1], %[c11], %[c11]\n\t"
        "vpbroadcastd (%[a2],%[i]), %[x]\n\t"
        "vpmaddwd %[b0], %[x], %[t0]\n\t"
        "vpmaddwd %[b1], %[x], %[t1]\n\t"
        "vpaddd %[t0], %[c20], %[c20]\n\t"
        "vpaddd %[t1], %[c21], %[c21]\n\t"
        "vpbroadcastd (%[a3],%[i]), %[x]\n\t"
        "vpmaddwd %[b0], %[x], %[t0]\n\t"
        "vpmaddwd %[b1], %[x], %[t1]\n\t"
        "vpaddd %[t0], %[c30], %[c30]\n\t"
        "vpaddd %[t1], %[c31], %[c31]\n\t"
        "add $64, %[w]\n\t"
        "add $4, %[i]\n\t"
        "cmp %[end], %[i]\n\t"
        "jne 1b\n\t"
        : [c00] "+x"(acc0[0]), [c01] "+x"(acc1[0]), [c10] "+x"(acc0[1 % MR]), [c11] "+x"(acc1[1 % MR]),
          [c20] "+x"(acc0[2 % MR]), [c21] "+x"(acc1[2 % MR]), [c30] "+x"(acc0[3 % MR]), [c31] "+x"(acc1[3 % MR]),
          [w] "+r"(wp), [i] "+r"(i), [b0] "=&x"(b0), [b1] "=&x"(b1), [x] "=&x"(x), [t0] "=&x"(t0), [t1] "=&x"(t1)
        : [a0] "r"(a0), [a1] "r"(a1), [a2] "r"(a2), [a3] "r"(a3), [end] "r"(end)
        : "cc", "memory");
  } else
  for (int32_t q = 0; q < pairs; q++) {
    const __m256i b0 = _mm256_load_si256(reinterpret_cast<const __m256i*>(w));
    const __m256i b1 = _mm256_load_si256(reinterpret_cast<const __m256i*>(w + 16));
    w += 32;
    _Pragma("GCC unroll 8") for (int r = 0; r < MR; r++) {
      int32_t pair;
      memcpy(&pair, a + (size_t) r * a_stride + 2 * q, 4);
      const __m256i x = _mm256_set1_epi32(pair);
      acc0[r] = _mm256_add_epi32(acc0[r], _mm256_madd_epi16(x, b0));
      acc1[r] = _mm256_add_epi32(acc1[r], _mm256_madd_epi16(x, b1));
    }
  }
}

// GL: gemmlowp rounding (else ruy's); U: uint8 output. Template arguments, so the per-row
// store has no branches.
template <int MR, bool GL, bool U>
WHITTLE_Q8_INLINE void microtile(const whittle_q8_gemm_params* p, const int16_t* a, int32_t a_stride,
                             const int16_t* w, int32_t n, int32_t nc, uint8_t* out, int32_t out_stride) {
  __m256i acc0[MR], acc1[MR];
  accumulate<MR>(p, a, a_stride, w, n, acc0, acc1);
  const Requant r0 = load_requant(p, n);
  const Requant r1 = load_requant(p, n + 8);
  const __m256i off = _mm256_set1_epi32(p->output_offset);
  const __m256i lo = _mm256_set1_epi32(p->act_min);
  const __m256i hi = _mm256_set1_epi32(p->act_max);
  const bool gl = GL;
  const bool hl = p->has_left_shift != 0;
  const bool u = U;
  _Pragma("GCC unroll 8") for (int r = 0; r < MR; r++) {
    const __m128i bytes = narrow(requantize(acc0[r], r0, hl, gl, off, lo, hi), requantize(acc1[r], r1, hl, gl, off, lo, hi), u);
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

// The last panel's microtile (dense and LUT kernels) where it has at most 8 real channels (N = 8 of a first
// MobileNet v1 0.25 layer, N = 24, 40, 56): the low 8 channels of each pair row only, 8 pixels
// per tile, so no multiply-add or requantization is spent on padding channels.
template <int MR, bool GL, bool U>
WHITTLE_Q8_INLINE void microtile8(const whittle_q8_gemm_params* p, const int16_t* a, int32_t a_stride,
                                  const int16_t* w, int32_t n, int32_t nc, uint8_t* out, int32_t out_stride) {
  const __m256i c = ld_channel(p, WHITTLE_Q8_CH_CONST, n);
  __m256i acc[MR];
  _Pragma("GCC unroll 8") for (int r = 0; r < MR; r++) {
    acc[r] = c;
  }
  const int32_t pairs = p->kp >> 1;
  for (int32_t q = 0; q < pairs; q++) {
    const __m256i b = _mm256_load_si256(reinterpret_cast<const __m256i*>(w));
    w += 32;
    _Pragma("GCC unroll 8") for (int r = 0; r < MR; r++) {
      int32_t pair;
      memcpy(&pair, a + (size_t) r * a_stride + 2 * q, 4);
      acc[r] = _mm256_add_epi32(acc[r], _mm256_madd_epi16(_mm256_set1_epi32(pair), b));
    }
  }
  const Requant rq = load_requant(p, n);
  const __m256i off = _mm256_set1_epi32(p->output_offset);
  const __m256i lo = _mm256_set1_epi32(p->act_min);
  const __m256i hi = _mm256_set1_epi32(p->act_max);
  const bool hl = p->has_left_shift != 0;
  _Pragma("GCC unroll 8") for (int r = 0; r < MR; r++) {
    const __m256i v = requantize(acc[r], rq, hl, GL, off, lo, hi);
    const __m128i bytes = narrow(v, v, U);
    uint8_t* dst = out + (size_t) r * out_stride;
    if (nc == 8) {
      _mm_storel_epi64(reinterpret_cast<__m128i*>(dst), bytes);
    } else {
      alignas(16) uint8_t tmp[16];
      _mm_store_si128(reinterpret_cast<__m128i*>(tmp), bytes);
      memcpy(dst, tmp, (size_t) nc);
    }
  }
}

// ruy's output stage (GL = false) in one rounding: RuyMath.multiplyByQuantizedMultiplier is
//   floor((floor((y + 2^30) / 2^31) + nudge) / 2^right),  y = (x << left) * m,
// nested floor divisions by powers of two with integer addends fold into
//   floor((y + 2^30 + nudge * 2^31) / 2^(31 + right)),
// and its saturating case (floor(..) + nudge past INT32_MAX) is that same exact quotient,
// 1 << (31 - right). AVX2 has no 64-bit arithmetic shift: with 2^62 added (|y| < 2^62, and
// 2^62 a multiple of 2^(31 + right)) the sum is non-negative and a logical shift floors it;
// the extra 2^(31 - right) of the quotient goes into the per-channel output offset (int32
// wrapping, as the two-step form's final add). 12 instructions per 8 outputs against 16
// (17 uops with vpblendvb): at K = 8..32 the output stage costs more than the multiply-adds.
// Session 14: the fold lives in q8_requant_fast_avx2.h (FoldLanes), which extends it to
// gemmlowp's rounding (uint8 CONV_2D: 12 instructions per 8 outputs, 10 under a fused ReLU)
// so that this kernel and the sparse ones share one output stage.
using RuyFold = whittle_q8_fast_avx2::FoldLanes;

// Without the clamp (microtile_ruy clamps the packed bytes: the saturating packs are monotonic
// and exact inside [act_min, act_max], a sub-range of the output type, so clamping after them is
// the same; 2 byte ops per 32 outputs instead of 2 int32 ops per 8).
template <bool kOddHi, bool kFix>
WHITTLE_Q8_INLINE __m256i requantize_ruy_nc(__m256i acc, const RuyFold& f, bool has_left) {
  return whittle_q8_fast_avx2::requantize_lanes<kOddHi, kFix>(acc, f, has_left);
}

// Clamps packed output bytes to [lo, hi] (byte-broadcast act_min / act_max).
template <bool U>
WHITTLE_Q8_INLINE __m256i clamp_bytes(__m256i b, __m256i lo, __m256i hi) {
  return U ? _mm256_min_epu8(_mm256_max_epu8(b, lo), hi) : _mm256_min_epi8(_mm256_max_epi8(b, lo), hi);
}

template <bool kFix>
WHITTLE_Q8_INLINE __m256i requantize_ruy(__m256i acc, const RuyFold& f, bool has_left, __m256i lo, __m256i hi) {
  const __m256i v = whittle_q8_fast_avx2::requantize_lanes<false, kFix>(acc, f, has_left);
  return _mm256_min_epi32(_mm256_max_epi32(v, lo), hi);
}

// Two rows of 16 clamped int32 (lo/hi channel halves) -> 32 bytes, row a then row b: one
// packssdw per row, one pack to bytes and one lane permute for both (the per-row narrow takes 4).
WHITTLE_Q8_INLINE __m256i narrow2(__m256i a0, __m256i a1, __m256i b0, __m256i b1, bool is_unsigned) {
  const __m256i wa = _mm256_packs_epi32(a0, a1);  // a0[0..3] a1[0..3] | a0[4..7] a1[4..7]
  const __m256i wb = _mm256_packs_epi32(b0, b1);
  const __m256i bytes = is_unsigned ? _mm256_packus_epi16(wa, wb) : _mm256_packs_epi16(wa, wb);
  // dwords: a0lo a1lo b0lo b1lo | a0hi a1hi b0hi b1hi -> a0lo a0hi a1lo a1hi b0lo b0hi b1lo b1hi
  return _mm256_permutevar8x32_epi32(bytes, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
}

// The 4 x 16 microtile of a full 16-channel panel with ruy's folded output stage (f: the
// panel's two halves, computed once per panel and block, not per tile).
template <int MR, bool U, bool kOddHi, bool kFix>
WHITTLE_Q8_INLINE void microtile_ruy(const whittle_q8_gemm_params* p, const int16_t* a, int32_t a_stride,
                                     const int16_t* w, int32_t n, const RuyFold* f, uint8_t* out,
                                     int32_t out_stride) {
  __m256i acc0[MR], acc1[MR];
  accumulate<MR>(p, a, a_stride, w, n, acc0, acc1);
  const __m256i lo = _mm256_set1_epi32(p->act_min);
  const __m256i hi = _mm256_set1_epi32(p->act_max);
  const __m256i lo8 = _mm256_set1_epi8((char) p->act_min);
  const __m256i hi8 = _mm256_set1_epi8((char) p->act_max);
  const bool hl = p->has_left_shift != 0;
  _Pragma("GCC unroll 8") for (int r = 0; r + 1 < MR; r += 2) {
    const __m256i b = clamp_bytes<U>(narrow2(requantize_ruy_nc<kOddHi, kFix>(acc0[r], f[0], hl),
                                             requantize_ruy_nc<kOddHi, kFix>(acc1[r], f[1], hl),
                                             requantize_ruy_nc<kOddHi, kFix>(acc0[r + 1], f[0], hl),
                                             requantize_ruy_nc<kOddHi, kFix>(acc1[r + 1], f[1], hl), U),
                                     lo8, hi8);
    uint8_t* dst = out + (size_t) r * out_stride;
    _mm_storeu_si128(reinterpret_cast<__m128i*>(dst), _mm256_castsi256_si128(b));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(dst + out_stride), _mm256_extracti128_si256(b, 1));
  }
  if (MR % 2 == 1) {
    const int r = MR - 1;
    const __m128i bytes = narrow(requantize_ruy<kFix>(acc0[r], f[0], hl, lo, hi), requantize_ruy<kFix>(acc1[r], f[1], hl, lo, hi), U);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out + (size_t) r * out_stride), bytes);
  }
}

// The rows of one full 16-channel panel with ruy's folded output stage.
template <bool U, bool kOddHi, bool kFix>
WHITTLE_Q8_INLINE void ruy_rows(const whittle_q8_gemm_params* p, const int16_t* a, int32_t kp, const int16_t* panel, int32_t n,
                     const RuyFold* f, uint8_t* out, int32_t n_total, int32_t rows) {
  int32_t r = 0;
  const int16_t* ar = a;
  uint8_t* outr = out;
  for (; r + kMR <= rows; r += kMR, ar += (size_t) kMR * kp, outr += (size_t) kMR * n_total) {
    microtile_ruy<kMR, U, kOddHi, kFix>(p, ar, kp, panel, n, f, outr, n_total);
  }
  switch (rows - r) {
    case 3: microtile_ruy<3, U, kOddHi, kFix>(p, ar, kp, panel, n, f, outr, n_total); break;
    case 2: microtile_ruy<2, U, kOddHi, kFix>(p, ar, kp, panel, n, f, outr, n_total); break;
    case 1: microtile_ruy<1, U, kOddHi, kFix>(p, ar, kp, panel, n, f, outr, n_total); break;
    default: break;
  }
}

// The rows of one full 16-channel panel (nc == kNR) with the folded output stage
// (q8_requant_fast_avx2.h), ruy's or gemmlowp's rounding: the dense kernel's full panels and,
// session 14, the AVX2 LUT panel kernel's (which decodes into the same panel layout).
template <bool GL, bool U>
WHITTLE_Q8_INLINE void folded_rows(const whittle_q8_gemm_params* p, const int16_t* a, int32_t kp, const int16_t* panel,
                                   int32_t n, uint8_t* out, int32_t n_total, int32_t rows) {
  const RuyFold f[2] = {whittle_q8_fast_avx2::fold_lanes(p, n, GL), whittle_q8_fast_avx2::fold_lanes(p, n + 8, GL)};
  const bool odd_hi = f[0].odd_hi && f[1].odd_hi;
  if (GL && !whittle_q8_fast_avx2::relu_folds(p)) {
    if (odd_hi) {
      ruy_rows<U, true, true>(p, a, kp, panel, n, f, out, n_total, rows);
    } else {
      ruy_rows<U, false, true>(p, a, kp, panel, n, f, out, n_total, rows);
    }
  } else if (odd_hi) {
    ruy_rows<U, true, false>(p, a, kp, panel, n, f, out, n_total, rows);
  } else {
    ruy_rows<U, false, false>(p, a, kp, panel, n, f, out, n_total, rows);
  }
}

}  // namespace whittle_q8_4x16c2_avx2

#endif  // WHITTLE_KERNELS_Q8_GEMM_4X16C2_AVX2_H_
