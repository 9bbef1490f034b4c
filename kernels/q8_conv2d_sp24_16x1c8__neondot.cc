// int8/uint8 CONV_2D and FULLY_CONNECTED on 2:4 structured sparse weights, AArch64 NEON with
// DotProd: lanes = pixels, tiles of 16 output pixels x 1 output channel, K in steps of 8 (two
// groups of 4, each keeping 2 weights: one sdot quad of 4 kept products per pixel).
//
// Why lanes = pixels: the activations each channel keeps depend on its pattern, so a gather is
// needed somewhere. Lanes = channels (the VNNI kernel's vpshufb + vpdpbusd) costs one TBL per 4
// channels per pixel per 8 K beside the one sdot, i.e. exactly the dense NEON kernel's two sdot
// per 32 dense-equivalent MACs: no gain on cores where TBL and sdot share the same two pipes
// (Cortex-A76). Here the gather is shared by all channels instead: a pair of groups has
// 6 x 6 = 36 pattern combinations, and per tile and 8 K the 36 activation quads of every pixel
// are built once (one 2-register TBL per combination and 4 pixels, from the 4 pixels' 8 bytes),
// then each channel's step is one load of its combination's vector and one sdot by element
// with its 4 kept weights per 4 pixels: half the dense kernel's sdot, with one activation load
// per sdot (the dense kernel loads 1 weight vector per 4 sdot). Built per chunk of 8 steps
// (18 KB of combinations, L1-resident while every channel passes over them); the int32 sums of
// a multi-chunk K wait in scratch. Not measured (no Arm hardware here; exactness is tested
// under qemu). Designed for Cortex-A76-class cores (2 loads and 2 sdot per cycle): per channel
// and step 4 sdot and ~4.5 loads (the combinations, the weights of two steps in one 8-byte load,
// the pattern byte), against the dense kernel's 8 sdot for the same 512 dense-equivalent MACs,
// a ceiling near 1.8x; the combination building (36 TBL per 4 pixels per step) is amortized
// over the channels (0.25 TBL per sdot at 144 channels).
//
// Format (Q8Sp24Gemm, Isa.NEONDOT): per output channel and 8 K: 4 int8 kept weights w_eff (w_a,
// w_b of group 2q, w_a, w_b of group 2q + 1, clamped to int8; the VNNI lane's order) and one
// byte p_2q * 6 + p_2q+1 (pattern ids 0..5: (0,1) (0,2) (0,3) (1,2) (1,3) (2,3)); uint8 layers'
// kept w_eff outside int8: the VNNI residual blocks (whittle/q8_sp24.h: per 16-channel panel
// the 8-K blocks with some r = w_eff - clamp(w_eff) != 0, 64 bytes each, channel l's 4 bytes at
// 4l), a second sdot on the same combination. Activations are moved to signed bytes (uint8
// x ^ 0x80 = x - 128); Java folds (inputOffset - d) * sum w_eff into the per-channel constant.
// Output: per channel the 16 pixels requantized (the dense NEON output stage, broadcast),
// staged as [16 channels][16 pixels] bytes and transposed (zip rounds) into NHWC rows.
#include <arm_neon.h>
#include <stddef.h>
#include <string.h>

#include "q8_gemm_4x16c4_neondot.h"
#include "whittle/q8_sp24.h"

namespace {

using whittle_q8_4x16c4_neondot::Requant;
using whittle_q8_4x16c4_neondot::requantize;

constexpr int kTile = 16;                   // pixels per tile (4 vectors of 4)
constexpr int kChunk = 8;                   // 8-K steps per chunk (Q8Sp24Gemm.Isa.NEON_CHUNK)
constexpr int kCombos = 36;
constexpr int kComboBytes = kTile * 4;      // one combination for the tile's 16 pixels
constexpr int kStepBytes = kCombos * kComboBytes;

// Pattern id -> the two kept positions in a group of 4.
constexpr uint8_t kA[6] = {0, 0, 0, 1, 1, 2};
constexpr uint8_t kB[6] = {1, 2, 3, 2, 3, 3};

struct Indices {
  uint8_t idx[kCombos][16];
};

// TBL indices of combination i * 6 + j for 4 pixels whose 8 bytes are at 8p of a 32-byte table.
constexpr Indices make_indices() {
  Indices t{};
  for (int i = 0; i < 6; i++) {
    for (int j = 0; j < 6; j++) {
      for (int p = 0; p < 4; p++) {
        uint8_t* q = t.idx[i * 6 + j] + 4 * p;
        q[0] = (uint8_t) (8 * p + kA[i]);
        q[1] = (uint8_t) (8 * p + kB[i]);
        q[2] = (uint8_t) (8 * p + 4 + kA[j]);
        q[3] = (uint8_t) (8 * p + 4 + kB[j]);
      }
    }
  }
  return t;
}

constexpr Indices kIndices = make_indices();

struct Sp24 {
  const int8_t* weights;   // [n][octs][4]
  const uint8_t* meta;     // [n][octs]
  const int32_t* starts;   // residual: np / 16 + 1, or null
  const int32_t* res_octs;
  const int8_t* res_weights;
};

WHITTLE_Q8_INLINE Sp24 fields(const whittle_q8_gemm_params* p) {
  int64_t at[4];
  memcpy(at, reinterpret_cast<const uint8_t*>(p) + 128, 32);
  Sp24 s;
  s.weights = reinterpret_cast<const int8_t*>(static_cast<uintptr_t>(p->weights));
  s.meta = reinterpret_cast<const uint8_t*>(static_cast<uintptr_t>(at[0]));
  s.starts = reinterpret_cast<const int32_t*>(static_cast<uintptr_t>(at[1]));
  s.res_octs = reinterpret_cast<const int32_t*>(static_cast<uintptr_t>(at[2]));
  s.res_weights = reinterpret_cast<const int8_t*>(static_cast<uintptr_t>(at[3]));
  return s;
}

WHITTLE_Q8_INLINE Requant broadcast_requant(const whittle_q8_gemm_params* p, int32_t n) {
  using whittle_q8::channel_array;
  Requant r;
  r.mult = vdupq_n_s32(channel_array(p, WHITTLE_Q8_CH_MULT)[n]);
  r.left = vdupq_n_s32(channel_array(p, WHITTLE_Q8_CH_LEFT)[n]);
  r.neg_right = vdupq_n_s32(-channel_array(p, WHITTLE_Q8_CH_RIGHT)[n]);
  r.nudge = vdupq_n_s32(channel_array(p, WHITTLE_Q8_CH_NUDGE)[n]);
  r.ovf = vdupq_n_s32(channel_array(p, WHITTLE_Q8_CH_OVF)[n]);
  r.sat = vdupq_n_s32(channel_array(p, WHITTLE_Q8_CH_SAT)[n]);
  r.mask = vdupq_n_s32(channel_array(p, WHITTLE_Q8_CH_MASK)[n]);
  r.half = vdupq_n_s32(channel_array(p, WHITTLE_Q8_CH_HALF)[n]);
  return r;
}

// 16x16 byte transpose: 4 rounds of interleaving rows i and i + 8.
WHITTLE_Q8_INLINE void transpose16x16(uint8x16_t x[16]) {
  _Pragma("GCC unroll 4") for (int round = 0; round < 4; round++) {
    uint8x16_t t[16];
    _Pragma("GCC unroll 8") for (int i = 0; i < 8; i++) {
      t[2 * i] = vzip1q_u8(x[i], x[i + 8]);
      t[2 * i + 1] = vzip2q_u8(x[i], x[i + 8]);
    }
    _Pragma("GCC unroll 16") for (int i = 0; i < 16; i++) {
      x[i] = t[i];
    }
  }
}

// The 36 combinations of steps [q0, q1) for the tile's rows (raw: 16 rows of kp signed bytes).
static void build_combos(const int8_t* raw, int32_t kp, int32_t q0, int32_t q1, int8_t* combos) {
  for (int32_t q = q0; q < q1; q++) {
    int8_t* dst = combos + (size_t) (q - q0) * kStepBytes;
    int8x16x2_t tab[4];
    _Pragma("GCC unroll 4") for (int v = 0; v < 4; v++) {
      const int8_t* r = raw + (size_t) (4 * v) * kp + 8 * q;
      tab[v].val[0] = vcombine_s8(vld1_s8(r), vld1_s8(r + kp));
      tab[v].val[1] = vcombine_s8(vld1_s8(r + 2 * (size_t) kp), vld1_s8(r + 3 * (size_t) kp));
    }
    for (int c = 0; c < kCombos; c++, dst += kComboBytes) {
      const uint8x16_t idx = vld1q_u8(kIndices.idx[c]);
      _Pragma("GCC unroll 4") for (int v = 0; v < 4; v++) {
        vst1q_s8(dst + 16 * v, vqtbl2q_s8(tab[v], idx));
      }
    }
  }
}

// Channel o's sums over steps [q0, q1) added to acc (the tile's 16 pixels).
WHITTLE_Q8_INLINE void channel_chunk(const Sp24& s, int32_t octs, int32_t o, int32_t q0, int32_t q1,
                                     const int8_t* combos, int32x4_t acc[4]) {
  const int8_t* w = s.weights + ((size_t) o * octs + q0) * 4;
  const uint8_t* m = s.meta + (size_t) o * octs + q0;
  // a second accumulator set for the odd steps: one set alone would chain two dependent sdot per
  // accumulator and step pair (sdot latency ~4 cycles on Cortex-A76, 4 accumulators)
  int32x4_t odd[4];
  _Pragma("GCC unroll 4") for (int v = 0; v < 4; v++) {
    odd[v] = vdupq_n_s32(0);
  }
  int32_t q = q0;
  for (; q + 2 <= q1; q += 2, w += 8, m += 2) {
    const int8x8_t wv = vld1_s8(w);  // two steps' 4 kept weights
    const int8_t* c0 = combos + (size_t) (q - q0) * kStepBytes + (size_t) m[0] * kComboBytes;
    const int8_t* c1 = combos + (size_t) (q + 1 - q0) * kStepBytes + (size_t) m[1] * kComboBytes;
    _Pragma("GCC unroll 4") for (int v = 0; v < 4; v++) {
      acc[v] = vdotq_lane_s32(acc[v], vld1q_s8(c0 + 16 * v), wv, 0);
    }
    _Pragma("GCC unroll 4") for (int v = 0; v < 4; v++) {
      odd[v] = vdotq_lane_s32(odd[v], vld1q_s8(c1 + 16 * v), wv, 1);
    }
  }
  _Pragma("GCC unroll 4") for (int v = 0; v < 4; v++) {
    acc[v] = vaddq_s32(acc[v], odd[v]);
  }
  if (q < q1) {
    int32_t one;
    memcpy(&one, w, 4);
    const int8x8_t wv = vreinterpret_s8_s32(vdup_n_s32(one));
    const int8_t* c0 = combos + (size_t) (q - q0) * kStepBytes + (size_t) m[0] * kComboBytes;
    _Pragma("GCC unroll 4") for (int v = 0; v < 4; v++) {
      acc[v] = vdotq_lane_s32(acc[v], vld1q_s8(c0 + 16 * v), wv, 0);
    }
  }
  if (s.starts != nullptr) {
    // the residual blocks of o's panel inside [q0, q1): a second sdot on the same combination
    const int32_t panel = o / 16;
    const int32_t lane = o % 16;
    for (int32_t b = s.starts[panel]; b < s.starts[panel + 1]; b++) {
      const int32_t rq = s.res_octs[b];
      if (rq < q0 || rq >= q1) {
        continue;
      }
      int32_t r;
      memcpy(&r, s.res_weights + (size_t) b * 64 + 4 * lane, 4);
      const int8x8_t rv = vreinterpret_s8_s32(vdup_n_s32(r));
      const int8_t* c = combos + (size_t) (rq - q0) * kStepBytes + (size_t) s.meta[(size_t) o * octs + rq] * kComboBytes;
      _Pragma("GCC unroll 4") for (int v = 0; v < 4; v++) {
        acc[v] = vdotq_lane_s32(acc[v], vld1q_s8(c + 16 * v), rv, 0);
      }
    }
  }
}

template <bool GL, bool U>
static void tile_t(const whittle_q8_gemm_params* p, const Sp24& s, const uint8_t* input, const uint8_t* input_end,
                   bool direct, uint8_t* output, int8_t* raw, int8_t* combos, int32_t* sums, uint8_t* stage, int32_t m,
                   int32_t valid, int32_t n0, int32_t n1) {
  const int32_t k = p->k;
  const int32_t kp = p->kp;
  const int32_t octs = kp / 8;
  const uint8_t flip = U ? 0x80 : 0;
  // the tile's rows as signed bytes, pixels past valid and the K padding as zeros
  {
    whittle_q8::Pixel px = whittle_q8::pixel_at(p, m);
    const uint8x16_t f = vdupq_n_u8(flip);
    for (int32_t r = 0; r < kTile; r++) {
      uint8_t* row = reinterpret_cast<uint8_t*>(raw) + (size_t) r * kp;
      if (r >= valid) {
        memset(row, 0, (size_t) kp);
        continue;
      }
      const uint8_t* src = input + (size_t) px.m * k;
      if (!direct) {
        whittle_q8::gather_bytes(p, input, input_end, false, px, row);
        src = row;
      }
      int32_t i = 0;
      for (; i + 16 <= k; i += 16) {
        vst1q_u8(row + i, veorq_u8(vld1q_u8(src + i), f));
      }
      for (; i < k; i++) {
        row[i] = (uint8_t) (src[i] ^ flip);
      }
      for (; i < kp; i++) {
        row[i] = 0;
      }
      whittle_q8::next_pixel(p, &px);
    }
  }
  const int32_t* cnst = whittle_q8::channel_array(p, WHITTLE_Q8_CH_CONST);
  const int32x4_t off = vdupq_n_s32(p->output_offset);
  const int32x4_t lo = vdupq_n_s32(p->act_min);
  const int32x4_t hi = vdupq_n_s32(p->act_max);
  const bool hl = p->has_left_shift != 0;
  const int32_t n_total = p->out_c;
  for (int32_t q0 = 0; q0 < octs; q0 += kChunk) {
    const int32_t q1 = octs - q0 < kChunk ? octs : q0 + kChunk;
    const bool first = q0 == 0;
    const bool last = q1 == octs;
    build_combos(raw, kp, q0, q1, combos);
    for (int32_t n = n0; n < n1; n += 16) {
      const int32_t nc = n1 - n < 16 ? n1 - n : 16;
      for (int32_t c = 0; c < nc; c++) {
        const int32_t o = n + c;
        int32_t* sum = sums + (size_t) (o - n0) * kTile;
        int32x4_t acc[4];
        _Pragma("GCC unroll 4") for (int v = 0; v < 4; v++) {
          acc[v] = first ? vdupq_n_s32(cnst[o]) : vld1q_s32(sum + 4 * v);
        }
        channel_chunk(s, octs, o, q0, q1, combos, acc);
        if (!last) {
          _Pragma("GCC unroll 4") for (int v = 0; v < 4; v++) {
            vst1q_s32(sum + 4 * v, acc[v]);
          }
          continue;
        }
        const Requant rq = broadcast_requant(p, o);
        int32x4_t qv[4];
        _Pragma("GCC unroll 4") for (int v = 0; v < 4; v++) {
          qv[v] = requantize<GL>(acc[v], rq, hl, off, lo, hi);
        }
        // clamped into the output type's range: the narrowing cannot saturate
        const int16x8_t h0 = vcombine_s16(vmovn_s32(qv[0]), vmovn_s32(qv[1]));
        const int16x8_t h1 = vcombine_s16(vmovn_s32(qv[2]), vmovn_s32(qv[3]));
        const uint8x16_t bytes = U ? vcombine_u8(vqmovun_s16(h0), vqmovun_s16(h1))
                                   : vreinterpretq_u8_s8(vcombine_s8(vqmovn_s16(h0), vqmovn_s16(h1)));
        vst1q_u8(stage + (size_t) c * 16, bytes);
      }
      if (!last) {
        continue;
      }
      uint8x16_t x[16];
      _Pragma("GCC unroll 16") for (int i = 0; i < 16; i++) {
        x[i] = vld1q_u8(stage + (size_t) i * 16);
      }
      transpose16x16(x);
      for (int r = 0; r < valid; r++) {
        uint8_t* dst = output + (size_t) (m + r) * n_total + n;
        if (nc == 16) {
          vst1q_u8(dst, x[r]);
        } else {
          uint8_t tmp[16];
          vst1q_u8(tmp, x[r]);
          memcpy(dst, tmp, (size_t) nc);
        }
      }
    }
  }
}

template <bool GL, bool U>
static void run_t(const whittle_q8_gemm_params* p, const uint8_t* input, uint8_t* output, void* scratch, int32_t m0,
                  int32_t m1, int32_t n0, int32_t n1) {
  // Scratch (Q8Sp24Gemm sizes it): 16 raw rows of kp and slack, a chunk of combinations, the
  // int32 sums of the task's channels, the staged output.
  uint8_t* base = reinterpret_cast<uint8_t*>((reinterpret_cast<uintptr_t>(scratch) + 63) & ~static_cast<uintptr_t>(63));
  int8_t* raw = reinterpret_cast<int8_t*>(base);
  int8_t* combos = raw + (size_t) kTile * p->kp + 64;
  int32_t* sums = reinterpret_cast<int32_t*>(combos + (size_t) kChunk * kStepBytes);
  uint8_t* stage = reinterpret_cast<uint8_t*>(sums + (size_t) p->np * kTile);
  const Sp24 s = fields(p);
  const uint8_t* input_end = input + whittle_q8::input_bytes(p);
  const bool direct = whittle_q8::is_direct(p);
  for (int32_t m = m0; m < m1; m += kTile) {
    const int32_t valid = m1 - m < kTile ? m1 - m : kTile;
    tile_t<GL, U>(p, s, input, input_end, direct, output, raw, combos, sums, stage, m, valid, n0, n1);
  }
}

static void run(const whittle_q8_gemm_params* p, const uint8_t* input, uint8_t* output, void* scratch, int32_t m0,
                int32_t m1, int32_t n0, int32_t n1) {
  WHITTLE_Q8_RUN_GL_U(p, run_t, p, input, output, scratch, m0, m1, n0, n1);
}

}  // namespace

#define WHITTLE_Q8_SP24_NEONDOT(name) \
  extern "C" WHITTLE_Q8_GEMM_SIGNATURE(name) { run(params, input, output, scratch, m0, m1, n0, n1); }

WHITTLE_Q8_SP24_NEONDOT(whittle_qs8_conv2d_sp24_16x1c8__neondot)
WHITTLE_Q8_SP24_NEONDOT(whittle_qs8_qc8w_conv2d_sp24_16x1c8__neondot)
WHITTLE_Q8_SP24_NEONDOT(whittle_qu8_conv2d_sp24_16x1c8__neondot)
WHITTLE_Q8_SP24_NEONDOT(whittle_qs8_fully_connected_sp24_16x1c8__neondot)
WHITTLE_Q8_SP24_NEONDOT(whittle_qs8_qc8w_fully_connected_sp24_16x1c8__neondot)
WHITTLE_Q8_SP24_NEONDOT(whittle_qu8_fully_connected_sp24_16x1c8__neondot)
