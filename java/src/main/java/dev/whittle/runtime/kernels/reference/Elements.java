package dev.whittle.runtime.kernels.reference;

import dev.whittle.model.TensorType;
import dev.whittle.runtime.ExecutionState;

/**
 * Integer element access by tensor type, for reference kernels that are written once for
 * every integer type: reads widen to {@code long} (uint8 as 0..255), writes narrow as a C++
 * {@code static_cast} does (keeping the low bits), so a kernel clamps before it writes.
 */
public final class Elements {
    private Elements() {
    }

    /** Element {@code i} of an INT8, UINT8, INT16, INT32, INT64 or BOOL tensor. */
    public static long get(ExecutionState s, TensorType type, int tensor, int i) {
        return switch (type) {
            case INT8 -> s.getByte(tensor, i);
            case UINT8, BOOL -> s.getUnsignedByte(tensor, i);
            case INT16 -> s.getShort(tensor, i);
            case INT32 -> s.getInt(tensor, i);
            case INT64 -> s.getLong(tensor, i);
            default -> throw new IllegalArgumentException("not an integer type: " + type);
        };
    }

    /** {@link #get} for the types whose values fit an int (all but INT64). */
    public static int getInt(ExecutionState s, TensorType type, int tensor, int i) {
        return (int) get(s, type, tensor, i);
    }

    /** Writes element {@code i}, keeping the low bits of {@code v} that the type holds. */
    public static void put(ExecutionState s, TensorType type, int tensor, int i, long v) {
        switch (type) {
            case INT8, UINT8, BOOL -> s.putByte(tensor, i, (byte) v);
            case INT16 -> s.putShort(tensor, i, (short) v);
            case INT32 -> s.putInt(tensor, i, (int) v);
            case INT64 -> s.putLong(tensor, i, v);
            default -> throw new IllegalArgumentException("not an integer type: " + type);
        }
    }

    /** Size in bytes of one element of {@code type} (the fixed-size types kernels move). */
    public static int size(TensorType type) {
        return switch (type) {
            case INT8, UINT8, BOOL -> 1;
            case INT16, FLOAT16 -> 2;
            case INT32, FLOAT32 -> 4;
            case INT64 -> 8;
            default -> throw new IllegalArgumentException("no element size for " + type);
        };
    }

    /** The smallest value of a quantized integer type. */
    public static int min(TensorType type) {
        return switch (type) {
            case INT8 -> Byte.MIN_VALUE;
            case UINT8 -> 0;
            case INT16 -> Short.MIN_VALUE;
            default -> throw new IllegalArgumentException("not a quantized type: " + type);
        };
    }

    /** The largest value of a quantized integer type. */
    public static int max(TensorType type) {
        return switch (type) {
            case INT8 -> Byte.MAX_VALUE;
            case UINT8 -> 255;
            case INT16 -> Short.MAX_VALUE;
            default -> throw new IllegalArgumentException("not a quantized type: " + type);
        };
    }

    /** Copies {@code count} elements of {@code size} bytes from element {@code fromIndex} of one tensor to another. */
    public static void copy(ExecutionState s, int from, int fromIndex, int to, int toIndex, int count, int size) {
        s.buffer(to).put(s.offset(to) + toIndex * size, s.buffer(from), s.offset(from) + fromIndex * size,
                count * size);
    }
}
