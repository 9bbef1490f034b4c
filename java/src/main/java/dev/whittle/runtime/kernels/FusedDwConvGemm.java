package dev.whittle.runtime.kernels;

import dev.whittle.runtime.ExecutionState;
import dev.whittle.runtime.Kernel;
import dev.whittle.runtime.ParallelTask;
import dev.whittle.runtime.kernels.reference.ConvParams;
import dev.whittle.runtime.kernels.reference.DepthwiseConvParams;

/**
 * A DEPTHWISE_CONV_2D and the 1x1 CONV_2D that is the only reader of its output, run as one
 * parallel operator over bands of output rows (MobileNet's depthwise-separable blocks): each
 * task runs the depthwise kernel on its rows and then the 1x1 GEMM on exactly those pixels. A
 * 1x1 stride-1 convolution reads no other pixel than the one it writes, so the two need no
 * barrier between them, and the GEMM reads the rows its own core has just written (in L1/L2)
 * instead of rows half of which another core wrote. A MobileNet block thus costs one fork/join
 * instead of two, and with the pool's static split ({@code IntraOpPool}: worker {@code w} owns
 * tasks {@code [w * n / threads, (w + 1) * n / threads)}) a worker gets the same share of the
 * rows in every block, so activations mostly stay on one core from block to block.
 *
 * <p>Bit-exact with the two kernels run one after the other: both compute each output element
 * the same way whichever call covers it (the depthwise rows kernels take any row range, the
 * GEMM any pixel range), so the bytes are those of the unfused pair at any thread count. The
 * intermediate tensor is still written in full (nothing else reads it, but its memory is
 * planned anyway; keeping it makes the fused and unfused runs comparable tensor by tensor).
 *
 * <p>At 1 thread, with tensors outside native memory (compile-time folding), or with fewer rows
 * than {@value #MIN_ROWS_PER_THREAD_PROPERTY} per thread, it runs the two kernels one after
 * the other, each as it would unfused (their own splits, serial small depthwise layers).
 */
public final class FusedDwConvGemm implements ParallelTask<DepthwiseConvParams> {
    /** {@code -Dwhittle.fuse=false} turns the fusion off (A/B measurement); read at compile. */
    public static final String PROPERTY = "whittle.fuse";
    /**
     * {@value #MIN_ROWS_PER_THREAD_PROPERTY} (default {@value #MIN_ROWS_PER_THREAD}): fused bands
     * are used when the depthwise output has at least that many rows per thread; fewer rows cut
     * into bands too unevenly (3 rows on 2 threads: 1 and 2), and the unfused pair then splits
     * the GEMM by channel groups instead.
     */
    public static final String MIN_ROWS_PER_THREAD_PROPERTY = "whittle.fuse.minRowsPerThread";
    static final int MIN_ROWS_PER_THREAD = 2;

    private final DepthwiseConvParams dw;
    private final ConvParams pw;
    /** One of the two: the row-staged kernel (worker scratch) or the channel-blocked one. */
    private final NativeDepthwiseConvRows rowsKernel;
    private final NativeDepthwiseConv lanesKernel;
    private final Q8Gemm gemm;
    private final int rows;
    private final int outW;
    private final int minRowsPerThread = Math.max(1, Integer.getInteger(MIN_ROWS_PER_THREAD_PROPERTY,
            MIN_ROWS_PER_THREAD));

    private FusedDwConvGemm(DepthwiseConvParams dw, ConvParams pw, NativeDepthwiseConvRows rowsKernel,
            NativeDepthwiseConv lanesKernel, Q8Gemm gemm, int rows) {
        this.dw = dw;
        this.pw = pw;
        this.rowsKernel = rowsKernel;
        this.lanesKernel = lanesKernel;
        this.gemm = gemm;
        this.rows = rows;
        this.outW = dw.outW();
    }

    /** Whether {@value #PROPERTY} allows fusing (default true). */
    public static boolean enabled() {
        return !"false".equalsIgnoreCase(System.getProperty(PROPERTY, "true"));
    }

    /**
     * The fused pair, or null where it cannot be fused: the depthwise node must run on a native
     * rows kernel, the convolution be a 1x1, stride 1, unpadded CONV_2D on the dense native
     * GEMM ({@link Q8GemmConv}) reading the depthwise output with the same batches, rows and
     * columns. The caller checks that nothing else reads the depthwise output.
     */
    public static FusedDwConvGemm create(DepthwiseConvParams dw, ConvParams pw) {
        if (pw.input() != dw.output() || pw.kh() != 1 || pw.kw() != 1 || pw.strideH() != 1 || pw.strideW() != 1
                || pw.padH() != 0 || pw.padW() != 0 || pw.batches() != dw.batches() || pw.inH() != dw.outH()
                || pw.inW() != dw.outW() || pw.inC() != dw.outC() || pw.outH() != dw.outH()
                || pw.outW() != dw.outW()) {
            return null;
        }
        if (!(pw.kernel() instanceof Q8GemmConv conv) || !(conv.gemm() instanceof Q8Gemm gemm)) {
            return null;
        }
        if (gemm.m != dw.batches() * dw.outH() * dw.outW()) {
            return null;
        }
        if (dw.kernel() instanceof NativeDepthwiseConvRows k) {
            return new FusedDwConvGemm(dw, pw, k, null, gemm, k.rows());
        }
        if (dw.kernel() instanceof NativeDepthwiseConv k) {
            return new FusedDwConvGemm(dw, pw, null, k, gemm, k.rows());
        }
        return null;
    }

    /** {@code depthwise kernel + 1x1 kernel}, as a profile names the pair. */
    public String name() {
        return dw.kernel().name() + "+" + pw.kernel().name();
    }

    /** The depthwise node's params. */
    public DepthwiseConvParams depthwise() {
        return dw;
    }

    /** The 1x1 node's params. */
    public ConvParams pointwise() {
        return pw;
    }

    /** Runs both nodes: fused bands at 2 threads and more, else one after the other. */
    public void run(ExecutionState s) {
        int threads = s.threads();
        if (threads <= 1 || rows < minRowsPerThread * threads || s.address(dw.input()) == 0
                || s.address(dw.output()) == 0 || s.address(pw.output()) == 0 || s.workerScratchAddress(0) == 0) {
            dw.kernel().run(dw, s);
            pw.kernel().run(pw, s);
            return;
        }
        s.parallelFor(Math.min(rows, 4 * threads), this, dw);
    }

    @Override
    public void run(DepthwiseConvParams p, ExecutionState s, int task, int worker) {
        run(p, s, task, task + 1, worker);
    }

    /** Tasks {@code [from, to)}: one band of consecutive rows, depthwise then 1x1, one call each. */
    @Override
    public void run(DepthwiseConvParams p, ExecutionState s, int from, int to, int worker) {
        int n = Math.min(rows, 4 * s.threads());
        int r0 = (int) ((long) rows * from / n);
        int r1 = (int) ((long) rows * to / n);
        if (rowsKernel != null) {
            rowsKernel.runRows(dw, s, worker, r0, r1);
        } else {
            lanesKernel.runRows(dw, s, r0, r1);
        }
        gemm.runPixels(s.address(pw.input()), s.address(pw.output()), s.workerScratchAddress(worker), r0 * outW,
                r1 * outW);
    }

    @Override
    public String toString() {
        return name();
    }
}
