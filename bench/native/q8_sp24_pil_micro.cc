// Micro-benchmark of the "pixels in lanes" AVX-512 VNNI 2:4 design (kernels/README.md, "2:4,
// session 8"): per 16-pixel tile and 8 K, the 36 combinations of the two groups' kept pairs
// (vpermi2b from the tile's 128 activation bytes + a zmm store each), then per channel one
// vpdpbusd of its combination (a zmm load at its pattern's offset) with its 4 kept weights
// broadcast. Unit: one register-only vpdpbusd (12 independent chains) = 1.0.
//   g++ -O2 -mavx512f -mavx512bw -mavx512vl -mavx512vnni -mavx512vbmi bench/native/q8_sp24_pil_micro.cc -o /tmp/pil
#include <immintrin.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <x86intrin.h>

static double best(double a, double b) { return a < b ? a : b; }

__attribute__((noinline)) static __m512i peak(long it) {
  __m512i a[12];
  for (int i = 0; i < 12; i++) a[i] = _mm512_set1_epi32(i);
  __m512i x = _mm512_set1_epi32(0x01020304), w = _mm512_set1_epi32(0x01010101);
  __asm__ volatile("" : "+v"(x), "+v"(w));
  for (long i = 0; i < it; i++) {
#pragma GCC unroll 12
    for (int j = 0; j < 12; j++) a[j] = _mm512_dpbusd_epi32(a[j], x, w);
  }
  __m512i s = a[0];
  for (int i = 1; i < 12; i++) s = _mm512_add_epi32(s, a[i]);
  return s;
}

// Multiply step: P tiles x C channels of accumulators, per 8-K block C weight broadcasts and
// C * P combination loads at the channel's offset.
template <int P, int C>
__attribute__((noinline)) static __m512i mul(const uint8_t* combos, const int32_t* w, const uint16_t* off, int blocks,
                                             int reps) {
  __m512i acc[P * C];
#pragma GCC unroll 32
  for (int i = 0; i < P * C; i++) acc[i] = _mm512_setzero_si512();
  for (int r = 0; r < reps; r++) {
    const uint8_t* cb = combos;
    for (int b = 0; b < blocks; b++) {
#pragma GCC unroll 8
      for (int c = 0; c < C; c++) {
        const __m512i wc = _mm512_set1_epi32(w[b * C + c]);
        const uint8_t* src = cb + off[b * C + c];
#pragma GCC unroll 8
        for (int p = 0; p < P; p++) {
          acc[p * C + c] = _mm512_dpbusd_epi32(acc[p * C + c], _mm512_load_si512(src + p * 36 * 64), wc);
        }
      }
      cb += P * 36 * 64;
    }
  }
  __m512i s = acc[0];
  for (int i = 1; i < P * C; i++) s = _mm512_add_epi32(s, acc[i]);
  return s;
}

// Build: per 16-pixel tile and 8-K block, 36 vpermi2b + 36 stores.
__attribute__((noinline)) static void build(const uint8_t* x, uint8_t* combos, const __m512i* ctl, int tiles) {
  for (int t = 0; t < tiles; t++) {
    const __m512i a = _mm512_loadu_si512(x + t * 128), b = _mm512_loadu_si512(x + t * 128 + 64);
#pragma GCC unroll 36
    for (int i = 0; i < 36; i++) {
      _mm512_store_si512(combos + (size_t) (t % 8) * 36 * 64 + i * 64, _mm512_permutex2var_epi8(a, ctl[i], b));
    }
  }
}

int main(int argc, char** argv) {
  const long it = 200000;
  double tp = 1e30;
  for (int r = 0; r < 5; r++) {
    uint64_t t0 = __rdtsc();
    __m512i s = peak(it);
    tp = best(tp, (double) (__rdtsc() - t0) / (it * 12.0));
    __asm__ volatile("" ::"v"(s));
  }
  printf("register vpdpbusd: %.3f tsc each (unit)\n", tp);
  const int blocks = argc > 1 ? atoi(argv[1]) : 3;
  uint8_t* combos = (uint8_t*) aligned_alloc(64, (size_t) blocks * 8 * 36 * 64);
  memset(combos, 3, (size_t) blocks * 8 * 36 * 64);
  int32_t* w = (int32_t*) malloc(sizeof(int32_t) * blocks * 12);
  uint16_t* off = (uint16_t*) malloc(sizeof(uint16_t) * blocks * 12);
  srand(1);
  for (int i = 0; i < blocks * 12; i++) { w[i] = rand(); off[i] = (uint16_t) ((rand() % 36) * 64); }
  auto run = [&](auto f, int P, int C) {
    double tm = 1e30;
    for (int r = 0; r < 7; r++) {
      uint64_t t0 = __rdtsc();
      __m512i s = f(combos, w, off, blocks, 2000);
      tm = best(tm, (double) (__rdtsc() - t0) / (2000.0 * blocks * P * C));
      __asm__ volatile("" ::"v"(s));
    }
    printf("pixels-in-lanes step (P=%d tiles x C=%d channels, %d KB combos): %.3f units per vpdpbusd\n", P, C,
           blocks * P * 36 * 64 / 1024, tm / tp);
  };
  run(mul<4, 6>, 4, 6);
  run(mul<6, 4>, 6, 4);
  run(mul<8, 3>, 8, 3);
  run(mul<2, 12>, 2, 12);
  __m512i ctl[36];
  for (int i = 0; i < 36; i++) ctl[i] = _mm512_set1_epi32(0x03020100 + i);
  uint8_t* x = (uint8_t*) aligned_alloc(64, 128 * 64);
  memset(x, 5, 128 * 64);
  uint8_t* cb = (uint8_t*) aligned_alloc(64, 8 * 36 * 64);
  double tb = 1e30;
  for (int r = 0; r < 7; r++) {
    uint64_t t0 = __rdtsc();
    for (int k = 0; k < 2000; k++) build(x, cb, ctl, 64);
    tb = best(tb, (double) (__rdtsc() - t0) / (2000.0 * 64));
  }
  printf("build 36 combinations per 16 pixels x 8 K: %.1f units (%.2f per combination)\n", tb / tp, tb / tp / 36);
  return 0;
}
