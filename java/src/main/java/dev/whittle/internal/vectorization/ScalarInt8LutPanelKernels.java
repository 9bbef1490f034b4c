package dev.whittle.internal.vectorization;

import dev.whittle.runtime.kernels.reference.RuyMath;
import dev.whittle.runtime.quant.FixedPoint;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The plain-Java twin of {@link PanamaInt8LutPanelKernels} ({@code lut4pc}, {@code lut5},
 * {@code lut5pc} {@code _4x8__scalar}): {@link ScalarInt8GemmKernels} with each weight looked
 * up in its channel's (or the layer's) table from its 4- or 5-bit index ({@link Int8LutPanelGemm}).
 * One per node. Tiles of 8 channels.
 */
final class ScalarInt8LutPanelKernels implements Int8GemmKernels {
    static final int NR = 8;
    private final Int8LutPanelGemm lut;

    ScalarInt8LutPanelKernels(Int8LutPanelGemm lut) {
        this.lut = lut;
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
        for (int r = 0; r < rows; r++) {
            long row = aOff + r * aStride;
            int rowTerm = g.rowOffset == 0 ? 0 : g.rowOffset * rowSums.get(ValueLayout.JAVA_INT_UNALIGNED,
                    rowSumsOff + 4L * r);
            for (int j = 0; j < cols; j++) {
                int c = c0 + j;
                int acc = 0;
                for (int i = 0; i < k; i++) {
                    byte b = a.get(ValueLayout.JAVA_BYTE, row + i);
                    int x = g.unsignedInput ? b & 0xFF : b;
                    acc += x * lut.weight(c, i);
                }
                acc += g.constants[c] + rowTerm;
                int v = g.ruy ? RuyMath.multiplyByQuantizedMultiplier(acc, g.multipliers[c], g.shifts[c])
                        : FixedPoint.multiplyByQuantizedMultiplier(acc, g.multipliers[c], g.shifts[c]);
                v = Math.min(Math.max(v + g.outputOffset, g.actMin), g.actMax);
                out.set(ValueLayout.JAVA_BYTE, outOff + r * outStride + c, (byte) v);
            }
        }
    }
}
