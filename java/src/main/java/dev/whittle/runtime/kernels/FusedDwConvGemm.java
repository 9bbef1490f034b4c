package dev.whittle.runtime.kernels;

import dev.whittle.runtime.ExecutionState;
import dev.whittle.runtime.Kernel;
import dev.whittle.runtime.ParallelTask;
import dev.whittle.runtime.kernels.reference.ConvParams;
import dev.whittle.runtime.kernels.reference.DepthwiseConvParams;

import java.lang.invoke.VarHandle;
import java.lang.foreign.ValueLayout;

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
 * <p>Phased ({@value #PHASED_PROPERTY}, default {@value #PHASED_ROWS_PER_THREAD}): where the
 * layer has fewer rows than that per thread and the row-staged depthwise kernel has more than one
 * vector per step (person_detect's 3x3 layers: 128 and 256 channels), the depthwise is split by
 * vectors (lanes of its steps) instead of computed by every task, and the 1x1 by channel groups
 * after it: one fork/join with a wait inside, where each worker computes its part of the
 * depthwise, waits until every part is written, then computes its part of the 1x1. Parts are
 * claimed from counters (three cache lines after worker 0's scratch, reset by the invoking thread
 * before the run) rather than given to workers, so a worker that arrives late (a loaded machine)
 * finds its parts already taken by the others, and nobody waits for a part that no running worker
 * has claimed: a part is waited for only once claimed, and a claimed part is being computed.
 * The replicated split costs the whole depthwise on every worker (0.8-1.1 us of person_detect's
 * 2.8-4.5 us 3x3 blocks at 1 thread); this one half of it and a wait.
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
    /**
     * {@value #PHASED_PROPERTY} (default {@value #PHASED_ROWS_PER_THREAD}; 0: never): layers of fewer
     * rows than that per thread take the phased split where it applies (see the class comment),
     * before the bands and the replicated channel split.
     */
    public static final String PHASED_PROPERTY = "whittle.fuse.phasedRowsPerThread";
    static final int PHASED_ROWS_PER_THREAD = 2;
    private final int phasedRowsPerThread = Math.max(0, Integer.getInteger(PHASED_PROPERTY, PHASED_ROWS_PER_THREAD));
    /** Three counters, a cache line each: depthwise parts claimed, depthwise parts done, 1x1 parts claimed. */
    private static final long SYNC_BYTES = 3 * 64;
    private static final VarHandle INT = ValueLayout.JAVA_INT.varHandle();
    /** Spins of a worker waiting for the depthwise parts before it yields its CPU between polls. */
    private static final int WAIT_SPINS = 1 << 12;
    /** Where the counters start in worker 0's scratch (after the copy and the kernels' scratch). */
    private final long syncOffset;

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
        this.syncOffset = copyBytes + (kernelScratch + 63) / 64 * 64;
    }

    /**
     * Bytes of native scratch each worker needs: a copy of the depthwise output (for the channel
     * split, when small enough), then the larger of the two kernels' scratch areas.
     */
    public long workerScratchBytes() {
        return syncOffset + SYNC_BYTES;
    }

    /** Parts of the phased split's depthwise: vectors of a step, at most one part per thread. */
    private int dwParts(int threads) {
        return rowsKernel == null ? 0 : Math.min(threads, rowsKernel.vectors());
    }

    private boolean phased(int threads) {
        return threads > 1 && rows < (long) phasedRowsPerThread * threads && dwParts(threads) > 1
                && channelTasks(threads) > 1;
    }

    /**
     * How this pair runs at {@code threads} (with its tensors in native memory): {@code "phased"},
     * {@code "bands"}, {@code "channels"} (depthwise on every task) or {@code "serial"} (the two
     * kernels one after the other). For tests and profiles.
     */
    public String split(int threads) {
        if (threads <= 1) {
            return "serial";
        }
        if (phased(threads)) {
            return "phased";
        }
        if (banded(threads)) {
            return "bands";
        }
        return replicate && copyBytes > 0 && channelTasks(threads) > 1 ? "channels" : "serial";
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
        boolean isPhased = phased(threads);
        boolean fused = threads > 1 && (isPhased || banded(threads)
                || (replicate && copyBytes > 0 && channelTasks(threads) > 1));
        if (!fused || s.address(dw.input()) == 0 || s.address(dw.output()) == 0 || s.address(pw.output()) == 0
                || s.workerScratchAddress(0) == 0) {
            dw.kernel().run(dw, s);
            pw.kernel().run(pw, s);
            return;
        }
        if (isPhased) {
            resetCounters(s.workerScratchAddress(0) + syncOffset);
            s.parallelFor(threads, this, dw);
            return;
        }
        s.parallelFor(banded(threads) ? Math.min(rows, tasksPerThread * threads) : channelTasks(threads), this, dw);
    }

    /**
     * Tasks of this pair as one step of a chain of operators run in one parallel region
     * ({@code NodeChain}), at {@code s.threads()}: the tasks {@link #run(ExecutionState)} would
     * hand the pool; 0 where it would run the two kernels one after the other (1 thread, tensors
     * outside native memory, or no split applies).
     */
    public int chainTasks(ExecutionState s) {
        int threads = s.threads();
        if (threads < 2 || s.address(dw.input()) == 0 || s.address(dw.output()) == 0 || s.address(pw.output()) == 0
                || s.workerScratchAddress(0) == 0) {
            return 0;
        }
        if (phased(threads)) {
            return threads;
        }
        if (banded(threads)) {
            return Math.min(rows, tasksPerThread * threads);
        }
        return replicate && copyBytes > 0 && channelTasks(threads) > 1 ? channelTasks(threads) : 0;
    }

    /**
     * Bytes of counters a chain step gives this pair ({@link #beforeChain}): in a chain, two
     * phased pairs run in one region, so each needs its own counters (in worker 0's scratch,
     * theirs could even lie in another pair's kernel scratch).
     */
    public static final long CHAIN_SYNC_BYTES = SYNC_BYTES;

    /**
     * Before a chain's region, on the invoking thread: resets the phased split's counters at
     * {@code sync} ({@link #CHAIN_SYNC_BYTES}, the chain's memory for this step), which
     * {@link #runChainTasks} then uses.
     */
    public void beforeChain(ExecutionState s, long sync) {
        if (phased(s.threads())) {
            resetCounters(sync);
        }
    }

    /** Tasks {@code [from, to)} of {@link #chainTasks}, as one step of a chain with its counters at {@code sync}. */
    public void runChainTasks(ExecutionState s, int from, int to, int worker, long sync) {
        runTasks(s, from, to, worker, sync);
    }

    private static void resetCounters(long sync) {
        // Plain writes: the pool's run publishes them to the workers (a volatile write they read).
        Int8GemmBlocks.NATIVE.set(ValueLayout.JAVA_INT, sync, 0);
        Int8GemmBlocks.NATIVE.set(ValueLayout.JAVA_INT, sync + 64, 0);
        Int8GemmBlocks.NATIVE.set(ValueLayout.JAVA_INT, sync + 128, 0);
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
        runTasks(s, from, to, worker, s.workerScratchAddress(0) + syncOffset);
    }

    private void runTasks(ExecutionState s, int from, int to, int worker, long sync) {
        int threads = s.threads();
        long scratch = s.workerScratchAddress(worker);
        long kernels = scratch + copyBytes;
        if (phased(threads)) {
            phasedRun(s, kernels, threads, sync);
            return;
        }
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

    /**
     * One worker's share of a phased run, whatever tasks it was given (a worker that took every
     * task runs every part once): claims depthwise parts until none is left, waits until every
     * part is done, then claims 1x1 parts. A failing part still counts as done, so that no worker
     * waits for it; the pool rethrows the failure.
     */
    private void phasedRun(ExecutionState s, long kernels, int threads, long sync) {
        int parts = dwParts(threads);
        int vectors = rowsKernel.vectors();
        long mid = s.address(dw.output());
        int i;
        while ((i = (int) INT.getAndAdd(Int8GemmBlocks.NATIVE, sync, 1)) < parts) {
            try {
                rowsKernel.runRows(dw, s, mid, kernels, 0, rows, vectors * i / parts, vectors * (i + 1) / parts);
            } finally {
                INT.getAndAdd(Int8GemmBlocks.NATIVE, sync + 64, 1);
            }
        }
        int spins = 0;
        while ((int) INT.getVolatile(Int8GemmBlocks.NATIVE, sync + 64) < parts) {
            if (++spins < WAIT_SPINS) {
                Thread.onSpinWait();
            } else {
                Thread.yield();
            }
        }
        int tasks = channelTasks(threads);
        long out = s.address(pw.output());
        while ((i = (int) INT.getAndAdd(Int8GemmBlocks.NATIVE, sync + 128, 1)) < tasks) {
            int n0 = (int) ((long) groups * i / tasks) * group;
            int n1 = Math.min(n, (int) ((long) groups * (i + 1) / tasks) * group);
            gemm.runRange(mid, out, kernels, 0, m, n0, n1);
        }
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
