package dev.whittle.runtime;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * The worker threads of one {@link ExecutionContext} (pthreadpool's role in XNNPACK): the
 * invoking thread is worker 0 and {@code threads - 1} daemon threads are workers 1.., created
 * with the context and stopped by its close. {@link #run} hands one operator's tasks to all of
 * them, the invoking thread included, and returns when every task is done; tasks are claimed
 * from a shared counter, so uneven tasks balance themselves.
 *
 * <p>Between operators the workers spin briefly (the next operator usually follows within
 * microseconds) and then park, so an idle context costs no CPU. Nothing is allocated per run:
 * the task, its parameters and the state are published through fields, and the volatile
 * generation counter orders them. A task's exception is rethrown on the invoking thread.
 */
final class IntraOpPool implements AutoCloseable {
    /** Spin iterations before a worker parks (tens of microseconds). */
    private static final int SPINS = 1 << 14;

    private final Thread[] workers;
    private final AtomicInteger nextTask = new AtomicInteger();
    private final AtomicInteger running = new AtomicInteger();
    private volatile int generation;
    private volatile boolean closed;
    private volatile Thread caller;

    // Published before the generation write, read after the generation read.
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

    /** Number of workers, the invoking thread included. */
    int threads() {
        return workers.length + 1;
    }

    @SuppressWarnings("unchecked")
    <P> void run(int count, ParallelTask<P> t, P p, ExecutionState s) {
        if (closed) {
            throw new IllegalStateException("execution context is closed");
        }
        this.task = (ParallelTask<Object>) t;
        this.params = p;
        this.state = s;
        this.taskCount = count;
        this.failure = null;
        this.caller = Thread.currentThread();
        nextTask.set(0);
        running.set(workers.length);
        generation++; // publishes the fields above
        for (Thread w : workers) {
            LockSupport.unpark(w);
        }
        work(0);
        int spins = 0;
        while (running.get() != 0) {
            if (++spins < SPINS) {
                Thread.onSpinWait();
            } else {
                LockSupport.parkNanos(this, 50_000);
            }
        }
        this.task = null;
        this.params = null;
        this.state = null;
        Throwable f = failure;
        if (f != null) {
            failure = null;
            if (f instanceof RuntimeException r) {
                throw r;
            }
            if (f instanceof Error e) {
                throw e;
            }
            throw new IllegalStateException(f);
        }
    }

    private void work(int worker) {
        ParallelTask<Object> t = task;
        Object p = params;
        ExecutionState s = state;
        int count = taskCount;
        try {
            for (int i = nextTask.getAndIncrement(); i < count; i = nextTask.getAndIncrement()) {
                t.run(p, s, i, worker);
            }
        } catch (Throwable e) {
            failure = e;
            nextTask.set(count); // the others stop claiming
        }
    }

    private void loop(int worker) {
        int seen = 0;
        while (true) {
            int spins = 0;
            int g;
            while ((g = generation) == seen && !closed) {
                if (++spins < SPINS) {
                    Thread.onSpinWait();
                } else {
                    LockSupport.park(this);
                }
            }
            if (closed) {
                return;
            }
            seen = g;
            work(worker);
            if (running.decrementAndGet() == 0) {
                Thread c = caller;
                if (c != null) {
                    LockSupport.unpark(c);
                }
            }
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
