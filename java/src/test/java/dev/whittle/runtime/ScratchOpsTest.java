package dev.whittle.runtime;

import dev.whittle.TensorData;
import dev.whittle.model.BuiltinOperator;
import dev.whittle.model.Model;
import dev.whittle.model.ModelBuilder;
import dev.whittle.model.TensorType;
import org.junit.jupiter.api.Test;

import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The operators whose kernels need working memory (hybrid FULLY_CONNECTED, hybrid CONV_2D and
 * DEPTHWISE_CONV_2D, integer TRANSPOSE_CONV) keep it in the context's scratch
 * ({@link PrepareContext#requestScratch}): invoke allocates nothing, and contexts on different
 * threads do not disturb each other. Their arithmetic is compared with TFLite in
 * {@link QuantizedConvOpsTest} and {@link FullyConnectedTransposeConvTest}.
 */
class ScratchOpsTest {
    private static final TensorType F32 = TensorType.FLOAT32;

    /** One model per scratch-using kernel. */
    private static Map<String, Model> models() {
        Map<String, Model> m = new LinkedHashMap<>();
        m.put("FC hybrid asymmetric per-channel",
                FullyConnectedTransposeConvTest.fcHybrid(new int[] {3, 33}, 33, 17, false, true, true, true, 0, 8));
        m.put("FC hybrid symmetric per-tensor",
                FullyConnectedTransposeConvTest.fcHybrid(new int[] {2, 17}, 17, 5, false, false, false, true, 1, 9));
        QuantizedConvOpsTest.Types perTensor = new QuantizedConvOpsTest.Types(F32, TensorType.INT8, F32, 0, 0, 0, 0,
                0, false, false);
        QuantizedConvOpsTest.Types perChannel = new QuantizedConvOpsTest.Types(F32, TensorType.INT8, F32, 0, 0, 0, 0,
                0, true, false);
        int[] conv = {5, 7, 3, 5, 3, 3, 2, 2, 1, 1, 1, 0};
        m.put("CONV_2D hybrid per-tensor",
                QuantizedConvOpsTest.build(BuiltinOperator.CONV_2D, conv, perTensor, 0, 2, 11, false));
        m.put("CONV_2D hybrid per-channel",
                QuantizedConvOpsTest.build(BuiltinOperator.CONV_2D, conv, perChannel, 1, 2, 12, false));
        m.put("DEPTHWISE_CONV_2D hybrid", QuantizedConvOpsTest.build(BuiltinOperator.DEPTHWISE_CONV_2D,
                new int[] {6, 6, 5, 2, 3, 3, 1, 1, 1, 1, 1, 1}, perChannel, 0, 2, 13, true));
        int[] tc = FullyConnectedTransposeConvTest.TC_CASES[1];
        m.put("TRANSPOSE_CONV int8", FullyConnectedTransposeConvTest.tc(TensorType.INT8, 2, tc,
                ModelBuilder.Padding.SAME, false, 0, true, TensorType.INT32, 0, -128, 127, 1, 1));
        m.put("TRANSPOSE_CONV uint8", FullyConnectedTransposeConvTest.tc(TensorType.UINT8, 1, tc,
                ModelBuilder.Padding.VALID, false, 0, false, TensorType.INT32, 0, 255, 0, 1, 2));
        m.put("TRANSPOSE_CONV int16 int64", FullyConnectedTransposeConvTest.tc(TensorType.INT16, 2, tc,
                ModelBuilder.Padding.SAME, false, 0, true, TensorType.INT64, 0, 0, 0, 1, 3));
        return m;
    }

    @Test
    void invokeAllocatesNothing() {
        com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long tid = Thread.currentThread().threadId();
        for (Map.Entry<String, Model> e : models().entrySet()) {
            CompiledModel compiled = CompiledModel.compile(e.getValue());
            assertTrue(compiled.scratchCount() > 0, e.getKey() + " requests no scratch");
            try (ExecutionContext c = compiled.newContext()) {
                List<TensorData> in = FullyConnectedTransposeConvTest.inputs(e.getValue(), 1);
                for (int i = 0; i < in.size(); i++) {
                    c.setInput(i, in.get(i));
                }
                c.invoke();
                long before = mx.getThreadAllocatedBytes(tid);
                for (int i = 0; i < 100; i++) {
                    c.invoke();
                }
                long allocated = mx.getThreadAllocatedBytes(tid) - before;
                assertTrue(allocated < 16 * 1024, e.getKey() + ": " + allocated + " bytes allocated by 100 invokes");
            }
        }
    }

    /** Two contexts on two threads, interleaving invokes on different inputs, give the one-thread results. */
    @Test
    void twoContextsOnTwoThreadsAgree() throws Exception {
        int invokes = 20;
        for (Map.Entry<String, Model> e : models().entrySet()) {
            CompiledModel compiled = CompiledModel.compile(e.getValue());
            List<List<TensorData>> inputs = new ArrayList<>();
            List<TensorData> expected = new ArrayList<>();
            try (ExecutionContext c = compiled.newContext()) {
                for (int k = 0; k < invokes; k++) {
                    List<TensorData> in = FullyConnectedTransposeConvTest.inputs(e.getValue(), 100 + k);
                    inputs.add(in);
                    for (int i = 0; i < in.size(); i++) {
                        c.setInput(i, in.get(i));
                    }
                    c.invoke();
                    expected.add(c.output(0));
                }
            }
            Throwable[] failure = new Throwable[2];
            Thread[] threads = new Thread[2];
            for (int t = 0; t < 2; t++) {
                int id = t;
                threads[t] = new Thread(() -> {
                    try (ExecutionContext c = compiled.newContext()) {
                        for (int round = 0; round < 5; round++) {
                            for (int j = 0; j < invokes; j++) {
                                // The two threads walk the inputs in opposite orders.
                                int k = id == 0 ? j : invokes - 1 - j;
                                List<TensorData> in = inputs.get(k);
                                for (int i = 0; i < in.size(); i++) {
                                    c.setInput(i, in.get(i));
                                }
                                c.invoke();
                                assertEquals(expected.get(k), c.output(0),
                                        e.getKey() + ": thread " + id + " input " + k);
                            }
                        }
                    } catch (Throwable x) {
                        failure[id] = x;
                    }
                });
                threads[t].start();
            }
            for (Thread t : threads) {
                t.join();
            }
            for (Throwable x : failure) {
                if (x != null) {
                    throw new AssertionError(e.getKey() + ": a thread failed", x);
                }
            }
        }
    }
}
