package dev.whittle.runtime.kernels;

import dev.whittle.internal.nativelib.NativeLibrary;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * A 16x8 weight-format GEMM in libwhittle: every such kernel (and the dense {@link Qs16Gemm})
 * is {@code void whittle_<name>(params, input, output, scratch, m0, m1, n0, n1)} over a params
 * block packed at prepare ({@code whittle_qs16_gemm_params} first); the downcall and the range
 * call live here, the packing and the task grid in the format's class.
 */
abstract class Qs16NativeFormatGemm extends Qs16FormatGemm {
    /** The node's params block (the format's fields after {@code whittle_qs16_gemm_params}). */
    final MemorySegment block;
    private final MethodHandle call;

    Qs16NativeFormatGemm(String name, Object reference, MemorySegment block) {
        super(name, reference);
        this.block = block;
        this.call = downcall(name);
    }

    /** {@code whittle_<name>}, or null when libwhittle lacks it (the registry then never selects it). */
    static MethodHandle downcall(String name) {
        return NativeLibrary.get().downcall("whittle_" + name,
                FunctionDescriptor.ofVoid(JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG,
                        JAVA_LONG),
                Linker.Option.critical(false)).orElse(null);
    }

    /**
     * Whether the dense 16x8 kernel that auto weighs a format against runs on AVX-512 VNNI here
     * (compiled in, supported, and not excluded by {@code -Dwhittle.kernels}).
     */
    static boolean denseOnVnni(KernelFamily<?> dense) {
        java.util.Set<KernelPath> allowed = KernelPath.allowed(System.getProperty(KernelPath.PROPERTY));
        for (KernelEntry<?> e : KernelRegistry.available(dense)) {
            if (e.path() == KernelPath.AVX512VNNI && allowed.contains(e.path())) {
                return true;
            }
        }
        return false;
    }

    /** Outputs {@code [m0, m1) x [n0, n1)} through {@code call}; nothing for an empty range. */
    static void call(MethodHandle call, String name, long block, long input, long output, long scratch, long m0,
            long m1, long n0, long n1) {
        if (m0 >= m1 || n0 >= n1) {
            return;
        }
        if (call == null) {
            throw new IllegalStateException("libwhittle lacks " + name);
        }
        try {
            call.invokeExact(block, input, output, scratch, m0, m1, n0, n1);
        } catch (Throwable t) {
            throw new IllegalStateException(name + " failed", t);
        }
    }

    /** {@link #call(MethodHandle, String, long, long, long, long, long, long, long, long)} of this kernel. */
    final void call(long input, long output, long scratch, long m0, long m1, long n0, long n1) {
        call(call, name, block.address(), input, output, scratch, m0, m1, n0, n1);
    }

    /**
     * The grid of the kernels with output pixels in the lanes ({@link Qs16Sp24Gemm},
     * {@link Qs16SparseGemm}): tiles of {@link #TILE} pixels times ranges of channels, one task
     * for a small node ({@link #macs()} below two tasks' worth), else about four per thread.
     */
    abstract static class PixelTiles extends Qs16NativeFormatGemm {
        static final int TILE = 32;
        /** Below this many multiply-adds per task a node runs as one task. */
        static final long MIN_TASK_MACS = 1L << 17;
        final long m;
        final int n;

        PixelTiles(String name, Qs16FormatNode node, MemorySegment block) {
            super(name, node.reference(), block);
            this.m = node.m();
            this.n = node.n();
        }

        /** The multiply-adds the kernel does for the node (what decides the split). */
        abstract long macs();

        long rowSplits(int threads) {
            long tiles = (m + TILE - 1) / TILE;
            if (threads <= 1 || macs() < MIN_TASK_MACS * 2) {
                return 1;
            }
            return Math.min(tiles, 4L * threads);
        }

        long channelSplits(int threads) {
            if (threads <= 1 || macs() < MIN_TASK_MACS * 2) {
                return 1;
            }
            long want = 4L * threads;
            long rows = rowSplits(threads);
            return rows >= want ? 1 : Math.min(n, (want + rows - 1) / rows);
        }

        @Override
        int tasks(int threads) {
            return (int) (rowSplits(threads) * channelSplits(threads));
        }

        @Override
        void run(long input, long output, long scratch, int task, int threads) {
            long tiles = (m + TILE - 1) / TILE;
            long mSplit = rowSplits(threads);
            long nSplit = channelSplits(threads);
            long tm = task / nSplit;
            long tn = task % nSplit;
            call(input, output, scratch, Math.min(m, tiles * tm / mSplit * TILE),
                    Math.min(m, tiles * (tm + 1) / mSplit * TILE), (long) n * tn / nSplit,
                    (long) n * (tn + 1) / nSplit);
        }
    }
}
