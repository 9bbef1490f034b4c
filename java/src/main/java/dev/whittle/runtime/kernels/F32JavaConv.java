package dev.whittle.runtime.kernels;

import dev.whittle.internal.vectorization.Float32ConvKernels;
import dev.whittle.runtime.ExecutionState;
import dev.whittle.runtime.Kernel;
import dev.whittle.runtime.ParallelTask;
import dev.whittle.runtime.kernels.reference.ConvKernels;
import dev.whittle.runtime.kernels.reference.ConvParams;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * CONV_2D float32 on the Java path: the GEMM of {@link F32NativeConv} with
 * {@link Float32ConvKernels} tiles of {@link Float32ConvKernels#MR} pixels x {@code nr} channels.
 * Each block of pixels is gathered (im2col, zeros for padding; 1x1 rows copied as they are) into
 * a per-thread array, weights packed at prepare into panels of {@code nr} channels x K. Same
 * summation order and rounding as the native kernel (FMA from 0 in the filter's order, bias
 * last), so it differs from {@link ConvKernels#F32} by rounding only.
 *
 * <p>The gathered rows live in a {@code ThreadLocal} (as in {@link Int8FullyConnected}): the
 * per-worker scratch of the context is native memory, which the Vector API reads no faster than
 * an array and the plain twin reads slower.
 */
public final class F32JavaConv implements Kernel<ConvParams>, ParallelTask<ConvParams> {
    static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final int MR = Float32ConvKernels.MR;

    private final String name;
    private final Float32ConvKernels kernels;
    private final int nr;
    private final int k;
    private final long m;
    private final int panels;
    private final float[] weights;
    private final float[] bias;
    private final ThreadLocal<Scratch> rows;

    /** A thread's gathered rows and one partial panel's results. */
    private static final class Scratch {
        final float[] rows;
        final float[] tile;

        Scratch(int rowFloats, int tileFloats) {
            rows = new float[rowFloats];
            tile = new float[tileFloats];
        }
    }

    private F32JavaConv(Float32ConvKernels kernels, ConvParams p, ByteBuffer filter, ByteBuffer biasData) {
        this.kernels = kernels;
        // Layers of at most one vector of channels (MobileNet's first) use one-vector panels.
        this.nr = p.outC() <= kernels.lanes() ? kernels.lanes() : kernels.nr();
        this.name = "f32_conv2d_gemm_" + MR + "x" + kernels.nr() + "__" + kernels.isa();
        this.k = p.kh() * p.kw() * p.inC();
        this.m = (long) p.batches() * p.outH() * p.outW();
        this.panels = (p.outC() + nr - 1) / nr;
        this.weights = new float[Math.multiplyExact(panels * nr, k)];
        this.bias = new float[panels * nr];
        ByteBuffer w = filter.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        for (int o = 0; o < p.outC(); o++) {
            int base = (o / nr) * k * nr + o % nr;
            for (int i = 0; i < k; i++) {
                weights[base + i * nr] = w.getFloat((o * k + i) * 4);
            }
            if (biasData != null) {
                bias[o] = biasData.duplicate().order(ByteOrder.LITTLE_ENDIAN).getFloat(o * 4);
            }
        }
        int rowFloats = MR * k;
        int tileFloats = nr;
        this.rows = ThreadLocal.withInitial(() -> new Scratch(rowFloats, tileFloats));
    }

    /** The Java-path factory on {@code kernels} ({@code Float32Vectorization.get()} in dispatch). */
    public static ConvKernelFactory factory(Float32ConvKernels kernels) {
        return (p, filter, bias) -> create(kernels, p, filter, bias);
    }

    static F32JavaConv create(Float32ConvKernels kernels, ConvParams p, ByteBuffer filter, ByteBuffer bias) {
        if (p.filterInC() != p.inC() || p.batches() < 1 || p.inH() < 1 || p.inW() < 1 || p.inC() < 1
                || p.outH() < 1 || p.outW() < 1 || p.outC() < 1 || p.kh() < 1 || p.kw() < 1 || p.strideH() < 1
                || p.strideW() < 1 || p.dilH() < 1 || p.dilW() < 1 || p.padH() < 0 || p.padW() < 0
                || (p.bias() >= 0 && bias == null)) {
            return null;
        }
        long k = (long) p.kh() * p.kw() * p.inC();
        if (k * MR > Integer.MAX_VALUE / 2 || (long) p.outC() * k > Integer.MAX_VALUE / 4
                || filter.capacity() < p.outC() * k * 4 || (bias != null && bias.capacity() < p.outC() * 4L)
                || (long) p.batches() * p.outH() * p.outW() * p.outC() > Integer.MAX_VALUE) {
            return null;
        }
        return new F32JavaConv(kernels, p, filter, bias);
    }

    static MemorySegment segment(ByteBuffer b) {
        return b.position() == 0 && b.limit() == b.capacity() ? MemorySegment.ofBuffer(b)
                : MemorySegment.ofBuffer(b.duplicate().clear());
    }

    @Override
    public String name() {
        return name;
    }

    private int[] split(int threads) {
        long blocks = (m + MR - 1) / MR;
        if (threads <= 1) {
            return new int[] {1, 1};
        }
        int tm = (int) Math.min(blocks, 4L * threads);
        int tn = blocks < 2L * threads ? (int) Math.min(panels, (4L * threads + blocks - 1) / blocks) : 1;
        return new int[] {Math.max(tm, 1), Math.max(tn, 1)};
    }

    @Override
    public void run(ConvParams p, ExecutionState s) {
        int[] sp = split(s.threads());
        s.parallelFor(sp[0] * sp[1], this, p);
    }

    @Override
    public void run(ConvParams p, ExecutionState s, int task, int worker) {
        int[] sp = split(s.threads());
        int tm = sp[0];
        int tn = sp[1];
        long blocks = (m + MR - 1) / MR;
        long m0 = Math.min(m, blocks * (task / tn) / tm * MR);
        long m1 = Math.min(m, blocks * (task / tn + 1) / tm * MR);
        int n0 = panels * (task % tn) / tn;
        int n1 = panels * (task % tn + 1) / tn;
        if (m0 >= m1 || n0 >= n1) {
            return;
        }
        MemorySegment in = segment(s.buffer(p.input()));
        long inBase = s.offset(p.input());
        MemorySegment out = segment(s.buffer(p.output()));
        long outBase = s.offset(p.output());
        Scratch sc = rows.get();
        float[] a = sc.rows;
        float[] tile = sc.tile;
        int outC = p.outC();
        long hw = (long) p.outH() * p.outW();
        // The pixel of row m0, then stepped (no divisions per pixel).
        int b = (int) (m0 / hw);
        int oy = (int) (m0 % hw / p.outW());
        int ox = (int) (m0 % p.outW());
        for (long mm = m0; mm < m1; mm += MR) {
            int mr = (int) Math.min(MR, m1 - mm);
            for (int r = 0; r < mr; r++) {
                gather(p, in, inBase, b, oy, ox, a, r * k);
                if (++ox == p.outW()) {
                    ox = 0;
                    if (++oy == p.outH()) {
                        oy = 0;
                        b++;
                    }
                }
            }
            for (int n = n0; n < n1; n++) {
                int col = n * nr;
                if (nr == kernels.nr()) {
                    kernels.gemmTile(a, 0, mr, k, weights, n * k * nr, bias, col, out,
                            outBase + (mm * outC + col) * 4, outC * 4L, Math.min(nr, outC - col), p.floatMin(),
                            p.floatMax(), tile);
                } else {
                    kernels.gemmTileNarrow(a, 0, mr, k, weights, n * k * nr, bias, col, out,
                            outBase + (mm * outC + col) * 4, outC * 4L, Math.min(nr, outC - col), p.floatMin(),
                            p.floatMax(), tile);
                }
            }
        }
    }

    /** One pixel's im2col row: (fy, fx, ic) order, zeros for taps outside the input. */
    private static void gather(ConvParams p, MemorySegment in, long inBase, int b, int oy, int ox, float[] a, int off) {
        int ic = p.inC();
        int d = off;
        int ix0 = ox * p.strideW() - p.padW();
        boolean xInside = p.dilW() == 1 && ix0 >= 0 && ix0 + p.kw() <= p.inW();
        int run = p.kw() * ic;
        for (int fy = 0; fy < p.kh(); fy++) {
            int iy = oy * p.strideH() - p.padH() + fy * p.dilH();
            if (xInside && iy >= 0 && iy < p.inH()) {
                // The row's taps are one contiguous run of kw * inC floats.
                long src = inBase + (((long) b * p.inH() + iy) * p.inW() + ix0) * ic * 4;
                if (run < 16) {
                    for (int i = 0; i < run; i++) {
                        a[d + i] = in.get(F32, src + 4L * i);
                    }
                } else {
                    MemorySegment.copy(in, F32, src, a, d, run);
                }
                d += run;
                continue;
            }
            for (int fx = 0; fx < p.kw(); fx++) {
                int ix = ox * p.strideW() - p.padW() + fx * p.dilW();
                if (iy < 0 || iy >= p.inH() || ix < 0 || ix >= p.inW()) {
                    Arrays.fill(a, d, d + ic, 0f);
                } else {
                    long src = inBase + (((long) b * p.inH() + iy) * p.inW() + ix) * ic * 4;
                    if (ic < 16) {
                        // A plain loop beats MemorySegment.copy's setup for a few floats (the first layer's 3).
                        for (int i = 0; i < ic; i++) {
                            a[d + i] = in.get(F32, src + 4L * i);
                        }
                    } else {
                        MemorySegment.copy(in, F32, src, a, d, ic);
                    }
                }
                d += ic;
            }
        }
    }
}
