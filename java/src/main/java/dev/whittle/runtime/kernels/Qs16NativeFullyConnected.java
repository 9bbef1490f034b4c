package dev.whittle.runtime.kernels;

import dev.whittle.runtime.ExecutionState;
import dev.whittle.runtime.Kernel;
import dev.whittle.runtime.ParallelTask;
import dev.whittle.runtime.kernels.reference.FullyConnectedReference;
import dev.whittle.runtime.kernels.reference.FullyConnectedReference.QuantParams;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * FULLY_CONNECTED 16x8 ({@code qs16_qc8w_fully_connected_gemm_*}) in libwhittle: the 16x8
 * GEMM of {@link Qs16NativeConv} with the rows read in place, and the output stage of the
 * reference TFLite would run, which depends on the bias:
 * <ul>
 * <li>int64 bias (or {@code quantized_bias_type} INT64): {@link FullyConnectedReference#QS16_QC8W},
 *     int64 sum then {@code (int32) round((double) acc * realScale)};</li>
 * <li>int32 or no bias: {@link FullyConnectedReference#QS16_QC8W_GEMM}, the int32 (wrapping)
 *     sum, which is the int64 sum truncated, then ruy's multiplier.</li>
 * </ul>
 */
public final class Qs16NativeFullyConnected implements Kernel<QuantParams>, ParallelTask<QuantParams>, WorkerScratch {
    private final Qs16Gemm gemm;
    private final Kernel<QuantParams> reference;

    private Qs16NativeFullyConnected(Qs16Gemm gemm, Kernel<QuantParams> reference) {
        this.gemm = gemm;
        this.reference = reference;
    }

    /** The kernel for one node on {@code isa}, or null for what it does not handle. */
    static Qs16NativeFullyConnected create(Qs16Gemm.Isa isa, QuantParams p, ByteBuffer weights, ByteBuffer bias) {
        if (p.inputOffset() != 0 || p.weightsOffset() != 0 || p.outputOffset() != 0
                || (p.bias() >= 0 && bias == null) || p.batches() <= 0 || p.inFeatures() <= 0
                || p.outFeatures() <= 0 || (long) p.inFeatures() * p.outFeatures() > Integer.MAX_VALUE) {
            return null;
        }
        boolean wide = p.realScales() != null;
        int n = p.outFeatures();
        long[] b = null;
        if (bias != null) {
            ByteBuffer bb = bias.duplicate().order(ByteOrder.LITTLE_ENDIAN);
            b = new long[n];
            for (int c = 0; c < n; c++) {
                b[c] = p.biasIs64() ? bb.getLong(c * 8) : bb.getInt(c * 4);
            }
        }
        long[] mult = null;
        long[] shift = null;
        long[] rnd = null;
        if (!wide) {
            mult = new long[n];
            shift = new long[n];
            rnd = new long[n];
            for (int c = 0; c < n; c++) {
                mult[c] = p.multipliers()[c];
                shift[c] = p.shifts()[c];
            }
        }
        long[] geometry = {1, 1, p.batches(), p.inFeatures(), 1, p.batches(), n, 1, 1, 1, 1, 1, 1, 0, 0};
        Qs16Gemm g = new Qs16Gemm(isa, "fully_connected", geometry, weights, b,
                wide ? Qs16Gemm.STAGE_DOUBLE : Qs16Gemm.STAGE_RUY, mult, shift, rnd,
                wide ? p.realScales().clone() : null, p.actMin(), p.actMax());
        return new Qs16NativeFullyConnected(g,
                wide ? FullyConnectedReference.QS16_QC8W : FullyConnectedReference.QS16_QC8W_GEMM);
    }

    /** The packed GEMM (the NEON test vectors replay it under qemu). */
    Qs16Gemm gemm() {
        return gemm;
    }

    @Override
    public String name() {
        return gemm.name;
    }

    @Override
    public long workerScratchBytes() {
        return gemm.workerScratchBytes();
    }

    @Override
    public void run(QuantParams p, ExecutionState s) {
        long in = s.address(p.input());
        long out = s.address(p.output());
        if (in == 0 || out == 0) {
            reference.run(p, s);
            return;
        }
        int tasks = gemm.tasks(s.threads());
        if (tasks == 1) {
            gemm.run(in, out, 0, 0, 1);
        } else {
            s.parallelFor(tasks, this, p);
        }
    }

    @Override
    public void run(QuantParams p, ExecutionState s, int task, int worker) {
        gemm.run(s.address(p.input()), s.address(p.output()), 0, task, s.threads());
    }
}
