package dev.whittle.model.io;

import dev.whittle.ModelFormatException;
import dev.whittle.model.Buffer;
import dev.whittle.model.BuiltinOptions;
import dev.whittle.model.Metadata;
import dev.whittle.model.Model;
import dev.whittle.model.Operator;
import dev.whittle.model.OperatorCode;
import dev.whittle.model.OptionsRegistry;
import dev.whittle.model.OptionsSchema;
import dev.whittle.model.Quantization;
import dev.whittle.model.SignatureDef;
import dev.whittle.model.Sparsity;
import dev.whittle.model.Subgraph;
import dev.whittle.model.Tensor;
import dev.whittle.model.TensorType;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads a {@code .tflite} flatbuffer into a {@link Model}, then validates it.
 *
 * <p>Every field of the schema is read, including the deprecated ones, buffers stored after
 * the flatbuffer (the offset/size form TFLite uses for models over 2 GB) and large custom
 * options. Any inconsistency ends in a {@link ModelFormatException} (or
 * {@link dev.whittle.UnsupportedModelException} for a schema version other than 3) that
 * names the place; no other exception escapes for bad bytes.
 *
 * <p>Thread-safe: the methods are static and share no state.
 */
public final class ModelReader {
    /** The file identifier at bytes 4..8 of every TFLite flatbuffer. */
    public static final String IDENTIFIER = "TFL3";

    /** Field ids of the schema's tables (declaration order; a union takes two ids). */
    static final class F {
        static final int MODEL_VERSION = 0, MODEL_OPERATOR_CODES = 1, MODEL_SUBGRAPHS = 2, MODEL_DESCRIPTION = 3,
                MODEL_BUFFERS = 4, MODEL_METADATA_BUFFER = 5, MODEL_METADATA = 6, MODEL_SIGNATURE_DEFS = 7;
        static final int OPCODE_DEPRECATED_BUILTIN = 0, OPCODE_CUSTOM = 1, OPCODE_VERSION = 2, OPCODE_BUILTIN = 3;
        static final int SG_TENSORS = 0, SG_INPUTS = 1, SG_OUTPUTS = 2, SG_OPERATORS = 3, SG_NAME = 4;
        static final int OP_OPCODE_INDEX = 0, OP_INPUTS = 1, OP_OUTPUTS = 2, OP_OPTIONS_TYPE = 3, OP_OPTIONS = 4,
                OP_CUSTOM_OPTIONS = 5, OP_CUSTOM_OPTIONS_FORMAT = 6, OP_MUTATING_VARIABLE_INPUTS = 7,
                OP_INTERMEDIATES = 8, OP_LARGE_CUSTOM_OFFSET = 9, OP_LARGE_CUSTOM_SIZE = 10,
                OP_OPTIONS2_TYPE = 11, OP_OPTIONS2 = 12;
        static final int T_SHAPE = 0, T_TYPE = 1, T_BUFFER = 2, T_NAME = 3, T_QUANTIZATION = 4, T_IS_VARIABLE = 5,
                T_SPARSITY = 6, T_SHAPE_SIGNATURE = 7, T_HAS_RANK = 8, T_VARIANT_TENSORS = 9;
        static final int Q_MIN = 0, Q_MAX = 1, Q_SCALE = 2, Q_ZERO_POINT = 3, Q_DETAILS_TYPE = 4, Q_DETAILS = 5,
                Q_QUANTIZED_DIMENSION = 6;
        static final int CUSTOM_QUANT_CUSTOM = 0;
        static final int SP_TRAVERSAL_ORDER = 0, SP_BLOCK_MAP = 1, SP_DIM_METADATA = 2;
        static final int DM_FORMAT = 0, DM_DENSE_SIZE = 1, DM_SEGMENTS_TYPE = 2, DM_SEGMENTS = 3,
                DM_INDICES_TYPE = 4, DM_INDICES = 5;
        static final int INDEX_VECTOR_VALUES = 0;
        static final int VST_SHAPE = 0, VST_TYPE = 1, VST_HAS_RANK = 2;
        static final int BUF_DATA = 0, BUF_OFFSET = 1, BUF_SIZE = 2;
        static final int MD_NAME = 0, MD_BUFFER = 1;
        static final int TM_NAME = 0, TM_TENSOR_INDEX = 1;
        static final int SIG_INPUTS = 0, SIG_OUTPUTS = 1, SIG_KEY = 2, SIG_DEPRECATED_TAG = 3, SIG_SUBGRAPH_INDEX = 4;

        private F() {
        }
    }

    private ModelReader() {
    }

    /** Reads and validates the model file at {@code path}. */
    public static Model read(Path path) {
        return ModelValidator.validated(readUnvalidated(path), path.toString());
    }

    /** Reads and validates a model from bytes (the array is not copied: don't modify it afterwards). */
    public static Model read(byte[] bytes) {
        return read(ByteBuffer.wrap(bytes));
    }

    /** Reads and validates a model from the remaining bytes of {@code buffer} (not copied). */
    public static Model read(ByteBuffer buffer) {
        return ModelValidator.validated(readUnvalidated(buffer), "model");
    }

    /** Reads without the graph-level validation (indices, sizes, cycles); for tools that report problems. */
    public static Model readUnvalidated(Path path) {
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size > Integer.MAX_VALUE - 16) {
                throw new ModelFormatException(path + ": " + size + " bytes; models of 2 GB and more are not supported yet");
            }
            ByteBuffer bb = ByteBuffer.allocate((int) size);
            while (bb.hasRemaining() && ch.read(bb) >= 0) {
                // read until full or end of file
            }
            bb.flip();
            return readUnvalidated(bb);
        } catch (NoSuchFileException e) {
            throw new ModelFormatException("model file not found: " + path, e);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + path, e);
        }
    }

    /** Reads without graph-level validation from the remaining bytes of {@code buffer}. */
    public static Model readUnvalidated(ByteBuffer buffer) {
        ByteBuffer bb = buffer.slice().order(ByteOrder.LITTLE_ENDIAN);
        checkIdentifier(bb);
        CheckedTable m = CheckedTable.root(bb, "Model");
        Model model = Model.emptyForReading();
        model.setVersion(m.getUint(F.MODEL_VERSION, "version", 0));
        model.setDescription(m.string(F.MODEL_DESCRIPTION, "description"));

        int nCodes = Math.max(0, m.vectorLength(F.MODEL_OPERATOR_CODES, "operator_codes", 4));
        for (int i = 0; i < nCodes; i++) {
            CheckedTable c = m.vectorTable(F.MODEL_OPERATOR_CODES, "operator_codes", i);
            model.addOperatorCode(new OperatorCode(
                    c.getByte(F.OPCODE_DEPRECATED_BUILTIN, "deprecated_builtin_code", 0),
                    c.getInt(F.OPCODE_BUILTIN, "builtin_code", 0),
                    c.string(F.OPCODE_CUSTOM, "custom_code"),
                    c.getInt(F.OPCODE_VERSION, "version", 1)));
        }

        int nBuffers = Math.max(0, m.vectorLength(F.MODEL_BUFFERS, "buffers", 4));
        for (int i = 0; i < nBuffers; i++) {
            model.addBuffer(readBuffer(bb, m.vectorTable(F.MODEL_BUFFERS, "buffers", i), i));
        }

        int nSubgraphs = Math.max(0, m.vectorLength(F.MODEL_SUBGRAPHS, "subgraphs", 4));
        for (int i = 0; i < nSubgraphs; i++) {
            model.addSubgraph(readSubgraph(bb, m.vectorTable(F.MODEL_SUBGRAPHS, "subgraphs", i), i));
        }

        model.setMetadataBuffer(m.intVector(F.MODEL_METADATA_BUFFER, "metadata_buffer"));
        int nMeta = Math.max(0, m.vectorLength(F.MODEL_METADATA, "metadata", 4));
        for (int i = 0; i < nMeta; i++) {
            CheckedTable t = m.vectorTable(F.MODEL_METADATA, "metadata", i);
            model.addMetadata(new Metadata(t.string(F.MD_NAME, "name"), toIndex(t.getUint(F.MD_BUFFER, "buffer", 0))));
        }
        int nSig = Math.max(0, m.vectorLength(F.MODEL_SIGNATURE_DEFS, "signature_defs", 4));
        for (int i = 0; i < nSig; i++) {
            CheckedTable s = m.vectorTable(F.MODEL_SIGNATURE_DEFS, "signature_defs", i);
            model.addSignatureDef(new SignatureDef(readTensorMaps(s, F.SIG_INPUTS, "inputs"),
                    readTensorMaps(s, F.SIG_OUTPUTS, "outputs"), s.string(F.SIG_KEY, "signature_key"),
                    toIndex(s.getUint(F.SIG_SUBGRAPH_INDEX, "subgraph_index", 0))));
        }
        return model;
    }

    static void checkIdentifier(ByteBuffer bb) {
        if (bb.limit() < 8) {
            throw new ModelFormatException("not a TFLite model: only " + bb.limit() + " bytes (truncated file?)");
        }
        byte[] id = new byte[4];
        bb.get(4, id);
        String s = new String(id, java.nio.charset.StandardCharsets.ISO_8859_1);
        if (!IDENTIFIER.equals(s)) {
            throw new ModelFormatException("not a TFLite model: file identifier is '" + printable(s)
                    + "', expected '" + IDENTIFIER + "'");
        }
    }

    private static String printable(String s) {
        StringBuilder b = new StringBuilder();
        for (char c : s.toCharArray()) {
            b.append(c >= 32 && c < 127 ? String.valueOf(c) : String.format("\\x%02x", (int) c));
        }
        return b.toString();
    }

    /** Indices stored as uint: values beyond int range can never be valid, so map them to an impossible index. */
    private static int toIndex(long v) {
        return v > Integer.MAX_VALUE ? Integer.MAX_VALUE : (int) v;
    }

    private static Buffer readBuffer(ByteBuffer bb, CheckedTable t, int index) {
        long offset = t.getLong(F.BUF_OFFSET, "offset", 0);
        long size = t.getLong(F.BUF_SIZE, "size", 0);
        // Schema: offset/size point outside the flatbuffer, relative to the file start, and are
        // only meaningful when offset > 1 (0 and 1 are the "not used" markers).
        if (Long.compareUnsigned(offset, 1) > 0) {
            if (size < 0 || offset < 0 || offset + size > bb.limit()) {
                throw new ModelFormatException("buffer " + index + ": external data [" + Long.toUnsignedString(offset)
                        + ", +" + Long.toUnsignedString(size) + ") lies outside the file (" + bb.limit() + " bytes)");
            }
            return new Buffer(bb.slice((int) offset, (int) size));
        }
        ByteBuffer data = t.byteVectorView(F.BUF_DATA, "data");
        return data == null ? new Buffer() : new Buffer(data);
    }

    private static List<SignatureDef.TensorMap> readTensorMaps(CheckedTable s, int id, String name) {
        List<SignatureDef.TensorMap> r = new ArrayList<>();
        int n = Math.max(0, s.vectorLength(id, name, 4));
        for (int i = 0; i < n; i++) {
            CheckedTable t = s.vectorTable(id, name, i);
            r.add(new SignatureDef.TensorMap(t.string(F.TM_NAME, "name"), toIndex(t.getUint(F.TM_TENSOR_INDEX, "tensor_index", 0))));
        }
        return r;
    }

    private static Subgraph readSubgraph(ByteBuffer bb, CheckedTable s, int sgIndex) {
        int nt = Math.max(0, s.vectorLength(F.SG_TENSORS, "tensors", 4));
        List<Tensor> tensors = new ArrayList<>(nt);
        for (int i = 0; i < nt; i++) {
            tensors.add(readTensor(s.vectorTable(F.SG_TENSORS, "tensors", i), sgIndex, i));
        }
        int no = Math.max(0, s.vectorLength(F.SG_OPERATORS, "operators", 4));
        List<Operator> ops = new ArrayList<>(no);
        for (int i = 0; i < no; i++) {
            ops.add(readOperator(bb, s.vectorTable(F.SG_OPERATORS, "operators", i), sgIndex, i));
        }
        int[] in = s.intVector(F.SG_INPUTS, "inputs");
        int[] out = s.intVector(F.SG_OUTPUTS, "outputs");
        return Subgraph.assemble(s.string(F.SG_NAME, "name"), tensors, in == null ? new int[0] : in,
                out == null ? new int[0] : out, ops);
    }

    private static Tensor readTensor(CheckedTable t, int sg, int index) {
        String where = "subgraph " + sg + " tensor " + index;
        int typeCode = t.getByte(F.T_TYPE, "type", 0);
        if (!TensorType.isKnown(typeCode)) {
            throw new ModelFormatException(where + " ('" + t.string(F.T_NAME, "name") + "') has unknown type code " + typeCode);
        }
        int[] shape = t.intVector(F.T_SHAPE, "shape");
        Tensor tensor = new Tensor(t.string(F.T_NAME, "name"), TensorType.fromCode(typeCode), shape == null ? new int[0] : shape);
        tensor.setBuffer(toIndex(t.getUint(F.T_BUFFER, "buffer", 0)));
        tensor.setVariable(t.getBool(F.T_IS_VARIABLE, "is_variable", false));
        tensor.setShapeSignature(t.intVector(F.T_SHAPE_SIGNATURE, "shape_signature"));
        tensor.setHasRank(t.getBool(F.T_HAS_RANK, "has_rank", false));
        CheckedTable q = t.table(F.T_QUANTIZATION, "quantization");
        if (q != null) {
            tensor.setQuantization(readQuantization(q));
        }
        CheckedTable sp = t.table(F.T_SPARSITY, "sparsity");
        if (sp != null) {
            tensor.setSparsity(readSparsity(sp));
        }
        int nv = t.vectorLength(F.T_VARIANT_TENSORS, "variant_tensors", 4);
        if (nv > 0) {
            List<Tensor.VariantSubType> v = new ArrayList<>();
            for (int i = 0; i < nv; i++) {
                CheckedTable vt = t.vectorTable(F.T_VARIANT_TENSORS, "variant_tensors", i);
                int code = vt.getByte(F.VST_TYPE, "type", 0);
                if (!TensorType.isKnown(code)) {
                    throw new ModelFormatException(where + ": variant subtype has unknown type code " + code);
                }
                v.add(new Tensor.VariantSubType(vt.intVector(F.VST_SHAPE, "shape"), TensorType.fromCode(code),
                        vt.getBool(F.VST_HAS_RANK, "has_rank", false)));
            }
            tensor.setVariantTensors(v);
        }
        return tensor;
    }

    private static Quantization readQuantization(CheckedTable q) {
        Quantization r = new Quantization()
                .setMin(q.floatVector(F.Q_MIN, "min"))
                .setMax(q.floatVector(F.Q_MAX, "max"))
                .setScale(q.floatVector(F.Q_SCALE, "scale"))
                .setZeroPoint(q.longVector(F.Q_ZERO_POINT, "zero_point"))
                .setQuantizedDimension(q.getInt(F.Q_QUANTIZED_DIMENSION, "quantized_dimension", 0));
        int detailsType = q.getUbyte(F.Q_DETAILS_TYPE, "details_type", 0);
        if (detailsType != 0) {
            CheckedTable d = q.table(F.Q_DETAILS, "details");
            r.setCustomDetails(detailsType, d == null ? null : d.byteVector(F.CUSTOM_QUANT_CUSTOM, "custom"));
        }
        return r;
    }

    private static Sparsity readSparsity(CheckedTable s) {
        List<Sparsity.DimensionMetadata> dims = new ArrayList<>();
        int n = Math.max(0, s.vectorLength(F.SP_DIM_METADATA, "dim_metadata", 4));
        for (int i = 0; i < n; i++) {
            CheckedTable d = s.vectorTable(F.SP_DIM_METADATA, "dim_metadata", i);
            dims.add(new Sparsity.DimensionMetadata(d.getByte(F.DM_FORMAT, "format", 0),
                    d.getInt(F.DM_DENSE_SIZE, "dense_size", 0),
                    readIndexVector(d, F.DM_SEGMENTS_TYPE, F.DM_SEGMENTS, "array_segments"),
                    readIndexVector(d, F.DM_INDICES_TYPE, F.DM_INDICES, "array_indices")));
        }
        return new Sparsity(s.intVector(F.SP_TRAVERSAL_ORDER, "traversal_order"),
                s.intVector(F.SP_BLOCK_MAP, "block_map"), dims);
    }

    private static Sparsity.IndexVector readIndexVector(CheckedTable d, int typeId, int valueId, String name) {
        int type = d.getUbyte(typeId, name + "_type", 0);
        if (type == 0) {
            return null;
        }
        Sparsity.IndexType it = Sparsity.IndexType.fromUnionType(type);
        if (it == null) {
            throw new ModelFormatException(d.what() + "." + name + ": unknown SparseIndexVector type " + type);
        }
        CheckedTable v = d.table(valueId, name);
        if (v == null) {
            return new Sparsity.IndexVector(it, new int[0]);
        }
        int[] values = switch (it) {
            case INT32 -> v.intVector(F.INDEX_VECTOR_VALUES, "values");
            case UINT16 -> v.ushortVector(F.INDEX_VECTOR_VALUES, "values");
            case UINT8 -> {
                byte[] b = v.byteVector(F.INDEX_VECTOR_VALUES, "values");
                if (b == null) {
                    yield null;
                }
                int[] r = new int[b.length];
                for (int i = 0; i < b.length; i++) {
                    r[i] = b[i] & 0xFF;
                }
                yield r;
            }
        };
        return new Sparsity.IndexVector(it, values == null ? new int[0] : values);
    }

    private static Operator readOperator(ByteBuffer bb, CheckedTable o, int sg, int index) {
        int[] in = o.intVector(F.OP_INPUTS, "inputs");
        int[] out = o.intVector(F.OP_OUTPUTS, "outputs");
        Operator op = new Operator(toIndex(o.getUint(F.OP_OPCODE_INDEX, "opcode_index", 0)),
                in == null ? new int[0] : in, out == null ? new int[0] : out);
        op.setBuiltinOptions(readOptions(o, 1, F.OP_OPTIONS_TYPE, F.OP_OPTIONS, sg, index));
        op.setBuiltinOptions2(readOptions(o, 2, F.OP_OPTIONS2_TYPE, F.OP_OPTIONS2, sg, index));
        byte[] custom = o.byteVector(F.OP_CUSTOM_OPTIONS, "custom_options");
        long largeOffset = o.getLong(F.OP_LARGE_CUSTOM_OFFSET, "large_custom_options_offset", 0);
        long largeSize = o.getLong(F.OP_LARGE_CUSTOM_SIZE, "large_custom_options_size", 0);
        if (Long.compareUnsigned(largeOffset, 1) > 0) {
            if (largeSize < 0 || largeOffset < 0 || largeOffset + largeSize > bb.limit()) {
                throw new ModelFormatException("subgraph " + sg + " operator " + index
                        + ": large custom options lie outside the file");
            }
            custom = new byte[(int) largeSize];
            bb.get((int) largeOffset, custom);
        }
        op.setCustomOptions(custom, o.getByte(F.OP_CUSTOM_OPTIONS_FORMAT, "custom_options_format", 0));
        int nm = o.vectorLength(F.OP_MUTATING_VARIABLE_INPUTS, "mutating_variable_inputs", 1);
        if (nm >= 0) {
            byte[] b = o.byteVector(F.OP_MUTATING_VARIABLE_INPUTS, "mutating_variable_inputs");
            boolean[] m = new boolean[b.length];
            for (int i = 0; i < b.length; i++) {
                m[i] = b[i] != 0;
            }
            op.setMutatingVariableInputs(m);
        }
        op.setIntermediates(o.intVector(F.OP_INTERMEDIATES, "intermediates"));
        return op;
    }

    private static BuiltinOptions readOptions(CheckedTable o, int union, int typeId, int valueId, int sg, int index) {
        int type = o.getUbyte(typeId, union == 1 ? "builtin_options_type" : "builtin_options_2_type", 0);
        if (type == 0) {
            return null;
        }
        String field = union == 1 ? "builtin_options" : "builtin_options_2";
        OptionsSchema schema = OptionsRegistry.forUnion(union, type);
        if (schema == null) {
            throw new dev.whittle.UnsupportedModelException("subgraph " + sg + " operator " + index + ": " + field
                    + " type " + type + " is newer than the TFLite schema Whittle knows");
        }
        CheckedTable t = o.table(valueId, field);
        if (t == null) {
            return BuiltinOptions.of(schema.name());
        }
        return OptionsCodec.read(t.buffer(), t.position(), schema);
    }
}
