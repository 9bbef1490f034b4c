// DEPTHWISE_CONV_2D, int8 and uint8 (qs8, qs8_qc8w, qu8), any depth multiplier and channel
// count, AVX2: row-staged (native/include/whittle/dwconv_rows.h), so every tap of a step is a
// contiguous 16-byte load of 16 (pixel, channel) lanes whatever the stride or the multiplier.
// Two taps per int32 lane: both widened to int16 (vpmovsxbw / vpmovzxbw from memory), paired
// by one unpack per 8 lanes, and summed by vpmaddwd (x in [-128, 255], w_eff in [-255, 255]:
// each pair sum is exact in int32). Per 8 lanes and 2 taps that is 1 widen, 1 unpack, 1
// vpmaddwd and 1 add, against 2 widens, 2 vpmulld and 2 adds in the mul32 kernels (16c, 64l).
// Output stage as the 16c kernel (TFLite's MultiplyByQuantizedMultiplier): bit-exact with
// DepthwiseConvKernels.
#include <immintrin.h>
#include <string.h>

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
  const __m256i* w;  // [units][groups][2]
  const __m256i* k;  // [units][2][6]
  int32_t groups;
  __m256i out_offset, vmin, vmax;
};

template <bool kUnsigned>
WHITTLE_DW_INLINE __m256i widen(const uint8_t* x) {
  const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(x));
  return kUnsigned ? _mm256_cvtepu8_epi16(v) : _mm256_cvtepi8_epi16(v);
}

// TFLite's MultiplyByQuantizedMultiplier, + output offset, clamp; 8 lanes (as the 16c kernel).
template <bool kLeftShift>
WHITTLE_DW_INLINE __m256i requant(const __m256i* k, __m256i acc, const Ctx& c) {
  const __m256i x = kLeftShift ? _mm256_sllv_epi32(acc, _mm256_load_si256(k + 1)) : acc;
  const __m256i m = _mm256_load_si256(k + 2);
  const __m256i nudge = _mm256_set1_epi64x(int64_t(1) << 30);
  __m256i pe = _mm256_add_epi64(_mm256_mul_epi32(x, m), nudge);
  __m256i po = _mm256_add_epi64(_mm256_mul_epi32(_mm256_srli_epi64(x, 32), _mm256_srli_epi64(m, 32)), nudge);
  pe = _mm256_srli_epi64(pe, 31);
  po = _mm256_slli_epi64(po, 1);
  const __m256i h = _mm256_blend_epi32(pe, po, 0xAA);
  const __m256i rem = _mm256_and_si256(h, _mm256_load_si256(k + 3));
  const __m256i thr = _mm256_sub_epi32(_mm256_load_si256(k + 4), _mm256_srai_epi32(h, 31));
  __m256i q = _mm256_srav_epi32(h, _mm256_load_si256(k + 5));
  q = _mm256_sub_epi32(q, _mm256_cmpgt_epi32(rem, thr));
  q = _mm256_add_epi32(q, c.out_offset);
  return _mm256_min_epi32(_mm256_max_epi32(q, c.vmin), c.vmax);
}

// Units [u0, u0 + N) of one step: lanes [16 u, 16 u + 16) at lane offset l of the row.
template <int N, bool kUnsigned, bool kLeftShift>
WHITTLE_DW_INLINE void units(const uint8_t* const* taps, size_t l, uint8_t* out, int32_t valid, int32_t u0,
                             const Ctx& c) {
  __m256i acc[N][2];
  #pragma GCC unroll 4
  for (int i = 0; i < N; i++) {
    acc[i][0] = _mm256_load_si256(c.k + ((size_t)(u0 + i) * 2) * 6);
    acc[i][1] = _mm256_load_si256(c.k + ((size_t)(u0 + i) * 2 + 1) * 6);
  }
  const size_t off = l + 16 * (size_t)u0;
  for (int32_t g = 0; g < c.groups; g++) {
    const uint8_t* ta = taps[2 * g] + off;
    const uint8_t* tb = taps[2 * g + 1] + off;
    #pragma GCC unroll 4
    for (int i = 0; i < N; i++) {
      const __m256i xa = widen<kUnsigned>(ta + 16 * i);
      const __m256i xb = widen<kUnsigned>(tb + 16 * i);
      const __m256i* w = c.w + ((size_t)(u0 + i) * (size_t)c.groups + (size_t)g) * 2;
      acc[i][0] = _mm256_add_epi32(acc[i][0], _mm256_madd_epi16(_mm256_unpacklo_epi16(xa, xb), _mm256_load_si256(w)));
      acc[i][1] = _mm256_add_epi32(acc[i][1],
                                   _mm256_madd_epi16(_mm256_unpackhi_epi16(xa, xb), _mm256_load_si256(w + 1)));
    }
  }
  __m256i words[N];
  #pragma GCC unroll 4
  for (int i = 0; i < N; i++) {
    const __m256i* k = c.k + (size_t)(u0 + i) * 12;
    // packssdw undoes the unpacks' permutation: 16 int16 lanes in order.
    words[i] = _mm256_packs_epi32(requant<kLeftShift>(k, acc[i][0], c), requant<kLeftShift>(k + 6, acc[i][1], c));
  }
  #pragma GCC unroll 2
  for (int i = 0; i < N; i += 2) {
    const __m256i hi = i + 1 < N ? words[i + 1] : words[i];
    __m256i b = kUnsigned ? _mm256_packus_epi16(words[i], hi) : _mm256_packs_epi16(words[i], hi);
    b = _mm256_permute4x64_epi64(b, 0xD8);
    const int32_t n = valid - 16 * (u0 + i);
    const int32_t units_here = i + 1 < N ? 32 : 16;
    uint8_t* o = out + 16 * (size_t)(u0 + i);
    if (n >= units_here) {
      if (units_here == 32) {
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(o), b);
      } else {
        _mm_storeu_si128(reinterpret_cast<__m128i*>(o), _mm256_castsi256_si128(b));
      }
    } else if (n > 0) {
      alignas(32) uint8_t tmp[32];
      _mm256_store_si256(reinterpret_cast<__m256i*>(tmp), b);
      memcpy(o, tmp, (size_t)n);
    }
  }
}

template <bool kUnsigned, bool kLeftShift>
void run(const Params* p, const uint8_t* input, uint8_t* output, void* scratch, int32_t row_begin,
         int32_t row_end) {
  Ctx c;
  c.w = whittle_q8_dwconv_rows::at<__m256i>(p, p->weights_offset);
  c.k = whittle_q8_dwconv_rows::at<__m256i>(p, p->consts_offset);
  c.groups = p->tap_groups;
  c.out_offset = _mm256_set1_epi32(p->output_offset);
  c.vmin = _mm256_set1_epi32(p->act_min);
  c.vmax = _mm256_set1_epi32(p->act_max);
  const int32_t nu = p->vectors;
  auto step = [&](const uint8_t* const* taps, size_t l, uint8_t* out, int32_t valid) {
    int32_t u = 0;
    for (; u + 4 <= nu; u += 4) {
      units<4, kUnsigned, kLeftShift>(taps, l, out, valid, u, c);
    }
    switch (nu - u) {
      case 3:
        units<3, kUnsigned, kLeftShift>(taps, l, out, valid, u, c);
        break;
      case 2:
        units<2, kUnsigned, kLeftShift>(taps, l, out, valid, u, c);
        break;
      case 1:
        units<1, kUnsigned, kLeftShift>(taps, l, out, valid, u, c);
        break;
      default:
        break;
    }
  };
  auto xor_bytes = [](uint8_t*, uint8_t, size_t) {};  // AVX2 stages the bytes as they are (xor_byte 0)
  whittle_q8_dwconv_rows::rows(xor_bytes, p, input, output, scratch, row_begin, row_end, 2, step);
}

template <bool kUnsigned>
void dwconv(const Params* p, const uint8_t* input, uint8_t* output, void* scratch, int32_t row_begin,
            int32_t row_end) {
  if ((p->flags & WHITTLE_Q8_DWCONV_ROWS_LEFT_SHIFT) != 0) {
    run<kUnsigned, true>(p, input, output, scratch, row_begin, row_end);
  } else {
    run<kUnsigned, false>(p, input, output, scratch, row_begin, row_end);
  }
}

}  // namespace

extern "C" {

WHITTLE_API void whittle_qs8_dwconv2d_minmax_rows16c2__avx2(const whittle_q8_dwconv_rows_params* p,
                                                            const int8_t* input, int8_t* output, void* scratch,
                                                            int32_t row_begin, int32_t row_end) {
  dwconv<false>(p, reinterpret_cast<const uint8_t*>(input), reinterpret_cast<uint8_t*>(output), scratch, row_begin,
                row_end);
}

WHITTLE_API void whittle_qs8_qc8w_dwconv2d_minmax_rows16c2__avx2(const whittle_q8_dwconv_rows_params* p,
                                                                 const int8_t* input, int8_t* output, void* scratch,
                                                                 int32_t row_begin, int32_t row_end) {
  // Per-tensor weights are per-channel weights with equal scales: the same code.
  dwconv<false>(p, reinterpret_cast<const uint8_t*>(input), reinterpret_cast<uint8_t*>(output), scratch, row_begin,
                row_end);
}

WHITTLE_API void whittle_qu8_dwconv2d_minmax_rows16c2__avx2(const whittle_q8_dwconv_rows_params* p,
                                                            const uint8_t* input, uint8_t* output, void* scratch,
                                                            int32_t row_begin, int32_t row_end) {
  dwconv<true>(p, input, output, scratch, row_begin, row_end);
}

}  // extern "C"
