package dev.whittle.runtime;

import java.nio.ByteBuffer;
import java.util.Objects;

/**
 * What an {@link Op#eval} sees of one {@link ExecutionContext}: for every tensor of the graph
 * the byte buffer holding it (the context's arena for activations, the compiled model's
 * read-only constant storage for constants) and the byte offset where it starts. Buffers are
 * little-endian and accessed with absolute indices only, so the shared constant storage is
 * never mutated by a read.
 *
 * <p>It also holds the operators' scratch memory ({@link PrepareContext#requestScratch}):
 * {@link #scratchBuffer(int)} and {@link #scratchOffset(int)} locate a scratch area for
 * kernels that address memory themselves, and the {@code getScratch...}/{@code putScratch...}
 * accessors read and write its elements with a bounds check against the size requested, so a
 * kernel that overruns its scratch fails instead of corrupting a neighbouring tensor.
 *
 * <p>Belongs to one context and is used by one thread at a time, like the context itself.
 */
public final class ExecutionState {
    private static final ByteBuffer[] NO_BUFFERS = new ByteBuffer[0];
    private static final int[] NONE = new int[0];
    private static final long[] NO_ADDRESSES = new long[0];

    private final ByteBuffer[] buffers;
    private final int[] offsets;
    private final ByteBuffer[] scratchBuffers;
    private final int[] scratchOffsets;
    private final int[] scratchBytes;
    // Native addresses (0 where the memory is on the heap: constants, folding at compile time).
    private long[] addresses = NO_ADDRESSES;
    private long[] scratchAddresses = NO_ADDRESSES;
    private long workerScratchBase;
    private long workerScratchStride;
    private IntraOpPool pool;

    /** A state without scratch memory. */
    ExecutionState(ByteBuffer[] buffers, int[] offsets) {
        this(buffers, offsets, NO_BUFFERS, NONE, NONE);
    }

    /**
     * @param scratchBuffers for every scratch id the buffer holding it (null for ids this state
     *     does not serve, e.g. those of other operators while folding one)
     * @param scratchOffsets the byte offset of each scratch area in its buffer
     * @param scratchBytes the size each scratch was requested with
     */
    ExecutionState(ByteBuffer[] buffers, int[] offsets, ByteBuffer[] scratchBuffers, int[] scratchOffsets,
            int[] scratchBytes) {
        this.buffers = buffers;
        this.offsets = offsets;
        this.scratchBuffers = scratchBuffers;
        this.scratchOffsets = scratchOffsets;
        this.scratchBytes = scratchBytes;
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

    // ---- scratch memory (PrepareContext.requestScratch) ----

    /**
     * The buffer holding scratch {@code id} (the context's arena); address it with absolute
     * indices from {@link #scratchOffset(int)} up to {@link #scratchBytes(int)} bytes further.
     * Never change its position, limit or byte order: it is shared with the tensors.
     */
    public ByteBuffer scratchBuffer(int id) {
        return scratchBuffers[id];
    }

    /** Byte offset of scratch {@code id} in {@link #scratchBuffer(int)}; a multiple of 64. */
    public int scratchOffset(int id) {
        return scratchOffsets[id];
    }

    /** Size of scratch {@code id} in bytes, as requested at prepare. */
    public int scratchBytes(int id) {
        return scratchBytes[id];
    }

    /** Byte position of element {@code i} of width {@code width} in scratch {@code id}, bounds-checked. */
    private int scratchAt(int id, int i, int width) {
        long at = (long) i * width;
        Objects.checkIndex(at, scratchBytes[id] - width + 1L);
        return scratchOffsets[id] + (int) at;
    }

    /** Float element {@code i} of scratch {@code id}. */
    public float getScratchFloat(int id, int i) {
        return scratchBuffers[id].getFloat(scratchAt(id, i, 4));
    }

    /** Writes float element {@code i} of scratch {@code id}. */
    public void putScratchFloat(int id, int i, float value) {
        scratchBuffers[id].putFloat(scratchAt(id, i, 4), value);
    }

    /** Int32 element {@code i} of scratch {@code id}. */
    public int getScratchInt(int id, int i) {
        return scratchBuffers[id].getInt(scratchAt(id, i, 4));
    }

    /** Writes int32 element {@code i} of scratch {@code id}. */
    public void putScratchInt(int id, int i, int value) {
        scratchBuffers[id].putInt(scratchAt(id, i, 4), value);
    }

    /** Signed byte element {@code i} of scratch {@code id}. */
    public byte getScratchByte(int id, int i) {
        return scratchBuffers[id].get(scratchAt(id, i, 1));
    }

    /** Writes byte element {@code i} of scratch {@code id}. */
    public void putScratchByte(int id, int i, byte value) {
        scratchBuffers[id].put(scratchAt(id, i, 1), value);
    }

    /** Int16 element {@code i} of scratch {@code id}. */
    public short getScratchShort(int id, int i) {
        return scratchBuffers[id].getShort(scratchAt(id, i, 2));
    }

    /** Writes int16 element {@code i} of scratch {@code id}. */
    public void putScratchShort(int id, int i, short value) {
        scratchBuffers[id].putShort(scratchAt(id, i, 2), value);
    }

    /** Int64 element {@code i} of scratch {@code id}. */
    public long getScratchLong(int id, int i) {
        return scratchBuffers[id].getLong(scratchAt(id, i, 8));
    }

    /** Writes int64 element {@code i} of scratch {@code id}. */
    public void putScratchLong(int id, int i, long value) {
        scratchBuffers[id].putLong(scratchAt(id, i, 8), value);
    }

    // ---- native addresses and intra-op threading (ExecutionContext sets them) ----

    /**
     * Sets what a context in native memory offers: the address of every tensor and scratch
     * area (0 for those on the heap), the per-worker scratch ({@code stride} bytes per worker
     * from {@code workerBase}) and the pool (null for one thread).
     */
    void attachNative(long[] tensorAddresses, long[] scratchAddrs, long workerBase, long workerStride,
            IntraOpPool threads) {
        this.addresses = tensorAddresses;
        this.scratchAddresses = scratchAddrs;
        this.workerScratchBase = workerBase;
        this.workerScratchStride = workerStride;
        this.pool = threads;
    }

    /**
     * The native address of tensor {@code tensor}'s first byte, for kernels in
     * {@code libwhittle}; 0 when the tensor is not in native memory (a constant of the model, or
     * any tensor while an operator is folded at compile time), and then a native kernel must run
     * its Java twin instead. Valid while this state's context is open and the operator runs.
     */
    public long address(int tensor) {
        return tensor < addresses.length ? addresses[tensor] : 0L;
    }

    /** The native address of scratch {@code id} ({@link #address(int)}'s rules); 0 if not native. */
    public long scratchAddress(int id) {
        return id < scratchAddresses.length ? scratchAddresses[id] : 0L;
    }

    /**
     * The native scratch of worker {@code worker} ({@link PrepareContext#requestWorkerScratch}),
     * 64-byte aligned, at least as large as the largest request of any operator; 0 when this
     * state has none (folding at compile time).
     */
    public long workerScratchAddress(int worker) {
        return workerScratchBase == 0 ? 0L : workerScratchBase + worker * workerScratchStride;
    }

    /** Intra-op threads of this state's context (1 when it runs on the invoking thread alone). */
    public int threads() {
        return pool == null ? 1 : pool.threads();
    }

    /**
     * Runs tasks {@code 0..count-1} of {@code task} on this context's workers and returns when
     * all are done; with one thread, runs them in order on the calling thread (worker 0).
     * Allocates nothing.
     */
    public <P> void parallelFor(int count, ParallelTask<P> task, P params) {
        if (pool == null || count <= 1) {
            for (int i = 0; i < count; i++) {
                task.run(params, this, i, 0);
            }
        } else {
            pool.run(count, task, params, this);
        }
    }
}
