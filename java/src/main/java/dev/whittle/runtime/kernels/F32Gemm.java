package dev.whittle.runtime.kernels;

import dev.whittle.internal.nativelib.NativeLibrary;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * What the native float32 GEMM kernels ({@link F32NativeConv}, {@link F32NativeFullyConnected})
 * share: the {@code whittle_f32_conv_params} block of {@code native/include/whittle/f32_conv.h},
 * weights packed into panels of {@code nr} output channels x K, and the split of the work into
 * tasks (blocks of {@link #MR} output pixels, and panels of channels when there are few pixels).
 */
final class F32Gemm {
    /** Output pixels per block of the task split (the 6x16 tile's rows). */
    static final int MR = 6;
    /** Rows of the tallest tile (12x8, for layers of at most 8 channels): what im2col scratch holds. */
    static final int MAX_MR = 12;
    static final int PARAMS_BYTES = 112;
    /** Downcall of {@code (params, input, output, scratch, m0, m1, n0, n1)}, all 64-bit. */
    /**
     * Fewest multiply-adds worth a task of their own (about 10 us at a quarter of peak): below
     * this the hand-off to a worker costs more than the work.
     */
    static final long MIN_TASK_MACS = 1L << 17;
    static final FunctionDescriptor DESCRIPTOR = FunctionDescriptor.ofVoid(JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG,
            JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG);

    private F32Gemm() {
    }

    /**
     * The handle of {@code symbol}; critical (no thread-state transition): the kernels run for
     * microseconds, never block, never call back, and touch only native memory.
     */
    static MethodHandle handle(String symbol, FunctionDescriptor descriptor) {
        return NativeLibrary.get().downcall(symbol, descriptor, Linker.Option.critical(false))
                .orElseThrow(() -> new IllegalStateException("libwhittle does not export " + symbol));
    }

    /** Panel width: 8 for layers of at most 8 output channels (none of a 16-wide panel wasted), else 16. */
    static int nr(int n) {
        return n <= 8 ? 8 : 16;
    }

    /**
     * Weights {@code w[n][k]} (filter {@code [outC][kh][kw][inC]} is this with k = kh * kw * inC),
     * little-endian float32 from position 0, packed into {@code ceil(n / nr)} panels of
     * {@code [k][nr]}, zero padded; then the bias (or zeros), {@code panels * nr} floats.
     *
     * @return {weights, bias} segments
     */
    static MemorySegment[] pack(ByteBuffer weights, ByteBuffer bias, int n, int k, int nr) {
        ByteBuffer w = weights.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        int panels = (n + nr - 1) / nr;
        MemorySegment packed = NativeKernels.allocate(Math.multiplyExact((long) panels * nr * 4, k));
        for (int o = 0; o < n; o++) {
            long base = ((long) (o / nr) * k * nr + o % nr) * 4;
            for (int i = 0; i < k; i++) {
                packed.set(JAVA_FLOAT, base + (long) i * nr * 4, w.getFloat((o * k + i) * 4));
            }
        }
        MemorySegment b = NativeKernels.allocate((long) panels * nr * 4);
        if (bias != null) {
            ByteBuffer bb = bias.duplicate().order(ByteOrder.LITTLE_ENDIAN);
            for (int o = 0; o < n; o++) {
                b.set(JAVA_FLOAT, o * 4L, bb.getFloat(o * 4));
            }
        }
        return new MemorySegment[] {packed, b};
    }

    /** Writes the params block (field order of {@code whittle_f32_conv_params}). */
    static MemorySegment params(int[] ints, float min, float max, MemorySegment weights, MemorySegment bias) {
        if (ints.length != 20) {
            throw new IllegalArgumentException("20 int fields expected");
        }
        MemorySegment p = NativeKernels.allocate(PARAMS_BYTES);
        for (int i = 0; i < ints.length; i++) {
            p.set(JAVA_INT, i * 4L, ints[i]);
        }
        p.set(JAVA_FLOAT, 80, min);
        p.set(JAVA_FLOAT, 84, max);
        p.set(JAVA_LONG, 96, weights.address());
        p.set(JAVA_LONG, 104, bias.address());
        return p;
    }

    /**
     * How one node's m x panels work is cut for {@code threads}: {@code tasksM << 16 | tasksN}
     * (an int, so that a run allocates nothing); tasks = {@link #tasks}.
     */
    static int split(long m, int panels, int threads, long k) {
        long macs = m * panels * 16L * k;
        if (threads <= 1 || macs < 2 * MIN_TASK_MACS) {
            return 1 << 16 | 1;
        }
        long blocks = (m + MR - 1) / MR;
        int tm = (int) Math.min(Math.min(blocks, 4L * threads), macs / MIN_TASK_MACS);
        int tn = 1;
        if (blocks < 2L * threads && tm > 0) {
            tn = (int) Math.min(panels, (4L * threads + blocks - 1) / blocks);
        }
        return Math.max(tm, 1) << 16 | Math.max(tn, 1);
    }

    static int tasks(int split) {
        return (split >>> 16) * (split & 0xFFFF);
    }

    /** Runs task {@code task} of a {@link #split}: its pixel rows and channel panels. */
    static void runTask(MethodHandle h, long params, long in, long out, long scratch, long m, int panels, int split,
            int task) {
        int tm = split >>> 16;
        int tn = split & 0xFFFF;
        int mi = task / tn;
        int ni = task % tn;
        long blocks = (m + MR - 1) / MR;
        long m0 = Math.min(m, blocks * mi / tm * MR);
        long m1 = Math.min(m, blocks * (mi + 1) / tm * MR);
        long n0 = (long) panels * ni / tn;
        long n1 = (long) panels * (ni + 1) / tn;
        if (m0 >= m1 || n0 >= n1) {
            return;
        }
        try {
            h.invokeExact(params, in, out, scratch, m0, m1, n0, n1);
        } catch (Throwable t) {
            throw new IllegalStateException("native f32 GEMM failed", t);
        }
    }
}
