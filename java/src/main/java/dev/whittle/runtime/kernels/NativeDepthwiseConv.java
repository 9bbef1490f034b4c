package dev.whittle.runtime.kernels;

import dev.whittle.runtime.ExecutionState;
import dev.whittle.runtime.Kernel;
import dev.whittle.runtime.ParallelTask;
import dev.whittle.runtime.kernels.reference.DepthwiseConvKernels;
import dev.whittle.runtime.kernels.reference.DepthwiseConvParams;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.ByteBuffer;

/**
 * DEPTHWISE_CONV_2D for int8 and uint8 ({@code qs8}, {@code qs8_qc8w}, {@code qu8}), depth
 * multiplier 1, on libwhittle's {@code q8_dwconv2d_minmax_*} kernels (AVX2: 16 channels per
 * step; AVX-512: 32). The node's parameters are packed at prepare into one native block, the
 * layout of {@code native/include/whittle/dwconv.h}: per-channel bias with the input offset
 * folded in, requantization constants, the filter as int32 {@code w + filterOffset}, and a
 * buffer of input zero points that padded taps read (so padding costs no branch per element).
 * Bit-exact with {@link DepthwiseConvKernels}: int32 sums wrap, so the regrouped sum is the
 * same integer, and the output stage is TFLite's {@code MultiplyByQuantizedMultiplier}.
 *
 * <p>Threading: tasks are ranges of output rows ({@code batch * outH}), one native call each.
 */
public final class NativeDepthwiseConv implements Kernel<DepthwiseConvParams>, ParallelTask<DepthwiseConvParams> {
    /** Taps (kh * kw) the kernels take ({@code WHITTLE_Q8_DWCONV_MAX_TAPS}). */
    static final int MAX_TAPS = 256;
    private static final int HEADER_BYTES = 128;
    private static final int PAD_CHANNELS = 32;
    private static final FunctionDescriptor SIGNATURE = FunctionDescriptor.ofVoid(ValueLayout.JAVA_LONG,
            ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT);

    private final String name;
    private final Kernel<DepthwiseConvParams> reference;
    private final MethodHandle handle;
    private final MemorySegment block;
    private final long blockAddress;
    private final int rows;

    private NativeDepthwiseConv(String name, Kernel<DepthwiseConvParams> reference, MethodHandle handle,
            MemorySegment block, int rows) {
        this.name = name;
        this.reference = reference;
        this.handle = handle;
        this.block = block;
        this.blockAddress = block.address();
        this.rows = rows;
    }

    /** The kernel name for {@code family} and {@code tileIsa} ({@code 16c__avx2}): {@code qs8_dwconv2d_minmax_16c__avx2}. */
    public static String kernelName(KernelFamily<?> family, String tileIsa) {
        return family.name() + "_minmax_" + tileIsa;
    }

    /** The registry factory of {@code family}'s kernel {@code tileIsa} ({@code 16c__avx2}, {@code 32c__avx512}). */
    public static DepthwiseConvKernelFactory factory(KernelFamily<DepthwiseConvKernelFactory> family, String tileIsa) {
        return (p, filter, bias) -> create(family, tileIsa, p, filter, bias);
    }

    /** Registry supplier: whether libwhittle exports the kernel. */
    public static java.util.function.BooleanSupplier exported(KernelFamily<?> family, String tileIsa) {
        return NativeKernels.exported("whittle_" + kernelName(family, tileIsa));
    }

    static Kernel<DepthwiseConvParams> referenceOf(KernelFamily<?> family) {
        return family.name().startsWith("qu8_") ? DepthwiseConvKernels.QU8
                : family.name().startsWith("qs8_qc8w_") ? DepthwiseConvKernels.QS8_QC8W : DepthwiseConvKernels.QS8;
    }

    /**
     * The kernel for one node, or null for what the native code does not take: a depth
     * multiplier other than 1, more than {@value #MAX_TAPS} taps, a bias that is not constant,
     * requantization constants outside TFLite's ranges, zero points outside the type.
     */
    public static NativeDepthwiseConv create(KernelFamily<?> family, String tileIsa, DepthwiseConvParams p,
            ByteBuffer filter, ByteBuffer bias) {
        boolean unsigned = family.name().startsWith("qu8_");
        int lo = unsigned ? 0 : -128;
        int hi = unsigned ? 255 : 127;
        int c = p.inC();
        int taps = p.kh() * p.kw();
        if (p.multiplier() != 1 || c < 1 || p.kh() < 1 || p.kw() < 1 || taps > MAX_TAPS || p.batches() < 1
                || p.inH() < 1 || p.inW() < 1 || p.outH() < 1 || p.outW() < 1 || p.strideH() < 1 || p.strideW() < 1
                || p.dilH() < 1 || p.dilW() < 1 || p.padH() < 0 || p.padW() < 0) {
            return null;
        }
        if (p.bias() >= 0 && bias == null) {
            return null;
        }
        int zero = -p.inputOffset();
        if (zero < lo || zero > hi || p.actMin() < lo || p.actMax() > hi || p.actMin() > p.actMax()) {
            return null;
        }
        if (p.multipliers().length < c || p.shifts().length < c || filter.limit() < (long) taps * c
                || (bias != null && bias.limit() < 4L * c)) {
            return null;
        }
        for (int o = 0; o < c; o++) {
            if (p.multipliers()[o] < 0 || p.shifts()[o] < -31 || p.shifts()[o] > 30) {
                return null;
            }
        }
        // Geometry products the native code forms in int32/size_t stay in range.
        long inElems = (long) p.batches() * p.inH() * p.inW() * c;
        long outElems = (long) p.batches() * p.outH() * p.outW() * c;
        if (inElems > Integer.MAX_VALUE || outElems > Integer.MAX_VALUE
                || (long) p.outW() * p.strideW() + (long) p.kw() * p.dilW() > Integer.MAX_VALUE
                || (long) p.outH() * p.strideH() + (long) p.kh() * p.dilH() > Integer.MAX_VALUE) {
            return null;
        }
        String name = kernelName(family, tileIsa);
        String symbol = "whittle_" + name;
        if (!NativeKernels.has(symbol)) {
            return null;
        }
        int cp = (c + PAD_CHANNELS - 1) / PAD_CHANNELS * PAD_CHANNELS;
        long arr = 4L * cp;
        long biasOff = HEADER_BYTES;
        long multOff = biasOff + arr;
        long lshOff = multOff + arr;
        long rmaskOff = lshOff + arr;
        long rhalfOff = rmaskOff + arr;
        long rshOff = rhalfOff + arr;
        long wOff = rshOff + arr;
        long zeroOff = wOff + arr * taps;
        long total = zeroOff + cp + 64;
        MemorySegment m = NativeKernels.allocate(total);
        int[] header = {p.batches(), p.inH(), p.inW(), c, p.outH(), p.outW(), p.kh(), p.kw(), p.strideH(), p.strideW(),
            p.dilH(), p.dilW(), p.padH(), p.padW(), p.outputOffset(), p.actMin(), p.actMax(), cp, 0, 0,
            (int) biasOff, (int) multOff, (int) lshOff, (int) rmaskOff, (int) rhalfOff, (int) rshOff, (int) wOff,
            (int) zeroOff};
        for (int i = 0; i < header.length; i++) {
            m.setAtIndex(ValueLayout.JAVA_INT_UNALIGNED, i, header[i]);
        }
        int io = p.inputOffset();
        for (int o = 0; o < c; o++) {
            int sum = 0;
            for (int t = 0; t < taps; t++) {
                int raw = filter.get(t * c + o);
                int w = (unsigned ? raw & 0xFF : raw) + p.filterOffset();
                m.set(ValueLayout.JAVA_INT_UNALIGNED, wOff + 4L * ((long) t * cp + o), w);
                sum += w;
            }
            int b = bias != null ? bias.getInt(4 * o) : 0;
            m.set(ValueLayout.JAVA_INT_UNALIGNED, biasOff + 4L * o, b + io * sum);
            int shift = p.shifts()[o];
            int left = shift > 0 ? shift : 0;
            int right = shift > 0 ? 0 : -shift;
            int mask = (int) ((1L << right) - 1);
            m.set(ValueLayout.JAVA_INT_UNALIGNED, multOff + 4L * o, p.multipliers()[o]);
            m.set(ValueLayout.JAVA_INT_UNALIGNED, lshOff + 4L * o, left);
            m.set(ValueLayout.JAVA_INT_UNALIGNED, rmaskOff + 4L * o, mask);
            m.set(ValueLayout.JAVA_INT_UNALIGNED, rhalfOff + 4L * o, mask >> 1);
            m.set(ValueLayout.JAVA_INT_UNALIGNED, rshOff + 4L * o, right);
        }
        m.asSlice(zeroOff, cp + 64).fill((byte) zero);
        MethodHandle h = NativeKernels.handle(symbol, SIGNATURE);
        return new NativeDepthwiseConv(name, referenceOf(family), h, m, p.batches() * p.outH());
    }

    @Override
    public String name() {
        return name;
    }

    private int tasks(ExecutionState s) {
        int threads = s.threads();
        return threads <= 1 ? 1 : Math.min(rows, threads * 4);
    }

    @Override
    public void run(DepthwiseConvParams p, ExecutionState s) {
        if (s.address(p.input()) == 0 || s.address(p.output()) == 0) {
            // Not in native memory (folding at compile time): the reference computes the same.
            reference.run(p, s);
            return;
        }
        s.parallelFor(tasks(s), this, p);
    }

    @Override
    public void run(DepthwiseConvParams p, ExecutionState s, int task, int worker) {
        int n = tasks(s);
        int begin = (int) ((long) rows * task / n);
        int end = (int) ((long) rows * (task + 1) / n);
        try {
            handle.invokeExact(blockAddress, s.address(p.input()), s.address(p.output()), begin, end);
        } catch (Throwable t) {
            throw new IllegalStateException(name + " failed", t);
        }
    }

    /** Keeps the packed block reachable as long as the kernel. */
    MemorySegment block() {
        return block;
    }

    @Override
    public String toString() {
        return name;
    }
}
