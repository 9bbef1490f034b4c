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
#include "q8_requant_avx512.h"
#include "whittle/q8_sp24.h"

namespace {

using namespace whittle_q8_avx512;  // NOLINT: Requant, load_requant, requantize

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

WHITTLE_Q8_INLINE __m512i control(const uint8_t* meta, __m512i low, __m512i high) {
  const __m512i z = _mm512_cvtepu8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(meta)));
  return _mm512_or_si512(_mm512_permutexvar_epi32(z, low), _mm512_permutexvar_epi32(_mm512_srli_epi32(z, 4), high));
}

// The bytes of a row moved to unsigned (XOR flip), the K padding up to a multiple of 8 zeroed.
static inline void transform_row(const uint8_t* src, uint8_t* dst, int32_t k, int32_t kp, uint8_t flip) {
  const __m512i f = _mm512_set1_epi8((char) flip);
  for (int32_t i = 0; i < kp; i += 64) {
    const int32_t left = k - i;
    const __mmask64 m = left >= 64 ? ~(__mmask64) 0 : left > 0 ? (((__mmask64) 1 << left) - 1) : 0;
    const int32_t span = kp - i < 64 ? kp - i : 64;
    const __mmask64 store = span == 64 ? ~(__mmask64) 0 : (((__mmask64) 1 << span) - 1);
    const __m512i v = _mm512_xor_si512(_mm512_maskz_loadu_epi8(m, src + i), _mm512_maskz_mov_epi8(m, f));
    _mm512_mask_storeu_epi8(dst + i, store, v);
  }
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
  const Requant rq = load_requant(p, n);
  const __m512i off = _mm512_set1_epi32(p->output_offset);
  const __m512i lo = _mm512_set1_epi32(p->act_min);
  const __m512i hi = _mm512_set1_epi32(p->act_max);
  const bool hl = p->has_left_shift != 0;
  _Pragma("GCC unroll 8") for (int r = 0; r < MR; r++) {
    const __m512i v = requantize(acc[r], rq, hl, GL, off, lo, hi);
    uint8_t* dst = out + (size_t) r * out_stride;
    // Clamped into the output type's range: the narrowing cannot saturate.
    if (U) {
      _mm512_mask_cvtusepi32_storeu_epi8(dst, store_mask, v);
    } else {
      _mm512_mask_cvtsepi32_storeu_epi8(dst, store_mask, v);
    }
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
  const __m512i low = _mm512_load_si512(kLow);
  const __m512i high = _mm512_load_si512(kHigh);
  const Residual res = residual(p);
  for (int32_t mb0 = m0; mb0 < m1; mb0 += p->mb) {
    const int32_t rows = m1 - mb0 < p->mb ? m1 - mb0 : p->mb;
    whittle_q8::Pixel px = whittle_q8::pixel_at(p, mb0);
    for (int32_t r = 0; r < rows; r++, whittle_q8::next_pixel(p, &px)) {
      uint8_t* row = a + (size_t) r * kp;
      const uint8_t* bytes = input + (size_t) px.m * k;
      if (!direct) {
        whittle_q8::gather_bytes(p, input, input_end, false, px, row);
        bytes = row;
      }
      transform_row(bytes, row, k, kp, flip);
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
      int32_t r = 0;
      for (; r + kMR <= rows; r += kMR) {
        microtile<kMR, GL, U>(p, a + (size_t) r * kp, kp, panel, c, panel_meta, octs, n, res, store_mask,
                              out + (size_t) r * n_total, n_total);
      }
      const uint8_t* ar = a + (size_t) r * kp;
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
