package dev.whittle.model;

/**
 * The wire type of one field of an options table.
 *
 * <p>Enum-typed schema fields are described by their underlying integer type (an
 * {@code ActivationFunctionType : byte} field is {@link #INT8}), because the file stores only
 * that integer. Scalars are held in Java as the smallest boxed type that represents every value
 * of the kind without loss; unsigned kinds are therefore widened (see {@link #javaType()}).
 * {@link #UINT64} is the exception: it is held as a {@code long} with the same 64 bits, to be
 * read with {@link Long#toUnsignedString(long)} and friends.
 */
public enum FieldKind {
    BOOL(false, 1, Boolean.class),
    INT8(false, 1, Integer.class),
    UINT8(false, 1, Integer.class),
    INT16(false, 2, Integer.class),
    UINT16(false, 2, Integer.class),
    INT32(false, 4, Integer.class),
    UINT32(false, 4, Long.class),
    INT64(false, 8, Long.class),
    UINT64(false, 8, Long.class),
    FLOAT32(false, 4, Float.class),
    FLOAT64(false, 8, Double.class),
    /** A UTF-8 string, held as {@link String}. */
    STRING(true, 1, String.class),
    VEC_BOOL(true, 1, boolean[].class),
    VEC_INT8(true, 1, byte[].class),
    /** A vector of unsigned bytes, held as raw {@code byte[]} since it is almost always a blob. */
    VEC_UINT8(true, 1, byte[].class),
    VEC_INT16(true, 2, short[].class),
    VEC_UINT16(true, 2, int[].class),
    VEC_INT32(true, 4, int[].class),
    VEC_UINT32(true, 4, long[].class),
    VEC_INT64(true, 8, long[].class),
    VEC_FLOAT32(true, 4, float[].class),
    VEC_FLOAT64(true, 8, double[].class);

    private final boolean offset;
    private final int elementSize;
    private final Class<?> javaType;

    FieldKind(boolean offset, int elementSize, Class<?> javaType) {
        this.offset = offset;
        this.elementSize = elementSize;
        this.javaType = javaType;
    }

    /** Whether the table stores this field as an offset to a string or vector. */
    public boolean isOffset() {
        return offset;
    }

    /** Whether this is a vector kind (strings are not vectors here). */
    public boolean isVector() {
        return offset && this != STRING;
    }

    /** Whether this is an integer scalar kind. */
    public boolean isInteger() {
        return !offset && this != BOOL && this != FLOAT32 && this != FLOAT64;
    }

    /** Bytes of the scalar inline in the table, or of one vector element (1 for strings). */
    public int elementSize() {
        return elementSize;
    }

    /** The Java type that holds a value of this kind (boxed for scalars). */
    public Class<?> javaType() {
        return javaType;
    }

    /** Smallest value an integer kind admits (after widening). */
    public long minValue() {
        return switch (this) {
            case INT8 -> Byte.MIN_VALUE;
            case INT16 -> Short.MIN_VALUE;
            case INT32 -> Integer.MIN_VALUE;
            case INT64, UINT64 -> Long.MIN_VALUE;
            default -> 0;
        };
    }

    /** Largest value an integer kind admits (after widening). */
    public long maxValue() {
        return switch (this) {
            case INT8 -> Byte.MAX_VALUE;
            case UINT8 -> 0xFFL;
            case INT16 -> Short.MAX_VALUE;
            case UINT16 -> 0xFFFFL;
            case INT32 -> Integer.MAX_VALUE;
            case UINT32 -> 0xFFFF_FFFFL;
            case INT64, UINT64 -> Long.MAX_VALUE;
            default -> 0;
        };
    }
}
