package dev.whittle.runtime.kernels.reference;

import dev.whittle.model.TensorType;
import dev.whittle.runtime.ExecutionState;

/** Reads and writes one element of an 8- or 16-bit integer tensor as an int, by type. */
final class Elements {
    private Elements() {
    }

    static int get(ExecutionState s, TensorType type, int tensor, int i) {
        return switch (type) {
            case INT8 -> s.getByte(tensor, i);
            case UINT8 -> s.getUnsignedByte(tensor, i);
            case INT16 -> s.getShort(tensor, i);
            case INT32 -> s.getInt(tensor, i);
            default -> throw new IllegalStateException("not a small integer type: " + type);
        };
    }

    /** Writes {@code v}, already clamped into the type's range by the caller. */
    static void put(ExecutionState s, TensorType type, int tensor, int i, int v) {
        switch (type) {
            case INT8, UINT8 -> s.putByte(tensor, i, (byte) v);
            case INT16 -> s.putShort(tensor, i, (short) v);
            case INT32 -> s.putInt(tensor, i, v);
            default -> throw new IllegalStateException("not a small integer type: " + type);
        }
    }
}
