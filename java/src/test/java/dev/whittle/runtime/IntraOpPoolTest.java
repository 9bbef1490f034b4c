package dev.whittle.runtime;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.concurrent.atomic.AtomicIntegerArray;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class IntraOpPoolTest {
    private static ExecutionState stateWith(IntraOpPool pool) {
        ExecutionState s = new ExecutionState(new java.nio.ByteBuffer[0], new int[0]);
        s.attachNative(new long[0], new long[0], 0, 0, pool);
        return s;
    }

    @Test
    void everyTaskRunsExactlyOnceOnValidWorkers() {
        try (IntraOpPool pool = new IntraOpPool(3, "test")) {
            ExecutionState s = stateWith(pool);
            assertEquals(3, s.threads());
            for (int round = 0; round < 20_000; round++) {
                int count = 1 + round % 37;
                AtomicIntegerArray hits = new AtomicIntegerArray(count);
                AtomicIntegerArray workers = new AtomicIntegerArray(3);
                s.parallelFor(count, (AtomicIntegerArray h, ExecutionState st, int task, int worker) -> {
                    h.incrementAndGet(task);
                    workers.incrementAndGet(worker);
                }, hits);
                for (int i = 0; i < count; i++) {
                    assertEquals(1, hits.get(i), "round " + round + " task " + i);
                }
                assertEquals(count, workers.get(0) + workers.get(1) + workers.get(2));
            }
        }
    }

    /**
     * Late workers: tasks yield or sleep at random, so a worker often wakes after the others
     * finished its run (stolen from the back of its range) or while the next run is being
     * published; its claims carry the old run number and must fail. Each run has its own
     * params, so a task run with a stale run's params leaves the new run's slot at 0.
     */
    @Test
    @Timeout(120) // a lost or double-counted claim hangs the run: fail instead
    void lateWorkersNeverRunATaskOfAnotherRunAndStealingLosesNone() {
        for (int threads = 2; threads <= 3; threads++) {
            try (IntraOpPool pool = new IntraOpPool(threads, "stress")) {
                ExecutionState s = stateWith(pool);
                java.util.SplittableRandom random = new java.util.SplittableRandom(threads);
                for (int round = 0; round < 20_000; round++) {
                    if (round % 5000 == 0) {
                        pool.begin();
                    } else if (round % 5000 == 2500) {
                        pool.end(); // workers may park: runs must still be served
                    }
                    int count = 2 + random.nextInt(40);
                    int mode = random.nextInt(4);
                    AtomicIntegerArray hits = new AtomicIntegerArray(count);
                    s.parallelFor(count, (AtomicIntegerArray h, ExecutionState st, int task, int worker) -> {
                        if (worker != 0 && mode == 1 && task % 3 == 0) {
                            Thread.yield();
                        } else if (worker != 0 && mode == 2 && task == 0) {
                            java.util.concurrent.locks.LockSupport.parkNanos(20_000);
                        }
                        h.incrementAndGet(task);
                    }, hits);
                    for (int i = 0; i < count; i++) {
                        assertEquals(1, hits.get(i), threads + " threads, round " + round + " task " + i);
                    }
                }
                pool.end();
            }
        }
    }

    /**
     * Closing twice (the closed bit of the run word set twice) still stops every worker, also
     * after an idle period in which they parked and a begin() that woke them.
     */
    @Test
    @Timeout(60)
    void closeTwiceStopsTheWorkers() throws InterruptedException {
        IntraOpPool pool = new IntraOpPool(3, "close-twice");
        ExecutionState s = stateWith(pool);
        AtomicIntegerArray hits = new AtomicIntegerArray(6);
        s.parallelFor(6, (AtomicIntegerArray h, ExecutionState st, int task, int worker) -> h.incrementAndGet(task), hits);
        pool.end();
        Thread.sleep(50);
        pool.begin();
        s.parallelFor(6, (AtomicIntegerArray h, ExecutionState st, int task, int worker) -> h.incrementAndGet(task), hits);
        for (int i = 0; i < 6; i++) {
            assertEquals(2, hits.get(i));
        }
        pool.close();
        pool.close();
        while (Thread.getAllStackTraces().keySet().stream().anyMatch(t -> t.getName().startsWith("close-twice-worker"))) {
            Thread.sleep(10);
        }
    }

    /** More tasks than a slot can index run in chunks of consecutive tasks, each exactly once. */
    @Test
    @Timeout(120) // a lost or double-counted claim hangs the run: fail instead
    void moreTasksThanASlotIndexesRunOnceEach() {
        try (IntraOpPool pool = new IntraOpPool(2, "many")) {
            ExecutionState s = stateWith(pool);
            for (int count : new int[] {IntraOpPool.MAX_SLOT_TASKS - 1, IntraOpPool.MAX_SLOT_TASKS,
                IntraOpPool.MAX_SLOT_TASKS + 1, 3 * IntraOpPool.MAX_SLOT_TASKS + 7, 1_000_003}) {
                AtomicIntegerArray hits = new AtomicIntegerArray(count);
                s.parallelFor(count, (AtomicIntegerArray h, ExecutionState st, int task, int worker) -> h.incrementAndGet(task),
                        hits);
                for (int i = 0; i < count; i++) {
                    assertEquals(1, hits.get(i), "count " + count + " task " + i);
                }
            }
        }
    }

    /** A failing task in one chunk of a chunked run still ends the run and rethrows once. */
    @Test
    @Timeout(120) // a lost or double-counted claim hangs the run: fail instead
    void aFailureInAChunkedRunIsRethrown() {
        try (IntraOpPool pool = new IntraOpPool(3, "fail-many")) {
            ExecutionState s = stateWith(pool);
            int count = 2 * IntraOpPool.MAX_SLOT_TASKS + 5;
            IllegalArgumentException boom = new IllegalArgumentException("boom");
            assertSame(boom, assertThrows(IllegalArgumentException.class,
                    () -> s.parallelFor(count, (Object p, ExecutionState st, int task, int worker) -> {
                        if (task == count - 3) {
                            throw boom;
                        }
                    }, null)));
            AtomicIntegerArray hits = new AtomicIntegerArray(5);
            s.parallelFor(5, (AtomicIntegerArray h, ExecutionState st, int task, int worker) -> h.incrementAndGet(task),
                    hits);
            for (int i = 0; i < 5; i++) {
                assertEquals(1, hits.get(i));
            }
        }
    }

    @Test
    void workersParkOnceTheInvokeIsOverAndServeTheNextOne() throws InterruptedException {
        try (IntraOpPool pool = new IntraOpPool(3, "idle-test")) {
            ExecutionState s = stateWith(pool);
            for (int invoke = 0; invoke < 3; invoke++) {
                pool.begin();
                AtomicIntegerArray hits = new AtomicIntegerArray(64);
                for (int op = 0; op < 20; op++) {
                    s.parallelFor(64, (AtomicIntegerArray h, ExecutionState st, int task, int worker) -> h.incrementAndGet(task),
                            hits);
                }
                pool.end();
                for (int i = 0; i < 64; i++) {
                    assertEquals(20, hits.get(i));
                }
                // between invokes no worker may keep spinning: each must reach WAITING (parked)
                // and stay there (a permit left by an unpark wakes it once, briefly)
                long deadline = System.nanoTime() + 10_000_000_000L;
                boolean parked = false;
                while (!parked && System.nanoTime() < deadline) {
                    if (allParked("idle-test")) {
                        Thread.sleep(5);
                        parked = allParked("idle-test");
                    } else {
                        Thread.sleep(1);
                    }
                }
                assertTrue(parked, "a worker kept running between invokes");
            }
        }
    }

    private static boolean allParked(String name) {
        int found = 0;
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            if (t.getName().startsWith(name + "-worker-")) {
                found++;
                if (t.getState() != Thread.State.WAITING) {
                    return false;
                }
            }
        }
        return found == 2;
    }

    @Test
    void aTaskFailureIsRethrownOnTheInvokingThreadAndThePoolStaysUsable() {
        try (IntraOpPool pool = new IntraOpPool(2, "test")) {
            ExecutionState s = stateWith(pool);
            IllegalStateException boom = new IllegalStateException("boom");
            IllegalStateException thrown = assertThrows(IllegalStateException.class,
                    () -> s.parallelFor(64, (Object p, ExecutionState st, int task, int worker) -> {
                        if (task == 17) {
                            throw boom;
                        }
                    }, null));
            assertSame(boom, thrown);
            AtomicIntegerArray hits = new AtomicIntegerArray(8);
            s.parallelFor(8, (AtomicIntegerArray h, ExecutionState st, int task, int worker) -> h.incrementAndGet(task),
                    hits);
            for (int i = 0; i < 8; i++) {
                assertEquals(1, hits.get(i));
            }
        }
    }

    @Test
    void oneThreadRunsTasksInOrderOnTheCaller() {
        ExecutionState s = stateWith(null);
        assertEquals(1, s.threads());
        StringBuilder order = new StringBuilder();
        s.parallelFor(4, (StringBuilder b, ExecutionState st, int task, int worker) -> {
            assertEquals(0, worker);
            b.append(task);
        }, order);
        assertEquals("0123", order.toString());
        assertTrue(s.workerScratchAddress(0) == 0);
    }
}
