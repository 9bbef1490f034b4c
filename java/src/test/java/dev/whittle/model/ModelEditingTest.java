package dev.whittle.model;

import dev.whittle.ModelFormatException;
import dev.whittle.TensorData;
import dev.whittle.model.io.ModelReader;
import dev.whittle.model.io.ModelValidator;
import dev.whittle.model.io.ModelWriter;
import dev.whittle.testing.SharedData;
import dev.whittle.tflite.TfliteInterpreter;
import dev.whittle.tflite.TfliteOptions;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The editing API of {@link Model} and {@link Subgraph}, on a real model and on small
 * hand-built graphs. Every edited model must validate, write, load in TFLite and compute what
 * the edit says.
 */
class ModelEditingTest {
    private static final String MOBILENET = "mobilenet_v1_0.25_224_float.tflite";
    private static final TfliteOptions PLAIN = TfliteOptions.defaults().useXnnpack(false);

    // ---- helpers ----

    private static byte[] floats(float... v) {
        ByteBuffer b = ByteBuffer.allocate(v.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (float f : v) {
            b.putFloat(f);
        }
        return b.array();
    }

    private static byte[] ints(int... v) {
        ByteBuffer b = ByteBuffer.allocate(v.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (int i : v) {
            b.putInt(i);
        }
        return b.array();
    }

    private static TensorData floatTensor(int[] shape, float... v) {
        return new TensorData(TensorType.FLOAT32, shape, ByteBuffer.wrap(floats(v)));
    }

    private static float[] toFloats(TensorData t) {
        double[] d = t.toDoubleArray();
        float[] f = new float[d.length];
        for (int i = 0; i < d.length; i++) {
            f[i] = (float) d[i];
        }
        return f;
    }

    /** Validates, writes and runs the model in TFLite (XNNPACK off). */
    private static List<TensorData> runInTflite(Model m, List<TensorData> inputs) {
        ModelValidator.Report r = ModelValidator.validate(m);
        assertTrue(r.isValid(), "edited model does not validate: " + r.errors());
        try (TfliteInterpreter t = TfliteInterpreter.create(ModelWriter.toBytes(m), PLAIN)) {
            return t.run(inputs);
        }
    }

    private static List<TensorData> runInTflite(byte[] model, List<TensorData> inputs) {
        try (TfliteInterpreter t = TfliteInterpreter.create(model, PLAIN)) {
            return t.run(inputs);
        }
    }

    private static TensorData randomImage(long seed) {
        Random rnd = new Random(seed);
        float[] v = new float[224 * 224 * 3];
        for (int i = 0; i < v.length; i++) {
            v[i] = rnd.nextFloat() * 2 - 1;
        }
        return floatTensor(new int[] {1, 224, 224, 3}, v);
    }

    private static Model mobilenet() {
        return ModelReader.read(SharedData.model(MOBILENET));
    }

    private static int lastOperatorOf(Model m, BuiltinOperator op) {
        Subgraph sg = m.mainGraph();
        for (int i = sg.operatorCount() - 1; i >= 0; i--) {
            if (m.operatorCodeOf(sg.operator(i)).builtin() == op) {
                return i;
            }
        }
        throw new AssertionError("no " + op + " in the model");
    }

    private static BuiltinOptions reshapeTo(int[] shape) {
        return BuiltinOptions.of("ReshapeOptions").set("new_shape", shape.clone());
    }

    /** x[1,4] + a -> t1; t1 + b -> y, plus an unused tensor, and a signature over x and y. */
    private static final class AddChain {
        final Model model = new Model();
        final Subgraph sg = new Subgraph("main");
        final int x;
        final int junk;
        final int a;
        final int t1;
        final int b;
        final int y;
        final int bufA;
        final int bufB;

        AddChain() {
            model.addSubgraph(sg);
            x = sg.addTensor(new Tensor("x", TensorType.FLOAT32, 1, 4));
            junk = sg.addTensor(new Tensor("junk", TensorType.FLOAT32, 7));
            bufA = model.addBuffer(floats(1, 2, 3, 4));
            a = sg.addTensor(new Tensor("a", TensorType.FLOAT32, 1, 4).setBuffer(bufA));
            t1 = sg.addTensor(new Tensor("t1", TensorType.FLOAT32, 1, 4));
            bufB = model.addBuffer(floats(10, 20, 30, 40));
            b = sg.addTensor(new Tensor("b", TensorType.FLOAT32, 1, 4).setBuffer(bufB));
            y = sg.addTensor(new Tensor("y", TensorType.FLOAT32, 1, 4));
            int add = model.operatorCodeIndex(BuiltinOperator.ADD, 1);
            sg.addOperator(new Operator(add, new int[] {x, a}, new int[] {t1}).setBuiltinOptions(BuiltinOptions.of("AddOptions")));
            sg.addOperator(new Operator(add, new int[] {t1, b}, new int[] {y}).setBuiltinOptions(BuiltinOptions.of("AddOptions")));
            sg.setInputs(x).setOutputs(y);
            model.addSignatureDef(new SignatureDef(List.of(new SignatureDef.TensorMap("in", x)),
                    List.of(new SignatureDef.TensorMap("out", y)), "serving_default", 0));
        }
    }

    // ---- operator codes, buffers, tensors ----

    @Test
    void operatorCodeIndexFindsOrAdds() {
        Model m = mobilenet();
        int n = m.operatorCodes().size();
        int conv = lastOperatorOf(m, BuiltinOperator.CONV_2D);
        int convCode = m.mainGraph().operator(conv).opcodeIndex();
        int convVersion = m.operatorCode(convCode).version();
        assertEquals(convCode, m.operatorCodeIndex(BuiltinOperator.CONV_2D, convVersion));
        assertEquals(n, m.operatorCodes().size(), "finding an existing code added one");

        int tanh = m.operatorCodeIndex(BuiltinOperator.TANH, 1);
        assertEquals(n, tanh);
        assertEquals(BuiltinOperator.TANH, m.operatorCode(tanh).builtin());
        assertEquals(tanh, m.operatorCodeIndex(BuiltinOperator.TANH, 1));
        int tanh2 = m.operatorCodeIndex(BuiltinOperator.TANH, 2);
        assertEquals(n + 1, tanh2, "another version is another code");
        int custom = m.customOperatorCodeIndex("MyOp", 1);
        assertEquals(n + 2, custom);
        assertTrue(m.operatorCode(custom).isCustom());
        assertEquals(custom, m.customOperatorCodeIndex("MyOp", 1));
        assertEquals(n + 3, m.operatorCodes().size());
        // Unused codes are harmless: the model still validates and runs.
        TensorData out = runInTflite(m, List.of(randomImage(1))).getFirst();
        assertArrayEquals(new int[] {1, 1001}, out.shape());
    }

    @Test
    void addBufferAndAddTensorReturnTheirIndices() {
        Model m = new Model();
        assertEquals(1, m.buffers().size(), "a new model has the empty sentinel buffer 0");
        assertTrue(m.buffer(0).isEmpty());
        byte[] data = floats(1, 2);
        int bi = m.addBuffer(data);
        assertEquals(1, bi);
        data[0] = 99;
        assertEquals(0, m.buffer(bi).bytes()[0], "addBuffer(byte[]) must copy");
        assertEquals(2, m.addBuffer(new Buffer()));
        assertEquals(3, m.buffers().size());

        Subgraph sg = new Subgraph("g");
        assertEquals(0, sg.addTensor(new Tensor("p", TensorType.FLOAT32, 2)));
        assertEquals(1, sg.addTensor(new Tensor("q", TensorType.FLOAT32, 2).setBuffer(bi)));
        assertEquals(2, sg.tensorCount());
        assertEquals("q", sg.tensor(1).name());
        assertThrows(IllegalArgumentException.class, () -> new Tensor("r", TensorType.FLOAT32, 2).setBuffer(-1));
    }

    @Test
    void insertOperatorRefusesBadTensorIndices() {
        AddChain g = new AddChain();
        int add = g.model.operatorCodeIndex(BuiltinOperator.ADD, 1);
        int n = g.sg.tensorCount();
        int ops = g.sg.operatorCount();
        Subgraph sg = g.sg;
        assertThrows(IllegalArgumentException.class, () -> sg.insertOperator(0, new Operator(add, new int[] {n}, new int[] {g.t1})));
        assertThrows(IllegalArgumentException.class, () -> sg.insertOperator(0, new Operator(add, new int[] {-2}, new int[] {g.t1})));
        assertThrows(IllegalArgumentException.class, () -> sg.insertOperator(0, new Operator(add, new int[] {g.x}, new int[] {-1})));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> sg.addOperator(new Operator(add, new int[] {g.x, g.a}, new int[] {n + 5})));
        assertTrue(e.getMessage().contains(String.valueOf(n + 5)), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> sg.setInputs(n));
        assertThrows(IllegalArgumentException.class, () -> sg.setOutputs(-1));
        assertThrows(IllegalArgumentException.class, () -> sg.replaceUses(g.t1, n, 0));
        assertEquals(ops, sg.operatorCount(), "a refused operator was inserted anyway");
        assertArrayEquals(new int[] {g.x}, sg.inputs());
        assertArrayEquals(new int[] {g.y}, sg.outputs());
        // -1 (omitted optional input) is allowed for inputs.
        int extra = sg.addTensor(new Tensor("extra", TensorType.FLOAT32, 1, 4));
        sg.insertOperator(2, new Operator(add, new int[] {g.y, -1}, new int[] {extra}));
        assertEquals(ops + 1, sg.operatorCount());
        sg.removeOperator(2);

        TensorData out = runInTflite(g.model, List.of(floatTensor(new int[] {1, 4}, 0.5f, 0, -1, 2))).getFirst();
        assertArrayEquals(new float[] {11.5f, 22, 32, 46}, toFloats(out));
    }

    // ---- splicing ----

    @Test
    void reshapeInsertedBeforeTheOutputKeepsTfliteOutputsIdentical() throws IOException {
        Path p = SharedData.model(MOBILENET);
        byte[] original = Files.readAllBytes(p);
        Model m = ModelReader.read(p);
        Subgraph sg = m.mainGraph();
        int out = sg.outputs()[0];
        int producer = sg.producerOf(out);
        assertTrue(producer >= 0);
        Tensor ot = sg.tensor(out);
        int pre = sg.addTensor(ot.copy().setName(ot.name() + "/before_reshape"));
        Operator prod = sg.operator(producer);
        for (int k = 0; k < prod.outputCount(); k++) {
            if (prod.output(k) == out) {
                prod.setOutput(k, pre);
            }
        }
        int shape = sg.addTensor(new Tensor("reshape/shape", TensorType.INT32, ot.rank()).setBuffer(m.addBuffer(ints(ot.shape()))));
        int reshape = m.operatorCodeIndex(BuiltinOperator.RESHAPE, 1);
        sg.insertOperator(producer + 1, new Operator(reshape, new int[] {pre, shape}, new int[] {out}).setBuiltinOptions(reshapeTo(ot.shape())));
        assertEquals(producer + 1, sg.producerOf(out));
        assertEquals(List.of(producer + 1), sg.consumersOf(pre));

        for (long seed = 1; seed <= 3; seed++) {
            List<TensorData> in = List.of(randomImage(seed));
            assertArrayEquals(runInTflite(original, in).getFirst().bytes(), runInTflite(m, in).getFirst().bytes(),
                    "output changed by a same-shape RESHAPE (seed " + seed + ")");
        }
        System.out.printf("editing: RESHAPE inserted after operator %d of %s; 3 outputs identical%n", producer, MOBILENET);
    }

    @Test
    void replaceUsesSplicesAnOperatorIntoTheMiddleAndAtTheEnd() throws IOException {
        Path p = SharedData.model(MOBILENET);
        byte[] original = Files.readAllBytes(p);
        Model m = ModelReader.read(p);
        Subgraph sg = m.mainGraph();
        // An activation in the middle with a single reader.
        int mid = sg.operatorCount() / 2;
        int x = sg.operator(mid).output(0);
        List<Integer> readers = sg.consumersOf(x);
        assertFalse(readers.isEmpty());
        Tensor xt = sg.tensor(x);
        int y = sg.addTensor(xt.copy().setName(xt.name() + "/spliced"));
        int shape = sg.addTensor(new Tensor("splice/shape", TensorType.INT32, xt.rank()).setBuffer(m.addBuffer(ints(xt.shape()))));
        int reshape = m.operatorCodeIndex(BuiltinOperator.RESHAPE, 1);
        sg.insertOperator(mid + 1, new Operator(reshape, new int[] {x, shape}, new int[] {y}).setBuiltinOptions(reshapeTo(xt.shape())));
        sg.replaceUses(x, y, mid + 2);
        assertEquals(List.of(mid + 1), sg.consumersOf(x), "only the spliced op reads the original now");
        assertEquals(readers.stream().map(r -> r + 1).toList(), sg.consumersOf(y));

        // At the end: the subgraph output moves to the new tensor.
        int out = sg.outputs()[0];
        Tensor ot = sg.tensor(out);
        int z = sg.addTensor(ot.copy().setName(ot.name() + "/final"));
        int shape2 = sg.addTensor(new Tensor("final/shape", TensorType.INT32, ot.rank()).setBuffer(m.addBuffer(ints(ot.shape()))));
        int end = sg.addOperator(new Operator(reshape, new int[] {out, shape2}, new int[] {z}).setBuiltinOptions(reshapeTo(ot.shape())));
        m.replaceUses(0, out, z, end + 1);
        assertArrayEquals(new int[] {z}, sg.outputs());
        assertEquals(List.of(end), sg.consumersOf(out));

        for (long seed = 1; seed <= 3; seed++) {
            List<TensorData> in = List.of(randomImage(seed));
            assertArrayEquals(runInTflite(original, in).getFirst().bytes(), runInTflite(m, in).getFirst().bytes(),
                    "output changed by two spliced RESHAPEs (seed " + seed + ")");
        }
        System.out.printf("editing: RESHAPEs spliced after operator %d (%d readers moved) and at the end; 3 outputs identical%n",
                mid, readers.size());
    }

    @Test
    void replaceUsesCarriesSignatureOutputsAlong() {
        AddChain g = new AddChain();
        int z = g.sg.addTensor(new Tensor("z", TensorType.FLOAT32, 1, 4));
        int shape = g.sg.addTensor(new Tensor("shape", TensorType.INT32, 2).setBuffer(g.model.addBuffer(ints(1, 4))));
        int reshape = g.model.operatorCodeIndex(BuiltinOperator.RESHAPE, 1);
        int end = g.sg.addOperator(new Operator(reshape, new int[] {g.y, shape}, new int[] {z}).setBuiltinOptions(reshapeTo(new int[] {1, 4})));

        Model subgraphOnly = g.model.copy();
        subgraphOnly.subgraph(0).replaceUses(g.y, z, end + 1);
        assertEquals(g.y, subgraphOnly.signatureDefs().getFirst().outputs().getFirst().tensorIndex(),
                "Subgraph.replaceUses cannot see the model's signatures");

        g.model.replaceUses(0, g.y, z, end + 1);
        assertArrayEquals(new int[] {z}, g.sg.outputs());
        SignatureDef sig = g.model.signatureDefs().getFirst();
        assertEquals(z, sig.outputs().getFirst().tensorIndex(), "signature output did not follow the subgraph output");
        assertEquals(g.x, sig.inputs().getFirst().tensorIndex());
        assertEquals(g.model, ModelReader.read(ModelWriter.toBytes(g.model)));
        TensorData out = runInTflite(g.model, List.of(floatTensor(new int[] {1, 4}, 1, 1, 1, 1))).getFirst();
        assertArrayEquals(new float[] {12, 23, 34, 45}, toFloats(out));
    }

    // ---- removal and compaction ----

    @Test
    void removeOperatorThenCompactionRemapsEveryIndex() {
        AddChain g = new AddChain();
        Model m = g.model;
        m.addMetadata("note", "kept".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        int bufferCount = m.buffers().size();

        // y = x + b: drop the first ADD and let the second read x directly.
        Operator removed = g.sg.removeOperator(0);
        assertArrayEquals(new int[] {g.t1}, removed.outputs());
        g.sg.operator(0).setInput(0, g.x);
        assertEquals(-1, g.sg.producerOf(g.t1));

        assertEquals(3, m.removeUnusedTensors(0), "junk, a and t1 are unused");
        assertEquals(0, m.removeUnusedTensors(0), "compaction is idempotent");
        assertEquals(List.of("x", "b", "y"), g.sg.tensors().stream().map(Tensor::name).toList());
        Operator op = g.sg.operator(0);
        assertArrayEquals(new int[] {0, 1}, op.inputs());
        assertArrayEquals(new int[] {2}, op.outputs());
        assertArrayEquals(new int[] {0}, g.sg.inputs());
        assertArrayEquals(new int[] {2}, g.sg.outputs());
        SignatureDef sig = m.signatureDefs().getFirst();
        assertEquals(0, sig.inputs().getFirst().tensorIndex());
        assertEquals(2, sig.outputs().getFirst().tensorIndex());
        assertEquals("out", sig.outputs().getFirst().name());

        assertEquals(1, m.removeUnusedBuffers(), "only a's buffer is unused");
        assertEquals(bufferCount - 1, m.buffers().size());
        assertTrue(m.buffer(0).isEmpty(), "buffer 0 stays the empty sentinel");
        assertEquals(g.bufB - 1, g.sg.tensor(1).buffer(), "b's buffer index moved down by one");
        assertArrayEquals(floats(10, 20, 30, 40), m.buffer(g.sg.tensor(1).buffer()).bytes());
        ByteBuffer note = m.metadata("note");
        assertEquals("kept", java.nio.charset.StandardCharsets.US_ASCII.decode(note).toString(), "metadata buffer not remapped");
        assertEquals(0, m.removeUnusedBuffers());

        assertEquals(m, ModelReader.read(ModelWriter.toBytes(m)));
        TensorData out = runInTflite(m, List.of(floatTensor(new int[] {1, 4}, 1, -2, 0.25f, 0))).getFirst();
        assertArrayEquals(new float[] {11, 18, 30.25f, 40}, toFloats(out));
    }

    @Test
    void compactionKeepsOperatorIntermediatesAndOmittedInputs() {
        AddChain g = new AddChain();
        Subgraph sg = g.sg;
        int scratch = sg.addTensor(new Tensor("scratch", TensorType.FLOAT32, 0));
        sg.operator(1).setIntermediates(new int[] {scratch});
        assertEquals(1, g.model.removeUnusedTensors(0), "only junk goes");
        int newScratch = scratch - 1;
        assertEquals("scratch", sg.tensor(newScratch).name());
        assertArrayEquals(new int[] {newScratch}, sg.operator(1).intermediates());
        assertArrayEquals(new int[] {g.x, g.a - 1}, sg.operator(0).inputs());
        assertTrue(ModelValidator.validate(g.model).isValid(), ModelValidator.validate(g.model).errors().toString());
    }

    // ---- changing tensors and buffers ----

    @Test
    void zeroedLogitsConvGivesTheSoftmaxOfItsBias() {
        Model m = mobilenet();
        Subgraph sg = m.mainGraph();
        int conv = lastOperatorOf(m, BuiltinOperator.CONV_2D);
        Tensor w = sg.tensor(sg.operator(conv).input(1));
        Tensor bias = sg.tensor(sg.operator(conv).input(2));
        int classes = bias.dim(0);
        int oldWeights = w.buffer();
        long sharing = sg.tensors().stream().filter(t -> t.buffer() == oldWeights).count();
        assertEquals(1, sharing, "the weights buffer is shared; this test assumes it is not");

        // New weights in a new buffer; the bias rewritten in place.
        w.setBuffer(m.addBuffer(new byte[Math.toIntExact(w.type().bytesFor(w.elementCount()))]));
        float[] b = new float[classes];
        int hot = 7;
        b[hot] = 5f;
        m.setBufferData(bias.buffer(), ByteBuffer.wrap(floats(b)));
        assertEquals(1, m.removeUnusedBuffers(), "the old weights buffer should be dropped");

        float[] out = toFloats(runInTflite(m, List.of(randomImage(3))).getFirst());
        assertEquals(classes, out.length);
        double denominator = Math.exp(5) + (classes - 1);
        assertEquals(Math.exp(5) / denominator, out[hot], 1e-5);
        for (int i = 0; i < classes; i++) {
            if (i != hot) {
                assertEquals(1 / denominator, out[i], 1e-6, "class " + i);
            }
        }
        System.out.printf("editing: zeroed logits weights, bias one-hot at %d -> p=%.5f, others %.7f%n", hot, out[hot], out[0]);
    }

    /** x -> QUANTIZE -> q -> DEQUANTIZE -> y: what q's type and quantization say shows in y. */
    @Test
    void changingTypeAndQuantizationShowsInTfliteResults() {
        Model m = new Model();
        Subgraph sg = new Subgraph("main");
        m.addSubgraph(sg);
        int x = sg.addTensor(new Tensor("x", TensorType.FLOAT32, 4));
        int q = sg.addTensor(new Tensor("q", TensorType.INT8, 4).setQuantization(Quantization.perTensor(0.25, 0)));
        int y = sg.addTensor(new Tensor("y", TensorType.FLOAT32, 4));
        sg.addOperator(new Operator(m.operatorCodeIndex(BuiltinOperator.QUANTIZE, 1), new int[] {x}, new int[] {q}));
        sg.addOperator(new Operator(m.operatorCodeIndex(BuiltinOperator.DEQUANTIZE, 1), new int[] {q}, new int[] {y}));
        sg.setInputs(x).setOutputs(y);
        List<TensorData> in = List.of(floatTensor(new int[] {4}, 100f, 0.26f, -3.3f, 1f));

        assertArrayEquals(new float[] {31.75f, 0.25f, -3.25f, 1f}, toFloats(runInTflite(m, in).getFirst()));
        sg.tensor(q).setQuantization(Quantization.perTensor(0.5, 0));
        assertArrayEquals(new float[] {63.5f, 0.5f, -3.5f, 1f}, toFloats(runInTflite(m, in).getFirst()));
        sg.tensor(q).setType(TensorType.INT16);
        assertArrayEquals(new float[] {100f, 0.5f, -3.5f, 1f}, toFloats(runInTflite(m, in).getFirst()));
    }

    @Test
    void aTypeChangeThatNoLongerMatchesTheBufferIsRefused() {
        AddChain g = new AddChain();
        g.sg.tensor(g.a).setType(TensorType.INT8);
        ModelValidator.Report r = ModelValidator.validate(g.model);
        assertFalse(r.isValid());
        assertTrue(r.errors().getFirst().where().startsWith("subgraph 0 tensor " + g.a), r.errors().toString());
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> ModelWriter.toBytes(g.model));
        assertTrue(e.getMessage().contains("subgraph 0 tensor " + g.a), e.getMessage());
        assertTrue(e.getMessage().contains("16"), e.getMessage());

        // Replacing the buffer with data of the new size makes it valid again.
        g.sg.tensor(g.a).setType(TensorType.FLOAT32);
        int before = g.model.buffers().size();
        g.sg.tensor(g.a).setBuffer(g.model.addBuffer(floats(-1, -1, -1, -1)));
        assertEquals(1, g.model.removeUnusedBuffers());
        assertEquals(before, g.model.buffers().size());
        TensorData out = runInTflite(g.model, List.of(floatTensor(new int[] {1, 4}, 1, 1, 1, 1))).getFirst();
        assertArrayEquals(new float[] {10, 20, 30, 40}, toFloats(out));
    }

    @Test
    void editsOfACopyLeaveTheOriginalAlone() {
        Model m = mobilenet();
        Model c = m.copy();
        assertEquals(m, c);
        int weights = c.mainGraph().operator(0).input(1);
        int buffer = c.mainGraph().tensor(weights).buffer();
        byte[] original = m.buffer(buffer).bytes();
        c.mainGraph().tensor(0).setName("renamed");
        c.setBufferData(buffer, ByteBuffer.wrap(new byte[original.length]));
        c.mainGraph().removeOperator(c.mainGraph().operatorCount() - 1);
        assertNotEquals(m, c);
        assertNotEquals("renamed", m.mainGraph().tensor(0).name());
        assertArrayEquals(original, m.buffer(buffer).bytes());
        assertEquals(c.mainGraph().operatorCount() + 1, m.mainGraph().operatorCount());
    }
}
