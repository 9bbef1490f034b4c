/*
 * CPU features that Whittle's kernels dispatch on, as bits of the mask returned by
 * whittle_cpu_features(). The Java mirror is dev.whittle.CpuFeatures.Feature; a test parses
 * this file and fails if the two disagree, so change both together.
 *
 * A bit is set only when the CPU has the instructions AND the operating system saves the
 * register state they use (YMM for AVX2/FMA/F16C/AVX-VNNI, ZMM plus opmask for AVX-512):
 * a kernel may run whenever its bits are set.
 */
#ifndef WHITTLE_CPU_H_
#define WHITTLE_CPU_H_

#include <stdint.h>

#include "whittle/export.h"

/* x86-64: bits 0..15 */
#define WHITTLE_CPU_AVX2        (UINT64_C(1) << 0)
#define WHITTLE_CPU_FMA         (UINT64_C(1) << 1)
#define WHITTLE_CPU_F16C        (UINT64_C(1) << 2)
#define WHITTLE_CPU_AVX512F     (UINT64_C(1) << 3)
#define WHITTLE_CPU_AVX512BW    (UINT64_C(1) << 4)
#define WHITTLE_CPU_AVX512VL    (UINT64_C(1) << 5)
#define WHITTLE_CPU_AVX512_VNNI (UINT64_C(1) << 6)
#define WHITTLE_CPU_AVX_VNNI    (UINT64_C(1) << 7)
#define WHITTLE_CPU_AVX512_VBMI (UINT64_C(1) << 8)
/* vpcompressb / vpexpandb (issue 9: the LUT kernel's 12-byte tables): Ice Lake, Zen 4. */
#define WHITTLE_CPU_AVX512_VBMI2 (UINT64_C(1) << 9)

/* AArch64: bits 16..31 */
#define WHITTLE_CPU_NEON        (UINT64_C(1) << 16)
#define WHITTLE_CPU_DOTPROD     (UINT64_C(1) << 17)
#define WHITTLE_CPU_I8MM        (UINT64_C(1) << 18)

#ifdef __cplusplus
extern "C" {
#endif

/* Features of the CPU this process runs on; 0 on platforms the probe does not know. */
WHITTLE_API uint64_t whittle_cpu_features(void);

#ifdef __cplusplus
}
#endif

#endif /* WHITTLE_CPU_H_ */
