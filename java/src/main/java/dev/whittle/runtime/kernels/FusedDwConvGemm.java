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
 * <p>Layers of fewer rows than {@value #MIN_ROWS_PER_THREAD_PROPERTY} per thread (person_detect's
 * and MobileNet's last 3x3 / 7x7 blocks: 3 rows cut 1 and 2, where the unfused pair ran the small
 * depthwise on the invoking thread and then split the GEMM by channels, no faster than 1 thread)
 * are split by output channels of the 1x1 instead, each task first computing the whole (small:
 * at most {@value #REPLICATE_BYTES} bytes) depthwise output itself: task 0 into the intermediate
 * tensor, the others into their worker's scratch, which their GEMM then reads. A depthwise of a
 * microsecond is computed once per thread instead of once, but in parallel, and the pair costs
 * one fork/join with no wait between the two.
 *
 * <p>At 1 thread, with tensors outside native memory (compile-time folding), or where neither
 * split applies, it runs the two kernels one after the other, each as it would unfused (their
 * own splits, serial small depthwise layers).
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
    /** The largest depthwise output each worker computes in full for a channel split. */
    static final int REPLICATE_BYTES = 64 * 1024;
    /**
     * {@value #REPLICATE_PROPERTY} (default true): whether few-row pairs are split by channels
     * with the depthwise computed by every task (else run one after the other).
     */
    public static final String REPLICATE_PROPERTY = "whittle.fuse.replicate";

    private final DepthwiseConvParams dw;
    private final ConvParams pw;
    /** One of the two: the row-staged kernel (worker scratch) or the channel-blocked one. */
    private final NativeDepthwiseConvRows rowsKernel;
    private final NativeDepthwiseConv lanesKernel;
    /** The 1x1's GEMM: dense, 2:4, blocked sparse or LUT, all with the same pixel/channel-range entry. */
    private final NativeGemm gemm;
    /** The GEMM's output pixels and channels, and its channel groups (of {@code group} channels). */
    private final int m;
    private final int n;
    private final int group;
    private final int groups;
    private final int rows;
    private final int outW;
    /** Bytes of the depthwise output, 64-aligned: where the kernels' scratch starts in a worker's. */
    private final long copyBytes;
    private final long kernelScratch;
    private final boolean replicate = !"false".equalsIgnoreCase(System.getProperty(REPLICATE_PROPERTY, "true"));
    private final int minRowsPerThread = Math.max(1, Integer.getInteger(MIN_ROWS_PER_THREAD_PROPERTY,
            MIN_ROWS_PER_THREAD));
    /**
     * {@value #TASKS_PER_THREAD_PROPERTY} (default {@value #TASKS_PER_THREAD}): bands per thread
     * (at most one row each); more balance a late worker better, fewer cost less per call.
     */
    public static final String TASKS_PER_THREAD_PROPERTY = "whittle.fuse.tasksPerThread";
    static final int TASKS_PER_THREAD = 4;
    private final int tasksPerThread = Math.max(1, Integer.getInteger(TASKS_PER_THREAD_PROPERTY, TASKS_PER_THREAD));

    private FusedDwConvGemm(DepthwiseConvParams dw, ConvParams pw, NativeDepthwiseConvRows rowsKernel,
            NativeDepthwiseConv lanesKernel, NativeGemm gemm, int rows) {
        this.dw = dw;
        this.pw = pw;
        this.rowsKernel = rowsKernel;
        this.lanesKernel = lanesKernel;
        this.gemm = gemm;
        Q8GemmLayout.Split split = gemm.split();
        this.m = split.m();
        this.n = split.n();
        this.group = split.group();
        this.groups = (n + group - 1) / group;
        this.rows = rows;
        this.outW = dw.outW();
        long out = (long) dw.batches() * dw.outH() * dw.outW() * dw.outC();
        this.copyBytes = out <= REPLICATE_BYTES ? (out + 63) / 64 * 64 : 0;
        this.kernelScratch = Math.max(rowsKernel != null ? rowsKernel.workerScratchBytes() : 0, gemm.scratchBytes());
    }

    /**
     * Bytes of native scratch each worker needs: a copy of the depthwise output (for the channel
     * split, when small enough), then the larger of the two kernels' scratch areas.
     */
    public long workerScratchBytes() {
        return copyBytes + kernelScratch;
    }

    /** Tasks of the channel split: one per thread, at most one channel group of the GEMM each. */
    private int channelTasks(int threads) {
        return Math.min(threads, groups);
    }

    private boolean banded(int threads) {
        return rows >= minRowsPerThread * threads;
    }

    /** Whether {@value #PROPERTY} allows fusing (default true). */
    public static boolean enabled() {
        return !"false".equalsIgnoreCase(System.getProperty(PROPERTY, "true"));
    }

    /**
     * The fused pair, or null where it cannot be fused: the depthwise node must run on a native
     * rows kernel, the convolution be a 1x1, stride 1, unpadded CONV_2D on a native 8-bit GEMM
     * of any weight format ({@link NativeGemmKernel}: {@link Q8GemmConv} dense, {@link Q8Sp24Conv}
     * 2:4, {@link Q8SparseConv} blocked sparse, {@code Q8LutGemm.Conv} LUT) reading the depthwise output with the same batches, rows and
     * columns. The caller checks that nothing else reads the depthwise output.
     */
    public static FusedDwConvGemm create(DepthwiseConvParams dw, ConvParams pw) {
        if (pw.input() != dw.output() || pw.kh() != 1 || pw.kw() != 1 || pw.strideH() != 1 || pw.strideW() != 1
                || pw.padH() != 0 || pw.padW() != 0 || pw.batches() != dw.batches() || pw.inH() != dw.outH()
                || pw.inW() != dw.outW() || pw.inC() != dw.outC() || pw.outH() != dw.outH()
                || pw.outW() != dw.outW()) {
            return null;
        }
        if (!(pw.kernel() instanceof NativeGemmKernel<?> conv)) {
            return null;
        }
        NativeGemm gemm = conv.gemm();
        if (gemm.split().m() != dw.batches() * dw.outH() * dw.outW() || gemm.split().n() != pw.outC()) {
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

    /**
     * Runs both nodes: at 2 threads and more fused, in bands of rows or split by channels,
     * else one after the other.
     */
    public void run(ExecutionState s) {
        int threads = s.threads();
        boolean fused = threads > 1 && (banded(threads) || (replicate && copyBytes > 0 && channelTasks(threads) > 1));
        if (!fused || s.address(dw.input()) == 0 || s.address(dw.output()) == 0 || s.address(pw.output()) == 0
                || s.workerScratchAddress(0) == 0) {
            dw.kernel().run(dw, s);
            pw.kernel().run(pw, s);
            return;
        }
        s.parallelFor(banded(threads) ? Math.min(rows, tasksPerThread * threads) : channelTasks(threads), this, dw);
    }

    @Override
    public void run(DepthwiseConvParams p, ExecutionState s, int task, int worker) {
        run(p, s, task, task + 1, worker);
    }

    /**
     * Tasks {@code [from, to)}: banded, one band of consecutive rows, depthwise then 1x1, one call
     * each; split by channels, the whole depthwise (into the intermediate tensor for task 0, else
     * into the worker's copy) then the 1x1 on the tasks' channel groups, reading that.
     */
    @Override
    public void run(DepthwiseConvParams p, ExecutionState s, int from, int to, int worker) {
        int threads = s.threads();
        long scratch = s.workerScratchAddress(worker);
        long kernels = scratch + copyBytes;
        if (banded(threads)) {
            int bands = Math.min(rows, tasksPerThread * threads);
            int r0 = (int) ((long) rows * from / bands);
            int r1 = (int) ((long) rows * to / bands);
            long mid = s.address(dw.output());
            depthwise(s, mid, kernels, r0, r1);
            gemm.runRange(mid, s.address(pw.output()), kernels, r0 * outW, r1 * outW, 0, n);
            return;
        }
        int tasks = channelTasks(threads);
        long mid = from == 0 ? s.address(dw.output()) : scratch;
        depthwise(s, mid, kernels, 0, rows);
        int n0 = (int) ((long) groups * from / tasks) * group;
        int n1 = Math.min(n, (int) ((long) groups * to / tasks) * group);
        gemm.runRange(mid, s.address(pw.output()), kernels, 0, m, n0, n1);
    }

    private void depthwise(ExecutionState s, long output, long scratch, int r0, int r1) {
        if (rowsKernel != null) {
            rowsKernel.runRows(dw, s, output, scratch, r0, r1);
        } else {
            lanesKernel.runRows(dw, s, output, r0, r1);
        }
    }

    @Override
    public String toString() {
        return name();
    }
}
