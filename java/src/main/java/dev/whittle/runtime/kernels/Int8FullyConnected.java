package dev.whittle.runtime.kernels;

import dev.whittle.internal.vectorization.Int8Gemm;
import dev.whittle.internal.vectorization.Int8GemmKernels;
import dev.whittle.internal.vectorization.VectorizationProvider;
import dev.whittle.runtime.ExecutionState;
import dev.whittle.runtime.Kernel;
import dev.whittle.runtime.ParallelTask;
import dev.whittle.runtime.kernels.reference.FullyConnectedReference;
import dev.whittle.runtime.kernels.reference.FullyConnectedReference.QuantParams;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * FULLY_CONNECTED for int8 and uint8 ({@code qs8}, {@code qs8_qc8w}, {@code qu8}) on the Java
 * path: the GEMM of {@link Int8Conv2D} with the batch rows as its rows, read in place from the
 * arena. Weights packed once at prepare, zero-point terms and bias folded into per-channel
 * constants ({@link Int8Gemm}), the output stage of {@link FullyConnectedReference} (ruy's
 * rounding, for all three types) fused into the micro-kernel. Tasks are blocks of rows times
 * ranges of channel tiles, so a batch-1 layer is split over output channels.
 *
 * <p>Runs the reference kernel when the tensors are not in native memory (compile-time
 * folding); a node whose bias is not constant gets the reference kernel at prepare.
 */
public final class Int8FullyConnected implements Kernel<QuantParams>, WorkerScratch, ParallelTask<QuantParams> {
    private final String name;
    private final Int8GemmKernels kernels;
    private final Int8Gemm gemm;
    private final Kernel<QuantParams> reference;
    private final int input;
    private final int output;
    private final int batches;
    private final int rowsPerBlock;

    private Int8FullyConnected(String name, Int8GemmKernels kernels, Int8Gemm gemm, Kernel<QuantParams> reference,
            QuantParams p, int rowsPerBlock) {
        this.name = name;
        this.kernels = kernels;
        this.gemm = gemm;
        this.reference = reference;
        this.input = p.input();
        this.output = p.output();
        this.batches = p.batches();
        this.rowsPerBlock = rowsPerBlock;
    }

    /**
     * The Java-path kernel for one node, or the family's reference kernel for a node it does
     * not handle (bias not constant, empty, or a multiplier outside the output stage's range).
     *
     * @param family {@code qs8_fully_connected}, {@code qs8_qc8w_fully_connected} or
     *     {@code qu8_fully_connected}: the name prefix; {@code qu8} selects unsigned bytes
     * @param provider whose micro-kernel to use ({@link VectorizationProvider#get()} in
     *     dispatch; tests also pass {@link VectorizationProvider#plain()})
     */
    public static Kernel<QuantParams> create(KernelFamily<?> family, VectorizationProvider provider, QuantParams p,
            ByteBuffer weights, ByteBuffer bias) {
        boolean unsigned = family.name().startsWith("qu8_");
        Kernel<QuantParams> reference = unsigned ? FullyConnectedReference.QU8
                : family.name().startsWith("qs8_qc8w_") ? FullyConnectedReference.QS8_QC8W : FullyConnectedReference.QS8;
        int k = p.inFeatures();
        int n = p.outFeatures();
        if ((p.bias() >= 0 && bias == null) || k <= 0 || n <= 0 || p.batches() <= 0
                || (long) k * n > Integer.MAX_VALUE - 64 || (long) p.batches() * Math.max(k, n) > Integer.MAX_VALUE) {
            return reference;
        }
        byte[] w = new byte[k * n];
        weights.get(0, w);
        int[] b = null;
        if (bias != null) {
            b = new int[n];
            ByteBuffer le = bias.duplicate().order(ByteOrder.LITTLE_ENDIAN);
            for (int o = 0; o < n; o++) {
                b[o] = le.getInt(o * 4);
            }
        }
        Int8GemmKernels kernels = provider.int8Gemm();
        Int8Gemm g = Int8Gemm.pack(kernels, w, k, n, unsigned, b, p.inputOffset(), p.weightsOffset(),
                p.outputOffset(), p.multipliers(), p.shifts(), p.actMin(), p.actMax(), true);
        if (g == null) {
            return reference;
        }
        String name = family.name() + "_gemm_" + Int8GemmKernels.MR + "x" + kernels.nr() + "__" + provider.isa();
        return new Int8FullyConnected(name, kernels, g, reference, p, Int8GemmBlocks.rowsPerBlock(k));
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public long workerScratchBytes() {
        return Int8GemmBlocks.scratchBytes(kernels);
    }

    @Override
    public void run(QuantParams p, ExecutionState s) {
        if (s.address(input) == 0 || s.address(output) == 0 || s.workerScratchAddress(0) == 0) {
            reference.run(p, s);
            return;
        }
        int rowsPerTask = Int8GemmBlocks.rowsPerTask(batches, rowsPerBlock, s.threads());
        int blocks = (batches + rowsPerTask - 1) / rowsPerTask;
        s.parallelFor(blocks * Int8GemmBlocks.channelSplits(blocks, gemm.tiles(), s.threads()), this, p);
    }

    @Override
    public void run(QuantParams p, ExecutionState s, int task, int worker) {
        int rowsPerTask = Int8GemmBlocks.rowsPerTask(batches, rowsPerBlock, s.threads());
        int blocks = (batches + rowsPerTask - 1) / rowsPerTask;
        int splits = Int8GemmBlocks.channelSplits(blocks, gemm.tiles(), s.threads());
        int block = task / splits;
        int split = task % splits;
        int m0 = block * rowsPerTask;
        int rows = Math.min(rowsPerTask, batches - m0);
        int tiles = gemm.tiles();
        int t0 = (int) ((long) split * tiles / splits);
        int t1 = (int) ((long) (split + 1) * tiles / splits);
        Int8GemmBlocks.run(kernels, gemm, rows, s.address(input) + (long) m0 * gemm.k(), t0, t1,
                s.address(output) + (long) m0 * gemm.n(), s.workerScratchAddress(worker));
    }

    @Override
    public String toString() {
        return name;
    }

    // ---- issue 9, Java weight-format kernels (JavaWeightKernels): this driver over another
    // micro-kernel ----

    /** This class's driver over {@code kernels} and {@code gemm}, for a node {@link #create} would accept. */
    static Int8FullyConnected withKernels(String name, Int8GemmKernels kernels, Int8Gemm gemm,
            Kernel<QuantParams> reference, QuantParams p, int rowsPerBlock) {
        return new Int8FullyConnected(name, kernels, gemm, reference, p, rowsPerBlock);
    }
}
