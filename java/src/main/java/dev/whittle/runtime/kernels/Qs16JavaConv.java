package dev.whittle.runtime.kernels;

import dev.whittle.internal.vectorization.Int16Gemm;
import dev.whittle.internal.vectorization.Int16Kernels;
import dev.whittle.internal.vectorization.VectorizationProvider;
import dev.whittle.runtime.ExecutionState;
import dev.whittle.runtime.Kernel;
import dev.whittle.runtime.ParallelTask;
import dev.whittle.runtime.kernels.reference.ConvKernels;
import dev.whittle.runtime.kernels.reference.ConvParams;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * CONV_2D 16x8 on the Java path ({@code qs16_qc8w_conv2d_gemm_4x32__panama512},
 * {@code _4x16__panama256}, {@code _4x8__scalar}): the filter packed once at prepare
 * ({@link Int16Gemm}, int64 output stage); per invoke each task runs a block of output pixels
 * through the {@link Int16Kernels} GEMM. A 1x1, stride-1, unpadded convolution reads the input
 * in place (its pixels are rows of K = inC shorts); others gather the receptive fields into a
 * panel in the worker's scratch (im2col), zeros for taps outside the image (the zero point is
 * 0, and the reference skips those taps). Bit-exact with {@link ConvKernels#QS16_QC8W}, which
 * runs when the tensors are not in native memory.
 */
public final class Qs16JavaConv implements Kernel<ConvParams>, WorkerScratch, ParallelTask<ConvParams> {
    private final String name;
    private final Int16Kernels kernels;
    private final Int16Gemm gemm;
    private final boolean direct;
    private final int rowsPerBlock;
    private final int pixels;
    private final int rowBlocks;
    private final int k;
    private final int n;
    private final long panelBytes;
    private final int input;
    private final int output;
    private final Qs16JavaGemmBlocks.Im2col im2col;

    private Qs16JavaConv(String name, Int16Kernels kernels, Int16Gemm gemm, ConvParams p, int k, int pixels) {
        this.name = name;
        this.kernels = kernels;
        this.gemm = gemm;
        this.k = k;
        this.n = p.outC();
        this.pixels = pixels;
        this.im2col = Qs16JavaGemmBlocks.Im2col.of(p);
        this.direct = im2col.direct();
        this.rowsPerBlock = Qs16JavaGemmBlocks.rowsPerBlock(k);
        this.rowBlocks = (pixels + rowsPerBlock - 1) / rowsPerBlock;
        this.panelBytes = direct ? 0 : Int8GemmBlocks.align(2L * rowsPerBlock * k);
        this.input = p.input();
        this.output = p.output();
    }

    /** The kernel for one node, or null for what it does not handle (grouped, zero points, sizes, multipliers). */
    public static Qs16JavaConv create(VectorizationProvider provider, ConvParams p, ByteBuffer filter,
            ByteBuffer bias) {
        if (p.filterInC() != p.inC() || p.inputOffset() != 0 || p.outputOffset() != 0 || p.filterOffset() != 0
                || (p.bias() >= 0 && bias == null) || p.batches() <= 0 || p.outH() <= 0 || p.outW() <= 0
                || p.inC() <= 0 || p.outC() <= 0 || p.kh() <= 0 || p.kw() <= 0) {
            return null;
        }
        int k;
        int pixels;
        int weights;
        try {
            k = Math.multiplyExact(Math.multiplyExact(p.kh(), p.kw()), p.inC());
            pixels = Math.multiplyExact(Math.multiplyExact(p.batches(), p.outH()), p.outW());
            weights = Math.multiplyExact(k, p.outC());
            Math.multiplyExact(2, Math.multiplyExact(Math.multiplyExact(p.batches(), p.inH()),
                    Math.multiplyExact(p.inW(), p.inC())));
            Math.multiplyExact(2, Math.multiplyExact(pixels, p.outC()));
        } catch (ArithmeticException e) {
            return null;
        }
        byte[] w = new byte[weights];
        filter.get(0, w);
        long[] b = null;
        if (bias != null) {
            ByteBuffer le = bias.duplicate().order(ByteOrder.LITTLE_ENDIAN);
            b = new long[p.outC()];
            for (int o = 0; o < b.length; o++) {
                b[o] = le.getLong(o * 8);
            }
        }
        Int16Kernels kernels = provider.int16();
        Int16Gemm g = Int16Gemm.pack(kernels, w, k, p.outC(), b, Int16Gemm.STAGE_INT64, p.multipliers(), p.shifts(),
                null, p.actMin(), p.actMax());
        if (g == null) {
            return null;
        }
        return new Qs16JavaConv(Qs16JavaGemmBlocks.name("qs16_qc8w_conv2d", kernels, provider.isa()), kernels, g, p,
                k, pixels);
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public long workerScratchBytes() {
        return panelBytes + Qs16JavaGemmBlocks.tmpBytes(kernels);
    }

    @Override
    public void run(ConvParams p, ExecutionState s) {
        if (s.address(input) == 0 || s.address(output) == 0 || s.workerScratchAddress(0) == 0) {
            ConvKernels.QS16_QC8W.run(p, s);
            return;
        }
        s.parallelFor(rowBlocks * Int8GemmBlocks.channelSplits(rowBlocks, gemm.tiles(), s.threads()), this, p);
    }

    @Override
    public void run(ConvParams p, ExecutionState s, int task, int worker) {
        int splits = Int8GemmBlocks.channelSplits(rowBlocks, gemm.tiles(), s.threads());
        int block = task / splits;
        int split = task % splits;
        int m0 = block * rowsPerBlock;
        int rows = Math.min(rowsPerBlock, pixels - m0);
        int tiles = gemm.tiles();
        int t0 = (int) ((long) split * tiles / splits);
        int t1 = (int) ((long) (split + 1) * tiles / splits);
        long in = s.address(input);
        long scratch = s.workerScratchAddress(worker);
        long a;
        if (direct) {
            a = in + 2L * m0 * k;
        } else {
            a = scratch;
            im2col.rows(in, m0, rows, scratch);
        }
        Qs16JavaGemmBlocks.run(kernels, gemm, rows, a, t0, t1, s.address(output) + 2L * m0 * n, scratch + panelBytes);
    }

    @Override
    public String toString() {
        return name;
    }
}
