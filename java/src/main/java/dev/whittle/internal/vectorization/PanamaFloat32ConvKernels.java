package dev.whittle.internal.vectorization;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * float32 convolution loops on the Vector API: a GEMM tile of 4 pixels x 2 vectors of output
 * channels (8 accumulators, each weight vector loaded once for four pixels, each input value
 * broadcast once for two vectors), and depthwise pixels one vector of channels at a time.
 * {@code FloatVector.fma} compiles to {@code vfmadd231ps}: one rounding per term, as in the
 * native kernels and the plain twin.
 */
final class PanamaFloat32ConvKernels implements Float32ConvKernels {
    static final PanamaFloat32ConvKernels INSTANCE = new PanamaFloat32ConvKernels();
    /**
     * 256 bits even where 512 are preferred: Zen 4 splits 512-bit FMAs in two, so wider vectors
     * add no FLOPs, while a 32-channel panel would waste most of MobileNet's 8- and 16-channel
     * layers.
     */
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED.vectorBitSize() >= 256
            ? FloatVector.SPECIES_256 : FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(LE);

    private PanamaFloat32ConvKernels() {
    }

    /** The vector width in bits, for kernel names. */
    static int bits() {
        return S.vectorBitSize();
    }

    @Override
    public int nr() {
        return 2 * L;
    }

    @Override
    public int lanes() {
        return L;
    }

    @Override
    public String isa() {
        return "panama" + bits();
    }

    @Override
    public void gemmTile(float[] a, int aOff, int mr, int k, float[] w, int wOff, float[] bias, int biasOff,
            MemorySegment out, long outOff, long outStride, int nc, float min, float max, float[] tile) {
        // Rows past mr read row 0 again (their results are not stored).
        int a0 = aOff;
        int a1 = aOff + (mr > 1 ? k : 0);
        int a2 = aOff + (mr > 2 ? 2 * k : 0);
        int a3 = aOff + (mr > 3 ? 3 * k : 0);
        FloatVector c00 = FloatVector.zero(S), c01 = FloatVector.zero(S);
        FloatVector c10 = FloatVector.zero(S), c11 = FloatVector.zero(S);
        FloatVector c20 = FloatVector.zero(S), c21 = FloatVector.zero(S);
        FloatVector c30 = FloatVector.zero(S), c31 = FloatVector.zero(S);
        int wi = wOff;
        for (int i = 0; i < k; i++, wi += 2 * L) {
            FloatVector b0 = FloatVector.fromArray(S, w, wi);
            FloatVector b1 = FloatVector.fromArray(S, w, wi + L);
            FloatVector x = FloatVector.broadcast(S, a[a0 + i]);
            c00 = x.fma(b0, c00);
            c01 = x.fma(b1, c01);
            x = FloatVector.broadcast(S, a[a1 + i]);
            c10 = x.fma(b0, c10);
            c11 = x.fma(b1, c11);
            x = FloatVector.broadcast(S, a[a2 + i]);
            c20 = x.fma(b0, c20);
            c21 = x.fma(b1, c21);
            x = FloatVector.broadcast(S, a[a3 + i]);
            c30 = x.fma(b0, c30);
            c31 = x.fma(b1, c31);
        }
        FloatVector bias0 = FloatVector.fromArray(S, bias, biasOff);
        FloatVector bias1 = FloatVector.fromArray(S, bias, biasOff + L);
        long off1 = outOff + 4L * L;
        if (nc == 2 * L) {
            c00.add(bias0).max(min).min(max).intoMemorySegment(out, outOff, LE);
            c01.add(bias1).max(min).min(max).intoMemorySegment(out, off1, LE);
            if (mr > 1) {
                c10.add(bias0).max(min).min(max).intoMemorySegment(out, outOff + outStride, LE);
                c11.add(bias1).max(min).min(max).intoMemorySegment(out, off1 + outStride, LE);
            }
            if (mr > 2) {
                c20.add(bias0).max(min).min(max).intoMemorySegment(out, outOff + 2 * outStride, LE);
                c21.add(bias1).max(min).min(max).intoMemorySegment(out, off1 + 2 * outStride, LE);
            }
            if (mr > 3) {
                c30.add(bias0).max(min).min(max).intoMemorySegment(out, outOff + 3 * outStride, LE);
                c31.add(bias1).max(min).min(max).intoMemorySegment(out, off1 + 3 * outStride, LE);
            }
            return;
        }
        // A partial panel: through the tile array, then nc floats copied (masked vector stores
        // are not intrinsified for every memory segment and fall back to a slow path).
        c00.add(bias0).max(min).min(max).intoArray(tile, 0);
        c01.add(bias1).max(min).min(max).intoArray(tile, L);
        copy(tile, out, outOff, nc);
        if (mr > 1) {
            c10.add(bias0).max(min).min(max).intoArray(tile, 0);
            c11.add(bias1).max(min).min(max).intoArray(tile, L);
            copy(tile, out, outOff + outStride, nc);
        }
        if (mr > 2) {
            c20.add(bias0).max(min).min(max).intoArray(tile, 0);
            c21.add(bias1).max(min).min(max).intoArray(tile, L);
            copy(tile, out, outOff + 2 * outStride, nc);
        }
        if (mr > 3) {
            c30.add(bias0).max(min).min(max).intoArray(tile, 0);
            c31.add(bias1).max(min).min(max).intoArray(tile, L);
            copy(tile, out, outOff + 3 * outStride, nc);
        }
    }

    @Override
    public void gemmTileNarrow(float[] a, int aOff, int mr, int k, float[] w, int wOff, float[] bias, int biasOff,
            MemorySegment out, long outOff, long outStride, int nc, float min, float max, float[] tile) {
        int a0 = aOff;
        int a1 = aOff + (mr > 1 ? k : 0);
        int a2 = aOff + (mr > 2 ? 2 * k : 0);
        int a3 = aOff + (mr > 3 ? 3 * k : 0);
        FloatVector c0 = FloatVector.zero(S);
        FloatVector c1 = FloatVector.zero(S);
        FloatVector c2 = FloatVector.zero(S);
        FloatVector c3 = FloatVector.zero(S);
        int wi = wOff;
        for (int i = 0; i < k; i++, wi += L) {
            FloatVector b = FloatVector.fromArray(S, w, wi);
            c0 = FloatVector.broadcast(S, a[a0 + i]).fma(b, c0);
            c1 = FloatVector.broadcast(S, a[a1 + i]).fma(b, c1);
            c2 = FloatVector.broadcast(S, a[a2 + i]).fma(b, c2);
            c3 = FloatVector.broadcast(S, a[a3 + i]).fma(b, c3);
        }
        FloatVector bv = FloatVector.fromArray(S, bias, biasOff);
        if (nc == L) {
            c0.add(bv).max(min).min(max).intoMemorySegment(out, outOff, LE);
            if (mr > 1) {
                c1.add(bv).max(min).min(max).intoMemorySegment(out, outOff + outStride, LE);
            }
            if (mr > 2) {
                c2.add(bv).max(min).min(max).intoMemorySegment(out, outOff + 2 * outStride, LE);
            }
            if (mr > 3) {
                c3.add(bv).max(min).min(max).intoMemorySegment(out, outOff + 3 * outStride, LE);
            }
            return;
        }
        c0.add(bv).max(min).min(max).intoArray(tile, 0);
        copy(tile, out, outOff, nc);
        if (mr > 1) {
            c1.add(bv).max(min).min(max).intoArray(tile, 0);
            copy(tile, out, outOff + outStride, nc);
        }
        if (mr > 2) {
            c2.add(bv).max(min).min(max).intoArray(tile, 0);
            copy(tile, out, outOff + 2 * outStride, nc);
        }
        if (mr > 3) {
            c3.add(bv).max(min).min(max).intoArray(tile, 0);
            copy(tile, out, outOff + 3 * outStride, nc);
        }
    }

    /** A few floats: a plain loop beats MemorySegment.copy's setup at these sizes. */
    private static void copy(float[] tile, MemorySegment out, long off, int nc) {
        for (int j = 0; j < nc; j++) {
            out.set(F32, off + 4L * j, tile[j]);
        }
    }

    @Override
    public void depthwisePixel(MemorySegment in, long[] inOffs, float[] w, int[] wOffs, int taps, int c, float[] bias,
            MemorySegment out, long outOff, float min, float max) {
        int ch = 0;
        for (; ch + L <= c; ch += L) {
            FloatVector acc = FloatVector.zero(S);
            for (int t = 0; t < taps; t++) {
                acc = FloatVector.fromMemorySegment(S, in, inOffs[t] + 4L * ch, LE)
                        .fma(FloatVector.fromArray(S, w, wOffs[t] + ch), acc);
            }
            acc.add(FloatVector.fromArray(S, bias, ch)).max(min).min(max).intoMemorySegment(out, outOff + 4L * ch, LE);
        }
        if (ch < c) {
            VectorMask<Float> m = S.indexInRange(ch, c);
            FloatVector acc = FloatVector.zero(S);
            for (int t = 0; t < taps; t++) {
                // Weights and bias are padded to whole vectors; the input is not.
                acc = FloatVector.fromMemorySegment(S, in, inOffs[t] + 4L * ch, LE, m)
                        .fma(FloatVector.fromArray(S, w, wOffs[t] + ch), acc);
            }
            acc.add(FloatVector.fromArray(S, bias, ch)).max(min).min(max)
                    .intoMemorySegment(out, outOff + 4L * ch, LE, m);
        }
    }

    /**
     * Four pixels share each weight vector and keep four independent FMA chains (one pixel's
     * chain alone waits on the FMA latency at every tap).
     */
    @Override
    public void depthwise4(MemorySegment in, long[] rowOffs, int[] wRows, int nrows, int kw, long tapStep,
            long pixStep, float[] w, int cp, int c, float[] bias, MemorySegment out, long outOff, float min,
            float max) {
        long outStep = 4L * c;
        for (int ch = 0; ch < c; ch += L) {
            FloatVector a0 = FloatVector.zero(S);
            FloatVector a1 = FloatVector.zero(S);
            FloatVector a2 = FloatVector.zero(S);
            FloatVector a3 = FloatVector.zero(S);
            long chb = 4L * ch;
            for (int i = 0; i < nrows; i++) {
                long x = rowOffs[i] + chb;
                int wi = wRows[i] + ch;
                for (int fx = 0; fx < kw; fx++, x += tapStep, wi += cp) {
                    FloatVector wv = FloatVector.fromArray(S, w, wi);
                    a0 = FloatVector.fromMemorySegment(S, in, x, LE).fma(wv, a0);
                    a1 = FloatVector.fromMemorySegment(S, in, x + pixStep, LE).fma(wv, a1);
                    a2 = FloatVector.fromMemorySegment(S, in, x + 2 * pixStep, LE).fma(wv, a2);
                    a3 = FloatVector.fromMemorySegment(S, in, x + 3 * pixStep, LE).fma(wv, a3);
                }
            }
            FloatVector b = FloatVector.fromArray(S, bias, ch);
            long o = outOff + chb;
            a0.add(b).max(min).min(max).intoMemorySegment(out, o, LE);
            a1.add(b).max(min).min(max).intoMemorySegment(out, o + outStep, LE);
            a2.add(b).max(min).min(max).intoMemorySegment(out, o + 2 * outStep, LE);
            a3.add(b).max(min).min(max).intoMemorySegment(out, o + 3 * outStep, LE);
        }
    }
}
