// The vector steps of the quantized ADD/SUB kernels (TFLite's 8-bit and general 16-bit paths,
// whittle/qs16_binary.h's params block), written once over an ISA's operations struct O
// (whittle_q_add::Avx2 in q_add_avx2.h, whittle_q_add::Avx512 in q_add_avx512.h) and shared by
// q8_add_16__avx2.cc, qs16_add_8__avx2.cc, q8_add_16__avx512vnni.cc, qs16_add_16__avx512vnni.cc.
// Include it only through those two headers: each kernel file instantiates it with its own ISA
// flags. Static inline only, everything always inlined (same code as the per-file copies it
// replaces).
//
// srdhm(x, m) = (x * m + 2^30) >> 31 exactly (the reference's nudge and truncating division are
// this floor shift; INT32_MIN multipliers are excluded in Java, so it never saturates): vpmuldq
// on the even and the odd dwords, the low 32 bits of the 64-bit shift (a logical shift gives the
// same low bits as an arithmetic one). rdbpot(x, e) = (x >> e) + ((x & mask) > (mask >> 1) + (x < 0)).
//
// kFast replaces srdhm(x << left_shift, m) by two 32-bit products: with m = mh * 2^S + ml,
// 0 <= ml < 2^S, srdhm(x << (31 - S), m) = x * mh + ((x * ml + 2^(S-1)) >> S) when every term
// fits int32 (the kernels' derivations: S = 16 for int16, qs16_add_16__avx512vnni.cc; S = 11 for
// 8-bit, q8_add_16__avx2.cc).
#ifndef WHITTLE_KERNELS_Q_ADD_STEPS_H_
#define WHITTLE_KERNELS_Q_ADD_STEPS_H_

#include <immintrin.h>
#include <stdint.h>

#include "whittle/qs16_binary.h"

#define WHITTLE_Q_ADD_INLINE static inline __attribute__((always_inline))

namespace whittle_q_add {

template <class O>
WHITTLE_Q_ADD_INLINE typename O::V srdhm(typename O::V x, typename O::V m) {
  const typename O::V nudge = O::set1_64(1LL << 30);
  const typename O::V even = O::template srli_64<31>(O::add_64(O::mul_32(x, m), nudge));
  const typename O::V odd = O::template slli_64<1>(O::add_64(O::mul_32(O::template srli_64<32>(x), m), nudge));
  return O::blend_odd(even, odd);
}

template <class O>
WHITTLE_Q_ADD_INLINE typename O::V rdbpot(typename O::V x, __m128i e, typename O::V mask, typename O::V half) {
  const typename O::V rem = O::and_(x, mask);
  const typename O::V thr = O::sub(half, O::template srai<31>(x));
  return O::sub_one_where_greater(O::sra(x, e), rem, thr);
}

// The fast rdbpot (exponent >= 1, |x| + 2^(e-1) < 2^31): rounding half away from zero is
// (x + 2^(e-1) - (x < 0)) >> e.
template <class O>
WHITTLE_Q_ADD_INLINE typename O::V rdbpot_fast(typename O::V x, __m128i e, typename O::V round) {
  return O::sra(O::add(O::add(x, round), O::template srai<31>(x)), e);
}

// One side's constants (input a, input b, or the output with offset 0), mh/ml split at S.
template <class O>
struct Side {
  typename O::V offset, multiplier, mask, half, mh, ml, round;
  __m128i exp;
};

template <class O, int S>
WHITTLE_Q_ADD_INLINE Side<O> side(int32_t offset, int32_t multiplier, int32_t exp) {
  const int32_t mask = (int32_t) ((1LL << exp) - 1);
  return {O::set1(offset), O::set1(multiplier), O::set1(mask), O::set1(mask >> 1), O::set1(multiplier >> S),
          O::set1(multiplier & ((1 << S) - 1)), O::set1((int32_t) ((1LL << exp) >> 1)), _mm_cvtsi32_si128(exp)};
}

// The kernel kinds: where the mh/ml split is, whether kFast still adds the offsets (8-bit: zero
// points; int16 kFast has offsets 0) and rounds with rdbpot_fast (8-bit: every exponent >= 1).
struct Int8Kind {
  static constexpr int kSplit = 11;
  static constexpr bool kFastOffset = true;
  static constexpr bool kFastRound = true;
};
struct Int16Kind {
  static constexpr int kSplit = 16;
  static constexpr bool kFastOffset = false;
  static constexpr bool kFastRound = false;
};

// Everything one call needs, from the params block.
template <class O, class K>
struct Constants {
  __m128i ls;
  Side<O> sa, sb, so;
  typename O::V oo, lo, hi;
  explicit Constants(const whittle_qs16_add_params* p)
      : ls(_mm_cvtsi32_si128(p->left_shift)),
        sa(side<O, K::kSplit>(p->a_offset, p->a_multiplier, p->a_exp)),
        sb(side<O, K::kSplit>(p->b_offset, p->b_multiplier, p->b_exp)),
        so(side<O, K::kSplit>(0, p->out_multiplier, p->out_exp)),
        oo(O::set1(p->out_offset)),
        lo(O::set1(p->min)),
        hi(O::set1(p->max)) {}
};

// One input's int32 lanes (widened) rescaled: ((x + offset) << left_shift) * multiplier, rounded
// down by its exponent.
template <class O, class K, bool kFast>
WHITTLE_Q_ADD_INLINE typename O::V scaled(typename O::V x32, const Side<O>& s, __m128i ls) {
  typename O::V v;
  if (kFast) {
    constexpr int kS = K::kSplit;
    const typename O::V x = K::kFastOffset ? O::add(x32, s.offset) : x32;
    const typename O::V lo = O::template srai<kS>(O::add(O::mullo(x, s.ml), O::set1(1 << (kS - 1))));
    v = O::add(O::mullo(x, s.mh), lo);
  } else {
    v = srdhm<O>(O::sll(O::add(x32, s.offset), ls), s.multiplier);
  }
  return kFast && K::kFastRound ? rdbpot_fast<O>(v, s.exp, s.round) : rdbpot<O>(v, s.exp, s.mask, s.half);
}

// The sum (or difference) of two scaled inputs rescaled to the output, offset and clamped.
template <class O, class K, bool kSub, bool kFast>
WHITTLE_Q_ADD_INLINE typename O::V combine(typename O::V x, typename O::V y, const Constants<O, K>& c) {
  const typename O::V raw = kSub ? O::sub(x, y) : O::add(x, y);
  const typename O::V m = srdhm<O>(raw, c.so.multiplier);
  const typename O::V r =
      kFast && K::kFastRound ? rdbpot_fast<O>(m, c.so.exp, c.so.round) : rdbpot<O>(m, c.so.exp, c.so.mask, c.so.half);
  return O::min(O::max(O::add(r, c.oo), c.lo), c.hi);
}

}  // namespace whittle_q_add

#endif  // WHITTLE_KERNELS_Q_ADD_STEPS_H_
