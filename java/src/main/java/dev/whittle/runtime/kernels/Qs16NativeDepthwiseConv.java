package dev.whittle.runtime.kernels;

import dev.whittle.internal.nativelib.NativeLibrary;
import dev.whittle.runtime.ExecutionState;
import dev.whittle.runtime.Kernel;
import dev.whittle.runtime.ParallelTask;
import dev.whittle.runtime.kernels.reference.DepthwiseConvKernels;
import dev.whittle.runtime.kernels.reference.DepthwiseConvParams;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * DEPTHWISE_CONV_2D 16x8 ({@code qs16_qc8w_dwconv2d_16c__avx2}), depth multiplier 1: channels
 * in vectors of 16, taps two at a time (vpunpck{l,h}wd of two taps' inputs, vpmaddwd by the
 * weights packed here in the same order), exact int32 sums (at most 510 taps), int64 bias,
 * TFLite's int64 {@code MultiplyByQuantizedMultiplier}. Bit-exact with
 * {@link DepthwiseConvKernels#QS16_QC8W}, which runs when the tensors are not in native memory.
 *
 * <p>Weights: {@code [cPadded / 16][tapsPadded / 2][32]} int16; in one 32-element group the
 * first 16 are what vpmaddwd multiplies with vpunpcklwd(tap t, tap t + 1) and the next 16
 * with vpunpckhwd: element {@code j} of a 128-bit lane {@code l} is channel
 * {@code 8l + (j % 8) / 2} (+4 for the high half), tap {@code t + j % 2}.
 */
public final class Qs16NativeDepthwiseConv implements Kernel<DepthwiseConvParams>, ParallelTask<DepthwiseConvParams> {
    private static final String NAME = "qs16_qc8w_dwconv2d_16c__avx2";
    /** The NEON kernel (AArch64 baseline): the same block (kernels/qs16_qc8w_dwconv2d_16c__neon.cc). */
    public static final String NEON_NAME = "qs16_qc8w_dwconv2d_16c__neon";
    private static final int VEC = 16;
    private static final long HEADER = 256;
    private static final long MIN_TASK_MACS = 1L << 16;

    private final String name;
    private final MemorySegment block;
    private final MethodHandle call;
    private final long rows;
    private final long macs;

    private Qs16NativeDepthwiseConv(String name, MemorySegment block, MethodHandle call, long rows, long macs) {
        this.name = name;
        this.block = block;
        this.call = call;
        this.rows = rows;
        this.macs = macs;
    }

    /** The kernel for one node, or null for what it does not handle. */
    static Qs16NativeDepthwiseConv create(DepthwiseConvParams p, ByteBuffer filter, ByteBuffer bias) {
        return create(NAME, p, filter, bias, true);
    }

    /** The NEON kernel for one node (registry factory of the NEON path), or null. */
    static Qs16NativeDepthwiseConv neon(DepthwiseConvParams p, ByteBuffer filter, ByteBuffer bias) {
        return create(NEON_NAME, p, filter, bias, true);
    }

    /**
     * The kernel {@code name} (the AVX2 or NEON one: the same block) for one node, or null;
     * {@code bind = false} packs the block without looking up the symbol (the NEON test vectors,
     * packed on x86 and replayed under qemu): such a kernel cannot run.
     */
    static Qs16NativeDepthwiseConv create(String name, DepthwiseConvParams p, ByteBuffer filter, ByteBuffer bias,
            boolean bind) {
        int taps = p.kh() * p.kw();
        if (p.multiplier() != 1 || p.inputOffset() != 0 || p.outputOffset() != 0 || p.filterOffset() != 0
                || (p.bias() >= 0 && bias == null) || p.batches() <= 0 || p.outH() <= 0 || p.outW() <= 0
                || p.inC() <= 0 || p.kh() <= 0 || p.kw() <= 0 || taps > 2 * Qs16Gemm.PAIRS_PER_FLUSH) {
            return null;
        }
        int c = p.inC();
        int cPadded = Qs16Gemm.roundUp(c, VEC);
        int tapsPadded = (taps + 1) & ~1;
        for (int i = 0; i < c; i++) {
            if (p.multipliers()[i] < 0 || p.shifts()[i] < -31 || p.shifts()[i] >= 8) {
                return null;
            }
        }
        long biasAt = HEADER;
        long multAt = biasAt + cPadded * 8L;
        long shiftAt = multAt + cPadded * 8L;
        long rndAt = shiftAt + cPadded * 8L;
        long weightsAt = Qs16Gemm.roundUp(rndAt + cPadded * 8L, 64);
        long bytes = weightsAt + (long) cPadded * tapsPadded * 2;
        MemorySegment block = NativeKernels.allocate(bytes);
        long[] header = {p.batches(), p.inH(), p.inW(), c, p.outH(), p.outW(), p.kh(), p.kw(), p.strideH(),
            p.strideW(), p.dilH(), p.dilW(), p.padH(), p.padW(), cPadded, tapsPadded, p.actMin(), p.actMax()};
        for (int i = 0; i < header.length; i++) {
            block.set(JAVA_LONG, i * 8L, header[i]);
        }
        long base = block.address();
        block.set(JAVA_LONG, 160, base + weightsAt);
        block.set(JAVA_LONG, 168, base + biasAt);
        block.set(JAVA_LONG, 176, base + multAt);
        block.set(JAVA_LONG, 184, base + shiftAt);
        block.set(JAVA_LONG, 192, base + rndAt);
        ByteBuffer bb = bias == null ? null : bias.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < cPadded; i++) {
            long shift = i < c ? 15 - p.shifts()[i] : 15;
            block.set(JAVA_LONG, biasAt + i * 8L, bb != null && i < c ? bb.getLong(i * 8) : 0);
            block.set(JAVA_LONG, multAt + i * 8L, i < c ? Qs16Gemm.reducedMultiplier(p.multipliers()[i]) : 0);
            block.set(JAVA_LONG, shiftAt + i * 8L, shift);
            block.set(JAVA_LONG, rndAt + i * 8L, 1L << (shift - 1));
        }
        // Filter [1, kh, kw, c]: tap t of channel ch at t * c + ch.
        ByteBuffer w = filter.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        long at = weightsAt;
        for (int c0 = 0; c0 < cPadded; c0 += VEC) {
            for (int t = 0; t < tapsPadded; t += 2) {
                for (int half = 0; half < 2; half++) {
                    for (int j = 0; j < VEC; j++) {
                        int lane = j / 8;
                        int ch = c0 + lane * 8 + half * 4 + (j % 8) / 2;
                        int tap = t + j % 2;
                        short v = ch < c && tap < taps ? w.get(tap * c + ch) : 0;
                        block.set(ValueLayout.JAVA_SHORT, at, v);
                        at += 2;
                    }
                }
            }
        }
        MethodHandle call = !bind ? null : NativeLibrary.get().downcall("whittle_" + name,
                FunctionDescriptor.ofVoid(JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG),
                Linker.Option.critical(false)).orElseThrow(() -> new IllegalStateException("libwhittle lacks " + name));
        long rows = (long) p.batches() * p.outH();
        return new Qs16NativeDepthwiseConv(name, block, call, rows, rows * p.outW() * c * taps);
    }

    @Override
    public String name() {
        return name;
    }

    /** The packed block (test vectors). */
    MemorySegment block() {
        return block;
    }

    /** Tasks of {@code threads} threads: task t runs rows [rows * t / tasks, rows * (t + 1) / tasks). */
    int tasks(int threads) {
        if (threads <= 1 || macs < 2 * MIN_TASK_MACS) {
            return 1;
        }
        return (int) Math.min(rows, 4L * threads);
    }

    @Override
    public void run(DepthwiseConvParams p, ExecutionState s) {
        long in = s.address(p.input());
        long out = s.address(p.output());
        if (in == 0 || out == 0) {
            DepthwiseConvKernels.QS16_QC8W.run(p, s);
            return;
        }
        int tasks = tasks(s.threads());
        if (tasks == 1) {
            invoke(in, out, 0, rows);
        } else {
            s.parallelFor(tasks, this, p);
        }
    }

    @Override
    public void run(DepthwiseConvParams p, ExecutionState s, int task, int worker) {
        int tasks = tasks(s.threads());
        invoke(s.address(p.input()), s.address(p.output()), rows * task / tasks, rows * (task + 1) / tasks);
    }

    private void invoke(long in, long out, long r0, long r1) {
        if (r0 >= r1) {
            return;
        }
        try {
            call.invokeExact(block.address(), in, out, r0, r1);
        } catch (Throwable t) {
            throw new IllegalStateException(name + " failed", t);
        }
    }
}
