package dev.whittle.model;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * One entry of the model's buffer table: the raw bytes of a constant tensor, of metadata, or
 * nothing (buffer 0 is, by convention, the empty sentinel that non-constant tensors point at).
 *
 * <p>Data read from a file is a read-only view into the file's bytes (no copy), whether the
 * file stored it inside the flatbuffer or after it (the offset/size form of large models).
 * The writer decides again where to put it.
 */
public final class Buffer {
    private static final ByteBuffer EMPTY = ByteBuffer.allocate(0).order(ByteOrder.LITTLE_ENDIAN).asReadOnlyBuffer();

    private ByteBuffer data;

    /** An empty buffer. */
    public Buffer() {
        this.data = EMPTY;
    }

    /** A buffer holding the remaining bytes of {@code data} (not copied). */
    public Buffer(ByteBuffer data) {
        setData(data);
    }

    /** A buffer holding a copy of {@code bytes}. */
    public static Buffer of(byte[] bytes) {
        return new Buffer(ByteBuffer.wrap(bytes.clone()));
    }

    /** Read-only little-endian view of the bytes, positioned at 0. */
    public ByteBuffer data() {
        return data.duplicate().order(ByteOrder.LITTLE_ENDIAN);
    }

    /** A copy of the bytes. */
    public byte[] bytes() {
        byte[] b = new byte[data.remaining()];
        data.duplicate().get(b);
        return b;
    }

    public int size() {
        return data.remaining();
    }

    public boolean isEmpty() {
        return data.remaining() == 0;
    }

    /** Replaces the bytes (the remaining bytes of {@code newData}; not copied). */
    public void setData(ByteBuffer newData) {
        this.data = newData.slice().order(ByteOrder.LITTLE_ENDIAN).asReadOnlyBuffer();
    }

    /** A buffer with its own copy of the bytes. */
    public Buffer copy() {
        return Buffer.of(bytes());
    }

    @Override
    public String toString() {
        return "Buffer[" + size() + " bytes]";
    }
}
