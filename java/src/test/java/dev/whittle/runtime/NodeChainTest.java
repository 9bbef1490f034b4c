package dev.whittle.runtime;

import dev.whittle.TensorData;
import dev.whittle.model.Model;
import dev.whittle.runtime.kernels.FusedDwConvGemm;
import dev.whittle.testing.SharedData;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.lang.foreign.Arena;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.locks.LockSupport;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * {@link NodeChain}: chains of fused depthwise + 1x1 pairs run as one parallel region give the
 * bytes of the operator-by-operator run ({@code -Dwhittle.chain=false}) and of 1 thread, at 2
 * and 3 threads over many invokes (banded, phased and channel-split pairs in one chain); and,
 * with synthetic steps on a real pool, every task of every step runs exactly once, no task of
 * a step starts before every task of the step before has finished, late workers (yields, parks)
 * lose nothing, a task's exception reaches the invoking thread without hanging the others, the
 * next region runs normally, and close returns.
 */
class NodeChainTest {
    @AfterEach
    void clear() {
        System.clearProperty(NodeChain.PROPERTY);
        System.clearProperty(FusedDwConvGemm.PROPERTY);
    }

    private static CompiledModel compile(Model m, boolean chain) {
        System.setProperty(NodeChain.PROPERTY, Boolean.toString(chain));
        try {
            return CompiledModel.compile(m);
        } finally {
            System.clearProperty(NodeChain.PROPERTY);
        }
    }

    private static byte[][] run(CompiledModel c, List<TensorData> inputs, int threads, int invokes) {
        try (ExecutionContext ctx = c.newContext(threads)) {
            for (int i = 0; i < inputs.size(); i++) {
                ctx.setInput(i, inputs.get(i));
            }
            byte[][] out = new byte[c.outputCount()][];
            for (int rep = 0; rep < invokes; rep++) {
                ctx.invoke();
                for (int o = 0; o < out.length; o++) {
                    byte[] now = ctx.output(o).bytes();
                    if (rep > 0) {
                        assertArrayEquals(out[o], now, "invoke " + rep + " differs");
                    }
                    out[o] = now;
                }
            }
            return out;
        }
    }

    @Test
    void chainsGiveTheBytesOfOperatorByOperator() {
        assumeTrue(!FusedDwConvGemmTest.nativePaths().isEmpty(), "no native depthwise kernel on this machine");
        // {kernel, stride, mult, outC, same}: person_detect's shape of chain (banded 12x12 and 6x6
        // pairs, then 3x3 ones, phased or split by channels), and an odd chain with batch 2
        Object[][] cases = {
            {1, 24, 24, 32, new int[][] {{3, 2, 1, 64, 1}, {3, 1, 1, 64, 1}, {3, 2, 1, 128, 1}, {3, 1, 1, 128, 1},
                {3, 2, 1, 256, 1}, {3, 1, 1, 256, 1}}},
            {2, 13, 11, 8, new int[][] {{3, 1, 1, 16, 1}, {3, 2, 1, 24, 1}, {3, 1, 1, 17, 0}, {5, 1, 1, 40, 1}}},
        };
        for (int i = 0; i < cases.length; i++) {
            Object[] k = cases[i];
            int[][] blocks = (int[][]) k[4];
            Model m = FusedDwConvGemmTest.chain((int) k[0], (int) k[1], (int) k[2], (int) k[3], blocks, false, 70 + i);
            List<TensorData> inputs = Differential.randomInputs(CompiledModel.compile(m), 80 + i);
            CompiledModel chained = compile(m, true);
            CompiledModel plain = compile(m, false);
            assertEquals(1, chained.chainCount(), "case " + i);
            assertEquals(0, plain.chainCount(), "case " + i);
            byte[][] expected = run(plain, inputs, 1, 1);
            for (int threads = 1; threads <= 3; threads++) {
                byte[][] a = run(chained, inputs, threads, 20);
                byte[][] b = run(plain, inputs, threads, 2);
                for (int o = 0; o < expected.length; o++) {
                    assertArrayEquals(expected[o], a[o], "case " + i + " chained, " + threads + " threads");
                    assertArrayEquals(expected[o], b[o], "case " + i + " plain, " + threads + " threads");
                }
            }
        }
    }

    /** person_detect: its stem depthwise and 13 fused pairs are one chain of 14 steps. */
    @Test
    void personDetectIsOneChain() throws Exception {
        assumeTrue(!FusedDwConvGemmTest.nativePaths().isEmpty(), "no native depthwise kernel on this machine");
        SharedData.assumeAvailable();
        Model m = dev.whittle.model.io.ModelReader.read(SharedData.model("person_detect_int8.tflite"));
        dev.whittle.model.io.ModelRepair.repair(m);
        CompiledModel chained = compile(m, true);
        CompiledModel plain = compile(m, false);
        assertEquals(1, chained.chainCount());
        assertEquals(14, chained.chainSteps());
        List<TensorData> inputs = Differential.randomInputs(chained, 5);
        byte[][] expected = run(plain, inputs, 1, 1);
        for (int threads = 2; threads <= 3; threads++) {
            byte[][] a = run(chained, inputs, threads, 10);
            for (int o = 0; o < expected.length; o++) {
                assertArrayEquals(expected[o], a[o], threads + " threads");
            }
        }
    }

    /** A synthetic step: counts runs per task and checks that the step before had finished. */
    private static final class CountingStep implements NodeChain.Step {
        final int tasks;
        final AtomicIntegerArray hits;
        final CountingStep before;
        volatile int mode;
        volatile int failTask = -1;
        /** Off in rounds with a failure: a failed participation skips its tasks, so later steps see holes. */
        volatile boolean checkOrder = true;
        final SplittableRandom random;

        CountingStep(int tasks, CountingStep before, long seed) {
            this.tasks = tasks;
            this.hits = new AtomicIntegerArray(tasks);
            this.before = before;
            this.random = new SplittableRandom(seed);
        }

        @Override
        public int chainTasks(ExecutionState s) {
            return tasks;
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
            assertTrue(worker >= 0 && worker < s.threads());
            if (before != null && checkOrder) {
                for (int t = 0; t < before.tasks; t++) {
                    if (before.hits.get(t) != 1) {
                        throw new AssertionError("task " + t + " of the step before not finished: " + before.hits.get(t));
                    }
                }
            }
            for (int t = from; t < to; t++) {
                if (worker != 0 && mode == 1 && t % 3 == 0) {
                    Thread.yield();
                } else if (worker != 0 && mode == 2 && t == from) {
                    LockSupport.parkNanos(20_000);
                }
                hits.incrementAndGet(t);
                if (t == failTask) {
                    throw new IllegalStateException("task " + t + " fails");
                }
            }
        }

        void reset(int m) {
            for (int t = 0; t < tasks; t++) {
                hits.set(t, 0);
            }
            mode = m;
        }
    }

    @Test
    @Timeout(120) // a lost claim or a barrier waiting for nobody hangs: fail instead
    void everyTaskOnceInStepOrderAndFailuresPropagate() {
        for (int threads = 2; threads <= 3; threads++) {
            int[] counts = {1, 8, 6, 3, 17, 2, 40};
            CountingStep[] steps = new CountingStep[counts.length];
            for (int k = 0; k < counts.length; k++) {
                steps[k] = new CountingStep(counts[k], k > 0 ? steps[k - 1] : null, 31L * threads + k);
            }
            long syncBytes = NodeChain.syncBytes(steps.length);
            try (Arena arena = Arena.ofShared(); IntraOpPool pool = new IntraOpPool(threads, "chain-test")) {
                long stride = 4096 + (syncBytes + 63) / 64 * 64;
                long base = arena.allocate(stride * threads, 64).address();
                ExecutionState s = new ExecutionState(new java.nio.ByteBuffer[0], new int[0]);
                s.attachNative(new long[0], new long[0], base, stride, pool);
                NodeChain chain = new NodeChain(steps, 0, steps.length, 4096);
                SplittableRandom random = new SplittableRandom(threads);
                pool.begin();
                for (int round = 0; round < 3000; round++) {
                    int mode = random.nextInt(4);
                    for (CountingStep st : steps) {
                        st.reset(mode);
                    }
                    boolean fail = round % 7 == 3;
                    CountingStep failing = steps[random.nextInt(steps.length)];
                    for (CountingStep st : steps) {
                        st.checkOrder = !fail;
                    }
                    if (fail) {
                        failing.failTask = random.nextInt(failing.tasks);
                    }
                    if (fail) {
                        IllegalStateException e = assertThrows(IllegalStateException.class, () -> chain.run(s));
                        assertTrue(e.getMessage().contains("fails"), e.getMessage());
                        failing.failTask = -1;
                        // every task of the failing step still ran once (counted, then threw)
                        for (int t = 0; t < failing.tasks; t++) {
                            assertTrue(failing.hits.get(t) <= 1, "round " + round);
                        }
                        continue;
                    }
                    assertTrue(chain.run(s));
                    for (CountingStep st : steps) {
                        for (int t = 0; t < st.tasks; t++) {
                            assertEquals(1, st.hits.get(t), threads + " threads, round " + round + " task " + t);
                        }
                    }
                }
                pool.end();
            }
        }
    }

    /** An error (not an exception) in a worker's task is rethrown as itself. */
    @Test
    @Timeout(60)
    void errorsAreRethrownAsThemselves() {
        CountingStep a = new CountingStep(4, null, 1);
        CountingStep b = new CountingStep(4, a, 2);
        NodeChain.Step failing = new NodeChain.Step() {
            @Override
            public int chainTasks(ExecutionState s) {
                return 4;
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
                throw new StackOverflowError("deep");
            }
        };
        try (Arena arena = Arena.ofShared(); IntraOpPool pool = new IntraOpPool(2, "chain-error")) {
            long stride = 64 * 1024;
            long base = arena.allocate(stride * 2, 64).address();
            ExecutionState s = new ExecutionState(new java.nio.ByteBuffer[0], new int[0]);
            s.attachNative(new long[0], new long[0], base, stride, pool);
            NodeChain chain = new NodeChain(new NodeChain.Step[] {a, failing, b}, 0, 3, 0);
            StackOverflowError e = assertThrows(StackOverflowError.class, () -> chain.run(s));
            assertEquals("deep", e.getMessage());
            // the step after the failure still ran (the other worker went on): nothing waits forever
            NodeChain ok = new NodeChain(new NodeChain.Step[] {a, b}, 0, 2, 0);
            a.reset(0);
            b.reset(0);
            assertTrue(ok.run(s));
            for (int t = 0; t < 4; t++) {
                assertEquals(1, b.hits.get(t));
            }
        }
    }
}
