package dev.whittle.internal.vectorization;

import dev.whittle.runtime.kernels.reference.RuyMath;
import dev.whittle.runtime.quant.FixedPoint;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The plain-Java twin of {@link PanamaInt8LutKernels}: {@link ScalarInt8GemmKernels} with each
 * weight looked up from its 4-bit index ({@link Int8LutGemm}). One per node. Tiles of 8 channels.
 */
final class ScalarInt8LutKernels implements Int8GemmKernels {
    private static final int NR = 8;
    private final byte[] indices;
    private final int[] table;
    private final int rowsPerTile;

    ScalarInt8LutKernels(byte[] indices, int[] table, int k) {
        this.indices = indices;
        this.table = table;
        this.rowsPerTile = (k + 1) / 2;
    }

    @Override
    public int nr() {
        return NR;
    }

    @Override
    public long tmpBytes() {
        return 0;
    }

    @Override
    public void run(Int8Gemm g, int tile, int rows, MemorySegment a, long aOff, long aStride, MemorySegment rowSums,
            long rowSumsOff, MemorySegment out, long outOff, long outStride, MemorySegment tmp, long tmpOff) {
        int k = g.k;
        int c0 = tile * NR;
        int cols = Math.min(NR, g.n - c0);
        int base = tile * rowsPerTile * NR;
        for (int r = 0; r < rows; r++) {
            long row = aOff + r * aStride;
            int rowTerm = g.rowOffset == 0 ? 0 : g.rowOffset * rowSums.get(ValueLayout.JAVA_INT_UNALIGNED,
                    rowSumsOff + 4L * r);
            for (int j = 0; j < cols; j++) {
                int acc = 0;
                for (int i = 0; i < k; i++) {
                    byte b = a.get(ValueLayout.JAVA_BYTE, row + i);
                    int x = g.unsignedInput ? b & 0xFF : b;
                    int index = (indices[base + (i >> 1) * NR + j] >> ((i & 1) * 4)) & 15;
                    acc += x * table[index];
                }
                int c = c0 + j;
                acc += g.constants[c] + rowTerm;
                int v = g.ruy ? RuyMath.multiplyByQuantizedMultiplier(acc, g.multipliers[c], g.shifts[c])
                        : FixedPoint.multiplyByQuantizedMultiplier(acc, g.multipliers[c], g.shifts[c]);
                v = Math.min(Math.max(v + g.outputOffset, g.actMin), g.actMax);
                out.set(ValueLayout.JAVA_BYTE, outOff + r * outStride + c, (byte) v);
            }
        }
    }
}
