package dev.whittle.runtime.kernels;

/**
 * Implemented by kernels that need private native memory per intra-op worker (an im2col
 * panel, packed activations): after the factory returns the kernel, the op requests this many
 * bytes per worker ({@link dev.whittle.runtime.PrepareContext#requestWorkerScratch}), and the
 * kernel finds them at {@link dev.whittle.runtime.ExecutionState#workerScratchAddress(int)}.
 */
public interface WorkerScratch {
    /** Bytes of scratch each worker needs for this node. */
    long workerScratchBytes();
}
