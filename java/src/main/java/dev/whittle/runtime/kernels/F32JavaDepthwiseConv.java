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
 * DEPTHWISE_CONV_2D float32, depth multiplier 1, on the Java path: per output pixel the
 * in-bounds taps are listed (the only branches are per tap), then {@link Float32ConvKernels}
 * sums them a vector of channels at a time in the reference's order. Weights packed at prepare
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

    private static final class Taps {
        final long[] in;
        final int[] w;

        Taps(int n) {
            in = new long[n];
            w = new int[n];
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
        this.taps = ThreadLocal.withInitial(() -> new Taps(n));
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
        int b = (int) (m0 / hw);
        int oy = (int) (m0 % hw / p.outW());
        int ox = -1 + (int) (m0 % p.outW());
        for (long pix = m0; pix < m1; pix++) {
            if (++ox == p.outW()) {
                ox = 0;
                if (++oy == p.outH()) {
                    oy = 0;
                    b++;
                }
            }
            int n = 0;
            for (int fy = 0; fy < p.kh(); fy++) {
                int iy = oy * p.strideH() - p.padH() + fy * p.dilH();
                if (iy < 0 || iy >= p.inH()) {
                    continue;
                }
                for (int fx = 0; fx < p.kw(); fx++) {
                    int ix = ox * p.strideW() - p.padW() + fx * p.dilW();
                    if (ix < 0 || ix >= p.inW()) {
                        continue;
                    }
                    t.in[n] = inBase + (((long) b * p.inH() + iy) * p.inW() + ix) * c * 4;
                    t.w[n] = (fy * p.kw() + fx) * cp;
                    n++;
                }
            }
            kernels.depthwisePixel(in, t.in, weights, t.w, n, c, bias, out, outBase + pix * c * 4, p.floatMin(),
                    p.floatMax());
        }
    }
}
