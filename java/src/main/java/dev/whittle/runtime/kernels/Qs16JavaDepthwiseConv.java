package dev.whittle.runtime.kernels;

import dev.whittle.internal.vectorization.Int16Depthwise;
import dev.whittle.internal.vectorization.Int16Kernels;
import dev.whittle.internal.vectorization.VectorizationProvider;
import dev.whittle.runtime.ExecutionState;
import dev.whittle.runtime.Kernel;
import dev.whittle.runtime.ParallelTask;
import dev.whittle.runtime.kernels.reference.DepthwiseConvKernels;
import dev.whittle.runtime.kernels.reference.DepthwiseConvParams;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * DEPTHWISE_CONV_2D 16x8 on the Java path ({@code qs16_qc8w_dwconv2d_16c__panama512},
 * {@code _8c__panama256}, {@code _8c__scalar}), depth multiplier 1, at most
 * {@value Int16Depthwise#MAX_TAPS} taps: channels in int lanes, exact int32 sums, int64 bias,
 * TFLite's int64 {@code MultiplyByQuantizedMultiplier} ({@link Int16Depthwise}). Tasks are
 * ranges of output rows. Bit-exact with {@link DepthwiseConvKernels#QS16_QC8W}, which runs when
 * the tensors are not in native memory.
 */
public final class Qs16JavaDepthwiseConv implements Kernel<DepthwiseConvParams>, WorkerScratch,
        ParallelTask<DepthwiseConvParams> {
    /** Below this many multiply-adds a node runs as one task. */
    private static final long MIN_TASK_MACS = 1L << 15;

    private final String name;
    private final Int16Kernels kernels;
    private final Int16Depthwise node;
    private final int input;
    private final int output;
    private final int rows;
    private final long macs;

    private Qs16JavaDepthwiseConv(String name, Int16Kernels kernels, Int16Depthwise node, DepthwiseConvParams p) {
        this.name = name;
        this.kernels = kernels;
        this.node = node;
        this.input = p.input();
        this.output = p.output();
        this.rows = p.batches() * p.outH();
        this.macs = (long) rows * p.outW() * p.inC() * p.kh() * p.kw();
    }

    /** The kernel for one node, or null for what it does not handle. */
    public static Qs16JavaDepthwiseConv create(VectorizationProvider provider, DepthwiseConvParams p,
            ByteBuffer filter, ByteBuffer bias) {
        if (p.multiplier() != 1 || p.inputOffset() != 0 || p.outputOffset() != 0 || p.filterOffset() != 0
                || (p.bias() >= 0 && bias == null) || p.batches() <= 0 || p.outH() <= 0 || p.outW() <= 0
                || p.inC() <= 0 || p.kh() <= 0 || p.kw() <= 0) {
            return null;
        }
        try {
            Math.multiplyExact(2, Math.multiplyExact(Math.multiplyExact(p.batches(), p.inH()),
                    Math.multiplyExact(p.inW(), p.inC())));
            Math.multiplyExact(2, Math.multiplyExact(Math.multiplyExact(p.batches(), p.outH()),
                    Math.multiplyExact(p.outW(), p.inC())));
            Math.multiplyExact(Math.multiplyExact(p.kh(), p.kw()), p.inC());
        } catch (ArithmeticException e) {
            return null;
        }
        int c = p.inC();
        byte[] w = new byte[p.kh() * p.kw() * c];
        filter.get(0, w);
        long[] b = null;
        if (bias != null) {
            ByteBuffer le = bias.duplicate().order(ByteOrder.LITTLE_ENDIAN);
            b = new long[c];
            for (int o = 0; o < c; o++) {
                b[o] = le.getLong(o * 8);
            }
        }
        int[] geometry = {p.inH(), p.inW(), c, p.outH(), p.outW(), p.kh(), p.kw(), p.strideH(), p.strideW(), p.dilH(),
            p.dilW(), p.padH(), p.padW(), p.batches()};
        Int16Kernels kernels = provider.int16();
        Int16Depthwise node = Int16Depthwise.pack(kernels, geometry, w, b, p.multipliers(), p.shifts(), p.actMin(),
                p.actMax());
        if (node == null) {
            return null;
        }
        String name = "qs16_qc8w_dwconv2d_" + kernels.lanes() + "c__" + provider.isa();
        return new Qs16JavaDepthwiseConv(name, kernels, node, p);
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public long workerScratchBytes() {
        return Int8GemmBlocks.align(Math.max(64, kernels.tmpBytes()));
    }

    private int tasks(int threads) {
        if (threads <= 1 || macs < 2 * MIN_TASK_MACS) {
            return 1;
        }
        return Math.min(rows, 4 * threads);
    }

    @Override
    public void run(DepthwiseConvParams p, ExecutionState s) {
        if (s.address(input) == 0 || s.address(output) == 0 || s.workerScratchAddress(0) == 0) {
            DepthwiseConvKernels.QS16_QC8W.run(p, s);
            return;
        }
        s.parallelFor(tasks(s.threads()), this, p);
    }

    @Override
    public void run(DepthwiseConvParams p, ExecutionState s, int task, int worker) {
        int tasks = tasks(s.threads());
        int r0 = (int) ((long) rows * task / tasks);
        int r1 = (int) ((long) rows * (task + 1) / tasks);
        long in = s.address(input);
        long out = s.address(output);
        long tmp = s.workerScratchAddress(worker);
        int outH = node.outH();
        for (int r = r0; r < r1; r++) {
            kernels.depthwise(node, Int8GemmBlocks.NATIVE, in, Int8GemmBlocks.NATIVE, out, r / outH, r % outH, 0,
                    node.outW(), Int8GemmBlocks.NATIVE, tmp);
        }
    }

    @Override
    public String toString() {
        return name;
    }
}
