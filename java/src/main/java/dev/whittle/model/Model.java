package dev.whittle.model;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Objects;

/**
 * A TFLite model in memory: the schema's {@code Model} table with every field kept, so that
 * a model read and written unchanged means the same to TFLite. Read one with
 * {@link dev.whittle.model.io.ModelReader}, write it with {@link dev.whittle.model.io.ModelWriter}.
 *
 * <p>Not thread-safe while being edited; a model that is no longer modified may be read by
 * many threads.
 */
public final class Model {
    /** The schema version this code reads and writes (TFLite accepts only 3). */
    public static final int SCHEMA_VERSION = 3;

    private long version = SCHEMA_VERSION;
    private String description;
    private final List<OperatorCode> operatorCodes = new ArrayList<>();
    private final List<Subgraph> subgraphs = new ArrayList<>();
    private final List<Buffer> buffers = new ArrayList<>();
    private int[] metadataBuffer;
    private final List<Metadata> metadata = new ArrayList<>();
    private final List<SignatureDef> signatureDefs = new ArrayList<>();

    /** An empty model with the sentinel empty buffer 0, as TFLite's converter writes it. */
    public Model() {
        buffers.add(new Buffer());
    }

    /** Used by the reader: no sentinel, the buffer table comes from the file. */
    public static Model emptyForReading() {
        Model m = new Model();
        m.buffers.clear();
        return m;
    }

    public long version() {
        return version;
    }

    public Model setVersion(long version) {
        this.version = version;
        return this;
    }

    public String description() {
        return description;
    }

    public Model setDescription(String d) {
        this.description = d;
        return this;
    }

    public List<OperatorCode> operatorCodes() {
        return Collections.unmodifiableList(operatorCodes);
    }

    public OperatorCode operatorCode(int i) {
        return operatorCodes.get(i);
    }

    /** The operator code of {@code op}. */
    public OperatorCode operatorCodeOf(Operator op) {
        return operatorCodes.get(op.opcodeIndex());
    }

    public List<Subgraph> subgraphs() {
        return Collections.unmodifiableList(subgraphs);
    }

    public Subgraph subgraph(int i) {
        return subgraphs.get(i);
    }

    /** Subgraph 0. */
    public Subgraph mainGraph() {
        return subgraphs.get(0);
    }

    public List<Buffer> buffers() {
        return Collections.unmodifiableList(buffers);
    }

    public Buffer buffer(int i) {
        return buffers.get(i);
    }

    /** The deprecated {@code metadata_buffer} list, or null when absent. */
    public int[] metadataBuffer() {
        return metadataBuffer == null ? null : metadataBuffer.clone();
    }

    public Model setMetadataBuffer(int[] v) {
        this.metadataBuffer = v == null ? null : v.clone();
        return this;
    }

    public List<Metadata> metadata() {
        return Collections.unmodifiableList(metadata);
    }

    /** The bytes of the metadata entry called {@code name}, or null. */
    public ByteBuffer metadata(String name) {
        for (Metadata m : metadata) {
            if (m.name() != null && m.name().equals(name) && m.buffer() < buffers.size()) {
                return buffers.get(m.buffer()).data();
            }
        }
        return null;
    }

    public List<SignatureDef> signatureDefs() {
        return Collections.unmodifiableList(signatureDefs);
    }

    // ---- editing ----

    public int addOperatorCode(OperatorCode c) {
        operatorCodes.add(Objects.requireNonNull(c));
        return operatorCodes.size() - 1;
    }

    /** Index of the operator code for {@code op} at {@code version}, added if missing. */
    public int operatorCodeIndex(BuiltinOperator op, int version) {
        for (int i = 0; i < operatorCodes.size(); i++) {
            OperatorCode c = operatorCodes.get(i);
            if (!c.isCustom() && c.code() == op.code() && c.version() == version) {
                return i;
            }
        }
        return addOperatorCode(OperatorCode.builtin(op, version));
    }

    /** Index of the custom operator code {@code name}, added if missing. */
    public int customOperatorCodeIndex(String name, int version) {
        for (int i = 0; i < operatorCodes.size(); i++) {
            OperatorCode c = operatorCodes.get(i);
            if (c.isCustom() && name.equals(c.customCode()) && c.version() == version) {
                return i;
            }
        }
        return addOperatorCode(OperatorCode.custom(name, version));
    }

    public int addSubgraph(Subgraph s) {
        subgraphs.add(Objects.requireNonNull(s));
        return subgraphs.size() - 1;
    }

    /** Appends a buffer and returns its index. */
    public int addBuffer(Buffer b) {
        buffers.add(Objects.requireNonNull(b));
        return buffers.size() - 1;
    }

    /** Appends a buffer holding a copy of {@code bytes}. */
    public int addBuffer(byte[] bytes) {
        return addBuffer(Buffer.of(bytes));
    }

    /** Replaces the data of buffer {@code index}. */
    public void setBufferData(int index, ByteBuffer data) {
        buffers.get(index).setData(data);
    }

    public void addMetadata(String name, byte[] bytes) {
        metadata.add(new Metadata(name, addBuffer(bytes)));
    }

    public void addMetadata(Metadata m) {
        metadata.add(Objects.requireNonNull(m));
    }

    public void addSignatureDef(SignatureDef s) {
        signatureDefs.add(Objects.requireNonNull(s));
    }

    /** The constant data of tensor {@code t}, or null when it has none. */
    public ByteBuffer constantData(Tensor t) {
        if (t.buffer() <= 0 || t.buffer() >= buffers.size()) {
            return null;
        }
        Buffer b = buffers.get(t.buffer());
        return b.isEmpty() ? null : b.data();
    }

    /** Whether the tensor has constant data. */
    public boolean isConstant(Tensor t) {
        return constantData(t) != null;
    }

    /**
     * {@link Subgraph#replaceUses} on subgraph {@code subgraphIndex}, and the signature outputs
     * of that subgraph that named {@code original} follow it to {@code replacement}. Without
     * this a signature output would keep pointing at a tensor that is no longer a subgraph
     * output, whose memory TFLite may reuse for other activations.
     */
    public void replaceUses(int subgraphIndex, int original, int replacement, int fromOperator) {
        Subgraph sg = subgraphs.get(subgraphIndex);
        boolean wasOutput = Arrays.stream(sg.outputs()).anyMatch(o -> o == original);
        sg.replaceUses(original, replacement, fromOperator);
        if (!wasOutput) {
            return;
        }
        for (int i = 0; i < signatureDefs.size(); i++) {
            SignatureDef s = signatureDefs.get(i);
            if (s.subgraphIndex() != subgraphIndex) {
                continue;
            }
            List<SignatureDef.TensorMap> outs = new ArrayList<>();
            for (SignatureDef.TensorMap m : s.outputs()) {
                outs.add(m.tensorIndex() == original ? new SignatureDef.TensorMap(m.name(), replacement) : m);
            }
            signatureDefs.set(i, new SignatureDef(s.inputs(), outs, s.signatureKey(), s.subgraphIndex()));
        }
    }

    /**
     * Removes the tensors of subgraph {@code subgraphIndex} that nothing refers to (no
     * operator, subgraph input/output or signature) and remaps every index.
     *
     * @return the number of tensors removed
     */
    public int removeUnusedTensors(int subgraphIndex) {
        Subgraph sg = subgraphs.get(subgraphIndex);
        int n = sg.tensorCount();
        boolean[] used = new boolean[n];
        for (Operator op : sg.operators()) {
            mark(used, op.inputs());
            mark(used, op.outputs());
            if (op.intermediates() != null) {
                mark(used, op.intermediates());
            }
        }
        mark(used, sg.inputs());
        mark(used, sg.outputs());
        for (SignatureDef s : signatureDefs) {
            if (s.subgraphIndex() == subgraphIndex) {
                s.inputs().forEach(m -> mark(used, new int[] {m.tensorIndex()}));
                s.outputs().forEach(m -> mark(used, new int[] {m.tensorIndex()}));
            }
        }
        int[] remap = new int[n];
        List<Tensor> kept = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            if (used[i]) {
                remap[i] = kept.size();
                kept.add(sg.tensor(i));
            } else {
                remap[i] = -1;
            }
        }
        int removed = n - kept.size();
        if (removed == 0) {
            return 0;
        }
        for (Operator op : sg.operators()) {
            op.setInputs(remapAll(op.inputs(), remap));
            op.setOutputs(remapAll(op.outputs(), remap));
            if (op.intermediates() != null) {
                op.setIntermediates(remapAll(op.intermediates(), remap));
            }
        }
        int[] in = remapAll(sg.inputs(), remap);
        int[] out = remapAll(sg.outputs(), remap);
        sg.replaceTensors(kept);
        sg.setInputsUnchecked(in);
        sg.setOutputsUnchecked(out);
        for (int i = 0; i < signatureDefs.size(); i++) {
            SignatureDef s = signatureDefs.get(i);
            if (s.subgraphIndex() == subgraphIndex) {
                signatureDefs.set(i, new SignatureDef(remapMaps(s.inputs(), remap), remapMaps(s.outputs(), remap),
                        s.signatureKey(), s.subgraphIndex()));
            }
        }
        return removed;
    }

    /**
     * Removes buffers that no tensor or metadata refers to (buffer 0 always stays) and
     * remaps every reference.
     *
     * @return the number of buffers removed
     */
    public int removeUnusedBuffers() {
        int n = buffers.size();
        boolean[] used = new boolean[n];
        if (n > 0) {
            used[0] = true;
        }
        for (Subgraph sg : subgraphs) {
            for (Tensor t : sg.tensors()) {
                if (t.buffer() < n) {
                    used[t.buffer()] = true;
                }
            }
        }
        for (Metadata m : metadata) {
            if (m.buffer() >= 0 && m.buffer() < n) {
                used[m.buffer()] = true;
            }
        }
        if (metadataBuffer != null) {
            for (int b : metadataBuffer) {
                if (b >= 0 && b < n) {
                    used[b] = true;
                }
            }
        }
        int[] remap = new int[n];
        List<Buffer> kept = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            remap[i] = used[i] ? kept.size() : -1;
            if (used[i]) {
                kept.add(buffers.get(i));
            }
        }
        int removed = n - kept.size();
        if (removed == 0) {
            return 0;
        }
        buffers.clear();
        buffers.addAll(kept);
        for (Subgraph sg : subgraphs) {
            for (Tensor t : sg.tensors()) {
                t.setBuffer(remap[t.buffer()]);
            }
        }
        metadata.replaceAll(m -> new Metadata(m.name(), remap[m.buffer()]));
        if (metadataBuffer != null) {
            metadataBuffer = remapAll(metadataBuffer, remap);
        }
        return removed;
    }

    /**
     * Removes operator codes that no operator of any subgraph uses and remaps the operators'
     * opcode indices (order kept). A pass that rewrote operators can leave codes behind.
     *
     * @return the number of codes removed
     */
    public int removeUnusedOperatorCodes() {
        int n = operatorCodes.size();
        boolean[] used = new boolean[n];
        for (Subgraph sg : subgraphs) {
            for (Operator op : sg.operators()) {
                used[op.opcodeIndex()] = true;
            }
        }
        int[] remap = new int[n];
        List<OperatorCode> kept = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            remap[i] = used[i] ? kept.size() : -1;
            if (used[i]) {
                kept.add(operatorCodes.get(i));
            }
        }
        int removed = n - kept.size();
        if (removed == 0) {
            return 0;
        }
        operatorCodes.clear();
        operatorCodes.addAll(kept);
        for (Subgraph sg : subgraphs) {
            for (Operator op : sg.operators()) {
                op.setOpcodeIndex(remap[op.opcodeIndex()]);
            }
        }
        return removed;
    }

    private static void mark(boolean[] used, int[] idx) {
        for (int i : idx) {
            if (i >= 0 && i < used.length) {
                used[i] = true;
            }
        }
    }

    private static int[] remapAll(int[] idx, int[] remap) {
        int[] r = new int[idx.length];
        for (int k = 0; k < idx.length; k++) {
            r[k] = idx[k] < 0 ? idx[k] : remap[idx[k]];
        }
        return r;
    }

    private static List<SignatureDef.TensorMap> remapMaps(List<SignatureDef.TensorMap> maps, int[] remap) {
        List<SignatureDef.TensorMap> r = new ArrayList<>();
        for (SignatureDef.TensorMap m : maps) {
            r.add(new SignatureDef.TensorMap(m.name(), remap[m.tensorIndex()]));
        }
        return r;
    }

    /** A deep copy; buffers get their own copies of the bytes. */
    public Model copy() {
        Model m = emptyForReading();
        m.version = version;
        m.description = description;
        operatorCodes.forEach(c -> m.operatorCodes.add(c.copy()));
        subgraphs.forEach(s -> m.subgraphs.add(s.copy()));
        buffers.forEach(b -> m.buffers.add(b.copy()));
        m.metadataBuffer = metadataBuffer == null ? null : metadataBuffer.clone();
        m.metadata.addAll(metadata);
        m.signatureDefs.addAll(signatureDefs);
        return m;
    }

    /** Structural equality, buffers compared by content. */
    @Override
    public boolean equals(Object o) {
        if (!(o instanceof Model m)) {
            return false;
        }
        if (m.buffers.size() != buffers.size()) {
            return false;
        }
        for (int i = 0; i < buffers.size(); i++) {
            if (!buffers.get(i).data().equals(m.buffers.get(i).data())) {
                return false;
            }
        }
        return version == m.version && Objects.equals(description, m.description)
                && operatorCodes.equals(m.operatorCodes) && subgraphs.equals(m.subgraphs)
                && Arrays.equals(metadataBuffer, m.metadataBuffer) && metadata.equals(m.metadata)
                && signatureDefs.equals(m.signatureDefs);
    }

    @Override
    public int hashCode() {
        return Objects.hash(version, operatorCodes.size(), subgraphs.size(), buffers.size());
    }
}
