package dev.whittle.runtime.kernels;

import dev.whittle.internal.vectorization.Int8Gemm;
import dev.whittle.internal.vectorization.Int8GemmKernels;
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
 * CONV_2D for int8 and uint8 ({@code qs8}, {@code qs8_qc8w}, {@code qu8}) on the Java path:
 * an im2col GEMM. The filter ({@code [outC][kh][kw][inC]}, i.e. rows of
 * {@code K = kh * kw * inC}) is packed once at prepare ({@link Int8Gemm}); per invoke, each
 * task gathers a block of output pixels' receptive fields into a panel of rows of K bytes in
 * its worker's native scratch (taps outside the image hold the input zero point, so
 * {@code x + inputOffset = 0} there, as the reference's skipped taps) and runs the
 * {@link Int8GemmKernels} micro-kernel over it. A 1x1, stride-1, unpadded convolution reads
 * the input in place: its pixels already are rows of K bytes.
 *
 * <p>Bit-exact with {@link ConvKernels}: int8 requantizes with ruy's rounding, uint8 with
 * gemmlowp's ({@code FixedPoint}), as the reference kernels do. When the tensors are not in
 * native memory (compile-time folding) it runs the reference kernel.
 */
public final class Int8Conv2D implements Kernel<ConvParams>, WorkerScratch, ParallelTask<ConvParams> {
    private final String name;
    private final Int8GemmKernels kernels;
    private final Int8Gemm gemm;
    private final Kernel<ConvParams> reference;
    private final boolean direct;
    private final int rowsPerBlock;
    private final int pixels;
    private final int k;
    private final int n;
    private final long panelBytes;
    private final byte padByte;
    // Geometry, copied from the params for the im2col loop.
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

    private Int8Conv2D(String name, Int8GemmKernels kernels, Int8Gemm gemm, ConvParams p, int k, int pixels,
            int rowsPerBlock) {
        this.name = name;
        this.kernels = kernels;
        this.gemm = gemm;
        this.reference = p.kernel();
        this.k = k;
        this.n = p.outC();
        this.pixels = pixels;
        this.direct = p.kh() == 1 && p.kw() == 1 && p.strideH() == 1 && p.strideW() == 1 && p.padH() == 0
                && p.padW() == 0 && p.outH() == p.inH() && p.outW() == p.inW();
        this.rowsPerBlock = rowsPerBlock;
        this.panelBytes = direct ? 0 : Int8GemmBlocks.align((long) rowsPerBlock * k);
        this.padByte = (byte) -p.inputOffset();
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

    /**
     * The Java-path kernel for one node, or null for a node it does not handle (grouped,
     * sizes past int range, a multiplier outside the output stage's range).
     *
     * @param family {@code qs8_conv2d}, {@code qs8_qc8w_conv2d} or {@code qu8_conv2d}
     * @param provider whose micro-kernel to use ({@link VectorizationProvider#get()} in
     *     dispatch; tests also pass {@link VectorizationProvider#plain()})
     */
    public static Int8Conv2D create(KernelFamily<?> family, VectorizationProvider provider, ConvParams p,
            ByteBuffer filter, ByteBuffer bias) {
        if (p.filterInC() != p.inC() || p.batches() < 1) {
            return null;
        }
        int k;
        int pixels;
        int weights;
        try {
            k = Math.multiplyExact(Math.multiplyExact(p.kh(), p.kw()), p.inC());
            pixels = Math.multiplyExact(Math.multiplyExact(p.batches(), p.outH()), p.outW());
            weights = Math.multiplyExact(k, p.outC());
            Math.multiplyExact(Math.multiplyExact(p.batches(), p.inH()), Math.multiplyExact(p.inW(), p.inC()));
            Math.multiplyExact(pixels, p.outC());
        } catch (ArithmeticException e) {
            return null;
        }
        if (k == 0 || pixels == 0 || p.outC() == 0) {
            return null;
        }
        boolean unsigned = family.name().startsWith("qu8_");
        byte[] w = new byte[weights];
        filter.get(0, w);
        int[] b = null;
        if (bias != null) {
            b = new int[p.outC()];
            ByteBuffer le = bias.duplicate().order(ByteOrder.LITTLE_ENDIAN);
            for (int o = 0; o < b.length; o++) {
                b[o] = le.getInt(o * 4);
            }
        }
        Int8GemmKernels kernels = provider.int8Gemm();
        Int8Gemm g = Int8Gemm.pack(kernels, w, k, p.outC(), unsigned, b, p.inputOffset(),
                unsigned ? p.filterOffset() : 0, p.outputOffset(), p.multipliers(), p.shifts(), p.actMin(), p.actMax(),
                !unsigned);
        if (g == null) {
            return null;
        }
        String name = family.name() + "_gemm_" + Int8GemmKernels.MR + "x" + kernels.nr() + "__" + provider.isa();
        return new Int8Conv2D(name, kernels, g, p, k, pixels, Int8GemmBlocks.rowsPerBlock(k));
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public long workerScratchBytes() {
        return panelBytes + Int8GemmBlocks.scratchBytes(kernels);
    }

    @Override
    public void run(ConvParams p, ExecutionState s) {
        if (s.address(input) == 0 || s.address(output) == 0 || s.workerScratchAddress(0) == 0) {
            reference.run(p, s);
            return;
        }
        int rowsPerTask = Int8GemmBlocks.rowsPerTask(pixels, rowsPerBlock, s.threads());
        int blocks = (pixels + rowsPerTask - 1) / rowsPerTask;
        s.parallelFor(blocks * Int8GemmBlocks.channelSplits(blocks, gemm.tiles(), s.threads()), this, p);
    }

    @Override
    public void run(ConvParams p, ExecutionState s, int task, int worker) {
        int rowsPerTask = Int8GemmBlocks.rowsPerTask(pixels, rowsPerBlock, s.threads());
        int blocks = (pixels + rowsPerTask - 1) / rowsPerTask;
        int splits = Int8GemmBlocks.channelSplits(blocks, gemm.tiles(), s.threads());
        int block = task / splits;
        int split = task % splits;
        int m0 = block * rowsPerTask;
        int rows = Math.min(rowsPerTask, pixels - m0);
        int tiles = gemm.tiles();
        int t0 = (int) ((long) split * tiles / splits);
        int t1 = (int) ((long) (split + 1) * tiles / splits);
        long in = s.address(input);
        long scratch = s.workerScratchAddress(worker);
        long a;
        if (direct) {
            a = in + (long) m0 * k;
        } else {
            a = scratch;
            im2col(in, m0, rows, scratch);
        }
        Int8GemmBlocks.run(kernels, gemm, rows, a, t0, t1, s.address(output) + (long) m0 * n, scratch + panelBytes);
    }

    /** Rows {@code [0, rows)} of the panel at {@code panel}: the receptive fields of pixels {@code m0..}. */
    private void im2col(long in, int m0, int rows, long panel) {
        int plane = outH * outW;
        int tapRow = kw * inC;
        for (int r = 0; r < rows; r++) {
            int pixel = m0 + r;
            int b = pixel / plane;
            int rem = pixel - b * plane;
            int oy = rem / outW;
            int ox = rem - oy * outW;
            long dst = panel + (long) r * k;
            int ix0 = ox * strideW - padW;
            boolean rowInside = dilW == 1 && ix0 >= 0 && ix0 + kw <= inW;
            for (int fy = 0; fy < kh; fy++) {
                int iy = oy * strideH - padH + dilH * fy;
                long d = dst + (long) fy * tapRow;
                if (iy < 0 || iy >= inH) {
                    fill(d, tapRow);
                    continue;
                }
                long rowBase = in + ((long) (b * inH + iy) * inW) * inC;
                if (rowInside) {
                    copy(rowBase + (long) ix0 * inC, d, tapRow);
                    continue;
                }
                for (int fx = 0; fx < kw; fx++) {
                    int ix = ix0 + dilW * fx;
                    long dt = d + (long) fx * inC;
                    if (ix < 0 || ix >= inW) {
                        fill(dt, inC);
                    } else {
                        copy(rowBase + (long) ix * inC, dt, inC);
                    }
                }
            }
        }
    }

    private void fill(long dst, int bytes) {
        for (int i = 0; i < bytes; i++) {
            Int8GemmBlocks.NATIVE.set(ValueLayout.JAVA_BYTE, dst + i, padByte);
        }
    }

    private static void copy(long src, long dst, int bytes) {
        if (bytes >= 32) {
            java.lang.foreign.MemorySegment.copy(Int8GemmBlocks.NATIVE, src, Int8GemmBlocks.NATIVE, dst, bytes);
        } else {
            for (int i = 0; i < bytes; i++) {
                Int8GemmBlocks.NATIVE.set(ValueLayout.JAVA_BYTE, dst + i,
                        Int8GemmBlocks.NATIVE.get(ValueLayout.JAVA_BYTE, src + i));
            }
        }
    }

    @Override
    public String toString() {
        return name;
    }

    // ---- issue 9, Java weight-format kernels (JavaWeightKernels): this driver (im2col, blocks,
    // tasks, reference fallback) over another micro-kernel ----

    /**
     * This class's driver over {@code kernels} and {@code gemm} (a weight-format micro-kernel
     * bound to its own weights), for a node that {@link #create} would accept; the caller
     * checked it ({@link JavaWeightKernels}); rows per block as given ({@link Int8GemmBlocks#rowsPerBlock}
     * for a 4-row micro-kernel, any count for an {@code Int8BlockKernels}).
     */
    static Int8Conv2D withKernels(String name, Int8GemmKernels kernels, Int8Gemm gemm, ConvParams p,
            int rowsPerBlock) {
        int k = p.kh() * p.kw() * p.inC();
        int pixels = p.batches() * p.outH() * p.outW();
        return new Int8Conv2D(name, kernels, gemm, p, k, pixels, rowsPerBlock);
    }
}
