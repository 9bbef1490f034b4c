package dev.whittle.runtime.kernels;

import dev.whittle.internal.vectorization.Float32ConvKernels;
import dev.whittle.runtime.ExecutionState;
import dev.whittle.runtime.Kernel;
import dev.whittle.runtime.ParallelTask;
import dev.whittle.runtime.kernels.reference.DepthwiseConvKernels;
import dev.whittle.runtime.kernels.reference.DepthwiseConvParams;

import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * DEPTHWISE_CONV_2D float32, depth multiplier 1, on the Java path: per output row the valid
 * filter rows are listed; interior pixels (all taps inside along x) go four at a time
 * ({@link Float32ConvKernels#depthwise4}), border pixels list their in-bounds taps (the only
 * branches are per row, pixel or tap); {@link Float32ConvKernels} sums a vector of channels at a
 * time in the reference's order. Weights packed at prepare
 * as {@code [kh * kw][C rounded up to 2 vectors]}. Differs from {@link DepthwiseConvKernels#F32}
 * by FMA's rounding only.
 */
public final class F32JavaDepthwiseConv implements Kernel<DepthwiseConvParams>, ParallelTask<DepthwiseConvParams> {
    private final String name;
    private final Float32ConvKernels kernels;
    private final int cp;
    private final long m;
    private final float[] weights;
    private final float[] bias;
    private final ThreadLocal<Taps> taps;

    /** A thread's tap lists: per tap (one pixel), and per filter row (four pixels). */
    private static final class Taps {
        final long[] in;
        final int[] w;
        final long[] rowOffs;
        final long[] rows4;
        final int[] wRows;

        Taps(int n, int kh) {
            in = new long[n];
            w = new int[n];
            rowOffs = new long[kh];
            rows4 = new long[kh];
            wRows = new int[kh];
        }
    }

    private F32JavaDepthwiseConv(Float32ConvKernels kernels, DepthwiseConvParams p, ByteBuffer filter,
            ByteBuffer biasData) {
        this.kernels = kernels;
        this.name = "f32_dwconv2d_minmax_" + kernels.lanes() + "c__" + kernels.isa();
        int c = p.inC();
        int step = kernels.nr();
        this.cp = (c + step - 1) / step * step;
        int n = p.kh() * p.kw();
        this.m = (long) p.batches() * p.outH() * p.outW();
        this.weights = new float[Math.multiplyExact(n, cp)];
        this.bias = new float[cp];
        ByteBuffer f = filter.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        for (int t = 0; t < n; t++) {
            for (int ch = 0; ch < c; ch++) {
                weights[t * cp + ch] = f.getFloat((t * c + ch) * 4);
            }
        }
        if (biasData != null) {
            ByteBuffer b = biasData.duplicate().order(ByteOrder.LITTLE_ENDIAN);
            for (int ch = 0; ch < c; ch++) {
                bias[ch] = b.getFloat(ch * 4);
            }
        }
        int kh = p.kh();
        this.taps = ThreadLocal.withInitial(() -> new Taps(n, kh));
    }

    /** The Java-path factory on {@code kernels}. */
    public static DepthwiseConvKernelFactory factory(Float32ConvKernels kernels) {
        return (p, filter, bias) -> create(kernels, p, filter, bias);
    }

    static F32JavaDepthwiseConv create(Float32ConvKernels kernels, DepthwiseConvParams p, ByteBuffer filter,
            ByteBuffer bias) {
        if (p.multiplier() != 1 || p.batches() < 1 || p.inH() < 1 || p.inW() < 1 || p.inC() < 1 || p.outH() < 1
                || p.outW() < 1 || p.kh() < 1 || p.kw() < 1 || (long) p.kh() * p.kw() > 1 << 16
                || p.strideH() < 1 || p.strideW() < 1 || p.dilH() < 1 || p.dilW() < 1 || p.padH() < 0
                || p.padW() < 0 || (p.bias() >= 0 && bias == null)
                || (long) p.kh() * p.kw() * (p.inC() + 64) > Integer.MAX_VALUE / 4
                || filter.capacity() < (long) p.kh() * p.kw() * p.inC() * 4
                || (bias != null && bias.capacity() < p.inC() * 4L)) {
            return null;
        }
        return new F32JavaDepthwiseConv(kernels, p, filter, bias);
    }

    @Override
    public String name() {
        return name;
    }

    private int tasks(int threads) {
        return threads <= 1 ? 1 : (int) Math.min(m, 4L * threads);
    }

    @Override
    public void run(DepthwiseConvParams p, ExecutionState s) {
        s.parallelFor(tasks(s.threads()), this, p);
    }

    @Override
    public void run(DepthwiseConvParams p, ExecutionState s, int task, int worker) {
        int tasks = tasks(s.threads());
        long m0 = m * task / tasks;
        long m1 = m * (task + 1) / tasks;
        MemorySegment in = F32JavaConv.segment(s.buffer(p.input()));
        long inBase = s.offset(p.input());
        MemorySegment out = F32JavaConv.segment(s.buffer(p.output()));
        long outBase = s.offset(p.output());
        Taps t = taps.get();
        int c = p.inC();
        long hw = (long) p.outH() * p.outW();
        // Output columns whose taps are all inside the input along x: [oxLo, oxHi).
        int oxLo = (p.padW() + p.strideW() - 1) / p.strideW();
        int span = p.inW() - 1 - (p.kw() - 1) * p.dilW() + p.padW();
        int oxHi = Math.min(p.outW(), span < 0 ? 0 : span / p.strideW() + 1);
        boolean four = c % kernels.lanes() == 0;
        long tapStep = 4L * p.dilW() * c;
        long pixStep = 4L * p.strideW() * c;
        long pix = m0;
        while (pix < m1) {
            int b = (int) (pix / hw);
            int oy = (int) (pix % hw / p.outW());
            int ox = (int) (pix % p.outW());
            int oxEnd = (int) Math.min(p.outW(), ox + (m1 - pix));
            int nrows = 0;
            for (int fy = 0; fy < p.kh(); fy++) {
                int iy = oy * p.strideH() - p.padH() + fy * p.dilH();
                if (iy >= 0 && iy < p.inH()) {
                    t.rowOffs[nrows] = inBase + ((long) b * p.inH() + iy) * p.inW() * c * 4;
                    t.wRows[nrows] = fy * p.kw() * cp;
                    nrows++;
                }
            }
            long rowOut = outBase + (pix - ox) * c * 4;
            while (ox < oxEnd) {
                if (four && ox >= oxLo && ox + 4 <= oxHi && ox + 4 <= oxEnd) {
                    long x0 = 4L * (ox * p.strideW() - p.padW()) * c;
                    for (int i = 0; i < nrows; i++) {
                        t.rows4[i] = t.rowOffs[i] + x0;
                    }
                    kernels.depthwise4(in, t.rows4, t.wRows, nrows, p.kw(), tapStep, pixStep, weights, cp, c, bias,
                            out, rowOut + 4L * ox * c, p.floatMin(), p.floatMax());
                    ox += 4;
                    continue;
                }
                int n = 0;
                for (int i = 0; i < nrows; i++) {
                    for (int fx = 0; fx < p.kw(); fx++) {
                        int ix = ox * p.strideW() - p.padW() + fx * p.dilW();
                        if (ix < 0 || ix >= p.inW()) {
                            continue;
                        }
                        t.in[n] = t.rowOffs[i] + 4L * ix * c;
                        t.w[n] = t.wRows[i] + fx * cp;
                        n++;
                    }
                }
                kernels.depthwisePixel(in, t.in, weights, t.w, n, c, bias, out, rowOut + 4L * ox * c, p.floatMin(),
                        p.floatMax());
                ox++;
            }
            pix += oxEnd - (int) (pix % p.outW());
        }
    }
}
