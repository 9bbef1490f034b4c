package dev.whittle.internal.vectorization;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/** The plain-Java twin of {@link PanamaFloat32ConvKernels}: the same fused steps, one lane at a time. */
final class ScalarFloat32ConvKernels implements Float32ConvKernels {
    static final ScalarFloat32ConvKernels INSTANCE = new ScalarFloat32ConvKernels();
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private ScalarFloat32ConvKernels() {
    }

    @Override
    public int nr() {
        return 16;
    }

    @Override
    public int lanes() {
        return 8;
    }

    @Override
    public String isa() {
        return "scalar";
    }

    @Override
    public void gemmTile(float[] a, int aOff, int mr, int k, float[] w, int wOff, float[] bias, int biasOff,
            MemorySegment out, long outOff, long outStride, int nc, float min, float max, float[] tile) {
        tile(a, aOff, mr, k, w, wOff, bias, biasOff, out, outOff, outStride, nc, min, max, nr());
    }

    @Override
    public void gemmTileNarrow(float[] a, int aOff, int mr, int k, float[] w, int wOff, float[] bias, int biasOff,
            MemorySegment out, long outOff, long outStride, int nc, float min, float max, float[] tile) {
        tile(a, aOff, mr, k, w, wOff, bias, biasOff, out, outOff, outStride, nc, min, max, lanes());
    }

    private static void tile(float[] a, int aOff, int mr, int k, float[] w, int wOff, float[] bias, int biasOff,
            MemorySegment out, long outOff, long outStride, int nc, float min, float max, int nr) {
        for (int r = 0; r < mr; r++) {
            for (int j = 0; j < nc; j++) {
                float acc = 0f;
                for (int i = 0; i < k; i++) {
                    acc = Math.fma(a[aOff + r * k + i], w[wOff + i * nr + j], acc);
                }
                out.set(F32, outOff + r * outStride + 4L * j, Math.min(Math.max(acc + bias[biasOff + j], min), max));
            }
        }
    }

    @Override
    public void depthwisePixel(MemorySegment in, long[] inOffs, float[] w, int[] wOffs, int taps, int c, float[] bias,
            MemorySegment out, long outOff, float min, float max) {
        for (int ch = 0; ch < c; ch++) {
            float acc = 0f;
            for (int t = 0; t < taps; t++) {
                acc = Math.fma(in.get(F32, inOffs[t] + 4L * ch), w[wOffs[t] + ch], acc);
            }
            out.set(F32, outOff + 4L * ch, Math.min(Math.max(acc + bias[ch], min), max));
        }
    }

    @Override
    public void depthwise4(MemorySegment in, long[] rowOffs, int[] wRows, int nrows, int kw, long tapStep,
            long pixStep, float[] w, int cp, int c, float[] bias, MemorySegment out, long outOff, float min,
            float max) {
        for (int j = 0; j < 4; j++) {
            for (int ch = 0; ch < c; ch++) {
                float acc = 0f;
                for (int i = 0; i < nrows; i++) {
                    for (int fx = 0; fx < kw; fx++) {
                        acc = Math.fma(in.get(F32, rowOffs[i] + fx * tapStep + j * pixStep + 4L * ch),
                                w[wRows[i] + fx * cp + ch], acc);
                    }
                }
                out.set(F32, outOff + 4L * (j * c + ch), Math.min(Math.max(acc + bias[ch], min), max));
            }
        }
    }
}
