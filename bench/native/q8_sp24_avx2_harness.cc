// Direct harness for the uint8 AVX2 2:4 kernel (kernels/README.md, "2:4 AVX2, session 8"): the
// dense qu8_conv2d_gemm_4x16c2 of the first library against the 2:4 qu8_conv2d_sp24_24x4 of
// every library given, on 1x1 convolutions with synthetic packed weights (random int16 kept
// weights in [-30, 30] and pattern bytes, right shift 7), one thread, min of REPS calls in rdtsc
// ticks, interleaved in 5 rounds (the VNNI twin: q8_sp24_vnni_harness.cc).
//   g++ -O2 -Inative/include bench/native/q8_sp24_avx2_harness.cc -o /tmp/kh2 -ldl
//   [SHAPES=HxWxKxN,...] [REPS=200] /tmp/kh2 A/libwhittle.so [B/libwhittle.so ...]
// A kernel file alone builds as a library for variants:
//   g++ -O2 -shared -fPIC -mavx2 -mfma -mf16c -Ikernels -Inative/include \
//       kernels/q8_conv2d_sp24_24x4__avx2.cc kernels/q8_conv2d_gemm_4x16c2__avx2.cc -o /tmp/x.so
#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <x86intrin.h>

#include <array>
#include <vector>

#include "whittle/q8_gemm.h"
typedef void (*fn)(const whittle_q8_gemm_params*, const uint8_t*, uint8_t*, void*, int32_t, int32_t, int32_t, int32_t);
static void* al(size_t n) {
  void* p = aligned_alloc(64, (n + 63) / 64 * 64 + 64);
  memset(p, 1, (n + 63) / 64 * 64 + 64);
  return p;
}
static int r8(int x, int a) { return (x + a - 1) / a * a; }
struct Setup {
  whittle_q8_gemm_params p;
  uint8_t* in;
  uint8_t* out;
  void* scratch;
  int M;
};
static Setup make(int H, int W, int K, int N, bool sp, unsigned seed) {
  Setup s;
  memset(&s.p, 0, sizeof s.p);
  auto& p = s.p;
  srand(seed);
  p.batches = 1; p.in_h = H; p.in_w = W; p.in_c = K; p.out_h = H; p.out_w = W; p.out_c = N;
  p.kh = p.kw = 1; p.stride_h = p.stride_w = 1; p.dil_h = p.dil_w = 1;
  p.k = K; p.kp = sp ? r8(K, 8) : r8(K, 4); p.np = r8(N, 16);
  int M = H * W; s.M = M;
  int mb = 20 * 1024 / (p.kp * 2) / 4 * 4; if (mb < 4) mb = 4; if (mb > 512) mb = 512;
  int mm = r8(M, 4); if (mb > mm) mb = mm; p.mb = mb;
  p.gemmlowp = 1; p.input_zero_point = 3; p.output_offset = 5;
  p.act_min = getenv("ACTMIN") ? atoi(getenv("ACTMIN")) : 0;  // >= 5: the ReLU fold (session 14) p.act_max = 255; p.is_unsigned = 1;
  size_t wb = sp ? (size_t) p.np / 16 * (p.kp / 4) * 64 : (size_t) p.np * p.kp * 2;
  int16_t* w = (int16_t*) al(wb);
  for (size_t i = 0; i < wb / 2; i++) w[i] = (int16_t) (rand() % 61 - 30);
  p.weights = (int64_t) (uintptr_t) w;
  int32_t* ch = (int32_t*) al(9 * 4 * p.np);
  for (int c = 0; c < p.np; c++) {
    int right = 7;
    ch[c] = rand() % 1000; ch[p.np + c] = (1 << 30) + rand() % (1 << 29);
    if (getenv("UNIFORM")) ch[p.np + c] = (1 << 30) + 12345;  // per-tensor, as uint8 layers
    ch[2 * p.np + c] = 0; ch[3 * p.np + c] = right;
    ch[4 * p.np + c] = 1 << (right - 1); ch[5 * p.np + c] = 0x7fffffff - (1 << (right - 1)); ch[6 * p.np + c] = 1 << (31 - right);
    ch[7 * p.np + c] = (1 << right) - 1; ch[8 * p.np + c] = ((1 << right) - 1) >> 1;
  }
  p.channel = (int64_t) (uintptr_t) ch;
  if (sp) {
    size_t mbytes = (size_t) p.np / 16 * (p.kp / 4) * 16;
    uint8_t* meta = (uint8_t*) al(mbytes);
    for (size_t i = 0; i < mbytes; i++) { int id = rand() % 6; meta[i] = (uint8_t) (id | id << 5); }
    int64_t a = (int64_t) (uintptr_t) meta;
    memcpy((uint8_t*) &p + 128, &a, 8);
  }
  s.in = (uint8_t*) al((size_t) M * K);
  for (size_t i = 0; i < (size_t) M * K; i++) s.in[i] = rand();
  s.out = (uint8_t*) al((size_t) M * N);
  s.scratch = al((size_t) 8 << 20);
  return s;
}
static double timeit(fn f, Setup& s, int reps) {
  double best = 1e30;
  for (int i = 0; i < reps; i++) {
    uint64_t a = __rdtsc();
    f(&s.p, s.in, s.out, s.scratch, 0, s.M, 0, s.p.out_c);
    double c = (double) (__rdtsc() - a);
    if (c < best) best = c;
  }
  return best;
}
int main(int argc, char** argv) {
  int shapes[][4] = {{112, 112, 16, 96}, {56, 56, 24, 144}, {56, 56, 144, 24}, {28, 28, 32, 192}, {28, 28, 192, 32},
                     {14, 14, 64, 384},  {14, 14, 384, 64}, {14, 14, 576, 96}, {7, 7, 960, 160},  {7, 7, 320, 1280}};
  std::vector<std::array<int, 4>> sv;
  if (getenv("SHAPES")) {
    char* e = strdup(getenv("SHAPES"));
    for (char* t = strtok(e, ","); t; t = strtok(NULL, ",")) {
      std::array<int, 4> a;
      sscanf(t, "%dx%dx%dx%d", &a[0], &a[1], &a[2], &a[3]);
      sv.push_back(a);
    }
  } else {
    for (auto& sh : shapes) sv.push_back({sh[0], sh[1], sh[2], sh[3]});
  }
  int nl = argc - 1;
  fn sp[8], de[8];
  for (int l = 0; l < nl; l++) {
    void* h = dlopen(argv[1 + l], RTLD_NOW | RTLD_LOCAL);
    if (!h) { printf("%s\n", dlerror()); return 1; }
    sp[l] = (fn) dlsym(h, "whittle_qu8_conv2d_sp24_24x4__avx2");
    de[l] = (fn) dlsym(h, "whittle_qu8_conv2d_gemm_4x16c2__avx2");
  }
  int reps = getenv("REPS") ? atoi(getenv("REPS")) : 200;
  for (auto& sh : sv) {
    Setup d = make(sh[0], sh[1], sh[2], sh[3], false, 1), s = make(sh[0], sh[1], sh[2], sh[3], true, 1);
    double td = 1e30, ts[8], tdl[8];
    for (int l = 0; l < nl; l++) ts[l] = tdl[l] = 1e30;
    for (int round = 0; round < 5; round++) {
      double t = timeit(de[0], d, reps / 5);
      if (t < td) td = t;
      for (int l = 0; l < nl; l++) {
        double u = timeit(sp[l], s, reps / 5);
        if (u < ts[l]) ts[l] = u;
        if (l > 0) { u = timeit(de[l], d, reps / 5); if (u < tdl[l]) tdl[l] = u; }
      }
    }
    tdl[0] = td;
    // each library's 2:4 against its own dense (session 14: a shared output-stage change
    // speeds both)
    printf("%dx%dx%dx%d", sh[0], sh[1], sh[2], sh[3]);
    for (int l = 0; l < nl; l++) printf(" | lib%d dense %.0fk sp24 %.0fk %.2fx", l, tdl[l] / 1000, ts[l] / 1000, tdl[l] / ts[l]);
    printf("  (dense %.2f MAC/tsc)\n", (double) sh[0] * sh[1] * sh[2] * sh[3] / td);
    fflush(stdout);
  }
}
