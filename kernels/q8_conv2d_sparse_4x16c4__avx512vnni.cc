// int8/uint8 FULLY_CONNECTED and pointwise (direct) CONV_2D on unstructured sparse weights,
// AVX-512 VNNI + VBMI: weights-major, 1-4 output rows per pass x 16 output channels per
// register (one per dword lane), any non-zero weight anywhere in a K window.
//
// Why not the 64x1c4 tile kernel: that one needs a 64-byte activation load per vpdpbusd and
// is load-bound (0.9-1.1x the dense VNNI kernel at 80% zeros), and at 1-8 pixels its 16-pixel
// vectors are mostly empty (FC 1280 -> 1001 at batch 1: 0.1-0.2x). Here the lanes are output
// channels, as in the dense kernel, and the sparsity is skipped per channel with a byte
// permute: per K window the activations of a row sit in one zmm register (64 K, vpermb) or two
// (128 K, vpermt2b), and a step is, per row, one permute that gathers for each of the 16
// channels the 4 activation bytes of its next 4 non-zero weights, and one vpdpbusd with those
// 4 int8 weights. The index and weight bytes are loaded once per step for all rows. A window
// takes as many steps as its densest channel needs; windows overlap (64 K every 32 K, 128 K
// every 64 K) so that a channel with room runs ahead (Q8SparseGemm.schedule): ~0.25 of the
// dense kernel's vpdpbusd at 80% random zeros, ~0.15 at 90% (kernels/README.md: measured).
//
// Exactness as the 64x1c4 kernel: uint8 activations (int8 inputs x ^ 0x80 = x + 128, folded
// into the per-channel constant), int8 weights (a uint8 layer's w + filterOffset outside int8
// stored as 2-3 entries at the same position), int32 wrapping sums; the dense VNNI kernel's
// output stage with lanes = channels (q8_requant_avx512.h: fast_requantize + store16).
//
// Format (Q8SparseGemm writes it): reserved[0] = the window (64 or 128 K), reserved[1] = the
// stride between windows, reserved[2] = the windows; steps[g * windows + s] (uint8) per group
// and window; group_start[g] (int32): byte offset of group g's steps in data; data: per step
// 64 index bytes (lane l's 4 bytes at 4l: positions in the window) then 64 int8 weights.
#include <immintrin.h>
#include <string.h>

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

#include "q8_gemm_common.h"
#include "q8_requant_avx512.h"
#include "whittle/q8_sparse.h"

// vpermt2b is AVX512_VBMI, which the avx512vnni ISA flags do not include (Cascade Lake has
// VNNI without VBMI): only this file's functions use it, and Java dispatches them only where
// CpuFeatures reports AVX512_VBMI.
#define WHITTLE_VBMI __attribute__((target("avx512vbmi")))

namespace {

using whittle_q8_avx512::clamp_kind;
using whittle_q8_avx512::fast_requantize;
using whittle_q8_avx512::FastRequant;
using whittle_q8_avx512::load_fast_requant;
using whittle_q8_avx512::store16;

// SEG 128: vpermt2b over a two-register table (fewer steps: FULLY_CONNECTED at 1-3 rows, where
// the weight bytes are the cost); SEG 64: vpermb over one register (~25% cheaper per step than
// vpermt2b on Zen 4, a few % more steps: 4 rows and more, compute-bound).
template <int MR, bool GL, bool U, int SEG>
WHITTLE_VBMI static void rows_t(const whittle_q8_sparse_params* sp, const uint8_t* x, uint8_t* output, int32_t m,
                                int32_t g0, int32_t g1) {
  const whittle_q8_gemm_params* p = &sp->gemm;
  const int32_t kp = p->kp;
  // Windows of SEG K starting every `stride` K (Q8SparseGemm.packRows): an entry may run in
  // the window where its stride-chunk starts or in an earlier one that still covers it.
  const int32_t stride = sp->reserved[1];
  const int32_t segments = sp->reserved[2];
  const int32_t n_total = p->out_c;
  const uint8_t* steps = reinterpret_cast<const uint8_t*>(static_cast<uintptr_t>(sp->row_start));
  const int32_t* group_start = reinterpret_cast<const int32_t*>(static_cast<uintptr_t>(sp->pair_offset));
  const uint8_t* data = reinterpret_cast<const uint8_t*>(static_cast<uintptr_t>(sp->pair_value));
  const int32_t* cnst = whittle_q8::channel_array(p, WHITTLE_Q8_CH_CONST);
  const __m512i off = _mm512_set1_epi32(p->output_offset);
  const __m512i lo = _mm512_set1_epi32(p->act_min);
  const __m512i hi = _mm512_set1_epi32(p->act_max);
  const bool hl = p->has_left_shift != 0;
  const int clamp = clamp_kind<U>(p);
  for (int32_t g = g0; g < g1; g++) {
    // Named registers, not arrays: GCC keeps arrays of vectors on the stack (and did here).
    // Two accumulators per row (even and odd steps), four at 1-2 rows: vpdpbusd's latency
    // (~4-5 cycles) is longer than the 2-4 chains of one accumulator per row would hide
    // (measured at 1 row: 1.5 ns per step with 2 chains).
    const __m512i c0 = _mm512_loadu_si512(cnst + 16 * g);
    const __m512i zero = _mm512_setzero_si512();
    __m512i a0 = c0, a1 = c0, a2 = c0, a3 = c0, b0 = zero, b1 = zero, b2 = zero, b3 = zero;
    __m512i e0 = zero, e1 = zero, f0 = zero, f1 = zero;
    const uint8_t* d = data + group_start[g];
    const uint8_t* st = steps + (size_t) g * segments;
    for (int32_t s = 0; s < segments; s++) {
      int32_t t = st[s];
      if (t == 0) {
        continue;
      }
      const uint8_t* xs = x + (size_t) s * stride;
      // The row's SEG activations of the segment: the permute's table (h unused at SEG 64).
      __m512i l0 = zero, h0 = zero, l1 = zero, h1 = zero, l2 = zero, h2 = zero, l3 = zero, h3 = zero;
#define WHITTLE_TABLE(r)                                              \
  l##r = _mm512_loadu_si512(xs + (size_t) (r) * kp);                 \
  if (SEG == 128) {                                                   \
    h##r = _mm512_loadu_si512(xs + (size_t) (r) * kp + 64);          \
  }
      WHITTLE_TABLE(0);
      if (MR > 1) {
        WHITTLE_TABLE(1);
      }
      if (MR > 2) {
        WHITTLE_TABLE(2);
      }
      if (MR > 3) {
        WHITTLE_TABLE(3);
      }
#undef WHITTLE_TABLE
#define WHITTLE_STEP(acc, r, i, w)                                                                                \
  acc = _mm512_dpbusd_epi32(                                                                                      \
      acc, SEG == 128 ? _mm512_permutex2var_epi8(l##r, i, h##r) : _mm512_permutexvar_epi8(i, l##r), w)
      if (MR <= 2) {
        for (; t >= 4; t -= 4) {
          const __m512i i0 = _mm512_loadu_si512(d);
          const __m512i w0 = _mm512_loadu_si512(d + 64);
          const __m512i i1 = _mm512_loadu_si512(d + 128);
          const __m512i w1 = _mm512_loadu_si512(d + 192);
          const __m512i i2 = _mm512_loadu_si512(d + 256);
          const __m512i w2 = _mm512_loadu_si512(d + 320);
          const __m512i i3 = _mm512_loadu_si512(d + 384);
          const __m512i w3 = _mm512_loadu_si512(d + 448);
          d += 512;
          WHITTLE_STEP(a0, 0, i0, w0);
          WHITTLE_STEP(b0, 0, i1, w1);
          WHITTLE_STEP(e0, 0, i2, w2);
          WHITTLE_STEP(f0, 0, i3, w3);
          if (MR > 1) {
            WHITTLE_STEP(a1, 1, i0, w0);
            WHITTLE_STEP(b1, 1, i1, w1);
            WHITTLE_STEP(e1, 1, i2, w2);
            WHITTLE_STEP(f1, 1, i3, w3);
          }
        }
      }
      for (; t >= 2; t -= 2) {
        const __m512i i0 = _mm512_loadu_si512(d);
        const __m512i w0 = _mm512_loadu_si512(d + 64);
        const __m512i i1 = _mm512_loadu_si512(d + 128);
        const __m512i w1 = _mm512_loadu_si512(d + 192);
        d += 256;
        WHITTLE_STEP(a0, 0, i0, w0);
        WHITTLE_STEP(b0, 0, i1, w1);
        if (MR > 1) {
          WHITTLE_STEP(a1, 1, i0, w0);
          WHITTLE_STEP(b1, 1, i1, w1);
        }
        if (MR > 2) {
          WHITTLE_STEP(a2, 2, i0, w0);
          WHITTLE_STEP(b2, 2, i1, w1);
        }
        if (MR > 3) {
          WHITTLE_STEP(a3, 3, i0, w0);
          WHITTLE_STEP(b3, 3, i1, w1);
        }
      }
      if (t != 0) {
        const __m512i i0 = _mm512_loadu_si512(d);
        const __m512i w0 = _mm512_loadu_si512(d + 64);
        d += 128;
        WHITTLE_STEP(a0, 0, i0, w0);
        if (MR > 1) {
          WHITTLE_STEP(a1, 1, i0, w0);
        }
        if (MR > 2) {
          WHITTLE_STEP(a2, 2, i0, w0);
        }
        if (MR > 3) {
          WHITTLE_STEP(a3, 3, i0, w0);
        }
      }
#undef WHITTLE_STEP
    }
    if (MR <= 2) {
      a0 = _mm512_add_epi32(a0, _mm512_add_epi32(e0, f0));
      a1 = _mm512_add_epi32(a1, _mm512_add_epi32(e1, f1));
    }
    // The GEMM kernels' output stage (q8_requant_avx512.h: fast_requantize + store16).
    const FastRequant rq = load_fast_requant<GL>(p, 16 * g);
    const int32_t nc = n_total - 16 * g < 16 ? n_total - 16 * g : 16;
    const __mmask16 lanes = (__mmask16) ((1u << nc) - 1);
    const bool full = nc == 16;
    uint8_t* out = output + (size_t) m * n_total + 16 * g;
#define WHITTLE_STORE(r)                                                                          \
  store16<U>(out + (size_t) (r) * n_total, fast_requantize<GL>(_mm512_add_epi32(a##r, b##r), rq, hl, off), \
             clamp, lo, hi, full, lanes)
    WHITTLE_STORE(0);
    if (MR > 1) {
      WHITTLE_STORE(1);
    }
    if (MR > 2) {
      WHITTLE_STORE(2);
    }
    if (MR > 3) {
      WHITTLE_STORE(3);
    }
#undef WHITTLE_STORE
  }
}

template <bool GL, bool U>
WHITTLE_VBMI static void run_t(const whittle_q8_sparse_params* sp, const uint8_t* input, uint8_t* output,
                               void* scratch, int32_t m0, int32_t m1, int32_t n0, int32_t n1) {
  const whittle_q8_gemm_params* p = &sp->gemm;
  const int32_t k = p->k;
  const int32_t kp = p->kp;
  // Scratch (Q8SparseGemm sizes it): 4 rows of kp uint8 activations.
  uint8_t* x = reinterpret_cast<uint8_t*>((reinterpret_cast<uintptr_t>(scratch) + 63) & ~static_cast<uintptr_t>(63));
  const __m512i flip = _mm512_set1_epi8(U ? 0 : (char) 0x80);
  const int32_t g0 = n0 / 16;
  const int32_t g1 = (n1 + 15) / 16;
  for (int32_t m = m0; m < m1; m += 4) {
    const int32_t mr = m1 - m < 4 ? m1 - m : 4;
    for (int32_t r = 0; r < mr; r++) {
      // Direct rows only (FULLY_CONNECTED, 1x1 stride-1 unpadded CONV_2D: Java checks).
      uint8_t* row = x + (size_t) r * kp;
      memcpy(row, input + (size_t) (m + r) * k, (size_t) k);
      // The padding K past k is left as it is: only zero weights index it.
      for (int32_t c = 0; c < kp; c += 64) {
        _mm512_store_si512(row + c, _mm512_xor_si512(_mm512_load_si512(row + c), flip));
      }
    }
    const bool wide = sp->reserved[0] == 128;
    switch (mr) {
      case 1:
        wide ? rows_t<1, GL, U, 128>(sp, x, output, m, g0, g1) : rows_t<1, GL, U, 64>(sp, x, output, m, g0, g1);
        break;
      case 2:
        wide ? rows_t<2, GL, U, 128>(sp, x, output, m, g0, g1) : rows_t<2, GL, U, 64>(sp, x, output, m, g0, g1);
        break;
      case 3:
        wide ? rows_t<3, GL, U, 128>(sp, x, output, m, g0, g1) : rows_t<3, GL, U, 64>(sp, x, output, m, g0, g1);
        break;
      default:
        wide ? rows_t<4, GL, U, 128>(sp, x, output, m, g0, g1) : rows_t<4, GL, U, 64>(sp, x, output, m, g0, g1);
        break;
    }
  }
}

WHITTLE_VBMI static void run(const whittle_q8_sparse_params* sp, const uint8_t* input, uint8_t* output, void* scratch,
                             int32_t m0, int32_t m1, int32_t n0, int32_t n1) {
  WHITTLE_Q8_RUN_GL_U(&sp->gemm, run_t, sp, input, output, scratch, m0, m1, n0, n1);
}

}  // namespace

static_assert(sizeof(whittle_q8_sparse_params) == 320, "params block layout is mirrored by Java");

#define WHITTLE_Q8_SPARSE_VBMI(name) \
  extern "C" WHITTLE_Q8_SPARSE_SIGNATURE(name) { run(params, input, output, scratch, m0, m1, n0, n1); }

WHITTLE_Q8_SPARSE_VBMI(whittle_qs8_conv2d_sparse_4x16c4__avx512vnni)
WHITTLE_Q8_SPARSE_VBMI(whittle_qs8_qc8w_conv2d_sparse_4x16c4__avx512vnni)
WHITTLE_Q8_SPARSE_VBMI(whittle_qu8_conv2d_sparse_4x16c4__avx512vnni)
WHITTLE_Q8_SPARSE_VBMI(whittle_qs8_fully_connected_sparse_4x16c4__avx512vnni)
WHITTLE_Q8_SPARSE_VBMI(whittle_qs8_qc8w_fully_connected_sparse_4x16c4__avx512vnni)
WHITTLE_Q8_SPARSE_VBMI(whittle_qu8_fully_connected_sparse_4x16c4__avx512vnni)
