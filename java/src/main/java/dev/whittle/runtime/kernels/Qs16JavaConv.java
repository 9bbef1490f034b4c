package dev.whittle.runtime.kernels;

import dev.whittle.internal.vectorization.Int16Gemm;
import dev.whittle.internal.vectorization.Int16Kernels;
import dev.whittle.internal.vectorization.VectorizationProvider;
import dev.whittle.runtime.ExecutionState;
import dev.whittle.runtime.Kernel;
import dev.whittle.runtime.ParallelTask;
import dev.whittle.runtime.kernels.reference.ConvKernels;
import dev.whittle.runtime.kernels.reference.ConvParams;

import java.lang.foreign.ValueLayout;
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
    private final int inH;
    private final int inW;
    private final int inC;
    private final int outH;
    private final int outW;
    private final int kh;
    private final int kw;
    private final int strideH;
    private final int strideW;
    private final int dilH;
    private final int dilW;
    private final int padH;
    private final int padW;

    private Qs16JavaConv(String name, Int16Kernels kernels, Int16Gemm gemm, ConvParams p, int k, int pixels) {
        this.name = name;
        this.kernels = kernels;
        this.gemm = gemm;
        this.k = k;
        this.n = p.outC();
        this.pixels = pixels;
        this.direct = p.kh() == 1 && p.kw() == 1 && p.strideH() == 1 && p.strideW() == 1 && p.padH() == 0
                && p.padW() == 0 && p.outH() == p.inH() && p.outW() == p.inW();
        this.rowsPerBlock = Qs16JavaGemmBlocks.rowsPerBlock(k);
        this.rowBlocks = (pixels + rowsPerBlock - 1) / rowsPerBlock;
        this.panelBytes = direct ? 0 : Int8GemmBlocks.align(2L * rowsPerBlock * k);
        this.input = p.input();
        this.output = p.output();
        this.inH = p.inH();
        this.inW = p.inW();
        this.inC = p.inC();
        this.outH = p.outH();
        this.outW = p.outW();
        this.kh = p.kh();
        this.kw = p.kw();
        this.strideH = p.strideH();
        this.strideW = p.strideW();
        this.dilH = p.dilH();
        this.dilW = p.dilW();
        this.padH = p.padH();
        this.padW = p.padW();
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
            im2col(in, m0, rows, scratch);
        }
        Qs16JavaGemmBlocks.run(kernels, gemm, rows, a, t0, t1, s.address(output) + 2L * m0 * n, scratch + panelBytes);
    }

    /** Rows {@code [0, rows)} of the panel at {@code panel}: the receptive fields of pixels {@code m0..}. */
    private void im2col(long in, int m0, int rows, long panel) {
        int plane = outH * outW;
        long tapRow = 2L * kw * inC;
        long tap = 2L * inC;
        for (int r = 0; r < rows; r++) {
            int pixel = m0 + r;
            int b = pixel / plane;
            int rem = pixel - b * plane;
            int oy = rem / outW;
            int ox = rem - oy * outW;
            long dst = panel + 2L * r * k;
            int ix0 = ox * strideW - padW;
            boolean rowInside = dilW == 1 && ix0 >= 0 && ix0 + kw <= inW;
            for (int fy = 0; fy < kh; fy++) {
                int iy = oy * strideH - padH + dilH * fy;
                long d = dst + fy * tapRow;
                if (iy < 0 || iy >= inH) {
                    fill(d, tapRow);
                    continue;
                }
                long rowBase = in + 2L * ((long) (b * inH + iy) * inW) * inC;
                if (rowInside) {
                    copy(rowBase + ix0 * tap, d, tapRow);
                    continue;
                }
                for (int fx = 0; fx < kw; fx++) {
                    int ix = ix0 + dilW * fx;
                    long dt = d + fx * tap;
                    if (ix < 0 || ix >= inW) {
                        fill(dt, tap);
                    } else {
                        copy(rowBase + ix * tap, dt, tap);
                    }
                }
            }
        }
    }

    private static void fill(long dst, long bytes) {
        long i = 0;
        for (; i + 8 <= bytes; i += 8) {
            Int8GemmBlocks.NATIVE.set(ValueLayout.JAVA_LONG_UNALIGNED, dst + i, 0L);
        }
        for (; i < bytes; i++) {
            Int8GemmBlocks.NATIVE.set(ValueLayout.JAVA_BYTE, dst + i, (byte) 0);
        }
    }

    private static void copy(long src, long dst, long bytes) {
        if (bytes >= 64) {
            java.lang.foreign.MemorySegment.copy(Int8GemmBlocks.NATIVE, src, Int8GemmBlocks.NATIVE, dst, bytes);
            return;
        }
        long i = 0;
        for (; i + 8 <= bytes; i += 8) {
            Int8GemmBlocks.NATIVE.set(ValueLayout.JAVA_LONG_UNALIGNED, dst + i,
                    Int8GemmBlocks.NATIVE.get(ValueLayout.JAVA_LONG_UNALIGNED, src + i));
        }
        for (; i < bytes; i++) {
            Int8GemmBlocks.NATIVE.set(ValueLayout.JAVA_BYTE, dst + i, Int8GemmBlocks.NATIVE.get(ValueLayout.JAVA_BYTE,
                    src + i));
        }
    }

    @Override
    public String toString() {
        return name;
    }
}
