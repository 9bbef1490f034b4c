package dev.whittle.internal.vectorization;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The plain-Java twin of {@code PanamaInt16Kernels}: one output at a time, int64 sums, the
 * output stages straight from the reference ({@link Int16Gemm#output}, {@link Int16Depthwise#output}).
 * Tiles of 8 channels; depthwise "lanes" of 8.
 */
final class ScalarInt16Kernels implements Int16Kernels {
    static final ScalarInt16Kernels INSTANCE = new ScalarInt16Kernels();
    private static final int NR = 8;

    private ScalarInt16Kernels() {
    }

    @Override
    public int nr() {
        return NR;
    }

    @Override
    public int lanes() {
        return NR;
    }

    @Override
    public long tmpBytes() {
        return 0;
    }

    @Override
    public void gemm(Int16Gemm g, int tile, int rows, MemorySegment a, long aOff, long aStride, MemorySegment out,
            long outOff, long outStride, MemorySegment tmp, long tmpOff) {
        int k = g.k;
        int c0 = tile * NR;
        int cols = Math.min(NR, g.n - c0);
        byte[] w = g.packed;
        int wBase = tile * k * NR;
        for (int r = 0; r < rows; r++) {
            long row = aOff + r * aStride;
            for (int j = 0; j < cols; j++) {
                long acc = 0;
                for (int i = 0; i < k; i++) {
                    acc += a.get(ValueLayout.JAVA_SHORT_UNALIGNED, row + 2L * i) * w[wBase + i * NR + j];
                }
                out.set(ValueLayout.JAVA_SHORT_UNALIGNED, outOff + r * outStride + 2L * (c0 + j),
                        (short) g.output(acc, c0 + j));
            }
        }
    }

    @Override
    public void depthwise(Int16Depthwise d, MemorySegment in, long inOff, MemorySegment out, long outOff, int b,
            int oy, int ox0, int ox1, MemorySegment tmp, long tmpOff) {
        int c = d.c;
        for (int ox = ox0; ox < ox1; ox++) {
            long dst = outOff + 2L * (((long) b * d.outH + oy) * d.outW + ox) * c;
            for (int ch = 0; ch < c; ch++) {
                long acc = 0;
                for (int fy = 0; fy < d.kh; fy++) {
                    int iy = oy * d.strideH - d.padH + d.dilH * fy;
                    if (iy < 0 || iy >= d.inH) {
                        continue;
                    }
                    for (int fx = 0; fx < d.kw; fx++) {
                        int ix = ox * d.strideW - d.padW + d.dilW * fx;
                        if (ix < 0 || ix >= d.inW) {
                            continue;
                        }
                        long src = inOff + 2L * ((((long) b * d.inH + iy) * d.inW + ix) * c + ch);
                        acc += in.get(ValueLayout.JAVA_SHORT_UNALIGNED, src) * d.weights[(fy * d.kw + fx) * d.cp + ch];
                    }
                }
                out.set(ValueLayout.JAVA_SHORT_UNALIGNED, dst + 2L * ch, (short) d.output(acc, ch));
            }
        }
    }
}
