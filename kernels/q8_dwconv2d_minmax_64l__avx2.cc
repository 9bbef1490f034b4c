// DEPTHWISE_CONV_2D, int8 and uint8 activations (qs8, qs8_qc8w, qu8), any depth multiplier and
// few channels, AVX2: lane-mapped (see whittle_q8_dwconv_lanes_params in
// native/include/whittle/dwconv.h). A step computes up to 4 units of 16 (pixel, channel)
// lanes: several output pixels per step when channels are few (8 channels: 8 pixels, 64
// lanes), and with a depth multiplier the input bytes are spread to their output channels by
// a pshufb (inC = 1: one byte broadcast to every channel). Products as in the 32c kernel
// (vpmovsxbd/vpmovzxbd + vpmulld), output stage TFLite's MultiplyByQuantizedMultiplier:
// bit-exact with DepthwiseConvKernels. A unit is two YMM accumulators. Window loads within 16
// bytes of the tensor's end copy the referenced bytes first (no read past the tensor).
#include <immintrin.h>
#include <string.h>

#include "q8_dwconv_common.h"
#include "q8_dwconv_entries.h"
#include "whittle/dwconv.h"

#if defined(__GNUC__) && !defined(__clang__)
// GCC 12 reports its own intrinsic headers' deliberately undefined vectors (_mm*_undefined_*).
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#endif

namespace {

#define WHITTLE_DW_INLINE inline __attribute__((always_inline))

using whittle_q8_dwconv::LanesMap;

template <bool kUnsigned>
inline __m256i widen8(__m128i v) {
  return kUnsigned ? _mm256_cvtepu8_epi32(v) : _mm256_cvtepi8_epi32(v);
}

// TFLite's MultiplyByQuantizedMultiplier, + output offset, clamp; 8 lanes (as the 16c kernel).
WHITTLE_DW_INLINE __m256i requant(const LanesMap& m, __m256i acc, size_t c, __m256i out_offset, __m256i vmin, __m256i vmax) {
  const __m256i x = _mm256_sllv_epi32(acc, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(m.lsh + c)));
  const __m256i mu = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(m.mult + c));
  const __m256i nudge = _mm256_set1_epi64x(int64_t(1) << 30);
  __m256i pe = _mm256_add_epi64(_mm256_mul_epi32(x, mu), nudge);
  __m256i po = _mm256_add_epi64(_mm256_mul_epi32(_mm256_srli_epi64(x, 32), _mm256_srli_epi64(mu, 32)), nudge);
  pe = _mm256_srli_epi64(pe, 31);
  po = _mm256_slli_epi64(po, 1);
  const __m256i h = _mm256_blend_epi32(pe, po, 0xAA);
  const __m256i rem = _mm256_and_si256(h, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(m.rmask + c)));
  const __m256i thr = _mm256_sub_epi32(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(m.rhalf + c)),
                                       _mm256_srai_epi32(h, 31));
  __m256i q = _mm256_srav_epi32(h, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(m.rsh + c)));
  q = _mm256_sub_epi32(q, _mm256_cmpgt_epi32(rem, thr));
  q = _mm256_add_epi32(q, out_offset);
  return _mm256_min_epi32(_mm256_max_epi32(q, vmin), vmax);
}

// 16 outputs from the 16 int32 in lo (lanes 0..7) and hi (8..15), already clamped.
template <bool kUnsigned>
inline __m128i narrow16(__m256i lo, __m256i hi) {
  const __m256i w = _mm256_permute4x64_epi64(_mm256_packs_epi32(lo, hi), 0xD8);
  const __m128i a = _mm256_castsi256_si128(w);
  const __m128i b = _mm256_extracti128_si256(w, 1);
  return kUnsigned ? _mm_packus_epi16(a, b) : _mm_packs_epi16(a, b);
}

// The len referenced bytes at s, in a 16-byte (kBytes 16) or 8-byte load; near the tensor's
// end (s < end, fewer than kBytes left) they are copied first. Zero-buffer pointers (not below
// end, or far from it) read their padding.
template <int kBytes>
inline __m128i load_window(const uint8_t* s, int32_t len, const uint8_t* end) {
  if ((size_t)(end - s) >= (size_t)kBytes) {
    return kBytes == 16 ? _mm_loadu_si128(reinterpret_cast<const __m128i*>(s))
                        : _mm_loadl_epi64(reinterpret_cast<const __m128i*>(s));
  }
  alignas(16) uint8_t tmp[16] = {0};
  memcpy(tmp, s, (size_t)len);
  return _mm_load_si128(reinterpret_cast<const __m128i*>(tmp));
}

// Units [u0, u0 + N) of mapping m for the step whose tap pointers are taps; stores to out.
template <bool kUnsigned, bool kOneWindow, int N>
WHITTLE_DW_INLINE void units(const uint8_t* const* taps, int32_t ntaps, const LanesMap& m, int32_t u0, uint8_t* out,
                  const uint8_t* end, __m256i out_offset, __m256i vmin, __m256i vmax) {
  __m256i lo[N], hi[N];
  #pragma GCC unroll 4
  for (int i = 0; i < N; i++) {
    lo[i] = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(m.bias + 16 * (size_t)(u0 + i)));
    hi[i] = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(m.bias + 16 * (size_t)(u0 + i) + 8));
  }
  const whittle_q8_dwconv_unit* un = m.units + u0;
  const int32_t* wt = m.w + 16 * (size_t)u0;
  for (int32_t t = 0; t < ntaps; t++) {
    const uint8_t* x = taps[t];
    #pragma GCC unroll 4
    for (int i = 0; i < N; i++) {
      __m128i v;
      if (kOneWindow) {
        v = load_window<16>(x + un[i].off_a, un[i].len_a, end);
      } else {
        v = _mm_unpacklo_epi64(load_window<8>(x + un[i].off_a, un[i].len_a, end),
                               load_window<8>(x + un[i].off_b, un[i].len_b, end));
      }
      v = _mm_shuffle_epi8(v, _mm_loadu_si128(reinterpret_cast<const __m128i*>(un[i].shuffle)));
      lo[i] = _mm256_add_epi32(lo[i], _mm256_mullo_epi32(widen8<kUnsigned>(v),
                                                         _mm256_loadu_si256(reinterpret_cast<const __m256i*>(wt + 16 * i))));
      hi[i] = _mm256_add_epi32(hi[i], _mm256_mullo_epi32(widen8<kUnsigned>(_mm_unpackhi_epi64(v, v)),
                                                         _mm256_loadu_si256(reinterpret_cast<const __m256i*>(wt + 16 * i + 8))));
    }
    wt += m.stride;
  }
  #pragma GCC unroll 4
  for (int i = 0; i < N; i++) {
    const int32_t u = u0 + i;
    const size_t c = 16 * (size_t)u;
    const __m128i r = narrow16<kUnsigned>(requant(m, lo[i], c, out_offset, vmin, vmax),
                                          requant(m, hi[i], c + 8, out_offset, vmin, vmax));
    const int32_t valid = m.lanes - 16 * u;
    if (valid >= 16) {
      _mm_storeu_si128(reinterpret_cast<__m128i*>(out + 16 * (size_t)i), r);
    } else {
      alignas(16) uint8_t tmp[16];
      _mm_store_si128(reinterpret_cast<__m128i*>(tmp), r);
      memcpy(out + 16 * (size_t)i, tmp, (size_t)valid);
    }
  }
}

template <bool kUnsigned, bool kOneWindow>
inline void map_step(const uint8_t* const* taps, int32_t ntaps, const LanesMap& m, uint8_t* out, const uint8_t* end,
                     __m256i out_offset, __m256i vmin, __m256i vmax) {
  int32_t u = 0;
  for (; u + 4 <= m.n; u += 4) {
    units<kUnsigned, kOneWindow, 4>(taps, ntaps, m, u, out + 16 * (size_t)u, end, out_offset, vmin, vmax);
  }
  switch (m.n - u) {
    case 3:
      units<kUnsigned, kOneWindow, 3>(taps, ntaps, m, u, out + 16 * (size_t)u, end, out_offset, vmin, vmax);
      break;
    case 2:
      units<kUnsigned, kOneWindow, 2>(taps, ntaps, m, u, out + 16 * (size_t)u, end, out_offset, vmin, vmax);
      break;
    case 1:
      units<kUnsigned, kOneWindow, 1>(taps, ntaps, m, u, out + 16 * (size_t)u, end, out_offset, vmin, vmax);
      break;
    default:
      break;
  }
}

template <bool kUnsigned, bool kGroupOneWindow>
struct Ops {
  LanesMap group, single;
  int32_t ntaps;
  const uint8_t* end;
  __m256i out_offset, vmin, vmax;

  inline void group_step(const uint8_t* const* taps, uint8_t* out) const {
    map_step<kUnsigned, kGroupOneWindow>(taps, ntaps, group, out, end, out_offset, vmin, vmax);
  }
  // A single pixel's units each read one window (16 consecutive output channels read at most
  // 16 consecutive input channels).
  inline void single_step(const uint8_t* const* taps, uint8_t* out) const {
    map_step<kUnsigned, true>(taps, ntaps, single, out, end, out_offset, vmin, vmax);
  }
};

template <bool kUnsigned, bool kGroupOneWindow>
void run(const whittle_q8_dwconv_lanes_params* p, const uint8_t* input, uint8_t* output, int32_t row_begin,
         int32_t row_end) {
  Ops<kUnsigned, kGroupOneWindow> ops;
  ops.group = whittle_q8_dwconv::lanes_map(p, p->group_offset, p->group_units, p->group_pixels * p->out_c);
  ops.single = whittle_q8_dwconv::lanes_map(p, p->single_offset, p->single_units, p->out_c);
  ops.ntaps = p->kh * p->kw;
  ops.end = input + (size_t)p->batches * (size_t)p->in_h * (size_t)p->in_w * (size_t)p->in_c;
  ops.out_offset = _mm256_set1_epi32(p->output_offset);
  ops.vmin = _mm256_set1_epi32(p->act_min);
  ops.vmax = _mm256_set1_epi32(p->act_max);
  struct Adapter {
    const Ops<kUnsigned, kGroupOneWindow>& o;
    void group(const uint8_t* const* taps, uint8_t* out) const { o.group_step(taps, out); }
    void single(const uint8_t* const* taps, uint8_t* out) const { o.single_step(taps, out); }
  } adapter{ops};
  whittle_q8_dwconv::lanes_rows(p, input, output, row_begin, row_end, adapter);
}

template <bool kUnsigned>
void dwconv(const whittle_q8_dwconv_lanes_params* p, const uint8_t* input, uint8_t* output, int32_t row_begin,
            int32_t row_end) {
  if (p->group_one_window) {
    run<kUnsigned, true>(p, input, output, row_begin, row_end);
  } else {
    run<kUnsigned, false>(p, input, output, row_begin, row_end);
  }
}

}  // namespace

WHITTLE_Q8_DWCONV_ENTRIES(WHITTLE_Q8_DWCONV_LANES, 64l__avx2, dwconv<false>, dwconv<true>)
