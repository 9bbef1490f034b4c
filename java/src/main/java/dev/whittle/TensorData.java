package dev.whittle;

import dev.whittle.model.TensorType;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.Objects;

/**
 * A dense tensor value: element type, shape and the raw little-endian bytes, row-major
 * (C order), as TFLite lays tensors out. This is how inputs and outputs cross between
 * files ({@code .npy}, images), backends and the CLI.
 *
 * <p>The byte buffer is owned by this object; {@link #data()} returns a read-only,
 * little-endian view positioned at 0.
 */
public final class TensorData {
    private final TensorType type;
    private final int[] shape;
    private final ByteBuffer data;

    /**
     * @throws InvalidInputException if the byte count does not match shape and type
     */
    public TensorData(TensorType type, int[] shape, ByteBuffer data) {
        this.type = Objects.requireNonNull(type, "type");
        this.shape = shape.clone();
        for (int d : this.shape) {
            if (d < 0) {
                throw new InvalidInputException("negative dimension in shape " + Arrays.toString(shape));
            }
        }
        ByteBuffer copy = ByteBuffer.allocate(data.remaining()).order(ByteOrder.LITTLE_ENDIAN);
        copy.put(data.duplicate());
        copy.flip();
        this.data = copy;
        if (type.hasFixedSize()) {
            long expected = type.bytesFor(elementCount());
            if (expected != this.data.remaining()) {
                throw new InvalidInputException("tensor of type " + type + " and shape " + Arrays.toString(shape)
                        + " needs " + expected + " bytes, got " + this.data.remaining());
            }
        }
    }

    /** A zero-filled tensor. */
    public static TensorData zeros(TensorType type, int... shape) {
        long n = 1;
        for (int d : shape) {
            n *= d;
        }
        return new TensorData(type, shape, ByteBuffer.allocate(Math.toIntExact(type.bytesFor(n))));
    }

    public TensorType type() {
        return type;
    }

    public int[] shape() {
        return shape.clone();
    }

    public int rank() {
        return shape.length;
    }

    public long elementCount() {
        long n = 1;
        for (int d : shape) {
            n *= d;
        }
        return n;
    }

    /** Read-only little-endian view of the bytes, positioned at 0. */
    public ByteBuffer data() {
        return data.asReadOnlyBuffer().order(ByteOrder.LITTLE_ENDIAN);
    }

    /** A copy of the bytes. */
    public byte[] bytes() {
        byte[] b = new byte[data.remaining()];
        data.duplicate().get(b);
        return b;
    }

    /** Element {@code i} converted to double (numeric types only). */
    public double getDouble(long i) {
        int idx = Math.toIntExact(i);
        return switch (type) {
            case FLOAT32 -> data.getFloat(idx * 4);
            case FLOAT64 -> data.getDouble(idx * 8);
            case FLOAT16 -> Float.float16ToFloat(data.getShort(idx * 2));
            case INT8 -> data.get(idx);
            case UINT8 -> data.get(idx) & 0xFF;
            case BOOL -> data.get(idx) != 0 ? 1 : 0;
            case INT16 -> data.getShort(idx * 2);
            case UINT16 -> data.getShort(idx * 2) & 0xFFFF;
            case INT32 -> data.getInt(idx * 4);
            case UINT32 -> Integer.toUnsignedLong(data.getInt(idx * 4));
            case INT64, UINT64 -> data.getLong(idx * 8);
            default -> throw new UnsupportedOperationException("no numeric view of " + type);
        };
    }

    /** All elements as doubles (numeric types only). */
    public double[] toDoubleArray() {
        double[] out = new double[Math.toIntExact(elementCount())];
        for (int i = 0; i < out.length; i++) {
            out[i] = getDouble(i);
        }
        return out;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TensorData t && t.type == type && Arrays.equals(t.shape, shape) && t.data.equals(data);
    }

    @Override
    public int hashCode() {
        return Objects.hash(type, Arrays.hashCode(shape), data);
    }

    @Override
    public String toString() {
        return type + Arrays.toString(shape);
    }
}
