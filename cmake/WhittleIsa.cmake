# Per-ISA compiler flag sets for Whittle's kernels (GCC and Clang).
#
# An "ISA" here is the suffix after the double underscore in a kernel name
# (qs8_gemm_minmax_4x8c8__avx2): a set of compiler flags, the CPU features (bits of
# native/include/whittle/cpu.h) a CPU must report before a kernel built with those flags may
# run, and a small intrinsic program that proves this toolchain (compiler AND assembler)
# accepts them. Flags are applied to single kernel files only (see kernels/CMakeLists.txt);
# the library's own sources, the CPU probe above all, never get them.
#
# Each flag set enables exactly the features in its _FEATURES list, nothing more: if the
# compiler may emit an instruction that the probe does not check (e.g. AVX512DQ), a kernel
# could fault with SIGILL on a CPU that passes dispatch.

include_guard(GLOBAL)
include(CheckCXXSourceCompiles)
include(CMakePushCheckState)

# scalar: portable C++, no flags, builds everywhere. The reference twin of every fast kernel.
set(WHITTLE_ISA_scalar_ARCH any)
set(WHITTLE_ISA_scalar_FLAGS "")
set(WHITTLE_ISA_scalar_FEATURES "")
set(WHITTLE_ISA_scalar_PROBE "int main() { return 0; }")

# Haswell and later, Zen 1 and later.
set(WHITTLE_ISA_avx2_ARCH x86)
set(WHITTLE_ISA_avx2_FLAGS -mavx2 -mfma -mf16c)
set(WHITTLE_ISA_avx2_FEATURES AVX2 FMA F16C)
set(WHITTLE_ISA_avx2_PROBE [=[
#include <immintrin.h>
int main() {
  __m256 a = _mm256_fmadd_ps(_mm256_set1_ps(1.0f), _mm256_set1_ps(2.0f), _mm256_set1_ps(3.0f));
  __m128i h = _mm256_cvtps_ph(a, 0);
  __m256i b = _mm256_maddubs_epi16(_mm256_set1_epi8(1), _mm256_set1_epi8(2));
  return _mm_cvtsi128_si32(h) + _mm256_extract_epi32(b, 0);
}
]=])

# Skylake-SP / Zen 4 EVEX with byte/word ops and 128/256-bit EVEX forms.
set(WHITTLE_ISA_avx512_ARCH x86)
set(WHITTLE_ISA_avx512_FLAGS -mavx2 -mfma -mf16c -mavx512f -mavx512bw -mavx512vl)
set(WHITTLE_ISA_avx512_FEATURES AVX2 FMA F16C AVX512F AVX512BW AVX512VL)
set(WHITTLE_ISA_avx512_PROBE [=[
#include <immintrin.h>
int main() {
  __m512i a = _mm512_maddubs_epi16(_mm512_set1_epi8(1), _mm512_set1_epi8(2));
  __m256i b = _mm256_maskz_mov_epi32((__mmask8)0x0F, _mm256_set1_epi32(3));
  return _mm512_reduce_add_epi32(a) + _mm256_extract_epi32(b, 0);
}
]=])

# Cascade Lake / Ice Lake / Zen 4: vpdpbusd on ZMM, the int8 dot product in one instruction.
set(WHITTLE_ISA_avx512vnni_ARCH x86)
set(WHITTLE_ISA_avx512vnni_FLAGS ${WHITTLE_ISA_avx512_FLAGS} -mavx512vnni)
set(WHITTLE_ISA_avx512vnni_FEATURES ${WHITTLE_ISA_avx512_FEATURES} AVX512_VNNI)
set(WHITTLE_ISA_avx512vnni_PROBE [=[
#include <immintrin.h>
int main() {
  __m512i acc = _mm512_dpbusd_epi32(_mm512_setzero_si512(), _mm512_set1_epi8(1), _mm512_set1_epi8(2));
  return _mm512_reduce_add_epi32(acc);
}
]=])

# Alder Lake and later client cores, which dropped AVX-512: vpdpbusd VEX-encoded on YMM.
set(WHITTLE_ISA_avxvnni_ARCH x86)
set(WHITTLE_ISA_avxvnni_FLAGS ${WHITTLE_ISA_avx2_FLAGS} -mavxvnni)
set(WHITTLE_ISA_avxvnni_FEATURES ${WHITTLE_ISA_avx2_FEATURES} AVX_VNNI)
set(WHITTLE_ISA_avxvnni_PROBE [=[
#include <immintrin.h>
int main() {
  __m256i acc = _mm256_dpbusd_avx_epi32(_mm256_setzero_si256(), _mm256_set1_epi8(1), _mm256_set1_epi8(2));
  return _mm256_extract_epi32(acc, 0);
}
]=])

# AArch64 baseline: Advanced SIMD is architectural, so no flags are needed.
set(WHITTLE_ISA_neon_ARCH aarch64)
set(WHITTLE_ISA_neon_FLAGS "")
set(WHITTLE_ISA_neon_FEATURES NEON)
set(WHITTLE_ISA_neon_PROBE [=[
#include <arm_neon.h>
int main() { return vaddvq_s32(vdupq_n_s32(1)); }
]=])

# Cortex-A55/A75 and later, Apple M1: sdot/udot, four int8 products per 32-bit lane.
set(WHITTLE_ISA_neondot_ARCH aarch64)
set(WHITTLE_ISA_neondot_FLAGS -march=armv8.2-a+dotprod)
set(WHITTLE_ISA_neondot_FEATURES NEON DOTPROD)
set(WHITTLE_ISA_neondot_PROBE [=[
#include <arm_neon.h>
int main() { return vaddvq_s32(vdotq_s32(vdupq_n_s32(0), vdupq_n_s8(1), vdupq_n_s8(2))); }
]=])

# Neoverse V1/N2, Cortex-A510/A710, Apple M2: smmla, a 2x8 by 8x2 int8 matrix product.
set(WHITTLE_ISA_neoni8mm_ARCH aarch64)
set(WHITTLE_ISA_neoni8mm_FLAGS -march=armv8.2-a+dotprod+i8mm)
set(WHITTLE_ISA_neoni8mm_FEATURES NEON DOTPROD I8MM)
set(WHITTLE_ISA_neoni8mm_PROBE [=[
#include <arm_neon.h>
int main() { return vaddvq_s32(vmmlaq_s32(vdupq_n_s32(0), vdupq_n_s8(1), vdupq_n_s8(2))); }
]=])

set(WHITTLE_ISAS scalar avx2 avx512 avx512vnni avxvnni neon neondot neoni8mm)

# x86, aarch64 or other, from the TARGET processor (so a toolchain file decides, not the host).
if(CMAKE_SYSTEM_PROCESSOR MATCHES "^(x86_64|AMD64|amd64|x64|i[3-6]86|x86)$")
  set(WHITTLE_TARGET_ARCH x86)
elseif(CMAKE_SYSTEM_PROCESSOR MATCHES "^(aarch64|arm64|ARM64)$")
  set(WHITTLE_TARGET_ARCH aarch64)
else()
  set(WHITTLE_TARGET_ARCH other)
endif()

# whittle_isa_available(<isa> <out-var>): TRUE when <isa> belongs to the target architecture
# and this compiler builds its probe program with its flags. Cached per ISA.
function(whittle_isa_available isa out_var)
  if(NOT DEFINED WHITTLE_ISA_${isa}_ARCH)
    message(FATAL_ERROR "whittle: unknown ISA '${isa}'; known: ${WHITTLE_ISAS}")
  endif()
  set(arch "${WHITTLE_ISA_${isa}_ARCH}")
  if(NOT arch STREQUAL "any" AND NOT arch STREQUAL WHITTLE_TARGET_ARCH)
    set(${out_var} FALSE PARENT_SCOPE)
    return()
  endif()
  if(NOT isa STREQUAL "scalar" AND NOT CMAKE_CXX_COMPILER_ID MATCHES "GNU|Clang")
    # The flag sets above are GCC/Clang spellings.
    set(${out_var} FALSE PARENT_SCOPE)
    return()
  endif()
  cmake_push_check_state(RESET)
  list(JOIN WHITTLE_ISA_${isa}_FLAGS " " CMAKE_REQUIRED_FLAGS)
  set(CMAKE_REQUIRED_QUIET TRUE)
  check_cxx_source_compiles("${WHITTLE_ISA_${isa}_PROBE}" WHITTLE_TOOLCHAIN_HAS_${isa})
  cmake_pop_check_state()
  if(WHITTLE_TOOLCHAIN_HAS_${isa})
    set(${out_var} TRUE PARENT_SCOPE)
  else()
    set(${out_var} FALSE PARENT_SCOPE)
  endif()
endfunction()
