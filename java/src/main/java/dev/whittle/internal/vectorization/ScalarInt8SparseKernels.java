package dev.whittle.internal.vectorization;

import dev.whittle.runtime.kernels.reference.RuyMath;
import dev.whittle.runtime.quant.FixedPoint;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/** The plain-Java twin of {@link PanamaInt8SparseKernels}: per row, per channel, its non-zeros. Tiles of 4. */
final class ScalarInt8SparseKernels implements Int8GemmKernels, Int8BlockKernels {
    private final Int8SparseGemm s;

    ScalarInt8SparseKernels(Int8SparseGemm s) {
        this.s = s;
    }

    @Override
    public int nr() {
        return 4;
    }

    @Override
    public long tmpBytes() {
        return 0;
    }

    @Override
    public void run(Int8Gemm g, int tile, int rows, MemorySegment a, long aOff, long aStride, MemorySegment rowSums,
            long rowSumsOff, MemorySegment out, long outOff, long outStride, MemorySegment tmp, long tmpOff) {
        throw new UnsupportedOperationException("a block kernel: runBlock");
    }

    @Override
    public void runBlock(int rows, MemorySegment mem, long a, int c0, int c1, long out, long tmp) {
        int mask = s.unsigned ? 0xFF : -1;
        for (int r = 0; r < rows; r++) {
            long row = a + (long) r * s.k;
            for (int c = c0; c < c1; c++) {
                int acc = s.constants[c];
                if (s.sp24) {
                    int groups = s.k / 4;
                    int posBytes = (groups + 1) / 2;
                    for (int g = 0; g < groups; g++) {
                        int nibble = (s.positions[c * posBytes + g / 2] >> (4 * (g & 1))) & 15;
                        int v = (c * groups + g) * 2;
                        acc += (mem.get(ValueLayout.JAVA_BYTE, row + 4 * g + (nibble & 3)) & mask)
                                * ((s.value[v] & s.wmask) + s.wo);
                        acc += (mem.get(ValueLayout.JAVA_BYTE, row + 4 * g + (nibble >> 2)) & mask)
                                * ((s.value[v + 1] & s.wmask) + s.wo);
                    }
                }
                for (int j = s.start[c]; j < s.start[c + 1]; j++) {
                    acc += (mem.get(ValueLayout.JAVA_BYTE, row + s.index[j]) & mask) * ((s.value[j] & s.wmask) + s.wo);
                }
                int v = s.ruy ? RuyMath.multiplyByQuantizedMultiplier(acc, s.multipliers[c], s.shifts[c])
                        : FixedPoint.multiplyByQuantizedMultiplier(acc, s.multipliers[c], s.shifts[c]);
                v = Math.min(Math.max(v + s.outputOffset, s.actMin), s.actMax);
                mem.set(ValueLayout.JAVA_BYTE, out + (long) r * s.n + c, (byte) v);
            }
        }
    }
}
