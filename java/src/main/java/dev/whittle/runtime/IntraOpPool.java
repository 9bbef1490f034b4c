package dev.whittle.runtime;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * The worker threads of one {@link ExecutionContext} (pthreadpool's role in XNNPACK): the
 * invoking thread is worker 0 and {@code threads - 1} daemon threads are workers 1.., created
 * with the context and stopped by its close. {@link #run} hands one operator's tasks to all of
 * them, the invoking thread included, and returns as soon as every task is done; tasks are
 * claimed from a shared counter, so uneven tasks balance themselves, and a worker that has not
 * been scheduled yet (a loaded machine) delays nothing: the others take its share.
 *
 * <p>Claims carry the run's number ({@code ticket} = run << 32 | next task), so a worker that
 * wakes late, after its run finished, can never claim a task of the next run with the
 * previous run's fields: its claim fails and it goes back to waiting.
 *
 * <p>Between operators of one invoke the workers spin (the next operator usually follows
 * within microseconds) and then park; once the invoke is over ({@link #end}) they spin for
 * {@code -Dwhittle.pool.idleSpins} iterations (default: as long) before parking, and
 * {@link #begin} wakes parked workers while the invoking thread starts the first operator. Nothing is allocated per run:
 * the task, its parameters and the state are published through fields before the volatile
 * run number. A task's exception is rethrown on the invoking thread; the run's remaining tasks
 * are then skipped.
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

    private final Thread[] workers;
    /** (run << 32) | index of the next unclaimed task. */
    private final AtomicLong ticket = new AtomicLong();
    /** Tasks of the current run finished (run or skipped). */
    private final AtomicInteger completed = new AtomicInteger();
    private volatile int run;
    private volatile boolean closed;
    /** Whether an invoke is under way ({@link #begin} .. {@link #end}). */
    private volatile boolean active;
    private volatile Thread caller;

    // Published before the run write, read after the run read.
    private ParallelTask<Object> task;
    private Object params;
    private ExecutionState state;
    private int taskCount;
    private volatile Throwable failure;

    IntraOpPool(int threads, String name) {
        if (threads < 2) {
            throw new IllegalArgumentException("a pool needs at least 2 threads, got " + threads);
        }
        workers = new Thread[threads - 1];
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
        for (Thread w : workers) {
            LockSupport.unpark(w);
        }
    }

    /** The invoke is over: waiting workers park soon rather than spin. */
    void end() {
        active = false;
    }

    /** Number of workers, the invoking thread included. */
    int threads() {
        return workers.length + 1;
    }

    @SuppressWarnings("unchecked")
    <P> void run(int count, ParallelTask<P> t, P p, ExecutionState s) {
        if (closed) {
            throw new IllegalStateException("execution context is closed");
        }
        int r = run + 1;
        this.task = (ParallelTask<Object>) t;
        this.params = p;
        this.state = s;
        this.taskCount = count;
        this.failure = null;
        this.caller = Thread.currentThread();
        completed.set(0);
        ticket.set((long) r << 32);
        run = r; // publishes the fields above
        for (Thread w : workers) {
            LockSupport.unpark(w);
        }
        work(r, 0);
        int spins = 0;
        while (completed.get() < count) {
            if (++spins < SPINS) {
                Thread.onSpinWait();
            } else {
                LockSupport.parkNanos(this, 20_000);
            }
        }
        // Close the run's counter before the next run's fields are written: a worker that woke
        // late for this run may read the next run's task count (plain fields), and with this
        // run's counter still open it could claim index count_r, below the next count, and
        // run it with the next run's task and parameters (the task then ran twice).
        ticket.set(((long) r << 32) | Integer.MAX_VALUE);
        this.task = null;
        this.params = null;
        this.state = null;
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

    /** Claims and runs tasks of run {@code r} until none is left (or the run is over). */
    private void work(int r, int worker) {
        ParallelTask<Object> t = task;
        Object p = params;
        ExecutionState s = state;
        int count = taskCount;
        long base = (long) r << 32;
        while (true) {
            long cur = ticket.get();
            int i = (int) cur;
            if ((cur & 0xFFFF_FFFF_0000_0000L) != base || i >= count) {
                return; // another run, or no task left
            }
            if (!ticket.compareAndSet(cur, cur + 1)) {
                continue;
            }
            if (failure == null) {
                try {
                    t.run(p, s, i, worker);
                } catch (Throwable e) {
                    failure = e;
                }
            }
            if (completed.incrementAndGet() == count && worker != 0) {
                Thread c = caller;
                if (c != null) {
                    LockSupport.unpark(c);
                }
            }
        }
    }

    private void loop(int worker) {
        int seen = 0;
        while (true) {
            int spins = 0;
            int r;
            while ((r = run) == seen && !closed) {
                if (++spins < (active ? SPINS : IDLE_SPINS)) {
                    Thread.onSpinWait();
                } else {
                    LockSupport.park(this);
                }
            }
            if (closed) {
                return;
            }
            seen = r;
            work(r, worker);
        }
    }

    @Override
    public void close() {
        closed = true;
        for (Thread w : workers) {
            LockSupport.unpark(w);
        }
    }
}
