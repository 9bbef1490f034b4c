package dev.whittle.runtime;

import dev.whittle.InvalidInputException;
import dev.whittle.TensorData;
import dev.whittle.UnsupportedModelException;
import dev.whittle.model.BuiltinOperator;
import dev.whittle.model.DemoModels;
import dev.whittle.model.Model;
import dev.whittle.model.ModelBuilder;
import dev.whittle.model.ModelBuilder.TensorSpec;
import dev.whittle.model.Tensor;
import dev.whittle.model.TensorType;
import dev.whittle.model.io.ModelReader;
import dev.whittle.testing.SharedData;
import org.junit.jupiter.api.Test;

import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The API contract: threads, allocation, typed errors, use after close. */
class ExecutionContextTest {
    private static final CompiledModel DEMO = CompiledModel.compile(DemoModels.smallCnn(42));

    private static TensorData input(long seed) {
        return Differential.randomFloat(DemoModels.smallCnnInputShape(), seed, 0, 1);
    }

    private static TensorData runOnce(TensorData in) {
        try (ExecutionContext c = DEMO.newContext()) {
            c.setInput(0, in);
            c.invoke();
            return c.output(0);
        }
    }

    @Test
    void fourThreadsShareOneCompiledModel() throws Exception {
        int threads = 4;
        int invokes = 20;
        List<List<TensorData>> expected = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            List<TensorData> e = new ArrayList<>();
            for (int k = 0; k < invokes; k++) {
                e.add(runOnce(input(t * 1000L + k)));
            }
            expected.add(e);
        }
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<Integer>> done = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int id = t;
                done.add(pool.submit(() -> {
                    try (ExecutionContext c = DEMO.newContext()) {
                        for (int k = 0; k < invokes; k++) {
                            c.setInput(0, input(id * 1000L + k));
                            c.invoke();
                            assertEquals(expected.get(id).get(k), c.output(0), "thread " + id + " invoke " + k);
                        }
                    }
                    return invokes;
                }));
            }
            int total = 0;
            for (Future<Integer> f : done) {
                total += f.get();
            }
            assertEquals(threads * invokes, total);
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void invokeDoesNotAllocate() {
        com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        try (ExecutionContext c = DEMO.newContext()) {
            c.setInput(0, input(1));
            for (int i = 0; i < 200; i++) {
                c.invoke(); // warm up, so the JIT's own first-call work is not counted
            }
            long tid = Thread.currentThread().threadId();
            long before = mx.getThreadAllocatedBytes(tid);
            for (int i = 0; i < 100; i++) {
                c.invoke();
            }
            long allocated = mx.getThreadAllocatedBytes(tid) - before;
            System.out.println("runtime: 100 invokes of the demo model allocated " + allocated + " bytes");
            assertTrue(allocated < 64 * 1024, allocated + " bytes allocated by 100 invokes");
        }
    }

    @Test
    void inputsSurviveInvokeSoARepeatedInvokeGivesTheSameOutputs() {
        // The uint8 MobileNet's planner would otherwise hand the input's bytes to a later tensor.
        Model m = ModelReader.read(SharedData.model("mobilenet_v1_0.25_128_quant.tflite"));
        CompiledModel c = CompiledModel.compile(m);
        Tensor in = c.tensorInfo(c.inputTensorIndex(0));
        TensorData x = Differential.randomInput(in.type(), in.shape(), 7);
        try (ExecutionContext ctx = c.newContext()) {
            ctx.setInput(0, x);
            ctx.invoke();
            TensorData first = ctx.output(0);
            assertEquals(x, ctx.tensor(c.inputTensorIndex(0)), "the graph input changed during invoke");
            ctx.invoke();
            assertEquals(first, ctx.output(0), "a second invoke on the same input gave other outputs");
        }
    }

    @Test
    void wrongInputIsRefused() {
        try (ExecutionContext c = DEMO.newContext()) {
            InvalidInputException shape = assertThrows(InvalidInputException.class,
                    () -> c.setInput(0, TensorData.zeros(TensorType.FLOAT32, 1, 32, 32, 4)));
            assertTrue(shape.getMessage().contains("input 0 'input'"), shape.getMessage());
            assertThrows(InvalidInputException.class, () -> c.setInput(0, TensorData.zeros(TensorType.INT8, 1, 32, 32, 3)));
            assertThrows(InvalidInputException.class, () -> c.setInput(1, input(0)));
        }
    }

    @Test
    void useAfterCloseThrows() {
        ExecutionContext c = DEMO.newContext();
        c.setInput(0, input(2));
        c.close();
        c.close();
        assertThrows(IllegalStateException.class, c::invoke);
        assertThrows(IllegalStateException.class, () -> c.output(0));
        assertThrows(IllegalStateException.class, () -> c.setInput(0, input(2)));
        assertThrows(IllegalStateException.class, () -> c.tensor(0));
    }

    @Test
    void constantsAreReadable() {
        try (ExecutionContext c = DEMO.newContext()) {
            for (int t = 0; t < DEMO.tensorCount(); t++) {
                if (DEMO.tensorInfo(t).name().equals("conv1/weights")) {
                    assertEquals(8 * 3 * 3 * 3, c.tensor(t).elementCount());
                }
            }
        }
    }

    @Test
    void unsupportedOperatorsAreNamed() {
        Model lstm = ModelReader.read(SharedData.model("mnist_lstm_float.tflite"));
        UnsupportedModelException e = assertThrows(UnsupportedModelException.class, () -> CompiledModel.compile(lstm));
        System.out.println("runtime: " + e.getMessage());
        assertTrue(e.getMessage().matches("(?s)operator \\d+ \\([A-Z_0-9]+\\) with inputs \\[.*"), e.getMessage());

        UnsupportedModelException c = assertThrows(UnsupportedModelException.class,
                () -> CompiledModel.compile(cumsumModel()));
        assertEquals("operator 0 (CUMSUM) with inputs [FLOAT32[2, 3], INT32[]] and outputs [FLOAT32[2, 3]] is not"
                + " supported: Whittle's runtime has no kernel for this operator", c.getMessage());
    }

    /** A model with an operator no part of the runtime implements (TFLite does). */
    static Model cumsumModel() {
        ModelBuilder b = new ModelBuilder("cumsum");
        int x = b.input("x", TensorType.FLOAT32, 2, 3);
        int axis = b.constant("axis", new int[] {1});
        int y = b.op(BuiltinOperator.CUMSUM, null, new int[] {x, axis}, TensorSpec.of("y", TensorType.FLOAT32, 2, 3));
        return b.output(y).build();
    }

    /**
     * The threading contract on a real uint8 model: 8 threads share one compiled model, each
     * with its own context, invoking many times on different inputs in different orders, all
     * released at once; every output must equal the single-threaded result bit for bit.
     */
    @Test
    void eightThreadsShareOneQuantizedModel() throws Exception {
        CompiledModel m = CompiledModel.compile(
                ModelReader.read(SharedData.model("mobilenet_v1_0.25_128_quant.tflite")));
        int distinct = 8;
        List<TensorData> inputs = new ArrayList<>();
        List<TensorData> expected = new ArrayList<>();
        Tensor in = m.tensorInfo(m.inputTensorIndex(0));
        try (ExecutionContext c = m.newContext()) {
            for (int k = 0; k < distinct; k++) {
                TensorData x = Differential.randomInput(in.type(), in.shape(), 100 + k);
                inputs.add(x);
                c.setInput(0, x);
                c.invoke();
                expected.add(c.output(0));
            }
        }
        assertTrue(expected.stream().distinct().count() > 1, "different inputs should give different outputs");
        int threads = 8;
        int invokes = 10;
        CyclicBarrier start = new CyclicBarrier(threads);
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<Integer>> done = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int id = t;
                done.add(pool.submit(() -> {
                    try (ExecutionContext c = m.newContext()) {
                        start.await();
                        for (int k = 0; k < invokes; k++) {
                            int which = (id * 3 + k) % distinct;
                            c.setInput(0, inputs.get(which));
                            c.invoke();
                            assertEquals(expected.get(which), c.output(0), "thread " + id + " invoke " + k);
                        }
                    }
                    return invokes;
                }));
            }
            int total = 0;
            for (Future<Integer> f : done) {
                total += f.get();
            }
            assertEquals(threads * invokes, total);
        } finally {
            pool.shutdownNow();
        }
    }
}
