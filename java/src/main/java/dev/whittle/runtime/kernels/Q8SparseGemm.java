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
        long zeroPairs = 0;
        int pairs = (k + 1) / 2;
        for (int o = 0; o < n; o++) {
            for (int i = 0; i < k; i += 2) {
                boolean z = (w.get(o * k + i) & 0xFF) == zero && (i + 1 >= k || (w.get(o * k + i + 1) & 0xFF) == zero);
                zeroPairs += z ? 1 : 0;
            }
        }
        return (double) zeroPairs / ((long) n * pairs);
    }

    /**
     * Whether the weight-format dispatch may use this kernel on a layer: always under
     * {@code --kernels sparse} (to measure, or for the memory), under {@code auto} only where
     * the benchmark shows it faster than the dense kernel dispatch would run instead (AVX2, or
     * AVX-512 VNNI where the CPU has it and {@code -Dwhittle.kernels} allows it).
     */
    static boolean pays(KernelFamily<?> dense, ByteBuffer w, int n, int k, int zero, long pixels) {
        if (WeightFormat.current() != WeightFormat.AUTO) {
            return true;
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

    private Q8SparseGemm(String name, Q8Gemm.Spec s, int k, int kp, ByteBuffer w, ByteBuffer bias) {
        this.name = name;
        this.m = s.batches() * s.outH() * s.outW();
        this.n = s.outC();
        this.split = new Q8GemmLayout.Split(m, n, TILE, GROUP, (n + GROUP - 1) / GROUP, 2 * TILE, 0);
        int np = Q8Gemm.roundUp(n, GROUP);
        this.handle = NativeKernels.handle("whittle_" + name, SIGNATURE);
        // Alignment, the packed tile [kp/2][32][2] int16, the staged output [16][32], the raw
        // rows [32][kp] with the 16 bytes a gathered row may write past its end, slack.
        this.scratchBytes = 64 + (long) (kp / 2) * TILE * 4 + GROUP * TILE + (long) TILE * kp + 64;
        int wo = s.weightsOffset();
        int pairs = (k + 1) / 2;
        long count = 0;
        for (int o = 0; o < n; o++) {
            long rowCount = 0;
            for (int i = 0; i < pairs; i++) {
                boolean nonZero = weff(w, o, k, 2 * i, s.unsigned(), wo) != 0
                        || (2 * i + 1 < k && weff(w, o, k, 2 * i + 1, s.unsigned(), wo) != 0);
                rowCount += nonZero ? 1 : 0;
            }
            count += rowCount + (rowCount & 1);
        }
        this.nonZeroPairs = count;
        this.rowStart = NativeKernels.allocate(4L * (n + 1));
        this.pairOffset = NativeKernels.allocate(Math.max(4, 4 * count));
        this.pairValue = NativeKernels.allocate(Math.max(4, 4 * count));
        this.channel = NativeKernels.allocate(4L * CHANNEL_ARRAYS * np);
        this.params = NativeKernels.allocate(PARAMS_BYTES);
        int io = s.inputOffset();
        long at = 0;
        for (int o = 0; o < n; o++) {
            rowStart.setAtIndex(ValueLayout.JAVA_INT, o, (int) at);
            int sum = 0;
            for (int i = 0; i < pairs; i++) {
                int w0 = weff(w, o, k, 2 * i, s.unsigned(), wo);
                int w1 = 2 * i + 1 < k ? weff(w, o, k, 2 * i + 1, s.unsigned(), wo) : 0;
                sum += w0 + w1;
                if (w0 != 0 || w1 != 0) {
                    pairOffset.setAtIndex(ValueLayout.JAVA_INT, at, i * TILE * 4);
                    pairValue.setAtIndex(ValueLayout.JAVA_INT, at, (w0 & 0xFFFF) | (w1 << 16));
                    at++;
                }
            }
            if (((at - rowStart.getAtIndex(ValueLayout.JAVA_INT, o)) & 1) != 0) {
                // An even count per channel: the kernel's loop takes two blocks at a time, and a
                // data-dependent tail is one more mispredicted branch per channel. The padding
                // block multiplies pair 0 by zero weights.
                pairOffset.setAtIndex(ValueLayout.JAVA_INT, at, 0);
                pairValue.setAtIndex(ValueLayout.JAVA_INT, at, 0);
                at++;
            }
            // As the dense AVX2 kernel: const = bias + inputOffset * sum_k w_eff.
            int c = io * sum + (bias != null ? bias.getInt(o * 4) : 0);
            Q8GemmLayout.putOutputStage(channel, np, o, c, s.multipliers()[o], s.shifts()[o]);
        }
        rowStart.setAtIndex(ValueLayout.JAVA_INT, n, (int) at);
        // The dense header (whittle_q8_gemm_params, as Q8Gemm writes it); kp = K rounded to 16.
        Q8GemmLayout.putHeader(params, s, k, kp, np, TILE, 0, 0, 0L, channel.address());
        params.set(ValueLayout.JAVA_LONG, 256, rowStart.address());
        params.set(ValueLayout.JAVA_LONG, 264, pairOffset.address());
        params.set(ValueLayout.JAVA_LONG, 272, pairValue.address());
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
    static Q8SparseGemm create(String name, Q8Gemm.Spec s, ByteBuffer w, ByteBuffer bias) {
        if (!Q8GemmLayout.validGeometry(s)) {
            return null;
        }
        int k;
        int kp;
        try {
            k = Math.multiplyExact(Math.multiplyExact(s.kh(), s.kw()), s.inC());
            kp = Q8Gemm.roundUp(k, 16);
            Q8GemmLayout.pixels(s);
            Math.toIntExact(Math.multiplyExact((long) s.outC(), (long) k));
            // pair offsets (k / 2) * 128 and the packed tile in int32
            Math.toIntExact(Math.multiplyExact((long) kp, 2L * TILE) + 4096);
        } catch (ArithmeticException e) {
            return null;
        }
        if (!Q8GemmLayout.validQuant(s, w, k, bias)) {
            return null;
        }
        return new Q8SparseGemm(name, s, k, kp, w.duplicate().order(w.order()),
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
