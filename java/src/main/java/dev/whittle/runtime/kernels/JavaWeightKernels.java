package dev.whittle.runtime.kernels;

import dev.whittle.internal.vectorization.Int8GemmKernels;
import dev.whittle.internal.vectorization.Int8LutGemm;
import dev.whittle.internal.vectorization.Int8LutPanelGemm;
import dev.whittle.internal.vectorization.Int8SparseGemm;
import dev.whittle.internal.vectorization.VectorizationProvider;
import dev.whittle.runtime.ExecutionState;
import dev.whittle.runtime.Kernel;
import dev.whittle.runtime.kernels.reference.ConvParams;
import dev.whittle.runtime.kernels.reference.FullyConnectedReference;
import dev.whittle.runtime.kernels.reference.FullyConnectedReference.QuantParams;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The weight-format kernels of the Java path (issue 9, "Java Vector API versions"): CONV_2D and
 * FULLY_CONNECTED for {@code qs8}, {@code qs8_qc8w} and {@code qu8} on the Java int8 GEMM's
 * driver ({@link Int8Conv2D}, {@link Int8FullyConnected}: im2col, blocks, tasks, reference
 * fallback) with a micro-kernel that reads another weight format. Named
 * {@code <dense family>_<format>_4x<nr>__<panama256|panama512|scalar>}.
 *
 * <p>A factory here accepts a node only where its dense family runs on the Java path
 * ({@code -Dwhittle.kernels=java}, or no native library): a Java format kernel never replaces a
 * native dense one. In {@code auto} it also applies its own cost model (below).
 */
public final class JavaWeightKernels {
    // The cost model of the Java path (auto). Measured with JavaWeightFormatBenchmark.main (bench/):
    // the dense Java GEMM and the format kernel on the same qu8 weights, one process, invoked
    // alternately 100-150 times on one thread, min times; Zen 4, AVX-512 (panama512), a shared
    // 2-vCPU machine (ratios within ~5% are noise). dense / format, MobileNet v2 1x1 shapes
    // HxWxKxN and the FC 1280 -> 1001 (kernels/README.md "Java path weight formats"):
    //
    //   shape            lut4   sparse 50%  80%   90%   sp24
    //   56x56x24x144     0.90   0.87  1.01-1.32 1.08   0.89
    //   56x56x144x24     0.87   1.03  1.31-1.40 1.37-1.58 0.93
    //   28x28x32x192     0.91   0.83  1.03-1.10 0.97-1.16 0.87
    //   28x28x192x32     0.87   0.89  1.20-1.36 1.28-1.41 0.84
    //   14x14x96x576     0.87   1.00  1.42-1.59 1.59-1.89 0.92
    //   14x14x576x96     0.85   0.93  1.57-1.80 2.19-2.43 0.75
    //   7x7x320x1280     0.84   1.02  1.98-2.21 2.70-3.20 0.96
    //   FC batch 1       0.96   0.12  0.26-0.46 0.42-0.46 0.06
    //   FC batch 4       0.84   0.28  0.60-0.61 1.11-1.14 0.15

    /**
     * auto: the Java LUT kernel never (at most this many rows: none). It decodes two k per index
     * load into the dense kernel's outer product, so it does the dense work plus the decode:
     * 0.84-0.91 of dense on the 1x1 shapes, 0.84-0.96 on the FC (table above). {@code
     * -Dwhittle.weights=lut} forces it, for the memory (indices 0.50-0.57 of dense int8 at K >= 32).
     */
    static final long AUTO_LUT_MAX_M = 0;
    /**
     * auto: the Java sparse kernel from this many output pixels (rows) on: pixels are its vector
     * lanes, so at FC batch 1-4 most lanes idle (0.12-0.61 of dense, 1.11 only at 90% and batch
     * 4); 7x7 (49 pixels) measured 1.98-3.20 at 80-90%.
     */
    static final long AUTO_SPARSE_MIN_M = 32;
    /** auto: the Java sparse kernel from this fraction of zero weights on (50%: 0.83-1.03; 80%: 1.01-2.21). */
    static final double AUTO_SPARSE_MIN_ZEROS = 0.75;
    /**
     * auto: the Java sparse kernel from this K on: at K = 24..32 the transposition, the per-channel
     * output stage and the one-byte stores per pixel cost as much as the skipped multiplies
     * (1.01-1.32 at 80%, 0.97-1.16 at 90%, noisy), from K = 96 it pays (1.42-3.20).
     */
    static final int AUTO_SPARSE_MIN_K = 64;
    /**
     * auto: the Java 2:4 kernel never: at 50% zeros the sparse kernel is at parity (0.83-1.03) and
     * the 2:4 layout's position decode makes it 0.75-0.96 (the Vector API has no int16
     * multiply-add to pair the two kept weights, and gathering activations per channel lane costs
     * as much as the multiplies it saves). {@code -Dwhittle.weights=sparse} forces it, for the
     * memory (0.625 of dense int8).
     */
    static final boolean AUTO_SP24 = false;

    // ---- issue 9, session 14: the panel LUT kernels (lut4pc, lut5, lut5pc; Int8LutPanelGemm) ----
    // Measured with JavaWeightFormatBenchmark.main (lut16pc, lut32, lut32pc weights; qu8, one thread,
    // dense and format alternately 150 times, min; Zen 4 panama512, shared 2-vCPU machine, every
    // ratio taken twice; kernels/README.md "Java panel LUT kernels"): dense / format
    //
    //   shape            lut16pc     lut32       lut32pc     (AVX2, UseAVX=2, once: lut16pc lut32)
    //   56x56x24x144     0.94-1.02   0.93-0.97   0.93
    //   56x56x144x24     0.98-1.00   0.94-1.00   0.90-0.98
    //   28x28x32x192     0.98        0.96-1.02   0.94-0.97
    //   28x28x192x32     0.98-1.00   0.95-0.98   0.94-0.98
    //   14x14x96x576     0.99-1.00   0.98-0.99   0.97-0.98
    //   14x14x576x96     1.01        1.00        0.99                    1.06    1.16
    //   7x7x320x1280     0.95-0.97   0.98        0.91-0.92               0.95    1.10
    //   FC batch 1       0.36-0.39   0.46-0.73   0.20-0.50               0.35    0.66
    //   FC batch 4       0.56-0.61   0.67        0.42                    0.30    0.64
    //   (lut16pc: the blend tree; the VBMI decode: conv 0.93-1.01, FC batch 1 0.44, batch 4 0.65)
    //   whole clustered MobileNet v2 (JavaLutModelBenchmark): 16/channel 0.969, 0.971 (tree), 0.949,
    //   0.977 (VBMI); 32/channel 0.968, 32/layer 0.961
    /**
     * auto: the panel LUT kernels never: at best parity (0.97-1.01) on the 1x1 convolutions with
     * many pixels, 0.93-0.98 at K = 24..32 (the per-tile decode against few multiplies per
     * weight), 0.2-0.7 on the fully connected / one-pixel layers (the decode is all the work), and
     * 0.95-0.98 on the whole model: not "at least as fast" anywhere it can be told apart from
     * noise on the AVX-512 path. {@code -Dwhittle.weights=lut} ({@code --kernels lut,java}) takes
     * them, for the memory: clustered MobileNet v2 per channel 16 keeps 56% of dense int8's bytes.
     */
    static final boolean AUTO_LUT_PANEL = false;

    /**
     * Rows per block of the panel LUT kernels: the decode of a tile's panel is paid once per block,
     * so blocks are as large as an L2-sized im2col block allows (up to 256 rows, 256 KB).
     */
    static int lutPanelRowsPerBlock(int k) {
        int rows = 256 * 1024 / Math.max(k, 1) / Int8GemmKernels.MR * Int8GemmKernels.MR;
        return Math.max(Math.max(Int8GemmKernels.MR, Int8GemmBlocks.rowsPerBlock(k)), Math.min(256, rows));
    }

    private JavaWeightKernels() {
    }

    /** Whether the node's dense family dispatches to the Java path under the current property. */
    private static boolean denseOnJava(KernelFamily<?> dense) {
        return KernelRegistry.select(dense).path() == KernelPath.JAVA;
    }

    private static boolean int8Family(String name) {
        return name.startsWith("qs8_") || name.startsWith("qu8_");
    }

    private static int[] bias(ByteBuffer bias, int n) {
        if (bias == null) {
            return null;
        }
        int[] b = new int[n];
        ByteBuffer le = bias.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        for (int o = 0; o < n; o++) {
            b[o] = le.getInt(o * 4);
        }
        return b;
    }

    /** The weight formats with a Java kernel. */
    public enum Format {
        /**
         * 4-bit indices into one 16-entry table per layer ({@link Int8LutGemm}, {@code lut4}); else
         * per-channel 16-entry tables ({@code lut4pc}) or 5-bit indices into 32-entry tables per
         * layer or channel ({@code lut5}, {@code lut5pc}: {@link Int8LutPanelGemm}).
         */
        LUT("lut4"),
        /** Non-zero weights per channel, any pattern ({@link Int8SparseGemm}). */
        SPARSE("sparse"),
        /** The sparse kernel on 2:4 layers ({@link Int8SparseGemm}; the 2:4 family's entry). */
        SP24("sp24");

        final String variant;

        Format(String variant) {
            this.variant = variant;
        }

        /** The variant in kernel names ({@code lut4}, {@code sparse}, {@code sp24}). */
        public String variant() {
            return variant;
        }
    }

    /** What a format packs for one node: the micro-kernel, its output stage, its bytes, rows per block. */
    private record Packed(String tile, Int8GemmKernels kernels, dev.whittle.internal.vectorization.Int8Gemm gemm,
            long bytes, int rowsPerBlock, String variant) {
        Packed(String tile, Int8GemmKernels kernels, dev.whittle.internal.vectorization.Int8Gemm gemm, long bytes,
                int rowsPerBlock) {
            this(tile, kernels, gemm, bytes, rowsPerBlock, null);
        }
    }

    /**
     * The sparse kernels' transposed activations (4 bytes per pixel and k) per block: up to this
     * many bytes, so a block's x[k][m] stays in L2 while every channel's non-zeros walk it, and
     * each block reads the layer's non-zeros once (K = 1280 at 49 pixels: one block, not four).
     */
    private static final long SPARSE_BLOCK_BYTES = 192 * 1024;

    /** Rows per block of the sparse kernels: as many as fit, evenly spread, a multiple of {@code lanes}. */
    static int sparseRowsPerBlock(int k, long rows, int lanes) {
        long most = Math.max(2L * lanes, Math.min(512, SPARSE_BLOCK_BYTES / (4L * k)) / lanes * lanes);
        long blocks = (rows + most - 1) / most;
        long even = (rows + blocks - 1) / blocks;
        return (int) Math.min(most, (even + lanes - 1) / lanes * lanes);
    }

    /** Whether the format can run (and, gated in auto, should run) a layer of these weights and rows. */
    private static boolean accepts(Format f, WeightStats stats, long rows, boolean gated) {
        boolean auto = gated && WeightFormat.current() == WeightFormat.AUTO;
        return switch (f) {
            case LUT -> stats.distinctLayer() <= Int8LutGemm.MAX_VALUES ? !auto || rows <= AUTO_LUT_MAX_M
                    : (stats.distinctLayer() <= Int8LutPanelGemm.MAX_VALUES
                            || stats.distinctChannelMax() <= Int8LutPanelGemm.MAX_VALUES)
                            && (!auto || AUTO_LUT_PANEL);
            case SPARSE -> !auto || (rows >= AUTO_SPARSE_MIN_M && stats.sparsity() >= AUTO_SPARSE_MIN_ZEROS
                    && stats.k() >= AUTO_SPARSE_MIN_K);
            case SP24 -> stats.conforms24() && (!auto || AUTO_SP24);
        };
    }

    private static Packed pack(Format f, VectorizationProvider provider, byte[] w, int k, int n, boolean unsigned,
            int[] bias, int inputOffset, int weightsOffset, int outputOffset, int[] multipliers, int[] shifts,
            int actMin, int actMax, boolean ruy, long rows) {
        if (f == Format.LUT) {
            Int8LutGemm lut = Int8LutGemm.pack(provider, w, k, n, unsigned, bias, inputOffset, weightsOffset,
                    outputOffset, multipliers, shifts, actMin, actMax, ruy);
            if (lut != null) {
                return new Packed(Int8GemmKernels.MR + "x" + lut.kernels().nr(), lut.kernels(), lut.gemm(),
                        lut.packedBytes(), Int8GemmBlocks.rowsPerBlock(k));
            }
            // issue 9, session 14: per-channel tables and 5-bit indices (Int8LutPanelGemm)
            int block = lutPanelRowsPerBlock(k);
            Int8LutPanelGemm panel = Int8LutPanelGemm.pack(provider, w, k, n, unsigned, bias, inputOffset,
                    weightsOffset, outputOffset, multipliers, shifts, actMin, actMax, ruy, block);
            return panel == null ? null
                    : new Packed(Int8GemmKernels.MR + "x" + panel.kernels().nr(), panel.kernels(), panel.gemm(),
                            panel.packedBytes(), block, panel.variant());
        }
        int lanes = provider.int8Gemm().nr() / 2;
        int block = sparseRowsPerBlock(k, rows, lanes);
        Int8SparseGemm sp = f == Format.SP24
                ? Int8SparseGemm.pack24(provider, w, k, n, unsigned, bias, inputOffset, weightsOffset, outputOffset,
                        multipliers, shifts, actMin, actMax, ruy, block)
                : Int8SparseGemm.pack(provider, w, k, n, unsigned, bias, inputOffset, weightsOffset, outputOffset,
                        multipliers, shifts, actMin, actMax, ruy, block);
        return sp == null ? null
                : new Packed((provider.vectorized() ? sp.kernels().nr() : 1) + "x1", sp.kernels(), sp.gemm(),
                        sp.packedBytes(), block);
    }

    /**
     * The CONV_2D factory of format {@code f} on the Java path ({@link KernelRegistry#CONV2D_LUT},
     * {@code CONV2D_SPARSE}, {@code CONV2D_SP24}).
     *
     * @param gated whether only nodes whose dense family runs on the Java path are taken, and
     *     {@code auto} applies the cost model (false: whatever the kernel can run, for tests of
     *     the twin)
     */
    public static WeightFormatConvFactory conv(Format f, VectorizationProvider provider, boolean gated) {
        return (dense, p, filter, bias, stats) -> {
            if (!int8Family(dense.name()) || (gated && !denseOnJava(dense)) || p.groups() != 1
                    || p.filterInC() != p.inC() || p.batches() < 1 || (p.bias() >= 0 && bias == null)) {
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
            if (k == 0 || pixels == 0 || p.outC() == 0 || !accepts(f, stats, pixels, gated)) {
                return null;
            }
            boolean unsigned = dense.name().startsWith("qu8_");
            byte[] w = new byte[weights];
            filter.get(0, w);
            Packed packed = pack(f, provider, w, k, p.outC(), unsigned, bias(p.bias() >= 0 ? bias : null, p.outC()),
                    p.inputOffset(), unsigned ? p.filterOffset() : 0, p.outputOffset(), p.multipliers(), p.shifts(),
                    p.actMin(), p.actMax(), !unsigned, pixels);
            if (packed == null) {
                return null;
            }
            String name = dense.name() + "_" + (packed.variant() != null ? packed.variant() : f.variant) + "_"
                    + packed.tile() + "__" + provider.isa();
            return new Conv(Int8Conv2D.withKernels(name, packed.kernels(), packed.gemm(), p, packed.rowsPerBlock()),
                    packed.bytes());
        };
    }

    /** The FULLY_CONNECTED factory of format {@code f} on the Java path; {@code gated} as {@link #conv}. */
    public static WeightFormatFcFactory fc(Format f, VectorizationProvider provider, boolean gated) {
        return (dense, p, weights, bias, stats) -> {
            String family = dense.name();
            if (!int8Family(family) || (gated && !denseOnJava(dense))) {
                return null;
            }
            boolean unsigned = family.startsWith("qu8_");
            Kernel<QuantParams> reference = unsigned ? FullyConnectedReference.QU8
                    : family.startsWith("qs8_qc8w_") ? FullyConnectedReference.QS8_QC8W : FullyConnectedReference.QS8;
            int k = p.inFeatures();
            int n = p.outFeatures();
            if ((p.bias() >= 0 && bias == null) || k <= 0 || n <= 0 || p.batches() <= 0
                    || (long) k * n > Integer.MAX_VALUE - 64
                    || (long) p.batches() * Math.max(k, n) > Integer.MAX_VALUE
                    || !accepts(f, stats, p.batches(), gated)) {
                return null;
            }
            byte[] w = new byte[k * n];
            weights.get(0, w);
            Packed packed = pack(f, provider, w, k, n, unsigned, bias(p.bias() >= 0 ? bias : null, n),
                    p.inputOffset(), p.weightsOffset(), p.outputOffset(), p.multipliers(), p.shifts(), p.actMin(),
                    p.actMax(), true, p.batches());
            if (packed == null) {
                return null;
            }
            String name = family + "_" + (packed.variant() != null ? packed.variant() : f.variant) + "_"
                    + packed.tile() + "__" + provider.isa();
            return new FullyConnected(Int8FullyConnected.withKernels(name, packed.kernels(), packed.gemm(), reference,
                    p, packed.rowsPerBlock()), packed.bytes());
        };
    }

    /** A Java-path CONV_2D on a weight format: the driver's kernel plus the format's byte count. */
    public static final class Conv implements Kernel<ConvParams>, WorkerScratch, PackedWeights {
        private final Int8Conv2D driver;
        private final long bytes;

        Conv(Int8Conv2D driver, long bytes) {
            this.driver = driver;
            this.bytes = bytes;
        }

        @Override
        public String name() {
            return driver.name();
        }

        @Override
        public void run(ConvParams p, ExecutionState s) {
            driver.run(p, s);
        }

        @Override
        public long workerScratchBytes() {
            return driver.workerScratchBytes();
        }

        @Override
        public long packedWeightBytes() {
            return bytes;
        }

        @Override
        public String toString() {
            return name();
        }
    }

    /** A Java-path FULLY_CONNECTED on a weight format. */
    public static final class FullyConnected implements Kernel<QuantParams>, WorkerScratch, PackedWeights {
        private final Int8FullyConnected driver;
        private final long bytes;

        FullyConnected(Int8FullyConnected driver, long bytes) {
            this.driver = driver;
            this.bytes = bytes;
        }

        @Override
        public String name() {
            return driver.name();
        }

        @Override
        public void run(QuantParams p, ExecutionState s) {
            driver.run(p, s);
        }

        @Override
        public long workerScratchBytes() {
            return driver.workerScratchBytes();
        }

        @Override
        public long packedWeightBytes() {
            return bytes;
        }

        @Override
        public String toString() {
            return name();
        }
    }
}
