// DEPTHWISE_CONV_2D, int8 activations and int8 weights (qs8, qs8_qc8w) or uint8 (qu8), any depth multiplier
// and channel count, AVX-512 VNNI: row-staged (native/include/whittle/dwconv_rows.h), so every
// tap of a step is one 64-byte load of 64 (pixel, channel) lanes whatever the stride or the
// multiplier; four taps' bytes are interleaved per int32 lane (two unpack levels) and summed
// by one vpdpbusd: 4 products per lane per instruction, where the mul32 kernels (64l, 32c)
// spend a widen, a vpmulld and an add per tap. The staged activations are x ^ 0x80 = x + 128
// (vpdpbusd's unsigned operand); bias' absorbs (input_offset - 128) * sum(w). uint8 (session 12):
// the activations as they are (xor_byte 0), bias' absorbs input_offset * sum(w - w_zero); a
// weight minus its zero point spans [-255, 254], so it is stored clamped to int8 and the rest in
// a fix group (an extra tap group reading the same quads: MobileNet v1/v2 quant have 1-5 such
// weights per layer, so 3x3 nodes run 3 + 1..3 groups), and the int8 results are computed 128
// lower and XORed with 0x80 at the store (U8_OUT: the signed pack's saturation is uint8's).
//
// Output stage: TFLite's MultiplyByQuantizedMultiplier in 64 bits, one rounding shift:
//   q = (x * M + R - [x * M < -2^30] * N) >> S,  S = 31 + e, R = 2^30 + (e ? 2^(30+e) : 0),
//   N = (e ? 2^31 : 0),
// which is floor((SRDHM(x, M) + 2^(e-1) - [SRDHM < 0]) / 2^e) = RoundingDivideByPOT(SRDHM, e)
// (nested floor divisions fold: floor((floor(y / a) + c) / b) = floor((y + c * a) / (a * b)));
// SRDHM never saturates (M >= 0). Bit-exact with DepthwiseConvKernels.
#include <immintrin.h>

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
  const __m512i* w;  // [groups][vectors][4]
  const __m512i* k;  // [vectors][4][10]
  int32_t groups;
  int32_t vectors;
  __m512i out_offset, vmin, vmax;
  bool u8_out;  // WHITTLE_Q8_DWCONV_ROWS_U8_OUT: int8 results + 128 (see dwconv_rows.h)
};

// The per-lane constants of one accumulator (k: its 10 vectors).
struct Rq {
  __m512i lsh, m, mo, re, ro, ne, no, se, so;
  WHITTLE_DW_INLINE explicit Rq(const __m512i* k)
      : lsh(_mm512_load_si512(k + 1)), m(_mm512_load_si512(k + 2)), mo(_mm512_load_si512(k + 3)),
        re(_mm512_load_si512(k + 4)), ro(_mm512_load_si512(k + 5)), ne(_mm512_load_si512(k + 6)),
        no(_mm512_load_si512(k + 7)), se(_mm512_load_si512(k + 8)), so(_mm512_load_si512(k + 9)) {}
};

template <bool kLeftShift, bool kClamp>
WHITTLE_DW_INLINE __m512i requant(const Rq& k, __m512i acc, const Ctx& c) {
  const __m512i x = kLeftShift ? _mm512_sllv_epi32(acc, k.lsh) : acc;
  const __m512i lim = _mm512_set1_epi64(-(int64_t(1) << 30));
  __m512i pe = _mm512_mul_epi32(x, k.m);
  __m512i po = _mm512_mul_epi32(_mm512_srli_epi64(x, 32), k.mo);
  const __mmask8 ne = _mm512_cmpgt_epi64_mask(lim, pe);
  const __mmask8 no = _mm512_cmpgt_epi64_mask(lim, po);
  pe = _mm512_add_epi64(pe, k.re);
  po = _mm512_add_epi64(po, k.ro);
  pe = _mm512_mask_sub_epi64(pe, ne, pe, k.ne);
  po = _mm512_mask_sub_epi64(po, no, po, k.no);
  pe = _mm512_srav_epi64(pe, k.se);
  po = _mm512_srav_epi64(po, k.so);
  // Odd lanes' results sit in the low dwords of po's qwords: swap them into the odd dwords.
  __m512i q = _mm512_mask_shuffle_epi32(pe, (__mmask16)0xAAAA, po, (_MM_PERM_ENUM)0xB1);
  q = _mm512_add_epi32(q, c.out_offset);
  if (kClamp) {
    q = _mm512_min_epi32(_mm512_max_epi32(q, c.vmin), c.vmax);
  }
  return q;
}

// As above, the constants read from memory (operands of the instructions that use them).
template <bool kLeftShift, bool kClamp>
WHITTLE_DW_INLINE __m512i requant(const __m512i* k, __m512i acc, const Ctx& c) {
  const __m512i x = kLeftShift ? _mm512_sllv_epi32(acc, _mm512_load_si512(k + 1)) : acc;
  const __m512i lim = _mm512_set1_epi64(-(int64_t(1) << 30));
  __m512i pe = _mm512_mul_epi32(x, _mm512_load_si512(k + 2));
  __m512i po = _mm512_mul_epi32(_mm512_srli_epi64(x, 32), _mm512_load_si512(k + 3));
  const __mmask8 ne = _mm512_cmpgt_epi64_mask(lim, pe);
  const __mmask8 no = _mm512_cmpgt_epi64_mask(lim, po);
  pe = _mm512_add_epi64(pe, _mm512_load_si512(k + 4));
  po = _mm512_add_epi64(po, _mm512_load_si512(k + 5));
  pe = _mm512_mask_sub_epi64(pe, ne, pe, _mm512_load_si512(k + 6));
  po = _mm512_mask_sub_epi64(po, no, po, _mm512_load_si512(k + 7));
  pe = _mm512_srav_epi64(pe, _mm512_load_si512(k + 8));
  po = _mm512_srav_epi64(po, _mm512_load_si512(k + 9));
  __m512i q = _mm512_mask_shuffle_epi32(pe, (__mmask16)0xAAAA, po, (_MM_PERM_ENUM)0xB1);
  q = _mm512_add_epi32(q, c.out_offset);
  if (kClamp) {
    q = _mm512_min_epi32(_mm512_max_epi32(q, c.vmin), c.vmax);
  }
  return q;
}

// Vectors [v0, v0 + N) of step st: quad rows q[g] (group g = fy * x_groups + gx), each at the
// step's first vector; output lanes [64 v, 64 v + 64) of the step at out.
// Output lanes [64 v, 64 v + 64) of a step, those below valid.
WHITTLE_DW_INLINE void store(uint8_t* out, int32_t valid, int32_t v, __m512i bytes, const Ctx& c) {
  if (c.u8_out) {
    bytes = _mm512_xor_si512(bytes, _mm512_set1_epi8((char)0x80));
  }
  const int32_t n = valid - 64 * v;
  if (n >= 64) {
    _mm512_storeu_si512(out + 64 * (size_t)v, bytes);
  } else if (n > 0) {
    _mm512_mask_storeu_epi8(out + 64 * (size_t)v, (__mmask64)((1ull << n) - 1), bytes);
  }
}

// kShared: every vector of a step has the same lane -> channel map (out_c divides 64), so the N
// vectors share one set of weights and constants: loaded once, not N times (loads, not
// arithmetic, bound this loop: per vector 12 quads, 12 weights and 36 constants otherwise).
template <int N, int kGroups, bool kShared, bool kLeftShift, bool kClamp>
WHITTLE_DW_INLINE void vectors(const uint8_t* const* q, int32_t ngroups_rt, uint8_t* out, int32_t valid, int32_t v0,
                               const Ctx& c) {
  // kGroups > 0: the group count known (3x3: 3), so the loop unrolls and the accumulators stay
  // in place (GCC otherwise copies them around the loop's back edge).
  const int32_t ngroups = kGroups > 0 ? kGroups : ngroups_rt;
  const size_t kv0 = kShared ? 0 : (size_t)v0;
  __m512i acc[N][4];
  #pragma GCC unroll 4
  for (int a = 0; a < 4; a++) {
    const __m512i bias = _mm512_load_si512(c.k + (kv0 * 4 + a) * 10);
    #pragma GCC unroll 4
    for (int i = 0; i < N; i++) {
      acc[i][a] = kShared ? bias : _mm512_load_si512(c.k + ((size_t)(v0 + i) * 4 + a) * 10);
    }
  }
  // Weights [group][vector][accumulator]: for one group, the N vectors' weights and quads are
  // at constant offsets from two pointers.
  const __m512i* w = c.w + kv0 * 4;
  const size_t w_group = (size_t)c.vectors * 4;
  #pragma GCC unroll 8
  for (int32_t g = 0; g < ngroups; g++, w += w_group) {
    const __m512i* qg = reinterpret_cast<const __m512i*>(q[g]) + (size_t)v0 * 4;
    __m512i ws[4];
    #pragma GCC unroll 4
    for (int a = 0; a < 4; a++) {
      ws[a] = _mm512_load_si512(w + a);
    }
    #pragma GCC unroll 4
    for (int i = 0; i < N; i++) {
      #pragma GCC unroll 4
      for (int a = 0; a < 4; a++) {
        acc[i][a] = _mm512_dpbusd_epi32(acc[i][a], _mm512_load_si512(qg + 4 * i + a),
                                        kShared ? ws[a] : _mm512_load_si512(w + 4 * i + a));
      }
    }
  }
  // The packs undo the unpacks' lane permutation; their saturation is the int8 clamp.
  __m512i bytes[N];
  if (kShared) {
    // Accumulator by accumulator, the constants loaded once for the N vectors; packed as soon
    // as a pair is done (few registers live).
    __m512i lo[N], hi[N];
    #pragma GCC unroll 2
    for (int half = 0; half < 2; half++) {
      const Rq k0(c.k + (2 * half) * 10);
      __m512i r0[N];
      #pragma GCC unroll 4
      for (int i = 0; i < N; i++) {
        r0[i] = requant<kLeftShift, kClamp>(k0, acc[i][2 * half], c);
      }
      const Rq k1(c.k + (2 * half + 1) * 10);
      #pragma GCC unroll 4
      for (int i = 0; i < N; i++) {
        const __m512i w16 = _mm512_packs_epi32(r0[i], requant<kLeftShift, kClamp>(k1, acc[i][2 * half + 1], c));
        if (half == 0) {
          lo[i] = w16;
        } else {
          hi[i] = w16;
        }
      }
    }
    #pragma GCC unroll 4
    for (int i = 0; i < N; i++) {
      bytes[i] = _mm512_packs_epi16(lo[i], hi[i]);
    }
  } else {
    #pragma GCC unroll 4
    for (int i = 0; i < N; i++) {
      const __m512i* k = c.k + (size_t)(v0 + i) * 40;
      const __m512i r0 = requant<kLeftShift, kClamp>(k, acc[i][0], c);
      const __m512i r1 = requant<kLeftShift, kClamp>(k + 10, acc[i][1], c);
      const __m512i r2 = requant<kLeftShift, kClamp>(k + 20, acc[i][2], c);
      const __m512i r3 = requant<kLeftShift, kClamp>(k + 30, acc[i][3], c);
      bytes[i] = _mm512_packs_epi16(_mm512_packs_epi32(r0, r1), _mm512_packs_epi32(r2, r3));
      store(out, valid, v0 + i, bytes[i], c);
    }
    return;
  }
  #pragma GCC unroll 4
  for (int i = 0; i < N; i++) {
    store(out, valid, v0 + i, bytes[i], c);
  }
}


template <int kGroups, bool kShared, bool kLeftShift, bool kClamp>
inline void step(const uint8_t* const* qs, int32_t ngroups, uint8_t* out, int32_t valid, int32_t v, int32_t nv,
                 const Ctx& c) {
  for (; v + 4 <= nv; v += 4) {
    vectors<4, kGroups, kShared, kLeftShift, kClamp>(qs, ngroups, out, valid, v, c);
  }
  switch (nv - v) {
    case 3:
      vectors<3, kGroups, kShared, kLeftShift, kClamp>(qs, ngroups, out, valid, v, c);
      break;
    case 2:
      vectors<2, kGroups, kShared, kLeftShift, kClamp>(qs, ngroups, out, valid, v, c);
      break;
    case 1:
      vectors<1, kGroups, kShared, kLeftShift, kClamp>(qs, ngroups, out, valid, v, c);
      break;
    default:
      break;
  }
}

template <int kGroups, bool kLeftShift, bool kClamp>
inline void groups_step(bool shared, const uint8_t* const* qs, int32_t ngroups, uint8_t* out, int32_t valid, int32_t v,
                        int32_t nv, const Ctx& c) {
  if (shared) {
    step<kGroups, true, kLeftShift, kClamp>(qs, ngroups, out, valid, v, nv, c);
  } else {
    step<kGroups, false, kLeftShift, kClamp>(qs, ngroups, out, valid, v, nv, c);
  }
}

inline void xor_bytes(uint8_t* d, uint8_t x, size_t n) {
  const __m512i v = _mm512_set1_epi8((char)x);
  size_t i = 0;
  for (; i + 64 <= n; i += 64) {
    _mm512_storeu_si512(d + i, _mm512_xor_si512(_mm512_loadu_si512(d + i), v));
  }
  if (i < n) {
    const __mmask64 m = (__mmask64)((1ull << (n - i)) - 1);
    _mm512_mask_storeu_epi8(d + i, m, _mm512_xor_si512(_mm512_maskz_loadu_epi8(m, d + i), v));
  }
}

// The quad row of staged row u: per horizontal group, step and vector, 4 x 64 bytes.
void build_quads(const Params* p, const uint8_t* u, const size_t* toff, uint8_t* qrow, int32_t vb, int32_t ve) {
  const int32_t kw = p->kw;
  const int32_t gx_n = p->x_groups;
  const int32_t nv = p->vectors;
  const int32_t steps = p->steps;
  const size_t sl = (size_t)p->step_lanes;
  const size_t group_bytes = (size_t)steps * (size_t)nv * 256;
  for (int32_t gx = 0; gx < gx_n; gx++) {
    const int32_t f0 = 4 * gx;
    // Taps past kw have zero weights: any bytes do (tap f0's).
    const uint8_t* ta = u + toff[f0];
    const uint8_t* tb = u + toff[f0 + 1 < kw ? f0 + 1 : f0];
    const uint8_t* tc = u + toff[f0 + 2 < kw ? f0 + 2 : f0];
    const uint8_t* td = u + toff[f0 + 3 < kw ? f0 + 3 : f0];
    for (int32_t st = 0; st < steps; st++) {
      size_t l = (size_t)st * sl + (size_t)vb * 64;
      __m512i* dst = reinterpret_cast<__m512i*>(qrow + (size_t)gx * group_bytes) + ((size_t)st * nv + vb) * 4;
      for (int32_t v = vb; v < ve; v++, l += 64, dst += 4) {
        const __m512i xa = _mm512_loadu_si512(ta + l);
        const __m512i xb = _mm512_loadu_si512(tb + l);
        const __m512i xc = _mm512_loadu_si512(tc + l);
        const __m512i xd = _mm512_loadu_si512(td + l);
        const __m512i ab_lo = _mm512_unpacklo_epi8(xa, xb);
        const __m512i ab_hi = _mm512_unpackhi_epi8(xa, xb);
        const __m512i cd_lo = _mm512_unpacklo_epi8(xc, xd);
        const __m512i cd_hi = _mm512_unpackhi_epi8(xc, xd);
        _mm512_store_si512(dst, _mm512_unpacklo_epi16(ab_lo, cd_lo));
        _mm512_store_si512(dst + 1, _mm512_unpackhi_epi16(ab_lo, cd_lo));
        _mm512_store_si512(dst + 2, _mm512_unpacklo_epi16(ab_hi, cd_hi));
        _mm512_store_si512(dst + 3, _mm512_unpackhi_epi16(ab_hi, cd_hi));
      }
    }
  }
}

// Direct quads (direct_mode != 0): the taps' bytes loaded from the input row itself, no staged
// row in between (staging costs as much as the products on small layers). Out-of-row bytes come
// from byte-masked loads (never faulting) filled with the zero point.
struct Direct {
  const uint8_t* row;   // the input row's first pixel
  int64_t n;            // its bytes (in_w * in_c)
  __m512i zp;           // the zero point in every byte (not XORed)
  __m512i ctl;          // mode 4: the pshufb table
  __m512i perm;         // mode 2: the vpermt2q table
  int32_t mode, c, s, m;
};

inline __mmask64 range_mask(int64_t idx, int64_t len, int64_t n) {
  // Bits j of [0, len) with 0 <= idx + j < n.
  const int64_t lo = idx < 0 ? -idx : 0;
  const int64_t hi = n - idx < len ? n - idx : len;
  if (hi <= lo) {
    return 0;
  }
  const uint64_t upto = hi >= 64 ? ~0ull : ((1ull << hi) - 1);
  return (__mmask64)(upto & ~((1ull << lo) - 1));
}

WHITTLE_DW_INLINE __m512i load_bytes(const Direct& d, int64_t idx) {
  if (idx >= 0 && idx + 64 <= d.n) {
    return _mm512_loadu_si512(d.row + idx);
  }
  const __mmask64 k = range_mask(idx, 64, d.n);
  return _mm512_mask_loadu_epi8(d.zp, k, reinterpret_cast<const void*>(reinterpret_cast<uintptr_t>(d.row) + idx));
}

// 64 lanes starting at output lane l (of the row) for horizontal tap offset dx = fx * dil_w - pad_w.
// Lanes [l, l + 64), lane l being (pixel px, output channel c).
template <int kMode>
WHITTLE_DW_INLINE __m512i load_tap(const Direct& d, int64_t l, int64_t px, int64_t c, int64_t dx) {
  switch (kMode) {
    case 1:  // stride 1, multiplier 1: the lanes are contiguous input bytes
      return load_bytes(d, l + dx * d.c);
    case 2: {  // stride 2, multiplier 1, c in {8, 16, 32}: every other pixel of 128 bytes
      const int64_t idx = (2 * px + dx) * d.c;
      return _mm512_permutex2var_epi64(load_bytes(d, idx), d.perm, load_bytes(d, idx + 64));
    }
    case 3: {  // multiplier 1, c a multiple of 64: the vector is 64 channels of one pixel
      const int64_t ix = px * d.s + dx;
      return ix >= 0 && ix * d.c < d.n ? _mm512_loadu_si512(d.row + ix * d.c + c) : d.zp;
    }
    default: {  // one input channel, multiplier m | 64: 64 / m pixels from a 16-byte window
      const int64_t idx = px * d.s + dx;
      __m128i w;
      if (idx >= 0 && idx + 16 <= d.n) {
        w = _mm_loadu_si128(reinterpret_cast<const __m128i*>(d.row + idx));
      } else {
        w = _mm_mask_loadu_epi8(_mm512_castsi512_si128(d.zp), (__mmask16)range_mask(idx, 16, d.n),
                                reinterpret_cast<const void*>(reinterpret_cast<uintptr_t>(d.row) + idx));
      }
      return _mm512_shuffle_epi8(_mm512_broadcast_i32x4(w), d.ctl);
    }
  }
}

// The quad row of input row `row` built directly (see Direct).
template <int kMode>
void build_quads_direct(const Params* p, const Direct& d, uint8_t* qrow, int32_t vb, int32_t ve) {
  const int32_t kw = p->kw;
  const int32_t gx_n = p->x_groups;
  const int32_t nv = p->vectors;
  const int32_t steps = p->steps;
  const int64_t sl = p->step_lanes;
  const __m512i flip = _mm512_set1_epi8((char)p->xor_byte);
  for (int32_t gx = 0; gx < gx_n; gx++) {
    const int32_t f0 = 4 * gx;
    const int64_t da = (int64_t)f0 * p->dil_w - p->pad_w;
    const int64_t db = (int64_t)(f0 + 1 < kw ? f0 + 1 : f0) * p->dil_w - p->pad_w;
    const int64_t dc = (int64_t)(f0 + 2 < kw ? f0 + 2 : f0) * p->dil_w - p->pad_w;
    const int64_t dd = (int64_t)(f0 + 3 < kw ? f0 + 3 : f0) * p->dil_w - p->pad_w;
    const int64_t oc = p->out_c;
    const int64_t adv_px = 64 / oc, adv_c = 64 % oc;
    for (int32_t st = 0; st < steps; st++) {
      int64_t l = (int64_t)st * sl + (int64_t)vb * 64;
      // lane l = (px, c), no division per vector
      int64_t px = (int64_t)st * p->step_pixels + (int64_t)vb * 64 / oc, c = (int64_t)vb * 64 % oc;
      __m512i* dst = reinterpret_cast<__m512i*>(qrow) + (((size_t)gx * steps + st) * nv + vb) * 4;
      for (int32_t v = vb; v < ve; v++, l += 64, dst += 4) {
        const __m512i xa = load_tap<kMode>(d, l, px, c, da);
        const __m512i xb = load_tap<kMode>(d, l, px, c, db);
        const __m512i xc = load_tap<kMode>(d, l, px, c, dc);
        const __m512i xd = load_tap<kMode>(d, l, px, c, dd);
        px += adv_px;
        c += adv_c;
        if (c >= oc) {
          c -= oc;
          px++;
        }
        const __m512i ab_lo = _mm512_unpacklo_epi8(xa, xb);
        const __m512i ab_hi = _mm512_unpackhi_epi8(xa, xb);
        const __m512i cd_lo = _mm512_unpacklo_epi8(xc, xd);
        const __m512i cd_hi = _mm512_unpackhi_epi8(xc, xd);
        _mm512_store_si512(dst, _mm512_xor_si512(_mm512_unpacklo_epi16(ab_lo, cd_lo), flip));
        _mm512_store_si512(dst + 1, _mm512_xor_si512(_mm512_unpackhi_epi16(ab_lo, cd_lo), flip));
        _mm512_store_si512(dst + 2, _mm512_xor_si512(_mm512_unpacklo_epi16(ab_hi, cd_hi), flip));
        _mm512_store_si512(dst + 3, _mm512_xor_si512(_mm512_unpackhi_epi16(ab_hi, cd_hi), flip));
      }
    }
  }
}

Direct direct_for(const Params* p) {
  Direct d;
  d.row = nullptr;
  d.n = (int64_t)p->in_w * p->in_c;
  d.zp = _mm512_set1_epi8((char)p->zero_byte);
  d.mode = p->direct_mode;
  d.c = p->in_c;
  d.s = p->stride_w;
  d.m = p->mult;
  alignas(64) uint8_t ctl[64];
  for (int j = 0; j < 64; j++) {
    // Every 128-bit block holds the whole window: lane j (pixel j / m of the vector) reads its byte (j / m) * s.
    ctl[j] = (uint8_t)((j / p->mult) * p->stride_w);
  }
  d.ctl = _mm512_load_si512(ctl);
  alignas(64) int64_t perm[8];
  const int32_t q = p->in_c / 8 > 0 ? p->in_c / 8 : 1;  // qwords per pixel
  for (int j = 0; j < 8; j++) {
    perm[j] = (j / q) * 2 * q + j % q;  // pixel j / q of the vector is input pixel 2 (j / q)
  }
  d.perm = _mm512_load_si512(perm);
  return d;
}

template <bool kLeftShift, bool kClamp>
void run(const Params* p, const uint8_t* input, uint8_t* output, void* scratch, int32_t row_begin,
         int32_t row_end, int32_t vb, int32_t ve) {
  Ctx c;
  c.w = whittle_q8_dwconv_rows::at<__m512i>(p, p->weights_offset);
  c.k = whittle_q8_dwconv_rows::at<__m512i>(p, p->consts_offset);
  c.groups = p->tap_groups;
  c.vectors = p->vectors;
  c.out_offset = _mm512_set1_epi32(p->output_offset);
  c.vmin = _mm512_set1_epi32(p->act_min);
  c.vmax = _mm512_set1_epi32(p->act_max);
  c.u8_out = (p->flags & WHITTLE_Q8_DWCONV_ROWS_U8_OUT) != 0;
  const int32_t nv = p->vectors;
  const int32_t kh = p->kh, kw = p->kw;
  const int32_t gx_n = p->x_groups;
  const int32_t ngroups = kh * gx_n;
  // Fix groups (uint8 weights outside int8) read tap groups' quads with their own weights.
  const int32_t nfix = p->fix_groups;
  const int32_t nall = ngroups + nfix;
  const int32_t slots = p->row_slots;
  const size_t oc = (size_t)p->out_c;
  int32_t* tags = static_cast<int32_t*>(scratch);
  uint8_t* u = static_cast<uint8_t*>(scratch) + (((size_t)slots * 4 + 63) & ~(size_t)63);
  uint8_t* quads = u + (size_t)p->row_bytes;
  const size_t qrow_bytes = (size_t)p->qrow_bytes;
  const size_t group_bytes = (size_t)p->steps * (size_t)nv * 256;
  const size_t step_bytes = (size_t)nv * 256;
  for (int32_t i = 0; i < slots; i++) {
    tags[i] = -1;
  }
  const uint8_t* zero_row = whittle_q8_dwconv_rows::at<uint8_t>(p, p->zero_row_offset);
  size_t toff[WHITTLE_Q8_DWCONV_ROWS_MAX_TAPS + 4];
  for (int32_t fx = 0; fx < kw; fx++) {
    const int32_t d = fx * p->dil_w;
    toff[fx] = (size_t)(d % p->stride_w) * (size_t)p->phase_bytes + (size_t)(d / p->stride_w) * oc;
  }
  const size_t in_row_bytes = (size_t)p->in_w * (size_t)p->in_c;
  const size_t sl = (size_t)p->step_lanes;
  const size_t out_row_lanes = (size_t)p->out_w * oc;
  const uint8_t* q[WHITTLE_Q8_DWCONV_ROWS_MAX_TAPS + WHITTLE_Q8_DWCONV_ROWS_MAX_FIX];
  Direct direct = direct_for(p);
  // Every vector maps its 64 lanes to channels lane % out_c when out_c divides 64.
  const bool shared = 64 % p->out_c == 0;
  for (int32_t row = row_begin; row < row_end; row++) {
    const int32_t b = row / p->out_h;
    const int32_t oy = row - b * p->out_h;
    for (int32_t fy = 0; fy < kh; fy++) {
      const int32_t iy = oy * p->stride_h - p->pad_h + fy * p->dil_h;
      const uint8_t* r;
      if (iy < 0 || iy >= p->in_h) {
        r = zero_row;  // every byte the zero point (XORed): so are its quads
      } else {
        const int32_t key = b * p->in_h + iy;
        const int32_t slot = iy % slots;
        uint8_t* dst = quads + (size_t)slot * qrow_bytes;
        if (tags[slot] != key) {
          if (direct.mode != 0) {
            direct.row = input + (size_t)key * in_row_bytes;
            switch (direct.mode) {
              case 1:
                build_quads_direct<1>(p, direct, dst, vb, ve);
                break;
              case 2:
                build_quads_direct<2>(p, direct, dst, vb, ve);
                break;
              case 3:
                build_quads_direct<3>(p, direct, dst, vb, ve);
                break;
              default:
                build_quads_direct<4>(p, direct, dst, vb, ve);
                break;
            }
          } else {
            whittle_q8_dwconv_rows::stage_row(xor_bytes, p, input + (size_t)key * in_row_bytes, u);
            build_quads(p, u, toff, dst, vb, ve);
          }
          tags[slot] = key;
        }
        r = dst;
      }
      for (int32_t gx = 0; gx < gx_n; gx++) {
        q[fy * gx_n + gx] = r + (size_t)gx * group_bytes;
      }
    }
    for (int32_t k = 0; k < nfix; k++) {
      q[ngroups + k] = q[p->fix_src[k]];
    }
    uint8_t* out_row = output + (size_t)row * out_row_lanes;
    size_t st_off = 0;
    for (size_t l = 0; l < out_row_lanes; l += sl, st_off += step_bytes) {
      const size_t left = out_row_lanes - l;
      const int32_t valid = (int32_t)(left < sl ? left : sl);
      const uint8_t* qs[WHITTLE_Q8_DWCONV_ROWS_MAX_TAPS + WHITTLE_Q8_DWCONV_ROWS_MAX_FIX];
      for (int32_t g = 0; g < nall; g++) {
        qs[g] = q[g] + st_off;
      }
      // 3x3 (with up to 3 fix groups): the group count known, so the loop unrolls.
      switch (nall) {
        case 3:
          groups_step<3, kLeftShift, kClamp>(shared, qs, nall, out_row + l, valid, vb, ve, c);
          break;
        case 4:
          groups_step<4, kLeftShift, kClamp>(shared, qs, nall, out_row + l, valid, vb, ve, c);
          break;
        case 5:
          groups_step<5, kLeftShift, kClamp>(shared, qs, nall, out_row + l, valid, vb, ve, c);
          break;
        case 6:
          groups_step<6, kLeftShift, kClamp>(shared, qs, nall, out_row + l, valid, vb, ve, c);
          break;
        default:
          groups_step<0, kLeftShift, kClamp>(shared, qs, nall, out_row + l, valid, vb, ve, c);
          break;
      }
    }
  }
}

void dwconv(const Params* p, const uint8_t* input, uint8_t* output, void* scratch, int32_t row_begin,
            int32_t row_end, int32_t vb, int32_t ve) {
  if (vb < 0) {
    vb = 0;
  }
  if (ve > p->vectors) {
    ve = p->vectors;
  }
  if (vb >= ve) {
    return;
  }
  const bool ls = (p->flags & WHITTLE_Q8_DWCONV_ROWS_LEFT_SHIFT) != 0;
  const bool clamp = (p->flags & WHITTLE_Q8_DWCONV_ROWS_CLAMP) != 0;
  if (ls) {
    if (clamp) {
      run<true, true>(p, input, output, scratch, row_begin, row_end, vb, ve);
    } else {
      run<true, false>(p, input, output, scratch, row_begin, row_end, vb, ve);
    }
  } else if (clamp) {
    run<false, true>(p, input, output, scratch, row_begin, row_end, vb, ve);
  } else {
    run<false, false>(p, input, output, scratch, row_begin, row_end, vb, ve);
  }
}

}  // namespace

// One implementation for all three: dwconv reads the int8/uint8 difference from the params. uint8:
// xor_byte 0 (the activations are vpdpbusd's unsigned operand as they are), weights minus their zero
// point clamped to int8 with fix groups for the rest, U8_OUT (dwconv_rows.h).
WHITTLE_Q8_DWCONV_ENTRIES(WHITTLE_Q8_DWCONV_ROWS, rows64c4__avx512vnni, dwconv, dwconv)
