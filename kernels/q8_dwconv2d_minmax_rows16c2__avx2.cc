// DEPTHWISE_CONV_2D, int8 and uint8 (qs8, qs8_qc8w, qu8), any depth multiplier and channel
// count, AVX2: row-based (native/include/whittle/dwconv_rows.h). Each input row a task needs
// becomes once its "pair row": per pair of horizontal taps, per step and unit of 16 (pixel,
// channel) lanes, both taps' values widened to int16 and interleaved per int32 lane (64 bytes,
// accumulator order). An output unit then costs kh * ceil(kw / 2) vpmaddwd + vpaddd per 8 lanes
// and no shuffles (x in [-128, 255], w_eff in [-255, 255]: each pair sum is exact in int32),
// where the mul32 kernels (16c, 64l) spend a widen, a vpmulld and an add per tap and 8 lanes.
// The taps' bytes are read from a copy of the input row padded with zero points (direct_mode:
// contiguous, every other pixel, within one pixel, or one channel spread by pshufb; geometries no
// mode covers read a staged copy of the row, split in stride phases and expanded to out_c bytes
// per pixel: stage_row, session 12).
// Output stage as the 16c kernel (TFLite's MultiplyByQuantizedMultiplier): bit-exact with
// DepthwiseConvKernels.
// Session 9 (kernels/README.md): two output rows per pass (TWO_ROWS), and tap rows of group 0
// only, in lane order, the later groups read a fixed number of lanes on (SHIFTED_GROUPS).
#include <immintrin.h>
#include <string.h>

#include <type_traits>

#include "q8_dwconv_rows_common.h"
#include "q8_dwconv_entries.h"
#include "whittle/dwconv_rows.h"

#if defined(__GNUC__) && !defined(__clang__)
// GCC 12 reports its own intrinsic headers' deliberately undefined vectors (_mm*_undefined_*).
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#endif

namespace {

#define WHITTLE_DW_INLINE inline __attribute__((always_inline))

using whittle_q8_dwconv_rows::Params;

struct Ctx {
  const __m256i* w;  // [groups][units][2]
  const __m256i* k;  // [units][2][6]
  int32_t units;
  __m256i out_offset, vmin, vmax;
  // vpermd indices that put packsswb's bytes of one (two) unit(s) in lane order: [0 1 4 5 2 3 6 7]
  // for the unpacks' order, [0 4 1 5 2 6 3 7] for lane order (shifted groups).
  __m256i perm;
  bool lane_order;
};

// The same with WHITTLE_Q8_DWCONV_ROWS_SMALL_ACC (every right-shifting lane's |acc| < 2^30, so
// |h| < 2^30): RoundingDivideByPOT(h, r) = (h + 2^(r-1) - [h < 0]) >> r (half away from zero)
// with the nudge added in int32; k[3] = 2^(r-1) or 0, k[4] = 31 or 32 (vpsrlvd by 32 gives 0,
// so a lane with r = 0 passes h unchanged). The odd lanes' multipliers are read 4 bytes on
// (vpmuldq uses the low dword of each qword). 15 ops per 8 lanes against 18.
template <bool kLeftShift>
WHITTLE_DW_INLINE __m256i requant_small(const __m256i* k, __m256i acc, const Ctx& c) {
  const __m256i x = kLeftShift ? _mm256_sllv_epi32(acc, _mm256_load_si256(k + 1)) : acc;
  const __m256i m = _mm256_load_si256(k + 2);
  const __m256i m_odd = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(reinterpret_cast<const int32_t*>(k + 2) + 1));
  const __m256i nudge = _mm256_set1_epi64x(int64_t(1) << 30);
  __m256i pe = _mm256_add_epi64(_mm256_mul_epi32(x, m), nudge);
  __m256i po = _mm256_add_epi64(_mm256_mul_epi32(_mm256_srli_epi64(x, 32), m_odd), nudge);
  pe = _mm256_srli_epi64(pe, 31);
  po = _mm256_slli_epi64(po, 1);
  const __m256i h = _mm256_blend_epi32(pe, po, 0xAA);
  const __m256i t = _mm256_sub_epi32(_mm256_add_epi32(h, _mm256_load_si256(k + 3)),
                                     _mm256_srlv_epi32(h, _mm256_load_si256(k + 4)));
  __m256i q = _mm256_srav_epi32(t, _mm256_load_si256(k + 5));
  // The clamp runs on the packed bytes (units): exact, the packs saturate monotonically.
  return _mm256_add_epi32(q, c.out_offset);
}

// TFLite's MultiplyByQuantizedMultiplier, + output offset, clamp; 8 lanes (as the 16c kernel).
template <bool kLeftShift>
WHITTLE_DW_INLINE __m256i requant(const __m256i* k, __m256i acc, const Ctx& c) {
  const __m256i x = kLeftShift ? _mm256_sllv_epi32(acc, _mm256_load_si256(k + 1)) : acc;
  const __m256i m = _mm256_load_si256(k + 2);
  const __m256i nudge = _mm256_set1_epi64x(int64_t(1) << 30);
  __m256i pe = _mm256_add_epi64(_mm256_mul_epi32(x, m), nudge);
  __m256i po = _mm256_add_epi64(_mm256_mul_epi32(_mm256_srli_epi64(x, 32), _mm256_srli_epi64(m, 32)), nudge);
  pe = _mm256_srli_epi64(pe, 31);
  po = _mm256_slli_epi64(po, 1);
  const __m256i h = _mm256_blend_epi32(pe, po, 0xAA);
  const __m256i rem = _mm256_and_si256(h, _mm256_load_si256(k + 3));
  const __m256i thr = _mm256_sub_epi32(_mm256_load_si256(k + 4), _mm256_srai_epi32(h, 31));
  __m256i q = _mm256_srav_epi32(h, _mm256_load_si256(k + 5));
  q = _mm256_sub_epi32(q, _mm256_cmpgt_epi32(rem, thr));
  // The clamp runs on the packed bytes (units): exact, the packs saturate monotonically.
  return _mm256_add_epi32(q, c.out_offset);
}

// Units [u0, u0 + N) of one step: pair rows q[g] at the step's first unit; lanes [16 u, 16 u + 16)
// of the step at out.
// kShared: every unit of a step has the same lane -> channel map (out_c divides 16): the N units
// read unit 0's weights and constants (the same addresses: loaded once).
template <int N, int kGroups, bool kShared, bool kUnsigned, bool kLeftShift, bool kSmall>
WHITTLE_DW_INLINE void units(const uint8_t* const* q, int32_t ngroups_rt, uint8_t* out, int32_t valid, int32_t u0,
                             const Ctx& c) {
  const int32_t ngroups = kGroups > 0 ? kGroups : ngroups_rt;
  __m256i acc[N][2];
  #pragma GCC unroll 4
  for (int i = 0; i < N; i++) {
    const size_t ku = kShared ? 0 : (size_t)(u0 + i);
    acc[i][0] = _mm256_load_si256(c.k + (ku * 2) * 6);
    acc[i][1] = _mm256_load_si256(c.k + (ku * 2 + 1) * 6);
  }
  const __m256i* w = c.w + (kShared ? 0 : (size_t)u0 * 2);
  const size_t w_group = (size_t)c.units * 2;
  #pragma GCC unroll 8
  for (int32_t g = 0; g < ngroups; g++, w += w_group) {
    const __m256i* qg = reinterpret_cast<const __m256i*>(q[g]) + (size_t)u0 * 2;
    #pragma GCC unroll 4
    for (int i = 0; i < N; i++) {
      const int wi = kShared ? 0 : 2 * i;
      acc[i][0] = _mm256_add_epi32(acc[i][0], _mm256_madd_epi16(_mm256_load_si256(qg + 2 * i),
                                                                _mm256_load_si256(w + wi)));
      acc[i][1] = _mm256_add_epi32(acc[i][1], _mm256_madd_epi16(_mm256_load_si256(qg + 2 * i + 1),
                                                                _mm256_load_si256(w + wi + 1)));
    }
  }
  __m256i words[N];
  #pragma GCC unroll 4
  for (int i = 0; i < N; i++) {
    const __m256i* k = c.k + (kShared ? 0 : (size_t)(u0 + i) * 12);
    // packssdw undoes the unpacks' permutation: 16 int16 lanes in order.
    if (kSmall) {
      words[i] = _mm256_packs_epi32(requant_small<kLeftShift>(k, acc[i][0], c),
                                    requant_small<kLeftShift>(k + 6, acc[i][1], c));
    } else {
      words[i] = _mm256_packs_epi32(requant<kLeftShift>(k, acc[i][0], c), requant<kLeftShift>(k + 6, acc[i][1], c));
    }
  }
  #pragma GCC unroll 2
  for (int i = 0; i < N; i += 2) {
    const __m256i hi = i + 1 < N ? words[i + 1] : words[i];
    __m256i b = kUnsigned ? _mm256_packus_epi16(words[i], hi) : _mm256_packs_epi16(words[i], hi);
    b = c.lane_order ? _mm256_permutevar8x32_epi32(b, c.perm) : _mm256_permute4x64_epi64(b, 0xD8);
    b = kUnsigned ? _mm256_min_epu8(_mm256_max_epu8(b, c.vmin), c.vmax) : _mm256_min_epi8(_mm256_max_epi8(b, c.vmin), c.vmax);
    const int32_t n = valid - 16 * (u0 + i);
    const int32_t lanes_here = i + 1 < N ? 32 : 16;
    uint8_t* o = out + 16 * (size_t)(u0 + i);
    if (n >= lanes_here) {
      if (lanes_here == 32) {
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(o), b);
      } else {
        _mm_storeu_si128(reinterpret_cast<__m128i*>(o), _mm256_castsi256_si128(b));
      }
    } else if (n > 0) {
      alignas(32) uint8_t tmp[32];
      _mm256_store_si256(reinterpret_cast<__m256i*>(tmp), b);
      memcpy(o, tmp, (size_t)n);
    }
  }
}

template <int kGroups, bool kShared, bool kUnsigned, bool kLeftShift, bool kSmall>
inline void step(const uint8_t* const* q, int32_t ngroups, uint8_t* out, int32_t valid, int32_t u, int32_t nu,
                 const Ctx& c) {
  // One unit (2 accumulators) per pass. Two per pass (4 accumulators) had GCC interleave all
  // 24 products of a 3x3 node and spill them: one per pass measured 3-10% faster on every
  // person_detect rows layer (session 8, 1 thread, min of 3000; shared-weights nodes included).
  for (; u < nu; u++) {
    units<1, kGroups, kShared, kUnsigned, kLeftShift, kSmall>(q, ngroups, out, valid, u, c);
  }
}

// Unit u of one step for two output rows at once (WHITTLE_Q8_DWCONV_ROWS_TWO_ROWS): q0 / q1
// the pair rows of each row at the step's first unit. Both rows use the same weights per group:
// each weight vector is loaded once for the two vpmaddwd (the one-row pass loads it per row,
// with the data: two loads per vpmaddwd, and Zen's two 256-bit loads per cycle bound it), and
// the two rows' words share one pack, permute and clamp (their 16 bytes are the two halves).
template <int kGroups, bool kShared, bool kUnsigned, bool kLeftShift, bool kSmall>
WHITTLE_DW_INLINE void unit2(const uint8_t* const* q0, const uint8_t* const* q1, int32_t ngroups_rt, uint8_t* out0,
                             uint8_t* out1, int32_t valid, int32_t u, const Ctx& c) {
  const int32_t ngroups = kGroups > 0 ? kGroups : ngroups_rt;
  const size_t ku = kShared ? 0 : (size_t)u;
  const __m256i* k = c.k + ku * 12;
  __m256i a0 = _mm256_load_si256(k);
  __m256i a1 = _mm256_load_si256(k + 6);
  __m256i b0 = a0;
  __m256i b1 = a1;
  const __m256i* w = c.w + ku * 2;
  const size_t w_group = (size_t)c.units * 2;
  #pragma GCC unroll 8
  for (int32_t g = 0; g < ngroups; g++, w += w_group) {
    const __m256i* x = reinterpret_cast<const __m256i*>(q0[g]) + (size_t)u * 2;
    const __m256i* y = reinterpret_cast<const __m256i*>(q1[g]) + (size_t)u * 2;
    const __m256i w0 = _mm256_load_si256(w);
    const __m256i w1 = _mm256_load_si256(w + 1);
    a0 = _mm256_add_epi32(a0, _mm256_madd_epi16(_mm256_load_si256(x), w0));
    b0 = _mm256_add_epi32(b0, _mm256_madd_epi16(_mm256_load_si256(y), w0));
    a1 = _mm256_add_epi32(a1, _mm256_madd_epi16(_mm256_load_si256(x + 1), w1));
    b1 = _mm256_add_epi32(b1, _mm256_madd_epi16(_mm256_load_si256(y + 1), w1));
  }
  __m256i wa, wb;
  if (kSmall) {
    wa = _mm256_packs_epi32(requant_small<kLeftShift>(k, a0, c), requant_small<kLeftShift>(k + 6, a1, c));
    wb = _mm256_packs_epi32(requant_small<kLeftShift>(k, b0, c), requant_small<kLeftShift>(k + 6, b1, c));
  } else {
    wa = _mm256_packs_epi32(requant<kLeftShift>(k, a0, c), requant<kLeftShift>(k + 6, a1, c));
    wb = _mm256_packs_epi32(requant<kLeftShift>(k, b0, c), requant<kLeftShift>(k + 6, b1, c));
  }
  __m256i bytes = kUnsigned ? _mm256_packus_epi16(wa, wb) : _mm256_packs_epi16(wa, wb);
  bytes = _mm256_permutevar8x32_epi32(bytes, c.perm);  // row 0's 16 bytes low, row 1's high
  bytes = kUnsigned ? _mm256_min_epu8(_mm256_max_epu8(bytes, c.vmin), c.vmax)
                    : _mm256_min_epi8(_mm256_max_epi8(bytes, c.vmin), c.vmax);
  const int32_t n = valid - 16 * u;
  uint8_t* o0 = out0 + 16 * (size_t)u;
  uint8_t* o1 = out1 + 16 * (size_t)u;
  if (n >= 16) {
    _mm_storeu_si128(reinterpret_cast<__m128i*>(o0), _mm256_castsi256_si128(bytes));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(o1), _mm256_extracti128_si256(bytes, 1));
  } else if (n > 0) {
    alignas(32) uint8_t tmp[32];
    _mm256_store_si256(reinterpret_cast<__m256i*>(tmp), bytes);
    memcpy(o0, tmp, (size_t)n);
    memcpy(o1, tmp + 16, (size_t)n);
  }
}

template <int kGroups, bool kShared, bool kUnsigned, bool kLeftShift, bool kSmall>
inline void step2(const uint8_t* const* q0, const uint8_t* const* q1, int32_t ngroups, uint8_t* out0, uint8_t* out1,
                  int32_t valid, int32_t u, int32_t nu, const Ctx& c) {
  for (; u < nu; u++) {
    unit2<kGroups, kShared, kUnsigned, kLeftShift, kSmall>(q0, q1, ngroups, out0, out1, valid, u, c);
  }
}

// 3x3, stride_h 1, dil_h 1, shifted groups: the two output rows read four input rows' tap rows
// r[0..3] (row oy's taps are rows 0-2, row oy + 1's rows 1-3), group 1 at `off` bytes on. Each
// tap-row vector is loaded once for both rows (16 loads per unit against 24) and the row's units
// are one run (unit u of the row; wu its unit within a step, for the weights and constants).
// kSH 2 (WHITTLE_Q8_DWCONV_ROWS_ROW2_S2, stride_h 2): five tap rows, row oy's are 0-2 and row
// oy + 1's 2-4 (row 2 serves both): 20 data loads per unit against 24.
template <int kSH, bool kShared>
WHITTLE_DW_INLINE void acc2_3x3(const uint8_t* const* r, size_t off, int32_t u, int32_t wu, const Ctx& c,
                                __m256i acc[2][2]) {
  const size_t ku = kShared ? 0 : (size_t)wu;
  const __m256i* k = c.k + ku * 12;
  const __m256i* w = c.w + ku * 2;
  const size_t wg = (size_t)c.units * 2;
  #pragma GCC unroll 2
  for (int h = 0; h < 2; h++) {
    __m256i a = _mm256_load_si256(k + 6 * h);
    __m256i b = a;
    #pragma GCC unroll 2
    for (int hx = 0; hx < 2; hx++) {
      const size_t o = (size_t)u * 64 + hx * off + 32 * (size_t)h;
      __m256i d[3 + kSH];
      #pragma GCC unroll 5
      for (int i = 0; i < 3 + kSH; i++) {
        d[i] = _mm256_load_si256(reinterpret_cast<const __m256i*>(r[i] + o));
      }
      const __m256i w0 = _mm256_load_si256(w + (0 * 2 + hx) * wg + h);
      const __m256i w1 = _mm256_load_si256(w + (1 * 2 + hx) * wg + h);
      const __m256i w2 = _mm256_load_si256(w + (2 * 2 + hx) * wg + h);
      a = _mm256_add_epi32(a, _mm256_add_epi32(_mm256_madd_epi16(d[0], w0),
                                               _mm256_add_epi32(_mm256_madd_epi16(d[1], w1), _mm256_madd_epi16(d[2], w2))));
      b = _mm256_add_epi32(b, _mm256_add_epi32(_mm256_madd_epi16(d[kSH], w0),
                                               _mm256_add_epi32(_mm256_madd_epi16(d[kSH + 1], w1),
                                                                _mm256_madd_epi16(d[kSH + 2], w2))));
    }
    acc[0][h] = a;
    acc[1][h] = b;
  }
}

// The output stage of a unit of two rows (acc2_3x3's sums): requantize, pack, clamp, store.
template <bool kShared, bool kUnsigned, bool kLeftShift, bool kSmall>
WHITTLE_DW_INLINE void out2_3x3(const __m256i acc[2][2], uint8_t* out0, uint8_t* out1, int32_t n, int32_t u,
                                int32_t wu, const Ctx& c) {
  const size_t ku = kShared ? 0 : (size_t)wu;
  const __m256i* k = c.k + ku * 12;
  __m256i wa, wb;
  if (kSmall) {
    wa = _mm256_packs_epi32(requant_small<kLeftShift>(k, acc[0][0], c), requant_small<kLeftShift>(k + 6, acc[0][1], c));
    wb = _mm256_packs_epi32(requant_small<kLeftShift>(k, acc[1][0], c), requant_small<kLeftShift>(k + 6, acc[1][1], c));
  } else {
    wa = _mm256_packs_epi32(requant<kLeftShift>(k, acc[0][0], c), requant<kLeftShift>(k + 6, acc[0][1], c));
    wb = _mm256_packs_epi32(requant<kLeftShift>(k, acc[1][0], c), requant<kLeftShift>(k + 6, acc[1][1], c));
  }
  __m256i bytes = kUnsigned ? _mm256_packus_epi16(wa, wb) : _mm256_packs_epi16(wa, wb);
  bytes = _mm256_permutevar8x32_epi32(bytes, c.perm);
  bytes = kUnsigned ? _mm256_min_epu8(_mm256_max_epu8(bytes, c.vmin), c.vmax)
                    : _mm256_min_epi8(_mm256_max_epi8(bytes, c.vmin), c.vmax);
  uint8_t* o0 = out0 + 16 * (size_t)u;
  uint8_t* o1 = out1 + 16 * (size_t)u;
  if (n >= 16) {
    _mm_storeu_si128(reinterpret_cast<__m128i*>(o0), _mm256_castsi256_si128(bytes));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(o1), _mm256_extracti128_si256(bytes, 1));
  } else {
    alignas(32) uint8_t tmp[32];
    _mm256_store_si256(reinterpret_cast<__m256i*>(tmp), bytes);
    memcpy(o0, tmp, (size_t)n);
    memcpy(o1, tmp + 16, (size_t)n);
  }
}

template <int kSH, bool kShared, bool kUnsigned, bool kLeftShift, bool kSmall>
WHITTLE_DW_INLINE void unit2_3x3(const uint8_t* const* r, size_t off, uint8_t* out0, uint8_t* out1, int32_t n,
                                 int32_t u, int32_t wu, const Ctx& c) {
  __m256i acc[2][2];
  acc2_3x3<kSH, kShared>(r, off, u, wu, c, acc);
  out2_3x3<kShared, kUnsigned, kLeftShift, kSmall>(acc, out0, out1, n, u, wu, c);
}

template <int kSH, bool kShared, bool kUnsigned, bool kLeftShift, bool kSmall>
void row2_3x3(const uint8_t* const* r_in, size_t off, uint8_t* out0, uint8_t* out1, int32_t lanes, int32_t nu,
              const Ctx& c_in) {
  // Local copies (their addresses never escape): the byte stores to out0 / out1 may alias any
  // memory, so GCC would otherwise reload the tap-row pointers and the context after each unit.
  const Ctx c = c_in;
  const uint8_t* r[3 + kSH];
  for (int i = 0; i < 3 + kSH; i++) {
    r[i] = r_in[i];
  }
  int32_t wu = 0;
  for (int32_t u = 0; 16 * u < lanes; u++) {
    unit2_3x3<kSH, kShared, kUnsigned, kLeftShift, kSmall>(r, off, out0, out1, lanes - 16 * u, u, wu, c);
    if (++wu == nu) {
      wu = 0;
    }
  }
}

// 16 bytes 0xFF then 16 zero bytes: 16 bytes from 16 - n have the first n lanes set (mode 6).
alignas(32) const uint8_t kFirstLanes[32] = {0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
                                             0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF};

// Reads the 16 bytes of one tap for lanes [l, l + 16) of an input row (see direct_mode).
struct Reader {
  const uint8_t* row;
  int64_t in_w, in_c, out_c, mult, s;
  __m128i ctl;  // mode 4

  // Mode 0: the staged row (stage_row): per phase ph of stride_w, per column j, the padded input
  // column j * stride_w + ph - pad_w expanded to out_c bytes; phase_len bytes per phase.
  const uint8_t* staged;
  int64_t phase_len, pad_w;
  // Mode 5: per unit phase (the unit's first channel c >> shift5), two pshufb controls over a
  // 32-byte window and the window's first byte (its input channel).
  const __m128i* ctl5;
  const int32_t* off5;
  int32_t shift5;
  // Lanes [l, l + 16), lane l being (pixel px, output channel c). row is padded with zero
  // points on both sides far enough for every lane's taps (see run), so no load checks bounds.
  template <int kMode>
  WHITTLE_DW_INLINE __m128i load(int64_t l, int64_t px, int64_t c, int64_t dx) const {
    if (kMode == 1) {  // stride 1, multiplier 1: contiguous bytes
      return _mm_loadu_si128(reinterpret_cast<const __m128i*>(row + l + dx * in_c));
    } else if (kMode == 2) {  // stride 2, multiplier 1, 8 channels: pixels 2p and 2p + 2
      const int64_t ix = 2 * px + dx;
      return _mm_unpacklo_epi64(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(row + ix * 8)),
                                _mm_loadl_epi64(reinterpret_cast<const __m128i*>(row + ix * 8 + 16)));
    } else if (kMode == 3) {  // multiplier 1, channels a multiple of 16: within one pixel
      return _mm_loadu_si128(reinterpret_cast<const __m128i*>(row + (px * s + dx) * in_c + c));
    } else if (kMode == 4) {  // one channel, multiplier m | 16: a 16-byte window spread by pshufb
      return _mm_shuffle_epi8(_mm_loadu_si128(reinterpret_cast<const __m128i*>(row + px * s + dx)), ctl);
    }
    if (kMode == 5) {  // out_c / gcd(16, out_c) <= 16 unit phases, each a 32-byte window
      const int64_t ph = c >> shift5;
      const uint8_t* w = row + (px * s + dx) * in_c + off5[ph];
      const __m128i* t = ctl5 + 2 * ph;
      return _mm_or_si128(_mm_shuffle_epi8(_mm_loadu_si128(reinterpret_cast<const __m128i*>(w)), t[0]),
                          _mm_shuffle_epi8(_mm_loadu_si128(reinterpret_cast<const __m128i*>(w + 16)), t[1]));
    }
    if (kMode == 6) {  // multiplier 1, in_c >= 16: pixel px's channels c.., then pixel px + 1's
      const int64_t n0 = in_c - c;  // lanes of pixel px (16 or more: all of them)
      const int64_t n = n0 < 16 ? n0 : 16;
      const __m128i a = _mm_loadu_si128(reinterpret_cast<const __m128i*>(row + (px * s + dx) * in_c + c));
      const __m128i b = _mm_loadu_si128(reinterpret_cast<const __m128i*>(row + ((px + 1) * s + dx) * in_c - n));
      const __m128i first = _mm_loadu_si128(reinterpret_cast<const __m128i*>(kFirstLanes + 16 - n));
      return _mm_blendv_epi8(b, a, first);
    }
    // Mode 0 (any geometry): lane l's tap dx is byte l of phase (dx + pad_w) % s, (dx + pad_w) / s
    // columns on: one load from the staged row.
    const int64_t d = dx + pad_w;
    return _mm_loadu_si128(reinterpret_cast<const __m128i*>(staged + (d % s) * phase_len + (d / s) * out_c + l));
  }
};

// Direct mode 0: the padded row (row: its column 0) staged into stride_w phases of `cols`
// columns, each column expanded to out_c bytes (output channel c = input channel c / mult), so
// that every tap of a unit is one contiguous 16-byte load (Reader::load<0>) instead of 16 byte
// gathers with their index arithmetic (session 12: the gathers made rows16c2 2-4x slower than
// 64l on multiplier 2 and stride-2 nodes of 24 channels). Multipliers dividing 16: 16 output
// bytes per pshufb of a 16-byte load (multiplier 1: a copy); others byte by byte. Writes (and
// reads) run up to 15 bytes past a column: the next column overwrites them, and the scratch
// holds 64 bytes of slack past the staged row (and the pair rows past the padded one).
inline void stage_row(const Params* p, const uint8_t* row, uint8_t* staged, int64_t cols, int64_t phase_len) {
  const int64_t s = p->stride_w, in_c = p->in_c, mult = p->mult, out_c = p->out_c;
  const uint8_t* base = row - (int64_t)p->pad_w * in_c;
  if (16 % mult == 0) {
    alignas(16) uint8_t ctl[16];
    for (int j = 0; j < 16; j++) {
      ctl[j] = (uint8_t)(j / mult);
    }
    const __m128i sh = _mm_load_si128(reinterpret_cast<const __m128i*>(ctl));
    const int64_t src_step = 16 / mult;
    for (int64_t ph = 0; ph < s; ph++) {
      uint8_t* dst = staged + ph * phase_len;
      const uint8_t* src = base + ph * in_c;
      for (int64_t j = 0; j < cols; j++, dst += out_c, src += s * in_c) {
        for (int64_t k = 0, o = 0; o < out_c; k += src_step, o += 16) {
          __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(src + k));
          if (mult != 1) {
            v = _mm_shuffle_epi8(v, sh);
          }
          _mm_storeu_si128(reinterpret_cast<__m128i*>(dst + o), v);
        }
      }
    }
    return;
  }
  for (int64_t ph = 0; ph < s; ph++) {
    uint8_t* dst = staged + ph * phase_len;
    const uint8_t* src = base + ph * in_c;
    for (int64_t j = 0; j < cols; j++, dst += out_c, src += s * in_c) {
      for (int64_t ic = 0, o = 0; ic < in_c; ic++) {
        for (int64_t m = 0; m < mult; m++, o++) {
          dst[o] = src[ic];
        }
      }
    }
  }
}

// The pair row of one input row: per horizontal pair, step and unit, 2 x 32 bytes.
template <int kMode, bool kUnsigned, bool kLaneOrder>
void build_pairs(const Params* p, const Reader& rd, uint8_t* prow, int32_t ub, int32_t ue) {
  const int32_t kw = p->kw;
  const int32_t hx_n = p->x_groups;
  const int32_t nu = p->vectors;
  const int32_t steps = p->steps;
  const int64_t sl = p->step_lanes;
  for (int32_t hx = 0; hx < hx_n; hx++) {
    const int32_t f0 = 2 * hx;
    const int64_t da = (int64_t)f0 * p->dil_w - p->pad_w;
    // A missing second tap has zero weights: any bytes do (the first tap's).
    const int64_t db = (int64_t)(f0 + 1 < kw ? f0 + 1 : f0) * p->dil_w - p->pad_w;
    const int64_t oc = p->out_c;
    const int64_t adv_px = 16 / oc, adv_c = 16 % oc;
    for (int32_t st = 0; st < steps; st++) {
      int64_t l = (int64_t)st * sl + (int64_t)ub * 16;
      // lane l = (px, c), no division per unit
      int64_t px = (int64_t)st * p->step_pixels + (int64_t)ub * 16 / oc, c = (int64_t)ub * 16 % oc;
      __m256i* dst = reinterpret_cast<__m256i*>(prow) + (((size_t)hx * steps + st) * nu + ub) * 2;
      for (int32_t u = ub; u < ue; u++, l += 16, dst += 2) {
        const __m128i a8 = rd.load<kMode>(l, px, c, da);
        const __m128i b8 = rd.load<kMode>(l, px, c, db);
        px += adv_px;
        c += adv_c;
        if (c >= oc) {
          c -= oc;
          px++;
        }
        if (kLaneOrder) {
          const __m128i lo = _mm_unpacklo_epi8(a8, b8);
          const __m128i hi = _mm_unpackhi_epi8(a8, b8);
          _mm256_store_si256(dst, kUnsigned ? _mm256_cvtepu8_epi16(lo) : _mm256_cvtepi8_epi16(lo));
          _mm256_store_si256(dst + 1, kUnsigned ? _mm256_cvtepu8_epi16(hi) : _mm256_cvtepi8_epi16(hi));
          continue;
        }
        const __m256i a = kUnsigned ? _mm256_cvtepu8_epi16(a8) : _mm256_cvtepi8_epi16(a8);
        const __m256i b = kUnsigned ? _mm256_cvtepu8_epi16(b8) : _mm256_cvtepi8_epi16(b8);
        _mm256_store_si256(dst, _mm256_unpacklo_epi16(a, b));
        _mm256_store_si256(dst + 1, _mm256_unpackhi_epi16(a, b));
      }
    }
  }
}

// WHITTLE_Q8_DWCONV_ROWS_SHIFTED_GROUPS: only group 0 (taps 0 and 1), over the row's units as
// one run (step_lanes = 16 * vectors) and (x_groups - 1) * shift lanes on, in lane order (the
// bytes interleaved before widening: pair k of a unit is lane k, 4 bytes); group gx is then group
// 0 read gx * shift lanes on (taps 2 gx and 2 gx + 1 are taps 0 and 1 of the lane 2 gx * dil_w /
// stride_w pixels on; shift a multiple of 8 lanes keeps the loads 32-byte aligned), so a kw = 3
// row costs one build instead of two.
template <int kMode, bool kUnsigned>
void build_run(const Params* p, const Reader& rd, uint8_t* prow, int32_t units) {
  const int64_t da = -(int64_t)p->pad_w;
  const int64_t db = (int64_t)p->dil_w - p->pad_w;
  const int64_t oc = p->out_c;
  const int64_t adv_px = 16 / oc, adv_c = 16 % oc;
  int64_t l = 0, px = 0, c = 0;
  __m256i* dst = reinterpret_cast<__m256i*>(prow);
  for (int32_t u = 0; u < units; u++, l += 16, dst += 2) {
    const __m128i a8 = rd.load<kMode>(l, px, c, da);
    const __m128i b8 = rd.load<kMode>(l, px, c, db);
    px += adv_px;
    c += adv_c;
    if (c >= oc) {
      c -= oc;
      px++;
    }
    const __m128i lo = _mm_unpacklo_epi8(a8, b8);
    const __m128i hi = _mm_unpackhi_epi8(a8, b8);
    _mm256_store_si256(dst, kUnsigned ? _mm256_cvtepu8_epi16(lo) : _mm256_cvtepi8_epi16(lo));
    _mm256_store_si256(dst + 1, kUnsigned ? _mm256_cvtepu8_epi16(hi) : _mm256_cvtepi8_epi16(hi));
  }
}

// Calls f(std::integral_constant<int, mode>) for the tap mode direct_mode (0 for any other value),
// so each builder is compiled once per mode.
template <class F>
inline void with_mode(int32_t direct_mode, F&& f) {
  switch (direct_mode) {
    case 1:
      f(std::integral_constant<int, 1>());
      break;
    case 2:
      f(std::integral_constant<int, 2>());
      break;
    case 3:
      f(std::integral_constant<int, 3>());
      break;
    case 4:
      f(std::integral_constant<int, 4>());
      break;
    case 5:
      f(std::integral_constant<int, 5>());
      break;
    case 6:
      f(std::integral_constant<int, 6>());
      break;
    default:
      f(std::integral_constant<int, 0>());
      break;
  }
}

template <bool kUnsigned>
void build_run_mode(const Params* p, const Reader& rd, uint8_t* prow, int32_t units) {
  with_mode(p->direct_mode, [&](auto mode) { build_run<decltype(mode)::value, kUnsigned>(p, rd, prow, units); });
}

template <bool kUnsigned, bool kLaneOrder>
void build(const Params* p, const Reader& rd, uint8_t* prow, int32_t ub, int32_t ue) {
  with_mode(p->direct_mode,
            [&](auto mode) { build_pairs<decltype(mode)::value, kUnsigned, kLaneOrder>(p, rd, prow, ub, ue); });
}

template <bool kUnsigned, bool kLeftShift, bool kSmall>
void run(const Params* p, const uint8_t* input, uint8_t* output, void* scratch, int32_t row_begin,
         int32_t row_end, int32_t ub, int32_t ue) {
  Ctx c;
  c.w = whittle_q8_dwconv_rows::at<__m256i>(p, p->weights_offset);
  c.k = whittle_q8_dwconv_rows::at<__m256i>(p, p->consts_offset);
  c.units = p->vectors;
  c.out_offset = _mm256_set1_epi32(p->output_offset);
  c.vmin = _mm256_set1_epi8((char)p->act_min);  // byte-broadcast: units clamps packed bytes
  c.vmax = _mm256_set1_epi8((char)p->act_max);
  const int32_t nu = p->vectors;
  const int32_t kh = p->kh;
  const int32_t hx_n = p->x_groups;
  const int32_t ngroups = kh * hx_n;
  const int32_t slots = p->row_slots;
  const size_t oc = (size_t)p->out_c;
  int32_t* tags = static_cast<int32_t*>(scratch);
  // The padded input row (phase_bytes of zero points on the left, the row, zero points to
  // row_bytes), then the pair rows.
  uint8_t* padded = static_cast<uint8_t*>(scratch) + (((size_t)slots * 4 + 63) & ~(size_t)63);
  uint8_t* pairs = padded + (size_t)p->row_bytes;
  const size_t left = (size_t)p->phase_bytes;
  memset(padded, p->zero_byte, (size_t)p->row_bytes);
  const size_t prow_bytes = (size_t)p->qrow_bytes;
  const size_t group_bytes = (size_t)p->steps * (size_t)nu * 64;
  const size_t step_bytes = (size_t)nu * 64;
  for (int32_t i = 0; i < slots; i++) {
    tags[i] = -1;
  }
  // Rows above and below the input: every int16 the zero point, so are its pairs.
  const uint8_t* zero_row = whittle_q8_dwconv_rows::at<uint8_t>(p, p->zero_row_offset);
  Reader rd;
  rd.row = padded + left;
  rd.in_w = p->in_w;
  rd.in_c = p->in_c;
  rd.out_c = p->out_c;
  rd.mult = p->mult;
  rd.s = p->stride_w;
  alignas(16) uint8_t ctl[16];
  for (int j = 0; j < 16; j++) {
    ctl[j] = (uint8_t)((j / p->mult) * p->stride_w);
  }
  rd.ctl = _mm_load_si128(reinterpret_cast<const __m128i*>(ctl));
  // Mode 0: the staged row after the pair rows (stage_row; the Java side sizes it alike).
  const bool staging = p->direct_mode == 0;
  const int64_t stage_cols = ((int64_t)p->row_bytes / p->in_c - 1) / p->stride_w;
  uint8_t* staged = pairs + (size_t)slots * (size_t)p->qrow_bytes;
  rd.staged = staged;
  rd.phase_len = stage_cols * p->out_c;
  rd.pad_w = p->pad_w;
  // Mode 5's tables: phase k is a unit starting at channel c0 = k * g (g = gcd(16, out_c): every
  // multiple of g below out_c starts some unit); lane j is channel c0 + j, (c0 + j) / out_c
  // pixels on, its byte (pixel * stride_w * in_c + input channel) relative to the window's first
  // byte (c0's input channel). The Java side picks mode 5 only where every offset is below 32.
  alignas(16) uint8_t ctl5[16][2][16];
  int32_t off5[16];
  if (p->direct_mode == 5) {
    int32_t g = 16;
    while (p->out_c % g != 0) {
      g >>= 1;
    }
    int32_t sh = 0;
    while ((1 << sh) < g) {
      sh++;
    }
    rd.shift5 = sh;
    for (int32_t k = 0; k * g < p->out_c && k < 16; k++) {
      const int32_t c0 = k * g;
      const int32_t ic0 = c0 / p->mult;
      off5[k] = ic0;
      for (int32_t j = 0; j < 16; j++) {
        const int32_t lc = c0 + j;
        const int32_t off = (lc / p->out_c) * p->stride_w * p->in_c + (lc % p->out_c) / p->mult - ic0;
        ctl5[k][0][j] = (uint8_t)(off < 16 ? off : 0x80);
        ctl5[k][1][j] = (uint8_t)(off >= 16 ? off - 16 : 0x80);
      }
    }
  }
  rd.ctl5 = reinterpret_cast<const __m128i*>(ctl5);
  rd.off5 = off5;
  const size_t in_row_bytes = (size_t)p->in_w * (size_t)p->in_c;
  const size_t sl = (size_t)p->step_lanes;
  const size_t out_row_lanes = (size_t)p->out_w * oc;
  const uint8_t* q[WHITTLE_Q8_DWCONV_ROWS_MAX_TAPS];
  const uint8_t* qs[WHITTLE_Q8_DWCONV_ROWS_MAX_TAPS];
  const bool shared = 16 % p->out_c == 0;
  const bool two = (p->flags & WHITTLE_Q8_DWCONV_ROWS_TWO_ROWS) != 0;
  const uint8_t* q1[WHITTLE_Q8_DWCONV_ROWS_MAX_TAPS];
  const uint8_t* qs1[WHITTLE_Q8_DWCONV_ROWS_MAX_TAPS];
  // The pair rows of output row `row`'s taps into qp (building those not in their slot).
  // Lane order comes with the flag (the packed weights follow it); a call of some vectors only
  // builds every group, in lane order.
  const bool lane_order = (p->flags & WHITTLE_Q8_DWCONV_ROWS_SHIFTED_GROUPS) != 0;
  const bool shifted = lane_order && ub == 0 && ue == nu;
  const int32_t shift = shifted ? 2 * p->dil_w / p->stride_w * p->out_c : 0;  // lanes
  const int32_t run_units = p->steps * nu + ((hx_n - 1) * shift + 15) / 16;
  const size_t hx_bytes = shifted ? (size_t)shift * 4 : group_bytes;
  c.lane_order = lane_order;
  c.perm = lane_order ? _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7) : _mm256_setr_epi32(0, 1, 4, 5, 2, 3, 6, 7);
  auto taps = [&](int32_t row, const uint8_t** qp) {
    const int32_t b = row / p->out_h;
    const int32_t oy = row - b * p->out_h;
    for (int32_t fy = 0; fy < kh; fy++) {
      const int32_t iy = oy * p->stride_h - p->pad_h + fy * p->dil_h;
      const uint8_t* r;
      if (iy < 0 || iy >= p->in_h) {
        r = zero_row;
      } else {
        const int32_t key = b * p->in_h + iy;
        const int32_t slot = iy % slots;
        uint8_t* dst = pairs + (size_t)slot * prow_bytes;
        if (tags[slot] != key) {
          memcpy(padded + left, input + (size_t)key * in_row_bytes, in_row_bytes);
          if (staging) {
            stage_row(p, padded + left, staged, stage_cols, rd.phase_len);
          }
          if (!lane_order) {
            build<kUnsigned, false>(p, rd, dst, ub, ue);
          } else if (!shifted) {
            build<kUnsigned, true>(p, rd, dst, ub, ue);
          } else {
            build_run_mode<kUnsigned>(p, rd, dst, run_units);
          }
          tags[slot] = key;
        }
        r = dst;
      }
      for (int32_t hx = 0; hx < hx_n; hx++) {
        qp[fy * hx_n + hx] = r + (size_t)hx * hx_bytes;
      }
    }
  };
  // Shifted 3x3 nodes of stride_h 1, dil_h 1: both rows' taps from four tap rows (row2_3x3).
  // Stride_h 2 (ROW2_S2): five tap rows, the middle one shared.
  const bool rows3x3 = shifted && kh == 3 && hx_n == 2 && p->dil_h == 1 &&
                       (p->stride_h == 1 || (p->stride_h == 2 && (p->flags & WHITTLE_Q8_DWCONV_ROWS_ROW2_S2) != 0));
  for (int32_t row = row_begin; row < row_end;) {
    // Two rows of one image per pass; row_slots then holds both rows' input rows (the Java
    // side sizes it stride_h rows larger), so building the second's never evicts the first's.
    if (two && row + 1 < row_end && (row + 1) % p->out_h != 0) {
      taps(row, q);
      taps(row + 1, q1);
      uint8_t* out0 = output + (size_t)row * out_row_lanes;
      uint8_t* out1 = out0 + out_row_lanes;
      if (rows3x3) {
        const int32_t lanes = (int32_t)out_row_lanes;
        // Row oy + 1's first tap row is row oy's last at stride_h 2 (q1[0] == q[4]).
        const uint8_t* r5[5] = {q[0], q[2], q[4], p->stride_h == 2 ? q1[2] : q1[4], q1[4]};
        if (p->stride_h == 2) {
          if (shared) {
            row2_3x3<2, true, kUnsigned, kLeftShift, kSmall>(r5, hx_bytes, out0, out1, lanes, nu, c);
          } else {
            row2_3x3<2, false, kUnsigned, kLeftShift, kSmall>(r5, hx_bytes, out0, out1, lanes, nu, c);
          }
        } else if (shared) {
          row2_3x3<1, true, kUnsigned, kLeftShift, kSmall>(r5, hx_bytes, out0, out1, lanes, nu, c);
        } else {
          row2_3x3<1, false, kUnsigned, kLeftShift, kSmall>(r5, hx_bytes, out0, out1, lanes, nu, c);
        }
        row += 2;
        continue;
      }
      size_t st_off = 0;
      for (size_t l = 0; l < out_row_lanes; l += sl, st_off += step_bytes) {
        const size_t rest = out_row_lanes - l;
        const int32_t valid = (int32_t)(rest < sl ? rest : sl);
        for (int32_t g = 0; g < ngroups; g++) {
          qs[g] = q[g] + st_off;
          qs1[g] = q1[g] + st_off;
        }
        if (ngroups == 6) {  // 3x3
          if (shared) {
            step2<6, true, kUnsigned, kLeftShift, kSmall>(qs, qs1, ngroups, out0 + l, out1 + l, valid, ub, ue, c);
          } else {
            step2<6, false, kUnsigned, kLeftShift, kSmall>(qs, qs1, ngroups, out0 + l, out1 + l, valid, ub, ue, c);
          }
        } else if (shared) {
          step2<0, true, kUnsigned, kLeftShift, kSmall>(qs, qs1, ngroups, out0 + l, out1 + l, valid, ub, ue, c);
        } else {
          step2<0, false, kUnsigned, kLeftShift, kSmall>(qs, qs1, ngroups, out0 + l, out1 + l, valid, ub, ue, c);
        }
      }
      row += 2;
      continue;
    }
    taps(row, q);
    uint8_t* out_row = output + (size_t)row * out_row_lanes;
    size_t st_off = 0;
    for (size_t l = 0; l < out_row_lanes; l += sl, st_off += step_bytes) {
      const size_t left = out_row_lanes - l;
      const int32_t valid = (int32_t)(left < sl ? left : sl);
      for (int32_t g = 0; g < ngroups; g++) {
        qs[g] = q[g] + st_off;
      }
      if (ngroups == 6) {  // 3x3
        if (shared) {
          step<6, true, kUnsigned, kLeftShift, kSmall>(qs, ngroups, out_row + l, valid, ub, ue, c);
        } else {
          step<6, false, kUnsigned, kLeftShift, kSmall>(qs, ngroups, out_row + l, valid, ub, ue, c);
        }
      } else if (shared) {
        step<0, true, kUnsigned, kLeftShift, kSmall>(qs, ngroups, out_row + l, valid, ub, ue, c);
      } else {
        step<0, false, kUnsigned, kLeftShift, kSmall>(qs, ngroups, out_row + l, valid, ub, ue, c);
      }
    }
    row++;
  }
}

template <bool kUnsigned>
void dwconv(const Params* p, const uint8_t* input, uint8_t* output, void* scratch, int32_t row_begin,
            int32_t row_end, int32_t ub, int32_t ue) {
  if (ub < 0) {
    ub = 0;
  }
  if (ue > p->vectors) {
    ue = p->vectors;
  }
  if (ub >= ue) {
    return;
  }
  const bool ls = (p->flags & WHITTLE_Q8_DWCONV_ROWS_LEFT_SHIFT) != 0;
  const bool small = (p->flags & WHITTLE_Q8_DWCONV_ROWS_SMALL_ACC) != 0;
  if (ls) {
    if (small) {
      run<kUnsigned, true, true>(p, input, output, scratch, row_begin, row_end, ub, ue);
    } else {
      run<kUnsigned, true, false>(p, input, output, scratch, row_begin, row_end, ub, ue);
    }
  } else if (small) {
    run<kUnsigned, false, true>(p, input, output, scratch, row_begin, row_end, ub, ue);
  } else {
    run<kUnsigned, false, false>(p, input, output, scratch, row_begin, row_end, ub, ue);
  }
}

}  // namespace

WHITTLE_Q8_DWCONV_ENTRIES(WHITTLE_Q8_DWCONV_ROWS, rows16c2__avx2, dwconv<false>, dwconv<true>)
