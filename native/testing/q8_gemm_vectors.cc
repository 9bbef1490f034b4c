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
#include "whittle/dwconv_c1.h"
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

// Looks up whittle_<name> in lib; prints why and returns nullptr when the library lacks it.
void* lookup(void* lib, const std::vector<uint8_t>& name_bytes, std::string* name) {
  *name = "whittle_" + std::string(name_bytes.begin(), name_bytes.end());
  void* fn = dlsym(lib, name->c_str());
  if (fn == nullptr) {
    fprintf(stderr, "q8_gemm_vectors: the library does not export %s\n", name->c_str());
  }
  return fn;
}

// The 8-byte fields at byte offsets first..last of a params block held addresses inside the
// block where Java placed it (old_base): point them at the same offsets of this copy.
void relocate(uint8_t* block, size_t first, size_t last, uint64_t old_base) {
  for (size_t off = first; off <= last; off += 8) {
    uint64_t v;
    memcpy(&v, block + off, 8);
    v = (uint64_t) (uintptr_t) block + (v - old_base);
    memcpy(block + off, &v, 8);
  }
}

// What every case ends with: input, expected output, (u64 scratch bytes,) u32 runs.
struct Tail {
  std::vector<uint8_t> input;
  std::vector<uint8_t> expected;
  uint64_t scratch_bytes = 0;
  uint32_t run_count = 0;

  Tail(Reader& in, bool has_scratch) {
    input = in.bytes();
    expected = in.bytes();
    scratch_bytes = has_scratch ? in.u64() : 0;
    run_count = in.u32();
  }
};

bool truncated(const Reader& in, const char* file, uint32_t c, bool short_block) {
  if (!in.ok || short_block) {
    fprintf(stderr, "q8_gemm_vectors: %s: case %u truncated\n", file, c);
    return true;
  }
  return false;
}

// The runs of one case: per run u32 calls, then per call `width` ranges (i32, or i64 when
// wide). Each run starts from an output filled with a canary (two canaries over the runs, so
// an unwritten byte equal to one is still caught; 64 guard bytes after it) and scratch filled
// with garbage; call(output, scratch, ranges) makes one call. Returns how many runs failed, or
// -1 when the file is truncated.
template <typename Call>
int replay_runs(Reader& in, const char* file, uint32_t c, const Tail& t, size_t width, bool wide,
                const std::string& name, const std::vector<uint8_t>& label_bytes, int* runs, Call call) {
  const std::string label(label_bytes.begin(), label_bytes.end());
  int failures = 0;
  for (uint32_t r = 0; r < t.run_count; r++) {
    const uint32_t calls = in.u32();
    std::vector<int64_t> ranges(width * (size_t) calls);
    for (auto& v : ranges) {
      v = wide ? (int64_t) in.u64() : (int64_t) (int32_t) in.u32();
    }
    if (truncated(in, file, c, false)) {
      return -1;
    }
    const uint8_t canary = (r & 1) != 0 ? 0xA5 : 0x5A;
    uint8_t* output = aligned_copy({}, t.expected.size(), 64, canary);
    uint8_t* scratch = aligned_copy({}, t.scratch_bytes, 0, 0xA5);
    for (uint32_t k = 0; k < calls; k++) {
      call(output, scratch, &ranges[width * (size_t) k]);
    }
    (*runs)++;
    failures += compare(output, t.expected, canary, name, label, r, calls) ? 0 : 1;
    free(output);
    free(scratch);
  }
  return failures;
}

// A GEMM vector file ("WQ8V"): per case name, label, the whittle_q8_gemm_params block (its two
// pointer fields are pointed at this process's copies), the packed weight panels, the
// per-channel output stage, input, expected, u64 scratch bytes, u32 runs, per run u32 calls and
// i32 m0, m1, n0, n1.
int run_gemm(Reader& in, void* lib, const char* file, int* cases, int* runs) {
  int failures = 0;
  const uint32_t count = in.u32();
  for (uint32_t c = 0; c < count && in.ok; c++) {
    const std::vector<uint8_t> name_bytes = in.bytes();
    const std::vector<uint8_t> label_bytes = in.bytes();
    const std::vector<uint8_t> params_bytes = in.bytes();
    const std::vector<uint8_t> weights_bytes = in.bytes();
    const std::vector<uint8_t> channel_bytes = in.bytes();
    const Tail t(in, true);
    if (truncated(in, file, c, params_bytes.size() != sizeof(whittle_q8_gemm_params))) return -1;
    std::string name;
    GemmFn fn = reinterpret_cast<GemmFn>(lookup(lib, name_bytes, &name));
    if (fn == nullptr) return -1;
    Guarded weights(weights_bytes);  // a multiple of 64 bytes: stays 64-aligned
    uint8_t* channel = aligned_copy(channel_bytes, channel_bytes.size(), 0, 0);
    Guarded input(t.input);
    whittle_q8_gemm_params params;
    memcpy(&params, params_bytes.data(), sizeof params);
    params.weights = (int64_t) (uintptr_t) weights.data;
    params.channel = (int64_t) (uintptr_t) channel;
    (*cases)++;
    const int failed = replay_runs(in, file, c, t, 4, false, name, label_bytes, runs,
                                   [&](uint8_t* out, uint8_t* scratch, const int64_t* q) {
                                     fn(&params, input.data, out, scratch, (int32_t) q[0], (int32_t) q[1],
                                        (int32_t) q[2], (int32_t) q[3]);
                                   });
    free(channel);
    if (failed < 0) return -1;
    failures += failed;
  }
  return failures;
}

// The layout the params-block files share ("WDWV"/"WDWL", "WQ16", "WQDW", "WDC1"): per case
// name, label, the whole params block, then (only where the block holds pointers into itself)
// u64 old_base, the address Java gave it, then input, expected, (u64 scratch bytes,) u32 runs,
// per run u32 calls and `width` ranges per call.
struct BlockLayout {
  size_t min_bytes;    // the params struct: a shorter block is a truncated case
  size_t reloc_first;  // the 8-byte fields at reloc_first..reloc_last point into the block;
  size_t reloc_last;   //   reloc_last < reloc_first: none, and the file has no old_base
  bool guarded;        // the block ends at an inaccessible page (else a 64-aligned copy)
  bool has_scratch;
  size_t width;
  bool wide;  // ranges are i64 (else i32)
};

// Replays every case of such a file; call(fn, block, input, output, scratch, ranges) makes one
// kernel call. Returns the failed runs, or -1 when the file is truncated or names a missing kernel.
template <typename Call>
int run_blocks(Reader& in, void* lib, const char* file, int* cases, int* runs, const BlockLayout& l, Call call) {
  int failures = 0;
  const bool pointers = l.reloc_last >= l.reloc_first;
  const uint32_t count = in.u32();
  for (uint32_t c = 0; c < count && in.ok; c++) {
    const std::vector<uint8_t> name_bytes = in.bytes();
    const std::vector<uint8_t> label_bytes = in.bytes();
    const std::vector<uint8_t> block_bytes = in.bytes();
    const uint64_t old_base = pointers ? in.u64() : 0;
    const Tail t(in, l.has_scratch);
    if (truncated(in, file, c, block_bytes.size() < l.min_bytes)) return -1;
    std::string name;
    void* fn = lookup(lib, name_bytes, &name);
    if (fn == nullptr) return -1;
    Guarded guarded(l.guarded ? block_bytes : std::vector<uint8_t>());
    uint8_t* copy = l.guarded ? nullptr : aligned_copy(block_bytes, block_bytes.size(), 0, 0);
    uint8_t* block = l.guarded ? guarded.data : copy;
    if (pointers) relocate(block, l.reloc_first, l.reloc_last, old_base);
    Guarded input(t.input);
    (*cases)++;
    const int failed = replay_runs(in, file, c, t, l.width, l.wide, name, label_bytes, runs,
                                   [&](uint8_t* out, uint8_t* scratch, const int64_t* q) {
                                     call(fn, block, input.data, out, scratch, q);
                                   });
    free(copy);
    if (failed < 0) return -1;
    failures += failed;
  }
  return failures;
}

// A depthwise vector file ("WDWV"; "WDWL" for the lane-mapped kernels of
// whittle_q8_dwconv_lanes_params, NEON gaps): the params block holds offsets only (no
// pointers), no scratch, ranges i32 row_begin, row_end.
int run_dwconv(Reader& in, void* lib, const char* file, int* cases, int* runs, bool lanes) {
  const BlockLayout l{sizeof(whittle_q8_dwconv_params), 1, 0, false, false, 2, false};
  return run_blocks(in, lib, file, cases, runs, l,
                    [lanes](void* fn, uint8_t* block, const uint8_t* input, uint8_t* out, uint8_t*, const int64_t* q) {
                      if (lanes) {
                        reinterpret_cast<DwconvLanesFn>(fn)(block, input, out, (int32_t) q[0], (int32_t) q[1]);
                      } else {
                        const auto* params = reinterpret_cast<const whittle_q8_dwconv_params*>(block);
                        reinterpret_cast<DwconvFn>(fn)(params, input, out, (int32_t) q[0], (int32_t) q[1], 0,
                                                       params->channels);
                      }
                    });
}

// A 16x8 GEMM vector file ("WQ16"): its six pointer fields, bytes 192..232, point into the
// block; scratch; ranges i64 m0, m1, n0, n1.
int run_qs16(Reader& in, void* lib, const char* file, int* cases, int* runs) {
  const BlockLayout l{sizeof(whittle_qs16_gemm_params), 192, 232, false, true, 4, true};
  return run_blocks(in, lib, file, cases, runs, l,
                    [](void* fn, uint8_t* block, const uint8_t* input, uint8_t* out, uint8_t* scratch,
                       const int64_t* q) {
                      reinterpret_cast<Qs16Fn>(fn)(reinterpret_cast<const whittle_qs16_gemm_params*>(block),
                                                   reinterpret_cast<const int16_t*>(input),
                                                   reinterpret_cast<int16_t*>(out),
                                                   reinterpret_cast<int16_t*>(scratch), q[0], q[1], q[2], q[3]);
                    });
}

// A 16x8 depthwise vector file ("WQDW", NEON gaps): its five pointer fields, bytes 160..192,
// point into the block, which ends at an inaccessible page (the weights are its last bytes);
// no scratch; ranges i64 r0, r1 (output rows).
int run_qs16_dw(Reader& in, void* lib, const char* file, int* cases, int* runs) {
  const BlockLayout l{sizeof(whittle_qs16_dwconv_params), 160, 192, true, false, 2, true};
  return run_blocks(in, lib, file, cases, runs, l,
                    [](void* fn, uint8_t* block, const uint8_t* input, uint8_t* out, uint8_t*, const int64_t* q) {
                      reinterpret_cast<Qs16DwFn>(fn)(reinterpret_cast<const whittle_qs16_dwconv_params*>(block),
                                                     reinterpret_cast<const int16_t*>(input),
                                                     reinterpret_cast<int16_t*>(out), q[0], q[1]);
                    });
}

// A one-input-channel depthwise vector file ("WDC1", the c1x8 kernels of dwconv_c1.h, issue 6
// NEON): its two pointer fields, bytes 96..104, point into the block, which ends at an
// inaccessible page; scratch; ranges i32 row_begin, row_end.
typedef void (*DwconvC1Fn)(const whittle_dwconv_c1_params*, const uint8_t*, uint8_t*, void*, int32_t, int32_t);

int run_dwconv_c1(Reader& in, void* lib, const char* file, int* cases, int* runs) {
  const BlockLayout l{sizeof(whittle_dwconv_c1_params), 96, 104, true, true, 2, false};
  return run_blocks(in, lib, file, cases, runs, l,
                    [](void* fn, uint8_t* block, const uint8_t* input, uint8_t* out, uint8_t* scratch,
                       const int64_t* q) {
                      reinterpret_cast<DwconvC1Fn>(fn)(reinterpret_cast<const whittle_dwconv_c1_params*>(block),
                                                       input, out, scratch, (int32_t) q[0], (int32_t) q[1]);
                    });
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
    const Tail t(in, true);
    if (truncated(in, file, c, blocks[0].size() < sizeof(whittle_q8_gemm_params))) return -1;
    std::string name;
    GemmFn fn = reinterpret_cast<GemmFn>(lookup(lib, name_bytes, &name));
    if (fn == nullptr) return -1;
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
    int failed = -1;
    if (relocated == 0) {
      fprintf(stderr, "q8_gemm_vectors: %s: case %u: no pointer field relocated\n", file, c);
    } else {
      Guarded input(t.input);
      (*cases)++;
      failed = replay_runs(in, file, c, t, 4, false, name, label_bytes, runs,
                           [&](uint8_t* out, uint8_t* scratch, const int64_t* q) {
                             fn(reinterpret_cast<const whittle_q8_gemm_params*>(params), input.data, out, scratch,
                                (int32_t) q[0], (int32_t) q[1], (int32_t) q[2], (int32_t) q[3]);
                           });
    }
    for (Guarded* g : copies) {
      delete g;
    }
    free(params);
    if (failed < 0) return -1;
    failures += failed;
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
    const uint32_t version = in.u32();
    int failed = -2;
    if (version != 1) {
      failed = -2;
    } else if (magic == 0x56385157u) {  // "WQ8V"
      failed = run_gemm(in, lib, argv[arg], &cases, &runs);
    } else if (magic == 0x56574457u || magic == 0x4c574457u) {  // "WDWV", "WDWL"
      failed = run_dwconv(in, lib, argv[arg], &cases, &runs, magic == 0x4c574457u);
    } else if (magic == 0x36315157u) {  // "WQ16"
      failed = run_qs16(in, lib, argv[arg], &cases, &runs);
    } else if (magic == 0x57445157u) {  // "WQDW"
      failed = run_qs16_dw(in, lib, argv[arg], &cases, &runs);
    } else if (magic == 0x31434457u) {  // "WDC1"
      failed = run_dwconv_c1(in, lib, argv[arg], &cases, &runs);
    } else if (magic == 0x564d4657u) {  // "WFMV"
      failed = run_format(in, lib, argv[arg], &cases, &runs);
    }
    if (failed == -2) {
      fprintf(stderr, "q8_gemm_vectors: %s is not a version-1 vector file\n", argv[arg]);
      return 2;
    }
    if (failed < 0) {
      return 2;
    }
    if (!in.ok) {
      fprintf(stderr, "q8_gemm_vectors: %s truncated\n", argv[arg]);
      return 2;
    }
    failures += failed;
  }
  printf("q8_gemm_vectors: %d cases, %d runs, %d failed\n", cases, runs, failures);
  return failures == 0 ? 0 : 1;
}
