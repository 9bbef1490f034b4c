package dev.whittle.runtime;

import org.junit.jupiter.api.Test;

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
