// The one-input-channel depthwise kernel (whittle/dwconv_c1.h), shared by
// q8_dwconv2d_minmax_c1x8__avx2.cc (vpmaddwd + vpaddd) and q8_dwconv2d_minmax_c1x8__avx512vnni.cc
// (vpdpwssd on ymm: AVX-512 VL + VNNI, one instruction for both); each file compiles its copy with
// its flags. WHITTLE_C1_DPWSSD selects the multiply-add.
// DEPTHWISE_CONV_2D int8/uint8 with one input channel, depth multiplier >= 8 (issue 6):
// person_detect's first layer. Layout and algebra in whittle/dwconv_c1.h; Java side
// dev.whittle.runtime.kernels.NativeDepthwiseConvC1.
//
// Why not the rows kernel: with one input channel it expands each tap row to the 8 output
// channels lane by lane (pshufb of a window) and builds tap rows of 8x the input's bytes; here
// the input row is widened once and each tap pair is one broadcast dword for all 8 channels.
//
// Output stage: TFLite's MultiplyByQuantizedMultiplier (gemmlowp SRDHM, then RoundingDivideByPOT
// by e = right shift) as one rounding of the 64-bit product p = (x << left) * M:
//   result = floor((p + 2^30 + 2^(30+e) [e > 0] - 2^31 [p < -2^30] [e > 0]) / 2^(31+e))
// (nested floor divisions by powers of two fold; the tie of the second rounding goes away from
// zero, the [p < -2^30] term, i.e. SRDHM's result < 0). AVX2 has no 64-bit arithmetic shift: 2^62
// is added first (the sum stays in [0, 2^64)), the shift is logical, and the low dword is then
// result + 2^(31-e), taken back out with the output zero point (zp - 2^(31-e), wrapping int32).
#ifndef WHITTLE_KERNELS_Q8_DWCONV_C1_AVX2_H_
#define WHITTLE_KERNELS_Q8_DWCONV_C1_AVX2_H_

#include <immintrin.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "whittle/dwconv_c1.h"

static_assert(sizeof(whittle_dwconv_c1_params) == 176, "params block layout is mirrored by Java");
static_assert(offsetof(whittle_dwconv_c1_params, weights) == 96, "params block layout is mirrored by Java");

namespace {

#define WHITTLE_C1_INLINE static inline __attribute__((always_inline))

// acc + the int16 pair products of a and b (int32 lanes; the sums cannot overflow: |x|, |w| <= 255).
WHITTLE_C1_INLINE __m256i madd_acc(__m256i acc, __m256i a, __m256i b) {
#if WHITTLE_C1_DPWSSD
  return _mm256_dpwssd_epi32(acc, a, b);
#else
  return _mm256_add_epi32(acc, _mm256_madd_epi16(a, b));
#endif
}

struct Consts {
  __m256i bias, left, mult, mult_odd, rhi_e, rlo_e, rhi_o, rlo_o, cnt_e, cnt_o, zp;
};

WHITTLE_C1_INLINE Consts load_consts(const uint8_t* c) {
  Consts k;
  const __m256i* v = reinterpret_cast<const __m256i*>(c);
  k.bias = _mm256_load_si256(v + 0);
  k.left = _mm256_load_si256(v + 1);
  k.mult = _mm256_load_si256(v + 2);
  k.mult_odd = _mm256_load_si256(v + 3);
  k.rhi_e = _mm256_load_si256(v + 4);
  k.rlo_e = _mm256_load_si256(v + 5);
  k.rhi_o = _mm256_load_si256(v + 6);
  k.rlo_o = _mm256_load_si256(v + 7);
  k.cnt_e = _mm256_load_si256(v + 8);
  k.cnt_o = _mm256_load_si256(v + 9);
  k.zp = _mm256_load_si256(v + 10);
  return k;
}

// acc (8 int32 lanes) -> result + output zero point, wrapping int32 (see the file comment).
template <bool LEFT, bool ODDHI>
WHITTLE_C1_INLINE __m256i requantize(__m256i acc, const Consts& k) {
  if (LEFT) {
    acc = _mm256_sllv_epi32(acc, k.left);
  }
  // The tie term's condition [p < -2^30] is taken as [p < 0], p's sign bit, which vblendvpd reads
  // directly: for p in [-2^30, 0) both give 0 (SRDHM's result is 0; with the 2^31 taken away the
  // sum stays in [0, 2^(30+e)) for e >= 1, and for e = 0 R_lo = R_hi).
  __m256i pe = _mm256_mul_epi32(acc, k.mult);
  __m256i po = _mm256_mul_epi32(_mm256_srli_epi64(acc, 32), k.mult_odd);
  pe = _mm256_add_epi64(pe, _mm256_castpd_si256(_mm256_blendv_pd(
      _mm256_castsi256_pd(k.rhi_e), _mm256_castsi256_pd(k.rlo_e), _mm256_castsi256_pd(pe))));
  po = _mm256_add_epi64(po, _mm256_castpd_si256(_mm256_blendv_pd(
      _mm256_castsi256_pd(k.rhi_o), _mm256_castsi256_pd(k.rlo_o), _mm256_castsi256_pd(po))));
  pe = _mm256_srlv_epi64(pe, k.cnt_e);
  // Every right shift >= 1 (odd_high): the odd lanes shift by e - 1 so the quotient's low 32 bits
  // land in the high dword (bits 31 + e .. 62 + e of a value below 2^64; the quotient is below
  // 2^(33 - e) <= 2^32); else by 31 + e and moved up.
  po = _mm256_srlv_epi64(po, k.cnt_o);
  __m256i r = _mm256_blend_epi32(pe, ODDHI ? po : _mm256_slli_epi64(po, 32), 0xAA);
  return _mm256_add_epi32(r, k.zp);
}

// Four requantized vectors (items 0..3, 8 channels each) -> 32 bytes in item order, clamped.
template <bool U>
WHITTLE_C1_INLINE __m256i pack4(__m256i v0, __m256i v1, __m256i v2, __m256i v3, __m256i lo, __m256i hi) {
  __m256i a = _mm256_packs_epi32(v0, v1);
  __m256i b = _mm256_packs_epi32(v2, v3);
  __m256i c = U ? _mm256_packus_epi16(a, b) : _mm256_packs_epi16(a, b);
  c = _mm256_permutevar8x32_epi32(c, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
  return U ? _mm256_min_epu8(_mm256_max_epu8(c, lo), hi) : _mm256_min_epi8(_mm256_max_epi8(c, lo), hi);
}

// Input row iy widened into dst (row_elems int16): element j is x[j - pad_w] + input_offset,
// 0 outside the row.
template <bool U>
static void widen_row(const whittle_dwconv_c1_params* p, const uint8_t* row, int16_t* dst) {
  const int n = p->row_elems;
  const int pad = p->pad_w;
  const int in_w = p->in_w;
  const int io = p->input_offset;
  int j = 0;
  const int lead = pad < n ? pad : n;
  for (; j < lead; j++) {
    dst[j] = 0;
  }
  int end = pad + in_w < n ? pad + in_w : n;
  const __m256i vio = _mm256_set1_epi16((int16_t) io);
  for (; j + 16 <= end; j += 16) {
    __m128i b = _mm_loadu_si128(reinterpret_cast<const __m128i*>(row + (j - pad)));
    __m256i w = U ? _mm256_cvtepu8_epi16(b) : _mm256_cvtepi8_epi16(b);
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(dst + j), _mm256_add_epi16(w, vio));
  }
  for (; j < end; j++) {
    int x = U ? (int) row[j - pad] : (int) (int8_t) row[j - pad];
    dst[j] = (int16_t) (x + io);
  }
  for (; j < n; j++) {
    dst[j] = 0;
  }
}

template <int NP>
WHITTLE_C1_INLINE void accumulate4(__m256i acc[4], const int16_t* const* rows, const uint8_t* const* wrows,
                                   int nrows, int np_runtime, const int32_t* pair_off, int x0, int sw) {
  const int np = NP > 0 ? NP : np_runtime;
  for (int v = 0; v < nrows; v++) {
    const int16_t* r = rows[v] + x0;
    const __m256i* w = reinterpret_cast<const __m256i*>(wrows[v]);
    for (int q = 0; q < np; q++) {
      const __m256i wq = _mm256_load_si256(w + q);
      const int16_t* rq = r + pair_off[q];
      int32_t t0, t1, t2, t3;
      memcpy(&t0, rq, 4);
      memcpy(&t1, rq + sw, 4);
      memcpy(&t2, rq + 2 * sw, 4);
      memcpy(&t3, rq + 3 * sw, 4);
      acc[0] = madd_acc(acc[0], _mm256_set1_epi32(t0), wq);
      acc[1] = madd_acc(acc[1], _mm256_set1_epi32(t1), wq);
      acc[2] = madd_acc(acc[2], _mm256_set1_epi32(t2), wq);
      acc[3] = madd_acc(acc[3], _mm256_set1_epi32(t3), wq);
    }
  }
}

// Every one of the KH tap rows inside the image (KH, NP known): unrolled, the KH * NP weight
// vectors loaded once for the 4 pixels.
// SW > 0: stride_w known and pair_off[q] = 2q (dil_w 1), so the pair loads that coincide
// (stride 2: pixel ox's pair q + 1 is pixel ox + 1's pair q) are one load.
template <int KH, int NP, int SW>
WHITTLE_C1_INLINE void accumulate4_full(__m256i acc[4], const int16_t* const* rows, const uint8_t* wbase,
                                        const int32_t* pair_off_rt, int x0, int sw_rt) {
  const int sw = SW > 0 ? SW : sw_rt;
#pragma GCC unroll 16
  for (int v = 0; v < KH; v++) {
    const int16_t* r = rows[v] + x0;
    const __m256i* w = reinterpret_cast<const __m256i*>(wbase) + v * NP;
#pragma GCC unroll 16
    for (int q = 0; q < NP; q++) {
      const __m256i wq = _mm256_load_si256(w + q);
      const int16_t* rq = r + (SW > 0 ? 2 * q : pair_off_rt[q]);
      int32_t t0, t1, t2, t3;
      memcpy(&t0, rq, 4);
      memcpy(&t1, rq + sw, 4);
      memcpy(&t2, rq + 2 * sw, 4);
      memcpy(&t3, rq + 3 * sw, 4);
      acc[0] = madd_acc(acc[0], _mm256_set1_epi32(t0), wq);
      acc[1] = madd_acc(acc[1], _mm256_set1_epi32(t1), wq);
      acc[2] = madd_acc(acc[2], _mm256_set1_epi32(t2), wq);
      acc[3] = madd_acc(acc[3], _mm256_set1_epi32(t3), wq);
    }
  }
}

template <bool LEFT, bool ODDHI, bool U, int NP, int KH, int SW>
static void run_t(const whittle_dwconv_c1_params* p, const uint8_t* input, uint8_t* output, void* scratch,
                  int32_t row_begin, int32_t row_end) {
  const int out_h = p->out_h, out_w = p->out_w, m = p->m, kh = p->kh;
  const int sw = p->stride_w, blocks = p->blocks, np = p->pairs, row_elems = p->row_elems;
  const int in_h = p->in_h, in_w = p->in_w;
  const uint8_t* weights = reinterpret_cast<const uint8_t*>(p->weights);
  const uint8_t* consts = reinterpret_cast<const uint8_t*>(p->consts);
  int32_t pair_off[WHITTLE_DWCONV_C1_MAX_PAIRS];
  memcpy(pair_off, p->pair_off, sizeof(pair_off));
  int16_t* buf = reinterpret_cast<int16_t*>(scratch);
  const __m256i lo = U ? _mm256_set1_epi8((char) (uint8_t) p->act_min) : _mm256_set1_epi8((char) p->act_min);
  const __m256i hi = U ? _mm256_set1_epi8((char) (uint8_t) p->act_max) : _mm256_set1_epi8((char) p->act_max);
  const int16_t* rows[64];
  int wky[64];
  for (int r = row_begin; r < row_end; r++) {
    const int b = r / out_h;
    const int oy = r - b * out_h;
    const int iy0 = oy * p->stride_h - p->pad_h;
    int nrows = 0;
    for (int ky = 0; ky < kh; ky++) {
      const int iy = iy0 + ky * p->dil_h;
      if (iy < 0 || iy >= in_h) {
        continue;  // a row of padding: x + input_offset = 0 adds nothing
      }
      int16_t* dst = buf + (size_t) nrows * row_elems;
      widen_row<U>(p, input + ((size_t) b * in_h + iy) * in_w, dst);
      rows[nrows] = dst;
      wky[nrows] = ky;
      nrows++;
    }
    uint8_t* out_row = output + (size_t) r * out_w * m;
    for (int cb = 0; cb < blocks; cb++) {
      const int choff = cb == blocks - 1 ? m - 8 : cb * 8;
      const Consts k = load_consts(consts + (size_t) cb * WHITTLE_DWCONV_C1_CONSTS * 32);
      const uint8_t* wrows[64];
      for (int v = 0; v < nrows; v++) {
        wrows[v] = weights + ((size_t) cb * kh + wky[v]) * np * 32;
      }
      int ox = 0;
      for (; ox + 4 <= out_w; ox += 4) {
        __m256i acc[4] = {k.bias, k.bias, k.bias, k.bias};
        if (KH > 0 && nrows == KH) {
          accumulate4_full<(KH > 0 ? KH : 1), NP, SW>(acc, rows, wrows[0], pair_off, ox * sw, sw);
        } else {
          accumulate4<NP>(acc, rows, wrows, nrows, np, pair_off, ox * sw, sw);
        }
        __m256i bytes = pack4<U>(requantize<LEFT, ODDHI>(acc[0], k), requantize<LEFT, ODDHI>(acc[1], k),
                                 requantize<LEFT, ODDHI>(acc[2], k), requantize<LEFT, ODDHI>(acc[3], k), lo, hi);
        if (m == 8) {
          _mm256_storeu_si256(reinterpret_cast<__m256i*>(out_row + (size_t) ox * 8), bytes);
        } else {
          alignas(32) uint8_t tmp[32];
          _mm256_store_si256(reinterpret_cast<__m256i*>(tmp), bytes);
          for (int i = 0; i < 4; i++) {
            memcpy(out_row + (size_t) (ox + i) * m + choff, tmp + 8 * i, 8);
          }
        }
      }
      if (ox < out_w) {
        // Tail: the last pixel repeated into the unused items, which are not stored.
        const int last = out_w - 1;
        __m256i acc[4] = {k.bias, k.bias, k.bias, k.bias};
        __m256i res[4];
        for (int i = 0; i < 4; i++) {
          const int px = ox + i < out_w ? ox + i : last;
          __m256i a1[4] = {k.bias, k.bias, k.bias, k.bias};
          accumulate4<NP>(a1, rows, wrows, nrows, np, pair_off, px * sw, 0);
          acc[i] = a1[0];
        }
        for (int i = 0; i < 4; i++) {
          res[i] = requantize<LEFT, ODDHI>(acc[i], k);
        }
        alignas(32) uint8_t tmp[32];
        _mm256_store_si256(reinterpret_cast<__m256i*>(tmp), pack4<U>(res[0], res[1], res[2], res[3], lo, hi));
        for (int i = 0; ox + i < out_w; i++) {
          memcpy(out_row + (size_t) (ox + i) * m + choff, tmp + 8 * i, 8);
        }
      }
    }
  }
}

template <bool LEFT, bool ODDHI, bool U>
static void run_np(const whittle_dwconv_c1_params* p, const uint8_t* input, uint8_t* output, void* scratch,
                   int32_t row_begin, int32_t row_end) {
  // 3x3 and 5x5 (dil_w 1) unrolled; the rest with run-time loops.
  const bool dense = p->dil_w == 1;
  if (dense && p->pairs == 2 && p->kh == 3 && p->stride_w == 2) {
    run_t<LEFT, ODDHI, U, 2, 3, 2>(p, input, output, scratch, row_begin, row_end);
  } else if (dense && p->pairs == 2 && p->kh == 3 && p->stride_w == 1) {
    run_t<LEFT, ODDHI, U, 2, 3, 1>(p, input, output, scratch, row_begin, row_end);
  } else {
    run_t<LEFT, ODDHI, U, 0, 0, 0>(p, input, output, scratch, row_begin, row_end);
  }
}

static void run(const whittle_dwconv_c1_params* p, const uint8_t* input, uint8_t* output, void* scratch,
                int32_t row_begin, int32_t row_end) {
  // A left shift (saturating scales) only where the right shift is 0: odd_high is then 0.
  if (p->has_left != 0) {
    if (p->is_unsigned != 0) {
      run_np<true, false, true>(p, input, output, scratch, row_begin, row_end);
    } else {
      run_np<true, false, false>(p, input, output, scratch, row_begin, row_end);
    }
  } else if (p->odd_high != 0) {
    if (p->is_unsigned != 0) {
      run_np<false, true, true>(p, input, output, scratch, row_begin, row_end);
    } else {
      run_np<false, true, false>(p, input, output, scratch, row_begin, row_end);
    }
  } else if (p->is_unsigned != 0) {
    run_np<false, false, true>(p, input, output, scratch, row_begin, row_end);
  } else {
    run_np<false, false, false>(p, input, output, scratch, row_begin, row_end);
  }
}

}  // namespace

#endif  // WHITTLE_KERNELS_Q8_DWCONV_C1_AVX2_H_
