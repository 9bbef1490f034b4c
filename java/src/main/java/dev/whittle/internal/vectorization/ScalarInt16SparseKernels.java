package dev.whittle.internal.vectorization;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/** The plain-Java twin of {@code PanamaInt16SparseKernels}: per row, per channel, its non-zeros in a long sum. */
final class ScalarInt16SparseKernels implements Int16SparseGemm.Kernels {
    private final Int16SparseGemm s;

    ScalarInt16SparseKernels(Int16SparseGemm s) {
        this.s = s;
    }

    @Override
    public int lanes() {
        return 1;
    }

    @Override
    public long tmpBytes() {
        return 0;
    }

    @Override
    public void runBlock(int rows, MemorySegment mem, long a, int c0, int c1, long out, long tmp) {
        int k = s.k;
        for (int r = 0; r < rows; r++) {
            long row = a + 2L * r * k;
            for (int c = c0; c < c1; c++) {
                long acc = s.bias[c];
                if (s.indices != null) {
                    int kb = (k + 1) / 2;
                    for (int i = 0; i < k; i++) {
                        int idx = (s.indices[c * kb + i / 2] >> (4 * (i & 1))) & 15;
                        acc += (long) mem.get(ValueLayout.JAVA_SHORT_UNALIGNED, row + 2L * i) * s.tables[c * 16 + idx];
                    }
                } else if (s.positions != null) {
                    int groups = k / 4;
                    for (int g = 0; g < groups; g++) {
                        int p = s.positions[c * groups + g];
                        int v = 2 * (c * groups + g);
                        acc += (long) mem.get(ValueLayout.JAVA_SHORT_UNALIGNED, row + 2L * (4 * g + (p & 3)))
                                * s.value[v];
                        acc += (long) mem.get(ValueLayout.JAVA_SHORT_UNALIGNED, row + 2L * (4 * g + ((p >> 2) & 3)))
                                * s.value[v + 1];
                    }
                } else {
                    for (int j = s.start[c]; j < s.start[c + 1]; j++) {
                        acc += (long) mem.get(ValueLayout.JAVA_SHORT_UNALIGNED, row + 2L * s.index[j]) * s.value[j];
                    }
                }
                mem.set(ValueLayout.JAVA_SHORT_UNALIGNED, out + 2L * ((long) r * s.n + c), (short) s.output(acc, c));
            }
        }
    }
}
