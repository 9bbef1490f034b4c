package dev.whittle.model.io;

import dev.whittle.ModelFormatException;
import dev.whittle.UnsupportedModelException;
import dev.whittle.model.BuiltinOperator;
import dev.whittle.model.BuiltinOptions;
import dev.whittle.model.Model;
import dev.whittle.model.Operator;
import dev.whittle.model.Subgraph;
import dev.whittle.model.Tensor;
import dev.whittle.model.TensorType;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Targeted corruptions, each made through the model API, each refused with a typed exception
 * whose message names the place (subgraph, operator or tensor index).
 */
class ModelValidatorTest {
    /** x[2,2] + a -> t1; t1 + a -> y. Indices: x 0, a 1, t1 2, y 3; buffer of a is 1. */
    private static Model chain() {
        Model m = new Model();
        Subgraph sg = new Subgraph("main");
        m.addSubgraph(sg);
        int x = sg.addTensor(new Tensor("x", TensorType.FLOAT32, 2, 2));
        int a = sg.addTensor(new Tensor("a", TensorType.FLOAT32, 2, 2).setBuffer(m.addBuffer(new byte[16])));
        int t1 = sg.addTensor(new Tensor("t1", TensorType.FLOAT32, 2, 2));
        int y = sg.addTensor(new Tensor("y", TensorType.FLOAT32, 2, 2));
        int add = m.operatorCodeIndex(BuiltinOperator.ADD, 1);
        sg.addOperator(new Operator(add, new int[] {x, a}, new int[] {t1}));
        sg.addOperator(new Operator(add, new int[] {t1, a}, new int[] {y}));
        sg.setInputs(x).setOutputs(y);
        return m;
    }

    private static boolean at(ModelValidator.Finding f, String where) {
        return f.where().equals(where) || f.where().startsWith(where + " (");
    }

    /**
     * Asserts the model is refused: the report has an error at {@code where} mentioning
     * {@code text}, and {@link ModelValidator#validated} and {@link ModelWriter#toBytes} throw
     * a {@link ModelFormatException} naming the place.
     */
    private static ModelFormatException assertRefused(Model m, String where, String text) {
        ModelValidator.Report r = ModelValidator.validate(m);
        assertFalse(r.isValid(), "corruption not detected");
        assertTrue(r.errors().stream().anyMatch(f -> at(f, where) && f.message().contains(text)),
                "expected an error at '" + where + "' about '" + text + "', got " + r.errors());
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> ModelValidator.validated(m, "edited model"));
        assertTrue(e.getMessage().contains(where) && e.getMessage().contains(text), e.getMessage());
        ModelFormatException w = assertThrows(ModelFormatException.class, () -> ModelWriter.toBytes(m));
        assertTrue(w.getMessage().contains(where), w.getMessage());
        System.out.println("refused: " + e.getMessage());
        return e;
    }

    @Test
    void theUncorruptedGraphIsValid() {
        Model m = chain();
        ModelValidator.Report r = ModelValidator.validate(m);
        assertTrue(r.findings().isEmpty(), r.findings().toString());
        assertEquals(m, ModelReader.read(ModelWriter.toBytes(m)));
    }

    @Test
    void opcodeIndexOutOfRange() {
        Model m = chain();
        m.mainGraph().operator(1).setOpcodeIndex(5);
        assertRefused(m, "subgraph 0 operator 1", "opcode index 5 out of range [0, 1)");
    }

    @Test
    void tensorIndexOutOfRange() {
        Model m = chain();
        m.mainGraph().operator(1).setInputs(2, 9);
        assertRefused(m, "subgraph 0 operator 1", "input tensor index 9 out of range [0, 4)");

        Model o = chain();
        o.mainGraph().operator(0).setOutputs(4);
        assertRefused(o, "subgraph 0 operator 0", "output tensor index 4 out of range [0, 4)");

        Model s = chain();
        Subgraph sg = s.mainGraph();
        Subgraph broken = Subgraph.assemble("main", sg.tensors(), new int[] {0}, new int[] {7}, sg.operators());
        Model withBrokenOutputs = new Model();
        withBrokenOutputs.addBuffer(s.buffer(1));
        withBrokenOutputs.addOperatorCode(s.operatorCode(0));
        withBrokenOutputs.addSubgraph(broken);
        assertRefused(withBrokenOutputs, "subgraph 0 outputs", "tensor index 7 out of range [0, 4)");
    }

    @Test
    void bufferIndexOutOfRange() {
        Model m = chain();
        m.mainGraph().tensor(1).setBuffer(42);
        assertRefused(m, "subgraph 0 tensor 1", "buffer index 42 out of range [0, 2)");
    }

    @Test
    void bufferSizeMismatch() {
        Model m = chain();
        m.setBufferData(1, ByteBuffer.wrap(new byte[12]));
        assertRefused(m, "subgraph 0 tensor 1", "needs 16 bytes, its buffer 1 holds 12");
    }

    @Test
    void operatorReadsATensorALaterOperatorWrites() {
        Model m = chain();
        Subgraph sg = m.mainGraph();
        Operator second = sg.removeOperator(1);
        sg.insertOperator(0, second);
        assertRefused(m, "subgraph 0 operator 0", "reads tensor 2 before operator 1 writes it");
    }

    @Test
    void operatorReadsItsOwnOutput() {
        Model m = chain();
        m.mainGraph().operator(0).setInputs(2, 1);
        assertRefused(m, "subgraph 0 operator 0", "reads its own output tensor 2 (cycle)");
    }

    @Test
    void tensorWrittenByTwoOperators() {
        Model m = chain();
        m.mainGraph().operator(1).setOutputs(2);
        assertRefused(m, "subgraph 0 operator 1", "writes tensor 2 already written by operator 0");
    }

    // ---- control flow ----

    /** A subgraph: one input, one output, one ADD (or the given control-flow op). */
    private static Subgraph body(Model m, String name, BuiltinOperator op, BuiltinOptions options) {
        Subgraph sg = new Subgraph(name);
        int in = sg.addTensor(new Tensor("in", TensorType.FLOAT32, 1));
        int out = sg.addTensor(new Tensor("out", TensorType.FLOAT32, 1));
        int[] inputs = op == BuiltinOperator.ADD ? new int[] {in, in} : new int[] {in};
        sg.addOperator(new Operator(m.operatorCodeIndex(op, 1), inputs, new int[] {out}).setBuiltinOptions(options));
        sg.setInputs(in).setOutputs(out);
        return sg;
    }

    private static BuiltinOptions whileOptions(int cond, int body) {
        return BuiltinOptions.of("WhileOptions").set("cond_subgraph_index", cond).set("body_subgraph_index", body);
    }

    private static BuiltinOptions ifOptions(int then, int otherwise) {
        return BuiltinOptions.of("IfOptions").set("then_subgraph_index", then).set("else_subgraph_index", otherwise);
    }

    @Test
    void whileNamingAMissingSubgraph() {
        Model m = new Model();
        m.addSubgraph(body(m, "main", BuiltinOperator.WHILE, whileOptions(1, 5)));
        m.addSubgraph(body(m, "cond", BuiltinOperator.ADD, null));
        assertRefused(m, "subgraph 0 operator 0", "WhileOptions.body_subgraph_index = 5 is not a subgraph index [0, 2)");
    }

    @Test
    void ifNamingAMissingSubgraph() {
        Model m = new Model();
        m.addSubgraph(body(m, "main", BuiltinOperator.IF, ifOptions(-1, 1)));
        m.addSubgraph(body(m, "else", BuiltinOperator.ADD, null));
        assertRefused(m, "subgraph 0 operator 0", "IfOptions.then_subgraph_index = -1 is not a subgraph index [0, 2)");
        assertEquals(1, ModelValidator.validate(m).errors().size(), ModelValidator.validate(m).errors().toString());
    }

    @Test
    void subgraphsCallingEachOtherAreRecursion() {
        // 0 --WHILE--> 1 and 2; 1 --IF--> 2; 2 --IF--> 1: the calls 1 -> 2 -> 1 never end.
        Model ok = new Model();
        ok.addSubgraph(body(ok, "main", BuiltinOperator.WHILE, whileOptions(1, 2)));
        ok.addSubgraph(body(ok, "one", BuiltinOperator.IF, ifOptions(2, 2)));
        ok.addSubgraph(body(ok, "two", BuiltinOperator.ADD, null));
        assertTrue(ModelValidator.validate(ok).isValid(), "the acyclic control-flow graph should validate: "
                + ModelValidator.validate(ok).errors());

        Model m = new Model();
        m.addSubgraph(body(m, "main", BuiltinOperator.WHILE, whileOptions(1, 2)));
        m.addSubgraph(body(m, "one", BuiltinOperator.IF, ifOptions(2, 2)));
        m.addSubgraph(body(m, "two", BuiltinOperator.IF, ifOptions(1, 1)));
        assertRefused(m, "subgraph 2", "calls subgraph 1, which is already on the call chain (recursion)");
        assertEquals(1, ModelValidator.validate(m).errors().size(), "one cycle, one finding: " + ModelValidator.validate(m).errors());

        Model self = new Model();
        self.addSubgraph(body(self, "main", BuiltinOperator.WHILE, whileOptions(0, 0)));
        assertRefused(self, "subgraph 0", "calls subgraph 0, which is already on the call chain (recursion)");
        assertEquals(1, ModelValidator.validate(self).errors().size(), ModelValidator.validate(self).errors().toString());
    }

    // ---- file level ----

    /** Position of the root table's field {@code id} in the flatbuffer, or -1 when absent. */
    private static int rootField(byte[] bytes, int id) {
        ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        int table = b.getInt(0);
        int vtable = table - b.getInt(table);
        int vtableSize = b.getShort(vtable) & 0xffff;
        int slot = 4 + 2 * id;
        if (slot >= vtableSize) {
            return -1;
        }
        int off = b.getShort(vtable + slot) & 0xffff;
        return off == 0 ? -1 : table + off;
    }

    @Test
    void schemaVersionTwoIsUnsupported() {
        Model m = chain();
        byte[] bytes = ModelWriter.toBytes(m);
        int pos = rootField(bytes, 0);
        assertTrue(pos > 0, "the writer left out the version field");
        assertEquals(3, ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).getInt(pos));
        ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).putInt(pos, 2);
        UnsupportedModelException e = assertThrows(UnsupportedModelException.class, () -> ModelReader.read(bytes));
        assertTrue(e.getMessage().contains("schema version 2"), e.getMessage());

        m.setVersion(2);
        UnsupportedModelException w = assertThrows(UnsupportedModelException.class, () -> ModelWriter.toBytes(m));
        assertTrue(w.getMessage().contains("schema version 2"), w.getMessage());
        System.out.println("refused: " + e.getMessage());
    }

    @Test
    void badIdentifierAndTruncationAreFormatErrors() {
        byte[] bytes = ModelWriter.toBytes(chain());
        byte[] badId = bytes.clone();
        badId[4] = 'X';
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> ModelReader.read(badId));
        assertTrue(e.getMessage().contains("identifier") && e.getMessage().contains("XFL3"), e.getMessage());

        ModelFormatException tiny = assertThrows(ModelFormatException.class, () -> ModelReader.read(Arrays.copyOf(bytes, 5)));
        assertTrue(tiny.getMessage().contains("5 bytes"), tiny.getMessage());

        for (int len : new int[] {8, 16, bytes.length / 2, bytes.length - 1}) {
            byte[] cut = Arrays.copyOf(bytes, len);
            ModelFormatException t = assertThrows(ModelFormatException.class, () -> ModelReader.read(cut),
                    "truncated to " + len + " of " + bytes.length + " bytes");
            assertFalse(t.getMessage().isBlank());
            System.out.println("refused (truncated to " + len + "): " + t.getMessage());
        }
    }
}
