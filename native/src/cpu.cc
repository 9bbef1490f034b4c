// CPU feature probe behind whittle_cpu_features().
//
// This translation unit is compiled WITHOUT any ISA flags (-mavx2, -march=...): it runs on
// every CPU the library loads on, before anyone knows what that CPU supports. If the compiler
// were allowed AVX2 here it could auto-vectorize the probe itself and fault with SIGILL on an
// older machine. CMake enforces this by never adding ISA flags to native/src.

#include <stdint.h>

#include "whittle/cpu.h"

#if defined(__x86_64__) || defined(_M_X64) || defined(__i386__) || defined(_M_IX86)
#  define WHITTLE_PROBE_X86 1
#  if defined(_MSC_VER) && !defined(__clang__)
#    include <intrin.h>
#  else
#    include <cpuid.h>
#  endif
#elif defined(__aarch64__) || defined(_M_ARM64)
#  define WHITTLE_PROBE_AARCH64 1
#  if defined(__linux__)
#    include <sys/auxv.h>
#  endif
#endif

namespace {

#if defined(WHITTLE_PROBE_X86)

struct CpuidRegs {
  uint32_t eax, ebx, ecx, edx;
};

CpuidRegs cpuid(uint32_t leaf, uint32_t subleaf) {
  CpuidRegs r{};
#  if defined(_MSC_VER) && !defined(__clang__)
  int out[4];
  __cpuidex(out, static_cast<int>(leaf), static_cast<int>(subleaf));
  r.eax = static_cast<uint32_t>(out[0]);
  r.ebx = static_cast<uint32_t>(out[1]);
  r.ecx = static_cast<uint32_t>(out[2]);
  r.edx = static_cast<uint32_t>(out[3]);
#  else
  __cpuid_count(leaf, subleaf, r.eax, r.ebx, r.ecx, r.edx);
#  endif
  return r;
}

// XCR0: which register states the OS saves on a context switch. Only valid when
// CPUID.1:ECX.OSXSAVE says the OS enabled XSAVE; the caller checks that first, because
// executing xgetbv without it raises #UD.
uint64_t xgetbv0() {
#  if defined(_MSC_VER) && !defined(__clang__)
  return _xgetbv(0);
#  else
  // Inline asm rather than _xgetbv(): the intrinsic needs -mxsave, and this file must not
  // carry ISA flags. The assembler accepts the mnemonic regardless of -m options.
  uint32_t lo, hi;
  __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
  return (static_cast<uint64_t>(hi) << 32) | lo;
#  endif
}

bool bit(uint32_t reg, int n) { return ((reg >> n) & 1u) != 0; }

uint64_t probe() {
  const uint32_t max_leaf = cpuid(0, 0).eax;
  if (max_leaf < 1) return 0;

  const CpuidRegs l1 = cpuid(1, 0);
  const bool fma = bit(l1.ecx, 12);
  const bool osxsave = bit(l1.ecx, 27);
  const bool avx = bit(l1.ecx, 28);
  const bool f16c = bit(l1.ecx, 29);

  // A CPU can have AVX while the OS does not save YMM (or ZMM) registers: the instructions
  // would then corrupt state across context switches, so the OS check gates everything.
  bool os_ymm = false;
  bool os_zmm = false;
  if (osxsave) {
    const uint64_t xcr0 = xgetbv0();
    // bit 1 = SSE (XMM), bit 2 = AVX (upper halves of YMM).
    os_ymm = (xcr0 & 0x6) == 0x6;
    // bit 5 = opmask k0-k7, bit 6 = upper 256 bits of ZMM0-15, bit 7 = ZMM16-31.
    os_zmm = os_ymm && (xcr0 & 0xE0) == 0xE0;
    // macOS enables the AVX-512 state lazily on first use, so XCR0 may not show it yet and
    // AVX-512 is under-reported there: the safe direction (the AVX2 path still runs).
  }
  const bool avx_usable = avx && os_ymm;

  uint64_t mask = 0;
  if (avx_usable && fma) mask |= WHITTLE_CPU_FMA;
  if (avx_usable && f16c) mask |= WHITTLE_CPU_F16C;

  if (max_leaf >= 7) {
    const CpuidRegs l7 = cpuid(7, 0);
    if (avx_usable && bit(l7.ebx, 5)) mask |= WHITTLE_CPU_AVX2;
    if (avx_usable && os_zmm) {
      const bool avx512f = bit(l7.ebx, 16);
      if (avx512f) {
        mask |= WHITTLE_CPU_AVX512F;
        // BW/VL/VNNI are extensions of the EVEX encoding; without F they mean nothing.
        if (bit(l7.ebx, 30)) mask |= WHITTLE_CPU_AVX512BW;
        if (bit(l7.ebx, 31)) mask |= WHITTLE_CPU_AVX512VL;
        if (bit(l7.ecx, 11)) mask |= WHITTLE_CPU_AVX512_VNNI;
        // vpermb / vpermt2b (byte permutes across the whole register): Ice Lake, Zen 4; not
        // Skylake-X or Cascade Lake, which have VNNI.
        if (bit(l7.ecx, 1)) mask |= WHITTLE_CPU_AVX512_VBMI;
        // vpcompressb / vpexpandb: Ice Lake, Zen 4 (Cannon Lake has VBMI without it).
        if (bit(l7.ecx, 6)) mask |= WHITTLE_CPU_AVX512_VBMI2;
      }
    }
    // Leaf 7 EAX = highest valid subleaf. AVX-VNNI (the VEX-encoded vpdpbusd on YMM,
    // e.g. Alder Lake cores without AVX-512) is subleaf 1 EAX bit 4.
    if (l7.eax >= 1) {
      const CpuidRegs l7s1 = cpuid(7, 1);
      if (avx_usable && bit(l7s1.eax, 4)) mask |= WHITTLE_CPU_AVX_VNNI;
    }
  }
  return mask;
}

#elif defined(WHITTLE_PROBE_AARCH64)

#  if defined(__linux__)
// Values from the Linux arm64 uapi (asm/hwcap.h), spelled out so that older sysroots whose
// headers predate them still build; the kernel ABI keeps these bits fixed.
#    ifndef AT_HWCAP2
#      define AT_HWCAP2 26
#    endif
#    ifndef HWCAP_ASIMDDP
#      define HWCAP_ASIMDDP (1UL << 20)
#    endif
#    ifndef HWCAP2_I8MM
#      define HWCAP2_I8MM (1UL << 13)
#    endif
#  endif

uint64_t probe() {
  // Advanced SIMD is mandatory in the AArch64 execution state (and the AAPCS64 passes
  // vectors in its registers), so every aarch64 process has NEON.
  uint64_t mask = WHITTLE_CPU_NEON;
#  if defined(__linux__)
  // User space cannot read the ID_AA64* registers directly on every kernel; the kernel
  // publishes them as HWCAP bits in the auxiliary vector instead.
  const unsigned long hwcap = getauxval(AT_HWCAP);
  const unsigned long hwcap2 = getauxval(AT_HWCAP2);
  if (hwcap & HWCAP_ASIMDDP) mask |= WHITTLE_CPU_DOTPROD;
  if (hwcap2 & HWCAP2_I8MM) mask |= WHITTLE_CPU_I8MM;
#  endif
  return mask;
}

#else

uint64_t probe() { return 0; }

#endif

}  // namespace

extern "C" uint64_t whittle_cpu_features(void) { return probe(); }
