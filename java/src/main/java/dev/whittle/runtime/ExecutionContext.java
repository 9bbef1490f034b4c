package dev.whittle.runtime;

import dev.whittle.InvalidInputException;
import dev.whittle.TensorData;
import dev.whittle.model.Tensor;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.ref.Reference;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * One execution of a {@link CompiledModel}: owns the activation arena, takes inputs, runs the
 * graph and hands out outputs. All memory is allocated when the context is created, so
 * {@link #invoke()} allocates nothing.
 *
 * <p><b>Thread safety:</b> not thread-safe. Use one context per thread, or hand a context
 * from thread to thread with a happens-before edge (a queue, a lock) so that only one thread
 * uses it at a time. The {@link CompiledModel} behind it may be shared freely: contexts of one
 * compiled model share nothing mutable, so any number of them may invoke at once (tested with
 * 8 threads on a quantized MobileNet, outputs identical to a single-threaded run). The
 * {@link TensorData} returned by {@link #output} and {@link #tensor} are copies, safe to keep
 * and to pass to other threads.
 *
 * <p><b>Memory:</b> the arena ({@link CompiledModel#arenaBytes()}: intermediate tensors and
 * the operators' scratch areas) is native memory from a shared {@link Arena} (shared rather
 * than confined so that a context may move between threads, e.g. in a pool), allocated once
 * here; {@link #close()} frees it at once. Any use after close throws
 * {@link IllegalStateException}; closing a context while another thread is invoking it is a
 * bug in the caller, but it still cannot crash the JVM: the Foreign Memory API makes either the
 * close or the access fail with an exception instead.
 */
public final class ExecutionContext implements AutoCloseable {
    private final CompiledModel model;
    private final Arena arena;
    private final ExecutionState state;
    private final IntraOpPool pool;
    private boolean closed;

    ExecutionContext(CompiledModel model, ArenaPlan plan, int threads) {
        this.model = model;
        this.arena = Arena.ofShared();
        // At least one byte: a zero-length segment cannot be viewed as a buffer usefully.
        MemorySegment segment = arena.allocate(Math.max(1, plan.arenaBytes), ArenaPlan.ALIGNMENT);
        ByteBuffer activations = segment.asByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
        ByteBuffer constants = model.constantsView();
        int n = model.tensorCount();
        ByteBuffer[] buffers = new ByteBuffer[n];
        int[] offsets = new int[n];
        for (int t = 0; t < n; t++) {
            if (model.constantOffset(t) >= 0) {
                buffers[t] = constants;
                offsets[t] = model.constantOffset(t);
            } else if (plan.offsets[t] >= 0) {
                buffers[t] = activations;
                offsets[t] = plan.offsets[t];
            }
        }
        int ns = model.scratchCount();
        ByteBuffer[] scratchBuffers = new ByteBuffer[ns];
        int[] scratchOffsets = new int[ns];
        int[] scratchBytes = new int[ns];
        for (int s = 0; s < ns; s++) {
            int at = plan.offsets[n + s];
            if (at >= 0) { // not planned: the operator was folded at compile time
                scratchBuffers[s] = activations;
                scratchOffsets[s] = at;
                scratchBytes[s] = model.scratchBytes(s);
            }
        }
        this.state = new ExecutionState(buffers, offsets, scratchBuffers, scratchOffsets, scratchBytes);
        long base = segment.address();
        long[] addresses = new long[n];
        for (int t = 0; t < n; t++) {
            if (buffers[t] == activations) {
                addresses[t] = base + offsets[t];
            }
        }
        long[] scratchAddresses = new long[ns];
        for (int s = 0; s < ns; s++) {
            if (scratchBuffers[s] != null) {
                scratchAddresses[s] = base + scratchOffsets[s];
            }
        }
        long stride = ArenaPlan.align(model.workerScratchBytes());
        long workerBase = 0;
        if (stride > 0) {
            workerBase = arena.allocate(stride * threads, ArenaPlan.ALIGNMENT).address();
        }
        this.pool = threads > 1 ? new IntraOpPool(threads, "whittle") : null;
        state.attachNative(addresses, scratchAddresses, workerBase, stride, pool);
    }

    /** Intra-op threads this context runs operators on ({@link CompiledModel#newContext(int)}). */
    public int threads() {
        return pool == null ? 1 : pool.threads();
    }

    /** The compiled model this context runs. */
    public CompiledModel model() {
        return model;
    }

    /**
     * Copies {@code value} into graph input {@code i}.
     *
     * @throws InvalidInputException when the index, the type or the shape does not match the
     *     model's input
     */
    public void setInput(int i, TensorData value) {
        checkOpen();
        if (i < 0 || i >= model.inputCount()) {
            throw new InvalidInputException("input " + i + " does not exist; the model has " + model.inputCount()
                    + " inputs");
        }
        int t = model.inputTensorIndex(i);
        Tensor info = model.tensor(t);
        if (value.type() != info.type() || !Arrays.equals(value.shape(), info.shape())) {
            throw new InvalidInputException("input " + i + " '" + info.name() + "' expects " + info.type()
                    + Arrays.toString(info.shape()) + ", got " + value.type() + Arrays.toString(value.shape()));
        }
        if (model.constantOffset(t) >= 0) {
            throw new InvalidInputException("input " + i + " '" + info.name() + "' is a constant of the model");
        }
        ByteBuffer src = value.data();
        state.buffer(t).put(state.offset(t), src, 0, src.remaining());
    }

    /** Runs every operator in order. Allocates nothing. */
    public void invoke() {
        checkOpen();
        try {
            if (pool == null) {
                model.run(state);
                return;
            }
            pool.begin();
            try {
                model.run(state);
            } finally {
                pool.end();
            }
        } finally {
            // Kernels hand native code raw addresses of weights that the GC frees once the
            // compiled model is unreachable: keep it (through this context) alive to the end.
            Reference.reachabilityFence(this);
        }
    }

    /** A copy of graph output {@code i} as computed by the last {@link #invoke()}. */
    public TensorData output(int i) {
        checkOpen();
        if (i < 0 || i >= model.outputCount()) {
            throw new IndexOutOfBoundsException("output " + i + " does not exist; the model has "
                    + model.outputCount() + " outputs");
        }
        return tensor(model.outputTensorIndex(i));
    }

    /**
     * Byte {@code byteIndex} of graph output {@code i}, read in place without copying the
     * output: for benchmarks and checks that must not allocate.
     */
    public byte outputByte(int i, int byteIndex) {
        checkOpen();
        int t = model.outputTensorIndex(i);
        Tensor info = model.tensor(t);
        java.util.Objects.checkIndex(byteIndex, info.type().bytesFor(info.elementCount()));
        return state.buffer(t).get(state.offset(t) + byteIndex);
    }

    /**
     * A copy of any tensor of the graph: constants, inputs, outputs, intermediates. In a
     * context from {@link CompiledModel#newContext()} an intermediate's memory may since have
     * been reused by a later tensor; use {@link CompiledModel#newContext(boolean)} with
     * {@code true} to read every intermediate's own value.
     *
     * @throws IllegalArgumentException when the tensor has no memory (no operator touches it)
     */
    public TensorData tensor(int index) {
        checkOpen();
        if (index < 0 || index >= model.tensorCount()) {
            throw new IndexOutOfBoundsException("tensor " + index + " does not exist; the model has "
                    + model.tensorCount() + " tensors");
        }
        Tensor info = model.tensor(index);
        ByteBuffer b = state.buffer(index);
        if (b == null) {
            throw new IllegalArgumentException("tensor " + index + " '" + info.name()
                    + "' has no memory: no operator or graph input/output uses it");
        }
        int bytes = Math.toIntExact(info.type().bytesFor(info.elementCount()));
        ByteBuffer copy = ByteBuffer.allocate(bytes).order(ByteOrder.LITTLE_ENDIAN);
        copy.put(0, b, state.offset(index), bytes);
        return new TensorData(info.type(), info.shape(), copy);
    }

    /** Frees the arena. Idempotent. */
    @Override
    public void close() {
        if (!closed) {
            closed = true;
            if (pool != null) {
                pool.close();
            }
            arena.close();
        }
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("execution context is closed");
        }
    }
    /**
     * {@link #invoke()} with the time of each operator added to {@code profile} (made by
     * {@link OpProfile#of} for this context's model). The plain {@code invoke()} has no
     * profiling code on its path.
     */
    public void invoke(OpProfile profile) {
        checkOpen();
        try {
            if (pool == null) {
                model.runProfiled(state, profile);
                return;
            }
            pool.begin();
            try {
                model.runProfiled(state, profile);
            } finally {
                pool.end();
            }
        } finally {
            // Kernels hand native code raw addresses of weights that the GC frees once the
            // compiled model is unreachable: keep it (through this context) alive to the end.
            Reference.reachabilityFence(this);
        }
    }
}
