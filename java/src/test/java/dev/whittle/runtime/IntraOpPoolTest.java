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
            for (int round = 0; round < 500; round++) {
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
