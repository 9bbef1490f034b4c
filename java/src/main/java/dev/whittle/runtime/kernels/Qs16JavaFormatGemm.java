package dev.whittle.runtime.kernels;

import dev.whittle.internal.vectorization.Int16SparseGemm;
import dev.whittle.internal.vectorization.VectorizationProvider;

import java.nio.ByteBuffer;

/**
 * 16x8 CONV_2D and FULLY_CONNECTED on pruned and 2:4 weights on the Java path (issue 9, "Java
 * Vector API versions" of the 16x8 formats): {@code qs16_qc8w_{conv2d,fully_connected}_sparse_16x1__panama512},
 * {@code _sp24_16x1__panama512}, {@code _lut4_16x1__panama512} ({@code _8x1__panama256} on AVX2
 * JVMs, {@code _1x1__scalar} twins)
 * on {@link Int16SparseGemm}'s micro-kernels: blocks of output pixels (a 1x1 stride-1 unpadded
 * convolution and FULLY_CONNECTED read the input in place, others im2col into the worker's scratch,
 * zeros for padding: the zero point is 0) times ranges of channels, one task each. Bit-exact with
 * the 16x8 reference kernels, which run when the tensors are not in native memory.
 *
 * <p>A factory accepts a node only where its dense family runs on the Java path
 * ({@code -Dwhittle.kernels=java}, or no native library), as {@link JavaWeightKernels} does.
 */
public final class Qs16JavaFormatGemm extends Qs16FormatGemm {
    /*
     * auto's cost model of the Java path, measured with Qs16WeightFormatCompare.main (bench/; args:
     * 100 FORMAT SHAPES CLUSTERS java java SPARSITY): the dense Java 16x8 GEMM (gemm_4x32__panama512)
     * and the format kernel on the same random weights, one process, invoked alternately 100 times,
     * one thread, min times; Zen 4, AVX-512 JVM, shared 2-vCPU machine at load ~5 (ratios within
     * ~5% are noise). dense / format, above 1 the format is faster:
     *
     *   shape (K)               sp24   sparse 80%  90%   lut4 (16/channel)
     *   56x56x32x32 (32)        0.75   0.92       0.95   0.59
     *   28x28x64x64 (64)        0.91   1.30       1.42   0.64
     *   14x14x128x128 (128)     1.00   1.68       2.00   0.60
     *   7x7x256x256 (256)       0.95   1.66       2.27   0.55
     *   FC 256 -> 1001 batch 1  0.40   0.71       0.51   0.23
     *   FC 256 -> 1001 batch 32 0.89   1.14       1.62   0.46
     *
     * 2:4 at 50% zeros does half the dense multiplies but pays a position decode and two row
     * addresses per group (no int16 multiply-add in the Vector API to pair the kept weights), so
     * it stays at parity at best; the LUT kernel decodes every weight from its nibble on the scalar
     * side (no byte shuffle into the int multiply), 0.55-0.64: both only on request, for memory
     * (2:4 0.75 of dense int8, LUT 0.56 at K = 256). Sparse pays from K = 64 at 80% zeros, not at
     * K = 32 or with few pixels (lanes are pixels): the int8 Java kernel's gates hold.
     */
    /** auto: the Java 16x8 sparse kernel from this many output pixels on ... */
    static final long AUTO_SPARSE_MIN_M = 32;
    /** ... from this fraction of zero weights on ... */
    static final double AUTO_SPARSE_MIN_ZEROS = 0.75;
    /** ... and from this K on. */
    static final int AUTO_SPARSE_MIN_K = 64;
    /** auto: the Java 16x8 2:4 kernel (false: only with {@code --kernels sparse}). */
    static final boolean AUTO_SP24 = false;
    /** auto: the Java 16x8 LUT kernel (false: only with {@code --kernels lut}). */
    static final boolean AUTO_LUT = false;
    /** Channels per task range. */
    private static final int CHANNEL_TILE = 8;

    /** The formats. */
    public enum Format {
        /** Non-zero weights per channel, any pattern. */
        SPARSE("sparse"),
        /** 2:4 layers: two kept weights and a position byte per group of 4 K. */
        SP24("sp24"),
        /** Clustered layers (at most 16 values per channel): 4-bit indices and a table per channel. */
        LUT("lut4");

        final String variant;

        Format(String variant) {
            this.variant = variant;
        }
    }

    private final Int16SparseGemm gemm;
    private final Int16SparseGemm.Kernels kernels;
    private final Qs16JavaGemmBlocks.Im2col im2col;
    private final boolean direct;
    private final int rowsPerBlock;
    private final int pixels;
    private final int rowBlocks;
    private final int k;
    private final int n;
    private final long panelBytes;

    private Qs16JavaFormatGemm(String name, Int16SparseGemm gemm, Qs16FormatNode node, int rowsPerBlock) {
        super(name, node.reference());
        this.gemm = gemm;
        this.kernels = gemm.kernels();
        this.k = node.k();
        this.n = node.n();
        this.pixels = (int) node.m();
        this.im2col = Qs16JavaGemmBlocks.Im2col.of(node.geometry());
        this.direct = im2col.direct();
        this.rowsPerBlock = rowsPerBlock;
        this.rowBlocks = (pixels + rowsPerBlock - 1) / rowsPerBlock;
        this.panelBytes = direct ? 0 : Int8GemmBlocks.align(2L * rowsPerBlock * k);
    }

    private static boolean denseOnJava(KernelFamily<?> dense) {
        return KernelRegistry.select(dense).path() == KernelPath.JAVA;
    }

    private static boolean accepts(Format f, WeightStats stats, long rows, boolean gated) {
        boolean auto = gated && WeightFormat.current() == WeightFormat.AUTO;
        return switch (f) {
            case SPARSE -> !auto || (rows >= AUTO_SPARSE_MIN_M && stats.sparsity() >= AUTO_SPARSE_MIN_ZEROS
                    && stats.k() >= AUTO_SPARSE_MIN_K);
            case SP24 -> stats.conforms24() && (!auto || AUTO_SP24);
            case LUT -> stats.distinctChannelMax() <= 16 && (!auto || AUTO_LUT);
        };
    }

    private static Qs16JavaFormatGemm of(Format f, VectorizationProvider provider, String op, Qs16FormatNode node,
            ByteBuffer weights, int[] multipliers, int[] shifts, double[] scales, WeightStats stats, boolean gated) {
        if (node == null || node.m() > Integer.MAX_VALUE || !accepts(f, stats, node.m(), gated)
                || (long) node.k() * node.n() > Integer.MAX_VALUE - 64) {
            return null;
        }
        byte[] w = new byte[node.k() * node.n()];
        weights.get(0, w);
        int lanes = provider.vectorized() ? provider.int8Gemm().nr() / 2 : 4;
        int block = JavaWeightKernels.sparseRowsPerBlock(node.k(), node.m(), lanes);
        Int16SparseGemm g = switch (f) {
            case SP24 -> Int16SparseGemm.pack24(provider, w, node.k(), node.n(), block, node.bias(), node.stage(),
                    multipliers, shifts, scales, node.actMin(), node.actMax());
            case LUT -> Int16SparseGemm.packLut(provider, w, node.k(), node.n(), block, node.bias(), node.stage(),
                    multipliers, shifts, scales, node.actMin(), node.actMax());
            case SPARSE -> Int16SparseGemm.pack(provider, w, node.k(), node.n(), block, node.bias(), node.stage(),
                    multipliers, shifts, scales, node.actMin(), node.actMax());
        };
        if (g == null) {
            return null;
        }
        String name = "qs16_qc8w_" + op + "_" + f.variant + "_" + g.kernels().lanes() + "x1__" + provider.isa();
        return new Qs16JavaFormatGemm(name, g, node, block);
    }

    /** The CONV_2D factory of format {@code f}; {@code gated}: only where the dense family runs on Java, auto's cost model. */
    public static WeightFormatConvFactory conv(Format f, VectorizationProvider provider, boolean gated) {
        return (dense, p, filter, bias, stats) -> {
            if (gated && !denseOnJava(dense)) {
                return null;
            }
            Qs16JavaFormatGemm g = of(f, provider, "conv2d", Qs16FormatNode.conv(dense, p, bias), filter,
                    p.multipliers(), p.shifts(), null, stats, gated);
            return g == null ? null : g.conv();
        };
    }

    /** The FULLY_CONNECTED factory of format {@code f}. */
    public static WeightFormatFcFactory fc(Format f, VectorizationProvider provider, boolean gated) {
        return (dense, p, weights, bias, stats) -> {
            if (gated && !denseOnJava(dense)) {
                return null;
            }
            boolean wide = p.realScales() != null;
            Qs16JavaFormatGemm g = of(f, provider, "fully_connected", Qs16FormatNode.fc(dense, p, bias), weights,
                    wide ? null : p.multipliers(), wide ? null : p.shifts(), wide ? p.realScales() : null, stats,
                    gated);
            return g == null ? null : g.fc();
        };
    }

    @Override
    long workerScratchBytes() {
        return panelBytes + Int8GemmBlocks.align(kernels.tmpBytes() + 64);
    }

    private int channelTiles() {
        return (n + CHANNEL_TILE - 1) / CHANNEL_TILE;
    }

    @Override
    long packedWeightBytes() {
        return gemm.packedBytes();
    }

    @Override
    int tasks(int threads) {
        return rowBlocks * Int8GemmBlocks.channelSplits(rowBlocks, channelTiles(), threads);
    }

    @Override
    void run(long in, long out, long scratch, int task, int threads) {
        int tiles = channelTiles();
        int splits = Int8GemmBlocks.channelSplits(rowBlocks, tiles, threads);
        int block = task / splits;
        int split = task % splits;
        int m0 = block * rowsPerBlock;
        int rows = Math.min(rowsPerBlock, pixels - m0);
        int c0 = (int) ((long) split * tiles / splits) * CHANNEL_TILE;
        int c1 = Math.min(n, (int) ((long) (split + 1) * tiles / splits) * CHANNEL_TILE);
        if (rows <= 0 || c0 >= c1) {
            return;
        }
        long a;
        if (direct) {
            a = in + 2L * m0 * k;
        } else {
            a = scratch;
            im2col.rows(in, m0, rows, scratch);
        }
        long tmp = (scratch + panelBytes + 63) & ~63L;
        kernels.runBlock(rows, Int8GemmBlocks.NATIVE, a, c0, c1, out + 2L * m0 * n, tmp);
    }
}
