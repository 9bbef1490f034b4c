package dev.whittle.runtime.kernels;

import dev.whittle.runtime.ExecutionState;
import dev.whittle.runtime.Kernel;
import dev.whittle.runtime.ParallelTask;

import java.util.function.ToIntFunction;

/**
 * The kernel around a {@link NativeGemm}: runs its tasks on the intra-op workers, or the
 * reference kernel where the input, the output or the worker scratch is not in native memory
 * (compile-time folding). Shared by the CONV_2D and FULLY_CONNECTED kernels of every weight
 * format.
 *
 * @param <P> the node's params record
 */
abstract class NativeGemmKernel<P> implements Kernel<P>, ParallelTask<P>, WorkerScratch, PackedWeights {
    private final NativeGemm gemm;
    private final Kernel<P> reference;
    private final ToIntFunction<P> input;
    private final ToIntFunction<P> output;

    /**
     * @param input the input tensor of the params
     * @param output the output tensor of the params
     */
    NativeGemmKernel(NativeGemm gemm, Kernel<P> reference, ToIntFunction<P> input, ToIntFunction<P> output) {
        this.gemm = gemm;
        this.reference = reference;
        this.input = input;
        this.output = output;
    }

    /** The prepared GEMM this kernel runs. */
    final NativeGemm gemm() {
        return gemm;
    }

    @Override
    public final String name() {
        return gemm.name();
    }

    @Override
    public final long packedWeightBytes() {
        return gemm.weightBytes();
    }

    @Override
    public final long workerScratchBytes() {
        return gemm.scratchBytes();
    }

    @Override
    public final void run(P p, ExecutionState s) {
        if (s.address(input.applyAsInt(p)) == 0 || s.address(output.applyAsInt(p)) == 0
                || s.workerScratchAddress(0) == 0) {
            reference.run(p, s);
            return;
        }
        s.parallelFor(gemm.tasks(s.threads()), this, p);
    }

    @Override
    public final void run(P p, ExecutionState s, int task, int worker) {
        gemm.run(s, s.address(input.applyAsInt(p)), s.address(output.applyAsInt(p)), s.workerScratchAddress(worker),
                task);
    }

    @Override
    public final void run(P p, ExecutionState s, int from, int to, int worker) {
        gemm.run(s, s.address(input.applyAsInt(p)), s.address(output.applyAsInt(p)), s.workerScratchAddress(worker),
                from, to);
    }

    @Override
    public final String toString() {
        return gemm.name();
    }
}
