// DEPTHWISE_CONV_2D, int8 activations and int8 weights (qs8, qs8_qc8w), any depth multiplier
// and channel count, AVX-512 VNNI: row-staged (native/include/whittle/dwconv_rows.h), so every
// tap of a step is one 64-byte load of 64 (pixel, channel) lanes whatever the stride or the
// multiplier; four taps' bytes are interleaved per int32 lane (two unpack levels) and summed
// by one vpdpbusd: 4 products per lane per instruction, where the mul32 kernels (64l, 32c)
// spend a widen, a vpmulld and an add per tap. The staged activations are x ^ 0x80 = x + 128
// (vpdpbusd's unsigned operand); bias' absorbs (input_offset - 128) * sum(w).
//
// Output stage: TFLite's MultiplyByQuantizedMultiplier in 64 bits, one rounding shift:
//   q = (x * M + R - [x * M < -2^30] * N) >> S,  S = 31 + e, R = 2^30 + (e ? 2^(30+e) : 0),
//   N = (e ? 2^31 : 0),
// which is floor((SRDHM(x, M) + 2^(e-1) - [SRDHM < 0]) / 2^e) = RoundingDivideByPOT(SRDHM, e)
// (nested floor divisions fold: floor((floor(y / a) + c) / b) = floor((y + c * a) / (a * b)));
// SRDHM never saturates (M >= 0). Bit-exact with DepthwiseConvKernels.
#include <immintrin.h>

#include "q8_dwconv_rows_common.h"
#include "whittle/dwconv_rows.h"

#if defined(__GNUC__) && !defined(__clang__)
// GCC 12 reports its own intrinsic headers' deliberately undefined vectors (_mm*_undefined_*).
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#endif

namespace {

#define WHITTLE_DW_INLINE inline __attribute__((always_inline))

using whittle_q8_dwconv_rows::Params;

struct Ctx {
  const __m512i* w;  // [vectors][groups][4]
  const __m512i* k;  // [vectors][4][10]
  int32_t groups;
  __m512i out_offset, vmin, vmax;
};

template <bool kLeftShift, bool kClamp>
WHITTLE_DW_INLINE __m512i requant(const __m512i* k, __m512i acc, const Ctx& c) {
  const __m512i x = kLeftShift ? _mm512_sllv_epi32(acc, _mm512_load_si512(k + 1)) : acc;
  const __m512i lim = _mm512_set1_epi64(-(int64_t(1) << 30));
  __m512i pe = _mm512_mul_epi32(x, _mm512_load_si512(k + 2));
  __m512i po = _mm512_mul_epi32(_mm512_srli_epi64(x, 32), _mm512_load_si512(k + 3));
  const __mmask8 ne = _mm512_cmpgt_epi64_mask(lim, pe);
  const __mmask8 no = _mm512_cmpgt_epi64_mask(lim, po);
  pe = _mm512_add_epi64(pe, _mm512_load_si512(k + 4));
  po = _mm512_add_epi64(po, _mm512_load_si512(k + 5));
  pe = _mm512_mask_sub_epi64(pe, ne, pe, _mm512_load_si512(k + 6));
  po = _mm512_mask_sub_epi64(po, no, po, _mm512_load_si512(k + 7));
  pe = _mm512_srav_epi64(pe, _mm512_load_si512(k + 8));
  po = _mm512_srav_epi64(po, _mm512_load_si512(k + 9));
  // Odd lanes' results sit in the low dwords of po's qwords: swap them into the odd dwords.
  __m512i q = _mm512_mask_shuffle_epi32(pe, (__mmask16)0xAAAA, po, (_MM_PERM_ENUM)0xB1);
  q = _mm512_add_epi32(q, c.out_offset);
  if (kClamp) {
    q = _mm512_min_epi32(_mm512_max_epi32(q, c.vmin), c.vmax);
  }
  return q;
}

// Vectors [v0, v0 + N) of one step: lanes [64 v, 64 v + 64) at lane offset l of the row.
template <int N, bool kLeftShift, bool kClamp>
WHITTLE_DW_INLINE void vectors(const uint8_t* const* taps, size_t l, uint8_t* out, int32_t valid, int32_t v0,
                               const Ctx& c) {
  __m512i acc[N][4];
  #pragma GCC unroll 4
  for (int i = 0; i < N; i++) {
    #pragma GCC unroll 4
    for (int a = 0; a < 4; a++) {
      acc[i][a] = _mm512_load_si512(c.k + ((size_t)(v0 + i) * 4 + a) * 10);
    }
  }
  const size_t off = l + 64 * (size_t)v0;
  for (int32_t g = 0; g < c.groups; g++) {
    const uint8_t* ta = taps[4 * g] + off;
    const uint8_t* tb = taps[4 * g + 1] + off;
    const uint8_t* tc = taps[4 * g + 2] + off;
    const uint8_t* td = taps[4 * g + 3] + off;
    #pragma GCC unroll 4
    for (int i = 0; i < N; i++) {
      const __m512i xa = _mm512_loadu_si512(ta + 64 * i);
      const __m512i xb = _mm512_loadu_si512(tb + 64 * i);
      const __m512i xc = _mm512_loadu_si512(tc + 64 * i);
      const __m512i xd = _mm512_loadu_si512(td + 64 * i);
      const __m512i ab_lo = _mm512_unpacklo_epi8(xa, xb);
      const __m512i ab_hi = _mm512_unpackhi_epi8(xa, xb);
      const __m512i cd_lo = _mm512_unpacklo_epi8(xc, xd);
      const __m512i cd_hi = _mm512_unpackhi_epi8(xc, xd);
      const __m512i* w = c.w + ((size_t)(v0 + i) * (size_t)c.groups + (size_t)g) * 4;
      acc[i][0] = _mm512_dpbusd_epi32(acc[i][0], _mm512_unpacklo_epi16(ab_lo, cd_lo), _mm512_load_si512(w));
      acc[i][1] = _mm512_dpbusd_epi32(acc[i][1], _mm512_unpackhi_epi16(ab_lo, cd_lo), _mm512_load_si512(w + 1));
      acc[i][2] = _mm512_dpbusd_epi32(acc[i][2], _mm512_unpacklo_epi16(ab_hi, cd_hi), _mm512_load_si512(w + 2));
      acc[i][3] = _mm512_dpbusd_epi32(acc[i][3], _mm512_unpackhi_epi16(ab_hi, cd_hi), _mm512_load_si512(w + 3));
    }
  }
  #pragma GCC unroll 4
  for (int i = 0; i < N; i++) {
    const __m512i* k = c.k + (size_t)(v0 + i) * 40;
    const __m512i r0 = requant<kLeftShift, kClamp>(k, acc[i][0], c);
    const __m512i r1 = requant<kLeftShift, kClamp>(k + 10, acc[i][1], c);
    const __m512i r2 = requant<kLeftShift, kClamp>(k + 20, acc[i][2], c);
    const __m512i r3 = requant<kLeftShift, kClamp>(k + 30, acc[i][3], c);
    // The packs undo the unpacks' lane permutation; their saturation is the int8 clamp.
    const __m512i bytes = _mm512_packs_epi16(_mm512_packs_epi32(r0, r1), _mm512_packs_epi32(r2, r3));
    const int32_t n = valid - 64 * (v0 + i);
    if (n >= 64) {
      _mm512_storeu_si512(out + 64 * (size_t)(v0 + i), bytes);
    } else if (n > 0) {
      _mm512_mask_storeu_epi8(out + 64 * (size_t)(v0 + i), (__mmask64)((1ull << n) - 1), bytes);
    }
  }
}

template <bool kLeftShift, bool kClamp>
void run(const Params* p, const uint8_t* input, uint8_t* output, void* scratch, int32_t row_begin,
         int32_t row_end) {
  Ctx c;
  c.w = whittle_q8_dwconv_rows::at<__m512i>(p, p->weights_offset);
  c.k = whittle_q8_dwconv_rows::at<__m512i>(p, p->consts_offset);
  c.groups = p->tap_groups;
  c.out_offset = _mm512_set1_epi32(p->output_offset);
  c.vmin = _mm512_set1_epi32(p->act_min);
  c.vmax = _mm512_set1_epi32(p->act_max);
  const int32_t nv = p->vectors;
  auto step = [&](const uint8_t* const* taps, size_t l, uint8_t* out, int32_t valid) {
    int32_t v = 0;
    for (; v + 4 <= nv; v += 4) {
      vectors<4, kLeftShift, kClamp>(taps, l, out, valid, v, c);
    }
    switch (nv - v) {
      case 3:
        vectors<3, kLeftShift, kClamp>(taps, l, out, valid, v, c);
        break;
      case 2:
        vectors<2, kLeftShift, kClamp>(taps, l, out, valid, v, c);
        break;
      case 1:
        vectors<1, kLeftShift, kClamp>(taps, l, out, valid, v, c);
        break;
      default:
        break;
    }
  };
  auto xor_bytes = [](uint8_t* d, uint8_t x, size_t n) {
    const __m512i v = _mm512_set1_epi8((char)x);
    size_t i = 0;
    for (; i + 64 <= n; i += 64) {
      _mm512_storeu_si512(d + i, _mm512_xor_si512(_mm512_loadu_si512(d + i), v));
    }
    if (i < n) {
      const __mmask64 m = (__mmask64)((1ull << (n - i)) - 1);
      _mm512_mask_storeu_epi8(d + i, m, _mm512_xor_si512(_mm512_maskz_loadu_epi8(m, d + i), v));
    }
  };
  whittle_q8_dwconv_rows::rows(xor_bytes, p, input, output, scratch, row_begin, row_end, 4, step);
}

void dwconv(const Params* p, const uint8_t* input, uint8_t* output, void* scratch, int32_t row_begin,
            int32_t row_end) {
  const bool ls = (p->flags & WHITTLE_Q8_DWCONV_ROWS_LEFT_SHIFT) != 0;
  const bool clamp = (p->flags & WHITTLE_Q8_DWCONV_ROWS_CLAMP) != 0;
  if (ls) {
    if (clamp) {
      run<true, true>(p, input, output, scratch, row_begin, row_end);
    } else {
      run<true, false>(p, input, output, scratch, row_begin, row_end);
    }
  } else if (clamp) {
    run<false, true>(p, input, output, scratch, row_begin, row_end);
  } else {
    run<false, false>(p, input, output, scratch, row_begin, row_end);
  }
}

}  // namespace

extern "C" {

WHITTLE_API void whittle_qs8_dwconv2d_minmax_rows64c4__avx512vnni(const whittle_q8_dwconv_rows_params* p,
                                                                  const int8_t* input, int8_t* output, void* scratch,
                                                                  int32_t row_begin, int32_t row_end) {
  dwconv(p, reinterpret_cast<const uint8_t*>(input), reinterpret_cast<uint8_t*>(output), scratch, row_begin, row_end);
}

WHITTLE_API void whittle_qs8_qc8w_dwconv2d_minmax_rows64c4__avx512vnni(const whittle_q8_dwconv_rows_params* p,
                                                                       const int8_t* input, int8_t* output,
                                                                       void* scratch, int32_t row_begin,
                                                                       int32_t row_end) {
  // Per-tensor weights are per-channel weights with equal scales: the same code.
  dwconv(p, reinterpret_cast<const uint8_t*>(input), reinterpret_cast<uint8_t*>(output), scratch, row_begin, row_end);
}

}  // extern "C"
