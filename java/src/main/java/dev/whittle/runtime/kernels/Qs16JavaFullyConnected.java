package dev.whittle.runtime.kernels;

import dev.whittle.internal.vectorization.Int16Gemm;
import dev.whittle.internal.vectorization.Int16Kernels;
import dev.whittle.internal.vectorization.VectorizationProvider;
import dev.whittle.runtime.ExecutionState;
import dev.whittle.runtime.Kernel;
import dev.whittle.runtime.ParallelTask;
import dev.whittle.runtime.kernels.reference.FullyConnectedReference;
import dev.whittle.runtime.kernels.reference.FullyConnectedReference.QuantParams;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * FULLY_CONNECTED 16x8 on the Java path ({@code qs16_qc8w_fully_connected_gemm_4x32__panama512},
 * ...): the {@link Int16Kernels} GEMM with the batch rows read in place, and the output stage
 * of the reference TFLite would run: {@link FullyConnectedReference#QS16_QC8W} (int64 bias:
 * int64 sum, double requantization) or {@link FullyConnectedReference#QS16_QC8W_GEMM} (int32 or
 * no bias: the int32 wrapping sum, i.e. the int64 sum truncated, ruy's multiplier). Tasks are
 * blocks of rows times ranges of channel tiles, so a batch-1 layer is split over channels.
 */
public final class Qs16JavaFullyConnected implements Kernel<QuantParams>, WorkerScratch, ParallelTask<QuantParams> {
    private final String name;
    private final Int16Kernels kernels;
    private final Int16Gemm gemm;
    private final Kernel<QuantParams> reference;
    private final int input;
    private final int output;
    private final int batches;
    private final int rowsPerBlock;
    private final int rowBlocks;

    private Qs16JavaFullyConnected(String name, Int16Kernels kernels, Int16Gemm gemm, Kernel<QuantParams> reference,
            QuantParams p) {
        this.name = name;
        this.kernels = kernels;
        this.gemm = gemm;
        this.reference = reference;
        this.input = p.input();
        this.output = p.output();
        this.batches = p.batches();
        this.rowsPerBlock = Qs16JavaGemmBlocks.rowsPerBlock(p.inFeatures());
        this.rowBlocks = (batches + rowsPerBlock - 1) / rowsPerBlock;
    }

    /** The kernel for one node, or the reference kernel TFLite would run for what it does not handle. */
    public static Kernel<QuantParams> create(VectorizationProvider provider, QuantParams p, ByteBuffer weights,
            ByteBuffer bias) {
        boolean wide = p.realScales() != null;
        Kernel<QuantParams> reference = wide ? FullyConnectedReference.QS16_QC8W : FullyConnectedReference.QS16_QC8W_GEMM;
        int k = p.inFeatures();
        int n = p.outFeatures();
        if (p.inputOffset() != 0 || p.weightsOffset() != 0 || p.outputOffset() != 0
                || (p.bias() >= 0 && bias == null) || p.batches() <= 0 || k <= 0 || n <= 0
                || (long) k * n > Integer.MAX_VALUE - 64 || 2L * p.batches() * Math.max(k, n) > Integer.MAX_VALUE) {
            return reference;
        }
        byte[] w = new byte[k * n];
        weights.get(0, w);
        long[] b = null;
        if (bias != null) {
            ByteBuffer le = bias.duplicate().order(ByteOrder.LITTLE_ENDIAN);
            b = new long[n];
            for (int o = 0; o < n; o++) {
                b[o] = p.biasIs64() ? le.getLong(o * 8) : le.getInt(o * 4);
            }
        }
        Int16Kernels kernels = provider.int16();
        Int16Gemm g = Int16Gemm.pack(kernels, w, k, n, b, wide ? Int16Gemm.STAGE_DOUBLE : Int16Gemm.STAGE_RUY,
                wide ? null : p.multipliers(), wide ? null : p.shifts(), wide ? p.realScales() : null, p.actMin(),
                p.actMax());
        if (g == null) {
            return reference;
        }
        return new Qs16JavaFullyConnected(Qs16JavaGemmBlocks.name("qs16_qc8w_fully_connected", kernels,
                provider.isa()), kernels, g, reference, p);
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public long workerScratchBytes() {
        return Qs16JavaGemmBlocks.tmpBytes(kernels);
    }

    @Override
    public void run(QuantParams p, ExecutionState s) {
        if (s.address(input) == 0 || s.address(output) == 0 || s.workerScratchAddress(0) == 0) {
            reference.run(p, s);
            return;
        }
        s.parallelFor(rowBlocks * Int8GemmBlocks.channelSplits(rowBlocks, gemm.tiles(), s.threads()), this, p);
    }

    @Override
    public void run(QuantParams p, ExecutionState s, int task, int worker) {
        int splits = Int8GemmBlocks.channelSplits(rowBlocks, gemm.tiles(), s.threads());
        int block = task / splits;
        int split = task % splits;
        int m0 = block * rowsPerBlock;
        int rows = Math.min(rowsPerBlock, batches - m0);
        int tiles = gemm.tiles();
        int t0 = (int) ((long) split * tiles / splits);
        int t1 = (int) ((long) (split + 1) * tiles / splits);
        Qs16JavaGemmBlocks.run(kernels, gemm, rows, s.address(input) + 2L * m0 * gemm.k(), t0, t1,
                s.address(output) + 2L * m0 * gemm.n(), s.workerScratchAddress(worker));
    }

    @Override
    public String toString() {
        return name;
    }
}
