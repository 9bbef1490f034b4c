// DEPTHWISE_CONV_2D, int8 and uint8 activations (qs8, qs8_qc8w, qu8), any depth multiplier and
// few channels, AVX-512 F/BW/VL: lane-mapped (see whittle_q8_dwconv_lanes_params in
// native/include/whittle/dwconv.h). A step computes up to 4 units of 16 (pixel, channel)
// lanes: several output pixels per step when channels are few (8 channels: 8 pixels, 64
// lanes), and with a depth multiplier the input bytes are spread to their output channels by
// a pshufb (inC = 1: one byte broadcast to every channel). Products as in the 32c kernel
// (vpmovsxbd/vpmovzxbd + vpmulld), output stage TFLite's MultiplyByQuantizedMultiplier:
// bit-exact with DepthwiseConvKernels. Byte-masked loads never fault past the tensor.
#include <immintrin.h>

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
inline __m512i widen16(__m128i v) {
  return kUnsigned ? _mm512_cvtepu8_epi32(v) : _mm512_cvtepi8_epi32(v);
}

// TFLite's MultiplyByQuantizedMultiplier, + output offset, clamp; 16 lanes (as the 32c kernel).
WHITTLE_DW_INLINE __m512i requant(const LanesMap& m, __m512i acc, size_t c, __m512i out_offset, __m512i vmin, __m512i vmax) {
  const __m512i x = _mm512_sllv_epi32(acc, _mm512_loadu_si512(m.lsh + c));
  const __m512i mu = _mm512_loadu_si512(m.mult + c);
  const __m512i nudge = _mm512_set1_epi64(int64_t(1) << 30);
  __m512i pe = _mm512_add_epi64(_mm512_mul_epi32(x, mu), nudge);
  __m512i po = _mm512_add_epi64(_mm512_mul_epi32(_mm512_srli_epi64(x, 32), _mm512_srli_epi64(mu, 32)), nudge);
  pe = _mm512_srli_epi64(pe, 31);
  po = _mm512_slli_epi64(po, 1);
  const __m512i h = _mm512_mask_blend_epi32((__mmask16)0xAAAA, pe, po);
  const __m512i rem = _mm512_and_si512(h, _mm512_loadu_si512(m.rmask + c));
  const __m512i thr = _mm512_sub_epi32(_mm512_loadu_si512(m.rhalf + c), _mm512_srai_epi32(h, 31));
  __m512i q = _mm512_srav_epi32(h, _mm512_loadu_si512(m.rsh + c));
  q = _mm512_mask_add_epi32(q, _mm512_cmpgt_epi32_mask(rem, thr), q, _mm512_set1_epi32(1));
  q = _mm512_add_epi32(q, out_offset);
  return _mm512_min_epi32(_mm512_max_epi32(q, vmin), vmax);
}

inline __mmask16 low_bits(int32_t n) { return (__mmask16)((1u << n) - 1u); }

// Units [u0, u0 + N) of mapping m for the step whose tap pointers are taps; stores to out.
template <bool kUnsigned, bool kOneWindow, int N>
WHITTLE_DW_INLINE void units(const uint8_t* const* taps, int32_t ntaps, const LanesMap& m, int32_t u0, uint8_t* out,
                  __m512i out_offset, __m512i vmin, __m512i vmax) {
  __m512i acc[N];
  __m128i shuf[N];
  size_t off_a[N], off_b[N];
  __mmask16 mask_a[N], mask_b[N];
  #pragma GCC unroll 4
  for (int i = 0; i < N; i++) {
    const whittle_q8_dwconv_unit& u = m.units[u0 + i];
    acc[i] = _mm512_loadu_si512(m.bias + 16 * (size_t)(u0 + i));
    shuf[i] = _mm_loadu_si128(reinterpret_cast<const __m128i*>(u.shuffle));
    off_a[i] = (size_t)u.off_a;
    mask_a[i] = low_bits(u.len_a);
    // The second half is loaded at off_b - 8 with only bytes 8..15 enabled (never faults).
    off_b[i] = (size_t)u.off_b - 8;
    mask_b[i] = (__mmask16)(low_bits(u.len_b) << 8);
  }
  const int32_t* wt = m.w + 16 * (size_t)u0;
  for (int32_t t = 0; t < ntaps; t++) {
    const uint8_t* x = taps[t];
    #pragma GCC unroll 4
    for (int i = 0; i < N; i++) {
      __m128i v = _mm_maskz_loadu_epi8(mask_a[i], x + off_a[i]);
      if (!kOneWindow) {
        v = _mm_or_si128(v, _mm_maskz_loadu_epi8(mask_b[i], x + off_b[i]));
      }
      v = _mm_shuffle_epi8(v, shuf[i]);
      acc[i] = _mm512_add_epi32(acc[i], _mm512_mullo_epi32(widen16<kUnsigned>(v), _mm512_loadu_si512(wt + 16 * i)));
    }
    wt += m.stride;
  }
  #pragma GCC unroll 4
  for (int i = 0; i < N; i++) {
    const int32_t u = u0 + i;
    // Clamped to the output type's range, so truncation (vpmovdb) is exact for int8 and uint8.
    const __m128i r = _mm512_cvtepi32_epi8(requant(m, acc[i], 16 * (size_t)u, out_offset, vmin, vmax));
    const int32_t valid = m.lanes - 16 * u;
    if (valid >= 16) {
      _mm_storeu_si128(reinterpret_cast<__m128i*>(out + 16 * (size_t)i), r);
    } else {
      _mm_mask_storeu_epi8(out + 16 * (size_t)i, low_bits(valid), r);
    }
  }
}

template <bool kUnsigned, bool kOneWindow>
inline void map_step(const uint8_t* const* taps, int32_t ntaps, const LanesMap& m, uint8_t* out, __m512i out_offset,
                     __m512i vmin, __m512i vmax) {
  int32_t u = 0;
  for (; u + 4 <= m.n; u += 4) {
    units<kUnsigned, kOneWindow, 4>(taps, ntaps, m, u, out + 16 * (size_t)u, out_offset, vmin, vmax);
  }
  switch (m.n - u) {
    case 3:
      units<kUnsigned, kOneWindow, 3>(taps, ntaps, m, u, out + 16 * (size_t)u, out_offset, vmin, vmax);
      break;
    case 2:
      units<kUnsigned, kOneWindow, 2>(taps, ntaps, m, u, out + 16 * (size_t)u, out_offset, vmin, vmax);
      break;
    case 1:
      units<kUnsigned, kOneWindow, 1>(taps, ntaps, m, u, out + 16 * (size_t)u, out_offset, vmin, vmax);
      break;
    default:
      break;
  }
}

template <bool kUnsigned, bool kGroupOneWindow>
struct Ops {
  LanesMap group, single;
  int32_t ntaps;
  __m512i out_offset, vmin, vmax;

  inline void group_step(const uint8_t* const* taps, uint8_t* out) const {
    map_step<kUnsigned, kGroupOneWindow>(taps, ntaps, group, out, out_offset, vmin, vmax);
  }
  // A single pixel's units each read one window (16 consecutive output channels read at most
  // 16 consecutive input channels).
  inline void single_step(const uint8_t* const* taps, uint8_t* out) const {
    map_step<kUnsigned, true>(taps, ntaps, single, out, out_offset, vmin, vmax);
  }
};

template <bool kUnsigned, bool kGroupOneWindow>
void run(const whittle_q8_dwconv_lanes_params* p, const uint8_t* input, uint8_t* output, int32_t row_begin,
         int32_t row_end) {
  Ops<kUnsigned, kGroupOneWindow> ops;
  ops.group = whittle_q8_dwconv::lanes_map(p, p->group_offset, p->group_units, p->group_pixels * p->out_c);
  ops.single = whittle_q8_dwconv::lanes_map(p, p->single_offset, p->single_units, p->out_c);
  ops.ntaps = p->kh * p->kw;
  ops.out_offset = _mm512_set1_epi32(p->output_offset);
  ops.vmin = _mm512_set1_epi32(p->act_min);
  ops.vmax = _mm512_set1_epi32(p->act_max);
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

WHITTLE_Q8_DWCONV_ENTRIES(WHITTLE_Q8_DWCONV_LANES, 64l__avx512, dwconv<false>, dwconv<true>)
