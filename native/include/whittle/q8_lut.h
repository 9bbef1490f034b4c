/*
 * Whittle: int8/uint8 CONV_2D and FULLY_CONNECTED as a GEMM on LUT-coded clustered weights
 * (at most 16 distinct values per output channel, or 32 with lut5 on AVX-512 VNNI and AVX2): 4-bit
 * indices and a 16-entry byte table per output channel (or one per layer), decoded with byte
 * shuffles in registers (few pixels) or one 16-channel panel at a time into L1 scratch, in the
 * dense kernel's layout, for the dense microkernel (many pixels).
 *
 * The params block is the dense GEMM's (q8_gemm.h: geometry, requantization, per-channel
 * arrays) followed by the LUT fields below; written once at prepare by
 * dev.whittle.runtime.kernels.Q8LutGemm (Java mirrors the offsets).
 */
#ifndef WHITTLE_Q8_LUT_H_
#define WHITTLE_Q8_LUT_H_

#include <stdint.h>

#include "whittle/export.h"
#include "whittle/q8_gemm.h"

#ifdef __cplusplus
extern "C" {
#endif

/* One more per-channel array after the dense ones (channel + np * 4 * WHITTLE_Q8_LUT_CH_COEF):
 * the coefficient of each pixel's activation sum (table bias and decode high byte, see the kernel). */
enum { WHITTLE_Q8_LUT_CH_COEF = 9, WHITTLE_Q8_LUT_CH_COUNT = 10 };

/* 320 bytes. `gemm.weights` is unused; gemm.kp is K rounded up to 8. */
typedef struct whittle_q8_lut_params {
  whittle_q8_gemm_params gemm;
  int64_t indices;      /* per channel pair: blocks of 32 K, 32 bytes each (see the kernel file) */
  int64_t tables;       /* per channel pair: 32 bytes, the two channels' 16-byte tables */
  int32_t table_stride; /* 32 (8x2c8) or 256 per 16-channel panel (4x16c2, 8x16c4); 0: one shared table block */
  int32_t blocks;       /* 32-K blocks per channel pair: ceil(K / 32) */
  int64_t bits;         /* lut5 (AVX-512 VNNI, AVX2): bit 4 of every index, one bit per decoded weight */
  int32_t index_bits;   /* 4, or 5 (lut5: tables of 32 entries, hi half after the lo half) */
  /* 0: 16-byte tables; 1: 12-byte tables (lut4vbmi2 only, table_stride 192 per panel: 8 bytes
   * of low nibbles and a 32-bit unary code of the high nibbles per channel, see
   * q8_lut_8x16c4_avx512.h compact_tables); 2: 12-byte tables in the slot form of
   * kernels/q8_lut_compact_avx2.h (table_stride 192: codes, low nibbles A, low nibbles B, 16 dword
   * slots each), rebuilt per 16-channel group on the stack (AVX2 lut4_4x16c2 / lut4_8x2c8, VNNI
   * lut4_4x16c16, and lut4_8x16c4 / lut4vbmi where lut4vbmi2 does not run; NEON lut4_4x16c4 /
   * lut4_4x16c16 via kernels/q8_lut_compact_neon.h) */
  int32_t table_format;
  int32_t reserved[6];
} whittle_q8_lut_params;

#define WHITTLE_Q8_LUT_SIGNATURE(name)                                                      \
  WHITTLE_API void name(const whittle_q8_lut_params* params, const uint8_t* input,          \
                        uint8_t* output, void* scratch, int32_t m0, int32_t m1, int32_t n0, \
                        int32_t n1)

/* Every LUT kernel variant exports six entry points of that signature: qs8, qs8_qc8w and qu8, for
 * CONV_2D and for FULLY_CONNECTED (the differences are in the params block). */
#define WHITTLE_Q8_LUT_DECLS(variant)                                 \
  WHITTLE_Q8_LUT_SIGNATURE(whittle_qs8_conv2d_##variant);               \
  WHITTLE_Q8_LUT_SIGNATURE(whittle_qs8_qc8w_conv2d_##variant);          \
  WHITTLE_Q8_LUT_SIGNATURE(whittle_qu8_conv2d_##variant);               \
  WHITTLE_Q8_LUT_SIGNATURE(whittle_qs8_fully_connected_##variant);      \
  WHITTLE_Q8_LUT_SIGNATURE(whittle_qs8_qc8w_fully_connected_##variant); \
  WHITTLE_Q8_LUT_SIGNATURE(whittle_qu8_fully_connected_##variant);

#ifdef __cplusplus
/* Their definitions in a kernel file, each forwarding to the file's run() (use at file scope). */
#define WHITTLE_Q8_LUT_ENTRY_(name) \
  extern "C" WHITTLE_Q8_LUT_SIGNATURE(name) { run(params, input, output, scratch, m0, m1, n0, n1); }
#define WHITTLE_Q8_LUT_ENTRIES(variant)                              \
  WHITTLE_Q8_LUT_ENTRY_(whittle_qs8_conv2d_##variant)                \
  WHITTLE_Q8_LUT_ENTRY_(whittle_qs8_qc8w_conv2d_##variant)           \
  WHITTLE_Q8_LUT_ENTRY_(whittle_qu8_conv2d_##variant)                \
  WHITTLE_Q8_LUT_ENTRY_(whittle_qs8_fully_connected_##variant)       \
  WHITTLE_Q8_LUT_ENTRY_(whittle_qs8_qc8w_fully_connected_##variant)  \
  WHITTLE_Q8_LUT_ENTRY_(whittle_qu8_fully_connected_##variant)
#endif

/* AVX2: 8 pixels x 2 channels, 8 K of a channel per 128-bit lane (vpshufb + vpmaddwd). */
WHITTLE_Q8_LUT_DECLS(lut4_8x2c8__avx2)

/* AVX2, 1..7 pixels (issue 9, session 11): the 8x2c8 format decoded to weight bytes (1 vpshufb per
 * 32), vpmaddubsw against activations split into nibbles once per call. */
WHITTLE_Q8_LUT_DECLS(lut4_4x2c16__avx2)

/* AVX2, many pixels: 16-channel panels decoded into scratch (4 vpshufb + 3 vpblendd per K pair),
 * the dense 4x16c2 microkernel over them. Index and table layout in the kernel file. */
WHITTLE_Q8_LUT_DECLS(lut4_4x16c2__avx2)

/* AVX2 lut5 (issue 9, session 13): the 4x16c2 panel kernel with 5-bit indices (index_bits 5):
 * tables of 32 entries (table_stride 512 per panel), bit 4 as a bitplane of 4 bytes per K pair. */
WHITTLE_Q8_LUT_DECLS(lut5_4x16c2__avx2)

/* AVX2 lut5, 1..15 pixels (session 13): the 4x2c16 kernel with index_bits 5: pair tables of 64
 * bytes (entries 16..31 at 32), 8 bytes of bit-4 bitplane per pair and 32-K block. */
WHITTLE_Q8_LUT_DECLS(lut5_4x2c16__avx2)

/* AVX-512 VNNI: 16-channel panels decoded (1 + 3 masked vpshufb per 64 weights) into scratch for
 * blocks of more than 8 pixels, in registers for fewer; the dense 8x16c4 microkernel. */
WHITTLE_Q8_LUT_DECLS(lut4_8x16c4__avx512vnni)

/* AVX-512 VNNI + VBMI (dispatched only where the CPU has AVX512_VBMI): the same format, the
 * per-channel tables looked up by vpermi2b, 8 channels per op (2 per 64 weights, not 4 vpshufb). */
WHITTLE_Q8_LUT_DECLS(lut4vbmi_16x16c4__avx512vnni)

/* AVX-512 VNNI + VBMI + VBMI2 (issue 9, table bytes): the lut4vbmi kernel on 12-byte per-channel
 * tables (table_format 1), expanded per panel with vpcompressb; same indices. */
WHITTLE_Q8_LUT_DECLS(lut4vbmi2_16x16c4__avx512vnni)

/* AVX-512 VNNI, few pixels: one channel per 128-bit lane (c16), 1 vpshufb per 64 weights. */
/* lut5 (same code, index_bits = 5): up to 32 values per channel, the 5th index bit as a mask. */
WHITTLE_Q8_LUT_DECLS(lut5_4x16c16__avx512vnni)
WHITTLE_Q8_LUT_DECLS(lut5_8x16c4__avx512vnni)
WHITTLE_Q8_LUT_DECLS(lut4_4x16c16__avx512vnni)

/* NEON DotProd (AArch64; issue 9, NEON weight formats): the VNNI panel format, 16-channel panels
 * decoded with TBL into scratch, the dense 4x16c4 NEON microkernel over them. */
WHITTLE_Q8_LUT_DECLS(lut4_4x16c4__neondot)

/* NEON DotProd, few pixels: the VNNI c16 format, one vqtbl1q_s8 per 16 weights straight into sdot. */
WHITTLE_Q8_LUT_DECLS(lut4_4x16c16__neondot)

/* NEON DotProd lut5 (session 13): the c16 kernel with index_bits 5 (the VNNI lut5 c16 format),
 * one vqtbl2q_s8 per 16 weights on the 32-entry table; every M. */
WHITTLE_Q8_LUT_DECLS(lut5_4x16c16__neondot)

#ifdef __cplusplus
}
#endif

#endif /* WHITTLE_Q8_LUT_H_ */
