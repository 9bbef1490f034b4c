package dev.whittle.internal.vectorization;

/**
 * The inner loops of the int8 kernels: exact int32 dot products of signed bytes. The only
 * thing that differs between the Vector API implementation and its plain-Java twin; the
 * kernels around them (packing, zero-point terms, requantization) are shared plain Java.
 *
 * <p>Layouts are chosen by the caller at prepare time: rows of {@code kp} bytes, where
 * {@code kp} is a multiple of {@link #blockBytes()} and the padding holds zeros, and a
 * multiple of {@link #ROW_TILE} rows, so that no implementation needs a tail loop.
 */
public interface Int8DotKernels {
    /** Rows per tile: the caller pads the packed weights to a multiple of this many rows. */
    int ROW_TILE = 4;

    /** The packed row length must be a multiple of this many bytes. */
    int blockBytes();

    /**
     * {@code out[o] = sum_k x[k] * w[o * kp + k]} for {@code o} in {@code [0, rows)}, exact
     * in int32 (wrapping, like the C++ kernels): {@code x} holds {@code kp} bytes,
     * {@code w} {@code rows * kp}.
     *
     * @param rows a multiple of {@link #ROW_TILE}
     * @param kp a multiple of {@link #blockBytes()}
     */
    void dotRows(byte[] x, byte[] w, int rows, int kp, int[] out);
}
