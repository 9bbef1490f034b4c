// 16x8 CONV_2D and FULLY_CONNECTED as a GEMM on LUT-coded clustered int8 weights, AVX2: one
// 16-channel panel of 4-bit indices at a time is decoded into the worker's scratch in exactly the
// dense qs16 packed layout ([kp / 2][16][2] int16), then the dense 4x16c2 microkernel
// (qs16_gemm_4x16c2_avx2.h, shared with qs16_qc8w_gemm_4x16c2__avx2.cc: the exact int32 -> int64
// flush every 255 pairs and the three output stages) runs every 4-pixel tile of a block of up
// to mb pixels over it. So the sums, and the outputs, are the dense kernel's integers; only one
// decoded panel (32 * kp bytes: 8 KB at K = 256) exists at any time per worker.
//
// Format (written by Qs16LutGemm.java), the int8 LUT panel format of q8_gemm_lut4_4x16c2__avx2.cc:
// per panel and K pair j, 16 bytes of indices: byte e holds in its low nibble the index of
// channel e / 2 at K = 2j + e % 2, in its high nibble that of channel 8 + e / 2: after vpmovzxbw,
// (word & 15) and (word >> 4) are the control words of the dense panel's two ymm of that pair.
// Per panel 8 ymm of tables: ymm j (0..3) holds in lane L the 16 entries of channel 4L + j, ymm
// 4 + j those of channel 8 + 4L + j; entries t = w ^ 0x80. Then 16 int32 corrections.
//
// Decode: vpshufb has one table per 128-bit lane and a lane of the dense layout holds 4 channels
// (a dword = one channel's K pair): 4 vpshufb + 3 vpblendd per ymm (one where the layer shares a
// table) give in each int16 word t[idx] in the low byte and t[0] of the same channel's table in
// the high byte (control byte 0); w = t[idx] - 128, so one vpaddw of the channel's correction
// (-128 - 256 t[0], mod 2^16, stored in both halves of its dword) makes it the int16 weight.
#include <immintrin.h>
#include <stdint.h>
#include <string.h>

#include "qs16_common.h"
#include "qs16_gemm_4x16c2_avx2.h"
#include "whittle/qs16_lut.h"

namespace {

using namespace whittle_qs16_4x16c2_avx2;  // NOLINT: MR, microtile (the dense kernel's)

template <bool SHARED>
static void decode_panel(const uint8_t* tb, const uint8_t* idx, int64_t pairs, int16_t* dst) {
  const __m256i corr0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(tb + 256));
  const __m256i corr1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(tb + 288));
  const __m256i a0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(tb));
  const __m256i a1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(tb + 32));
  const __m256i a2 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(tb + 64));
  const __m256i a3 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(tb + 96));
  const __m256i b0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(tb + 128));
  const __m256i b1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(tb + 160));
  const __m256i b2 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(tb + 192));
  const __m256i b3 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(tb + 224));
  const __m256i m = _mm256_set1_epi16(0x000F);
  for (int64_t j = 0; j < pairs; j++) {
    const __m256i v = _mm256_cvtepu8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(idx + j * 16)));
    const __m256i i0 = _mm256_and_si256(v, m);
    const __m256i i1 = _mm256_srli_epi16(v, 4);
    __m256i y0 = _mm256_shuffle_epi8(a0, i0);
    __m256i y1 = _mm256_shuffle_epi8(b0, i1);
    if (!SHARED) {
      y0 = _mm256_blend_epi32(y0, _mm256_shuffle_epi8(a1, i0), 0x22);
      y1 = _mm256_blend_epi32(y1, _mm256_shuffle_epi8(b1, i1), 0x22);
      y0 = _mm256_blend_epi32(y0, _mm256_shuffle_epi8(a2, i0), 0x44);
      y1 = _mm256_blend_epi32(y1, _mm256_shuffle_epi8(b2, i1), 0x44);
      y0 = _mm256_blend_epi32(y0, _mm256_shuffle_epi8(a3, i0), 0x88);
      y1 = _mm256_blend_epi32(y1, _mm256_shuffle_epi8(b3, i1), 0x88);
    }
    _mm256_store_si256(reinterpret_cast<__m256i*>(dst + j * 32), _mm256_add_epi16(y0, corr0));
    _mm256_store_si256(reinterpret_cast<__m256i*>(dst + j * 32 + 16), _mm256_add_epi16(y1, corr1));
  }
}

template <bool SHARED>
static void run(const whittle_qs16_lut_params* lp, const int16_t* input, int16_t* output, void* scratch, int64_t m0,
                int64_t m1, int64_t n0, int64_t n1) {
  const whittle_qs16_gemm_params* p = &lp->gemm;
  const int64_t kp = p->kp;
  // scratch: the decoded panel (64-aligned: the microtile loads it with vmovdqa), mb row
  // pointers, then (im2col only) mb gathered rows.
  int16_t* panel = reinterpret_cast<int16_t*>((reinterpret_cast<uintptr_t>(scratch) + 63) & ~(uintptr_t) 63);
  const int16_t** rowp = reinterpret_cast<const int16_t**>(panel + 16 * kp);
  int16_t* rows_buf = reinterpret_cast<int16_t*>(rowp + lp->mb);
  const __m256i vmin = _mm256_set1_epi32((int32_t) p->act_min);
  const __m256i vmax = _mm256_set1_epi32((int32_t) p->act_max);
  const size_t panel_idx = (size_t) 8 * kp;
  for (int64_t mb0 = m0; mb0 < m1; mb0 += lp->mb) {
    const int64_t rows = m1 - mb0 < lp->mb ? m1 - mb0 : lp->mb;
    for (int64_t r = 0; r < rows; r++) {
      rowp[r] = whittle_qs16::a_row(p, input, rows_buf + r * kp, mb0 + r);
    }
    for (int64_t n = n0; n < n1; n += 16) {
      decode_panel<SHARED>(lp->tables + (n / 16) * lp->table_stride, lp->indices + (n / 16) * panel_idx, kp / 2,
                           panel);
      for (int64_t r = 0; r < rows; r += MR) {
        const int nrows = rows - r < MR ? (int) (rows - r) : MR;
        const int16_t* a[MR];
        for (int i = 0; i < MR; i++) {
          a[i] = rowp[r + (i < nrows ? i : nrows - 1)];
        }
        microtile(p, a, nrows, panel, n, 16, output + (mb0 + r) * p->out_c, vmin, vmax);
      }
    }
  }
}

static void dispatch(const whittle_qs16_lut_params* p, const int16_t* input, int16_t* output, void* scratch,
                     int64_t m0, int64_t m1, int64_t n0, int64_t n1) {
  if (p->table_stride == 0) {
    run<true>(p, input, output, scratch, m0, m1, n0, n1);
  } else {
    run<false>(p, input, output, scratch, m0, m1, n0, n1);
  }
}

}  // namespace

extern "C" {

WHITTLE_API void whittle_qs16_qc8w_conv2d_lut4_4x16c2__avx2(const whittle_qs16_lut_params* p, const int16_t* input,
    int16_t* output, void* scratch, int64_t m0, int64_t m1, int64_t n0, int64_t n1) {
  dispatch(p, input, output, scratch, m0, m1, n0, n1);
}

WHITTLE_API void whittle_qs16_qc8w_fully_connected_lut4_4x16c2__avx2(const whittle_qs16_lut_params* p,
    const int16_t* input, int16_t* output, void* scratch, int64_t m0, int64_t m1, int64_t n0, int64_t n1) {
  dispatch(p, input, output, scratch, m0, m1, n0, n1);
}

}  // extern "C"
