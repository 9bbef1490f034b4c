package dev.whittle.runtime;

import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.locks.LockSupport;

/**
 * The worker threads of one {@link ExecutionContext} (pthreadpool's role in XNNPACK): the
 * invoking thread is worker 0 and {@code threads - 1} daemon threads are workers 1.., created
 * with the context and stopped by its close. {@link #run} hands one operator's tasks to all of
 * them, the invoking thread included, and returns as soon as every task is done.
 *
 * <p>Tasks are split statically first, like pthreadpool: worker {@code w} owns the contiguous
 * range {@code [w * count / threads, (w + 1) * count / threads)} and claims its tasks from the
 * front of its own slot (a CAS on its own cache line, uncontended), so consecutive operators
 * cut into the same row ranges give a worker the rows it produced itself. A worker that is
 * done steals from the back of the others' ranges, so uneven tasks balance and a worker that
 * has not been scheduled yet (a loaded machine) delays nothing: the others take its share.
 * Each worker adds its number of finished tasks to the shared counter once per run, not once
 * per task. A run thus costs a handful of cache-line transfers instead of two contended atomics
 * per task: on 2 vCPUs of a Zen 4, a run of 8 empty tasks went from 570 to 330 ns, and the
 * worker now lands on the rows it wrote in the operator before (person_detect at 2 threads,
 * interleaved with the previous pool: 89 -> 75 us).
 *
 * <p>A slot holds {@code run << 32 | front << 16 | back}: a worker that wakes late, after its
 * run finished, can never claim a task of the next run with the previous run's fields, since
 * its CAS expects the previous run number. More than {@value #MAX_SLOT_TASKS} tasks are
 * grouped into that many chunks of consecutive tasks.
 *
 * <p>Between operators of one invoke the workers spin (the next operator usually follows
 * within microseconds) and then park; once the invoke is over ({@link #end}) they spin for
 * {@code -Dwhittle.pool.idleSpins} iterations (default: as long) before parking, and
 * {@link #begin} wakes parked workers while the invoking thread starts the first operator. A
 * parked thread says so in a flag before it parks (and checks the run again after), so the
 * invoking thread unparks only parked workers and a worker unparks the invoking thread only
 * when it parked: no {@code LockSupport.unpark} (a mutex and a condition variable in HotSpot)
 * on the path of a run whose threads spin. Nothing is allocated per run: the task, its
 * parameters and the state are published through fields before the volatile run number. A
 * task's exception is rethrown on the invoking thread; the run's remaining tasks are then
 * skipped.
 */
final class IntraOpPool implements AutoCloseable {
    /** Spin iterations before a waiting thread parks during an invoke (hundreds of microseconds). */
    private static final int SPINS = 1 << 14;
    /**
     * Spin iterations before a waiting worker parks between invokes: {@value #IDLE_SPINS_PROPERTY}
     * (OpenMP's block time). The default spins as long as within an invoke, since a thread that
     * invokes back to back (a benchmark, a busy service) measured 1.5x slower on person_detect
     * at 2 threads when its workers parked after a few microseconds and had to be woken for the
     * next invoke; a service that invokes now and then, and wants the cores for its other
     * threads meanwhile, sets it low (256: a few microseconds).
     */
    static final String IDLE_SPINS_PROPERTY = "whittle.pool.idleSpins";
    private static final int IDLE_SPINS = Math.max(0, Integer.getInteger(IDLE_SPINS_PROPERTY, SPINS));
    /** Tasks a slot can index (16 bits each for front and back). */
    static final int MAX_SLOT_TASKS = 0xFFFF;
    /** Longs between two slots: 128 bytes, so that no two share a line or an adjacent-line prefetch pair. */
    private static final int STRIDE = 16;
    private static final long FRONT_ONE = 1L << 16;
    /**
     * A worker claims all of its own chunks at once when there are at most this many left, else
     * three quarters of them. Leaving the last of 4 for later (three quarters of 4 is 3) had a
     * worker that started a few hundred nanoseconds after the invoking thread lose that chunk to
     * it: the invoking thread, done with its own 4, stole it and ran it while the worker finished
     * its 3, so the run took a chunk longer instead of the start delay longer (a 2-thread run of
     * 8 equal tasks: ~200 ns more than of 2 tasks of the same total, on 2 vCPUs of a Zen 4), and
     * a fused band cost two kernel calls per worker. A worker that has not started by the time
     * the others are done still loses half of its chunks to each steal.
     */
    private static final int OWN_WHOLE = 4;

    private final Thread[] workers;
    /**
     * Slot of worker {@code w} at {@code w * STRIDE}: {@code run << 32 | front << 16 | back},
     * its unclaimed chunks are {@code [front, back)}. At {@code threads * STRIDE}: chunks of the
     * current run finished (run or skipped).
     */
    private final AtomicLongArray slots;
    private final int doneIndex;
    /** 1 at {@code w * STRIDE} while thread {@code w} is parked or about to park (0: the invoking thread). */
    private final AtomicIntegerArray parked;
    /**
     * At {@code (threads + 1) * STRIDE} of {@link #slots}, alone on its line: the number of the
     * current run (low 32 bits) and {@link #CLOSED} once closed, the one word a waiting worker
     * polls. It was a field beside the run's task and params: the workers polled the line the
     * invoking thread then wrote six times per run, and each such write could cost a transfer.
     */
    private final int runIndex;
    private static final long CLOSED = 1L << 32;
    /** The current run's number: the invoking thread's copy. */
    private int run;
    /** Whether an invoke is under way ({@link #begin} .. {@link #end}). */
    private volatile boolean active;
    private volatile Thread caller;

    // Published before the run write, read after the run read.
    private ParallelTask<Object> task;
    private Object params;
    private ExecutionState state;
    private int taskCount;
    /** Chunks of the run ({@code taskCount} when it fits in a slot) and tasks per chunk. */
    private int chunks;
    private int chunkSize;
    private volatile Throwable failure;

    IntraOpPool(int threads, String name) {
        if (threads < 2) {
            throw new IllegalArgumentException("a pool needs at least 2 threads, got " + threads);
        }
        workers = new Thread[threads - 1];
        slots = new AtomicLongArray((threads + 3) * STRIDE);
        doneIndex = threads * STRIDE;
        runIndex = (threads + 1) * STRIDE;
        parked = new AtomicIntegerArray(threads * STRIDE * 2);
        for (int w = 0; w < workers.length; w++) {
            int worker = w + 1;
            Thread t = new Thread(() -> loop(worker), name + "-worker-" + worker);
            t.setDaemon(true);
            workers[w] = t;
        }
        for (Thread t : workers) {
            t.start();
        }
    }

    /** An invoke starts: wake the workers so they are spinning by its first parallel operator. */
    void begin() {
        active = true;
        wakeParkedWorkers();
    }

    /** The invoke is over: waiting workers park soon rather than spin. */
    void end() {
        active = false;
    }

    /** Number of workers, the invoking thread included. */
    int threads() {
        return workers.length + 1;
    }

    private void wakeParkedWorkers() {
        for (int w = 0; w < workers.length; w++) {
            if (parked.get((w + 1) * STRIDE * 2) != 0) {
                LockSupport.unpark(workers[w]);
            }
        }
    }

    @SuppressWarnings("unchecked")
    <P> void run(int count, ParallelTask<P> t, P p, ExecutionState s) {
        if ((slots.get(runIndex) & CLOSED) != 0) {
            throw new IllegalStateException("execution context is closed");
        }
        int r = run + 1;
        int n = threads();
        int size = count <= MAX_SLOT_TASKS ? 1 : (count + MAX_SLOT_TASKS - 1) / MAX_SLOT_TASKS;
        int c = (count + size - 1) / size;
        this.task = (ParallelTask<Object>) t;
        this.params = p;
        this.state = s;
        this.taskCount = count;
        this.chunkSize = size;
        this.chunks = c;
        // Only plain and release writes before the run write (a volatile write drains the store
        // buffer, and the workers poll the line of these fields: each such write cost a
        // transfer of the line). failure is null here (reset when it was rethrown).
        Thread current = Thread.currentThread();
        if (caller != current) {
            caller = current;
        }
        long base = (long) r << 32;
        for (int w = 0; w < n; w++) {
            long front = (long) c * w / n;
            long back = (long) c * (w + 1) / n;
            slots.setRelease(w * STRIDE, base | front << 16 | back);
        }
        slots.setRelease(doneIndex, 0);
        run = r;
        slots.set(runIndex, r & 0xFFFF_FFFFL); // publishes the fields above
        wakeParkedWorkers();
        work(r, 0);
        int spins = 0;
        while (slots.get(doneIndex) < c) {
            if (++spins < SPINS) {
                Thread.onSpinWait();
            } else {
                parked.set(0, 1);
                if (slots.get(doneIndex) < c) {
                    LockSupport.parkNanos(this, 20_000);
                }
                parked.set(0, 0);
            }
        }
        // task, params and state are left as they are until the next run: clearing them would
        // write the line the workers poll once more per run (they are the context's own state
        // and the compiled model's kernels, alive as long as the context anyway).
        Throwable f = failure;
        if (f != null) {
            failure = null;
            if (f instanceof RuntimeException e) {
                throw e;
            }
            if (f instanceof Error e) {
                throw e;
            }
            throw new IllegalStateException(f);
        }
    }

    /**
     * Claims and runs chunks of run {@code r}, from the front of its own slot (all of them when
     * at most {@value #OWN_WHOLE} are left, else three quarters of what is left at a time), then from the back of the others' (half of what is left),
     * until none is left (or the run is over); then adds what it ran to the finished count.
     * Claims are ranges so that a kernel runs consecutive tasks as one call
     * ({@link ParallelTask#run(Object, ExecutionState, int, int, int)}): a task is one native
     * call with its own set-up, and a worker that has to wait for another's claim waits until
     * that worker runs again however small the claim is.
     */
    private void work(int r, int worker) {
        ParallelTask<Object> t = task;
        Object p = params;
        ExecutionState s = state;
        int count = taskCount;
        int size = chunkSize;
        int c = chunks;
        int n = threads();
        long base = (long) r << 32;
        int ran = 0;
        int own = worker * STRIDE;
        while (true) {
            long cur = slots.get(own);
            int front = (int) (cur >>> 16) & 0xFFFF;
            int left = ((int) cur & 0xFFFF) - front;
            if ((cur & 0xFFFF_FFFF_0000_0000L) != base || left <= 0) {
                break; // another run, or our range is empty
            }
            int k = left <= OWN_WHOLE ? left : left - left / 4;
            if (!slots.compareAndSet(own, cur, cur + k * FRONT_ONE)) {
                continue;
            }
            runChunks(t, p, s, front, front + k, size, count, worker);
            ran += k;
        }
        for (int v = 1; v < n; v++) {
            int victim = ((worker + v) % n) * STRIDE;
            while (true) {
                long cur = slots.get(victim);
                int back = (int) cur & 0xFFFF;
                int left = back - ((int) (cur >>> 16) & 0xFFFF);
                if ((cur & 0xFFFF_FFFF_0000_0000L) != base || left <= 0) {
                    break;
                }
                int k = (left + 1) / 2;
                if (!slots.compareAndSet(victim, cur, cur - k)) {
                    continue;
                }
                runChunks(t, p, s, back - k, back, size, count, worker);
                ran += k;
            }
        }
        if (ran > 0 && slots.addAndGet(doneIndex, ran) == c && worker != 0 && parked.get(0) != 0) {
            Thread caller = this.caller;
            if (caller != null) {
                LockSupport.unpark(caller);
            }
        }
    }

    /** Runs the tasks of chunks {@code [from, to)} as one range, unless a task failed. */
    private void runChunks(ParallelTask<Object> t, Object p, ExecutionState s, int from, int to, int size, int count,
            int worker) {
        if (failure != null) {
            return;
        }
        try {
            t.run(p, s, from * size, Math.min(count, to * size), worker);
        } catch (Throwable e) {
            failure = e;
        }
    }

    private void loop(int worker) {
        long seen = 0;
        int flag = worker * STRIDE * 2;
        while (true) {
            int spins = 0;
            // active is read once per 1024 spins, not per poll: it lives on the line of the run's
            // fields, which the invoking thread writes while we poll.
            int limit = active ? SPINS : IDLE_SPINS;
            long cell;
            while ((cell = slots.get(runIndex)) == seen) {
                if (++spins < limit) {
                    Thread.onSpinWait();
                    if ((spins & 1023) == 0) {
                        limit = active ? SPINS : IDLE_SPINS;
                    }
                } else {
                    // Say so before parking and look again after: the invoking thread publishes
                    // the run and then reads the flag (both volatile), so either it unparks us or
                    // we see the run here.
                    parked.set(flag, 1);
                    if (slots.get(runIndex) == seen) {
                        LockSupport.park(this);
                    }
                    parked.set(flag, 0);
                    spins = 0;
                    limit = active ? SPINS : IDLE_SPINS;
                }
            }
            if ((cell & CLOSED) != 0) {
                return;
            }
            seen = cell;
            work((int) cell, worker);
        }
    }

    @Override
    public void close() {
        slots.getAndUpdate(runIndex, v -> v | CLOSED); // idempotent: close may be called twice
        for (Thread w : workers) {
            LockSupport.unpark(w);
        }
    }
}
