// int8/uint8 CONV_2D and FULLY_CONNECTED as a GEMM on LUT-coded clustered weights, AVX-512
// VNNI: the dense 8x16c4 microkernel on weights decoded from 4-bit indices with vpshufb, one
// 16-channel panel at a time (format, decode and the two uses: q8_lut_8x16c4_avx512.h).
#include "q8_lut_8x16c4_avx512.h"

WHITTLE_Q8_LUT_ENTRIES(lut4_8x16c4__avx512vnni)
WHITTLE_Q8_LUT_ENTRIES(lut5_8x16c4__avx512vnni)
