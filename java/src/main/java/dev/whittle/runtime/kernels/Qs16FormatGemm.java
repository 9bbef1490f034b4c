package dev.whittle.runtime.kernels;

import dev.whittle.runtime.ExecutionState;
import dev.whittle.runtime.Kernel;
import dev.whittle.runtime.ParallelTask;
import dev.whittle.runtime.kernels.reference.ConvParams;
import dev.whittle.runtime.kernels.reference.FullyConnectedReference.QuantParams;

/**
 * What the 16x8 weight-format GEMMs share as node kernels (native {@link Qs16Sp24Gemm},
 * {@link Qs16SparseGemm}, {@link Qs16LutGemm} over {@link Qs16NativeFormatGemm}, and the Java
 * path's {@link Qs16JavaFormatGemm}): a format keeps only its packing, its scratch and packed
 * sizes and its task grid; {@link #conv()} and {@link #fc()} make the CONV_2D or FULLY_CONNECTED
 * kernel of it, which runs the node's reference kernel ({@link Qs16FormatNode#reference()}) when
 * the tensors are not in native memory or there is no worker scratch, else the grid's tasks on
 * the context's workers (one task inline).
 */
abstract class Qs16FormatGemm {
    /** The kernel name, {@code qs16_qc8w_<op>_<format>_<tile>__<isa>}. */
    final String name;
    /** The node's reference kernel: a {@code Kernel<ConvParams>} or {@code Kernel<QuantParams>}. */
    final Object reference;

    Qs16FormatGemm(String name, Object reference) {
        this.name = name;
        this.reference = reference;
    }

    /** Scratch bytes each worker needs (requested by the op through {@link WorkerScratch}). */
    abstract long workerScratchBytes();

    /** Bytes of packed weight data ({@link PackedWeights}). */
    abstract long packedWeightBytes();

    /** Number of tasks for {@code threads} workers; computed per call (kernels are shared by contexts). */
    abstract int tasks(int threads);

    /** Runs task {@code task} of the grid for {@code threads} workers. Must not allocate. */
    abstract void run(long input, long output, long scratch, int task, int threads);

    /** This GEMM as a CONV_2D kernel. */
    final Conv conv() {
        return new Conv(this);
    }

    /** This GEMM as a FULLY_CONNECTED kernel. */
    final Fc fc() {
        return new Fc(this);
    }

    /** One node: the tensors' ids come from the op's params {@code P}. */
    abstract static class Node<P> implements Kernel<P>, ParallelTask<P>, WorkerScratch, PackedWeights {
        private final Qs16FormatGemm gemm;
        private final Kernel<P> reference;

        @SuppressWarnings("unchecked")
        Node(Qs16FormatGemm gemm) {
            this.gemm = gemm;
            this.reference = (Kernel<P>) gemm.reference;
        }

        abstract int input(P p);

        abstract int output(P p);

        @Override
        public String name() {
            return gemm.name;
        }

        @Override
        public long workerScratchBytes() {
            return gemm.workerScratchBytes();
        }

        @Override
        public long packedWeightBytes() {
            return gemm.packedWeightBytes();
        }

        @Override
        public void run(P p, ExecutionState s) {
            if (s.address(input(p)) == 0 || s.address(output(p)) == 0 || s.workerScratchAddress(0) == 0) {
                reference.run(p, s);
                return;
            }
            s.parallelFor(gemm.tasks(s.threads()), this, p);
        }

        @Override
        public void run(P p, ExecutionState s, int task, int worker) {
            gemm.run(s.address(input(p)), s.address(output(p)), s.workerScratchAddress(worker), task, s.threads());
        }

        @Override
        public String toString() {
            return gemm.name;
        }
    }

    /** CONV_2D on a weight format. */
    static final class Conv extends Node<ConvParams> {
        Conv(Qs16FormatGemm gemm) {
            super(gemm);
        }

        @Override
        int input(ConvParams p) {
            return p.input();
        }

        @Override
        int output(ConvParams p) {
            return p.output();
        }
    }

    /** FULLY_CONNECTED on a weight format. */
    static final class Fc extends Node<QuantParams> {
        Fc(Qs16FormatGemm gemm) {
            super(gemm);
        }

        @Override
        int input(QuantParams p) {
            return p.input();
        }

        @Override
        int output(QuantParams p) {
            return p.output();
        }
    }
}
