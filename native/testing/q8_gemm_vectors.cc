// Runs recorded test vectors of the q8 GEMM kernels (whittle_q8_gemm_params, q8_gemm.h)
// through a libwhittle built for this machine, and compares every output byte:
//
//   q8_gemm_vectors <libwhittle.so> <vectors.bin>...
//
// (and the depthwise kernels' vectors, whittle_q8_dwconv_params of dwconv.h, in "WDWV" files,
// and the 16x8 GEMM's, whittle_qs16_gemm_params of qs16.h, in "WQ16" files)
//
// The vectors are written on x86 by the Java test NeonGemmVectorsTest: for each case the
// params block exactly as Java's Q8Gemm packer writes it at prepare (its two pointer fields
// are rewritten here to this process's copies), the packed weight panels, the per-channel
// output stage, the input, the bytes the Java reference kernel produced, the scratch size
// and the task ranges of 1 and 3 threads. So a cross-built kernel (NEON under qemu) is
// checked against the scalar oracle through the same C ABI and the same packing Java uses.
// Built only with -DWHITTLE_BUILD_VECTOR_TESTS=ON (cmake/test-aarch64.sh).
//
// Each run starts from an output filled with a canary (and 64 guard bytes after it) and a
// scratch filled with garbage, so a kernel that skips a byte, writes past the tensor or
// relies on zeroed scratch fails; inputs and the q8 weight panels end at an inaccessible page,
// so reading past them faults. Exit status: 0 all equal, 1 a mismatch, 2 bad usage/file.
#include <dlfcn.h>
#include <sys/mman.h>
#include <unistd.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <string>
#include <vector>

#include "whittle/cpu.h"
#include "whittle/dwconv.h"
#include "whittle/q8_gemm.h"
#include "whittle/qs16.h"

namespace {

typedef void (*GemmFn)(const whittle_q8_gemm_params*, const uint8_t*, uint8_t*, void*, int32_t, int32_t, int32_t,
                       int32_t);
typedef void (*DwconvFn)(const whittle_q8_dwconv_params*, const uint8_t*, uint8_t*, int32_t, int32_t, int32_t,
                         int32_t);
typedef void (*Qs16Fn)(const whittle_qs16_gemm_params*, const int16_t*, int16_t*, int16_t*, int64_t, int64_t,
                       int64_t, int64_t);
typedef uint64_t (*FeaturesFn)(void);
// NEON gaps (issue 6): the lane-mapped q8 depthwise ("WDWL") and the 16x8 depthwise ("WQDW").
typedef void (*DwconvLanesFn)(const void*, const uint8_t*, uint8_t*, int32_t, int32_t);
typedef void (*Qs16DwFn)(const whittle_qs16_dwconv_params*, const int16_t*, int16_t*, int64_t, int64_t);

struct Reader {
  std::vector<uint8_t> data;
  size_t at = 0;
  bool ok = true;

  bool need(size_t n) {
    if (!ok || data.size() - at < n) {
      ok = false;
      return false;
    }
    return true;
  }
  uint32_t u32() {
    uint32_t v = 0;
    if (need(4)) {
      memcpy(&v, &data[at], 4);
      at += 4;
    }
    return v;
  }
  uint64_t u64() {
    uint64_t v = 0;
    if (need(8)) {
      memcpy(&v, &data[at], 8);
      at += 8;
    }
    return v;
  }
  std::vector<uint8_t> bytes() {
    const uint32_t n = u32();
    std::vector<uint8_t> out;
    if (need(n)) {
      out.assign(data.begin() + (long) at, data.begin() + (long) (at + n));
      at += n;
    }
    return out;
  }
};

// 64-aligned copy of src with `extra` more bytes filled with `fill` (freed by the caller).
uint8_t* aligned_copy(const std::vector<uint8_t>& src, size_t size, size_t extra, uint8_t fill) {
  const size_t total = (size + extra + 63) / 64 * 64 + 64;
  uint8_t* p = static_cast<uint8_t*>(aligned_alloc(64, total));
  memset(p, fill, total);
  if (!src.empty()) {
    memcpy(p, src.data(), src.size() < size ? src.size() : size);
  }
  return p;
}

// A copy of src that ends exactly where an inaccessible page begins, so a kernel reading
// past the end of the tensor (or of the weight panels) faults instead of passing by luck.
struct Guarded {
  uint8_t* base = nullptr;
  size_t length = 0;
  uint8_t* data = nullptr;

  explicit Guarded(const std::vector<uint8_t>& src) {
    const size_t page = (size_t) sysconf(_SC_PAGESIZE);
    const size_t body = (src.size() + page - 1) / page * page;
    length = body + page;
    void* m = mmap(nullptr, length, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED) {
      fprintf(stderr, "q8_gemm_vectors: mmap failed\n");
      exit(2);
    }
    base = static_cast<uint8_t*>(m);
    mprotect(base + body, page, PROT_NONE);
    data = base + body - src.size();
    if (!src.empty()) {
      memcpy(data, src.data(), src.size());
    }
  }
  ~Guarded() { munmap(base, length); }
  Guarded(const Guarded&) = delete;
  Guarded& operator=(const Guarded&) = delete;
};

// Compares output with expected (and the 64 guard bytes after it with the canary); prints a
// FAIL line and returns false on any difference.
bool compare(const uint8_t* output, const std::vector<uint8_t>& expected, uint8_t canary, const std::string& name,
             const std::string& label, uint32_t run, uint32_t calls) {
  size_t bad = 0;
  size_t first = 0;
  for (size_t i = 0; i < expected.size(); i++) {
    if (output[i] != expected[i]) {
      if (bad++ == 0) first = i;
    }
  }
  size_t guard = 0;
  for (size_t i = expected.size(); i < expected.size() + 64; i++) {
    guard += output[i] != canary;
  }
  if (bad == 0 && guard == 0) {
    return true;
  }
  fprintf(stderr, "FAIL %s [%s] run %u (%u calls): %zu of %zu bytes differ", name.c_str(), label.c_str(), run, calls,
          bad, expected.size());
  if (bad != 0) {
    fprintf(stderr, ", first at %zu: expected %d got %d", first, expected[first], output[first]);
  }
  fprintf(stderr, "; %zu guard bytes written\n", guard);
  return false;
}

// A depthwise vector file ("WDWV"): per case name, label, the whole params block (offsets
// only, no pointers), input, expected, u32 runs, per run u32 calls and i32 row_begin, row_end.
int run_dwconv(Reader& in, void* lib, const char* file, int* cases, int* runs, bool lanes = false) {
  int failures = 0;
  const uint32_t count = in.u32();
  for (uint32_t c = 0; c < count && in.ok; c++) {
    const std::vector<uint8_t> name_bytes = in.bytes();
    const std::vector<uint8_t> label_bytes = in.bytes();
    const std::vector<uint8_t> block_bytes = in.bytes();
    const std::vector<uint8_t> input_bytes = in.bytes();
    const std::vector<uint8_t> expected = in.bytes();
    const uint32_t run_count = in.u32();
    if (!in.ok || block_bytes.size() < sizeof(whittle_q8_dwconv_params)) {
      fprintf(stderr, "q8_gemm_vectors: %s: case %u truncated\n", file, c);
      return -1;
    }
    const std::string name("whittle_" + std::string(name_bytes.begin(), name_bytes.end()));
    const std::string label(label_bytes.begin(), label_bytes.end());
    DwconvFn fn = reinterpret_cast<DwconvFn>(dlsym(lib, name.c_str()));
    if (fn == nullptr) {
      fprintf(stderr, "q8_gemm_vectors: the library does not export %s\n", name.c_str());
      return -1;
    }
    uint8_t* block = aligned_copy(block_bytes, block_bytes.size(), 0, 0);
    Guarded guarded_input(input_bytes);
    uint8_t* input = guarded_input.data;
    const whittle_q8_dwconv_params* params = reinterpret_cast<const whittle_q8_dwconv_params*>(block);
    (*cases)++;
    for (uint32_t r = 0; r < run_count; r++) {
      const uint32_t calls = in.u32();
      std::vector<int32_t> ranges(2 * (size_t) calls);
      for (auto& v : ranges) {
        v = (int32_t) in.u32();
      }
      if (!in.ok) {
        fprintf(stderr, "q8_gemm_vectors: %s: case %u truncated\n", file, c);
        return -1;
      }
      const uint8_t canary = (r & 1) != 0 ? 0xA5 : 0x5A;
      uint8_t* output = aligned_copy({}, expected.size(), 64, canary);
      for (uint32_t call = 0; call < calls; call++) {
        if (lanes) {
          // The lane-mapped kernels (whittle_q8_dwconv_lanes_params): rows only.
          reinterpret_cast<DwconvLanesFn>(fn)(block, input, output, ranges[2 * (size_t) call],
                                              ranges[2 * (size_t) call + 1]);
        } else {
          fn(params, input, output, ranges[2 * (size_t) call], ranges[2 * (size_t) call + 1], 0, params->channels);
        }
      }
      (*runs)++;
      failures += compare(output, expected, canary, name, label, r, calls) ? 0 : 1;
      free(output);
    }
    free(block);
  }
  return failures;
}

// A 16x8 GEMM vector file ("WQ16"): per case name, label, the whole params block (its six
// pointer fields point into it: relocated from u64 old_base), input, expected, u64 scratch
// bytes, u32 runs, per run u32 calls and i64 m0, m1, n0, n1.
int run_qs16(Reader& in, void* lib, const char* file, int* cases, int* runs) {
  int failures = 0;
  const uint32_t count = in.u32();
  for (uint32_t c = 0; c < count && in.ok; c++) {
    const std::vector<uint8_t> name_bytes = in.bytes();
    const std::vector<uint8_t> label_bytes = in.bytes();
    const std::vector<uint8_t> block_bytes = in.bytes();
    const uint64_t old_base = in.u64();
    const std::vector<uint8_t> input_bytes = in.bytes();
    const std::vector<uint8_t> expected = in.bytes();
    const uint64_t scratch_bytes = in.u64();
    const uint32_t run_count = in.u32();
    if (!in.ok || block_bytes.size() < sizeof(whittle_qs16_gemm_params)) {
      fprintf(stderr, "q8_gemm_vectors: %s: case %u truncated\n", file, c);
      return -1;
    }
    const std::string name("whittle_" + std::string(name_bytes.begin(), name_bytes.end()));
    const std::string label(label_bytes.begin(), label_bytes.end());
    Qs16Fn fn = reinterpret_cast<Qs16Fn>(dlsym(lib, name.c_str()));
    if (fn == nullptr) {
      fprintf(stderr, "q8_gemm_vectors: the library does not export %s\n", name.c_str());
      return -1;
    }
    uint8_t* block = aligned_copy(block_bytes, block_bytes.size(), 0, 0);
    Guarded guarded_input(input_bytes);
    uint8_t* input = guarded_input.data;
    // weights, bias, mult, shift, rnd, scale: byte offsets 192..232.
    for (size_t off = 192; off <= 232; off += 8) {
      uint64_t v;
      memcpy(&v, block + off, 8);
      v = (uint64_t) (uintptr_t) block + (v - old_base);
      memcpy(block + off, &v, 8);
    }
    const whittle_qs16_gemm_params* params = reinterpret_cast<const whittle_qs16_gemm_params*>(block);
    (*cases)++;
    for (uint32_t r = 0; r < run_count; r++) {
      const uint32_t calls = in.u32();
      std::vector<int64_t> ranges(4 * (size_t) calls);
      for (auto& v : ranges) {
        v = (int64_t) in.u64();
      }
      if (!in.ok) {
        fprintf(stderr, "q8_gemm_vectors: %s: case %u truncated\n", file, c);
        return -1;
      }
      const uint8_t canary = (r & 1) != 0 ? 0xA5 : 0x5A;
      uint8_t* output = aligned_copy({}, expected.size(), 64, canary);
      uint8_t* scratch = aligned_copy({}, scratch_bytes, 0, 0xA5);
      for (uint32_t call = 0; call < calls; call++) {
        const int64_t* q = &ranges[4 * (size_t) call];
        fn(params, reinterpret_cast<const int16_t*>(input), reinterpret_cast<int16_t*>(output),
           reinterpret_cast<int16_t*>(scratch), q[0], q[1], q[2], q[3]);
      }
      (*runs)++;
      failures += compare(output, expected, canary, name, label, r, calls) ? 0 : 1;
      free(output);
      free(scratch);
    }
    free(block);
  }
  return failures;
}


// A 16x8 depthwise vector file ("WQDW", NEON gaps): per case name, label, the whole params block
// (its five pointer fields, bytes 160..192, point into it: relocated from u64 old_base), input,
// expected, u32 runs, per run u32 calls and i64 r0, r1 (output rows).
int run_qs16_dw(Reader& in, void* lib, const char* file, int* cases, int* runs) {
  int failures = 0;
  const uint32_t count = in.u32();
  for (uint32_t c = 0; c < count && in.ok; c++) {
    const std::vector<uint8_t> name_bytes = in.bytes();
    const std::vector<uint8_t> label_bytes = in.bytes();
    const std::vector<uint8_t> block_bytes = in.bytes();
    const uint64_t old_base = in.u64();
    const std::vector<uint8_t> input_bytes = in.bytes();
    const std::vector<uint8_t> expected = in.bytes();
    const uint32_t run_count = in.u32();
    if (!in.ok || block_bytes.size() < sizeof(whittle_qs16_dwconv_params)) {
      fprintf(stderr, "q8_gemm_vectors: %s: case %u truncated\n", file, c);
      return -1;
    }
    const std::string name("whittle_" + std::string(name_bytes.begin(), name_bytes.end()));
    const std::string label(label_bytes.begin(), label_bytes.end());
    Qs16DwFn fn = reinterpret_cast<Qs16DwFn>(dlsym(lib, name.c_str()));
    if (fn == nullptr) {
      fprintf(stderr, "q8_gemm_vectors: the library does not export %s\n", name.c_str());
      return -1;
    }
    // The block ends at an inaccessible page: the weights are its last bytes.
    Guarded guarded_block(block_bytes);
    uint8_t* block = guarded_block.data;
    for (size_t off = 160; off <= 192; off += 8) {
      uint64_t v;
      memcpy(&v, block + off, 8);
      v = (uint64_t) (uintptr_t) block + (v - old_base);
      memcpy(block + off, &v, 8);
    }
    Guarded guarded_input(input_bytes);
    const whittle_qs16_dwconv_params* params = reinterpret_cast<const whittle_qs16_dwconv_params*>(block);
    (*cases)++;
    for (uint32_t r = 0; r < run_count; r++) {
      const uint32_t calls = in.u32();
      std::vector<int64_t> ranges(2 * (size_t) calls);
      for (auto& v : ranges) {
        v = (int64_t) in.u64();
      }
      if (!in.ok) {
        fprintf(stderr, "q8_gemm_vectors: %s: case %u truncated\n", file, c);
        return -1;
      }
      const uint8_t canary = (r & 1) != 0 ? 0xA5 : 0x5A;
      uint8_t* output = aligned_copy({}, expected.size(), 64, canary);
      for (uint32_t call = 0; call < calls; call++) {
        fn(params, reinterpret_cast<const int16_t*>(guarded_input.data), reinterpret_cast<int16_t*>(output),
           ranges[2 * (size_t) call], ranges[2 * (size_t) call + 1]);
      }
      (*runs)++;
      failures += compare(output, expected, canary, name, label, r, calls) ? 0 : 1;
      free(output);
    }
  }
  return failures;
}

// A weight-format vector file ("WFMV": the NEON LUT / sparse / 2:4 kernels, whose params blocks
// start with whittle_q8_gemm_params and hold pointers to more blocks): per case name, label,
// u32 blocks, per block u64 the address Java gave it and its bytes (block 0: the params block),
// input, expected, u64 scratch bytes, u32 runs, per run u32 calls and i32 m0, m1, n0, n1. Every
// 8-byte field of the params block that held an address inside a block is pointed at this
// process's copy of it; the other blocks end at an inaccessible page, like the weight panels.
int run_format(Reader& in, void* lib, const char* file, int* cases, int* runs) {
  int failures = 0;
  const uint32_t count = in.u32();
  for (uint32_t c = 0; c < count && in.ok; c++) {
    const std::vector<uint8_t> name_bytes = in.bytes();
    const std::vector<uint8_t> label_bytes = in.bytes();
    const uint32_t block_count = in.u32();
    if (!in.ok || block_count < 1 || block_count > 16) {
      fprintf(stderr, "q8_gemm_vectors: %s: case %u: bad block count\n", file, c);
      return -1;
    }
    std::vector<uint64_t> old_at(block_count);
    std::vector<std::vector<uint8_t>> blocks(block_count);
    for (uint32_t b = 0; b < block_count; b++) {
      old_at[b] = in.u64();
      blocks[b] = in.bytes();
    }
    const std::vector<uint8_t> input_bytes = in.bytes();
    const std::vector<uint8_t> expected = in.bytes();
    const uint64_t scratch_bytes = in.u64();
    const uint32_t run_count = in.u32();
    if (!in.ok || blocks[0].size() < sizeof(whittle_q8_gemm_params)) {
      fprintf(stderr, "q8_gemm_vectors: %s: case %u truncated\n", file, c);
      return -1;
    }
    const std::string name("whittle_" + std::string(name_bytes.begin(), name_bytes.end()));
    const std::string label(label_bytes.begin(), label_bytes.end());
    GemmFn fn = reinterpret_cast<GemmFn>(dlsym(lib, name.c_str()));
    if (fn == nullptr) {
      fprintf(stderr, "q8_gemm_vectors: the library does not export %s\n", name.c_str());
      return -1;
    }
    uint8_t* params = aligned_copy(blocks[0], blocks[0].size(), 0, 0);
    std::vector<Guarded*> copies;
    for (uint32_t b = 1; b < block_count; b++) {
      copies.push_back(new Guarded(blocks[b]));
    }
    int relocated = 0;
    for (size_t off = 0; off + 8 <= blocks[0].size(); off += 8) {
      uint64_t v;
      memcpy(&v, params + off, 8);
      for (uint32_t b = 1; b < block_count; b++) {
        if (v >= old_at[b] && v < old_at[b] + (blocks[b].empty() ? 1 : blocks[b].size())) {
          v = (uint64_t) (uintptr_t) copies[b - 1]->data + (v - old_at[b]);
          memcpy(params + off, &v, 8);
          relocated++;
          break;
        }
      }
    }
    if (relocated == 0) {
      fprintf(stderr, "q8_gemm_vectors: %s: case %u: no pointer field relocated\n", file, c);
      return -1;
    }
    Guarded guarded_input(input_bytes);
    uint8_t* input = guarded_input.data;
    (*cases)++;
    for (uint32_t r = 0; r < run_count; r++) {
      const uint32_t calls = in.u32();
      std::vector<int32_t> ranges(4 * (size_t) calls);
      for (auto& v : ranges) {
        v = (int32_t) in.u32();
      }
      if (!in.ok) {
        fprintf(stderr, "q8_gemm_vectors: %s: case %u truncated\n", file, c);
        return -1;
      }
      const uint8_t canary = (r & 1) != 0 ? 0xA5 : 0x5A;
      uint8_t* output = aligned_copy({}, expected.size(), 64, canary);
      uint8_t* scratch = aligned_copy({}, scratch_bytes, 0, 0xA5);
      for (uint32_t call = 0; call < calls; call++) {
        const int32_t* q = &ranges[4 * (size_t) call];
        fn(reinterpret_cast<const whittle_q8_gemm_params*>(params), input, output, scratch, q[0], q[1], q[2], q[3]);
      }
      (*runs)++;
      failures += compare(output, expected, canary, name, label, r, calls) ? 0 : 1;
      free(output);
      free(scratch);
    }
    for (Guarded* g : copies) {
      delete g;
    }
    free(params);
  }
  return failures;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: %s <libwhittle.so> <vectors.bin>...\n", argv[0]);
    return 2;
  }
  void* lib = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
  if (lib == nullptr) {
    fprintf(stderr, "q8_gemm_vectors: cannot load %s: %s\n", argv[1], dlerror());
    return 2;
  }
  FeaturesFn features = reinterpret_cast<FeaturesFn>(dlsym(lib, "whittle_cpu_features"));
  if (features != nullptr) {
    const uint64_t f = features();
    printf("q8_gemm_vectors: whittle_cpu_features NEON=%d DOTPROD=%d I8MM=%d\n", (f & WHITTLE_CPU_NEON) != 0,
           (f & WHITTLE_CPU_DOTPROD) != 0, (f & WHITTLE_CPU_I8MM) != 0);
  }
  int cases = 0;
  int runs = 0;
  int failures = 0;
  for (int arg = 2; arg < argc; arg++) {
    Reader in;
    FILE* f = fopen(argv[arg], "rb");
    if (f == nullptr) {
      fprintf(stderr, "q8_gemm_vectors: cannot open %s\n", argv[arg]);
      return 2;
    }
    uint8_t buf[1 << 16];
    size_t got;
    while ((got = fread(buf, 1, sizeof buf, f)) > 0) {
      in.data.insert(in.data.end(), buf, buf + got);
    }
    fclose(f);
    const uint32_t magic = in.u32();
    // NEON gaps (issue 6): "WDWL" lane-mapped q8 depthwise, "WQDW" 16x8 depthwise.
    if (magic == 0x4c574457u || magic == 0x57445157u) {
      if (in.u32() != 1) {
        fprintf(stderr, "q8_gemm_vectors: %s is not a version-1 vector file\n", argv[arg]);
        return 2;
      }
      const int failed = magic == 0x4c574457u ? run_dwconv(in, lib, argv[arg], &cases, &runs, true)
                                              : run_qs16_dw(in, lib, argv[arg], &cases, &runs);
      if (failed < 0) {
        return 2;
      }
      failures += failed;
      continue;
    }
    if ((magic != 0x56385157u /* "WQ8V" */ && magic != 0x56574457u /* "WDWV" */ &&
         magic != 0x36315157u /* "WQ16" */ && magic != 0x564d4657u /* "WFMV" */) || in.u32() != 1) {
      fprintf(stderr, "q8_gemm_vectors: %s is not a version-1 vector file\n", argv[arg]);
      return 2;
    }
    if (magic == 0x56574457u || magic == 0x36315157u || magic == 0x564d4657u) {
      const int failed = magic == 0x56574457u   ? run_dwconv(in, lib, argv[arg], &cases, &runs)
                         : magic == 0x36315157u ? run_qs16(in, lib, argv[arg], &cases, &runs)
                                                : run_format(in, lib, argv[arg], &cases, &runs);
      if (failed < 0) {
        return 2;
      }
      failures += failed;
      continue;
    }
    const uint32_t count = in.u32();
    for (uint32_t c = 0; c < count && in.ok; c++) {
      const std::vector<uint8_t> name_bytes = in.bytes();
      const std::vector<uint8_t> label_bytes = in.bytes();
      const std::vector<uint8_t> params_bytes = in.bytes();
      const std::vector<uint8_t> weights_bytes = in.bytes();
      const std::vector<uint8_t> channel_bytes = in.bytes();
      const std::vector<uint8_t> input_bytes = in.bytes();
      const std::vector<uint8_t> expected = in.bytes();
      const uint64_t scratch_bytes = in.u64();
      const uint32_t run_count = in.u32();
      if (!in.ok || params_bytes.size() != sizeof(whittle_q8_gemm_params)) {
        fprintf(stderr, "q8_gemm_vectors: %s: case %u truncated\n", argv[arg], c);
        return 2;
      }
      const std::string name("whittle_" + std::string(name_bytes.begin(), name_bytes.end()));
      const std::string label(label_bytes.begin(), label_bytes.end());
      GemmFn fn = reinterpret_cast<GemmFn>(dlsym(lib, name.c_str()));
      if (fn == nullptr) {
        fprintf(stderr, "q8_gemm_vectors: %s does not export %s\n", argv[1], name.c_str());
        return 2;
      }
      Guarded guarded_weights(weights_bytes);  // a multiple of 64 bytes: stays 64-aligned
      uint8_t* weights = guarded_weights.data;
      uint8_t* channel = aligned_copy(channel_bytes, channel_bytes.size(), 0, 0);
      Guarded guarded_input(input_bytes);
    uint8_t* input = guarded_input.data;
      whittle_q8_gemm_params params;
      memcpy(&params, params_bytes.data(), sizeof params);
      // The pointer fields held Java's addresses: point them at this process's copies.
      params.weights = (int64_t) (uintptr_t) weights;
      params.channel = (int64_t) (uintptr_t) channel;
      cases++;
      for (uint32_t r = 0; r < run_count; r++) {
        const uint32_t calls = in.u32();
        std::vector<int32_t> ranges(4 * (size_t) calls);
        for (auto& v : ranges) {
          v = (int32_t) in.u32();
        }
        if (!in.ok) {
          fprintf(stderr, "q8_gemm_vectors: %s: case %u truncated\n", argv[arg], c);
          return 2;
        }
        // Two canaries over the runs, so an unwritten byte that equals one of them is still caught.
        const uint8_t canary = (r & 1) != 0 ? 0xA5 : 0x5A;
        uint8_t* output = aligned_copy({}, expected.size(), 64, canary);
        uint8_t* scratch = aligned_copy({}, scratch_bytes, 0, 0xA5);
        for (uint32_t call = 0; call < calls; call++) {
          const int32_t* q = &ranges[4 * (size_t) call];
          fn(&params, input, output, scratch, q[0], q[1], q[2], q[3]);
        }
        runs++;
        if (!compare(output, expected, canary, name, label, r, calls)) {
          failures++;
        }
        free(output);
        free(scratch);
      }
      free(channel);
      }
    if (!in.ok) {
      fprintf(stderr, "q8_gemm_vectors: %s truncated\n", argv[arg]);
      return 2;
    }
  }
  printf("q8_gemm_vectors: %d cases, %d runs, %d failed\n", cases, runs, failures);
  return failures == 0 ? 0 : 1;
}
