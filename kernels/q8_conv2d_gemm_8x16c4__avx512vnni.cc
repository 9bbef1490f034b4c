// int8/uint8 CONV_2D and FULLY_CONNECTED as a GEMM on AVX-512 VNNI: 8 output pixels x 16
// output channels per microtile (one zmm of int32 per pixel), K in quads (c4).
//
// The multiply: vpdpbusd, uint8 x int8 summed in fours into int32 with no intermediate
// saturation, 64 MACs per instruction (vpmaddwd on zmm does 32, plus an add). Its operands
// must be unsigned x signed, so both sides are moved by a constant (the sign/offset trick):
//   activations  x_u = x + d      (d = 128 for int8: the byte XOR 0x80; d = 0 for uint8)
//   weights      w_s = w_eff - c  (c = 0 for int8 conv; c = 128 + filterOffset for uint8, whose
//                                  w - 128 is a signed byte; c = weightsOffset for int8 FC)
// and, exactly in wrapping int32 (x + io = x_u - d + io):
//   sum_k w_eff (x + io) = sum_k w_s x_u + c * sum_k x_u + (io - d) * sum_k w_s + K c (io - d)
// The last two terms are per channel (folded with the bias into one constant at prepare);
// c * sum_k x_u is per pixel, summed while the block of pixels is gathered (vpsadbw), and
// skipped when c = 0 (every int8 convolution). Padding taps are gathered as the input zero
// point, so x + io = 0 there (the reference skips them: the same sum); the K padding up to a
// multiple of 4 is zero on both sides and left out of the sums.
// The requantization (ruy's or gemmlowp's rounding, see q8_gemm.h) is fused into the store:
// q8_requant_avx512.h's fast_requantize + store16 (session 7: ~7 slots per 16 outputs against
// ~12, half of the kernel at K = 16..32).
// GCC 12's avx512fintrin.h makes its "undefined" vectors as __m512i __Y = __Y, which
// -Wuninitialized reports at every inlined use of an intrinsic built on one; no value of
// them is ever read.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <immintrin.h>
#include <string.h>

#include "q8_gemm_common.h"
#include "q8_pack_avx512.h"
#include "q8_requant_avx512.h"

namespace {

using namespace whittle_q8_avx512;  // NOLINT: FastRequant, fast_requantize, store16, stage_row

constexpr int kMR = 8;
constexpr int kNR = 16;


// GL: gemmlowp rounding (else ruy's); U: uint8 output. Template arguments, so the per-row
// store has no branches.
template <int MR, bool GL, bool U>
WHITTLE_Q8_INLINE void microtile(const whittle_q8_gemm_params* p, const uint8_t* a, int32_t a_stride,
                             const int32_t* row_terms, const uint8_t* w, int32_t n, __mmask16 store_mask,
                             uint8_t* out, int32_t out_stride) {
  // The accumulators start from the per-channel constant (bias and offset terms).
  const __m512i c = _mm512_loadu_si512(whittle_q8::channel_array(p, WHITTLE_Q8_CH_CONST) + n);
  __m512i acc[MR];
  _Pragma("GCC unroll 8") for (int r = 0; r < MR; r++) {
    acc[r] = c;
  }
  const int32_t quads = p->kp >> 2;
  if (MR == 1) {
    // One pixel (FULLY_CONNECTED at batch 1, a 1x1 image): one accumulator would chain every
    // vpdpbusd on the previous one's latency; four independent ones overlap them.
    __m512i s1 = _mm512_setzero_si512(), s2 = _mm512_setzero_si512(), s3 = _mm512_setzero_si512();
    int32_t q = 0;
    for (; q + 4 <= quads; q += 4) {
      int32_t x[4];
      memcpy(x, a + 4 * q, 16);
      acc[0] = _mm512_dpbusd_epi32(acc[0], _mm512_set1_epi32(x[0]), _mm512_load_si512(w));
      s1 = _mm512_dpbusd_epi32(s1, _mm512_set1_epi32(x[1]), _mm512_load_si512(w + 64));
      s2 = _mm512_dpbusd_epi32(s2, _mm512_set1_epi32(x[2]), _mm512_load_si512(w + 128));
      s3 = _mm512_dpbusd_epi32(s3, _mm512_set1_epi32(x[3]), _mm512_load_si512(w + 192));
      w += 256;
    }
    for (; q < quads; q++) {
      int32_t x;
      memcpy(&x, a + 4 * q, 4);
      acc[0] = _mm512_dpbusd_epi32(acc[0], _mm512_set1_epi32(x), _mm512_load_si512(w));
      w += 64;
    }
    acc[0] = _mm512_add_epi32(_mm512_add_epi32(acc[0], s1), _mm512_add_epi32(s2, s3));
  } else
  for (int32_t q = 0; q < quads; q++) {
    const __m512i b = _mm512_load_si512(w);
    w += 64;
    _Pragma("GCC unroll 8") for (int r = 0; r < MR; r++) {
      int32_t quad;
      memcpy(&quad, a + (size_t) r * a_stride + 4 * q, 4);
      acc[r] = _mm512_dpbusd_epi32(acc[r], _mm512_set1_epi32(quad), b);
    }
  }
  // The cheaper output stage (q8_requant_avx512.h: fast_requantize, store16): same integers.
  const FastRequant rq = load_fast_requant<GL>(p, n);
  const __m512i off = _mm512_set1_epi32(p->output_offset);
  const __m512i lo = _mm512_set1_epi32(p->act_min);
  const __m512i hi = _mm512_set1_epi32(p->act_max);
  const bool hl = p->has_left_shift != 0;
  const int clamp = clamp_kind<U>(p);
  const bool full = store_mask == (__mmask16) 0xFFFF;
  _Pragma("GCC unroll 8") for (int r = 0; r < MR; r++) {
    const __m512i v = fast_requantize<GL>(_mm512_add_epi32(acc[r], _mm512_set1_epi32(row_terms[r])), rq, hl, off);
    store16<U>(out + (size_t) r * out_stride, v, clamp, lo, hi, full, store_mask);
  }
}

// The last panel's microtile where it has at most 8 real channels (N = 8 of a first
// MobileNet v1 0.25 layer, N = 24, 40, 56): the low half of each 64-byte weight row on ymm,
// so no multiply-add or requantization is spent on the 8 padding channels (a 512-bit op
// costs two 256-bit ones on Zen 4, one port pair on Ice Lake). Same arithmetic as microtile.
template <int MR, bool GL, bool U>
WHITTLE_Q8_INLINE void microtile8(const whittle_q8_gemm_params* p, const uint8_t* a, int32_t a_stride,
                                  const int32_t* row_terms, const uint8_t* w, int32_t n, __mmask8 store_mask,
                                  uint8_t* out, int32_t out_stride) {
  const __m256i c = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(
      whittle_q8::channel_array(p, WHITTLE_Q8_CH_CONST) + n));
  __m256i acc[MR];
  _Pragma("GCC unroll 8") for (int r = 0; r < MR; r++) {
    acc[r] = c;
  }
  const int32_t quads = p->kp >> 2;
  for (int32_t q = 0; q < quads; q++) {
    const __m256i b = _mm256_load_si256(reinterpret_cast<const __m256i*>(w));
    w += 64;
    _Pragma("GCC unroll 8") for (int r = 0; r < MR; r++) {
      int32_t quad;
      memcpy(&quad, a + (size_t) r * a_stride + 4 * q, 4);
      acc[r] = _mm256_dpbusd_epi32(acc[r], _mm256_set1_epi32(quad), b);
    }
  }
  const FastRequant8 rq = load_fast_requant8<GL>(p, n);
  const __m256i off = _mm256_set1_epi32(p->output_offset);
  const __m256i lo = _mm256_set1_epi32(p->act_min);
  const __m256i hi = _mm256_set1_epi32(p->act_max);
  const bool hl = p->has_left_shift != 0;
  const int clamp = clamp_kind<U>(p);
  _Pragma("GCC unroll 8") for (int r = 0; r < MR; r++) {
    const __m256i v = fast_requantize8<GL>(_mm256_add_epi32(acc[r], _mm256_set1_epi32(row_terms[r])), rq, hl, off);
    store8<U>(out + (size_t) r * out_stride, v, clamp, lo, hi, store_mask);
  }
}

// im2col of one output pixel straight into its packed row: each run of input bytes is moved
// to unsigned (XOR flip) in a register and stored 16 bytes at a time (up to 15 past the run:
// the next run, the K padding or the next row overwrite them; the scratch has 64 bytes of
// slack after the block), the K padding zeroed, and the byte sum returned when wanted.
// Replaces gather_bytes + transform_row for convolutions that are not 1x1, which staged the
// row and re-read it with a 64-byte masked load and wrote it with a masked store: on Zen 4 a
// masked 512-bit store costs tens of cycles, the bulk of MobileNet's first layer (Cin = 3,
// three 9-byte runs per pixel). Only a run's tail that ends within 16 bytes of the input's end
// takes a masked (never faulting) load.
WHITTLE_Q8_INLINE uint32_t gather_transform(const whittle_q8_gemm_params* p, const uint8_t* input,
                                            const uint8_t* input_end, const whittle_q8::Pixel& px, uint8_t* row,
                                            uint8_t flip, bool want_sum) {
  const __m128i f = _mm_set1_epi8((char) flip);
  const uint8_t pad = (uint8_t) ((uint8_t) p->input_zero_point ^ flip);
  const __m128i padv = _mm_set1_epi8((char) pad);
  __m128i sums = _mm_setzero_si128();
  uint32_t pad_sum = 0;
  int32_t at = 0;
  whittle_q8::gather_row(p, input, false, px, [&](const uint8_t* src, int32_t count) {
    if (src == nullptr) {
      for (int32_t i = 0; i < count; i += 16) {
        _mm_storeu_si128(reinterpret_cast<__m128i*>(row + at + i), padv);
      }
      pad_sum += (uint32_t) count * pad;
    } else {
      for (int32_t i = 0; i < count; i += 16) {
        const int32_t left = count - i;
        const __mmask16 m = left >= 16 ? (__mmask16) 0xFFFF : (__mmask16) ((1u << left) - 1);
        const __m128i raw = src + i + 16 <= input_end
                                ? _mm_loadu_si128(reinterpret_cast<const __m128i*>(src + i))
                                : _mm_maskz_loadu_epi8(m, src + i);
        const __m128i v = _mm_xor_si128(raw, f);
        _mm_storeu_si128(reinterpret_cast<__m128i*>(row + at + i), v);
        if (want_sum) {
          // Bytes past the run are left out of the sum (zeroed in the register only).
          sums = _mm_add_epi64(sums, _mm_sad_epu8(_mm_maskz_mov_epi8(m, v), _mm_setzero_si128()));
        }
      }
    }
    at += count;
  });
  // kp - k < 4 zero bytes (zero on both sides of the product, left out of the sums).
  const uint32_t zero = 0;
  memcpy(row + at, &zero, 4);
  return want_sum ? (uint32_t) (_mm_cvtsi128_si64(sums) + _mm_extract_epi64(sums, 1)) + pad_sum : 0;
}

// The rows of a block on microtile8 (a panel with at most 8 real channels).
template <bool GL, bool U>
static void run_half(const whittle_q8_gemm_params* p, const uint8_t* a, int32_t kp, const int32_t* row_terms,
                     const uint8_t* panel, int32_t n, __mmask8 mask, uint8_t* out, int32_t n_total, int32_t rows) {
  int32_t r = 0;
  for (; r + kMR <= rows; r += kMR) {
    microtile8<kMR, GL, U>(p, a + (size_t) r * kp, kp, row_terms + r, panel, n, mask, out + (size_t) r * n_total,
                           n_total);
  }
  const uint8_t* ar = a + (size_t) r * kp;
  uint8_t* outr = out + (size_t) r * n_total;
  switch (rows - r) {
    case 7: microtile8<7, GL, U>(p, ar, kp, row_terms + r, panel, n, mask, outr, n_total); break;
    case 6: microtile8<6, GL, U>(p, ar, kp, row_terms + r, panel, n, mask, outr, n_total); break;
    case 5: microtile8<5, GL, U>(p, ar, kp, row_terms + r, panel, n, mask, outr, n_total); break;
    case 4: microtile8<4, GL, U>(p, ar, kp, row_terms + r, panel, n, mask, outr, n_total); break;
    case 3: microtile8<3, GL, U>(p, ar, kp, row_terms + r, panel, n, mask, outr, n_total); break;
    case 2: microtile8<2, GL, U>(p, ar, kp, row_terms + r, panel, n, mask, outr, n_total); break;
    case 1: microtile8<1, GL, U>(p, ar, kp, row_terms + r, panel, n, mask, outr, n_total); break;
    default: break;
  }
}

template <bool GL, bool U>
static void run_t(const whittle_q8_gemm_params* p, const uint8_t* input, uint8_t* output, void* scratch, int32_t m0,
                int32_t m1, int32_t n0, int32_t n1) {
  const int32_t kp = p->kp;
  const int32_t k = p->k;
  uint8_t* a = static_cast<uint8_t*>(scratch);
  // After the packed block: 64 bytes of slack for gather_bytes, then the rows' sum terms.
  int32_t* row_terms = reinterpret_cast<int32_t*>(a + (size_t) p->mb * kp + 64);
  const uint8_t* input_end = input + whittle_q8::input_bytes(p);
  const uint8_t flip = (uint8_t) p->x_flip;
  const uint32_t coef = (uint32_t) p->row_coef;
  const bool want_sum = coef != 0;
  const uint8_t* weights = reinterpret_cast<const uint8_t*>(static_cast<uintptr_t>(p->weights));
  const int32_t n_total = p->out_c;
  const bool direct = whittle_q8::is_direct(p);
  const whittle_q8::SmallRuns small(p, input);
  const int32_t in_c = p->in_c;
  const int32_t kw = p->kw;
  const int32_t out_w = p->out_w;
  const size_t src_step = (size_t) p->stride_w * p->in_c;
  const __m128i flip16 = _mm_set1_epi8((char) flip);
  const __mmask16 run_mask = (__mmask16) ((1u << (small.run < 16 ? small.run : 16)) - 1);
  for (int32_t mb0 = m0; mb0 < m1; mb0 += p->mb) {
    const int32_t rows = m1 - mb0 < p->mb ? m1 - mb0 : p->mb;
    whittle_q8::Pixel px = whittle_q8::pixel_at(p, mb0);
    for (int32_t r = 0; r < rows;) {
      const uint8_t* src = nullptr;
      const int32_t run_px = direct ? 0 : small.interior(input, in_c, kw, out_w, px, rows - r, &src);
      if (run_px > 0) {
        // Interior pixels of one output row: kh runs of small.run bytes each, one 16-byte load
        // per run (see SmallRuns), the K padding zeroed by a 4-byte store (the next row or the
        // block's slack takes the excess).
        for (int32_t j = 0; j < run_px; j++, r++, src += src_step) {
          uint8_t* row = a + (size_t) r * kp;
          __m128i sums = _mm_setzero_si128();
          for (int32_t fy = 0; fy < small.kh; fy++) {
            const __m128i v = _mm_xor_si128(
                _mm_loadu_si128(reinterpret_cast<const __m128i*>(src + (size_t) fy * small.row_step)), flip16);
            _mm_storeu_si128(reinterpret_cast<__m128i*>(row + fy * small.run), v);
            if (want_sum) {
              sums = _mm_add_epi64(sums, _mm_sad_epu8(_mm_maskz_mov_epi8(run_mask, v), _mm_setzero_si128()));
            }
          }
          const uint32_t zero = 0;
          memcpy(row + k, &zero, 4);
          row_terms[r] = want_sum
                             ? (int32_t) (coef * (uint32_t) (_mm_cvtsi128_si64(sums) + _mm_extract_epi64(sums, 1)))
                             : 0;
        }
        whittle_q8::advance_pixels(p, &px, run_px);
        continue;
      }
      uint8_t* row = a + (size_t) r * kp;
      const uint32_t sum = direct ? stage_row(input + (size_t) px.m * k, input_end, row, k, kp, flip, want_sum)
                                  : gather_transform(p, input, input_end, px, row, flip, want_sum);
      row_terms[r] = (int32_t) (coef * sum);
      r++;
      whittle_q8::next_pixel(p, &px);
    }
    for (int32_t n = n0; n < n1; n += kNR) {
      const uint8_t* panel = weights + (size_t) (n / kNR) * kp * kNR;
      const int32_t nc = n_total - n < kNR ? n_total - n : kNR;
      const __mmask16 store_mask = (__mmask16) ((1u << nc) - 1);
      uint8_t* out = output + (size_t) mb0 * n_total + n;
      if (nc <= 8) {
        run_half<GL, U>(p, a, kp, row_terms, panel, n, (__mmask8) ((1u << nc) - 1), out, n_total, rows);
        continue;
      }
      int32_t r = 0;
      for (; r + kMR <= rows; r += kMR) {
        microtile<kMR, GL, U>(p, a + (size_t) r * kp, kp, row_terms + r, panel, n, store_mask, out + (size_t) r * n_total,
                       n_total);
      }
      const uint8_t* ar = a + (size_t) r * kp;
      uint8_t* outr = out + (size_t) r * n_total;
      switch (rows - r) {
        case 7: microtile<7, GL, U>(p, ar, kp, row_terms + r, panel, n, store_mask, outr, n_total); break;
        case 6: microtile<6, GL, U>(p, ar, kp, row_terms + r, panel, n, store_mask, outr, n_total); break;
        case 5: microtile<5, GL, U>(p, ar, kp, row_terms + r, panel, n, store_mask, outr, n_total); break;
        case 4: microtile<4, GL, U>(p, ar, kp, row_terms + r, panel, n, store_mask, outr, n_total); break;
        case 3: microtile<3, GL, U>(p, ar, kp, row_terms + r, panel, n, store_mask, outr, n_total); break;
        case 2: microtile<2, GL, U>(p, ar, kp, row_terms + r, panel, n, store_mask, outr, n_total); break;
        case 1: microtile<1, GL, U>(p, ar, kp, row_terms + r, panel, n, store_mask, outr, n_total); break;
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

#define WHITTLE_Q8_GEMM_AVX512VNNI(name)                                                           \
  extern "C" WHITTLE_Q8_GEMM_SIGNATURE(name) { run(params, input, output, scratch, m0, m1, n0, n1); }

WHITTLE_Q8_GEMM_AVX512VNNI(whittle_qs8_conv2d_gemm_8x16c4__avx512vnni)
WHITTLE_Q8_GEMM_AVX512VNNI(whittle_qs8_qc8w_conv2d_gemm_8x16c4__avx512vnni)
WHITTLE_Q8_GEMM_AVX512VNNI(whittle_qu8_conv2d_gemm_8x16c4__avx512vnni)
WHITTLE_Q8_GEMM_AVX512VNNI(whittle_qs8_fully_connected_gemm_8x16c4__avx512vnni)
WHITTLE_Q8_GEMM_AVX512VNNI(whittle_qs8_qc8w_fully_connected_gemm_8x16c4__avx512vnni)
WHITTLE_Q8_GEMM_AVX512VNNI(whittle_qu8_fully_connected_gemm_8x16c4__avx512vnni)

// 12 independent vpdpbusd chains (more than its latency times its throughput on Zen 4 and
// Ice Lake): the microkernel's bound. In asm so that no accumulator is spilled or copied.
// 12 * 64 MACs per iteration.
extern "C" WHITTLE_API int32_t whittle_qs8_peak__avx512vnni(int64_t iterations) {
  __m512i a0 = _mm512_set1_epi32(0), a1 = _mm512_set1_epi32(1), a2 = _mm512_set1_epi32(2),
          a3 = _mm512_set1_epi32(3), a4 = _mm512_set1_epi32(4), a5 = _mm512_set1_epi32(5),
          a6 = _mm512_set1_epi32(6), a7 = _mm512_set1_epi32(7), a8 = _mm512_set1_epi32(8),
          a9 = _mm512_set1_epi32(9), a10 = _mm512_set1_epi32(10), a11 = _mm512_set1_epi32(11);
  const __m512i x = _mm512_set1_epi8(3);
  const __m512i w = _mm512_set1_epi8(-5);
  for (int64_t it = 0; it < iterations; it++) {
    __asm__ volatile(
        "vpdpbusd %[w], %[x], %[a0]\n\t vpdpbusd %[w], %[x], %[a1]\n\t vpdpbusd %[w], %[x], %[a2]\n\t"
        "vpdpbusd %[w], %[x], %[a3]\n\t vpdpbusd %[w], %[x], %[a4]\n\t vpdpbusd %[w], %[x], %[a5]\n\t"
        "vpdpbusd %[w], %[x], %[a6]\n\t vpdpbusd %[w], %[x], %[a7]\n\t vpdpbusd %[w], %[x], %[a8]\n\t"
        "vpdpbusd %[w], %[x], %[a9]\n\t vpdpbusd %[w], %[x], %[a10]\n\t vpdpbusd %[w], %[x], %[a11]\n\t"
        : [a0] "+v"(a0), [a1] "+v"(a1), [a2] "+v"(a2), [a3] "+v"(a3), [a4] "+v"(a4), [a5] "+v"(a5),
          [a6] "+v"(a6), [a7] "+v"(a7), [a8] "+v"(a8), [a9] "+v"(a9), [a10] "+v"(a10), [a11] "+v"(a11)
        : [x] "v"(x), [w] "v"(w));
  }
  __m512i s = _mm512_add_epi32(_mm512_add_epi32(_mm512_add_epi32(a0, a1), _mm512_add_epi32(a2, a3)),
                               _mm512_add_epi32(_mm512_add_epi32(a4, a5), _mm512_add_epi32(a6, a7)));
  s = _mm512_add_epi32(s, _mm512_add_epi32(_mm512_add_epi32(a8, a9), _mm512_add_epi32(a10, a11)));
  return _mm512_reduce_add_epi32(s);
}
