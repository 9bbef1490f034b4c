package dev.whittle.model;

/**
 * TFLite's tensor element types, with the codes of the {@code TensorType} enum in the
 * {@code .tflite} schema. Sizes are in bits so that sub-byte types (INT4) are exact.
 */
public enum TensorType {
    FLOAT32(0, 32, "<f4"),
    FLOAT16(1, 16, "<f2"),
    INT32(2, 32, "<i4"),
    UINT8(3, 8, "|u1"),
    INT64(4, 64, "<i8"),
    STRING(5, 0, null),
    BOOL(6, 8, "|b1"),
    INT16(7, 16, "<i2"),
    COMPLEX64(8, 64, "<c8"),
    INT8(9, 8, "|i1"),
    FLOAT64(10, 64, "<f8"),
    COMPLEX128(11, 128, "<c16"),
    UINT64(12, 64, "<u8"),
    RESOURCE(13, 0, null),
    VARIANT(14, 0, null),
    UINT32(15, 32, "<u4"),
    UINT16(16, 16, "<u2"),
    INT4(17, 4, null),
    BFLOAT16(18, 16, null);

    private static final TensorType[] BY_CODE = new TensorType[19];

    static {
        for (TensorType t : values()) {
            BY_CODE[t.code] = t;
        }
    }

    private final int code;
    private final int bits;
    private final String numpyDescr;

    TensorType(int code, int bits, String numpyDescr) {
        this.code = code;
        this.bits = bits;
        this.numpyDescr = numpyDescr;
    }

    /** The schema's enum value. */
    public int code() {
        return code;
    }

    /** Bits per element; 0 for types without a fixed size (STRING, RESOURCE, VARIANT). */
    public int bits() {
        return bits;
    }

    /** Bytes per element, or 0 for types without a fixed whole-byte size. */
    public int byteSize() {
        return bits % 8 == 0 ? bits / 8 : 0;
    }

    /** Whether elements have a fixed size, so that a buffer's length follows from the shape. */
    public boolean hasFixedSize() {
        return bits > 0;
    }

    /** The NumPy {@code descr} string for this type, or null when NumPy has no equivalent. */
    public String numpyDescr() {
        return numpyDescr;
    }

    /** Bytes needed for {@code elements} elements (INT4 packs two per byte). */
    public long bytesFor(long elements) {
        return (elements * bits + 7) / 8;
    }

    /** Whether the code is a type this schema knows. */
    public static boolean isKnown(int code) {
        return code >= 0 && code < BY_CODE.length;
    }

    /**
     * The type for a schema code.
     *
     * @throws IllegalArgumentException for an unknown code (the reader turns this into a
     *     {@link dev.whittle.ModelFormatException} naming the tensor)
     */
    public static TensorType fromCode(int code) {
        if (!isKnown(code)) {
            throw new IllegalArgumentException("unknown TensorType code " + code);
        }
        return BY_CODE[code];
    }

    /** The type for a NumPy descr such as {@code <f4}, or null. */
    public static TensorType fromNumpyDescr(String descr) {
        String d = descr.replace('=', '<');
        for (TensorType t : values()) {
            if (t.numpyDescr != null && t.numpyDescr.equals(d)) {
                return t;
            }
        }
        // single-byte types may be written with '<' or '=' instead of '|'
        if (d.length() == 3 && d.charAt(2) == '1' && d.charAt(0) != '|') {
            return fromNumpyDescr("|" + d.substring(1));
        }
        return null;
    }
}
