// DEPTHWISE_CONV_2D, int8 and uint8 activations (qs8, qs8_qc8w, qu8), depth multiplier 1:
// 16 channels per step, taps looped, bit-exact with DepthwiseConvKernels (see
// native/include/whittle/dwconv.h for the packed layout and the algebra).
//
// Products are exact in int32 with vpmovsxbd/vpmovzxbd + vpmulld ("mul32", XNNPACK's choice
// for AVX2 depthwise): w_eff is in [-255, 255] for uint8, so an int16 product (vpmullw) would
// not fit, and vpmaddwd needs tap pairs interleaved by shuffles that cost more than they save.
#include <immintrin.h>
#include <string.h>

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
inline __m256i widen8(const uint8_t* p) {
  const __m128i v = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(p));
  return kUnsigned ? _mm256_cvtepu8_epi32(v) : _mm256_cvtepi8_epi32(v);
}

// TFLite's MultiplyByQuantizedMultiplier (gemmlowp SaturatingRoundingDoublingHighMul, then
// RoundingDivideByPOT), + output offset, clamp; 8 channels.
struct Requant {
  const int32_t* mult;
  const int32_t* lsh;
  const int32_t* rmask;
  const int32_t* rhalf;
  const int32_t* rsh;
  __m256i out_offset, vmin, vmax;

  inline __m256i apply(__m256i acc, size_t c) const {
    const __m256i x = _mm256_sllv_epi32(acc, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(lsh + c)));
    const __m256i m = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(mult + c));
    // (x * m + 2^30) >> 31 in 64 bits is SRDHM's nudge-and-truncate (m >= 0: no saturation).
    // Bits 31..62 of each 64-bit sum are the result; a logical shift extracts them.
    const __m256i nudge = _mm256_set1_epi64x(int64_t(1) << 30);
    __m256i pe = _mm256_add_epi64(_mm256_mul_epi32(x, m), nudge);
    __m256i po = _mm256_add_epi64(_mm256_mul_epi32(_mm256_srli_epi64(x, 32), _mm256_srli_epi64(m, 32)), nudge);
    pe = _mm256_srli_epi64(pe, 31);
    po = _mm256_slli_epi64(po, 1);
    const __m256i h = _mm256_blend_epi32(pe, po, 0xAA);
    // RoundingDivideByPOT: floor shift, + 1 when the remainder exceeds half - 1 (+1 if h < 0).
    const __m256i rem = _mm256_and_si256(h, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(rmask + c)));
    const __m256i thr = _mm256_sub_epi32(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(rhalf + c)),
                                         _mm256_srai_epi32(h, 31));
    __m256i q = _mm256_srav_epi32(h, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(rsh + c)));
    q = _mm256_sub_epi32(q, _mm256_cmpgt_epi32(rem, thr));
    return _mm256_add_epi32(q, out_offset);  // clamped as bytes (narrow16)
  }

  // With WHITTLE_Q8_DWCONV_FLAG_SMALL_ACC (|acc| < 2^30 where right > 0, so |h| < 2^30):
  // RoundingDivideByPOT(h, r) = (h + 2^(r-1) - [h < 0]) >> r with the nudge added in int32;
  // rmask holds 2^(r-1) or 0, rhalf the vpsrlvd count 31 or 32 (32: the term is 0 for r = 0).
  // The odd lanes' multipliers are read 4 bytes on (inside the block: the next array follows).
  // 16 ops per 8 channels against 19 (as q8_dwconv2d_minmax_rows16c2__avx2.cc).
  inline __m256i apply_small(__m256i acc, size_t c) const {
    const __m256i x = _mm256_sllv_epi32(acc, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(lsh + c)));
    const __m256i m = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(mult + c));
    const __m256i m_odd = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(mult + c + 1));
    const __m256i nudge = _mm256_set1_epi64x(int64_t(1) << 30);
    __m256i pe = _mm256_add_epi64(_mm256_mul_epi32(x, m), nudge);
    __m256i po = _mm256_add_epi64(_mm256_mul_epi32(_mm256_srli_epi64(x, 32), m_odd), nudge);
    pe = _mm256_srli_epi64(pe, 31);
    po = _mm256_slli_epi64(po, 1);
    const __m256i h = _mm256_blend_epi32(pe, po, 0xAA);
    const __m256i t = _mm256_sub_epi32(
        _mm256_add_epi32(h, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(rmask + c))),
        _mm256_srlv_epi32(h, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(rhalf + c))));
    __m256i q = _mm256_srav_epi32(t, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(rsh + c)));
    return _mm256_add_epi32(q, out_offset);  // clamped as bytes (narrow16)
  }
};

// 16 outputs from the 16 int32 in lo (channels 0..7) and hi (8..15), clamped to [vmin, vmax]
// (byte-broadcast) after the saturating packs: they are monotonic and exact inside the
// activation range, a sub-range of the output type, so this is the int32 clamp's result.
template <bool kUnsigned>
inline __m128i narrow16(__m256i lo, __m256i hi, __m256i vmin, __m256i vmax) {
  const __m256i w = _mm256_permute4x64_epi64(_mm256_packs_epi32(lo, hi), 0xD8);
  const __m128i a = _mm256_castsi256_si128(w);
  const __m128i b = _mm256_extracti128_si256(w, 1);
  const __m128i lo8 = _mm256_castsi256_si128(vmin), hi8 = _mm256_castsi256_si128(vmax);
  return kUnsigned ? _mm_min_epu8(_mm_max_epu8(_mm_packus_epi16(a, b), lo8), hi8)
                   : _mm_min_epi8(_mm_max_epi8(_mm_packs_epi16(a, b), lo8), hi8);
}

// Channels [c, c + 16) of one output pixel, reading 16 bytes at taps[t] + c + off.
template <bool kUnsigned, bool kSmall>
inline __m128i block16(const uint8_t* const* taps, int32_t ntaps, size_t off, const int32_t* w, size_t cp, size_t c,
                       const int32_t* bias, const Requant& rq) {
  __m256i a0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(bias + c));
  __m256i a1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(bias + c + 8));
  const int32_t* wt = w + c;
  for (int32_t t = 0; t < ntaps; t++) {
    const uint8_t* x = taps[t] + off;
    a0 = _mm256_add_epi32(a0, _mm256_mullo_epi32(widen8<kUnsigned>(x),
                                                 _mm256_loadu_si256(reinterpret_cast<const __m256i*>(wt))));
    a1 = _mm256_add_epi32(a1, _mm256_mullo_epi32(widen8<kUnsigned>(x + 8),
                                                 _mm256_loadu_si256(reinterpret_cast<const __m256i*>(wt + 8))));
    wt += cp;
  }
  if (kSmall) {
    return narrow16<kUnsigned>(rq.apply_small(a0, c), rq.apply_small(a1, c + 8), rq.vmin, rq.vmax);
  }
  return narrow16<kUnsigned>(rq.apply(a0, c), rq.apply(a1, c + 8), rq.vmin, rq.vmax);
}

template <bool kUnsigned>
inline __m256i widen16(const uint8_t* p) {
  const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
  return kUnsigned ? _mm256_cvtepu8_epi16(v) : _mm256_cvtepi8_epi16(v);
}

// block16 with taps in pairs (pair_weights_offset set, c a multiple of 16): both taps'
// 16 bytes widened to int16 and interleaved in-lane (vpunpck{l,h}wd), one vpmaddwd per tap
// pair and 8 lanes against a vpmulld per tap: 9 taps 10 vpmaddwd where mul32 spends 18 vpmulld
// (Zen 3/4: one vpmulld ymm per cycle, vpmaddwd two). The pair weights pw hold, per pair and
// 16 channels, the int16 pairs in that order (lo: channels 0-3 | 8-11, hi: 4-7 | 12-15; an odd
// last tap pairs with 0); vperm2i128 puts the sums back in channel order. Pair sums are exact
// (x in [-128, 255], w_eff in [-255, 255]) and int32 adds wrap: the same accumulators.
template <bool kUnsigned, bool kSmall>
inline __m128i block16_pairs(const uint8_t* const* taps, int32_t ntaps, size_t off, const int16_t* wp,
                             size_t pair_stride, size_t c, const int32_t* bias, const Requant& rq) {
  __m256i lo = _mm256_setzero_si256();
  __m256i hi = _mm256_setzero_si256();
  int32_t t = 0;
  for (; t + 2 <= ntaps; t += 2, wp += pair_stride) {
    const __m256i xa = widen16<kUnsigned>(taps[t] + off);
    const __m256i xb = widen16<kUnsigned>(taps[t + 1] + off);
    lo = _mm256_add_epi32(lo, _mm256_madd_epi16(_mm256_unpacklo_epi16(xa, xb),
                                                _mm256_loadu_si256(reinterpret_cast<const __m256i*>(wp))));
    hi = _mm256_add_epi32(hi, _mm256_madd_epi16(_mm256_unpackhi_epi16(xa, xb),
                                                _mm256_loadu_si256(reinterpret_cast<const __m256i*>(wp + 16))));
  }
  if (t < ntaps) {
    const __m256i xa = widen16<kUnsigned>(taps[t] + off);
    const __m256i z = _mm256_setzero_si256();
    lo = _mm256_add_epi32(lo, _mm256_madd_epi16(_mm256_unpacklo_epi16(xa, z),
                                                _mm256_loadu_si256(reinterpret_cast<const __m256i*>(wp))));
    hi = _mm256_add_epi32(hi, _mm256_madd_epi16(_mm256_unpackhi_epi16(xa, z),
                                                _mm256_loadu_si256(reinterpret_cast<const __m256i*>(wp + 16))));
  }
  const __m256i a0 = _mm256_add_epi32(_mm256_permute2x128_si256(lo, hi, 0x20),
                                      _mm256_loadu_si256(reinterpret_cast<const __m256i*>(bias + c)));
  const __m256i a1 = _mm256_add_epi32(_mm256_permute2x128_si256(lo, hi, 0x31),
                                      _mm256_loadu_si256(reinterpret_cast<const __m256i*>(bias + c + 8)));
  if (kSmall) {
    return narrow16<kUnsigned>(rq.apply_small(a0, c), rq.apply_small(a1, c + 8), rq.vmin, rq.vmax);
  }
  return narrow16<kUnsigned>(rq.apply(a0, c), rq.apply(a1, c + 8), rq.vmin, rq.vmax);
}

template <bool kUnsigned, bool kSmall>
void dwconv_t(const whittle_q8_dwconv_params* p, const uint8_t* input, uint8_t* output, int32_t row_begin,
            int32_t row_end, int32_t ch_begin, int32_t ch_end) {
  const size_t cp = (size_t)p->channels_padded;
  const int32_t ntaps = p->kh * p->kw;
  const int32_t* bias = at<int32_t>(p, p->bias_offset);
  const int32_t* w = at<int32_t>(p, p->weights_offset);
  const int16_t* pw = p->pair_weights_offset != 0 ? at<int16_t>(p, p->pair_weights_offset) : nullptr;
  const size_t channels = (size_t)p->channels;
  const int16_t* pw_tail = pw != nullptr && (p->flags & WHITTLE_Q8_DWCONV_FLAG_PAIRS_TAIL) != 0
                               ? pw + 2 * cp * (size_t)((ntaps + 1) / 2) : nullptr;
  Requant rq;
  rq.mult = at<int32_t>(p, p->multiplier_offset);
  rq.lsh = at<int32_t>(p, p->left_shift_offset);
  rq.rmask = at<int32_t>(p, p->right_mask_offset);
  rq.rhalf = at<int32_t>(p, p->right_half_offset);
  rq.rsh = at<int32_t>(p, p->right_shift_offset);
  rq.out_offset = _mm256_set1_epi32(p->output_offset);
  rq.vmin = _mm256_set1_epi8((char)p->act_min);  // bytes: narrow16 clamps after the packs
  rq.vmax = _mm256_set1_epi8((char)p->act_max);

  whittle_q8_dwconv::dwconv16_pixels(
      p, input, output, row_begin, row_end, ch_begin, ch_end,
      [&](const uint8_t* const* taps, size_t off, size_t c) {
        if (pw != nullptr && (c & 15) == 0) {
          return block16_pairs<kUnsigned, kSmall>(taps, ntaps, off, pw + 2 * c, 2 * cp, c, bias, rq);
        }
        // The overlapping last block of a channel count that is not a multiple of 16 (channels
        // - 16 .. channels - 1) has its own pair weights after the others, 32 int16 per pair
        // (session 12); a block at any other unaligned offset takes the int32 weights.
        if (pw_tail != nullptr && c + 16 == channels) {
          return block16_pairs<kUnsigned, kSmall>(taps, ntaps, off, pw_tail, 32, c, bias, rq);
        }
        return block16<kUnsigned, kSmall>(taps, ntaps, off, w, cp, c, bias, rq);
      },
      [](uint8_t* dst, __m128i v) { _mm_storeu_si128(reinterpret_cast<__m128i*>(dst), v); });
}

template <bool kUnsigned>
void dwconv(const whittle_q8_dwconv_params* p, const uint8_t* input, uint8_t* output, int32_t row_begin,
            int32_t row_end, int32_t ch_begin, int32_t ch_end) {
  if ((p->flags & WHITTLE_Q8_DWCONV_FLAG_SMALL_ACC) != 0) {
    dwconv_t<kUnsigned, true>(p, input, output, row_begin, row_end, ch_begin, ch_end);
  } else {
    dwconv_t<kUnsigned, false>(p, input, output, row_begin, row_end, ch_begin, ch_end);
  }
}

}  // namespace

WHITTLE_Q8_DWCONV_ENTRIES(WHITTLE_Q8_DWCONV, 16c__avx2, dwconv<false>, dwconv<true>)
