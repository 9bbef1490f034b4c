package dev.whittle.model;

import java.util.Arrays;
import java.util.Objects;

/**
 * The options of one operator: an {@link OptionsSchema} and the values of the fields a file
 * carried (or a caller set).
 *
 * <p>A field is either <em>present</em> with a value, or absent, in which case the getters
 * answer the schema default ({@code null} for strings and vectors). Presence is kept because a
 * flatbuffer may store a field whose value equals its default, and a faithful rewrite must keep
 * it.
 *
 * <p>Values are held in the Java type of {@link FieldKind#javaType()}: unsigned kinds are
 * widened so that every value is non-negative ({@code UINT8}/{@code UINT16} as {@code int},
 * {@code UINT32} as {@code long}, {@code [uint]} as {@code long[]}, {@code [ushort]} as
 * {@code int[]}). Two exceptions: {@code UINT64} keeps its 64 bits in a {@code long}, and
 * {@code [ubyte]} is a raw {@code byte[]} since it is a blob. Arrays are copied on the way in
 * and out, so an instance is only changed through {@link #set} and {@link #clear}.
 *
 * <p>Instances are not thread-safe.
 */
public final class BuiltinOptions {

    private final OptionsSchema schema;
    /** Value per field id; {@code null} means absent. */
    private final Object[] values;

    /** An instance with no field present. */
    public BuiltinOptions(OptionsSchema schema) {
        this.schema = Objects.requireNonNull(schema, "schema");
        this.values = new Object[schema.fields().size()];
    }

    /**
     * An empty instance of the named table.
     *
     * @throws IllegalArgumentException when no options table has that name
     */
    public static BuiltinOptions of(String schemaName) {
        OptionsSchema schema = OptionsRegistry.byName(schemaName);
        if (schema == null) {
            throw new IllegalArgumentException("no options table named " + schemaName);
        }
        return new BuiltinOptions(schema);
    }

    /** The table these options belong to. */
    public OptionsSchema schema() {
        return schema;
    }

    /** Whether the named field is present. */
    public boolean isPresent(String name) {
        return values[field(name).id()] != null;
    }

    /** Whether the field with this id is present; false for an id beyond the table. */
    public boolean isPresent(int id) {
        return id >= 0 && id < values.length && values[id] != null;
    }

    /**
     * The field's value in the Java type of its kind (arrays copied), the schema default when
     * absent.
     */
    public Object get(String name) {
        OptionField f = field(name);
        return copyValue(effective(f));
    }

    /** An {@code INT8}, {@code UINT8}, {@code INT16}, {@code UINT16} or {@code INT32} field. */
    public int getInt(String name) {
        return (Integer) effective(field(name, "int", FieldKind.INT8, FieldKind.UINT8, FieldKind.INT16,
                FieldKind.UINT16, FieldKind.INT32));
    }

    /** Any integer field, widened to {@code long} ({@code UINT64} as its raw bits). */
    public long getLong(String name) {
        OptionField f = field(name);
        if (!f.kind().isInteger()) {
            throw wrongType(f, "long");
        }
        return ((Number) effective(f)).longValue();
    }

    /** A {@code FLOAT32} field. */
    public float getFloat(String name) {
        return (Float) effective(field(name, "float", FieldKind.FLOAT32));
    }

    /** A {@code FLOAT32} or {@code FLOAT64} field. */
    public double getDouble(String name) {
        return ((Number) effective(field(name, "double", FieldKind.FLOAT32, FieldKind.FLOAT64))).doubleValue();
    }

    /** A {@code BOOL} field. */
    public boolean getBool(String name) {
        return (Boolean) effective(field(name, "boolean", FieldKind.BOOL));
    }

    /** A {@code STRING} field, {@code null} when absent. */
    public String getString(String name) {
        return (String) effective(field(name, "String", FieldKind.STRING));
    }

    /** A {@code VEC_INT32} or {@code VEC_UINT16} field, {@code null} when absent. */
    public int[] getIntArray(String name) {
        return (int[]) copyValue(effective(field(name, "int[]", FieldKind.VEC_INT32, FieldKind.VEC_UINT16)));
    }

    /** A {@code VEC_INT64} or {@code VEC_UINT32} field, {@code null} when absent. */
    public long[] getLongArray(String name) {
        return (long[]) copyValue(effective(field(name, "long[]", FieldKind.VEC_INT64, FieldKind.VEC_UINT32)));
    }

    /** A {@code VEC_INT16} field, {@code null} when absent. */
    public short[] getShortArray(String name) {
        return (short[]) copyValue(effective(field(name, "short[]", FieldKind.VEC_INT16)));
    }

    /** A {@code VEC_FLOAT32} field, {@code null} when absent. */
    public float[] getFloatArray(String name) {
        return (float[]) copyValue(effective(field(name, "float[]", FieldKind.VEC_FLOAT32)));
    }

    /** A {@code VEC_FLOAT64} field, {@code null} when absent. */
    public double[] getDoubleArray(String name) {
        return (double[]) copyValue(effective(field(name, "double[]", FieldKind.VEC_FLOAT64)));
    }

    /** A {@code VEC_BOOL} field, {@code null} when absent. */
    public boolean[] getBoolArray(String name) {
        return (boolean[]) copyValue(effective(field(name, "boolean[]", FieldKind.VEC_BOOL)));
    }

    /** A {@code VEC_UINT8} or {@code VEC_INT8} field as raw bytes, {@code null} when absent. */
    public byte[] getBytes(String name) {
        return (byte[]) copyValue(effective(field(name, "byte[]", FieldKind.VEC_UINT8, FieldKind.VEC_INT8)));
    }

    /**
     * Makes the field present with the given value.
     *
     * <p>Integer fields accept any {@link Byte}, {@link Short}, {@link Integer} or {@link Long}
     * within the kind's range (after widening, so a {@code UINT8} takes 0..255). {@code FLOAT32}
     * takes a {@link Float}; {@code FLOAT64} a {@link Float} or {@link Double}. Strings and
     * vectors take exactly their {@link FieldKind#javaType()}.
     *
     * @return this
     * @throws IllegalArgumentException naming the field and table on an unknown name, a
     *                                  {@code null} value, a wrong type or an out-of-range value
     */
    public BuiltinOptions set(String name, Object value) {
        OptionField f = field(name);
        values[f.id()] = coerce(f, value);
        return this;
    }

    /** {@link #set(String, Object)} for an {@code int}. */
    public BuiltinOptions set(String name, int value) {
        return set(name, (Object) value);
    }

    /** {@link #set(String, Object)} for a {@code long}. */
    public BuiltinOptions set(String name, long value) {
        return set(name, (Object) value);
    }

    /** {@link #set(String, Object)} for a {@code float}. */
    public BuiltinOptions set(String name, float value) {
        return set(name, (Object) value);
    }

    /** {@link #set(String, Object)} for a {@code double}. */
    public BuiltinOptions set(String name, double value) {
        return set(name, (Object) value);
    }

    /** {@link #set(String, Object)} for a {@code boolean}. */
    public BuiltinOptions set(String name, boolean value) {
        return set(name, (Object) value);
    }

    /** Makes the field absent, so that it reads as its default. */
    public BuiltinOptions clear(String name) {
        values[field(name).id()] = null;
        return this;
    }

    /** A deep copy. */
    public BuiltinOptions copy() {
        BuiltinOptions c = new BuiltinOptions(schema);
        for (int i = 0; i < values.length; i++) {
            c.values[i] = copyValue(values[i]);
        }
        return c;
    }

    /** Same schema, same present fields, same values (arrays by content, floats by bits). */
    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof BuiltinOptions other) || other.schema != schema) {
            return false;
        }
        for (int i = 0; i < values.length; i++) {
            if (!Objects.deepEquals(values[i], other.values[i])) {
                return false;
            }
        }
        return true;
    }

    @Override
    public int hashCode() {
        int h = schema.name().hashCode();
        for (Object v : values) {
            h = 31 * h + Arrays.deepHashCode(new Object[] {v});
        }
        return h;
    }

    /** The table name and its present fields in id order, e.g. {@code Conv2DOptions{padding=1, stride_w=2}}. */
    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder(schema.name()).append('{');
        boolean first = true;
        for (OptionField f : schema.fields()) {
            Object v = values[f.id()];
            if (v == null) {
                continue;
            }
            if (!first) {
                sb.append(", ");
            }
            first = false;
            sb.append(f.name()).append('=').append(format(v));
        }
        return sb.append('}').toString();
    }

    private OptionField field(String name) {
        OptionField f = name == null ? null : schema.field(name);
        if (f == null) {
            throw new IllegalArgumentException(schema.name() + " has no field named " + name);
        }
        return f;
    }

    private OptionField field(String name, String javaType, FieldKind... kinds) {
        OptionField f = field(name);
        for (FieldKind k : kinds) {
            if (f.kind() == k) {
                return f;
            }
        }
        throw wrongType(f, javaType);
    }

    private IllegalArgumentException wrongType(OptionField f, String javaType) {
        return new IllegalArgumentException(schema.name() + "." + f.name() + " is of kind " + f.kind()
                + " (held as " + f.kind().javaType().getSimpleName() + "), not readable as " + javaType);
    }

    private Object effective(OptionField f) {
        Object v = values[f.id()];
        return v != null ? v : f.defaultValue();
    }

    private Object coerce(OptionField f, Object value) {
        FieldKind kind = f.kind();
        String where = schema.name() + "." + f.name();
        if (value == null) {
            throw new IllegalArgumentException(where + ": null value; use clear() to make a field absent");
        }
        if (kind.isInteger()) {
            if (!(value instanceof Integer || value instanceof Long || value instanceof Short
                    || value instanceof Byte)) {
                throw new IllegalArgumentException(where + " is of kind " + kind + " and takes an integer, not "
                        + value.getClass().getSimpleName());
            }
            long v = ((Number) value).longValue();
            if (v < kind.minValue() || v > kind.maxValue()) {
                throw new IllegalArgumentException(where + " is of kind " + kind + ": " + v + " is out of range "
                        + kind.minValue() + ".." + kind.maxValue());
            }
            return kind.javaType() == Integer.class ? (Object) (int) v : (Object) v;
        }
        if (kind == FieldKind.FLOAT64 && value instanceof Float fl) {
            return fl.doubleValue();
        }
        if (!kind.javaType().isInstance(value)) {
            throw new IllegalArgumentException(where + " is of kind " + kind + " and takes "
                    + kind.javaType().getSimpleName() + ", not " + value.getClass().getSimpleName());
        }
        if (kind == FieldKind.VEC_UINT32) {
            for (long e : (long[]) value) {
                if (e < 0 || e > 0xFFFF_FFFFL) {
                    throw new IllegalArgumentException(where + " is of kind " + kind + ": element " + e
                            + " is out of range 0..4294967295");
                }
            }
        } else if (kind == FieldKind.VEC_UINT16) {
            for (int e : (int[]) value) {
                if (e < 0 || e > 0xFFFF) {
                    throw new IllegalArgumentException(where + " is of kind " + kind + ": element " + e
                            + " is out of range 0..65535");
                }
            }
        }
        return copyValue(value);
    }

    private static String format(Object v) {
        return switch (v) {
            case String s -> '"' + s + '"';
            case boolean[] a -> Arrays.toString(a);
            case byte[] a -> Arrays.toString(a);
            case short[] a -> Arrays.toString(a);
            case int[] a -> Arrays.toString(a);
            case long[] a -> Arrays.toString(a);
            case float[] a -> Arrays.toString(a);
            case double[] a -> Arrays.toString(a);
            default -> String.valueOf(v);
        };
    }

    private static Object copyValue(Object v) {
        return switch (v) {
            case boolean[] a -> a.clone();
            case byte[] a -> a.clone();
            case short[] a -> a.clone();
            case int[] a -> a.clone();
            case long[] a -> a.clone();
            case float[] a -> a.clone();
            case double[] a -> a.clone();
            case null, default -> v;
        };
    }
}
