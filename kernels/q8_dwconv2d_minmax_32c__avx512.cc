// DEPTHWISE_CONV_2D, int8 and uint8 activations (qs8, qs8_qc8w, qu8), depth multiplier 1,
// AVX-512 F/BW/VL: 32 channels per step (two ZMM accumulators), taps looped; the algebra and
// layout of native/include/whittle/dwconv.h, the products as in the AVX2 kernel (mul32).
// Channel tails use byte-masked loads and stores (AVX-512BW), which never fault on the
// masked-off bytes, so no copies are needed for any channel count.
#include <immintrin.h>

#include "q8_dwconv_common.h"
#include "q8_dwconv_entries.h"
#include "whittle/dwconv.h"

#if defined(__GNUC__) && !defined(__clang__)
// GCC 12 reports its own intrinsic headers' deliberately undefined vectors (_mm*_undefined_*).
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

namespace {

using whittle_q8_dwconv::at;

template <bool kUnsigned>
inline __m512i widen16(__m128i v) {
  return kUnsigned ? _mm512_cvtepu8_epi32(v) : _mm512_cvtepi8_epi32(v);
}

struct Requant {
  const int32_t* mult;
  const int32_t* lsh;
  const int32_t* rmask;
  const int32_t* rhalf;
  const int32_t* rsh;
  __m512i out_offset, vmin, vmax;

  // TFLite's MultiplyByQuantizedMultiplier, + output offset, clamp; 16 channels (see the AVX2 kernel).
  inline __m512i apply(__m512i acc, size_t c) const {
    const __m512i x = _mm512_sllv_epi32(acc, _mm512_loadu_si512(lsh + c));
    const __m512i m = _mm512_loadu_si512(mult + c);
    const __m512i nudge = _mm512_set1_epi64(int64_t(1) << 30);
    __m512i pe = _mm512_add_epi64(_mm512_mul_epi32(x, m), nudge);
    __m512i po = _mm512_add_epi64(_mm512_mul_epi32(_mm512_srli_epi64(x, 32), _mm512_srli_epi64(m, 32)), nudge);
    pe = _mm512_srli_epi64(pe, 31);
    po = _mm512_slli_epi64(po, 1);
    const __m512i h = _mm512_mask_blend_epi32((__mmask16)0xAAAA, pe, po);
    const __m512i rem = _mm512_and_si512(h, _mm512_loadu_si512(rmask + c));
    const __m512i thr = _mm512_sub_epi32(_mm512_loadu_si512(rhalf + c), _mm512_srai_epi32(h, 31));
    __m512i q = _mm512_srav_epi32(h, _mm512_loadu_si512(rsh + c));
    q = _mm512_mask_add_epi32(q, _mm512_cmpgt_epi32_mask(rem, thr), q, _mm512_set1_epi32(1));
    q = _mm512_add_epi32(q, out_offset);
    return _mm512_min_epi32(_mm512_max_epi32(q, vmin), vmax);
  }
};

// Channels [c, c + 32) of one output pixel; lanes beyond the mask read nothing and are not stored.
template <bool kUnsigned, bool kMasked>
inline void block32(const uint8_t* const* taps, int32_t ntaps, size_t c, const int32_t* w, size_t cp,
                    const int32_t* bias, const Requant& rq, uint8_t* o, __mmask16 m0, __mmask16 m1) {
  __m512i a0 = _mm512_loadu_si512(bias + c);
  __m512i a1 = _mm512_loadu_si512(bias + c + 16);
  const int32_t* wt = w + c;
  for (int32_t t = 0; t < ntaps; t++) {
    const uint8_t* x = taps[t] + c;
    __m128i x0, x1;
    if (kMasked) {
      x0 = _mm_maskz_loadu_epi8(m0, x);
      x1 = _mm_maskz_loadu_epi8(m1, x + 16);
    } else {
      x0 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(x));
      x1 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(x + 16));
    }
    a0 = _mm512_add_epi32(a0, _mm512_mullo_epi32(widen16<kUnsigned>(x0), _mm512_loadu_si512(wt)));
    a1 = _mm512_add_epi32(a1, _mm512_mullo_epi32(widen16<kUnsigned>(x1), _mm512_loadu_si512(wt + 16)));
    wt += cp;
  }
  // Clamped to the output type's range, so truncation (vpmovdb) is exact for int8 and uint8.
  const __m128i r0 = _mm512_cvtepi32_epi8(rq.apply(a0, c));
  const __m128i r1 = _mm512_cvtepi32_epi8(rq.apply(a1, c + 16));
  if (kMasked) {
    _mm_mask_storeu_epi8(o + c, m0, r0);
    _mm_mask_storeu_epi8(o + c + 16, m1, r1);
  } else {
    _mm_storeu_si128(reinterpret_cast<__m128i*>(o + c), r0);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(o + c + 16), r1);
  }
}

template <bool kUnsigned>
void dwconv(const whittle_q8_dwconv_params* p, const uint8_t* input, uint8_t* output, int32_t row_begin,
            int32_t row_end, int32_t ch_begin, int32_t ch_end) {
  const size_t channels = (size_t)p->channels;
  // Channels [cb, ce): cb a multiple of the block, ce one too or the channel count.
  const size_t cb = ch_begin > 0 ? (size_t)ch_begin : 0;
  const size_t ce = ch_end > 0 && (size_t)ch_end < channels ? (size_t)ch_end : channels;
  if (cb >= ce) {
    return;
  }
  const size_t cp = (size_t)p->channels_padded;
  const int32_t ntaps = p->kh * p->kw;
  const int32_t* bias = at<int32_t>(p, p->bias_offset);
  const int32_t* w = at<int32_t>(p, p->weights_offset);
  const uint8_t* zero = at<uint8_t>(p, p->zero_offset);
  Requant rq;
  rq.mult = at<int32_t>(p, p->multiplier_offset);
  rq.lsh = at<int32_t>(p, p->left_shift_offset);
  rq.rmask = at<int32_t>(p, p->right_mask_offset);
  rq.rhalf = at<int32_t>(p, p->right_half_offset);
  rq.rsh = at<int32_t>(p, p->right_shift_offset);
  rq.out_offset = _mm512_set1_epi32(p->output_offset);
  rq.vmin = _mm512_set1_epi32(p->act_min);
  rq.vmax = _mm512_set1_epi32(p->act_max);

  const size_t full = channels & ~(size_t)31;
  const size_t rest = channels - full;
  const uint32_t tail_bits = rest == 0 ? 0u : (uint32_t)((uint64_t(1) << rest) - 1);
  const __mmask16 m0 = (__mmask16)(tail_bits & 0xFFFF);
  const __mmask16 m1 = (__mmask16)(tail_bits >> 16);

  const uint8_t* rows[WHITTLE_Q8_DWCONV_MAX_TAPS];
  const uint8_t* taps[WHITTLE_Q8_DWCONV_MAX_TAPS];
  for (int32_t row = row_begin; row < row_end; row++) {
    whittle_q8_dwconv::row_pointers(p, input, row, rows);
    uint8_t* out_row = output + (size_t)row * (size_t)p->out_w * channels;
    for (int32_t ox = 0; ox < p->out_w; ox++) {
      whittle_q8_dwconv::tap_pointers(p, rows, ox, zero, taps);
      uint8_t* o = out_row + (size_t)ox * channels;
      const size_t cf = ce < full ? ce : full;
      for (size_t c = cb; c < cf; c += 32) {
        block32<kUnsigned, false>(taps, ntaps, c, w, cp, bias, rq, o, 0, 0);
      }
      if (rest != 0 && ce == channels) {
        block32<kUnsigned, true>(taps, ntaps, full, w, cp, bias, rq, o, m0, m1);
      }
    }
  }
}

}  // namespace

WHITTLE_Q8_DWCONV_ENTRIES(WHITTLE_Q8_DWCONV, 32c__avx512, dwconv<false>, dwconv<true>)
