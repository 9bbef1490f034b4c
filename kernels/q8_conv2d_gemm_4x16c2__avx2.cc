// int8/uint8 CONV_2D and FULLY_CONNECTED as a GEMM on AVX2: 4 output pixels x 16 output
// channels per microtile, K in pairs (c2).
//
// The multiply: vpmaddwd on int16 x int16. AVX2 has no saturation-free u8 x s8 product
// (vpmaddubsw saturates its int16 pair sums: 255 * 127 * 2 > 32767), and uint8 weights with
// their zero point folded in, w + filterOffset, span [-255, 255], which fits no byte type.
// Both operands are therefore int16: the weights are packed at prepare as
// w_eff = w + filterOffset (exact in int16), the activations are widened while the block of
// pixels is gathered (im2col) into the worker's scratch. vpmaddwd's pair sums cannot
// overflow (2 * 255 * 255 < 2^31), and everything after is wrapping int32 like the reference:
//
//   acc[m][n] = sum_k w_eff[n][k] * x[m][k] + (inputOffset * sum_k w_eff[n][k] + bias[n])
//
// with the parenthesised term a per-channel constant. Padding taps are gathered as the input
// zero point, so x + inputOffset = 0 there: the reference skips them, which is the same sum.
// The requantization (ruy's or gemmlowp's rounding, see q8_gemm.h) is fused into the store.
#include <immintrin.h>
#include <string.h>

#include "q8_gemm_common.h"
#include "q8_gemm_4x16c2_avx2.h"
#include "q8_requant_avx2.h"

namespace {

using namespace whittle_q8_avx2;  // NOLINT: Requant, load_requant, requantize

using namespace whittle_q8_4x16c2_avx2;  // NOLINT: kMR, kNR, widen, microtile, microtile8, folded_rows

template <bool GL, bool U>
static void run_half(const whittle_q8_gemm_params* p, const int16_t* a, int32_t kp, const int16_t* panel, int32_t n,
                     int32_t nc, uint8_t* out, int32_t n_total, int32_t rows) {
  int32_t r = 0;
  for (; r + 8 <= rows; r += 8) {
    microtile8<8, GL, U>(p, a + (size_t) r * kp, kp, panel, n, nc, out + (size_t) r * n_total, n_total);
  }
  const int16_t* ar = a + (size_t) r * kp;
  uint8_t* outr = out + (size_t) r * n_total;
  switch (rows - r) {
    case 7: microtile8<7, GL, U>(p, ar, kp, panel, n, nc, outr, n_total); break;
    case 6: microtile8<6, GL, U>(p, ar, kp, panel, n, nc, outr, n_total); break;
    case 5: microtile8<5, GL, U>(p, ar, kp, panel, n, nc, outr, n_total); break;
    case 4: microtile8<4, GL, U>(p, ar, kp, panel, n, nc, outr, n_total); break;
    case 3: microtile8<3, GL, U>(p, ar, kp, panel, n, nc, outr, n_total); break;
    case 2: microtile8<2, GL, U>(p, ar, kp, panel, n, nc, outr, n_total); break;
    case 1: microtile8<1, GL, U>(p, ar, kp, panel, n, nc, outr, n_total); break;
    default: break;
  }
}

// im2col of one output pixel straight into its packed int16 row: each run of input bytes is
// widened in a register and stored, 16 values at a time (up to 15 past the run: the next run,
// the K padding or the next row overwrite them; the scratch has slack after the block). The
// old path staged the raw bytes with overlapping copies and widened them from there, a
// store-forwarding failure per pixel at small Cin. Runs are over-read only inside the input.
WHITTLE_Q8_INLINE void gather_widen(const whittle_q8_gemm_params* p, const uint8_t* input, const uint8_t* input_end,
                                    const whittle_q8::Pixel& px, int16_t* row, bool is_unsigned) {
  const uint8_t zb = (uint8_t) p->input_zero_point;
  const __m256i padv = _mm256_set1_epi16(is_unsigned ? (int16_t) zb : (int16_t) (int8_t) zb);
  int32_t at = 0;
  whittle_q8::gather_row(p, input, false, px, [&](const uint8_t* src, int32_t count) {
    for (int32_t i = 0; i < count; i += 16) {
      __m256i v = padv;
      if (src != nullptr) {
        __m128i b;
        if (src + i + 16 <= input_end) {
          b = _mm_loadu_si128(reinterpret_cast<const __m128i*>(src + i));
        } else {
          alignas(16) uint8_t tmp[16] = {0};
          memcpy(tmp, src + i, (size_t) (count - i < 16 ? count - i : 16));
          b = _mm_load_si128(reinterpret_cast<const __m128i*>(tmp));
        }
        v = is_unsigned ? _mm256_cvtepu8_epi16(b) : _mm256_cvtepi8_epi16(b);
      }
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(row + at + i), v);
    }
    at += count;
  });
  for (int32_t i = at; i < p->kp; i++) {
    row[i] = 0;
  }
}

template <bool GL, bool U>
static void run_t(const whittle_q8_gemm_params* p, const uint8_t* input, uint8_t* output, void* scratch, int32_t m0,
                int32_t m1, int32_t n0, int32_t n1) {
  int16_t* a = static_cast<int16_t*>(scratch);
  const uint8_t* input_end = input + whittle_q8::input_bytes(p);
  const int32_t kp = p->kp;
  const int32_t k = p->k;
  const bool is_unsigned = p->is_unsigned != 0;
  const int16_t* weights = reinterpret_cast<const int16_t*>(static_cast<uintptr_t>(p->weights));
  const int32_t n_total = p->out_c;
  const bool direct = whittle_q8::is_direct(p);
  const whittle_q8::SmallRuns small(p, input);
  const int32_t in_c = p->in_c;
  const int32_t kw = p->kw;
  const int32_t out_w = p->out_w;
  const size_t src_step = (size_t) p->stride_w * p->in_c;
  for (int32_t mb0 = m0; mb0 < m1; mb0 += p->mb) {
    const int32_t rows = m1 - mb0 < p->mb ? m1 - mb0 : p->mb;
    whittle_q8::Pixel px = whittle_q8::pixel_at(p, mb0);
    for (int32_t r = 0; r < rows;) {
      const uint8_t* src = nullptr;
      const int32_t run_px = direct ? 0 : small.interior(input, in_c, kw, out_w, px, rows - r, &src);
      if (run_px > 0) {
        // Interior pixels of one output row: kh runs of small.run bytes each, one 16-byte load
        // widened to one 32-byte store per run (see SmallRuns), the K padding zeroed by an
        // 8-byte store (the next row or the block's slack takes the excess).
        for (int32_t j = 0; j < run_px; j++, r++, src += src_step) {
          int16_t* row = a + (size_t) r * kp;
          for (int32_t fy = 0; fy < small.kh; fy++) {
            const __m128i b = _mm_loadu_si128(reinterpret_cast<const __m128i*>(src + (size_t) fy * small.row_step));
            _mm256_storeu_si256(reinterpret_cast<__m256i*>(row + fy * small.run),
                                is_unsigned ? _mm256_cvtepu8_epi16(b) : _mm256_cvtepi8_epi16(b));
          }
          const uint64_t zero = 0;
          memcpy(row + k, &zero, 8);
        }
        whittle_q8::advance_pixels(p, &px, run_px);
        continue;
      }
      if (direct && kp == k) {
        // 1x1 stride 1 (and FULLY_CONNECTED) with K a multiple of 4: the block's rows are
        // contiguous in the input and in the packed block alike, so one widening pass moves
        // them all, 16 values per instruction pair (per row, K = 8 took a scalar loop).
        widen(input + (size_t) px.m * k, a + (size_t) r * kp, (rows - r) * k, is_unsigned, 0);
        break;
      }
      int16_t* row = a + (size_t) r * kp;
      if (!direct) {
        gather_widen(p, input, input_end, px, row, is_unsigned);
      } else {
        widen(input + (size_t) px.m * k, row, k, is_unsigned, 0);
        for (int32_t i = k; i < kp; i++) {
          row[i] = 0;
        }
      }
      r++;
      whittle_q8::next_pixel(p, &px);
    }
    for (int32_t n = n0; n < n1; n += kNR) {
      const int16_t* panel = weights + (size_t) (n / kNR) * kp * kNR;
      const int32_t nc = n_total - n < kNR ? n_total - n : kNR;
      uint8_t* out = output + (size_t) mb0 * n_total + n;
      if (nc <= 8) {
        run_half<GL, U>(p, a, kp, panel, n, nc, out, n_total, rows);
        continue;
      }
      int32_t r = 0;
      if (nc == kNR) {
        folded_rows<GL, U>(p, a, kp, panel, n, out, n_total, rows);  // q8_gemm_4x16c2_avx2.h
        continue;
      }
      for (; r + kMR <= rows; r += kMR) {
        microtile<kMR, GL, U>(p, a + (size_t) r * kp, kp, panel, n, nc, out + (size_t) r * n_total, n_total);
      }
      switch (rows - r) {
        case 3:
          microtile<3, GL, U>(p, a + (size_t) r * kp, kp, panel, n, nc, out + (size_t) r * n_total, n_total);
          break;
        case 2:
          microtile<2, GL, U>(p, a + (size_t) r * kp, kp, panel, n, nc, out + (size_t) r * n_total, n_total);
          break;
        case 1:
          microtile<1, GL, U>(p, a + (size_t) r * kp, kp, panel, n, nc, out + (size_t) r * n_total, n_total);
          break;
        default:
          break;
      }
    }
  }
}

static void run(const whittle_q8_gemm_params* p, const uint8_t* input, uint8_t* output, void* scratch, int32_t m0,
                int32_t m1, int32_t n0, int32_t n1) {
  WHITTLE_Q8_RUN_GL_U(p, run_t, p, input, output, scratch, m0, m1, n0, n1);
}

}  // namespace

#define WHITTLE_Q8_GEMM_AVX2(name)                                                                 \
  extern "C" WHITTLE_Q8_GEMM_SIGNATURE(name) { run(params, input, output, scratch, m0, m1, n0, n1); }

WHITTLE_Q8_GEMM_AVX2(whittle_qs8_conv2d_gemm_4x16c2__avx2)
WHITTLE_Q8_GEMM_AVX2(whittle_qs8_qc8w_conv2d_gemm_4x16c2__avx2)
WHITTLE_Q8_GEMM_AVX2(whittle_qu8_conv2d_gemm_4x16c2__avx2)
WHITTLE_Q8_GEMM_AVX2(whittle_qs8_fully_connected_gemm_4x16c2__avx2)
WHITTLE_Q8_GEMM_AVX2(whittle_qs8_qc8w_fully_connected_gemm_4x16c2__avx2)
WHITTLE_Q8_GEMM_AVX2(whittle_qu8_fully_connected_gemm_4x16c2__avx2)

// 8 independent accumulators, each += vpmaddwd of distinct operands: the vpmaddwd + vpaddd
// throughput the microkernel's inner loop is bound by. Written in asm so that the compiler
// can neither hoist the products nor spill the accumulators. 8 * 16 MACs per iteration.
extern "C" WHITTLE_API int32_t whittle_qs16_peak__avx2(int64_t iterations) {
  __m256i a0 = _mm256_set1_epi32(0), a1 = _mm256_set1_epi32(1), a2 = _mm256_set1_epi32(2),
          a3 = _mm256_set1_epi32(3), a4 = _mm256_set1_epi32(4), a5 = _mm256_set1_epi32(5),
          a6 = _mm256_set1_epi32(6), a7 = _mm256_set1_epi32(7);
  const __m256i x0 = _mm256_set1_epi16(3), x1 = _mm256_set1_epi16(7);
  const __m256i w0 = _mm256_set1_epi16(-5), w1 = _mm256_set1_epi16(11), w2 = _mm256_set1_epi16(13),
                w3 = _mm256_set1_epi16(-17);
  __m256i t0, t1;
  for (int64_t it = 0; it < iterations; it++) {
    __asm__ volatile(
        "vpmaddwd %[w0], %[x0], %[t0]\n\t vpaddd %[t0], %[a0], %[a0]\n\t"
        "vpmaddwd %[w1], %[x0], %[t1]\n\t vpaddd %[t1], %[a1], %[a1]\n\t"
        "vpmaddwd %[w2], %[x0], %[t0]\n\t vpaddd %[t0], %[a2], %[a2]\n\t"
        "vpmaddwd %[w3], %[x0], %[t1]\n\t vpaddd %[t1], %[a3], %[a3]\n\t"
        "vpmaddwd %[w0], %[x1], %[t0]\n\t vpaddd %[t0], %[a4], %[a4]\n\t"
        "vpmaddwd %[w1], %[x1], %[t1]\n\t vpaddd %[t1], %[a5], %[a5]\n\t"
        "vpmaddwd %[w2], %[x1], %[t0]\n\t vpaddd %[t0], %[a6], %[a6]\n\t"
        "vpmaddwd %[w3], %[x1], %[t1]\n\t vpaddd %[t1], %[a7], %[a7]\n\t"
        : [a0] "+x"(a0), [a1] "+x"(a1), [a2] "+x"(a2), [a3] "+x"(a3), [a4] "+x"(a4), [a5] "+x"(a5),
          [a6] "+x"(a6), [a7] "+x"(a7), [t0] "=&x"(t0), [t1] "=&x"(t1)
        : [x0] "x"(x0), [x1] "x"(x1), [w0] "x"(w0), [w1] "x"(w1), [w2] "x"(w2), [w3] "x"(w3));
  }
  __m256i s = _mm256_add_epi32(_mm256_add_epi32(_mm256_add_epi32(a0, a1), _mm256_add_epi32(a2, a3)),
                               _mm256_add_epi32(_mm256_add_epi32(a4, a5), _mm256_add_epi32(a6, a7)));
  return _mm256_extract_epi32(s, 0) + _mm256_extract_epi32(s, 7);
}
