package dev.whittle.runtime.kernels.reference;

import dev.whittle.model.TensorType;
import dev.whittle.runtime.ExecutionState;

/**
 * The width of one element, which is all a data-movement kernel needs to know of a type:
 * moving an int8, a bool or a uint8 is the same byte copy, and float32 moves as 32 bits.
 * This is XNNPACK's {@code xN} naming for type-agnostic kernels ({@code x8_transpose},
 * {@code x32_transpose}); quantized tensors move unchanged because layout ops never rescale.
 */
public enum ElementWidth {
    X8(1),
    X16(2),
    X32(4),
    X64(8);

    private final int bytes;

    ElementWidth(int bytes) {
        this.bytes = bytes;
    }

    /** Bytes per element. */
    public int bytes() {
        return bytes;
    }

    /** The kernel-name prefix, e.g. {@code x32}. */
    public String prefix() {
        return "x" + bytes * 8;
    }

    /** The width of {@code type}, or null when the type has no fixed element size of 1, 2, 4 or 8 bytes. */
    public static ElementWidth of(TensorType type) {
        if (!type.hasFixedSize()) {
            return null;
        }
        return switch (type.bits()) {
            case 8 -> X8;
            case 16 -> X16;
            case 32 -> X32;
            case 64 -> X64;
            default -> null;
        };
    }

    /** Copies element {@code fromIndex} of tensor {@code from} to element {@code toIndex} of tensor {@code to}. */
    public void move(ExecutionState s, int from, int fromIndex, int to, int toIndex) {
        switch (this) {
            case X8 -> s.putByte(to, toIndex, s.getByte(from, fromIndex));
            case X16 -> s.putShort(to, toIndex, s.getShort(from, fromIndex));
            case X32 -> s.putInt(to, toIndex, s.getInt(from, fromIndex));
            case X64 -> s.putLong(to, toIndex, s.getLong(from, fromIndex));
        }
    }

    /**
     * Writes element {@code index} of tensor {@code tensor} with the low bits of {@code bits}
     * (a float32 as its raw int bits).
     */
    public void fill(ExecutionState s, int tensor, int index, long bits) {
        switch (this) {
            case X8 -> s.putByte(tensor, index, (byte) bits);
            case X16 -> s.putShort(tensor, index, (short) bits);
            case X32 -> s.putInt(tensor, index, (int) bits);
            case X64 -> s.putLong(tensor, index, bits);
        }
    }
}
