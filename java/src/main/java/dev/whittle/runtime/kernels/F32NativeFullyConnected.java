package dev.whittle.runtime.kernels;

import dev.whittle.runtime.ExecutionState;
import dev.whittle.runtime.Kernel;
import dev.whittle.runtime.ParallelTask;
import dev.whittle.runtime.kernels.reference.FullyConnectedReference;
import dev.whittle.runtime.kernels.reference.FullyConnectedReference.FloatParams;

import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.nio.ByteBuffer;

/**
 * FULLY_CONNECTED float32 on the native GEMM of {@link F32NativeConv}
 * ({@code f32_fully_connected_gemm_6x16__avx2}): the input's rows read in place as the pixels
 * of a 1x1 convolution, weights packed at prepare. With one row (the usual classifier) the
 * threads split the output features. Differs from {@link FullyConnectedReference#F32} only by
 * FMA's rounding (same order: inputs ascending, bias last).
 */
public final class F32NativeFullyConnected implements Kernel<FloatParams>, ParallelTask<FloatParams> {
    private final String name;
    private final MethodHandle handle;
    private final MemorySegment params;
    private final MemorySegment weights;
    private final MemorySegment bias;
    private final long m;
    private final int panels;

    private F32NativeFullyConnected(String name, MethodHandle handle, MemorySegment params, MemorySegment weights,
            MemorySegment bias, long m, int panels) {
        this.name = name;
        this.handle = handle;
        this.params = params;
        this.weights = weights;
        this.bias = bias;
        this.m = m;
        this.panels = panels;
    }

    /** The factory of the kernel {@code name} (also its symbol, after {@code whittle_}). */
    public static FloatFullyConnectedFactory factory(String name) {
        return (p, w, b) -> create(name, p, w, b);
    }

    static F32NativeFullyConnected create(String name, FloatParams p, ByteBuffer weights, ByteBuffer bias) {
        int k = p.inFeatures();
        int n = p.outFeatures();
        if (p.batches() < 1 || k < 1 || n < 1 || (p.bias() >= 0 && bias == null)
                || (long) n * k > Integer.MAX_VALUE / 4 || (long) p.batches() * Math.max(k, n) > Integer.MAX_VALUE
                || k > Integer.MAX_VALUE / 16 || weights.capacity() < (long) n * k * 4
                || (bias != null && bias.capacity() < n * 4L)) {
            return null;
        }
        int nr = F32Gemm.nr(n);
        int panels = (n + nr - 1) / nr;
        MemorySegment[] packed = F32Gemm.pack(weights, bias, n, k, nr);
        MemorySegment params = F32Gemm.params(new int[] {p.batches(), 1, 1, k, 1, 1, n, 1, 1, 1, 1, 1, 1, 0, 0, k,
            panels, nr, 1, F32Gemm.MR}, p.actMin(), p.actMax(), packed[0], packed[1]);
        return new F32NativeFullyConnected(name, F32Gemm.handle("whittle_" + name, F32Gemm.DESCRIPTOR), params,
                packed[0], packed[1], p.batches(), panels);
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public void run(FloatParams p, ExecutionState s) {
        if (s.address(p.input()) == 0 || s.address(p.output()) == 0) {
            FullyConnectedReference.F32.run(p, s);
            return;
        }
        s.parallelFor(F32Gemm.tasks(F32Gemm.split(m, panels, s.threads(), p.inFeatures())), this, p);
    }

    @Override
    public void run(FloatParams p, ExecutionState s, int task, int worker) {
        F32Gemm.runTask(handle, params.address(), s.address(p.input()), s.address(p.output()), 0, m, panels,
                F32Gemm.split(m, panels, s.threads(), p.inFeatures()), task);
    }
}
