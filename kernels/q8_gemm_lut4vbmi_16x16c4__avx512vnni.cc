// int8/uint8 CONV_2D and FULLY_CONNECTED as a GEMM on LUT-coded clustered weights, AVX-512
// VNNI + VBMI: q8_gemm_lut4_8x16c4__avx512vnni's kernel (same params block, indices and
// tables, written by Q8LutGemm.java) with the per-channel tables looked up by vpermi2b, 8
// channels per op: 2 vpermi2b per 64 weights instead of 4 vpshufb (q8_lut_8x16c4_avx512.h).
//
// vpermi2b is AVX512_VBMI, which the avx512vnni ISA flags do not include (Cascade Lake has VNNI
// without VBMI): this whole TU is compiled for it, and Java binds these symbols only where
// CpuFeatures reports AVX512_VBMI (Q8LutGemm.vbmi).
// The lut4vbmi2 symbols (12-byte tables, vpcompressb: AVX512_VBMI2) run the same code on
// table_format 1; Java binds them only where CpuFeatures reports AVX512_VBMI2 too (issue 9).
#pragma GCC target("avx512vbmi,avx512vbmi2")
#define WHITTLE_Q8_LUT_VBMI 1
#include "q8_lut_8x16c4_avx512.h"

WHITTLE_Q8_LUT_ENTRIES(lut4vbmi_16x16c4__avx512vnni)

// --- 12-byte tables (issue 9, table bytes): same code, table_format 1 ---
WHITTLE_Q8_LUT_ENTRIES(lut4vbmi2_16x16c4__avx512vnni)
