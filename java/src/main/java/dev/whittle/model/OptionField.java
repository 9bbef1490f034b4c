package dev.whittle.model;

import java.util.Objects;

/**
 * One field of an options table.
 *
 * @param id           the field id: its position in the table's declaration, deprecated fields
 *                     included; the vtable slot of the field is at byte {@code 4 + 2 * id}
 * @param name         the field name as written in the schema, e.g. {@code stride_w}
 * @param kind         the wire type
 * @param defaultValue the schema default, in the Java type of {@link FieldKind#javaType()};
 *                     {@code null} for strings and vectors, whose absence has no value
 * @param deprecated   whether the schema marks the field deprecated; such a field keeps its id
 *                     and is still read and written when a file carries it
 */
public record OptionField(int id, String name, FieldKind kind, Object defaultValue, boolean deprecated) {

    public OptionField {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(kind, "kind");
        if (id < 0) {
            throw new IllegalArgumentException("negative field id " + id + " for " + name);
        }
        if (kind.isOffset() ? defaultValue != null : !kind.javaType().isInstance(defaultValue)) {
            throw new IllegalArgumentException("default " + defaultValue + " does not fit kind "
                    + kind + " of field " + name);
        }
    }

    /** Byte offset of this field's entry in a vtable. */
    public int vtableOffset() {
        return 4 + 2 * id;
    }
}
