package dev.whittle.runtime.kernels;

import dev.whittle.runtime.ExecutionState;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The prepared half of the unstructured sparse int8/uint8 kernels
 * ({@code kernels/q8_conv2d_sparse_*}, {@code native/include/whittle/q8_sparse.h}), one
 * {@link Isa} each: the AVX2 tiles (per output channel its non-zero 1x2 blocks along K: tile
 * offset and two int16 {@code w + filterOffset}), the AVX-512 VNNI tiles (1x4 blocks, four
 * int8 weights) and the AVX-512 VNNI rows kernel (per 16 channels and K window, steps of index
 * and weight bytes: {@link #packRows}); the dense GEMM's params header (geometry, offsets,
 * requantization: written by the same rules as {@link Q8Gemm}, the oracle being the same
 * reference kernel); the task split; the cost model of {@code --kernels auto}. Why these
 * formats, and the measurements behind the constants: kernels/README.md.
 */
final class Q8SparseGemm implements NativeGemm {
    /** Kernel name suffix: tiles of 64 pixels (the rest in one of 8..56) x 1 channel, K in pairs. */
    static final String AVX2_SUFFIX = "sparse_64x1c2__avx2";
    /** Kernel name suffix: tiles of 64 pixels x 1 channel, K in quads (vpdpbusd). */
    static final String VNNI_SUFFIX = "sparse_64x1c4__avx512vnni";
    /** Kernel name suffix: 4 rows x 16 channels, non-zero weights gathered 4 per lane (vpermt2b, vpdpbusd). */
    static final String VNNI_ROWS_SUFFIX = "sparse_4x16c4__avx512vnni";
    /** Kernel name suffix: NEON DotProd tiles of 64 pixels x 1 channel, K in quads (sdot by element). */
    static final String NEON_SUFFIX = "sparse_64x1c4__neondot";

    /** Pixels per packed tile (the native WHITTLE_Q8_SPARSE_TILE). */
    static final int TILE = 64;
    private static final int GROUP = 16;
    private static final int PARAMS_BYTES = 320;
    private static final int CHANNEL_ARRAYS = 9;
    private static final FunctionDescriptor SIGNATURE = FunctionDescriptor.ofVoid(ValueLayout.JAVA_LONG,
            ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT,
            ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT);

    /**
     * auto: the fraction of all-zero 1x2 blocks (pairs along K) from which this kernel beats the
     * dense AVX2 GEMM on the same layer, below which the factory declines (the dense kernel runs).
     * Measured with {@code SparseGemmBenchmark} (one thread, CPU time, qu8 MobileNet v2 1x1 shapes,
     * random zeros): sparse/dense speed 1.04/1.04/0.78 at 26% zero pairs (56x56x24x144,
     * 14x14x96x576, 7x7x320x1280), 1.10/1.16/0.93 at 36%, 1.23/1.39/1.13 at 49%: break-even at
     * ~40-45% (the 7x7 layer's 49 pixels fill 32+16+8-pixel tiles, the worst case). Session 13
     * (64-pixel tiles, one fitted 56-pixel tile for 7x7; {@code SparseGemmCompare avx2 qu8
     * random 100}): 56x56x24x144 / 14x14x96x576 / 7x7x320x1280 at 50% random zeros 1.14 / 1.16 /
     * 0.79x, at 60% 1.23 / 1.29 / 1.00x, qs8_qc8w 56x56x24x144 at 50% 0.97x: kept.
     */
    static final double AUTO_MIN_ZERO_PAIRS = 0.45;
    /**
     * auto, AVX2 against the AVX2 dense GEMM where the packed tile is 32 pixels wide (K past
     * {@link #AVX2_WIDE_TILE_MAX_KP}: its blocks' loads hit L2) and the layer is one tile or two
     * (fewer than {@link #AVX2_WIDE_K_PIXELS} pixels: the tile packing is amortized over few
     * blocks). Measured (session 13, {@code SparseGemmCompare avx2 qu8 random 100}, min of 100
     * interleaved, dense / sparse): 7x7x960x160 0.63x at 60% random zeros, 0.89x at 70% (~50%
     * zero pairs), 1.45x at 80% (65%); so from 58% zero pairs (~75% zeros). Not for more pixels:
     * 14x14x576x96 1.04x at 60%, 1.29x at 70%.
     */
    static final double AUTO_MIN_ZERO_PAIRS_WIDE_K = 0.58;
    /** See {@link #AUTO_MIN_ZERO_PAIRS_WIDE_K}: 7x7 = 49 pixels, below 14x14 = 196. */
    static final long AVX2_WIDE_K_PIXELS = 64;
    /**
     * auto: below this many output pixels the 8-pixel tile is mostly empty and the dense kernel
     * wins (FULLY_CONNECTED 1280 -> 1001 at 90%: 0.53x at batch 1, 1.0x at 4, 2.0x at 8, 3.9x at 32).
     */
    static final long AUTO_MIN_PIXELS = 8;
    /**
     * auto, where the dense family runs its AVX-512 VNNI GEMM (vpdpbusd, ~2x the AVX2 dense
     * kernel): this AVX2 kernel wins only from ~88% random sparsity on layers with K >= 96
     * (sparse/VNNI-dense 0.85/0.69/0.65 at 80%, 1.14/1.13/1.31 at 90% on 14x14x96x576,
     * 7x7x320x1280, FC 32x1280x1001; never on 56x56x24x144: 0.95 at 95%).
     */
    static final double AUTO_MIN_ZERO_PAIRS_VS_VNNI = 0.78;
    /** auto, against the VNNI dense kernel: at smaller K the per-output requantization dominates. */
    static final int AUTO_MIN_K_VS_VNNI = 64;
    /**
     * auto, the 64x1c4 VNNI tile kernel (im2col convolutions, and VNNI CPUs without VBMI) against
     * the dense VNNI kernel: the fraction of all-zero 1x4 blocks from which it wins. Measured
     * (Cmp harness over SparseGemmBenchmark, min of 150 interleaved invokes, qu8, random zeros,
     * z4 ~ s^4): 0.93/0.97/1.07/0.93 at 80% (z4 0.41) and 1.00/1.08/1.36/1.45 at 90% (z4 0.66)
     * on 56x56x24x144, 28x28x32x192, 14x14x96x576, 7x7x320x1280: each 64-MAC vpdpbusd needs its
     * own 64-byte activation load, and Zen 4 loads one zmm per cycle (kernels/README.md).
     */
    static final double AUTO_VNNI_MIN_ZERO_QUADS = 0.62;
    /** auto, the VNNI tile kernel: fewest output pixels (one 16-pixel vector per block below). */
    static final long AUTO_VNNI_MIN_PIXELS = 16;
    /** auto, the VNNI tile kernel: smallest K (K = 24, 32: 1.00-1.08 at 90%; requantization dominates). */
    static final int AUTO_VNNI_MIN_K = 64;
    /**
     * auto, the rows kernel ({@code 4x16c4}): at most this fraction of the dense kernel's steps
     * ({@link #rowsStepFraction}: a step costs a vpermb and a vpdpbusd per row and 128 bytes,
     * the dense kernel's one vpdpbusd and 64). Measured (SparseGemmCompare, min of 200
     * interleaved invokes, qu8 and qs8_qc8w; step fractions from the packer's schedule on the
     * same random weights): 0.88-1.15x at 50% zeros (steps 0.53-0.60 of dense; 0.73 at K = 24),
     * 1.02-1.60x at 70% (0.33-0.40; 0.53 at K = 24: 1.02), 1.03-2.38x at 80%, 1.08-3.5x at 90%
     * on the MobileNet v2 1x1 shapes and FC 1280 -> 1001 at batch 1 and 4: break-even at ~0.5.
     */
    static final double AUTO_ROWS_MAX_STEPS = 0.50;

    /**
     * auto, the rows kernel: the smallest K it takes, for uint8 and for int8 layers. Below it the
     * fixed part of a pass (row staging, the output stage) outweighs the skipped steps even at
     * step fractions under {@link #AUTO_ROWS_MAX_STEPS}, and more so for int8, whose dense VNNI
     * kernel folds ruy's rounding into one shift at small K. Measured (session 13,
     * SparseGemmCompare avx512vnni, random 80% zeros, min of 300 alternating calls, dense /
     * sparse): qs8_qc8w 0.49x at 112x112 8->16, 0.66x 56x56 16->32, 0.80x 56x56 32->32, 0.93x
     * 28x28 32->64, 1.02x 56x56 24->144, 1.37x from K = 64 (28x28 64->64, 14x14 64->128); qu8
     * 0.78x / 0.92x at K = 8 / 16, 1.10x at K = 24 and 32, 1.38x at K = 64. MobileNet v1 0.25
     * int8 pruned to 80% (data-aware) had all its 1x1 layers on the rows kernel and ran 0.93-0.97x
     * of dense; its fused K = 8-32 pairs took 0.57-0.84x of their dense time.
     */
    static final int AUTO_ROWS_MIN_K_INT8 = 64;
    /** See {@link #AUTO_ROWS_MIN_K_INT8}. */
    static final int AUTO_ROWS_MIN_K_UINT8 = 24;

    final String name;
    final int m;
    final int n;
    final long scratchBytes;
    final long nonZeroPairs;
    private final MethodHandle handle;
    private final Q8GemmLayout.Split split;
    // Held so the native memory lives as long as the kernel.
    private final MemorySegment params;
    private final MemorySegment channel;
    private final MemorySegment rowStart;
    private final MemorySegment pairOffset;
    private final MemorySegment pairValue;

    /** Bytes of weight data kept: the pairs' offsets and values, the per-channel starts. */
    @Override
    public long weightBytes() {
        return pairOffset.byteSize() + pairValue.byteSize() + rowStart.byteSize();
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public long scratchBytes() {
        return scratchBytes;
    }

    /** Fraction of 1x2 blocks along K of {@code [n][k]} weights that are all zero ({@code zero}: the zero byte). */
    static double zeroPairs(ByteBuffer w, int n, int k, int zero) {
        return zeroBlocks(w, n, k, zero, 2);
    }

    /** Fraction of 1xB blocks along K of {@code [n][k]} weights that are all zero ({@code zero}: the zero byte). */
    static double zeroBlocks(ByteBuffer w, int n, int k, int zero, int b) {
        long zeros = 0;
        int blocks = (k + b - 1) / b;
        for (int o = 0; o < n; o++) {
            for (int i = 0; i < k; i += b) {
                boolean z = true;
                for (int j = i; j < Math.min(k, i + b) && z; j++) {
                    z = (w.get(o * k + j) & 0xFF) == zero;
                }
                zeros += z ? 1 : 0;
            }
        }
        return (double) zeros / ((long) n * blocks);
    }

    /**
     * The rows kernel's steps ({@link #schedule}: per 16-channel group and window, the densest
     * channel's non-zeros / 4, rounded up) over the dense kernel's (K / 4 per group); uint8
     * weights split into two entries are not counted (rare; an estimate for the cost model).
     */
    static double rowsStepFraction(ByteBuffer w, int n, int k, int zero, int width, int stride) {
        long steps = 0;
        int groups = (n + GROUP - 1) / GROUP;
        int[][] pos = new int[GROUP][k];
        int[] count = new int[GROUP];
        for (int g = 0; g < groups; g++) {
            for (int l = 0; l < GROUP; l++) {
                count[l] = 0;
                int o = g * GROUP + l;
                for (int i = 0; o < n && i < k; i++) {
                    if ((w.get(o * k + i) & 0xFF) != zero) {
                        pos[l][count[l]++] = i;
                    }
                }
            }
            steps += schedule(pos, null, count, k, width, stride, null, null);
        }
        return (double) steps / ((long) groups * ((k + 3) / 4));
    }

    /**
     * The rows kernel's schedule of one 16-channel group: lane l's entries at positions
     * {@code pos[l][0..count[l])} (ascending) run in windows of {@code width} K starting every
     * {@code stride} K. Window j must take the entries of its first stride (no later window
     * covers them) and takes that many steps (the densest lane's count / 4, rounded up); the
     * lanes with room fill it with their next entries the window still covers, so a lane dense
     * in one stretch of K runs ahead where the others are dense. Returns the steps; writes the
     * steps per window to {@code stepsOut} and the step bytes (64 index bytes relative to the
     * window, then the 64 weights of {@code val}) to {@code data} when given.
     */
    private static long schedule(int[][] pos, int[][] val, int[] count, int k, int width, int stride, byte[] stepsOut,
            java.io.ByteArrayOutputStream data) {
        int windows = (k + stride - 1) / stride;
        int[] next = new int[GROUP];
        long total = 0;
        byte[] step = new byte[128];
        for (int j = 0; j < windows; j++) {
            int start = j * stride;
            int most = 0;
            for (int l = 0; l < GROUP; l++) {
                int e = next[l];
                while (e < count[l] && pos[l][e] < start + stride) {
                    e++;
                }
                most = Math.max(most, e - next[l]);
            }
            int t = (most + 3) / 4;
            total += t;
            if (stepsOut != null) {
                stepsOut[j] = (byte) t;
            }
            for (int i = 0; i < t; i++) {
                java.util.Arrays.fill(step, (byte) 0);
                for (int l = 0; l < GROUP; l++) {
                    for (int b = 0; b < 4 && next[l] < count[l] && pos[l][next[l]] < start + width; b++) {
                        step[4 * l + b] = (byte) (pos[l][next[l]] - start);
                        step[64 + 4 * l + b] = val == null ? 0 : (byte) val[l][next[l]];
                        next[l]++;
                    }
                }
                if (data != null) {
                    data.writeBytes(step);
                }
            }
        }
        return total;
    }

    /**
     * Whether the weight-format dispatch may use the kernel of {@code isa} on a layer: always
     * under {@code --kernels sparse} (to measure, or for the memory), under {@code auto} only
     * where the benchmark shows it faster than the dense kernel dispatch would run instead
     * (AVX2, or AVX-512 VNNI where the CPU has it and {@code -Dwhittle.kernels} allows it).
     */
    static boolean pays(Isa isa, KernelFamily<?> dense, ByteBuffer w, int n, int k, int zero, long pixels) {
        if (WeightFormat.current() != WeightFormat.AUTO) {
            return true;
        }
        if (isa.rows()) {
            int minK = dense.name().startsWith("qu8") ? AUTO_ROWS_MIN_K_UINT8 : AUTO_ROWS_MIN_K_INT8;
            return k >= minK && rowsStepFraction(w, n, k, zero, isa.rowAlign, isa.stride) <= AUTO_ROWS_MAX_STEPS;
        }
        if (isa == Isa.AVX512VNNI || isa == Isa.NEONDOT) {
            // NEON: not calibrated (no Arm hardware here); its tiles have the VNNI tiles'
            // structure (one activation load per 16-MAC sdot, the dense NEON kernel's 4 pixels per
            // weight load), so the same break-even is assumed.
            return pixels >= AUTO_VNNI_MIN_PIXELS && k >= AUTO_VNNI_MIN_K
                    && zeroBlocks(w, n, k, zero, 4) >= AUTO_VNNI_MIN_ZERO_QUADS;
        }
        if (pixels < AUTO_MIN_PIXELS) {
            return false;
        }
        boolean vnniDense = KernelRegistry.select(dense).path() == KernelPath.AVX512VNNI;
        if (vnniDense && k < AUTO_MIN_K_VS_VNNI) {
            return false;
        }
        double min = vnniDense ? AUTO_MIN_ZERO_PAIRS_VS_VNNI
                : pixels < AVX2_WIDE_K_PIXELS && tileWidth(Isa.AVX2, Q8Gemm.roundUp(k, Isa.AVX2.rowAlign)) < TILE
                        ? AUTO_MIN_ZERO_PAIRS_WIDE_K : AUTO_MIN_ZERO_PAIRS;
        return zeroPairs(w, n, k, zero) >= min;
    }

    /**
     * Whether output pixel m reads exactly input pixel m (the rows kernel copies rows, it does
     * not gather): FULLY_CONNECTED, and 1x1 stride-1 unpadded CONV_2D.
     */
    static boolean direct(Q8Gemm.Spec s) {
        return s.kh() == 1 && s.kw() == 1 && s.strideH() == 1 && s.strideW() == 1 && s.padH() == 0 && s.padW() == 0
                && s.inH() == s.outH() && s.inW() == s.outW();
    }

    /**
     * The VNNI kernel for a layer: the rows kernel where it reads its rows directly and the CPU
     * has VBMI (vpermb), else the 64x1c4 tiles. The rows kernel is 1.2-1.8x the tile kernel on
     * the MobileNet v2 1x1 shapes at 80-90% random zeros, and 8-20x at 1-8 pixels
     * (kernels/README.md). Its windows: 128 K every 64 K (vpermt2b, fewer steps and bytes) below
     * 4 output pixels, where the weight bytes are the cost; from 4 pixels on 64 K every 32 K
     * (vpermb, ~25% cheaper per step on Zen 4) unless that takes over
     * {@link #ROWS_SEGMENT64_COST}^-1 times the 128-K steps. Where the zeros come in aligned 1x4
     * blocks the tiles skip more ({@link #TILES_PER_ROWS_COST}).
     */
    static Isa vnniIsa(Q8Gemm.Spec s, ByteBuffer w, int zero) {
        boolean rows = direct(s)
                && dev.whittle.CpuFeatures.detect().has(dev.whittle.CpuFeatures.Feature.AVX512_VBMI)
                && NativeKernels.has("whittle_qs8_fully_connected_" + VNNI_ROWS_SUFFIX);
        if (!rows) {
            return Isa.AVX512VNNI;
        }
        long pixels = (long) s.batches() * s.outH() * s.outW();
        if (pixels < 4) {
            return Isa.AVX512VNNI_ROWS;
        }
        int k = s.inC();
        double wide = rowsStepFraction(w, s.outC(), k, zero, Isa.AVX512VNNI_ROWS.rowAlign,
                Isa.AVX512VNNI_ROWS.stride);
        double narrow = rowsStepFraction(w, s.outC(), k, zero, Isa.AVX512VNNI_ROWS64.rowAlign,
                Isa.AVX512VNNI_ROWS64.stride);
        double rowsCost = Math.min(wide, ROWS_SEGMENT64_COST * narrow);
        if (pixels >= 16 && 1 - zeroBlocks(w, s.outC(), k, zero, 4) < TILES_PER_ROWS_COST * rowsCost) {
            // Zeros in aligned 1x4 blocks (block-pruned layers): the tiles skip whole blocks, while
            // the rows kernel's lanes then hold multiples of 4 non-zeros and wait on the densest.
            return Isa.AVX512VNNI;
        }
        return ROWS_SEGMENT64_COST * narrow <= wide ? Isa.AVX512VNNI_ROWS64 : Isa.AVX512VNNI_ROWS;
    }

    /**
     * The tile kernel's cost per non-zero 1x4 block against the rows kernel's per step (both
     * relative to the dense kernel), fitted on 7x7x320x1280 and 14x14x96x576 at 90% random zeros:
     * tiles 1.36-1.45x dense at 34% non-zero blocks, rows 1.68-2.40x at 0.17-0.20 of the steps.
     */
    static final double TILES_PER_ROWS_COST = 1.0;

    /** A 64-K step (vpermb + vpdpbusd) against a 128-K step (vpermt2b + vpdpbusd), measured on Zen 4. */
    static final double ROWS_SEGMENT64_COST = 0.8;

    /**
     * The AVX2 kernel's packed tile holds {@code kp / 2} rows of {@code 4 * tile} bytes, read at
     * the non-zero blocks' rows in random order for every channel: past ~48 KiB (L1 is 32 KiB on
     * Zen 3 and Zen 4) the blocks' loads wait on L2 and a 64-pixel tile loses to a 32-pixel one
     * (SparseGemmCompare avx2 qu8 random, min of 150 interleaved, 80% zeros, dense / sparse,
     * tile 32 -> 64: 7x7x320x1280 (kp 320, 40 KiB at 64) 1.53 -> 1.81x, 14x14x96x576 1.71 ->
     * 1.80x, 28x28x32x192 1.27 -> 1.52x; 14x14x576x96 (kp 576, 72 KiB) 1.79 -> 1.54x,
     * 7x7x960x160 1.35 -> 1.21x, 7x7x576x160 1.48 -> 1.41x). So 64 up to this K (a 48 KiB tile).
     * Session 14 tried 64-pixel tiles everywhere with the K range in 24 KiB chunks shared by a
     * 16-channel group (bench/native/q8_sparse_kchunk_avx2.patch): in the layer harness (weights
     * hot in cache) 7x7x960x160 went 1.46 -> 1.73x at 80%, but in MobileNet v2 pruned to 80%
     * (Sparse24ModelInterleaved, fuse off, min of 20) its 960-K layers went 0.074 -> 0.106 ms
     * (960 -> 160) and 0.143 -> 0.216 ms (960 -> 320), 576 -> 96 0.075 -> 0.081 ms: there the
     * blocks' offsets and weights come from L3, and chunking turns one sequential stream per
     * channel into 16 interleaved short runs. Chunks at 32 pixels lost too (0.093-0.103 ms).
     */
    static final int AVX2_WIDE_TILE_MAX_KP = 384;

    /** Pixels per packed tile for {@code isa} at the packed row length {@code kp}. */
    static int tileWidth(Isa isa, int kp) {
        return isa == Isa.AVX2 && kp > AVX2_WIDE_TILE_MAX_KP ? 32 : isa.tile;
    }

    /** The kinds of kernel, with their block size along K, tile and packed row alignment. */
    enum Isa {
        /** vpmaddwd on int16 pairs: 1x2 blocks, tiles of 64 pixels (the rest in one of 8..56), K staged in rows of 16. */
        AVX2(AVX2_SUFFIX, 2, TILE, 16, 0),
        /** vpdpbusd on uint8 activations x int8 weights: 1x4 blocks, tiles of 64 pixels, rows of 64. */
        AVX512VNNI(VNNI_SUFFIX, 4, 64, 64, 0),
        /**
         * AVX-512 VNNI + VBMI, direct rows: 4 rows x 16 channels per pass, vpermt2b gathers per
         * channel from 128-K windows every 64 K ({@link #packRows}).
         */
        AVX512VNNI_ROWS(VNNI_ROWS_SUFFIX, 4, 4, 128, 64),
        /** As {@link #AVX512VNNI_ROWS} on 64-K windows every 32 K: vpermb (one-register table). */
        AVX512VNNI_ROWS64(VNNI_ROWS_SUFFIX, 4, 4, 64, 32),
        /**
         * AArch64 sdot on int8 activations (uint8: x ^ 0x80) x int8 weights: the VNNI tile format
         * (1x4 blocks, 64-pixel tiles, rows of 64) with the NEON activation bias.
         */
        NEONDOT(NEON_SUFFIX, 4, 64, 64, 0);

        boolean rows() {
            return this == AVX512VNNI_ROWS || this == AVX512VNNI_ROWS64;
        }

        final String suffix;
        final int block;
        final int tile;
        final int rowAlign;
        /** Rows kernel: K between the starts of consecutive windows of {@code rowAlign} K. */
        final int stride;

        Isa(String suffix, int block, int tile, int rowAlign, int stride) {
            this.stride = stride;
            this.suffix = suffix;
            this.block = block;
            this.tile = tile;
            this.rowAlign = rowAlign;
        }
    }

    private Q8SparseGemm(String name, Isa isa, Q8Gemm.Spec s, int k, int kp, ByteBuffer w, ByteBuffer bias,
            boolean bind) {
        this.name = name;
        this.m = s.batches() * s.outH() * s.outW();
        this.n = s.outC();
        int tile = tileWidth(isa, kp);
        this.split = new Q8GemmLayout.Split(m, n, tile, GROUP, (n + GROUP - 1) / GROUP, 2 * tile, 0);
        int np = Q8Gemm.roundUp(n, GROUP);
        this.handle = bind ? NativeKernels.handle("whittle_" + name, SIGNATURE) : null;
        // Tile kernels: alignment, the packed tile [kp/B][tile][B] (4 bytes per pixel and block
        // on both ISAs: 2 int16 or 4 uint8), the staged output [16][tile], the raw rows
        // [tile][kp] with the 16 bytes a gathered row may write past its end, slack. Rows
        // kernel: alignment, 4 rows of kp bytes.
        this.scratchBytes = isa.rows() ? 64 + 4L * kp + 64
                : 64 + (long) (kp / isa.block) * tile * 4 + GROUP * isa.tile + (long) tile * kp + 64;
        int wo = s.weightsOffset();
        int[] sums = new int[n];
        for (int o = 0; o < n; o++) {
            for (int i = 0; i < k; i++) {
                sums[o] += weff(w, o, k, i, s.unsigned(), wo);
            }
        }
        Packed packed = isa.rows() ? packRows(s, k, isa.rowAlign, isa.stride, w) : packBlocks(isa, s, k, tile, w);
        this.nonZeroPairs = packed.count();
        this.rowStart = packed.rowStart();
        this.pairOffset = packed.pairOffset();
        this.pairValue = packed.pairValue();
        this.channel = NativeKernels.allocate(4L * CHANNEL_ARRAYS * np);
        this.params = NativeKernels.allocate(PARAMS_BYTES);
        // vpdpbusd multiplies uint8 activations: int8 inputs are packed as x + 128 (x ^ 0x80).
        int activationBias = isa != Isa.AVX2 && !s.unsigned() ? 128 : 0;
        if (isa == Isa.NEONDOT) {
            // sdot multiplies int8 by int8: uint8 inputs are packed as x - 128 (x ^ 0x80), int8 as they are.
            activationBias = s.unsigned() ? -128 : 0;
        }
        int io = s.inputOffset();
        for (int o = 0; o < n; o++) {
            // As the dense kernels: const = bias + inputOffset * sum_k w_eff (- 128 * sum for
            // the +128 of int8 activations on VNNI).
            int c = (io - activationBias) * sums[o] + (bias != null ? bias.getInt(o * 4) : 0);
            Q8GemmLayout.putOutputStage(channel, np, o, c, s.multipliers()[o], s.shifts()[o]);
        }
        // The dense header (whittle_q8_gemm_params, as Q8Gemm writes it); kp = K rounded to the
        // ISA's staged row length.
        Q8GemmLayout.putHeader(params, s, k, kp, np, tile, 0, 0, 0L, channel.address());
        params.set(ValueLayout.JAVA_LONG, 256, rowStart.address());
        params.set(ValueLayout.JAVA_LONG, 264, pairOffset.address());
        params.set(ValueLayout.JAVA_LONG, 272, pairValue.address());
        params.set(ValueLayout.JAVA_INT, 280, isa.rows() ? isa.rowAlign : 0);
        params.set(ValueLayout.JAVA_INT, 284, isa.rows() ? isa.stride : 0);
        params.set(ValueLayout.JAVA_INT, 288, isa.rows() ? (k + isa.stride - 1) / isa.stride : 0);
    }

    /** The three native arrays of a format and its entry count. */
    private record Packed(MemorySegment rowStart, MemorySegment pairOffset, MemorySegment pairValue, long count) {
    }

    /**
     * The tile kernels' format: per channel its non-zero 1xB blocks (offset of the block's row
     * in the packed tile, the weights: 2 int16 on AVX2, 4 int8 on VNNI), an even count per channel.
     */
    private static Packed packBlocks(Isa isa, Q8Gemm.Spec s, int k, int tile, ByteBuffer w) {
        int n = s.outC();
        int wo = s.weightsOffset();
        int blocks = (k + isa.block - 1) / isa.block;
        int rowBytes = tile * 4;
        Ints offsets = new Ints();
        Ints values = new Ints();
        int[] starts = new int[n + 1];
        int[] res = new int[isa.block];
        for (int o = 0; o < n; o++) {
            starts[o] = offsets.size;
            for (int b = 0; b < blocks; b++) {
                for (int i = 0; i < isa.block; i++) {
                    int kk = b * isa.block + i;
                    res[i] = kk < k ? weff(w, o, k, kk, s.unsigned(), wo) : 0;
                }
                if (isa == Isa.AVX2) {
                    if (res[0] != 0 || res[1] != 0) {
                        offsets.add(b * rowBytes);
                        values.add((res[0] & 0xFFFF) | (res[1] << 16));
                    }
                    continue;
                }
                // int8 weights: a uint8 layer's w + filterOffset in [-255, 255] that does not
                // fit int8 becomes 2-3 blocks at the same offset whose weights sum to it.
                while (res[0] != 0 || res[1] != 0 || res[2] != 0 || res[3] != 0) {
                    int packed = 0;
                    for (int i = 0; i < 4; i++) {
                        int part = Math.max(-128, Math.min(127, res[i]));
                        res[i] -= part;
                        packed |= (part & 0xFF) << (8 * i);
                    }
                    offsets.add(b * rowBytes);
                    values.add(packed);
                }
            }
            if (((offsets.size - starts[o]) & 1) != 0) {
                // An even count per channel: the kernels take two blocks at a time, and a
                // data-dependent tail is one more mispredicted branch per channel. The padding
                // block multiplies block 0 by zero weights.
                offsets.add(0);
                values.add(0);
            }
        }
        starts[n] = offsets.size;
        MemorySegment rowStart = NativeKernels.allocate(4L * (n + 1));
        MemorySegment pairOffset = NativeKernels.allocate(Math.max(4, 4L * offsets.size));
        MemorySegment pairValue = NativeKernels.allocate(Math.max(4, 4L * values.size));
        MemorySegment.copy(starts, 0, rowStart, ValueLayout.JAVA_INT, 0, n + 1);
        MemorySegment.copy(offsets.data, 0, pairOffset, ValueLayout.JAVA_INT, 0, offsets.size);
        MemorySegment.copy(values.data, 0, pairValue, ValueLayout.JAVA_INT, 0, values.size);
        return new Packed(rowStart, pairOffset, pairValue, offsets.size);
    }

    /**
     * The rows kernel's format ({@code q8_conv2d_sparse_4x16c4__avx512vnni.cc}): per group of
     * 16 channels and window of {@code width} K (one every {@code stride} K), steps of 64 index
     * bytes (channel l's next 4 non-zero weights' positions in the window at bytes 4l..4l+3) and
     * 64 int8 weights, as {@link #schedule} orders them.
     */
    private static Packed packRows(Q8Gemm.Spec s, int k, int width, int stride, ByteBuffer w) {
        int n = s.outC();
        int wo = s.weightsOffset();
        int groups = (n + GROUP - 1) / GROUP;
        int windows = (k + stride - 1) / stride;
        byte[] steps = new byte[groups * windows];
        int[] groupStart = new int[groups];
        java.io.ByteArrayOutputStream data = new java.io.ByteArrayOutputStream();
        // Per lane its entries: position and int8 weight (a uint8 layer's weight outside int8 as
        // 2-3 entries at the same position).
        int[][] pos = new int[GROUP][3 * k];
        int[][] val = new int[GROUP][3 * k];
        int[] count = new int[GROUP];
        byte[] groupSteps = new byte[windows];
        for (int g = 0; g < groups; g++) {
            groupStart[g] = data.size();
            for (int l = 0; l < GROUP; l++) {
                count[l] = 0;
                int o = g * GROUP + l;
                for (int i = 0; o < n && i < k; i++) {
                    int v = weff(w, o, k, i, s.unsigned(), wo);
                    while (v != 0) {
                        int part = Math.max(-128, Math.min(127, v));
                        v -= part;
                        pos[l][count[l]] = i;
                        val[l][count[l]++] = part;
                    }
                }
            }
            schedule(pos, val, count, k, width, stride, groupSteps, data);
            System.arraycopy(groupSteps, 0, steps, g * windows, windows);
        }
        byte[] bytes = data.toByteArray();
        MemorySegment rowStart = NativeKernels.allocate(Math.max(4, steps.length));
        MemorySegment pairOffset = NativeKernels.allocate(4L * groups);
        MemorySegment pairValue = NativeKernels.allocate(Math.max(64, bytes.length));
        MemorySegment.copy(steps, 0, rowStart, ValueLayout.JAVA_BYTE, 0, steps.length);
        MemorySegment.copy(groupStart, 0, pairOffset, ValueLayout.JAVA_INT, 0, groups);
        MemorySegment.copy(bytes, 0, pairValue, ValueLayout.JAVA_BYTE, 0, bytes.length);
        return new Packed(rowStart, pairOffset, pairValue, bytes.length / 128);
    }

    /** A growable int array (no boxing for the ~10^5 blocks of a layer). */
    private static final class Ints {
        int[] data = new int[256];
        int size;

        void add(int v) {
            if (size == data.length) {
                data = java.util.Arrays.copyOf(data, 2 * size);
            }
            data[size++] = v;
        }
    }

    private static int weff(ByteBuffer w, int o, int k, int i, boolean unsigned, int wo) {
        int raw = w.get(o * k + i);
        return (unsigned ? raw & 0xFF : raw) + wo;
    }

    /**
     * The prepared kernel, or null when the node is outside what the native code handles (as
     * {@link Q8Gemm#create}: sizes past int32 indexing, shifts outside [-31, 31], a padding value
     * outside the byte type, a weight offset that leaves int16).
     */
    static Q8SparseGemm create(String name, Isa isa, Q8Gemm.Spec s, ByteBuffer w, ByteBuffer bias) {
        return create(name, isa, s, w, bias, true);
    }

    /**
     * As {@link #create(String, Isa, Q8Gemm.Spec, ByteBuffer, ByteBuffer)}; {@code bind = false}
     * packs without looking up the kernel's symbol (the NEON kernels packed on x86 for the test
     * vectors replayed under qemu); such a GEMM cannot run.
     */
    static Q8SparseGemm create(String name, Isa isa, Q8Gemm.Spec s, ByteBuffer w, ByteBuffer bias, boolean bind) {
        if (!Q8GemmLayout.validGeometry(s)) {
            return null;
        }
        int k;
        int kp;
        try {
            k = Math.multiplyExact(Math.multiplyExact(s.kh(), s.kw()), s.inC());
            // rows kernel: the last window reads up to a window past K
            kp = isa.rows() ? Q8Gemm.roundUp(k + isa.rowAlign, 64) : Q8Gemm.roundUp(k, isa.rowAlign);
            Q8GemmLayout.pixels(s);
            Math.toIntExact(Math.multiplyExact((long) s.outC(), (long) k));
            // block offsets (k / B) * tile * 4 and the packed tile (64 kp bytes on both ISAs) in int32
            Math.toIntExact(Math.multiplyExact((long) kp, 64L) + 4096);
            // the rows format: at most 3 entries per weight, a step of 128 bytes per 4 entries
            // (groups x (3 kp / 4 + kp / 64) steps of 128 bytes: ~6.2 (outC + 16) kp) in int32
            Math.toIntExact(Math.multiplyExact(Math.multiplyExact((long) s.outC() + GROUP, (long) kp), 7L) + 4096);
        } catch (ArithmeticException e) {
            return null;
        }
        if (isa.rows() && !direct(s)) {
            return null;
        }
        if (!Q8GemmLayout.validQuant(s, w, k, bias)) {
            return null;
        }
        return new Q8SparseGemm(name, isa, s, k, kp, w.duplicate().order(w.order()),
                bias == null ? null : bias.duplicate().order(ByteOrder.LITTLE_ENDIAN), bind);
    }

    /**
     * What a test replays elsewhere (the NEON vectors): the params block, then every block its
     * pointer fields point at, as written at prepare.
     */
    MemorySegment[] blocks() {
        return new MemorySegment[] {params, rowStart, pairOffset, pairValue, channel};
    }

    @Override
    public Q8GemmLayout.Split split() {
        return split;
    }

    @Override
    public void runRange(long input, long output, long scratch, int m0, int m1, int n0, int n1) {
        Q8GemmLayout.call(handle, name, params.address(), input, output, scratch, m0, m1, n0, n1);
    }

    /** Tasks for {@code threads} workers: see {@link Q8GemmLayout.Split}. */
    @Override
    public int tasks(int threads) {
        return split.tasks(threads);
    }

    /** Runs task {@code task} of {@link #tasks}{@code (threads)}. */
    @Override
    public void run(ExecutionState s, long input, long output, long scratch, int task) {
        split.invoke(handle, name, params.address(), s.threads(), input, output, scratch, task);
    }

    @Override
    public void run(ExecutionState s, long input, long output, long scratch, int from, int to) {
        split.invoke(handle, name, params.address(), s.threads(), input, output, scratch, from, to);
    }
}
