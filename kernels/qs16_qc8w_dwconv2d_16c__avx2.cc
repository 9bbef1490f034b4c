// 16x8 DEPTHWISE_CONV_2D (depth multiplier 1), AVX2: 16 channels per step, taps two at a
// time: vpunpcklwd/vpunpckhwd interleave two taps' int16 inputs per channel and vpmaddwd by
// the weights packed in the same order gives each channel's exact pair sum in int32. The
// factory allows at most 2 * WHITTLE_QS16_PAIRS_PER_FLUSH taps, so int32 never overflows
// (whittle/qs16.h); the sum is then widened to int64, the bias added, and TFLite's int64
// MultiplyByQuantizedMultiplier applied.
#include <immintrin.h>
#include <stdint.h>
#include <string.h>

#include "qs16_common.h"
#include "whittle/qs16.h"

namespace {

constexpr int kMaxTaps = 2 * WHITTLE_QS16_PAIRS_PER_FLUSH + 2;

static inline __m256i stage4(__m256i x, __m256i m, __m256i s, __m256i rnd) {
  const __m256i lo = _mm256_mul_epu32(x, m);
  const __m256i hi = _mm256_mul_epi32(_mm256_srli_epi64(x, 32), m);
  const __m256i v = _mm256_add_epi64(_mm256_add_epi64(lo, _mm256_slli_epi64(hi, 32)), rnd);
  const __m256i sign = _mm256_cmpgt_epi64(_mm256_setzero_si256(), v);
  return _mm256_xor_si256(_mm256_srlv_epi64(_mm256_xor_si256(v, sign), s), sign);
}

static inline __m256i ld(const int64_t* p) {
  return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
}

// 8 channels' int32 sums (in channel order) from channel c: bias, output stage, clamp.
static inline __m128i stage8(const whittle_qs16_dwconv_params* p, __m256i acc, int64_t c, __m256i vmin,
                             __m256i vmax) {
  const __m256i x0 = _mm256_add_epi64(_mm256_cvtepi32_epi64(_mm256_castsi256_si128(acc)), ld(p->bias + c));
  const __m256i x1 = _mm256_add_epi64(_mm256_cvtepi32_epi64(_mm256_extracti128_si256(acc, 1)), ld(p->bias + c + 4));
  const __m256i r0 = stage4(x0, ld(p->mult + c), ld(p->shift + c), ld(p->rnd + c));
  const __m256i r1 = stage4(x1, ld(p->mult + c + 4), ld(p->shift + c + 4), ld(p->rnd + c + 4));
  const __m256i idx = _mm256_setr_epi32(0, 2, 4, 6, 1, 3, 5, 7);
  __m256i v = _mm256_permute2x128_si256(_mm256_permutevar8x32_epi32(r0, idx),
                                        _mm256_permutevar8x32_epi32(r1, idx), 0x20);
  v = _mm256_min_epi32(_mm256_max_epi32(v, vmin), vmax);
  return _mm_packs_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
}

}  // namespace

extern "C" WHITTLE_API void whittle_qs16_qc8w_dwconv2d_16c__avx2(const whittle_qs16_dwconv_params* p,
    const int16_t* input, int16_t* output, int64_t r0, int64_t r1) {
  const int64_t C = p->channels;
  const int64_t taps = p->kh * p->kw;
  const int64_t pairs = p->taps_padded / 2;
  const int16_t* tap[kMaxTaps];
  alignas(32) int16_t tail[kMaxTaps][16];
  alignas(32) int16_t out_tail[16];
  const __m256i vmin = _mm256_set1_epi32((int32_t) p->act_min);
  const __m256i vmax = _mm256_set1_epi32((int32_t) p->act_max);
  for (int64_t r = r0; r < r1; r++) {
    const int64_t b = r / p->out_h;
    const int64_t oy = r % p->out_h;
    for (int64_t ox = 0; ox < p->out_w; ox++) {
      // One input pointer per tap, null where the tap falls outside the image (zeros).
      for (int64_t fy = 0; fy < p->kh; fy++) {
        const int64_t iy = oy * p->stride_h - p->pad_h + fy * p->dil_h;
        for (int64_t fx = 0; fx < p->kw; fx++) {
          const int64_t ix = ox * p->stride_w - p->pad_w + fx * p->dil_w;
          tap[fy * p->kw + fx] = iy >= 0 && iy < p->in_h && ix >= 0 && ix < p->in_w
              ? input + ((b * p->in_h + iy) * p->in_w + ix) * C : nullptr;
        }
      }
      for (int64_t t = taps; t < p->taps_padded; t++) {
        tap[t] = nullptr;
      }
      int16_t* out = output + ((b * p->out_h + oy) * p->out_w + ox) * C;
      const int16_t* w = p->weights;
      for (int64_t c = 0; c < C; c += 16) {
        const int64_t count = C - c < 16 ? C - c : 16;
        const int16_t* src[kMaxTaps];
        if (count == 8) {
          // Half a block (8 channels, common in small networks): 128-bit loads, upper half zero.
          __m256i acc_lo = _mm256_setzero_si256();
          for (int64_t q = 0; q < pairs; q++) {
            const __m128i x0 = tap[2 * q] ? _mm_loadu_si128(reinterpret_cast<const __m128i*>(tap[2 * q] + c))
                                          : _mm_setzero_si128();
            const __m128i x1 = tap[2 * q + 1]
                ? _mm_loadu_si128(reinterpret_cast<const __m128i*>(tap[2 * q + 1] + c)) : _mm_setzero_si128();
            // Channels 0-3 of both taps in the low lane, 4-7 in the high lane: the weights' lo
            // half holds channels 0-3 in its low lane, the hi half 4-7 in its low lane.
            const __m128i wlo = _mm_load_si128(reinterpret_cast<const __m128i*>(w));
            const __m128i whi = _mm_load_si128(reinterpret_cast<const __m128i*>(w + 16));
            const __m256i xv = _mm256_setr_m128i(_mm_unpacklo_epi16(x0, x1), _mm_unpackhi_epi16(x0, x1));
            acc_lo = _mm256_add_epi32(acc_lo, _mm256_madd_epi16(xv, _mm256_setr_m128i(wlo, whi)));
            w += 32;
          }
          _mm_storeu_si128(reinterpret_cast<__m128i*>(out + c), stage8(p, acc_lo, c, vmin, vmax));
          continue;
        }
        if (count == 16) {
          for (int64_t t = 0; t < p->taps_padded; t++) {
            src[t] = tap[t] ? tap[t] + c : nullptr;
          }
        } else {
          // Partial block: copy the channels into zero-padded rows so no load passes the input.
          for (int64_t t = 0; t < p->taps_padded; t++) {
            if (tap[t]) {
              memset(tail[t], 0, sizeof(tail[t]));
              memcpy(tail[t], tap[t] + c, (size_t) count * 2);
              src[t] = tail[t];
            } else {
              src[t] = nullptr;
            }
          }
        }
        __m256i acc_lo = _mm256_setzero_si256();
        __m256i acc_hi = _mm256_setzero_si256();
        for (int64_t q = 0; q < pairs; q++) {
          const __m256i x0 = src[2 * q] ? _mm256_loadu_si256(reinterpret_cast<const __m256i*>(src[2 * q]))
                                        : _mm256_setzero_si256();
          const __m256i x1 = src[2 * q + 1]
              ? _mm256_loadu_si256(reinterpret_cast<const __m256i*>(src[2 * q + 1])) : _mm256_setzero_si256();
          const __m256i wlo = _mm256_load_si256(reinterpret_cast<const __m256i*>(w));
          const __m256i whi = _mm256_load_si256(reinterpret_cast<const __m256i*>(w + 16));
          acc_lo = _mm256_add_epi32(acc_lo, _mm256_madd_epi16(_mm256_unpacklo_epi16(x0, x1), wlo));
          acc_hi = _mm256_add_epi32(acc_hi, _mm256_madd_epi16(_mm256_unpackhi_epi16(x0, x1), whi));
          w += 32;
        }
        // acc_lo holds channels 0-3 | 8-11, acc_hi 4-7 | 12-15 (per 128-bit lane).
        const __m256i a0 = _mm256_permute2x128_si256(acc_lo, acc_hi, 0x20);
        const __m256i a1 = _mm256_permute2x128_si256(acc_lo, acc_hi, 0x31);
        const __m128i o0 = stage8(p, a0, c, vmin, vmax);
        const __m128i o1 = stage8(p, a1, c + 8, vmin, vmax);
        if (count == 16) {
          _mm_storeu_si128(reinterpret_cast<__m128i*>(out + c), o0);
          _mm_storeu_si128(reinterpret_cast<__m128i*>(out + c + 8), o1);
        } else {
          _mm_store_si128(reinterpret_cast<__m128i*>(out_tail), o0);
          _mm_store_si128(reinterpret_cast<__m128i*>(out_tail + 8), o1);
          memcpy(out + c, out_tail, (size_t) count * 2);
        }
      }
    }
  }
}
