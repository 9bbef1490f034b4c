package dev.whittle.runtime.kernels;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * 16x8 CONV_2D and FULLY_CONNECTED on blocked unstructured sparse int8 weights (issue 9, "and
 * 16x8"): {@code qs16_qc8w_conv2d_sparse_32x1c2__avx2}, {@code qs16_qc8w_fully_connected_sparse_32x1c2__avx2}
 * ({@code kernels/qs16_qc8w_conv2d_sparse_32x1c2__avx2.cc}, params {@code whittle/qs16_sparse.h}):
 * per output channel its non-zero 1x2 blocks along K (byte offset of the K pair's row in the
 * packed tile, the two weights as int16), 32 output pixels in the lanes; the int32 -> int64 flush
 * every 255 blocks and the output stages are the dense qs16 kernels', so the outputs are the
 * reference's integers.
 */
final class Qs16SparseGemm extends Qs16NativeFormatGemm.PixelTiles {
    static final String SUFFIX = "sparse_32x1c2__avx2";
    private static final long HEADER = 272;
    /*
     * auto's cost model, calibrated with Qs16WeightFormatCompare.main (args: 150 sparse SHAPES 256
     * avx2,avx512vnni avx2 SPARSITY; Zen 4, one thread, dense AVX2, dense AVX-512 VNNI and sparse
     * layers of the same random weights invoked alternately, min of 150, shared 2-vCPU machine at
     * load ~5; dense / sparse, above 1 the sparse kernel is faster; random zeros s, so a 1x2 block
     * is zero with probability s^2: 0.25 / 0.49 / 0.64 / 0.81 at 50 / 70 / 80 / 90%), measured
     * after the kernel's vector clamp replaced a mispredicting scalar one:
     *
     *   layer (K)            vs AVX2 50%  70%  80%  90%    vs VNNI 50%  70%  80%  90%
     *   112x112x8x16 (8)         60%: 0.86, 80%: 0.91             60%: 0.75, 80%: 0.79
     *   56x56x16x32 (16)         60%: 0.98, 80%: 1.04             60%: 0.70, 80%: 0.74
     *   56x56x32x32 (32)         1.12 1.19 1.16 1.24            0.81 0.86 0.80 0.85
     *   28x28x32x64 (32)         1.16 1.25 1.28 1.38            0.82 0.95 0.87 0.99
     *   28x28x64x64 (64)         1.40 1.58 1.59 1.73            1.00 1.12 1.07 1.20
     *   14x14x64x128 (64)        1.35 1.55 1.58 1.75            0.96 1.13 1.10 1.18
     *   14x14x128x128 (128)      1.61 1.97 2.08 2.43            1.20 1.44 1.50 1.75
     *   7x7x128x256 (128)                  1.94 2.56                      1.50 2.09
     *   7x7x256x256 (256)        1.65 2.14 2.45 3.49            1.38 1.79 1.97 2.91
     *   6x6x256x256 (36 pixels)  1.26 1.61                      1.02 1.30
     *   4x4x256x256 (16 pixels)  60%: 1.26, 80%: 1.77             60%: 0.92, 80%: 1.31
     *   FC 256 -> 1001 batch 8   60%: 0.79, 80%: 1.11             60%: 0.64, 80%: 0.90
     *   FC 256 -> 1001 batch 32            2.13 2.51                      1.71 2.02
     *
     * The 32-pixel tile packs the activations once and then pays one vpmaddwd per non-zero block
     * and 8 pixels, and no int64 flush per 4x16 tile, so from K = 32 it is faster than the dense
     * AVX2 kernel even at 50%; at K = 16 it breaks even, at K = 8 the per-output stage and packing
     * dominate. The dense VNNI kernel does two int16 pairs per vpdpwssd lane, so against it the
     * sparse kernel needs K >= 128 at 50% or K = 64 from ~70% zeros; never at K = 32. Below 32
     * pixels the tile runs mostly empty (8 rows of an FC: 0.79-1.11x), so auto stops there.
     * (Before the clamp fix, session 6: 28x28x64x64 1.25 / 1.46 / 1.56 at 50 / 80 / 90%, 14x14x128x128
     * 1.49 / 2.01 / 2.34, 56x56x32x32 0.96 / 1.06 / 1.11 vs AVX2.) The first gate,
     * WeightKernels.AUTO_SPARSE_MIN_ZERO_BLOCKS (1x4 blocks), still needs ~60% random zeros.
     */
    /** auto: the sparse kernel only from this K on ... */
    static final int AUTO_MIN_K = 32;
    /** ... with at least this fraction of all-zero 1x2 blocks (against the dense AVX2 kernel) ... */
    static final double AUTO_MIN_ZERO_PAIRS = 0.25;
    /** ... against a dense AVX-512 VNNI kernel: K >= this with {@link #AUTO_MIN_ZERO_PAIRS}, ... */
    static final int AUTO_MIN_K_VS_VNNI = 128;
    /** ... or K >= {@link #AUTO_MIN_K_VS_VNNI_DENSE_ZEROS} with at least this fraction of zero 1x2 blocks. */
    static final double AUTO_MIN_ZERO_PAIRS_VS_VNNI = 0.45;
    /** The smaller K at which the sparse kernel beats the dense VNNI kernel on many zeros (64: 1.12x at 70%). */
    static final int AUTO_MIN_K_VS_VNNI_DENSE_ZEROS = 64;
    /**
     * auto, narrow layers (at most this many output channels): the dense tiles pad the channels
     * (AVX2 to 16, VNNI to 32: three quarters of the VNNI kernel's work is padding at 8), the
     * sparse kernel does not. Same tool, N = 8, dense / sparse at 60% and 80% zeros: vs VNNI
     * 1.43-1.46 (3x3 stride 2 over 3 channels, K = 27), 1.60-1.62 (K = 8), 1.61-1.62 (K = 16),
     * 1.64-1.70 (K = 32); vs AVX2 0.99-1.02 (K = 8), 1.06-1.09 (K = 16), 1.13-1.15 (K = 27),
     * 1.20-1.25 (K = 32); at N = 16 (k3s2 224x224x3x16) parity with both (0.91-1.05).
     */
    static final int AUTO_NARROW_N = 8;
    /** ... which take the sparse kernel from this K on against a dense AVX2 kernel ... */
    static final int AUTO_NARROW_MIN_K = 16;
    /** ... and from this K on against a dense VNNI kernel (both with {@link #AUTO_MIN_ZERO_PAIRS}). */
    static final int AUTO_NARROW_MIN_K_VS_VNNI = 8;
    /** auto: not below this many output pixels (a tile of 32 pixels would run mostly empty). */
    static final long AUTO_MIN_M = 32;

    final MemorySegment codes;
    final long kp;
    final long blocks;

    private Qs16SparseGemm(String op, Qs16FormatNode node, ByteBuffer w, int[] rowStart) {
        super("qs16_qc8w_" + op + "_" + SUFFIX, node, node.paramsBlock(HEADER, 1, Qs16Gemm.roundUp(node.n(), 8)));
        this.kp = node.kp();
        int k = node.k();
        this.blocks = rowStart[n];
        this.codes = NativeKernels.allocate(4L * (n + 1) + 8L * Math.max(1, blocks));
        long offsetsAt = 4L * (n + 1);
        long weightsAt = offsetsAt + 4L * blocks;
        for (int c = 0; c <= n; c++) {
            codes.set(ValueLayout.JAVA_INT, 4L * c, rowStart[c]);
        }
        long b = 0;
        for (int c = 0; c < n; c++) {
            for (int j = 0; j < (k + 1) / 2; j++) {
                byte w0 = w.get(c * k + 2 * j);
                byte w1 = 2 * j + 1 < k ? w.get(c * k + 2 * j + 1) : 0;
                if (w0 != 0 || w1 != 0) {
                    codes.set(ValueLayout.JAVA_INT, offsetsAt + 4 * b, j * TILE * 4);
                    codes.set(ValueLayout.JAVA_INT, weightsAt + 4 * b, (w0 & 0xFFFF) | (w1 << 16));
                    b++;
                }
            }
        }
        long base = codes.address();
        block.set(JAVA_LONG, 240, base);
        block.set(JAVA_LONG, 248, base + offsetsAt);
        block.set(JAVA_LONG, 256, base + weightsAt);
    }

    /** Per-channel prefix sums of non-zero 1x2 blocks ({@code n + 1} entries). */
    static int[] rowStart(ByteBuffer w, int n, int k) {
        int[] start = new int[n + 1];
        for (int c = 0; c < n; c++) {
            int count = 0;
            for (int j = 0; j < (k + 1) / 2; j++) {
                if (w.get(c * k + 2 * j) != 0 || (2 * j + 1 < k && w.get(c * k + 2 * j + 1) != 0)) {
                    count++;
                }
            }
            start[c + 1] = start[c] + count;
        }
        return start;
    }

    private static Qs16SparseGemm of(String op, Qs16FormatNode node, ByteBuffer weights,
            KernelFamily<?> dense) {
        if (node == null) {
            return null;
        }
        ByteBuffer w = weights.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        int[] start = rowStart(w, node.n(), node.k());
        if (WeightFormat.current() == WeightFormat.AUTO) {
            double zeroPairs = 1 - (double) start[node.n()] / ((double) node.n() * ((node.k() + 1) / 2));
            boolean vnni = denseOnVnni(dense);
            int k = node.k();
            boolean narrow = node.n() <= AUTO_NARROW_N;
            boolean pays = vnni
                    ? (k >= AUTO_MIN_K_VS_VNNI && zeroPairs >= AUTO_MIN_ZERO_PAIRS)
                            || (k >= AUTO_MIN_K_VS_VNNI_DENSE_ZEROS && zeroPairs >= AUTO_MIN_ZERO_PAIRS_VS_VNNI)
                            || (narrow && k >= AUTO_NARROW_MIN_K_VS_VNNI && zeroPairs >= AUTO_MIN_ZERO_PAIRS)
                    : k >= (narrow ? AUTO_NARROW_MIN_K : AUTO_MIN_K) && zeroPairs >= AUTO_MIN_ZERO_PAIRS;
            if (node.m() < AUTO_MIN_M || !pays) {
                return null;
            }
        }
        return new Qs16SparseGemm(op, node, w, start);
    }

    @Override
    long workerScratchBytes() {
        return 64 + 64 * kp + 2 * kp + 64;
    }

    @Override
    long packedWeightBytes() {
        return 4L * (n + 1) + 8L * blocks;
    }

    @Override
    long macs() {
        return 2 * blocks * m;
    }

    static WeightFormatConvFactory convFactory() {
        return (dense, p, filter, bias, stats) -> {
            Qs16SparseGemm g = of("conv2d", Qs16FormatNode.conv(dense, p, bias), filter, dense);
            return g == null ? null : g.conv();
        };
    }

    static WeightFormatFcFactory fcFactory() {
        return (dense, p, weights, bias, stats) -> {
            Qs16SparseGemm g = of("fully_connected", Qs16FormatNode.fc(dense, p, bias), weights, dense);
            return g == null ? null : g.fc();
        };
    }
}
