package dev.whittle.runtime;

import dev.whittle.runtime.kernels.reference.DepthwiseConvParams;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;

/**
 * Consecutive parallel operators run as one parallel region: one {@link IntraOpPool} run for
 * the whole chain instead of a fork/join per operator, with a barrier between two operators
 * (MobileNet's depthwise-separable blocks, fused into {@link FusedPairOp}s, and depthwise
 * convolutions on the native rows kernel: person_detect's stem depthwise and its 13 pairs are
 * one chain). A fork/join costs the woken worker several cache-line transfers in a
 * row (the run word, the run's fields, its slot, the others' slots, the finished count) and the
 * invoking thread the operator's set-up in between; a barrier costs one transfer of the
 * finished counts. Session 8 measured 0.3-0.7 us lost per parallel operator at 2 threads on
 * person_detect (about 0.2 us of it the fork/join).
 *
 * <p>The region is not a fixed team: the pool hands one participation task per thread, and a
 * participation runs every step of the chain, claiming that step's tasks the way the pool
 * does (its own static share from the front of its own slot, then from the back of the
 * others'), adding what it ran to its finished count, and waiting until the finished counts of
 * all workers cover every task of the step. A thread waits only for tasks that another
 * running thread has claimed, never for a thread that has not started: it claims whatever is
 * left unclaimed first. So a worker that starts late (a loaded machine) delays nothing, and a
 * participation task the invoking thread takes over from such a worker finds everything done.
 * Steps split the same way at every invoke (their task count depends only on the thread
 * count), so worker {@code w} writes the same rows in every step and reads mostly its own.
 *
 * <p>Sync words live in each worker's scratch, after what the operators use: at
 * {@code syncOffset} worker {@code w}'s finished count, then (worker 0) the region number, then
 * per step its slot and (worker 0) the step's own sync memory, each word on its own 128-byte
 * pair of lines. Every word carries the region
 * number in its high half, so nothing is reset per invoke: a word of an older region reads as
 * "nothing claimed, nothing finished". A task's exception is caught, its tasks still count as
 * finished (no one waits for them) and the participation skips its later tasks and rethrows
 * at its end; the pool rethrows it on the invoking thread.
 */
final class NodeChain implements ParallelTask<ExecutionState> {
    /** {@code -Dwhittle.chain=false} runs every operator as its own fork/join (A/B); read at compile. */
    static final String PROPERTY = "whittle.chain";
    /** Bytes between two sync words: a pair of lines, so that adjacent-line prefetch does not share them. */
    private static final long LINE = 128;
    private static final long DONE = 0;
    private static final long REGION = LINE;
    private static final long SLOTS = 2 * LINE;
    private static final long FRONT_ONE = 1L << 16;
    /** A worker claims all of its own tasks of a step when at most this many are left (as the pool). */
    private static final int OWN_WHOLE = 4;
    /** Spins of a waiting thread before it yields its CPU between polls. */
    private static final int WAIT_SPINS = 1 << 14;
    private static final MemorySegment NATIVE = MemorySegment.NULL.reinterpret(Long.MAX_VALUE);
    private static final VarHandle LONG = ValueLayout.JAVA_LONG.varHandle();

    /** One operator of a chain. */
    interface Step {
        /**
         * Tasks of this step at {@code s.threads()} (the same for every call on a context), or 0
         * when it cannot run as a step now (then the whole chain runs operator by operator).
         * At most {@value NodeChain#MAX_TASKS}.
         */
        int chainTasks(ExecutionState s);

        /** Bytes of native memory the step wants for its own synchronization (at most {@value NodeChain#STEP_SYNC_BYTES}). */
        long syncBytes();

        /**
         * On the invoking thread before the region: resets the step's own per-invoke state, its
         * sync memory at {@code sync} included (plain writes: the pool's run publishes them).
         */
        void beforeChain(ExecutionState s, long sync);

        /** Runs tasks {@code [from, to)} on worker {@code worker}; {@code sync}: the step's memory. */
        void runTasks(ExecutionState s, int from, int to, int worker, long sync);
    }

    /**
     * A node whose kernel can be a step by itself ({@link ChainableTask}: the native depthwise rows
     * kernel of person_detect's stem, the one-input-channel depthwise kernel of its first layer).
     */
    static final class KernelStep<P> implements Step {
        private final ChainableTask<P> kernel;
        private final P params;

        KernelStep(ChainableTask<P> kernel, P params) {
            this.kernel = kernel;
            this.params = params;
        }

        @Override
        public int chainTasks(ExecutionState s) {
            return kernel.chainTasks(params, s);
        }

        @Override
        public long syncBytes() {
            return 0;
        }

        @Override
        public void beforeChain(ExecutionState s, long sync) {
        }

        @Override
        public void runTasks(ExecutionState s, int from, int to, int worker, long sync) {
            kernel.run(params, s, from, to, worker);
        }
    }

    /** Tasks a slot can index (16 bits each for front and back). */
    static final int MAX_TASKS = 0xFFFF;
    /**
     * Bytes of a step's own sync memory (in worker 0's area, after the slot of the step): steps
     * of one chain run in one region, so each needs memory no other step touches.
     */
    static final long STEP_SYNC_BYTES = 3 * LINE;
    /** Bytes per step in each worker's area: its slot, then (worker 0) its sync memory. */
    private static final long STEP_BYTES = LINE + STEP_SYNC_BYTES;

    private final Step[] steps;
    /** Live node positions: the chain runs nodes {@code [first, end)} (fused tails included). */
    private final int first;
    private final int end;
    private final long syncOffset;

    NodeChain(Step[] steps, int first, int end, long syncOffset) {
        this.steps = steps.clone();
        this.first = first;
        this.end = end;
        this.syncOffset = syncOffset;
    }

    /** Bytes of worker scratch a chain of {@code steps} steps needs after its sync offset. */
    static long syncBytes(int steps) {
        return SLOTS + steps * STEP_BYTES;
    }

    /** Whether {@value #PROPERTY} allows chains (default true). */
    static boolean enabled() {
        return !"false".equalsIgnoreCase(System.getProperty(PROPERTY, "true"));
    }

    int first() {
        return first;
    }

    /** The node position after the chain's last node. */
    int end() {
        return end;
    }

    int steps() {
        return steps.length;
    }

    /**
     * Runs the chain as one region when the state has threads and every step can, and returns
     * whether it did (false: nothing ran, the caller runs the nodes one by one).
     */
    boolean run(ExecutionState s) {
        if (s.threads() < 2 || s.workerScratchAddress(0) == 0) {
            return false;
        }
        for (Step step : steps) {
            int t = step.chainTasks(s);
            if (t <= 0 || t > MAX_TASKS || step.syncBytes() > STEP_SYNC_BYTES) {
                return false;
            }
        }
        long sync0 = s.workerScratchAddress(0) + syncOffset;
        for (int k = 0; k < steps.length; k++) {
            steps[k].beforeChain(s, sync0 + SLOTS + k * STEP_BYTES + LINE);
        }
        long region = sync0 + REGION;
        // A plain write: the pool's run publishes it (a volatile write the workers read first).
        long r = ((long) LONG.get(NATIVE, region) + 1) & 0xFFFF_FFFFL;
        LONG.set(NATIVE, region, r == 0 ? 1 : r);
        s.parallelFor(s.threads(), this, s);
        return true;
    }

    /** One thread's participation: every step, its own tasks first, then what is left, then the barrier. */
    @Override
    public void run(ExecutionState s, ExecutionState ignored, int task, int worker) {
        int n = s.threads();
        long sync0 = s.workerScratchAddress(0) + syncOffset;
        long tag = (long) LONG.get(NATIVE, sync0 + REGION) << 32;
        long mine = s.workerScratchAddress(worker) + syncOffset;
        // A second participation on this worker (taken over from a late one) goes on counting.
        long d = (long) LONG.getVolatile(NATIVE, mine + DONE);
        int ran = (d & 0xFFFF_FFFF_0000_0000L) == tag ? (int) d : 0;
        long required = 0;
        Throwable failure = null;
        for (int k = 0; k < steps.length; k++) {
            Step step = steps[k];
            int count = step.chainTasks(s);
            required += count;
            long slotOffset = SLOTS + k * STEP_BYTES;
            long stepSync = sync0 + slotOffset + LINE;
            long own = mine + slotOffset;
            while (true) {
                long cur = (long) LONG.getVolatile(NATIVE, own);
                int range = unclaimed(cur, tag, count, worker, n);
                int front = range >>> 16;
                int back = range & 0xFFFF;
                int left = back - front;
                if (left <= 0) {
                    break;
                }
                int take = left <= OWN_WHOLE ? left : left - left / 4;
                if (!LONG.compareAndSet(NATIVE, own, cur, tag | (long) (front + take) << 16 | back)) {
                    continue;
                }
                failure = runTasks(step, s, front, front + take, worker, stepSync, failure);
                ran += take;
            }
            LONG.setRelease(NATIVE, mine + DONE, tag | ran);
            // The last to finish its share finds the step complete: nothing is left to steal, and
            // looking into the others' slots first would cost it a transfer per slot.
            if (finished(s, n, tag) >= required) {
                continue;
            }
            boolean stole = false;
            for (int v = 1; v < n; v++) {
                int victim = (worker + v) % n;
                long slot = s.workerScratchAddress(victim) + syncOffset + slotOffset;
                while (true) {
                    long cur = (long) LONG.getVolatile(NATIVE, slot);
                    int range = unclaimed(cur, tag, count, victim, n);
                    int front = range >>> 16;
                    int back = range & 0xFFFF;
                    int left = back - front;
                    if (left <= 0) {
                        break;
                    }
                    int take = (left + 1) / 2;
                    if (!LONG.compareAndSet(NATIVE, slot, cur, tag | (long) front << 16 | (back - take))) {
                        continue;
                    }
                    failure = runTasks(step, s, back - take, back, worker, stepSync, failure);
                    ran += take;
                    stole = true;
                }
            }
            if (stole) {
                LONG.setRelease(NATIVE, mine + DONE, tag | ran);
            }
            // After the last step the pool's join waits instead: every participation has claimed
            // what was left, and the pool returns once every participation is over.
            if (k + 1 < steps.length) {
                awaitFinished(s, n, tag, required);
            }
        }
        if (failure instanceof RuntimeException e) {
            throw e;
        }
        if (failure instanceof Error e) {
            throw e;
        }
        if (failure != null) {
            throw new IllegalStateException(failure);
        }
    }

    private static Throwable runTasks(Step step, ExecutionState s, int from, int to, int worker, long sync,
            Throwable failure) {
        if (failure != null) {
            return failure;
        }
        try {
            step.runTasks(s, from, to, worker, sync);
            return null;
        } catch (Throwable e) {
            return e;
        }
    }

    /** Tasks of this region the workers have finished, over all steps so far. */
    private long finished(ExecutionState s, int n, long tag) {
        long sum = 0;
        for (int w = 0; w < n; w++) {
            long d = (long) LONG.getAcquire(NATIVE, s.workerScratchAddress(w) + syncOffset + DONE);
            if ((d & 0xFFFF_FFFF_0000_0000L) == tag) {
                sum += d & 0xFFFF_FFFFL;
            }
        }
        return sum;
    }

    /**
     * The unclaimed tasks {@code [front, back)} of a step slot holding {@code cur}, as
     * {@code front << 16 | back}: the slot's own value once it carries this region's tag, else
     * {@code owner}'s initial share of the step's {@code count} tasks.
     */
    private static int unclaimed(long cur, long tag, int count, int owner, int n) {
        if ((cur & 0xFFFF_FFFF_0000_0000L) == tag) {
            return (int) cur;
        }
        return (int) ((long) count * owner / n) << 16 | (int) ((long) count * (owner + 1) / n);
    }

    /** Waits until the workers' finished counts of this region add up to {@code required}. */
    private void awaitFinished(ExecutionState s, int n, long tag, long required) {
        int spins = 0;
        while (finished(s, n, tag) < required) {
            if (++spins < WAIT_SPINS) {
                Thread.onSpinWait();
            } else {
                Thread.yield();
            }
        }
    }
}
