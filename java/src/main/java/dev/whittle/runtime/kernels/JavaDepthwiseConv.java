package dev.whittle.runtime.kernels;

import dev.whittle.internal.vectorization.Int8Depthwise;
import dev.whittle.internal.vectorization.Int8DepthwiseKernels;
import dev.whittle.internal.vectorization.Int8DepthwiseVectorization;
import dev.whittle.runtime.ExecutionState;
import dev.whittle.runtime.Kernel;
import dev.whittle.runtime.ParallelTask;
import dev.whittle.runtime.kernels.reference.DepthwiseConvKernels;
import dev.whittle.runtime.kernels.reference.DepthwiseConvParams;

import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;

/**
 * DEPTHWISE_CONV_2D for int8 and uint8 ({@code qs8}, {@code qs8_qc8w}, {@code qu8}) on the Java
 * path, any depth multiplier, on {@link Int8DepthwiseKernels} (the Vector API, or its plain-Java
 * twin): {@code qs8_dwconv2d_minmax_16c__panama512}. The filter is packed at prepare
 * ({@link Int8Depthwise}). Per output row the valid filter rows are listed once; pixels whose
 * taps are all inside along x go up to four groups per call sharing that list, border pixels
 * one at a time with their own list of valid taps (the only branches are per row, pixel or
 * tap). Few channels put several pixels in one vector ({@link Int8Depthwise#group}: 8 channels,
 * or 1 channel x 8, = 2 pixels per AVX-512 vector).
 *
 * <p>Bit-exact with {@link DepthwiseConvKernels}: int32 sums wrap, so the regrouped sum is
 * the same integer, and the output stage is TFLite's {@code MultiplyByQuantizedMultiplier}.
 * Threading: tasks are ranges of output rows. Per-thread tap lists and scratch are
 * {@code ThreadLocal}s filled on a thread's first invoke: no allocation per invoke. Runs the
 * reference kernel when a tensor is not in native memory (compile-time folding).
 */
public final class JavaDepthwiseConv implements Kernel<DepthwiseConvParams>, ParallelTask<DepthwiseConvParams> {
    private static final MemorySegment NATIVE = Int8GemmBlocks.NATIVE;

    private final String name;
    private final Int8DepthwiseKernels kernels;
    private final Int8Depthwise d;
    private final Kernel<DepthwiseConvParams> reference;
    private final int rows;
    private final int group;
    private final int outC;
    private final long inBytes;
    private final ThreadLocal<Scratch> scratch;

    private static final class Scratch {
        final Int8DepthwiseKernels.Scratch k;
        final long[] rowIn;
        final int[] rowW;
        final long[] pixIn;
        final int[] pixW;

        Scratch(int cp, int lanes, int taps) {
            k = new Int8DepthwiseKernels.Scratch(cp, lanes);
            rowIn = new long[taps];
            rowW = new int[taps];
            pixIn = new long[taps];
            pixW = new int[taps];
        }
    }

    private JavaDepthwiseConv(String name, Int8DepthwiseKernels kernels, Int8Depthwise d,
            Kernel<DepthwiseConvParams> reference, DepthwiseConvParams p) {
        this.name = name;
        this.kernels = kernels;
        this.d = d;
        this.reference = reference;
        this.rows = p.batches() * p.outH();
        this.group = d.group();
        this.outC = p.outC();
        this.inBytes = (long) p.batches() * p.inH() * p.inW() * p.inC();
        int cp = d.cp();
        int lanes = kernels.lanes();
        int taps = p.kh() * p.kw();
        this.scratch = ThreadLocal.withInitial(() -> new Scratch(cp, lanes, taps));
    }

    /** The kernel name of {@code family} on this JVM's kernels: {@code qs8_dwconv2d_minmax_16c__panama512}. */
    public static String kernelName(KernelFamily<?> family) {
        return kernelName(family, Int8DepthwiseVectorization.get());
    }

    /** The kernel name of {@code family} on {@code kernels}. */
    public static String kernelName(KernelFamily<?> family, Int8DepthwiseKernels kernels) {
        return family.name() + "_minmax_" + kernels.lanes() + "c__" + kernels.isa();
    }

    /** The registry factory of {@code family}. */
    public static DepthwiseConvKernelFactory factory(KernelFamily<DepthwiseConvKernelFactory> family) {
        return factory(family, Int8DepthwiseVectorization.get());
    }

    /** The factory of {@code family} on {@code kernels} (benchmarks compare the twins). */
    public static DepthwiseConvKernelFactory factory(KernelFamily<DepthwiseConvKernelFactory> family,
            Int8DepthwiseKernels kernels) {
        return (p, filter, bias) -> create(family, kernels, p, filter, bias);
    }

    /**
     * The kernel for one node, or null when the bias is not constant (the reference then
     * reads it per invoke), the geometry is degenerate or beyond int ranges, or the
     * requantization constants are outside TFLite's.
     */
    public static JavaDepthwiseConv create(KernelFamily<?> family, Int8DepthwiseKernels kernels,
            DepthwiseConvParams p, ByteBuffer filter, ByteBuffer bias) {
        if (p.bias() >= 0 && bias == null) {
            return null;
        }
        int taps = p.kh() * p.kw();
        if (p.inC() < 1 || p.multiplier() < 1 || p.kh() < 1 || p.kw() < 1 || p.outH() < 1 || p.outW() < 1
                || p.batches() < 1 || p.inH() < 1 || p.inW() < 1 || p.strideH() < 1 || p.strideW() < 1
                || p.dilH() < 1 || p.dilW() < 1 || p.padH() < 0 || p.padW() < 0 || (long) p.kh() * p.kw() > 1 << 12
                || (long) p.inC() * p.multiplier() > 1 << 20
                || filter.limit() < (long) taps * p.outC() || (bias != null && bias.limit() < 4L * p.outC())
                || p.multipliers().length < p.outC() || p.shifts().length < p.outC()
                || (long) p.batches() * p.inH() * p.inW() * p.inC() > Integer.MAX_VALUE
                || (long) p.batches() * p.outH() * p.outW() * p.outC() > Integer.MAX_VALUE) {
            return null;
        }
        boolean unsigned = family.name().startsWith("qu8_");
        int outC = p.outC();
        byte[] w = new byte[taps * outC];
        filter.get(0, w);
        int[] b = null;
        if (bias != null) {
            b = new int[outC];
            for (int o = 0; o < outC; o++) {
                b[o] = bias.getInt(4 * o);
            }
        }
        int lanes = kernels.lanes();
        // Few channels: adjacent pixels share a vector.
        int group = Int8Depthwise.group(lanes, p.inC(), p.multiplier(), p.strideW());
        Int8Depthwise d = Int8Depthwise.pack(kernels, w, taps, p.inC(), p.multiplier(), group, p.strideW(), unsigned,
                b, p.inputOffset(), p.filterOffset(), p.outputOffset(), p.multipliers(), p.shifts(), p.actMin(),
                p.actMax());
        if (d == null) {
            return null;
        }
        return new JavaDepthwiseConv(kernelName(family, kernels), kernels, d, NativeDepthwiseConv.referenceOf(family),
                p);
    }

    static JavaDepthwiseConv create(KernelFamily<?> family, DepthwiseConvParams p, ByteBuffer filter,
            ByteBuffer bias) {
        return create(family, Int8DepthwiseVectorization.get(), p, filter, bias);
    }

    @Override
    public String name() {
        return name;
    }

    private int tasks(ExecutionState s) {
        int threads = s.threads();
        return threads <= 1 ? 1 : Math.min(rows, threads * 4);
    }

    @Override
    public void run(DepthwiseConvParams p, ExecutionState s) {
        if (s.address(p.input()) == 0 || s.address(p.output()) == 0) {
            reference.run(p, s);
            return;
        }
        s.parallelFor(tasks(s), this, p);
    }

    @Override
    public void run(DepthwiseConvParams p, ExecutionState s, int task, int worker) {
        int n = tasks(s);
        int begin = (int) ((long) rows * task / n);
        int end = (int) ((long) rows * (task + 1) / n);
        Scratch sc = scratch.get();
        long inBase = s.address(p.input());
        long inEnd = inBase + inBytes;
        long outBase = s.address(p.output());
        int c = p.inC();
        int kh = p.kh();
        int kw = p.kw();
        int sw = p.strideW();
        int padW = p.padW();
        int inW = p.inW();
        int outW = p.outW();
        int dilW = p.dilW();
        int cp = d.cp();
        // Output columns whose taps are all inside the input along x: [oxLo, oxHi).
        int oxLo = (padW + sw - 1) / sw;
        int span = inW - 1 - (kw - 1) * dilW + padW;
        int oxHi = Math.min(outW, span < 0 ? 0 : span / sw + 1);
        long groupIn = (long) group * sw * c;
        long groupOut = (long) group * outC;
        long[] rowIn = sc.rowIn;
        int[] rowW = sc.rowW;
        long[] pixIn = sc.pixIn;
        int[] pixW = sc.pixW;
        for (int row = begin; row < end; row++) {
            int b = row / p.outH();
            int oy = row - b * p.outH();
            int taps = 0;
            for (int fy = 0; fy < kh; fy++) {
                int iy = oy * p.strideH() - p.padH() + p.dilH() * fy;
                if (iy < 0 || iy >= p.inH()) {
                    continue;
                }
                long rowAt = inBase + ((long) b * p.inH() + iy) * inW * c;
                for (int fx = 0; fx < kw; fx++) {
                    rowIn[taps] = rowAt + (long) fx * dilW * c;
                    rowW[taps] = (fy * kw + fx) * cp;
                    taps++;
                }
            }
            boolean rowInterior = taps == kh * kw;
            long rowOut = outBase + (long) row * outW * outC;
            int ox = 0;
            while (ox < outW) {
                long ix0 = (long) ox * sw - padW;
                if (ox >= oxLo && ox + group <= oxHi) {
                    int groups = Math.min(Int8DepthwiseKernels.MAX_PIXELS, (oxHi - ox) / group);
                    kernels.run(d, groups, NATIVE, inEnd, ix0 * c, groupIn, rowIn, rowW, taps, rowInterior, NATIVE,
                            rowOut + (long) ox * outC, groupOut, (int) groupOut, sc.k);
                    ox += groups * group;
                    continue;
                }
                int pt = 0;
                for (int i = 0; i < taps; i++) {
                    long ix = ix0 + (long) (i % kw) * dilW;
                    if (ix >= 0 && ix < inW) {
                        pixIn[pt] = rowIn[i];
                        pixW[pt] = rowW[i];
                        pt++;
                    }
                }
                kernels.run(d, 1, NATIVE, inEnd, ix0 * c, 0, pixIn, pixW, pt, pt == kh * kw, NATIVE,
                        rowOut + (long) ox * outC, 0, outC, sc.k);
                ox++;
            }
        }
    }

    @Override
    public String toString() {
        return name;
    }
}
