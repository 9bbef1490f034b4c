package dev.whittle.runtime.kernels;

import dev.whittle.runtime.ExecutionState;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The prepared half of the blocked unstructured sparse int8/uint8 kernels
 * ({@code kernels/q8_conv2d_sparse_*}, {@code native/include/whittle/q8_sparse.h}): per output
 * channel only the non-zero 1x2 blocks along K (pairs of adjacent K values), as the pair's
 * byte offset in the packed activation tile and its two weights {@code w + filterOffset} in
 * int16; the dense GEMM's params header (geometry, offsets, requantization: written by the
 * same rules as {@link Q8Gemm}, the oracle being the same reference kernel); the task split.
 * Why 1x2 blocks: see the kernel file.
 */
final class Q8SparseGemm implements NativeGemm {
    /** Kernel name suffix: tiles of 32 pixels x 1 channel, K in pairs. */
    static final String AVX2_SUFFIX = "sparse_32x1c2__avx2";
    /** Kernel name suffix: tiles of 64 pixels x 1 channel, K in quads (vpdpbusd). */
    static final String VNNI_SUFFIX = "sparse_64x1c4__avx512vnni";
    /** Pixels per packed tile (the native WHITTLE_Q8_SPARSE_TILE). */
    static final int TILE = 32;
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
     * ~40-45% (the 7x7 layer's 49 pixels fill 32+16+8-pixel tiles, the worst case).
     */
    static final double AUTO_MIN_ZERO_PAIRS = 0.45;
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
    /** auto, the VNNI sparse kernel against the VNNI dense kernel: the fraction of all-zero 1x4 blocks from which it wins. */
    static final double AUTO_VNNI_MIN_ZERO_QUADS = 0.35;
    /** auto, the VNNI sparse kernel: fewest output pixels (a 16-pixel tile mostly empty below). */
    static final long AUTO_VNNI_MIN_PIXELS = 16;
    /** auto, the VNNI sparse kernel: smallest K. */
    static final int AUTO_VNNI_MIN_K = 1;

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
     * Whether the weight-format dispatch may use the kernel of {@code isa} on a layer: always
     * under {@code --kernels sparse} (to measure, or for the memory), under {@code auto} only
     * where the benchmark shows it faster than the dense kernel dispatch would run instead
     * (AVX2, or AVX-512 VNNI where the CPU has it and {@code -Dwhittle.kernels} allows it).
     */
    static boolean pays(Isa isa, KernelFamily<?> dense, ByteBuffer w, int n, int k, int zero, long pixels) {
        if (WeightFormat.current() != WeightFormat.AUTO) {
            return true;
        }
        if (isa == Isa.AVX512VNNI) {
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
        return zeroPairs(w, n, k, zero) >= (vnniDense ? AUTO_MIN_ZERO_PAIRS_VS_VNNI : AUTO_MIN_ZERO_PAIRS);
    }

    /** The two instruction sets, with their block size along K, tile and packed row alignment. */
    enum Isa {
        /** vpmaddwd on int16 pairs: 1x2 blocks, tiles of 32 pixels, K staged in rows of 16. */
        AVX2(AVX2_SUFFIX, 2, TILE, 16),
        /** vpdpbusd on uint8 activations x int8 weights: 1x4 blocks, tiles of 64 pixels, rows of 64. */
        AVX512VNNI(VNNI_SUFFIX, 4, 64, 64);

        final String suffix;
        final int block;
        final int tile;
        final int rowAlign;

        Isa(String suffix, int block, int tile, int rowAlign) {
            this.suffix = suffix;
            this.block = block;
            this.tile = tile;
            this.rowAlign = rowAlign;
        }
    }

    private Q8SparseGemm(String name, Isa isa, Q8Gemm.Spec s, int k, int kp, ByteBuffer w, ByteBuffer bias) {
        this.name = name;
        this.m = s.batches() * s.outH() * s.outW();
        this.n = s.outC();
        this.split = new Q8GemmLayout.Split(m, n, isa.tile, GROUP, (n + GROUP - 1) / GROUP, 2 * isa.tile, 0);
        int np = Q8Gemm.roundUp(n, GROUP);
        this.handle = NativeKernels.handle("whittle_" + name, SIGNATURE);
        // Alignment, the packed tile [kp/B][tile][B] (4 bytes per pixel and block on both ISAs:
        // 2 int16 or 4 uint8), the staged output [16][tile], the raw rows [tile][kp] with the 16
        // bytes a gathered row may write past its end, slack.
        this.scratchBytes = 64 + (long) (kp / isa.block) * isa.tile * 4 + GROUP * isa.tile + (long) isa.tile * kp + 64;
        int wo = s.weightsOffset();
        int blocks = (k + isa.block - 1) / isa.block;
        int rowBytes = isa.tile * 4;
        Ints offsets = new Ints();
        Ints values = new Ints();
        int[] starts = new int[n + 1];
        int[] constants = new int[n];
        // vpdpbusd multiplies uint8 activations: int8 inputs are packed as x + 128 (x ^ 0x80).
        int activationBias = isa == Isa.AVX512VNNI && !s.unsigned() ? 128 : 0;
        int io = s.inputOffset();
        int[] res = new int[isa.block];
        for (int o = 0; o < n; o++) {
            starts[o] = offsets.size;
            int sum = 0;
            for (int b = 0; b < blocks; b++) {
                for (int i = 0; i < isa.block; i++) {
                    int kk = b * isa.block + i;
                    res[i] = kk < k ? weff(w, o, k, kk, s.unsigned(), wo) : 0;
                    sum += res[i];
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
            // As the dense kernels: const = bias + inputOffset * sum_k w_eff (- 128 * sum for
            // the +128 of int8 activations on VNNI).
            constants[o] = (io - activationBias) * sum + (bias != null ? bias.getInt(o * 4) : 0);
        }
        starts[n] = offsets.size;
        long count = offsets.size;
        this.nonZeroPairs = count;
        this.rowStart = NativeKernels.allocate(4L * (n + 1));
        this.pairOffset = NativeKernels.allocate(Math.max(4, 4 * count));
        this.pairValue = NativeKernels.allocate(Math.max(4, 4 * count));
        this.channel = NativeKernels.allocate(4L * CHANNEL_ARRAYS * np);
        this.params = NativeKernels.allocate(PARAMS_BYTES);
        MemorySegment.copy(starts, 0, rowStart, ValueLayout.JAVA_INT, 0, n + 1);
        MemorySegment.copy(offsets.data, 0, pairOffset, ValueLayout.JAVA_INT, 0, offsets.size);
        MemorySegment.copy(values.data, 0, pairValue, ValueLayout.JAVA_INT, 0, values.size);
        for (int o = 0; o < n; o++) {
            Q8GemmLayout.putOutputStage(channel, np, o, constants[o], s.multipliers()[o], s.shifts()[o]);
        }
        // The dense header (whittle_q8_gemm_params, as Q8Gemm writes it); kp = K rounded to the
        // ISA's staged row length.
        Q8GemmLayout.putHeader(params, s, k, kp, np, isa.tile, 0, 0, 0L, channel.address());
        params.set(ValueLayout.JAVA_LONG, 256, rowStart.address());
        params.set(ValueLayout.JAVA_LONG, 264, pairOffset.address());
        params.set(ValueLayout.JAVA_LONG, 272, pairValue.address());
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
        if (!Q8GemmLayout.validGeometry(s)) {
            return null;
        }
        int k;
        int kp;
        try {
            k = Math.multiplyExact(Math.multiplyExact(s.kh(), s.kw()), s.inC());
            kp = Q8Gemm.roundUp(k, isa.rowAlign);
            Q8GemmLayout.pixels(s);
            Math.toIntExact(Math.multiplyExact((long) s.outC(), (long) k));
            // block offsets (k / B) * tile * 4 and the packed tile (64 kp bytes on both ISAs) in int32
            Math.toIntExact(Math.multiplyExact((long) kp, 64L) + 4096);
        } catch (ArithmeticException e) {
            return null;
        }
        if (!Q8GemmLayout.validQuant(s, w, k, bias)) {
            return null;
        }
        return new Q8SparseGemm(name, isa, s, k, kp, w.duplicate().order(w.order()),
                bias == null ? null : bias.duplicate().order(ByteOrder.LITTLE_ENDIAN));
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
}
