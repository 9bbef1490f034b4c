package dev.whittle.runtime.kernels;

import dev.whittle.runtime.ExecutionState;
import dev.whittle.runtime.Kernel;
import dev.whittle.runtime.ParallelTask;
import dev.whittle.runtime.kernels.reference.ConvKernels;
import dev.whittle.runtime.kernels.reference.ConvParams;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * CONV_2D 16x8 ({@code qs16_qc8w_conv2d_gemm_*}) in libwhittle: the convolution as a GEMM
 * over output pixels (1x1 without padding reads the input in place, others im2col into the
 * worker's scratch, zeros for padding since the zero point is 0), int16 x int8 pairs summed
 * exactly (int32 for at most 255 pairs, then int64), the int64 bias, and TFLite's int64
 * {@code MultiplyByQuantizedMultiplier}: bit-exact with {@link ConvKernels#QS16_QC8W}, which
 * also runs when the tensors are not in native memory.
 */
public final class Qs16NativeConv implements Kernel<ConvParams>, ParallelTask<ConvParams>, WorkerScratch {
    private final Qs16Gemm gemm;

    private Qs16NativeConv(Qs16Gemm gemm) {
        this.gemm = gemm;
    }

    /** The kernel for one node on {@code isa}, or null for what it does not handle. */
    static Qs16NativeConv create(Qs16Gemm.Isa isa, ConvParams p, ByteBuffer filter, ByteBuffer bias) {
        if (p.groups() != 1 || p.inputOffset() != 0 || p.outputOffset() != 0 || p.filterOffset() != 0
                || (p.bias() >= 0 && bias == null) || p.batches() <= 0 || p.outH() <= 0 || p.outW() <= 0
                || p.inC() <= 0 || p.outC() <= 0 || p.kh() <= 0 || p.kw() <= 0) {
            return null;
        }
        int n = p.outC();
        long[] mult = new long[n];
        long[] shift = new long[n];
        long[] rnd = new long[n];
        for (int c = 0; c < n; c++) {
            int m = p.multipliers()[c];
            int s = p.shifts()[c];
            if (m < 0 || s < -31 || s >= 8) {
                return null; // the reference throws for these; let it
            }
            mult[c] = Qs16Gemm.reducedMultiplier(m);
            shift[c] = 15 - s;
            rnd[c] = 1L << (shift[c] - 1);
        }
        long[] b = null;
        if (bias != null) {
            ByteBuffer bb = bias.duplicate().order(ByteOrder.LITTLE_ENDIAN);
            b = new long[n];
            for (int c = 0; c < n; c++) {
                b[c] = bb.getLong(c * 8);
            }
        }
        long[] geometry = {p.batches(), p.inH(), p.inW(), p.inC(), p.outH(), p.outW(), n, p.kh(), p.kw(),
            p.strideH(), p.strideW(), p.dilH(), p.dilW(), p.padH(), p.padW()};
        if ((long) p.kh() * p.kw() * p.inC() * n > Integer.MAX_VALUE) {
            return null;
        }
        return new Qs16NativeConv(new Qs16Gemm(isa, "conv2d", geometry, filter, b, Qs16Gemm.STAGE_INT64, mult, shift,
                rnd, null, p.actMin(), p.actMax()));
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
    public void run(ConvParams p, ExecutionState s) {
        long in = s.address(p.input());
        long out = s.address(p.output());
        if (in == 0 || out == 0 || (!gemm.direct && s.workerScratchAddress(0) == 0)) {
            ConvKernels.QS16_QC8W.run(p, s);
            return;
        }
        int tasks = gemm.tasks(s.threads());
        if (tasks == 1) {
            gemm.run(in, out, s.workerScratchAddress(0), 0, 1);
        } else {
            s.parallelFor(tasks, this, p);
        }
    }

    @Override
    public void run(ConvParams p, ExecutionState s, int task, int worker) {
        gemm.run(s.address(p.input()), s.address(p.output()), s.workerScratchAddress(worker), task, s.threads());
    }
}
