package dev.whittle.runtime;

import dev.whittle.TensorData;
import dev.whittle.UnsupportedModelException;
import dev.whittle.model.BuiltinOperator;
import dev.whittle.model.Model;
import dev.whittle.model.ModelBuilder;
import dev.whittle.model.ModelBuilder.TensorSpec;
import dev.whittle.model.OperatorCode;
import dev.whittle.model.TensorType;
import org.junit.jupiter.api.Test;

import java.lang.management.ManagementFactory;
import java.util.Map;
import java.util.function.Function;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Scratch memory ({@link PrepareContext#requestScratch}) through a fake operator that needs
 * it: it reverses a float vector through a scratch copy, then poisons its whole scratch, so
 * a scratch area that overlapped a live tensor would corrupt the result.
 */
class ScratchTest {
    private static final int N = 100;
    /** Aligned size of one float[N] tensor in the arena. */
    private static final int TENSOR_BYTES = (int) ArenaPlan.align(N * 4L);

    /** Prepared node of the fake op: its tensors and its two scratch ids. */
    record Reverse(int input, int output, int n, int copy, int flags) {
    }

    /** Reverses its input via scratch; a second, small scratch area checks that ids do not alias. */
    static final class ReverseViaScratch implements Op<Reverse> {
        private final long scratchBytes;

        ReverseViaScratch(long scratchBytes) {
            this.scratchBytes = scratchBytes;
        }

        @Override
        public Reverse prepare(PrepareContext ctx) {
            int n = Math.toIntExact(ctx.inputTensor(0).elementCount());
            ctx.setOutputShape(0, ctx.inputShape(0));
            int copy = ctx.requestScratch(scratchBytes < 0 ? scratchBytes : n * 4L);
            int flags = ctx.requestScratch(8);
            return new Reverse(ctx.input(0), ctx.output(0), n, copy, flags);
        }

        @Override
        public void eval(Reverse p, ExecutionState s) {
            s.putScratchLong(p.flags(), 0, 0x5A5A5A5A5A5A5A5AL);
            for (int i = 0; i < p.n(); i++) {
                s.putScratchFloat(p.copy(), i, s.getFloat(p.input(), i));
            }
            for (int i = 0; i < p.n(); i++) {
                s.putFloat(p.output(), i, s.getScratchFloat(p.copy(), p.n() - 1 - i));
            }
            if (s.getScratchLong(p.flags(), 0) != 0x5A5A5A5A5A5A5A5AL) {
                throw new AssertionError("two scratch areas of one operator overlap");
            }
            // Poison: whatever shares these bytes must be dead now.
            ScratchTest.poison(s, p.copy());
            ScratchTest.poison(s, p.flags());
        }
    }

    static void poison(ExecutionState s, int id) {
        for (int b = 0; b < s.scratchBytes(id); b++) {
            s.scratchBuffer(id).put(s.scratchOffset(id) + b, (byte) 0x7F);
        }
    }

    /** Reads one element past its scratch. */
    static final class Overrun implements Op<int[]> {
        @Override
        public int[] prepare(PrepareContext ctx) {
            ctx.setOutputShape(0, ctx.inputShape(0));
            return new int[] {ctx.requestScratch(16)};
        }

        @Override
        public void eval(int[] p, ExecutionState s) {
            s.getScratchInt(p[0], 4);
        }
    }

    private static Function<OperatorCode, Op<?>> only(Op<?> op) {
        return code -> !code.isCustom() && code.builtin() == BuiltinOperator.CUMSUM ? op : null;
    }

    /** x -> op -> a -> op -> b -> op -> c, every tensor float[N]. */
    private static Model chain() {
        ModelBuilder b = new ModelBuilder("scratch_chain");
        int t = b.input("x", TensorType.FLOAT32, N);
        for (String name : new String[] {"a", "b", "c"}) {
            t = b.op(BuiltinOperator.CUMSUM, null, new int[] {t}, TensorSpec.of(name, TensorType.FLOAT32, N));
        }
        b.output(t);
        return b.build();
    }

    private static TensorData ramp() {
        return Differential.randomFloat(new int[] {N}, 7, -1, 1);
    }

    @Test
    void scratchSharesTheArenaWithoutCorruptingLiveTensors() {
        CompiledModel m = CompiledModel.compile(chain(), Map.of(), only(new ReverseViaScratch(0)));
        assertEquals(6, m.scratchCount());
        // At any operator: the graph input (kept for the whole invoke), the operator's input,
        // its output and its two scratch areas are alive.
        assertTrue(m.arenaBytes() <= 4L * TENSOR_BYTES + ArenaPlan.ALIGNMENT,
                "arena " + m.arenaBytes() + " bytes: scratch should reuse dead tensors' memory");
        assertTrue(m.activationBytes() >= 7L * TENSOR_BYTES, "the unshared plan gives every area its own bytes");
        TensorData x = ramp();
        double[] in = x.toDoubleArray();
        for (boolean preserve : new boolean[] {false, true}) {
            try (ExecutionContext c = m.newContext(preserve)) {
                for (int k = 0; k < 3; k++) {
                    c.setInput(0, x);
                    c.invoke();
                    double[] out = c.output(0).toDoubleArray();
                    for (int i = 0; i < N; i++) {
                        assertEquals(in[N - 1 - i], out[i], 0, "element " + i + " (preserve " + preserve + ")");
                    }
                }
            }
        }
    }

    @Test
    void eachContextHasItsOwnScratch() throws Exception {
        CompiledModel m = CompiledModel.compile(chain(), Map.of(), only(new ReverseViaScratch(0)));
        Thread[] threads = new Thread[4];
        Throwable[] failure = new Throwable[1];
        for (int t = 0; t < threads.length; t++) {
            long seed = t;
            threads[t] = new Thread(() -> {
                try (ExecutionContext c = m.newContext()) {
                    for (int k = 0; k < 200; k++) {
                        TensorData x = Differential.randomFloat(new int[] {N}, seed * 1000 + k, -1, 1);
                        c.setInput(0, x);
                        c.invoke();
                        double[] in = x.toDoubleArray();
                        double[] out = c.output(0).toDoubleArray();
                        for (int i = 0; i < N; i++) {
                            assertEquals(in[N - 1 - i], out[i], 0);
                        }
                    }
                } catch (Throwable e) {
                    synchronized (failure) {
                        failure[0] = e;
                    }
                }
            });
            threads[t].start();
        }
        for (Thread t : threads) {
            t.join();
        }
        if (failure[0] != null) {
            throw new AssertionError("a thread failed", failure[0]);
        }
    }

    @Test
    void invokeWithScratchDoesNotAllocate() {
        com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        CompiledModel m = CompiledModel.compile(chain(), Map.of(), only(new ReverseViaScratch(0)));
        try (ExecutionContext c = m.newContext()) {
            c.setInput(0, ramp());
            for (int i = 0; i < 500; i++) {
                c.invoke();
            }
            long tid = Thread.currentThread().threadId();
            long before = mx.getThreadAllocatedBytes(tid);
            for (int i = 0; i < 100; i++) {
                c.invoke();
            }
            long allocated = mx.getThreadAllocatedBytes(tid) - before;
            assertTrue(allocated < 16 * 1024, allocated + " bytes allocated by 100 invokes");
        }
    }

    @Test
    void foldedOperatorGetsScratchAtCompileTime() {
        ModelBuilder b = new ModelBuilder("scratch_fold");
        float[] values = new float[N];
        for (int i = 0; i < N; i++) {
            values[i] = i;
        }
        int k = b.constant("k", values, N);
        int folded = b.op(BuiltinOperator.CUMSUM, null, new int[] {k}, TensorSpec.of("folded", TensorType.FLOAT32, N));
        int x = b.input("x", TensorType.FLOAT32, N);
        int y = b.op(BuiltinOperator.CUMSUM, null, new int[] {x}, TensorSpec.of("y", TensorType.FLOAT32, N));
        b.output(folded).output(y);
        CompiledModel m = CompiledModel.compile(b.build(), Map.of(), only(new ReverseViaScratch(0)));
        assertEquals(1, m.foldedOperatorCount());
        assertEquals(1, m.operatorCount());
        // The folded operator's scratch takes no arena memory: x, y and one live scratch pair.
        assertTrue(m.arenaBytes() <= 3L * TENSOR_BYTES + ArenaPlan.ALIGNMENT, "arena " + m.arenaBytes());
        try (ExecutionContext c = m.newContext()) {
            c.setInput(0, ramp());
            c.invoke();
            double[] f = c.output(0).toDoubleArray();
            for (int i = 0; i < N; i++) {
                assertEquals(N - 1 - i, f[i], 0);
            }
        }
    }

    @Test
    void negativeRequestIsRefusedNamingTheOperator() {
        UnsupportedModelException e = assertThrows(UnsupportedModelException.class,
                () -> CompiledModel.compile(chain(), Map.of(), only(new ReverseViaScratch(-1))));
        assertTrue(e.getMessage().startsWith("operator 0 (CUMSUM)") && e.getMessage().contains("scratch"),
                e.getMessage());
    }

    @Test
    void overrunIsCaughtNotWrittenIntoANeighbour() {
        CompiledModel m = CompiledModel.compile(chain(), Map.of(), only(new Overrun()));
        try (ExecutionContext c = m.newContext()) {
            c.setInput(0, ramp());
            assertThrows(IndexOutOfBoundsException.class, c::invoke);
        }
    }
}
