package dev.whittle.internal.vectorization;

import dev.whittle.runtime.kernels.reference.RuyMath;
import dev.whittle.runtime.quant.FixedPoint;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The plain-Java twin of {@link PanamaInt8GemmKernels}: one row and one channel at a time,
 * the output stage straight from the reference ({@link RuyMath}, {@link FixedPoint}). Tiles of
 * 8 channels.
 */
final class ScalarInt8GemmKernels implements Int8GemmKernels {
    static final ScalarInt8GemmKernels INSTANCE = new ScalarInt8GemmKernels();
    private static final int NR = 8;

    private ScalarInt8GemmKernels() {
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
        byte[] w = g.packed;
        int wBase = tile * k * NR;
        for (int r = 0; r < rows; r++) {
            long row = aOff + r * aStride;
            int rowTerm = g.rowOffset == 0 ? 0 : g.rowOffset * rowSums.get(ValueLayout.JAVA_INT_UNALIGNED,
                    rowSumsOff + 4L * r);
            for (int j = 0; j < cols; j++) {
                int acc = 0;
                for (int i = 0; i < k; i++) {
                    byte b = a.get(ValueLayout.JAVA_BYTE, row + i);
                    int x = g.unsignedInput ? b & 0xFF : b;
                    acc += x * w[wBase + i * NR + j];
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
