package dev.whittle.runtime.kernels;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * 16x8 CONV_2D and FULLY_CONNECTED on 2:4 structured sparse int8 weights (issue 9, "2:4
 * structured int8 (and 16x8)"): {@code qs16_qc8w_conv2d_sp24_32x1c4__avx2},
 * {@code qs16_qc8w_fully_connected_sp24_32x1c4__avx2} ({@code kernels/qs16_qc8w_conv2d_sp24_32x1c4__avx2.cc},
 * params {@code whittle/qs16_sp24.h}): K = kh * kw * inC with {@code inC % 4 == 0}
 * ({@link WeightStats#conforms24()}); per output channel and group of 4 K a pattern byte and the
 * two kept weights as int16; 32 output pixels in the lanes, the 6 possible kept pairs of each
 * group built once per tile, one vpmaddwd per kept pair and 8 pixels. The int32 -> int64 flush
 * every 255 groups and the output stages are the dense qs16 kernels', so the outputs are the
 * reference's integers. Packed: 5 bytes per group of 4 K (62.5% of the dense AVX2 kernel's int16
 * panels, 125% of int8).
 */
final class Qs16Sp24Gemm extends Qs16NativeFormatGemm.PixelTiles {
    static final String SUFFIX = "sp24_32x1c4__avx2";
    private static final long HEADER = 272;
    /** Pattern ids (whittle/qs16_sp24.h): the kept positions of each id. */
    static final int[][] PAIRS = {{0, 1}, {2, 3}, {0, 2}, {1, 3}, {0, 3}, {1, 2}};
    /*
     * auto's cost model, calibrated with Qs16WeightFormatCompare.main (args: 200 sparse SHAPES -24
     * avx2,avx512vnni avx2; Zen 4 shared with 4 other jobs at load ~5, one thread, the dense AVX2, dense
     * AVX-512 VNNI and 2:4 layers of the same random 2:4 weights invoked alternately, min of 200;
     * dense / 2:4, above 1 the 2:4 kernel is faster), MobileNet v1 0.25 shapes:
     *
     *   layer (K)              vs AVX2  vs VNNI       layer (K)                vs AVX2  vs VNNI
     *   112x112x8x16 (8)         0.58    0.51         14x14x64x128 (64)          1.08    0.79
     *   56x56x16x32 (16)         0.68    0.55         14x14x128x128 (128)        1.46    1.10
     *   56x56x32x32 (32)         0.82    0.59         7x7x128x256 (128)          1.27    1.00
     *   28x28x32x64 (32)         0.82    0.59         7x7x256x256 (256)          1.67    1.40
     *   28x28x64x64 (64)         1.16    0.87         FC 256 -> 1001 batch 32    1.78    1.44
     *   1x1x256x1001 (1 pixel)   0.09    0.47         FC 256 -> 1001 batch 1     0.14    0.48
     *
     * Below K = 64 the per-output work (int64 flush, the int64 output stage, one int16 store per
     * pixel) outweighs the halved multiply-adds; below 32 pixels the tile runs mostly empty.
     * Inside the 16x8 MobileNet v1 0.25 pruned 2:4 (Qs16FormatModelInterleaved, AVX2, min of 60
     * alternate invokes, per node; RELU6 layers, after the vector clamp): K = 64 1.28x,
     * 14x14x128x128 1.60-1.73x, 7x7x128x256 1.59x, 7x7x256x256 1.94x; K = 32 0.94-0.96x, K = 16
     * 0.76x, K = 8 0.67x. Whole model with auto: 2.92 -> 2.58 ms (1.13x).
     */
    /** auto: the 2:4 kernel only from this K on, against a dense AVX2 kernel ... */
    static final int AUTO_MIN_K = 64;
    /**
     * ... and from this K on against a dense AVX-512 VNNI kernel: single layers without an
     * activation 1.40-1.44x at K = 256, 1.00-1.10x at K = 128, 0.79-0.87x at K = 64; inside the 16x8
     * MobileNet (Qs16FormatModelInterleaved ... native 60 sparse: the AVX2 2:4 kernel against the
     * dense VNNI kernel, per node, RELU6 layers) 1.70x at K = 256, 1.29-1.37x at K = 128,
     * 0.92-0.95x at K = 64 ...
     */
    static final int AUTO_MIN_K_VS_VNNI = 128;
    /** ... and from this many output pixels on. */
    static final long AUTO_MIN_M = 32;
    /**
     * Every mode ({@code --kernels sparse} included): not below this many output pixels. The lanes
     * are pixels, so a call computes at least 8; measured (same tool, 8-pixel blocks) at one pixel
     * 44 against 7 us for 256 -> 1001 (0.16x), at 4 pixels 0.74x, at 9 pixels 0.98x. The dense
     * kernel runs those layers (the int8 2:4 VNNI kernel declines below 4 pixels the same way).
     */
    static final long MIN_M = 4;

    final MemorySegment codes;
    final long kp;
    final long groups;

    private Qs16Sp24Gemm(String op, Qs16FormatNode node, int[] pairWeights, byte[] pattern) {
        super("qs16_qc8w_" + op + "_" + SUFFIX, node, node.paramsBlock(HEADER, 1, Qs16Gemm.roundUp(node.n(), 8)));
        this.kp = node.kp();
        this.groups = node.k() / 4;
        long count = (long) n * groups;
        this.codes = NativeKernels.allocate(5 * count + 8);
        long patternAt = 4 * count;
        for (int i = 0; i < count; i++) {
            codes.set(ValueLayout.JAVA_INT, 4L * i, pairWeights[i]);
            codes.set(ValueLayout.JAVA_BYTE, patternAt + i, pattern[i]);
        }
        long base = codes.address();
        block.set(JAVA_LONG, 240, base);
        block.set(JAVA_LONG, 248, base + patternAt);
        block.set(JAVA_LONG, 256, groups);
    }

    /**
     * The 2:4 packing of {@code [n][k]} int8 weights: per channel and group of 4 K the pattern id
     * (which 2 positions are kept) and the kept weights as two int16 (low position in the low
     * half), or null when some group keeps more than 2 non-zeros or {@code k % 4 != 0}.
     * {@code pattern} receives the ids ({@code n * k / 4}).
     */
    static int[] pack(ByteBuffer w, int n, int k, byte[] pattern) {
        if (k % 4 != 0) {
            return null;
        }
        int g = k / 4;
        int[] pairs = new int[n * g];
        for (int c = 0; c < n; c++) {
            for (int j = 0; j < g; j++) {
                int mask = 0;
                for (int q = 0; q < 4; q++) {
                    if (w.get(c * k + 4 * j + q) != 0) {
                        mask |= 1 << q;
                    }
                }
                int id = -1;
                for (int i = 0; i < PAIRS.length && id < 0; i++) {
                    if ((mask & ~((1 << PAIRS[i][0]) | (1 << PAIRS[i][1]))) == 0) {
                        id = i;
                    }
                }
                if (id < 0) {
                    return null;
                }
                byte w0 = w.get(c * k + 4 * j + PAIRS[id][0]);
                byte w1 = w.get(c * k + 4 * j + PAIRS[id][1]);
                pairs[c * g + j] = (w0 & 0xFFFF) | (w1 << 16);
                pattern[c * g + j] = (byte) id;
            }
        }
        return pairs;
    }

    private static Qs16Sp24Gemm of(String op, Qs16FormatNode node, ByteBuffer weights, WeightStats stats,
            KernelFamily<?> dense) {
        if (node == null || !stats.conforms24() || node.k() % 4 != 0 || node.m() < MIN_M) {
            return null;
        }
        if (WeightFormat.current() == WeightFormat.AUTO && !pays(node, dense)) {
            return null;
        }
        ByteBuffer w = weights.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        byte[] pattern = new byte[node.n() * (node.k() / 4)];
        int[] pairs = pack(w, node.n(), node.k(), pattern);
        return pairs == null ? null : new Qs16Sp24Gemm(op, node, pairs, pattern);
    }

    /** auto's cost model (see {@link #AUTO_MIN_K}). */
    static boolean pays(Qs16FormatNode node, KernelFamily<?> dense) {
        return node.k() >= (denseOnVnni(dense) ? AUTO_MIN_K_VS_VNNI : AUTO_MIN_K) && node.m() >= AUTO_MIN_M;
    }

    @Override
    long workerScratchBytes() {
        return 64 + 192 * kp + 16 * kp + 64;
    }

    @Override
    long packedWeightBytes() {
        return 5L * n * groups;
    }

    @Override
    long macs() {
        return 4 * groups * n * m;
    }

    static WeightFormatConvFactory convFactory() {
        return (dense, p, filter, bias, stats) -> {
            Qs16Sp24Gemm g = of("conv2d", Qs16FormatNode.conv(dense, p, bias), filter, stats, dense);
            return g == null ? null : g.conv();
        };
    }

    static WeightFormatFcFactory fcFactory() {
        return (dense, p, weights, bias, stats) -> {
            Qs16Sp24Gemm g = of("fully_connected", Qs16FormatNode.fc(dense, p, bias), weights, stats, dense);
            return g == null ? null : g.fc();
        };
    }
}
