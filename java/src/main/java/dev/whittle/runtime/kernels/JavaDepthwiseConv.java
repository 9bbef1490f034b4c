package dev.whittle.runtime.kernels;

import dev.whittle.runtime.ExecutionState;
import dev.whittle.runtime.Kernel;
import dev.whittle.runtime.ParallelTask;
import dev.whittle.runtime.kernels.reference.DepthwiseConvParams;
import dev.whittle.runtime.quant.FixedPoint;

import java.nio.ByteBuffer;

/**
 * DEPTHWISE_CONV_2D for int8 and uint8 ({@code qs8}, {@code qs8_qc8w}, {@code qu8}) on the Java
 * path, any depth multiplier: the filter packed at prepare as int {@code w + filterOffset} in
 * {@code [tap][outC]}, one output pixel at a time with all its channels in an int accumulator
 * row, taps looped outside the channel loop so that the channel loop is a plain
 * {@code acc[c] += w[c] * x[c]} that C2 vectorizes. Padded taps are skipped once per tap (no
 * branch per element). Bit-exact with the reference: int32 sums wrap, the same requantization.
 *
 * <p>Per-thread rows (input pixel, widened input, accumulators, output pixel) are
 * {@code ThreadLocal}s filled on a thread's first invoke, as in {@link Int8FullyConnected}.
 * Threading: tasks are ranges of output rows.
 */
public final class JavaDepthwiseConv implements Kernel<DepthwiseConvParams>, ParallelTask<DepthwiseConvParams> {
    private final String name;
    private final boolean unsigned;
    private final int inC;
    private final int outC;
    private final int mult;
    private final int rows;
    private final int[] weights;
    private final int[] bias;
    private final int[] multipliers;
    private final int[] shifts;
    private final ThreadLocal<Scratch> scratch;

    private static final class Scratch {
        final byte[] in;
        final int[] x;
        final int[] acc;
        final byte[] out;

        Scratch(int inC, int outC) {
            in = new byte[inC];
            x = new int[outC];
            acc = new int[outC];
            out = new byte[outC];
        }
    }

    private JavaDepthwiseConv(String name, boolean unsigned, DepthwiseConvParams p, ByteBuffer filter, ByteBuffer b) {
        this.name = name;
        this.unsigned = unsigned;
        this.inC = p.inC();
        this.outC = p.outC();
        this.mult = p.multiplier();
        this.rows = p.batches() * p.outH();
        int taps = p.kh() * p.kw();
        this.weights = new int[Math.multiplyExact(taps, outC)];
        for (int i = 0; i < weights.length; i++) {
            int raw = filter.get(i);
            weights[i] = (unsigned ? raw & 0xFF : raw) + p.filterOffset();
        }
        this.bias = new int[outC];
        for (int o = 0; o < outC && b != null; o++) {
            bias[o] = b.getInt(4 * o);
        }
        this.multipliers = p.multipliers().clone();
        this.shifts = p.shifts().clone();
        int ic = inC;
        int oc = outC;
        this.scratch = ThreadLocal.withInitial(() -> new Scratch(ic, oc));
    }

    /** The kernel name of {@code family}: {@code qs8_dwconv2d_minmax__java}. */
    public static String kernelName(KernelFamily<?> family) {
        return family.name() + "_minmax__java";
    }

    /** The registry factory of {@code family}. */
    public static DepthwiseConvKernelFactory factory(KernelFamily<DepthwiseConvKernelFactory> family) {
        return (p, filter, bias) -> create(family, p, filter, bias);
    }

    /** The kernel for one node, or null when the bias is not constant (the reference then reads it per invoke). */
    public static JavaDepthwiseConv create(KernelFamily<?> family, DepthwiseConvParams p, ByteBuffer filter,
            ByteBuffer bias) {
        if (p.bias() >= 0 && bias == null) {
            return null;
        }
        if (p.inC() < 1 || p.multiplier() < 1 || p.kh() < 1 || p.kw() < 1 || p.outH() < 1 || p.outW() < 1
                || p.batches() < 1 || filter.limit() < (long) p.kh() * p.kw() * p.outC()) {
            return null;
        }
        return new JavaDepthwiseConv(kernelName(family), family.name().startsWith("qu8_"), p, filter, bias);
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
        s.parallelFor(tasks(s), this, p);
    }

    @Override
    public void run(DepthwiseConvParams p, ExecutionState s, int task, int worker) {
        int n = tasks(s);
        int begin = (int) ((long) rows * task / n);
        int end = (int) ((long) rows * (task + 1) / n);
        Scratch sc = scratch.get();
        ByteBuffer in = s.buffer(p.input());
        int inBase = s.offset(p.input());
        ByteBuffer out = s.buffer(p.output());
        int outBase = s.offset(p.output());
        int io = p.inputOffset();
        int[] x = sc.x;
        int[] acc = sc.acc;
        byte[] px = sc.in;
        byte[] ob = sc.out;
        int[] w = weights;
        for (int row = begin; row < end; row++) {
            int b = row / p.outH();
            int oy = row - b * p.outH();
            for (int ox = 0; ox < p.outW(); ox++) {
                System.arraycopy(bias, 0, acc, 0, outC);
                for (int fy = 0; fy < p.kh(); fy++) {
                    int iy = oy * p.strideH() - p.padH() + p.dilH() * fy;
                    if (iy < 0 || iy >= p.inH()) {
                        continue;
                    }
                    for (int fx = 0; fx < p.kw(); fx++) {
                        int ix = ox * p.strideW() - p.padW() + p.dilW() * fx;
                        if (ix < 0 || ix >= p.inW()) {
                            continue;
                        }
                        in.get(inBase + ((b * p.inH() + iy) * p.inW() + ix) * inC, px, 0, inC);
                        widen(px, x, io);
                        int wb = (fy * p.kw() + fx) * outC;
                        for (int c = 0; c < outC; c++) {
                            acc[c] += w[wb + c] * x[c];
                        }
                    }
                }
                for (int c = 0; c < outC; c++) {
                    int v = FixedPoint.multiplyByQuantizedMultiplier(acc[c], multipliers[c], shifts[c])
                            + p.outputOffset();
                    ob[c] = (byte) Math.min(Math.max(v, p.actMin()), p.actMax());
                }
                out.put(outBase + (row * p.outW() + ox) * outC, ob, 0, outC);
            }
        }
    }

    /** x[oc] = input[oc / multiplier] + inputOffset, the input widened once per tap. */
    private void widen(byte[] px, int[] x, int io) {
        if (mult == 1) {
            if (unsigned) {
                for (int c = 0; c < inC; c++) {
                    x[c] = (px[c] & 0xFF) + io;
                }
            } else {
                for (int c = 0; c < inC; c++) {
                    x[c] = px[c] + io;
                }
            }
            return;
        }
        for (int ic = 0; ic < inC; ic++) {
            int v = (unsigned ? px[ic] & 0xFF : px[ic]) + io;
            for (int m = 0; m < mult; m++) {
                x[ic * mult + m] = v;
            }
        }
    }

    @Override
    public String toString() {
        return name;
    }
}
