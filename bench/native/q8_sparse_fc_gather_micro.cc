// Standalone (not built by CMake): g++ -O2 -mavx2 -mfma -o /tmp/g bench/native/q8_sparse_fc_gather_micro.cc && /tmp/g 0.8
// (kernels/README.md "Sparse AVX2: 64-pixel tiles": why no channels-in-lanes AVX2 sparse FC).
// FC 1280 -> 1001 (1008), batch 1, int16 pairs (the AVX2 kernels' vpmaddwd), hot and cold weights:
// dense (weights in lanes, x pair broadcast) vs channels-in-lanes sparse with vpgatherdd of the
// activation pairs (8 channels per step, a group takes as many steps as its densest channel).
#include <immintrin.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <vector>
#include <algorithm>
static double now() { timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec * 1e9 + t.tv_nsec; }
int main(int argc, char** argv) {
  const int K = 1280, KP = K / 2, N = 1008, G = N / 8;
  double sparsity = atof(argv[1]);
  srand(1);
  std::vector<int32_t> xp(KP);
  for (auto& v : xp) v = (rand() & 0xFF) | ((rand() & 0xFF) << 16);
  std::vector<int16_t> w((size_t) N * K);
  for (auto& v : w) v = ((double) rand() / RAND_MAX) < sparsity ? 0 : (int16_t) ((rand() % 255) - 127);
  // dense layout [G][KP][8] pairs
  int32_t* wd = (int32_t*) aligned_alloc(64, (size_t) G * KP * 8 * 4);
  for (int g = 0; g < G; g++) for (int p = 0; p < KP; p++) for (int l = 0; l < 8; l++) {
    int o = g * 8 + l; wd[((size_t) g * KP + p) * 8 + l] = (uint16_t) w[(size_t) o * K + 2 * p] | ((int32_t) w[(size_t) o * K + 2 * p + 1] << 16);
  }
  // sparse: per group, steps = max non-zero pairs; per step 8 indices + 8 weight pairs
  std::vector<int> steps(G); std::vector<int32_t> idx, wv; size_t total = 0;
  for (int g = 0; g < G; g++) {
    std::vector<std::vector<std::pair<int,int32_t>>> lanes(8);
    for (int l = 0; l < 8; l++) for (int p = 0; p < KP; p++) { int32_t v = wd[((size_t) g * KP + p) * 8 + l]; if (v) lanes[l].push_back({p, v}); }
    int s = 0; for (auto& L : lanes) s = std::max(s, (int) L.size()); steps[g] = s; total += s;
    for (int i = 0; i < s; i++) for (int l = 0; l < 8; l++) { bool h = i < (int) lanes[l].size(); idx.push_back(h ? lanes[l][i].first : 0); wv.push_back(h ? lanes[l][i].second : 0); }
  }
  std::vector<int32_t> out(N);
  char* evict = (char*) malloc(64 << 20);
  double best[2][2] = {{1e18, 1e18}, {1e18, 1e18}};
  for (int cold = 0; cold < 2; cold++) for (int r = 0; r < 300; r++) {
    for (int which = 0; which < 2; which++) {
      if (cold) memset(evict, r, 64 << 20);
      double t0 = now();
      if (which == 0) {
        for (int g = 0; g < G; g++) {
          __m256i a0 = _mm256_setzero_si256(), a1 = a0;
          const int32_t* q = wd + (size_t) g * KP * 8;
          for (int p = 0; p < KP; p += 2) {
            a0 = _mm256_add_epi32(a0, _mm256_madd_epi16(_mm256_set1_epi32(xp[p]), _mm256_load_si256((const __m256i*) (q + p * 8))));
            a1 = _mm256_add_epi32(a1, _mm256_madd_epi16(_mm256_set1_epi32(xp[p + 1]), _mm256_load_si256((const __m256i*) (q + p * 8 + 8))));
          }
          _mm256_storeu_si256((__m256i*) &out[g * 8], _mm256_add_epi32(a0, a1));
        }
      } else {
        const int32_t* ii = idx.data(); const int32_t* vv = wv.data();
        for (int g = 0; g < G; g++) {
          __m256i a0 = _mm256_setzero_si256(), a1 = a0;
          int s = 0;
          for (; s + 2 <= steps[g]; s += 2, ii += 16, vv += 16) {
            a0 = _mm256_add_epi32(a0, _mm256_madd_epi16(_mm256_i32gather_epi32(xp.data(), _mm256_loadu_si256((const __m256i*) ii), 4), _mm256_loadu_si256((const __m256i*) vv)));
            a1 = _mm256_add_epi32(a1, _mm256_madd_epi16(_mm256_i32gather_epi32(xp.data(), _mm256_loadu_si256((const __m256i*) (ii + 8)), 4), _mm256_loadu_si256((const __m256i*) (vv + 8))));
          }
          for (; s < steps[g]; s++, ii += 8, vv += 8)
            a0 = _mm256_add_epi32(a0, _mm256_madd_epi16(_mm256_i32gather_epi32(xp.data(), _mm256_loadu_si256((const __m256i*) ii), 4), _mm256_loadu_si256((const __m256i*) vv)));
          _mm256_storeu_si256((__m256i*) &out[g * 8], _mm256_add_epi32(a0, a1));
        }
      }
      double t = now() - t0;
      best[cold][which] = std::min(best[cold][which], t);
    }
  }
  printf("sparsity %.2f: steps %.3f of dense (%zu gathers); hot dense %.1f us, gather %.1f us (%.2fx); cold (64 MiB evicted) dense %.1f us, gather %.1f us (%.2fx); ns/gather %.2f (out %d)\n",
         sparsity, (double) total / (G * KP), total, best[0][0] / 1e3, best[0][1] / 1e3, best[0][0] / best[0][1], best[1][0] / 1e3, best[1][1] / 1e3, best[1][0] / best[1][1], best[0][1] / total, out[5]);
}
