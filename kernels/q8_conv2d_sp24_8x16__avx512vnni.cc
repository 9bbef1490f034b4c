// int8/uint8 CONV_2D and FULLY_CONNECTED on 2:4 structured sparse weights, AVX-512 VNNI: 8
// output pixels x 16 output channels per microtile (one zmm of int32 per pixel), K in pairs of
// groups of 4 (8 K, of which each channel keeps 4 weights: one vpdpbusd dword lane).
//
// Packed format (written by Q8Sp24Gemm.java): per 16-channel panel, per 8 K (two groups g, g+1):
// each channel's 4 kept weights as int8 w_eff = w + filterOffset (64 bytes), and one byte per
// channel holding both groups' pattern ids (p_g | p_{g+1} << 4; 16 bytes): 80 bytes per 16
// channels x 8 K against the dense VNNI kernel's 128. Every int8 layer's kept w_eff fit int8;
// uint8 layers' w_eff = w - zeroPoint span [-255, 255]. For those the packed weights hold
// clamp(w_eff, -128, 127) and residual blocks the rest, r = w_eff - clamp(w_eff) (int8 unless
// w_eff = 255, which Q8Sp24Gemm declines), per 16-channel panel and 8 K where some r != 0: a
// second vpdpbusd on the same shuffled activations. Magnitude pruning keeps the extremes, but
// a quantized layer's weights are bell-shaped around the zero point: in MobileNet v2 pruned
// 2:4, 0.1% of the 16 x 8 blocks need one. (The dense kernel's offset trick, w - 128 plus
// c * sum_k x_u per pixel, does not carry over: the sum would run over the activations each
// channel keeps, different per channel and pixel, a second vpdpbusd per product.)
//
// The multiply, per 8 K and pixel: vpbroadcastq puts the pixel's 8 activation bytes (moved to
// unsigned, x_u = x ^ 0x80 for int8) in every qword; one vpshufb per 16 channels picks, per
// dword lane, the channel's 4 kept activations (control [a0, b0, 4 + a1, 4 + b1]); one
// vpdpbusd against the 4 kept weights. Per 128 dense-equivalent MACs: vpshufb + vpdpbusd
// against the dense kernel's 2 vpdpbusd; on Zen 4 vpshufb goes to FP1/FP2 and vpdpbusd to
// FP0/FP1, so the pair issues in about 2/3 the pipe slots. Algebra (exact, wrapping int32):
//   sum_kept w_eff (x + io) = sum_kept w_eff x_u + (io - d) * sum w_eff   (d = 128 or 0)
// the second term per channel, folded with the bias. The controls are expanded from the
// pattern bytes (vpmovzxbd, two vpermd from 16-entry tables, vpord) once per panel and pixel
// block into the worker's scratch, as in the AVX2 kernel.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <immintrin.h>
#include <string.h>

#include "q8_gemm_common.h"
#include "q8_pack_avx512.h"
#include "q8_requant_avx512.h"
#include "whittle/q8_sp24.h"

namespace {

using namespace whittle_q8_avx512;  // NOLINT: FastRequant, fast_requantize, clamp_kind, store16

constexpr int kMR = 8;
constexpr int kNR = 16;

// Pattern id -> (a, b) as control bytes 0, 1 (first group) or 2, 3 (second group, + 4).
alignas(64) const int32_t kLow[16] = {0x0100, 0x0200, 0x0300, 0x0201, 0x0301, 0x0302, 0x0100, 0x0100,
                                      0x0100, 0x0100, 0x0100, 0x0100, 0x0100, 0x0100, 0x0100, 0x0100};
alignas(64) const int32_t kHigh[16] = {0x05040000, 0x06040000, 0x07040000, 0x06050000, 0x07050000, 0x07060000,
                                       0x05040000, 0x05040000, 0x05040000, 0x05040000, 0x05040000, 0x05040000,
                                       0x05040000, 0x05040000, 0x05040000, 0x05040000};

static inline const uint8_t* metadata(const whittle_q8_gemm_params* p) {
  int64_t at;
  memcpy(&at, reinterpret_cast<const uint8_t*>(p) + 128, 8);
  return reinterpret_cast<const uint8_t*>(static_cast<uintptr_t>(at));
}

// The residual blocks (whittle/q8_sp24.h): per panel, the 8-K blocks q where some kept w_eff is
// outside int8, each with its 64 bytes of r = w_eff - clamp(w_eff, -128, 127) (int8 too: the
// packer declines w_eff = 255). Null starts: no residual.
struct Residual {
  const int32_t* starts;  // np / 16 + 1 indices into octs / weights
  const int32_t* octs;    // q of each block
  const uint8_t* weights; // 64 bytes per block
};

static inline Residual residual(const whittle_q8_gemm_params* p) {
  int64_t at[3];
  memcpy(at, reinterpret_cast<const uint8_t*>(p) + 136, 24);
  return Residual{reinterpret_cast<const int32_t*>(static_cast<uintptr_t>(at[0])),
                  reinterpret_cast<const int32_t*>(static_cast<uintptr_t>(at[1])),
                  reinterpret_cast<const uint8_t*>(static_cast<uintptr_t>(at[2]))};
}

// The output stage (session 7) is q8_requant_avx512.h's fast_requantize + store16 (written
// here first, now shared with the dense and sparse VNNI kernels): gemmlowp's RoundingDivideByPOT
// with shifts and adds and no compares, the clamp left to the saturating narrow where the
// activation is the whole output range, full panels stored unmasked. At K = 24 the old one was
// over half of the kernel, and 2:4 could not pass ~1.2x with it.

WHITTLE_Q8_INLINE __m512i control(const uint8_t* meta, __m512i low, __m512i high) {
  const __m512i z = _mm512_cvtepu8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(meta)));
  return _mm512_or_si512(_mm512_permutexvar_epi32(z, low), _mm512_permutexvar_epi32(_mm512_srli_epi32(z, 4), high));
}

// ctrl: the panel's expanded controls, or null to build them from meta in registers (blocks
// of fewer than 4 pixels, where each control is used once per pixel).
template <int MR, bool GL, bool U>
WHITTLE_Q8_INLINE void microtile(const whittle_q8_gemm_params* p, const uint8_t* a, int32_t a_stride,
                                 const uint8_t* w, const __m512i* ctrl, const uint8_t* meta, int32_t octs, int32_t n,
                                 const Residual& res, __mmask16 store_mask, uint8_t* out, int32_t out_stride) {
  const __m512i c = _mm512_loadu_si512(whittle_q8::channel_array(p, WHITTLE_Q8_CH_CONST) + n);
  __m512i acc[MR];
  _Pragma("GCC unroll 8") for (int r = 0; r < MR; r++) {
    acc[r] = c;
  }
  if (ctrl == nullptr) {
    const __m512i low = _mm512_load_si512(kLow);
    const __m512i high = _mm512_load_si512(kHigh);
    // Two independent chains per pixel: a lone pixel would wait on vpdpbusd's latency.
    __m512i acc2[MR];
    _Pragma("GCC unroll 8") for (int r = 0; r < MR; r++) {
      acc2[r] = _mm512_setzero_si512();
    }
    int32_t q = 0;
    for (; q + 2 <= octs; q += 2) {
      const __m512i k0 = control(meta + (size_t) q * 16, low, high);
      const __m512i k1 = control(meta + (size_t) q * 16 + 16, low, high);
      const __m512i w0 = _mm512_load_si512(w + (size_t) q * 64);
      const __m512i w1 = _mm512_load_si512(w + (size_t) q * 64 + 64);
      _Pragma("GCC unroll 8") for (int r = 0; r < MR; r++) {
        int64_t x[2];
        memcpy(x, a + (size_t) r * a_stride + 8 * q, 16);
        acc[r] = _mm512_dpbusd_epi32(acc[r], _mm512_shuffle_epi8(_mm512_set1_epi64(x[0]), k0), w0);
        acc2[r] = _mm512_dpbusd_epi32(acc2[r], _mm512_shuffle_epi8(_mm512_set1_epi64(x[1]), k1), w1);
      }
    }
    if (q < octs) {
      const __m512i k0 = control(meta + (size_t) q * 16, low, high);
      const __m512i w0 = _mm512_load_si512(w + (size_t) q * 64);
      _Pragma("GCC unroll 8") for (int r = 0; r < MR; r++) {
        int64_t x;
        memcpy(&x, a + (size_t) r * a_stride + 8 * q, 8);
        acc[r] = _mm512_dpbusd_epi32(acc[r], _mm512_shuffle_epi8(_mm512_set1_epi64(x), k0), w0);
      }
    }
    _Pragma("GCC unroll 8") for (int r = 0; r < MR; r++) {
      acc[r] = _mm512_add_epi32(acc[r], acc2[r]);
    }
  } else if (MR <= 2) {
    // A block's last 1..2 pixels (7x7 layers: 49 = 6 x 8 + 1): one chain per pixel would wait
    // on vpdpbusd's latency at every step (a 1-pixel tail cost half an 8-pixel tile); four
    // independent chains per pixel overlap them.
    __m512i acc2[MR], acc3[MR], acc4[MR];
    _Pragma("GCC unroll 8") for (int r = 0; r < MR; r++) {
      acc2[r] = acc3[r] = acc4[r] = _mm512_setzero_si512();
    }
    int32_t q = 0;
    for (; q + 4 <= octs; q += 4) {
      _Pragma("GCC unroll 8") for (int r = 0; r < MR; r++) {
        int64_t x[4];
        memcpy(x, a + (size_t) r * a_stride + 8 * q, 32);
        acc[r] = _mm512_dpbusd_epi32(acc[r], _mm512_shuffle_epi8(_mm512_set1_epi64(x[0]), ctrl[q]),
                                     _mm512_load_si512(w + (size_t) q * 64));
        acc2[r] = _mm512_dpbusd_epi32(acc2[r], _mm512_shuffle_epi8(_mm512_set1_epi64(x[1]), ctrl[q + 1]),
                                      _mm512_load_si512(w + (size_t) q * 64 + 64));
        acc3[r] = _mm512_dpbusd_epi32(acc3[r], _mm512_shuffle_epi8(_mm512_set1_epi64(x[2]), ctrl[q + 2]),
                                      _mm512_load_si512(w + (size_t) q * 64 + 128));
        acc4[r] = _mm512_dpbusd_epi32(acc4[r], _mm512_shuffle_epi8(_mm512_set1_epi64(x[3]), ctrl[q + 3]),
                                      _mm512_load_si512(w + (size_t) q * 64 + 192));
      }
    }
    for (; q < octs; q++) {
      _Pragma("GCC unroll 8") for (int r = 0; r < MR; r++) {
        int64_t x;
        memcpy(&x, a + (size_t) r * a_stride + 8 * q, 8);
        acc[r] = _mm512_dpbusd_epi32(acc[r], _mm512_shuffle_epi8(_mm512_set1_epi64(x), ctrl[q]),
                                     _mm512_load_si512(w + (size_t) q * 64));
      }
    }
    _Pragma("GCC unroll 8") for (int r = 0; r < MR; r++) {
      acc[r] = _mm512_add_epi32(_mm512_add_epi32(acc[r], acc2[r]), _mm512_add_epi32(acc3[r], acc4[r]));
    }
  } else {
    for (int32_t q = 0; q < octs; q++) {
      const __m512i b = _mm512_load_si512(w);
      const __m512i k = _mm512_load_si512(ctrl + q);
      w += 64;
      _Pragma("GCC unroll 8") for (int r = 0; r < MR; r++) {
        int64_t x;
        memcpy(&x, a + (size_t) r * a_stride + 8 * q, 8);
        acc[r] = _mm512_dpbusd_epi32(acc[r], _mm512_shuffle_epi8(_mm512_set1_epi64(x), k), b);
      }
    }
  }
  if (res.starts != nullptr) {
    // The panel's blocks with weights outside int8: the same shuffled activations times r.
    const __m512i low = _mm512_load_si512(kLow);
    const __m512i high = _mm512_load_si512(kHigh);
    const int32_t panel = n / kNR;
    for (int32_t j = res.starts[panel]; j < res.starts[panel + 1]; j++) {
      const int32_t q = res.octs[j];
      const __m512i k = ctrl != nullptr ? _mm512_load_si512(ctrl + q) : control(meta + (size_t) q * 16, low, high);
      const __m512i b = _mm512_load_si512(res.weights + (size_t) j * 64);
      _Pragma("GCC unroll 8") for (int r = 0; r < MR; r++) {
        int64_t x;
        memcpy(&x, a + (size_t) r * a_stride + 8 * q, 8);
        acc[r] = _mm512_dpbusd_epi32(acc[r], _mm512_shuffle_epi8(_mm512_set1_epi64(x), k), b);
      }
    }
  }
  const FastRequant rq = load_fast_requant<GL>(p, n);
  const __m512i off = _mm512_set1_epi32(p->output_offset);
  const __m512i lo = _mm512_set1_epi32(p->act_min);
  const __m512i hi = _mm512_set1_epi32(p->act_max);
  const bool hl = p->has_left_shift != 0;
  const int clamp = clamp_kind<U>(p);
  const bool full = store_mask == (__mmask16) 0xFFFF;
  _Pragma("GCC unroll 8") for (int r = 0; r < MR; r++) {
    store16<U>(out + (size_t) r * out_stride, fast_requantize<GL>(acc[r], rq, hl, off), clamp, lo, hi, full, store_mask);
  }
}

// The last panel's microtile where it has at most 8 real channels (N = 24: MobileNet v2's
// 56x56 project layers), on the low ymm half of each 64-byte row of weights and controls (a
// channel's dword lane and its control sit in the same lane of both halves), as the dense
// kernel's microtile8: no multiply-add or requantization spent on the 8 padding channels.
template <int MR, bool GL, bool U>
WHITTLE_Q8_INLINE void microtile8(const whittle_q8_gemm_params* p, const uint8_t* a, int32_t a_stride,
                                  const uint8_t* w, const __m512i* ctrl, const uint8_t* meta, int32_t octs, int32_t n,
                                  const Residual& res, __mmask8 store_mask, uint8_t* out, int32_t out_stride) {
  const __m256i c = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(
      whittle_q8::channel_array(p, WHITTLE_Q8_CH_CONST) + n));
  __m256i acc[MR];
  __m256i acc2[MR];
  _Pragma("GCC unroll 8") for (int r = 0; r < MR; r++) {
    acc[r] = c;
    acc2[r] = _mm256_setzero_si256();
  }
  const __m512i low = _mm512_load_si512(kLow);
  const __m512i high = _mm512_load_si512(kHigh);
  auto k_at = [&](int32_t q) {
    return ctrl != nullptr ? _mm256_load_si256(reinterpret_cast<const __m256i*>(ctrl + q))
                           : _mm512_castsi512_si256(control(meta + (size_t) q * 16, low, high));
  };
  // Two chains per pixel (ymm vpdpbusd: half the work per op, the same latency).
  int32_t q = 0;
  for (; q + 2 <= octs; q += 2) {
    const __m256i k0 = k_at(q);
    const __m256i k1 = k_at(q + 1);
    const __m256i w0 = _mm256_load_si256(reinterpret_cast<const __m256i*>(w + (size_t) q * 64));
    const __m256i w1 = _mm256_load_si256(reinterpret_cast<const __m256i*>(w + (size_t) q * 64 + 64));
    _Pragma("GCC unroll 8") for (int r = 0; r < MR; r++) {
      int64_t x[2];
      memcpy(x, a + (size_t) r * a_stride + 8 * q, 16);
      acc[r] = _mm256_dpbusd_epi32(acc[r], _mm256_shuffle_epi8(_mm256_set1_epi64x(x[0]), k0), w0);
      acc2[r] = _mm256_dpbusd_epi32(acc2[r], _mm256_shuffle_epi8(_mm256_set1_epi64x(x[1]), k1), w1);
    }
  }
  if (q < octs) {
    const __m256i k0 = k_at(q);
    const __m256i w0 = _mm256_load_si256(reinterpret_cast<const __m256i*>(w + (size_t) q * 64));
    _Pragma("GCC unroll 8") for (int r = 0; r < MR; r++) {
      int64_t x;
      memcpy(&x, a + (size_t) r * a_stride + 8 * q, 8);
      acc[r] = _mm256_dpbusd_epi32(acc[r], _mm256_shuffle_epi8(_mm256_set1_epi64x(x), k0), w0);
    }
  }
  _Pragma("GCC unroll 8") for (int r = 0; r < MR; r++) {
    acc[r] = _mm256_add_epi32(acc[r], acc2[r]);
  }
  if (res.starts != nullptr) {
    const int32_t panel = n / kNR;
    for (int32_t j = res.starts[panel]; j < res.starts[panel + 1]; j++) {
      const int32_t qq = res.octs[j];
      const __m256i k = k_at(qq);
      const __m256i b = _mm256_load_si256(reinterpret_cast<const __m256i*>(res.weights + (size_t) j * 64));
      _Pragma("GCC unroll 8") for (int r = 0; r < MR; r++) {
        int64_t x;
        memcpy(&x, a + (size_t) r * a_stride + 8 * qq, 8);
        acc[r] = _mm256_dpbusd_epi32(acc[r], _mm256_shuffle_epi8(_mm256_set1_epi64x(x), k), b);
      }
    }
  }
  const FastRequant8 rq = load_fast_requant8<GL>(p, n);
  const __m256i off = _mm256_set1_epi32(p->output_offset);
  const __m256i lo = _mm256_set1_epi32(p->act_min);
  const __m256i hi = _mm256_set1_epi32(p->act_max);
  const bool hl = p->has_left_shift != 0;
  const int clamp = clamp_kind<U>(p);
  _Pragma("GCC unroll 8") for (int r = 0; r < MR; r++) {
    store8<U>(out + (size_t) r * out_stride, fast_requantize8<GL>(acc[r], rq, hl, off), clamp, lo, hi, store_mask);
  }
}

template <bool GL, bool U>
static void run_half(const whittle_q8_gemm_params* p, const uint8_t* a, int32_t kp, const uint8_t* panel,
                     const __m512i* c, const uint8_t* panel_meta, int32_t octs, int32_t n, const Residual& res,
                     __mmask8 mask, uint8_t* out, int32_t n_total, int32_t rows) {
  int32_t r = 0;
  for (; r + kMR <= rows; r += kMR) {
    microtile8<kMR, GL, U>(p, a + (size_t) r * kp, kp, panel, c, panel_meta, octs, n, res, mask,
                           out + (size_t) r * n_total, n_total);
  }
  const uint8_t* ar = a + (size_t) r * kp;
  uint8_t* outr = out + (size_t) r * n_total;
  switch (rows - r) {
    case 7: microtile8<7, GL, U>(p, ar, kp, panel, c, panel_meta, octs, n, res, mask, outr, n_total); break;
    case 6: microtile8<6, GL, U>(p, ar, kp, panel, c, panel_meta, octs, n, res, mask, outr, n_total); break;
    case 5: microtile8<5, GL, U>(p, ar, kp, panel, c, panel_meta, octs, n, res, mask, outr, n_total); break;
    case 4: microtile8<4, GL, U>(p, ar, kp, panel, c, panel_meta, octs, n, res, mask, outr, n_total); break;
    case 3: microtile8<3, GL, U>(p, ar, kp, panel, c, panel_meta, octs, n, res, mask, outr, n_total); break;
    case 2: microtile8<2, GL, U>(p, ar, kp, panel, c, panel_meta, octs, n, res, mask, outr, n_total); break;
    case 1: microtile8<1, GL, U>(p, ar, kp, panel, c, panel_meta, octs, n, res, mask, outr, n_total); break;
    default: break;
  }
}

template <bool GL, bool U>
static void run_t(const whittle_q8_gemm_params* p, const uint8_t* input, uint8_t* output, void* scratch, int32_t m0,
                  int32_t m1, int32_t n0, int32_t n1) {
  const int32_t kp = p->kp;  // K rounded up to 8
  const int32_t k = p->k;
  const int32_t octs = kp >> 3;
  uint8_t* a = static_cast<uint8_t*>(scratch);
  // After the block: 64 bytes of slack for gather_bytes, then (64-aligned) one panel's controls.
  __m512i* ctrl = reinterpret_cast<__m512i*>((reinterpret_cast<uintptr_t>(a + (size_t) p->mb * kp + 64) + 63) &
                                             ~(uintptr_t) 63);
  const uint8_t* input_end = input + whittle_q8::input_bytes(p);
  const uint8_t flip = (uint8_t) p->x_flip;
  const uint8_t* weights = reinterpret_cast<const uint8_t*>(static_cast<uintptr_t>(p->weights));
  const uint8_t* meta = metadata(p);
  const int32_t n_total = p->out_c;
  const bool direct = whittle_q8::is_direct(p);
  const bool in_place = direct && flip == 0 && kp == k;
  const __m512i low = _mm512_load_si512(kLow);
  const __m512i high = _mm512_load_si512(kHigh);
  const Residual res = residual(p);
  // In place (below) the block holds no staged rows, so it is at least 64 pixels and takes a
  // last block of under 8 pixels with it: each block expands a panel's controls (5 ops and a
  // store per 8 K) once, and a 7x7 layer at K = 960 (p->mb = 16) expanded them 4 times, once
  // for a single pixel (~10% of the kernel).
  const int32_t blk = in_place && p->mb < 64 ? 64 : p->mb;
  for (int32_t mb0 = m0, rows = 0; mb0 < m1; mb0 += rows) {
    rows = m1 - mb0 < blk ? m1 - mb0 : blk;
    if (in_place && m1 - mb0 - rows < kMR) {
      rows = m1 - mb0;
    }
    whittle_q8::Pixel px = whittle_q8::pixel_at(p, mb0);
    // uint8 1x1 convolutions and FULLY_CONNECTED with K % 8 == 0 (every 2:4 layer of MobileNet
    // v2) need no row transform (no flip, no K padding): the microtiles read the input in place.
    // Staging cost a masked 64-byte load and store per pixel and 64 K (a masked zmm store is
    // slow on Zen 4), ~10% of the kernel at K = 24.
    const uint8_t* ab = in_place ? input + (size_t) mb0 * k : a;
    for (int32_t r = 0; !in_place && r < rows; r++, whittle_q8::next_pixel(p, &px)) {
      uint8_t* row = a + (size_t) r * kp;
      const uint8_t* bytes = input + (size_t) px.m * k;
      const uint8_t* bytes_end = input_end;
      if (!direct) {
        whittle_q8::gather_bytes(p, input, input_end, false, px, row);
        bytes = row;
        bytes_end = a + (size_t) p->mb * kp + 64;
      }
      // Unmasked stores (q8_pack_avx512.h): the block has 64 bytes of slack before ctrl.
      stage_row(bytes, bytes_end, row, k, kp, flip, false);
    }
    const bool expand = rows >= 4;
    for (int32_t n = n0; n < n1; n += kNR) {
      const int32_t panel_index = n / kNR;
      const uint8_t* panel = weights + (size_t) panel_index * octs * 64;
      const uint8_t* panel_meta = meta + (size_t) panel_index * octs * 16;
      if (expand) {
        for (int32_t q = 0; q < octs; q++) {
          _mm512_store_si512(ctrl + q, control(panel_meta + (size_t) q * 16, low, high));
        }
      }
      const __m512i* c = expand ? ctrl : nullptr;
      const int32_t nc = n_total - n < kNR ? n_total - n : kNR;
      const __mmask16 store_mask = (__mmask16) ((1u << nc) - 1);
      uint8_t* out = output + (size_t) mb0 * n_total + n;
      if (nc <= 8) {
        run_half<GL, U>(p, ab, kp, panel, c, panel_meta, octs, n, res, (__mmask8) ((1u << nc) - 1), out, n_total, rows);
        continue;
      }
      int32_t r = 0;
      for (; r + kMR <= rows; r += kMR) {
        microtile<kMR, GL, U>(p, ab + (size_t) r * kp, kp, panel, c, panel_meta, octs, n, res, store_mask,
                              out + (size_t) r * n_total, n_total);
      }
      const uint8_t* ar = ab + (size_t) r * kp;
      uint8_t* outr = out + (size_t) r * n_total;
      switch (rows - r) {
        case 7: microtile<7, GL, U>(p, ar, kp, panel, c, panel_meta, octs, n, res, store_mask, outr, n_total); break;
        case 6: microtile<6, GL, U>(p, ar, kp, panel, c, panel_meta, octs, n, res, store_mask, outr, n_total); break;
        case 5: microtile<5, GL, U>(p, ar, kp, panel, c, panel_meta, octs, n, res, store_mask, outr, n_total); break;
        case 4: microtile<4, GL, U>(p, ar, kp, panel, c, panel_meta, octs, n, res, store_mask, outr, n_total); break;
        case 3: microtile<3, GL, U>(p, ar, kp, panel, c, panel_meta, octs, n, res, store_mask, outr, n_total); break;
        case 2: microtile<2, GL, U>(p, ar, kp, panel, c, panel_meta, octs, n, res, store_mask, outr, n_total); break;
        case 1: microtile<1, GL, U>(p, ar, kp, panel, c, panel_meta, octs, n, res, store_mask, outr, n_total); break;
        default: break;
      }
    }
  }
}

static void run(const whittle_q8_gemm_params* p, const uint8_t* input, uint8_t* output, void* scratch, int32_t m0,
                int32_t m1, int32_t n0, int32_t n1) {
  WHITTLE_Q8_RUN_GL_U(p, run_t, p, input, output, scratch, m0, m1, n0, n1);
}

}  // namespace

#define WHITTLE_Q8_SP24_AVX512VNNI(name) \
  extern "C" WHITTLE_Q8_GEMM_SIGNATURE(name) { run(params, input, output, scratch, m0, m1, n0, n1); }

WHITTLE_Q8_SP24_AVX512VNNI(whittle_qs8_conv2d_sp24_8x16__avx512vnni)
WHITTLE_Q8_SP24_AVX512VNNI(whittle_qs8_qc8w_conv2d_sp24_8x16__avx512vnni)
WHITTLE_Q8_SP24_AVX512VNNI(whittle_qu8_conv2d_sp24_8x16__avx512vnni)
WHITTLE_Q8_SP24_AVX512VNNI(whittle_qs8_fully_connected_sp24_8x16__avx512vnni)
WHITTLE_Q8_SP24_AVX512VNNI(whittle_qs8_qc8w_fully_connected_sp24_8x16__avx512vnni)
WHITTLE_Q8_SP24_AVX512VNNI(whittle_qu8_fully_connected_sp24_8x16__avx512vnni)
