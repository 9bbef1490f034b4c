package dev.whittle.runtime.kernels;

import dev.whittle.runtime.ExecutionState;
import dev.whittle.runtime.Kernel;
import dev.whittle.runtime.ParallelTask;
import dev.whittle.runtime.kernels.reference.DepthwiseConvKernels;
import dev.whittle.runtime.kernels.reference.DepthwiseConvParams;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * DEPTHWISE_CONV_2D float32, depth multiplier 1, on a native kernel
 * ({@code f32_dwconv2d_minmax_16c__avx2}): channels vectorized, taps looped in the reference's
 * order. Weights packed at prepare as {@code [kh * kw][C rounded up to 16]} with the bias beside.
 * Threads take contiguous ranges of output pixels. Differs from
 * {@link DepthwiseConvKernels#F32} only by FMA's rounding (same order, same skipped taps).
 */
public final class F32NativeDepthwiseConv implements Kernel<DepthwiseConvParams>, ParallelTask<DepthwiseConvParams> {
    /** The kernel lists its taps on the stack ({@code kMaxTaps} in the C++). */
    static final int MAX_TAPS = 256;
    private static final int PARAMS_BYTES = 96;
    private static final FunctionDescriptor DESCRIPTOR = FunctionDescriptor.ofVoid(JAVA_LONG, JAVA_LONG, JAVA_LONG,
            JAVA_LONG, JAVA_LONG);

    private final String name;
    private final MethodHandle handle;
    private final MemorySegment params;
    private final MemorySegment packed;
    private final long m;

    private F32NativeDepthwiseConv(String name, MethodHandle handle, MemorySegment params, MemorySegment packed,
            long m) {
        this.name = name;
        this.handle = handle;
        this.params = params;
        this.packed = packed;
        this.m = m;
    }

    /** The factory of the kernel {@code name} (also its symbol, after {@code whittle_}). */
    public static DepthwiseConvKernelFactory factory(String name) {
        return (p, filter, bias) -> create(name, p, filter, bias);
    }

    static F32NativeDepthwiseConv create(String name, DepthwiseConvParams p, ByteBuffer filter, ByteBuffer bias) {
        if (p.multiplier() != 1 || p.batches() < 1 || p.inH() < 1 || p.inW() < 1 || p.inC() < 1 || p.outH() < 1
                || p.outW() < 1 || p.kh() < 1 || p.kw() < 1 || (long) p.kh() * p.kw() > MAX_TAPS
                || p.strideH() < 1 || p.strideW() < 1 || p.dilH() < 1 || p.dilW() < 1 || p.padH() < 0
                || p.padW() < 0 || (p.bias() >= 0 && bias == null)) {
            return null;
        }
        int c = p.inC();
        int taps = p.kh() * p.kw();
        long m = (long) p.batches() * p.outH() * p.outW();
        if (m * c > Integer.MAX_VALUE || (long) p.batches() * p.inH() * p.inW() * c > Integer.MAX_VALUE
                || c > Integer.MAX_VALUE - 16 || filter.capacity() < (long) taps * c * 4
                || (bias != null && bias.capacity() < c * 4L)) {
            return null;
        }
        int cp = (c + 15) & ~15;
        MemorySegment packed = NativeKernels.allocate((long) (taps + 1) * cp * 4);
        ByteBuffer f = filter.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        for (int t = 0; t < taps; t++) {
            for (int ch = 0; ch < c; ch++) {
                packed.set(JAVA_FLOAT, ((long) t * cp + ch) * 4, f.getFloat((t * c + ch) * 4));
            }
        }
        long biasOffset = (long) taps * cp * 4;
        if (bias != null) {
            ByteBuffer b = bias.duplicate().order(ByteOrder.LITTLE_ENDIAN);
            for (int ch = 0; ch < c; ch++) {
                packed.set(JAVA_FLOAT, biasOffset + ch * 4L, b.getFloat(ch * 4));
            }
        }
        MemorySegment params = NativeKernels.allocate(PARAMS_BYTES);
        int[] ints = {p.batches(), p.inH(), p.inW(), c, p.outH(), p.outW(), p.kh(), p.kw(), p.strideH(),
            p.strideW(), p.dilH(), p.dilW(), p.padH(), p.padW(), cp, 0};
        for (int i = 0; i < ints.length; i++) {
            params.set(JAVA_INT, i * 4L, ints[i]);
        }
        params.set(JAVA_FLOAT, 64, p.floatMin());
        params.set(JAVA_FLOAT, 68, p.floatMax());
        params.set(JAVA_LONG, 80, packed.address());
        params.set(JAVA_LONG, 88, packed.address() + biasOffset);
        return new F32NativeDepthwiseConv(name, F32Gemm.handle("whittle_" + name, DESCRIPTOR), params, packed, m);
    }

    @Override
    public String name() {
        return name;
    }

    private int tasks(int threads, DepthwiseConvParams p) {
        long macs = m * p.inC() * p.kh() * p.kw();
        return threads <= 1 ? 1 : (int) Math.max(1, Math.min(Math.min(m, 4L * threads), macs / F32Gemm.MIN_TASK_MACS));
    }

    @Override
    public void run(DepthwiseConvParams p, ExecutionState s) {
        if (s.address(p.input()) == 0 || s.address(p.output()) == 0) {
            DepthwiseConvKernels.F32.run(p, s);
            return;
        }
        s.parallelFor(tasks(s.threads(), p), this, p);
    }

    @Override
    public void run(DepthwiseConvParams p, ExecutionState s, int task, int worker) {
        int tasks = tasks(s.threads(), p);
        long m0 = m * task / tasks;
        long m1 = m * (task + 1) / tasks;
        if (m0 >= m1) {
            return;
        }
        try {
            handle.invokeExact(params.address(), s.address(p.input()), s.address(p.output()), m0, m1);
        } catch (Throwable t) {
            throw new IllegalStateException(name + " failed", t);
        }
    }
}
