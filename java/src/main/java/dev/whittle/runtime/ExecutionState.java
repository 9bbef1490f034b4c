package dev.whittle.runtime;

import java.nio.ByteBuffer;

/**
 * What an {@link Op#eval} sees of one {@link ExecutionContext}: for every tensor of the graph
 * the byte buffer holding it (the context's arena for activations, the compiled model's
 * read-only constant storage for constants) and the byte offset where it starts. Buffers are
 * little-endian and accessed with absolute indices only, so the shared constant storage is
 * never mutated by a read.
 *
 * <p>Belongs to one context and is used by one thread at a time, like the context itself.
 */
public final class ExecutionState {
    private final ByteBuffer[] buffers;
    private final int[] offsets;

    ExecutionState(ByteBuffer[] buffers, int[] offsets) {
        this.buffers = buffers;
        this.offsets = offsets;
    }

    /** The buffer holding tensor {@code tensor}, or null when the graph never uses it. */
    public ByteBuffer buffer(int tensor) {
        return buffers[tensor];
    }

    /** Byte offset of tensor {@code tensor} in {@link #buffer(int)}. */
    public int offset(int tensor) {
        return offsets[tensor];
    }

    /** Float element {@code i} (row-major) of tensor {@code tensor}. */
    public float getFloat(int tensor, int i) {
        return buffers[tensor].getFloat(offsets[tensor] + (i << 2));
    }

    /** Writes float element {@code i} (row-major) of tensor {@code tensor}. */
    public void putFloat(int tensor, int i, float value) {
        buffers[tensor].putFloat(offsets[tensor] + (i << 2), value);
    }

    /** Int32 element {@code i} of tensor {@code tensor}. */
    public int getInt(int tensor, int i) {
        return buffers[tensor].getInt(offsets[tensor] + (i << 2));
    }

    /** Signed byte element {@code i} of tensor {@code tensor}. */
    public byte getByte(int tensor, int i) {
        return buffers[tensor].get(offsets[tensor] + i);
    }

    /** Writes byte element {@code i} of tensor {@code tensor}. */
    public void putByte(int tensor, int i, byte value) {
        buffers[tensor].put(offsets[tensor] + i, value);
    }

    /** Writes int32 element {@code i} of tensor {@code tensor}. */
    public void putInt(int tensor, int i, int value) {
        buffers[tensor].putInt(offsets[tensor] + (i << 2), value);
    }

    /** Int16 element {@code i} of tensor {@code tensor}. */
    public short getShort(int tensor, int i) {
        return buffers[tensor].getShort(offsets[tensor] + (i << 1));
    }

    /** Writes int16 element {@code i} of tensor {@code tensor}. */
    public void putShort(int tensor, int i, short value) {
        buffers[tensor].putShort(offsets[tensor] + (i << 1), value);
    }

    /** Int64 element {@code i} of tensor {@code tensor}. */
    public long getLong(int tensor, int i) {
        return buffers[tensor].getLong(offsets[tensor] + (i << 3));
    }

    /** Writes int64 element {@code i} of tensor {@code tensor}. */
    public void putLong(int tensor, int i, long value) {
        buffers[tensor].putLong(offsets[tensor] + (i << 3), value);
    }

    /** Unsigned byte element {@code i} of tensor {@code tensor}, in [0, 255]. */
    public int getUnsignedByte(int tensor, int i) {
        return buffers[tensor].get(offsets[tensor] + i) & 0xFF;
    }

    /** Copies {@code bytes} bytes from the start of tensor {@code from} to the start of tensor {@code to}. */
    public void copyBytes(int from, int to, int bytes) {
        buffers[to].put(offsets[to], buffers[from], offsets[from], bytes);
    }
}
