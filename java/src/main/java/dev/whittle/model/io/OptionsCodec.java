package dev.whittle.model.io;

import com.google.flatbuffers.FlatBufferBuilder;
import dev.whittle.ModelFormatException;
import dev.whittle.model.BuiltinOptions;
import dev.whittle.model.FieldKind;
import dev.whittle.model.OptionField;
import dev.whittle.model.OptionsSchema;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;

/**
 * Reads and writes operator options tables described by an {@link OptionsSchema}.
 *
 * <p>Reading checks every position it follows against the buffer before dereferencing it, so
 * that a corrupt or hostile file fails with a {@link ModelFormatException} naming the table and
 * field rather than with whatever exception a stray index would raise. Deprecated fields are
 * read and written like the others, so that a rewrite keeps what a file carried.
 */
public final class OptionsCodec {

    private static final int OFFSET_SIZE = 4;

    private OptionsCodec() {
    }

    /**
     * Reads the options table that starts at absolute position {@code tablePos} of {@code bb}.
     *
     * <p>Positions are absolute indices into {@code bb} (its position is ignored) and must lie
     * below its limit. The buffer is read as little-endian whatever its order; it is not
     * modified.
     *
     * @return the options, with exactly the fields present whose vtable entry is non-zero
     * @throws ModelFormatException when a position, offset or length points outside the buffer
     *                              or the table, or a string is not UTF-8
     */
    public static BuiltinOptions read(ByteBuffer bb, int tablePos, OptionsSchema schema) {
        ByteBuffer buf = bb.order() == ByteOrder.LITTLE_ENDIAN ? bb : bb.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        long limit = buf.limit();
        String table = schema.name();
        // Position, vtable and table extent are checked once, by the reader's checked table.
        CheckedTable r = CheckedTable.at(buf, tablePos, table);
        int tableSize = r.tableSize();
        BuiltinOptions out = new BuiltinOptions(schema);
        for (OptionField f : schema.fields()) {
            int fieldOffset = r.fieldOffset(f.vtableOffset());
            if (fieldOffset == 0) {
                continue;
            }
            FieldKind kind = f.kind();
            int inlineSize = kind.isOffset() ? OFFSET_SIZE : kind.elementSize();
            if (fieldOffset < OFFSET_SIZE || fieldOffset + inlineSize > tableSize) {
                throw fieldError(table, f, "inline value at offset " + fieldOffset + " lies outside the table of "
                        + tableSize + " bytes");
            }
            Object value = kind.isOffset()
                    ? readOffsetField(r, buf, limit, table, f, fieldOffset)
                    : readScalar(buf, tablePos + fieldOffset, kind);
            out.set(f.name(), value);
        }
        return out;
    }

    /**
     * Writes {@code o} as a table and returns its offset, for use as an operator's
     * {@code builtin_options} (or {@code builtin_options_2}).
     *
     * <p>Exactly the present fields are written, including those equal to their default, so
     * that reading the result gives back an equal object. Strings and vectors are created
     * first, so the builder must not be inside another table or vector.
     */
    public static int write(FlatBufferBuilder b, BuiltinOptions o) {
        List<OptionField> fields = o.schema().fields();
        int[] offsets = new int[fields.size()];
        for (OptionField f : fields) {
            if (f.kind().isOffset() && o.isPresent(f.id())) {
                offsets[f.id()] = writeOffsetValue(b, f.kind(), o.get(f.name()));
            }
        }
        b.startTable(fields.size());
        // Widest first, as flatc does, so that alignment padding inside the table stays minimal.
        for (int width : new int[] {8, 4, 2, 1}) {
            for (OptionField f : fields) {
                FieldKind kind = f.kind();
                int inlineSize = kind.isOffset() ? OFFSET_SIZE : kind.elementSize();
                if (inlineSize != width || !o.isPresent(f.id())) {
                    continue;
                }
                // The builder's add*(slot, value, default) skip values equal to the default; the
                // single-argument adds followed by slot() write unconditionally.
                if (kind.isOffset()) {
                    b.addOffset(offsets[f.id()]);
                } else {
                    addScalar(b, kind, o.get(f.name()));
                }
                b.slot(f.id());
            }
        }
        return b.endTable();
    }

    private static Object readScalar(ByteBuffer buf, int pos, FieldKind kind) {
        return switch (kind) {
            case BOOL -> buf.get(pos) != 0;
            case INT8 -> (int) buf.get(pos);
            case UINT8 -> Byte.toUnsignedInt(buf.get(pos));
            case INT16 -> (int) buf.getShort(pos);
            case UINT16 -> Short.toUnsignedInt(buf.getShort(pos));
            case INT32 -> buf.getInt(pos);
            case UINT32 -> Integer.toUnsignedLong(buf.getInt(pos));
            case INT64, UINT64 -> buf.getLong(pos);
            case FLOAT32 -> buf.getFloat(pos);
            case FLOAT64 -> buf.getDouble(pos);
            default -> throw new IllegalStateException("not a scalar kind: " + kind);
        };
    }

    private static Object readOffsetField(CheckedTable r, ByteBuffer buf, long limit, String table, OptionField f,
            int fieldOffset) {
        FieldKind kind = f.kind();
        long target = r.position() + (long) fieldOffset + Integer.toUnsignedLong(buf.getInt(r.position() + fieldOffset));
        if (target + OFFSET_SIZE > limit) {
            throw fieldError(table, f, "offset points to " + target + ", outside the buffer of " + limit + " bytes");
        }
        long length = Integer.toUnsignedLong(buf.getInt((int) target));
        long end = target + OFFSET_SIZE + length * kind.elementSize();
        if (end > limit) {
            throw fieldError(table, f, (kind == FieldKind.STRING ? "string" : "vector") + " of " + length
                    + " elements at " + target + " runs past the buffer of " + limit + " bytes");
        }
        if (kind == FieldKind.STRING) {
            try {
                return r.stringAt(fieldOffset);
            } catch (IllegalArgumentException e) {
                // flatbuffers-java's strict UTF-8 decoder reports bad bytes this way.
                throw new ModelFormatException(table + "." + f.name() + ": string is not valid UTF-8", e);
            }
        }
        int n = r.vectorLength(fieldOffset);
        int start = r.vector(fieldOffset);
        return switch (kind) {
            case VEC_BOOL -> {
                boolean[] a = new boolean[n];
                for (int i = 0; i < n; i++) {
                    a[i] = buf.get(start + i) != 0;
                }
                yield a;
            }
            case VEC_INT8, VEC_UINT8 -> {
                byte[] a = new byte[n];
                buf.get(start, a);
                yield a;
            }
            case VEC_INT16 -> {
                short[] a = new short[n];
                for (int i = 0; i < n; i++) {
                    a[i] = buf.getShort(start + 2 * i);
                }
                yield a;
            }
            case VEC_UINT16 -> {
                int[] a = new int[n];
                for (int i = 0; i < n; i++) {
                    a[i] = Short.toUnsignedInt(buf.getShort(start + 2 * i));
                }
                yield a;
            }
            case VEC_INT32 -> {
                int[] a = new int[n];
                for (int i = 0; i < n; i++) {
                    a[i] = buf.getInt(start + 4 * i);
                }
                yield a;
            }
            case VEC_UINT32 -> {
                long[] a = new long[n];
                for (int i = 0; i < n; i++) {
                    a[i] = Integer.toUnsignedLong(buf.getInt(start + 4 * i));
                }
                yield a;
            }
            case VEC_INT64 -> {
                long[] a = new long[n];
                for (int i = 0; i < n; i++) {
                    a[i] = buf.getLong(start + 8 * i);
                }
                yield a;
            }
            case VEC_FLOAT32 -> {
                float[] a = new float[n];
                for (int i = 0; i < n; i++) {
                    a[i] = buf.getFloat(start + 4 * i);
                }
                yield a;
            }
            case VEC_FLOAT64 -> {
                double[] a = new double[n];
                for (int i = 0; i < n; i++) {
                    a[i] = buf.getDouble(start + 8 * i);
                }
                yield a;
            }
            default -> throw new IllegalStateException("not a vector kind: " + kind);
        };
    }

    private static void addScalar(FlatBufferBuilder b, FieldKind kind, Object v) {
        switch (kind) {
            case BOOL -> b.addBoolean((Boolean) v);
            case INT8, UINT8 -> b.addByte((byte) (int) (Integer) v);
            case INT16, UINT16 -> b.addShort((short) (int) (Integer) v);
            case INT32 -> b.addInt((Integer) v);
            case UINT32 -> b.addInt((int) (long) (Long) v);
            case INT64, UINT64 -> b.addLong((Long) v);
            case FLOAT32 -> b.addFloat((Float) v);
            case FLOAT64 -> b.addDouble((Double) v);
            default -> throw new IllegalStateException("not a scalar kind: " + kind);
        }
    }

    private static int writeOffsetValue(FlatBufferBuilder b, FieldKind kind, Object v) {
        switch (kind) {
            case STRING -> {
                return b.createString((String) v);
            }
            case VEC_INT8, VEC_UINT8 -> {
                return b.createByteVector((byte[]) v);
            }
            case VEC_BOOL -> {
                boolean[] a = (boolean[]) v;
                b.startVector(1, a.length, 1);
                for (int i = a.length - 1; i >= 0; i--) {
                    b.addBoolean(a[i]);
                }
            }
            case VEC_INT16 -> {
                short[] a = (short[]) v;
                b.startVector(2, a.length, 2);
                for (int i = a.length - 1; i >= 0; i--) {
                    b.addShort(a[i]);
                }
            }
            case VEC_UINT16 -> {
                int[] a = (int[]) v;
                b.startVector(2, a.length, 2);
                for (int i = a.length - 1; i >= 0; i--) {
                    b.addShort((short) a[i]);
                }
            }
            case VEC_INT32 -> {
                int[] a = (int[]) v;
                b.startVector(4, a.length, 4);
                for (int i = a.length - 1; i >= 0; i--) {
                    b.addInt(a[i]);
                }
            }
            case VEC_UINT32 -> {
                long[] a = (long[]) v;
                b.startVector(4, a.length, 4);
                for (int i = a.length - 1; i >= 0; i--) {
                    b.addInt((int) a[i]);
                }
            }
            case VEC_INT64 -> {
                long[] a = (long[]) v;
                b.startVector(8, a.length, 8);
                for (int i = a.length - 1; i >= 0; i--) {
                    b.addLong(a[i]);
                }
            }
            case VEC_FLOAT32 -> {
                float[] a = (float[]) v;
                b.startVector(4, a.length, 4);
                for (int i = a.length - 1; i >= 0; i--) {
                    b.addFloat(a[i]);
                }
            }
            case VEC_FLOAT64 -> {
                double[] a = (double[]) v;
                b.startVector(8, a.length, 8);
                for (int i = a.length - 1; i >= 0; i--) {
                    b.addDouble(a[i]);
                }
            }
            default -> throw new IllegalStateException("not an offset kind: " + kind);
        }
        return b.endVector();
    }

    private static ModelFormatException fieldError(String table, OptionField f, String what) {
        return new ModelFormatException(table + "." + f.name() + " (field " + f.id() + "): " + what);
    }
}
