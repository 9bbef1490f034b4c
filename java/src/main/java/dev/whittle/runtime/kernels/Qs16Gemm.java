package dev.whittle.runtime.kernels;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * The 16x8 GEMM shared by CONV_2D ({@link Qs16NativeConv}) and FULLY_CONNECTED
 * ({@link Qs16NativeFullyConnected}): the parameter block {@code whittle_qs16_gemm_params}
 * ({@code native/include/whittle/qs16.h}) with the weights packed in panels, written once at
 * prepare, and the split of one node into tasks.
 *
 * <p>Packed weights: panels of {@code nr} output channels (the last one {@code vec}-rounded),
 * each {@code [kp / 2][width][2]} int16 (the pair k, k + 1 of one channel adjacent, as
 * vpmaddwd/vpdpwssd read them), zero padded in K and N; the panel of channel {@code c0} starts
 * at element {@code c0 * kp}.
 */
final class Qs16Gemm {
    /** Output stages, as {@code WHITTLE_QS16_STAGE_*}. */
    static final int STAGE_INT64 = 0;
    static final int STAGE_RUY = 1;
    static final int STAGE_DOUBLE = 2;
    /** {@code WHITTLE_QS16_PAIRS_PER_FLUSH}, mirrored for the depthwise tap limit. */
    static final int PAIRS_PER_FLUSH = 255;

    private static final long HEADER = 256;
    /** Below this many multiply-adds a node runs as one task: a hand-off costs more than it saves. */
    private static final long MIN_TASK_MACS = 1L << 16;

    /** One ISA's tile: rows {@code mr}, channels {@code nr}, channel granularity {@code vec}. */
    enum Isa {
        AVX2(KernelPath.AVX2, "4x16c2__avx2", 4, 16, 8),
        AVX512VNNI(KernelPath.AVX512VNNI, "8x32c2__avx512vnni", 8, 32, 16),
        /** AArch64 smlal by element: the AVX2 panels (kernels/qs16_qc8w_gemm_4x16c2__neon.cc). */
        NEON(KernelPath.NEON, "4x16c2__neon", 4, 16, 8);

        final KernelPath path;
        final String suffix;
        final int mr;
        final int nr;
        final int vec;

        Isa(KernelPath path, String suffix, int mr, int nr, int vec) {
            this.path = path;
            this.suffix = suffix;
            this.mr = mr;
            this.nr = nr;
            this.vec = vec;
        }
    }

    final Isa isa;
    final String name;
    final MemorySegment block;
    final MethodHandle call;
    final long m;
    final int nPadded;
    final int panels;
    final long k;
    final long kp;
    final boolean direct;

    /**
     * Packs one node.
     *
     * @param geometry batches, inH, inW, inC, outH, outW, outC, kh, kw, strideH, strideW, dilH,
     *     dilW, padH, padW
     * @param weights {@code [outC][k]} int8, little-endian from position 0
     * @param bias per output channel (already widened), or null for none
     * @param mult, shift, rnd per output channel, the stage's integers (null for the double stage)
     * @param scale per output channel (the double stage), else null
     */
    Qs16Gemm(Isa isa, String op, long[] geometry, ByteBuffer weights, long[] bias, int stage, long[] mult,
            long[] shift, long[] rnd, double[] scale, int actMin, int actMax) {
        this.isa = isa;
        this.name = "qs16_qc8w_" + op + "_gemm_" + isa.suffix;
        int outC = (int) geometry[6];
        this.k = geometry[7] * geometry[8] * geometry[3];
        this.kp = (k + 1) & ~1L;
        this.nPadded = roundUp(outC, isa.vec);
        this.panels = (nPadded + isa.nr - 1) / isa.nr;
        this.m = geometry[0] * geometry[4] * geometry[5];
        this.direct = geometry[7] == 1 && geometry[8] == 1 && geometry[13] == 0 && geometry[14] == 0;
        long arrays = 5L * nPadded * 8;
        long weightsAt = roundUp(HEADER + arrays, 64);
        long bytes = Math.addExact(weightsAt, Math.multiplyExact(Math.multiplyExact(nPadded, kp), 2L));
        this.block = NativeKernels.allocate(bytes);
        long biasAt = HEADER;
        long multAt = biasAt + nPadded * 8L;
        long shiftAt = multAt + nPadded * 8L;
        long rndAt = shiftAt + nPadded * 8L;
        long scaleAt = rndAt + nPadded * 8L;
        long[] header = new long[24];
        System.arraycopy(geometry, 0, header, 0, 15);
        header[15] = k;
        header[16] = kp;
        header[17] = direct ? 1 : 0;
        header[18] = stage;
        header[19] = isa.nr;
        header[20] = nPadded;
        header[21] = actMin;
        header[22] = actMax;
        for (int i = 0; i < header.length; i++) {
            block.set(JAVA_LONG, i * 8L, header[i]);
        }
        long base = block.address();
        block.set(JAVA_LONG, 192, base + weightsAt);
        block.set(JAVA_LONG, 200, base + biasAt);
        block.set(JAVA_LONG, 208, base + multAt);
        block.set(JAVA_LONG, 216, base + shiftAt);
        block.set(JAVA_LONG, 224, base + rndAt);
        block.set(JAVA_LONG, 232, base + scaleAt);
        for (int c = 0; c < outC; c++) {
            block.set(JAVA_LONG, biasAt + c * 8L, bias == null ? 0 : bias[c]);
            if (scale != null) {
                block.set(ValueLayout.JAVA_DOUBLE, scaleAt + c * 8L, scale[c]);
            } else {
                block.set(JAVA_LONG, multAt + c * 8L, mult[c]);
                block.set(JAVA_LONG, shiftAt + c * 8L, shift[c]);
                block.set(JAVA_LONG, rndAt + c * 8L, rnd[c]);
            }
        }
        for (int c = outC; c < nPadded; c++) {
            // Padding channels: a harmless stage (multiplier 0, shift 15); never stored.
            block.set(JAVA_LONG, shiftAt + c * 8L, 15);
            block.set(JAVA_LONG, rndAt + c * 8L, 1L << 14);
        }
        ByteBuffer w = weights.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        for (int c0 = 0; c0 < nPadded; c0 += isa.nr) {
            int width = Math.min(isa.nr, nPadded - c0);
            long panel = weightsAt + (long) c0 * kp * 2;
            for (int j = 0; j < width && c0 + j < outC; j++) {
                long row = (long) (c0 + j) * k;
                for (long kk = 0; kk < k; kk++) {
                    long at = panel + ((kk >> 1) * width * 2 + j * 2L + (kk & 1)) * 2;
                    block.set(ValueLayout.JAVA_SHORT, at, w.get((int) (row + kk)));
                }
            }
        }
        // Null where this library does not export the kernel (the registry never creates one
        // then; the NEON kernels' test vectors are packed on x86): run() then throws.
        this.call = Qs16NativeFormatGemm.downcall(name);
    }

    static int roundUp(int v, int to) {
        return (v + to - 1) / to * to;
    }

    static long roundUp(long v, long to) {
        return (v + to - 1) / to * to;
    }

    /** Bytes of im2col rows each worker needs (none when the rows are read in place). */
    long workerScratchBytes() {
        return direct ? 0 : isa.mr * kp * 2 + 64;
    }

    /**
     * Row splits of the task grid for {@code threads} workers: one task when the node is small,
     * else about four per thread, over blocks of output rows ({@link #panelSplits} also over
     * channel panels when the rows are few). Computed, not stored: kernels are shared by
     * contexts with different thread counts, and a call must not allocate.
     */
    long rowSplits(int threads) {
        long mBlocks = (m + isa.mr - 1) / isa.mr;
        if (threads <= 1 || m * nPadded * k < MIN_TASK_MACS * 2) {
            return 1;
        }
        return Math.min(mBlocks, Math.min(4L * threads, mBlocks * panels));
    }

    long panelSplits(int threads) {
        long mBlocks = (m + isa.mr - 1) / isa.mr;
        if (threads <= 1 || m * nPadded * k < MIN_TASK_MACS * 2) {
            return 1;
        }
        long want = Math.min(4L * threads, mBlocks * panels);
        return mBlocks >= want ? 1 : Math.min(panels, (want + mBlocks - 1) / mBlocks);
    }

    /** Number of tasks for {@code threads} workers. */
    int tasks(int threads) {
        return (int) (rowSplits(threads) * panelSplits(threads));
    }

    /** Runs task {@code task} of the grid for {@code threads} workers. */
    void run(long input, long output, long scratch, int task, int threads) {
        long mBlocks = (m + isa.mr - 1) / isa.mr;
        long mSplit = rowSplits(threads);
        long nSplit = panelSplits(threads);
        long tm = task / nSplit;
        long tn = task % nSplit;
        long m0 = Math.min(m, mBlocks * tm / mSplit * isa.mr);
        long m1 = Math.min(m, mBlocks * (tm + 1) / mSplit * isa.mr);
        long n0 = Math.min(nPadded, panels * tn / nSplit * isa.nr);
        long n1 = Math.min(nPadded, panels * (tn + 1) / nSplit * isa.nr);
        Qs16NativeFormatGemm.call(call, name, block.address(), input, output, scratch, m0, m1, n0, n1);
    }

    /** TFLite's 15-bit multiplier of the int64 {@code MultiplyByQuantizedMultiplier}. */
    static long reducedMultiplier(int multiplier) {
        return multiplier < 0x7FFF0000 ? (multiplier + (1 << 15)) >> 16 : 0x7FFF;
    }
}
