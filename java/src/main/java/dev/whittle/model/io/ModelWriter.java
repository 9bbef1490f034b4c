package dev.whittle.model.io;

import com.google.flatbuffers.FlatBufferBuilder;
import dev.whittle.ModelFormatException;
import dev.whittle.UnsupportedModelException;
import dev.whittle.model.Buffer;
import dev.whittle.model.BuiltinOptions;
import dev.whittle.model.Metadata;
import dev.whittle.model.Model;
import dev.whittle.model.Operator;
import dev.whittle.model.OperatorCode;
import dev.whittle.model.Quantization;
import dev.whittle.model.SignatureDef;
import dev.whittle.model.Sparsity;
import dev.whittle.model.Subgraph;
import dev.whittle.model.Tensor;
import dev.whittle.model.io.ModelReader.F;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Writes a {@link Model} as a {@code .tflite} flatbuffer that TFLite's interpreter loads.
 *
 * <p>Constant data goes inside the flatbuffer (16-byte aligned, as the schema's
 * {@code force_align: 16} asks) unless the model is too large for one flatbuffer (2 GB) or
 * {@link BufferPlacement#EXTERNAL} is asked for: then each buffer's bytes follow the
 * flatbuffer, 16-byte aligned, and the {@code Buffer} table holds their file offset and
 * size, the layout TFLite reads for large models.
 *
 * <p>The model is validated first: a model with errors is refused with
 * {@link ModelFormatException}, never written.
 */
public final class ModelWriter {
    /** Where constant data is written. */
    public enum BufferPlacement {
        /** Inside the flatbuffer when it fits, after it otherwise. */
        AUTO,
        /** Always inside the flatbuffer. */
        INLINE,
        /** Always after the flatbuffer (offset/size form). */
        EXTERNAL
    }

    /** Flatbuffers address with signed 32-bit offsets; leave headroom for tables. */
    private static final long INLINE_LIMIT = (1L << 31) - (64L << 20);
    private static final int ALIGN = 16;

    private ModelWriter() {
    }

    /** The model as bytes, constant data inline. */
    public static byte[] toBytes(Model model) {
        ModelValidator.validated(model, "model to write");
        if (totalBufferBytes(model) > INLINE_LIMIT) {
            throw new UnsupportedModelException("model holds " + totalBufferBytes(model)
                    + " bytes of constants, too many for one byte array; write it to a file instead");
        }
        return build(model, null, true).sizedByteArray();
    }

    /**
     * The model as bytes with every vector, string and table written once per use, as before
     * sharing was introduced; for tests that measure and check the sharing.
     */
    static byte[] toBytesUnshared(Model model) {
        ModelValidator.validated(model, "model to write");
        return build(model, null, false).sizedByteArray();
    }

    /** Writes the model to {@code path} with {@link BufferPlacement#AUTO}. */
    public static void write(Model model, Path path) {
        write(model, path, BufferPlacement.AUTO);
    }

    /** Writes the model to {@code path}. */
    public static void write(Model model, Path path, BufferPlacement placement) {
        try (OutputStream out = Files.newOutputStream(path)) {
            write(model, out, placement);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + path, e);
        }
    }

    /** Writes the model to a stream. */
    public static void write(Model model, OutputStream out, BufferPlacement placement) throws IOException {
        ModelValidator.validated(model, "model to write");
        boolean external = switch (placement) {
            case INLINE -> false;
            case EXTERNAL -> true;
            case AUTO -> totalBufferBytes(model) > INLINE_LIMIT;
        };
        if (!external) {
            if (totalBufferBytes(model) > INLINE_LIMIT) {
                throw new UnsupportedModelException("model constants exceed 2 GB; write them externally (BufferPlacement.AUTO)");
            }
            FlatBufferBuilder b = build(model, null);
            writeFully(out, b.dataBuffer());
            return;
        }
        // Pass 1 learns the flatbuffer's size with placeholder offsets (every external field is
        // forced present, so pass 2 with the real offsets has exactly the same size).
        int n = model.buffers().size();
        long[] offsets = new long[n];
        java.util.Arrays.fill(offsets, 2);
        long fbSize = build(model, offsets).offset();
        long pos = align(fbSize);
        for (int i = 0; i < n; i++) {
            Buffer buf = model.buffer(i);
            if (buf.isEmpty()) {
                offsets[i] = 0;
            } else {
                offsets[i] = pos;
                pos = align(pos + buf.size());
            }
        }
        FlatBufferBuilder b = build(model, offsets);
        if (b.offset() != fbSize) {
            throw new IllegalStateException("flatbuffer size changed between passes: " + fbSize + " vs " + b.offset());
        }
        long written = writeFully(out, b.dataBuffer());
        for (int i = 0; i < n; i++) {
            if (offsets[i] == 0) {
                continue;
            }
            written += pad(out, offsets[i] - written);
            written += writeFully(out, model.buffer(i).data());
        }
        pad(out, align(written) - written);
    }

    private static long align(long v) {
        return (v + ALIGN - 1) / ALIGN * ALIGN;
    }

    private static long pad(OutputStream out, long n) throws IOException {
        for (long i = 0; i < n; i++) {
            out.write(0);
        }
        return n;
    }

    private static long writeFully(OutputStream out, ByteBuffer data) throws IOException {
        WritableByteChannel ch = Channels.newChannel(out);
        ByteBuffer d = data.duplicate();
        long n = d.remaining();
        while (d.hasRemaining()) {
            ch.write(d);
        }
        return n;
    }

    private static long totalBufferBytes(Model m) {
        long s = 0;
        for (Buffer b : m.buffers()) {
            s += b.size();
        }
        return s;
    }

    /**
     * Builds the flatbuffer. With {@code externalOffsets} null, data is inline; otherwise
     * buffer i gets offset/size fields ({@code externalOffsets[i]}, 0 for an empty buffer).
     */
    private static FlatBufferBuilder build(Model m, long[] externalOffsets) {
        return build(m, externalOffsets, true);
    }

    private static FlatBufferBuilder build(Model m, long[] externalOffsets, boolean share) {
        long estimate = (externalOffsets == null ? totalBufferBytes(m) : 0) + 64 * 1024
                + 256L * m.subgraphs().stream().mapToInt(s -> s.tensorCount() + s.operatorCount()).sum();
        FlatBufferBuilder b = new DedupBuilder((int) Math.min(estimate + estimate / 8, Integer.MAX_VALUE - 64), share);

        int[] buffers = new int[m.buffers().size()];
        int emptyBuffer = 0;
        for (int i = 0; i < buffers.length; i++) {
            // Every empty buffer (one per activation tensor in converter output) is one shared table.
            if (m.buffer(i).isEmpty() && emptyBuffer != 0 && share) {
                buffers[i] = emptyBuffer;
                continue;
            }
            buffers[i] = writeBuffer(b, m.buffer(i), externalOffsets == null ? -1 : externalOffsets[i]);
            if (m.buffer(i).isEmpty()) {
                emptyBuffer = buffers[i];
            }
        }
        int buffersVec = b.createVectorOfTables(buffers);

        int[] subgraphs = new int[m.subgraphs().size()];
        for (int i = 0; i < subgraphs.length; i++) {
            subgraphs[i] = writeSubgraph(b, m.subgraph(i), i);
        }
        int subgraphsVec = b.createVectorOfTables(subgraphs);

        int[] codes = new int[m.operatorCodes().size()];
        for (int i = 0; i < codes.length; i++) {
            codes[i] = writeOperatorCode(b, m.operatorCode(i));
        }
        int codesVec = b.createVectorOfTables(codes);

        int description = m.description() == null ? 0 : string(b, m.description());
        int metadataBufferVec = m.metadataBuffer() == null ? 0 : intVector(b, m.metadataBuffer());
        int metadataVec = 0;
        if (!m.metadata().isEmpty()) {
            int[] md = new int[m.metadata().size()];
            for (int i = 0; i < md.length; i++) {
                Metadata e = m.metadata().get(i);
                int name = e.name() == null ? 0 : string(b, e.name());
                b.startTable(2);
                b.addOffset(F.MD_NAME, name, 0);
                b.addInt(F.MD_BUFFER, e.buffer(), 0);
                md[i] = b.endTable();
            }
            metadataVec = b.createVectorOfTables(md);
        }
        int sigVec = 0;
        if (!m.signatureDefs().isEmpty()) {
            int[] sigs = new int[m.signatureDefs().size()];
            for (int i = 0; i < sigs.length; i++) {
                SignatureDef s = m.signatureDefs().get(i);
                int in = tensorMaps(b, s.inputs());
                int out = tensorMaps(b, s.outputs());
                int key = s.signatureKey() == null ? 0 : string(b, s.signatureKey());
                b.startTable(5);
                b.addOffset(F.SIG_INPUTS, in, 0);
                b.addOffset(F.SIG_OUTPUTS, out, 0);
                b.addOffset(F.SIG_KEY, key, 0);
                b.addInt(F.SIG_SUBGRAPH_INDEX, s.subgraphIndex(), 0);
                sigs[i] = b.endTable();
            }
            sigVec = b.createVectorOfTables(sigs);
        }

        b.startTable(8);
        b.addInt(F.MODEL_VERSION, (int) m.version(), 0);
        b.addOffset(F.MODEL_OPERATOR_CODES, codesVec, 0);
        b.addOffset(F.MODEL_SUBGRAPHS, subgraphsVec, 0);
        b.addOffset(F.MODEL_DESCRIPTION, description, 0);
        b.addOffset(F.MODEL_BUFFERS, buffersVec, 0);
        b.addOffset(F.MODEL_METADATA_BUFFER, metadataBufferVec, 0);
        b.addOffset(F.MODEL_METADATA, metadataVec, 0);
        b.addOffset(F.MODEL_SIGNATURE_DEFS, sigVec, 0);
        int root = b.endTable();
        b.finish(root, ModelReader.IDENTIFIER);
        return b;
    }

    private static int writeBuffer(FlatBufferBuilder b, Buffer buf, long externalOffset) {
        if (externalOffset >= 0) {
            b.startTable(3);
            if (!buf.isEmpty()) {
                // Forced: both passes must contain these fields so the flatbuffer keeps its size.
                b.forceDefaults(true);
                b.addLong(F.BUF_OFFSET, externalOffset, 0);
                b.addLong(F.BUF_SIZE, buf.size(), 0);
                b.forceDefaults(false);
            }
            return b.endTable();
        }
        int data = 0;
        if (!buf.isEmpty()) {
            ByteBuffer dst = b.createUnintializedVector(1, buf.size(), ALIGN);
            dst.put(buf.data());
            data = b.endVector();
        }
        b.startTable(3);
        b.addOffset(F.BUF_DATA, data, 0);
        return b.endTable();
    }

    private static int tensorMaps(FlatBufferBuilder b, List<SignatureDef.TensorMap> maps) {
        int[] t = new int[maps.size()];
        for (int i = 0; i < t.length; i++) {
            SignatureDef.TensorMap m = maps.get(i);
            int name = m.name() == null ? 0 : string(b, m.name());
            b.startTable(2);
            b.addOffset(F.TM_NAME, name, 0);
            b.addInt(F.TM_TENSOR_INDEX, m.tensorIndex(), 0);
            t[i] = b.endTable();
        }
        return b.createVectorOfTables(t);
    }

    private static int writeOperatorCode(FlatBufferBuilder b, OperatorCode c) {
        int custom = c.customCode() == null ? 0 : string(b, c.customCode());
        b.startTable(4);
        b.addByte(F.OPCODE_DEPRECATED_BUILTIN, (byte) c.deprecatedBuiltinCode(), 0);
        b.addOffset(F.OPCODE_CUSTOM, custom, 0);
        b.addInt(F.OPCODE_VERSION, c.version(), 1);
        b.addInt(F.OPCODE_BUILTIN, c.builtinCode(), 0);
        return b.endTable();
    }

    private static int writeSubgraph(FlatBufferBuilder b, Subgraph sg, int index) {
        int[] tensors = new int[sg.tensorCount()];
        for (int i = 0; i < tensors.length; i++) {
            tensors[i] = writeTensor(b, sg.tensor(i));
        }
        int tensorsVec = b.createVectorOfTables(tensors);
        int[] ops = new int[sg.operatorCount()];
        for (int i = 0; i < ops.length; i++) {
            ops[i] = writeOperator(b, sg.operator(i), index, i);
        }
        int opsVec = b.createVectorOfTables(ops);
        int in = intVector(b, sg.inputs());
        int out = intVector(b, sg.outputs());
        int name = sg.name() == null ? 0 : string(b, sg.name());
        b.startTable(5);
        b.addOffset(F.SG_TENSORS, tensorsVec, 0);
        b.addOffset(F.SG_INPUTS, in, 0);
        b.addOffset(F.SG_OUTPUTS, out, 0);
        b.addOffset(F.SG_OPERATORS, opsVec, 0);
        b.addOffset(F.SG_NAME, name, 0);
        return b.endTable();
    }

    private static int writeTensor(FlatBufferBuilder b, Tensor t) {
        int shape = intVector(b, t.shape());
        int name = t.name() == null ? 0 : string(b, t.name());
        int quant = t.quantization() == null ? 0 : quantization(b, t.quantization());
        int sparsity = t.sparsity() == null ? 0 : writeSparsity(b, t.sparsity());
        int sig = t.shapeSignature() == null ? 0 : intVector(b, t.shapeSignature());
        int variants = 0;
        if (!t.variantTensors().isEmpty()) {
            int[] v = new int[t.variantTensors().size()];
            for (int i = 0; i < v.length; i++) {
                Tensor.VariantSubType st = t.variantTensors().get(i);
                int s = st.shape() == null ? 0 : intVector(b, st.shape());
                b.startTable(3);
                b.addOffset(F.VST_SHAPE, s, 0);
                b.addByte(F.VST_TYPE, (byte) st.type().code(), 0);
                b.addBoolean(F.VST_HAS_RANK, st.hasRank(), false);
                v[i] = b.endTable();
            }
            variants = b.createVectorOfTables(v);
        }
        b.startTable(10);
        b.addOffset(F.T_SHAPE, shape, 0);
        b.addByte(F.T_TYPE, (byte) t.type().code(), 0);
        b.addInt(F.T_BUFFER, t.buffer(), 0);
        b.addOffset(F.T_NAME, name, 0);
        b.addOffset(F.T_QUANTIZATION, quant, 0);
        b.addBoolean(F.T_IS_VARIABLE, t.isVariable(), false);
        b.addOffset(F.T_SPARSITY, sparsity, 0);
        b.addOffset(F.T_SHAPE_SIGNATURE, sig, 0);
        b.addBoolean(F.T_HAS_RANK, t.hasRank(), false);
        b.addOffset(F.T_VARIANT_TENSORS, variants, 0);
        return b.endTable();
    }

    private static int writeQuantization(FlatBufferBuilder b, Quantization q) {
        int min = floatVector(b, q.min());
        int max = floatVector(b, q.max());
        int scale = floatVector(b, q.scale());
        int zp = 0;
        long[] z = q.zeroPoint();
        if (z != null) {
            zp = longVector(b, z);
        }
        int details = 0;
        if (q.detailsType() != 0) {
            byte[] custom = q.customDetails();
            int vec = 0;
            if (custom != null) {
                ByteBuffer dst = b.createUnintializedVector(1, custom.length, ALIGN);
                dst.put(custom);
                vec = b.endVector();
            }
            b.startTable(1);
            b.addOffset(F.CUSTOM_QUANT_CUSTOM, vec, 0);
            details = b.endTable();
        }
        b.startTable(7);
        b.addOffset(F.Q_MIN, min, 0);
        b.addOffset(F.Q_MAX, max, 0);
        b.addOffset(F.Q_SCALE, scale, 0);
        b.addOffset(F.Q_ZERO_POINT, zp, 0);
        b.addByte(F.Q_DETAILS_TYPE, (byte) q.detailsType(), 0);
        b.addOffset(F.Q_DETAILS, details, 0);
        b.addInt(F.Q_QUANTIZED_DIMENSION, q.quantizedDimension(), 0);
        return b.endTable();
    }

    private static int writeSparsity(FlatBufferBuilder b, Sparsity s) {
        int order = s.traversalOrder() == null ? 0 : intVector(b, s.traversalOrder());
        int blockMap = s.blockMap() == null ? 0 : intVector(b, s.blockMap());
        List<Sparsity.DimensionMetadata> dims = s.dimMetadata();
        int[] d = new int[dims.size()];
        for (int i = 0; i < d.length; i++) {
            Sparsity.DimensionMetadata dm = dims.get(i);
            int seg = writeIndexVector(b, dm.arraySegments());
            int idx = writeIndexVector(b, dm.arrayIndices());
            b.startTable(6);
            b.addByte(F.DM_FORMAT, (byte) dm.format(), 0);
            b.addInt(F.DM_DENSE_SIZE, dm.denseSize(), 0);
            b.addByte(F.DM_SEGMENTS_TYPE, (byte) (dm.arraySegments() == null ? 0 : dm.arraySegments().type().unionType()), 0);
            b.addOffset(F.DM_SEGMENTS, seg, 0);
            b.addByte(F.DM_INDICES_TYPE, (byte) (dm.arrayIndices() == null ? 0 : dm.arrayIndices().type().unionType()), 0);
            b.addOffset(F.DM_INDICES, idx, 0);
            d[i] = b.endTable();
        }
        int dimsVec = b.createVectorOfTables(d);
        b.startTable(3);
        b.addOffset(F.SP_TRAVERSAL_ORDER, order, 0);
        b.addOffset(F.SP_BLOCK_MAP, blockMap, 0);
        b.addOffset(F.SP_DIM_METADATA, dimsVec, 0);
        return b.endTable();
    }

    private static int writeIndexVector(FlatBufferBuilder b, Sparsity.IndexVector v) {
        if (v == null) {
            return 0;
        }
        int[] values = v.values();
        int vec;
        switch (v.type()) {
            case INT32 -> vec = intVector(b, values);
            case UINT16 -> {
                // force_align: 4 in the schema
                b.startVector(2, values.length, 4);
                for (int i = values.length - 1; i >= 0; i--) {
                    b.addShort((short) values[i]);
                }
                vec = b.endVector();
            }
            default -> {
                b.startVector(1, values.length, 4);
                for (int i = values.length - 1; i >= 0; i--) {
                    b.addByte((byte) values[i]);
                }
                vec = b.endVector();
            }
        }
        b.startTable(1);
        b.addOffset(F.INDEX_VECTOR_VALUES, vec, 0);
        return b.endTable();
    }

    private static int writeOperator(FlatBufferBuilder b, Operator op, int sg, int index) {
        int in = intVector(b, op.inputs());
        int out = intVector(b, op.outputs());
        int opt1 = writeOptions(b, op.builtinOptions());
        int opt2 = writeOptions(b, op.builtinOptions2());
        byte[] custom = op.customOptions();
        int customVec = custom == null ? 0 : b.createByteVector(custom);
        int mutating = 0;
        boolean[] mv = op.mutatingVariableInputs();
        if (mv != null) {
            b.startVector(1, mv.length, 1);
            for (int i = mv.length - 1; i >= 0; i--) {
                b.addBoolean(mv[i]);
            }
            mutating = b.endVector();
        }
        int inter = op.intermediates() == null ? 0 : intVector(b, op.intermediates());
        b.startTable(13);
        b.addInt(F.OP_OPCODE_INDEX, op.opcodeIndex(), 0);
        b.addOffset(F.OP_INPUTS, in, 0);
        b.addOffset(F.OP_OUTPUTS, out, 0);
        if (op.builtinOptions() != null) {
            b.addByte(F.OP_OPTIONS_TYPE, (byte) op.builtinOptions().schema().typeIndex(), 0);
            b.addOffset(F.OP_OPTIONS, opt1, 0);
        }
        b.addOffset(F.OP_CUSTOM_OPTIONS, customVec, 0);
        b.addByte(F.OP_CUSTOM_OPTIONS_FORMAT, (byte) op.customOptionsFormat(), 0);
        b.addOffset(F.OP_MUTATING_VARIABLE_INPUTS, mutating, 0);
        b.addOffset(F.OP_INTERMEDIATES, inter, 0);
        if (op.builtinOptions2() != null) {
            b.addByte(F.OP_OPTIONS2_TYPE, (byte) op.builtinOptions2().schema().typeIndex(), 0);
            b.addOffset(F.OP_OPTIONS2, opt2, 0);
        }
        return b.endTable();
    }

    private static int writeOptions(FlatBufferBuilder b, BuiltinOptions o) {
        return o == null ? 0 : OptionsCodec.write(b, o);
    }

    private static int intVector(FlatBufferBuilder b, int[] v) {
        DedupBuilder d = (DedupBuilder) b;
        Object key = new IntKey(v.clone());
        Integer known = d.vectors.get(key);
        if (known != null) {
            return known;
        }
        b.startVector(4, v.length, 4);
        for (int i = v.length - 1; i >= 0; i--) {
            b.addInt(v[i]);
        }
        int off = b.endVector();
        d.vectors.put(key, off);
        return off;
    }

    private static int floatVector(FlatBufferBuilder b, float[] v) {
        if (v == null) {
            return 0;
        }
        DedupBuilder d = (DedupBuilder) b;
        // Keyed on the bits, so -0.0 and 0.0 (and NaN payloads) stay as they were written.
        int[] bits = new int[v.length];
        for (int i = 0; i < v.length; i++) {
            bits[i] = Float.floatToRawIntBits(v[i]);
        }
        Object key = new FloatKey(bits);
        Integer known = d.vectors.get(key);
        if (known != null) {
            return known;
        }
        b.startVector(4, v.length, 4);
        for (int i = v.length - 1; i >= 0; i--) {
            b.addFloat(v[i]);
        }
        int off = b.endVector();
        d.vectors.put(key, off);
        return off;
    }

    private static int longVector(FlatBufferBuilder b, long[] v) {
        DedupBuilder d = (DedupBuilder) b;
        Object key = new LongKey(v.clone());
        Integer known = d.vectors.get(key);
        if (known != null) {
            return known;
        }
        b.startVector(8, v.length, 8);
        for (int i = v.length - 1; i >= 0; i--) {
            b.addLong(v[i]);
        }
        int off = b.endVector();
        d.vectors.put(key, off);
        return off;
    }

    private static int string(FlatBufferBuilder b, String s) {
        DedupBuilder d = (DedupBuilder) b;
        Integer known = d.strings.get(s);
        if (known != null) {
            return known;
        }
        int off = b.createString(s);
        d.strings.put(s, off);
        return off;
    }

    /** Identical quantization tables (the per-tensor parameters of a pass-through chain) are written once. */
    private static int quantization(FlatBufferBuilder b, Quantization q) {
        DedupBuilder d = (DedupBuilder) b;
        Integer known = d.quantizations.get(q);
        if (known != null) {
            return known;
        }
        int off = writeQuantization(b, q);
        d.quantizations.put(q.copy(), off);
        return off;
    }

    /**
     * A builder that remembers what it wrote, so that equal vectors, strings and quantization
     * tables are written once and referenced from every table that holds them. FlatBuffers
     * offsets may point at one object from many places (the builder builds back to front, so
     * an earlier object always lies after, i.e. at a forward offset from, a later referrer);
     * TFLite, flatc's verifier and {@link ModelReader} read such a file exactly like the
     * unshared one. Per-channel zero points (all 0, one int64 each, in equal number to the
     * scales as TFLite's loader requires) are what this saves most on: one vector per channel
     * count instead of one per tensor. Constant buffers are not shared: each keeps its own
     * aligned data.
     */
    private static final class DedupBuilder extends FlatBufferBuilder {
        final java.util.Map<Object, Integer> vectors;
        final java.util.Map<String, Integer> strings;
        final java.util.Map<Quantization, Integer> quantizations;

        DedupBuilder(int initialSize, boolean share) {
            super(initialSize);
            vectors = share ? new java.util.HashMap<>() : new NeverRemembers<>();
            strings = share ? new java.util.HashMap<>() : new NeverRemembers<>();
            quantizations = share ? new java.util.HashMap<>() : new NeverRemembers<>();
        }
    }

    /** A map that forgets every put: the unshared form. */
    private static final class NeverRemembers<K, V> extends java.util.HashMap<K, V> {
        @Override
        public V put(K key, V value) {
            return null;
        }
    }

    private record IntKey(int[] v) {
        @Override
        public boolean equals(Object o) {
            return o instanceof IntKey k && java.util.Arrays.equals(v, k.v);
        }

        @Override
        public int hashCode() {
            return java.util.Arrays.hashCode(v);
        }
    }

    private record FloatKey(int[] bits) {
        @Override
        public boolean equals(Object o) {
            return o instanceof FloatKey k && java.util.Arrays.equals(bits, k.bits);
        }

        @Override
        public int hashCode() {
            return 31 * java.util.Arrays.hashCode(bits) + 1;
        }
    }

    private record LongKey(long[] v) {
        @Override
        public boolean equals(Object o) {
            return o instanceof LongKey k && java.util.Arrays.equals(v, k.v);
        }

        @Override
        public int hashCode() {
            return java.util.Arrays.hashCode(v);
        }
    }
}
