package dev.whittle.model;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The layout of one options table of the TFLite schema and its place in an operator's options
 * union.
 *
 * <p>Instances are built once by {@link OptionsRegistry} and compared by identity.
 */
public final class OptionsSchema {

    /** {@link #union()} of the tables in {@code union BuiltinOptions} (Operator field 3/4). */
    public static final int UNION_1 = 1;
    /** {@link #union()} of the tables in {@code union BuiltinOptions2} (Operator field 11/12). */
    public static final int UNION_2 = 2;

    private final String name;
    private final int union;
    private final int typeIndex;
    private final boolean deprecated;
    private final List<OptionField> fields;
    private final Map<String, OptionField> byName;

    /**
     * @param name       table name, e.g. {@code Conv2DOptions}
     * @param union      {@link #UNION_1} or {@link #UNION_2}
     * @param typeIndex  the value of the union's type field that selects this table (from 1)
     * @param deprecated whether the union member is marked deprecated
     * @param fields     fields in id order; ids must be 0, 1, 2, ...
     */
    public OptionsSchema(String name, int union, int typeIndex, boolean deprecated, List<OptionField> fields) {
        this.name = Objects.requireNonNull(name, "name");
        if (union != UNION_1 && union != UNION_2) {
            throw new IllegalArgumentException("union must be 1 or 2, not " + union);
        }
        if (typeIndex < 1 || typeIndex > 255) {
            throw new IllegalArgumentException("union type index out of range: " + typeIndex);
        }
        this.union = union;
        this.typeIndex = typeIndex;
        this.deprecated = deprecated;
        this.fields = List.copyOf(fields);
        Map<String, OptionField> map = new LinkedHashMap<>();
        for (int i = 0; i < this.fields.size(); i++) {
            OptionField f = this.fields.get(i);
            // Values are stored by position, so the id must equal the position.
            if (f.id() != i) {
                throw new IllegalArgumentException(name + ": field " + f.name() + " has id " + f.id()
                        + " at position " + i);
            }
            if (map.put(f.name(), f) != null) {
                throw new IllegalArgumentException(name + ": duplicate field " + f.name());
            }
        }
        this.byName = Collections.unmodifiableMap(map);
    }

    /** The table name, e.g. {@code Conv2DOptions}. */
    public String name() {
        return name;
    }

    /** 1 for {@code BuiltinOptions}, 2 for {@code BuiltinOptions2}. */
    public int union() {
        return union;
    }

    /** The union type value that selects this table (0 is NONE and never used here). */
    public int typeIndex() {
        return typeIndex;
    }

    /** Whether the schema marks this union member deprecated. */
    public boolean isDeprecated() {
        return deprecated;
    }

    /** The fields in id order. */
    public List<OptionField> fields() {
        return fields;
    }

    /** The field with the given schema name, or {@code null}. */
    public OptionField field(String fieldName) {
        return byName.get(fieldName);
    }

    @Override
    public String toString() {
        return name + "(union " + union + ", type " + typeIndex + ", " + fields.size() + " fields)";
    }
}
