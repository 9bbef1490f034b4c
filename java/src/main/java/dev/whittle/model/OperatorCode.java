package dev.whittle.model;

import java.util.Objects;

/**
 * An entry of the model's operator-code table: a builtin operator (with both the deprecated
 * byte field and the extended int field of schema 3a kept as read) or a custom operator name,
 * and the operator version.
 */
public final class OperatorCode {
    private int deprecatedBuiltinCode;
    private int builtinCode;
    private String customCode;
    private int version;

    public OperatorCode(int deprecatedBuiltinCode, int builtinCode, String customCode, int version) {
        this.deprecatedBuiltinCode = deprecatedBuiltinCode;
        this.builtinCode = builtinCode;
        this.customCode = customCode;
        this.version = version;
    }

    /**
     * A builtin code written as TFLite's converter writes it: the extended field holds the
     * code, the deprecated byte field holds it too when it fits below the placeholder (127).
     */
    public static OperatorCode builtin(BuiltinOperator op, int version) {
        int code = op.code();
        int deprecated = Math.min(code, BuiltinOperator.PLACEHOLDER_FOR_GREATER_OP_CODES.code());
        return new OperatorCode(deprecated, code, null, version);
    }

    /** A custom operator. */
    public static OperatorCode custom(String name, int version) {
        return new OperatorCode(BuiltinOperator.CUSTOM.code(), BuiltinOperator.CUSTOM.code(),
                Objects.requireNonNull(name, "name"), version);
    }

    /**
     * The effective builtin code. Old files set only the byte field, new files set both (the
     * byte field saturating at 127), so TFLite takes the larger of the two.
     */
    public int code() {
        return Math.max(deprecatedBuiltinCode, builtinCode);
    }

    /** The builtin operator, or null when the code is unknown to this schema. */
    public BuiltinOperator builtin() {
        return BuiltinOperator.fromCode(code());
    }

    /** The operator's name: the builtin name, the custom code, or {@code UNKNOWN(<code>)}. */
    public String name() {
        if (isCustom()) {
            return customCode;
        }
        BuiltinOperator b = builtin();
        return b != null ? b.name() : "UNKNOWN(" + code() + ")";
    }

    public boolean isCustom() {
        return code() == BuiltinOperator.CUSTOM.code();
    }

    public int deprecatedBuiltinCode() {
        return deprecatedBuiltinCode;
    }

    public int builtinCode() {
        return builtinCode;
    }

    public String customCode() {
        return customCode;
    }

    public int version() {
        return version;
    }

    public OperatorCode setVersion(int version) {
        this.version = version;
        return this;
    }

    public OperatorCode copy() {
        return new OperatorCode(deprecatedBuiltinCode, builtinCode, customCode, version);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof OperatorCode c && c.deprecatedBuiltinCode == deprecatedBuiltinCode
                && c.builtinCode == builtinCode && Objects.equals(c.customCode, customCode) && c.version == version;
    }

    @Override
    public int hashCode() {
        return Objects.hash(deprecatedBuiltinCode, builtinCode, customCode, version);
    }

    @Override
    public String toString() {
        return name() + " v" + version;
    }
}
