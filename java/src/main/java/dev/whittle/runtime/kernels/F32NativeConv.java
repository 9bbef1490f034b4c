package dev.whittle.runtime.kernels;

import dev.whittle.runtime.ExecutionState;
import dev.whittle.runtime.Kernel;
import dev.whittle.runtime.ParallelTask;
import dev.whittle.runtime.kernels.reference.ConvKernels;
import dev.whittle.runtime.kernels.reference.ConvParams;

import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.nio.ByteBuffer;

/**
 * CONV_2D float32 on a native GEMM ({@code f32_conv2d_gemm_6x16__avx2}): output pixels x output
 * channels, K = kh * kw * inC in the filter's order. 1x1 convolutions without padding read the
 * input rows in place; others gather each block of {@link F32Gemm#MR} pixels into the worker's
 * scratch (im2col, zeros for padding). Weights and bias packed at prepare. Work is cut into
 * blocks of pixels for {@link ExecutionState#parallelFor}; every output is computed the same
 * way whatever the cut, so results do not depend on the thread count.
 *
 * <p>Results differ from {@link ConvKernels#F32} only by rounding: both sum the products in the
 * filter's (fy, fx, ic) order from 0 and add the bias last, but each step here is one FMA (the
 * product is not rounded on its own), and padded taps add {@code 0 * w} instead of nothing.
 */
public final class F32NativeConv implements Kernel<ConvParams>, ParallelTask<ConvParams>, WorkerScratch {
    /** Filter rows the native kernel handles ({@code kMaxKh}: one row pointer set per row). */
    static final int MAX_KH = 64;
    private final String name;
    private final MethodHandle handle;
    private final MemorySegment params;
    private final MemorySegment weights;
    private final MemorySegment bias;
    private final long m;
    private final int panels;
    private final boolean direct;
    private final long scratchBytes;

    private F32NativeConv(String name, MethodHandle handle, MemorySegment params, MemorySegment weights,
            MemorySegment bias, long m, int panels, boolean direct, long scratchBytes) {
        this.name = name;
        this.handle = handle;
        this.params = params;
        this.weights = weights;
        this.bias = bias;
        this.m = m;
        this.panels = panels;
        this.direct = direct;
        this.scratchBytes = scratchBytes;
    }

    /** The factory of the kernel {@code name} (also its symbol, after {@code whittle_}). */
    public static ConvKernelFactory factory(String name) {
        return (p, filter, bias) -> create(name, p, filter, bias);
    }

    static F32NativeConv create(String name, ConvParams p, ByteBuffer filter, ByteBuffer bias) {
        if (p.filterInC() != p.inC() || p.batches() < 1 || p.inH() < 1 || p.inW() < 1 || p.inC() < 1
                || p.outH() < 1 || p.outW() < 1 || p.outC() < 1 || p.kh() < 1 || p.kh() > MAX_KH || p.kw() < 1 || p.strideH() < 1
                || p.strideW() < 1 || p.dilH() < 1 || p.dilW() < 1 || p.padH() < 0 || p.padW() < 0
                || (p.bias() >= 0 && bias == null)) {
            return null;
        }
        long k = (long) p.kh() * p.kw() * p.inC();
        long m = (long) p.batches() * p.outH() * p.outW();
        long outElems = m * p.outC();
        long inElems = (long) p.batches() * p.inH() * p.inW() * p.inC();
        if (k > Integer.MAX_VALUE / 16 || outElems > Integer.MAX_VALUE || inElems > Integer.MAX_VALUE
                || (long) p.outC() * k > Integer.MAX_VALUE / 4
                || filter.capacity() < p.outC() * k * 4 || (bias != null && bias.capacity() < p.outC() * 4L)) {
            return null;
        }
        // In place: every pixel's row lies inside the input (1x1, no padding, the output inside it).
        boolean direct = p.kh() == 1 && p.kw() == 1 && p.padH() == 0 && p.padW() == 0
                && (long) (p.outH() - 1) * p.strideH() < p.inH() && (long) (p.outW() - 1) * p.strideW() < p.inW();
        int nr = F32Gemm.nr(p.outC());
        int panels = (p.outC() + nr - 1) / nr;
        MemorySegment[] packed = F32Gemm.pack(filter, bias, p.outC(), (int) k, nr);
        MemorySegment params = F32Gemm.params(new int[] {p.batches(), p.inH(), p.inW(), p.inC(), p.outH(), p.outW(),
            p.outC(), p.kh(), p.kw(), p.strideH(), p.strideW(), p.dilH(), p.dilW(), p.padH(), p.padW(), (int) k,
            panels, nr, direct ? 1 : 0, F32Gemm.MR}, p.floatMin(), p.floatMax(), packed[0], packed[1]);
        MethodHandle h = F32Gemm.handle("whittle_" + name, F32Gemm.DESCRIPTOR);
        return new F32NativeConv(name, h, params, packed[0], packed[1], m, panels, direct,
                direct ? 0 : (F32Gemm.MAX_MR * k + 8 + (long) p.kw() * p.inC() + 8) * 4);
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public long workerScratchBytes() {
        return scratchBytes;
    }

    @Override
    public void run(ConvParams p, ExecutionState s) {
        if (s.address(p.input()) == 0 || s.address(p.output()) == 0 || (!direct && s.workerScratchAddress(0) == 0)) {
            // A constant input, or folding at compile time: not in native memory.
            ConvKernels.F32.run(p, s);
            return;
        }
        s.parallelFor(F32Gemm.tasks(F32Gemm.split(m, panels, s.threads(), (long) p.kh() * p.kw() * p.inC())), this, p);
    }

    @Override
    public void run(ConvParams p, ExecutionState s, int task, int worker) {
        F32Gemm.runTask(handle, params.address(), s.address(p.input()), s.address(p.output()),
                direct ? 0 : s.workerScratchAddress(worker), m, panels, F32Gemm.split(m, panels, s.threads(), (long) p.kh() * p.kw() * p.inC()), task);
    }
}
