package dev.whittle.runtime.kernels;

import dev.whittle.runtime.ExecutionState;
import dev.whittle.runtime.Kernel;
import dev.whittle.runtime.ChainableTask;
import dev.whittle.runtime.kernels.reference.DepthwiseConvParams;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * DEPTHWISE_CONV_2D int8/uint8 with one input channel and a depth multiplier of 8 or more
 * (person_detect's first layer, 96x96x1 -> 48x48x8, 3x3 stride 2), issue 6:
 * {@code {qs8,qs8_qc8w,qu8}_dwconv2d_minmax_c1x8__avx2} ({@code kernels/q8_dwconv2d_minmax_c1x8__avx2.cc},
 * layout in {@code native/include/whittle/dwconv_c1.h}). Bit-exact with {@code DepthwiseConvKernels}
 * (TFLite's gemmlowp rounding). Packs the weights as int16 tap pairs per block of 8 channels and
 * the output stage constants at prepare; a call covers a range of output rows.
 *
 * <p>{@code -Dwhittle.dwconv.c1=false} (read when a node is prepared) declines every node.
 */
public final class NativeDepthwiseConvC1 implements Kernel<DepthwiseConvParams>, ChainableTask<DepthwiseConvParams>,
        WorkerScratch, PackedWeights {
    /** System property: {@code false} turns this kernel off. */
    public static final String PROPERTY = "whittle.dwconv.c1";
    /** Fewest output channels (the depth multiplier) taken: one vector of 8 int32 lanes. */
    public static final int MIN_MULTIPLIER = 8;
    private static final int MAX_PAIRS = 16;
    private static final int MAX_KH = 64;
    private static final int HEADER_BYTES = 176;
    private static final int CONSTS = 11;
    /** Nodes under this many MACs run on the invoking thread (as the other depthwise kernels). */
    private static final long SERIAL_MACS = 32 * 1024;
    private static final FunctionDescriptor SIGNATURE = FunctionDescriptor.ofVoid(ValueLayout.JAVA_LONG,
            ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT,
            ValueLayout.JAVA_INT);

    private final String name;
    private final Kernel<DepthwiseConvParams> reference;
    private final MethodHandle handle;
    private final MemorySegment block;
    private final long blockAddress;
    private final int rows;
    private final long scratchBytes;
    private final long weightBytes;
    private final boolean serial;

    private NativeDepthwiseConvC1(String name, Kernel<DepthwiseConvParams> reference, MethodHandle handle,
            MemorySegment block, int rows, long scratchBytes, long weightBytes, boolean serial) {
        this.name = name;
        this.reference = reference;
        this.handle = handle;
        this.block = block;
        this.blockAddress = block.address();
        this.rows = rows;
        this.scratchBytes = scratchBytes;
        this.weightBytes = weightBytes;
        this.serial = serial;
    }

    /** {@code qs8_qc8w_dwconv2d_minmax_c1x8__avx2} for {@code family}. */
    public static String kernelName(KernelFamily<?> family) {
        return kernelName(family, false);
    }

    /**
     * The kernel name for {@code family}: {@code *_c1x8__avx512vnni} (vpdpwssd on ymm, the AVX-512
     * path) where {@code vnni}, else {@code *_c1x8__avx2}.
     */
    public static String kernelName(KernelFamily<?> family, boolean vnni) {
        return kernelName(family, vnni ? "avx512vnni" : "avx2");
    }

    /** The kernel name for {@code family} and ISA suffix ({@code avx2}, {@code avx512vnni}, {@code neon}). */
    public static String kernelName(KernelFamily<?> family, String isa) {
        return family.name() + "_minmax_c1x8__" + isa;
    }

    /** Whether this kernel takes a node of this shape (input channels, multiplier, kernel width, height). */
    public static boolean takes(int inC, int multiplier, int kh, int kw, int dilW) {
        return inC == 1 && multiplier >= MIN_MULTIPLIER && kh <= MAX_KH && pairs(kw, dilW) <= MAX_PAIRS;
    }

    private static int pairs(int kw, int dilW) {
        return dilW == 1 ? (kw + 1) / 2 : kw;
    }

    static java.util.function.BooleanSupplier exported(KernelFamily<?> family, boolean vnni) {
        return NativeKernels.exported("whittle_" + kernelName(family, vnni));
    }

    static DepthwiseConvKernelFactory factory(KernelFamily<DepthwiseConvKernelFactory> family, boolean vnni) {
        return (p, filter, bias) -> create(family, vnni, p, filter, bias);
    }

    /** The NEON twin's entry ({@code *_c1x8__neon}, kernels/q8_dwconv2d_minmax_c1x8__neon.cc; same block). */
    static DepthwiseConvKernelFactory neonFactory(KernelFamily<DepthwiseConvKernelFactory> family) {
        return (p, filter, bias) -> create(family, "neon", p, filter, bias, true);
    }

    static java.util.function.BooleanSupplier neonExported(KernelFamily<?> family) {
        return NativeKernels.exported("whittle_" + kernelName(family, "neon"));
    }

    /**
     * The kernel for one node, or null: more than one input channel, a multiplier below 8, a bias
     * that is not constant, shifts or multipliers outside TFLite's ranges, zero points or weights
     * outside the type, sizes past int32 indexing.
     */
    static NativeDepthwiseConvC1 create(KernelFamily<DepthwiseConvKernelFactory> family, boolean vnni,
            DepthwiseConvParams p, ByteBuffer filter, ByteBuffer bias) {
        return create(family, vnni ? "avx512vnni" : "avx2", p, filter, bias, true);
    }

    /**
     * As {@link #create(KernelFamily, boolean, DepthwiseConvParams, ByteBuffer, ByteBuffer)} for the
     * kernel of ISA suffix {@code isa} (the NEON twin reads the same block); {@code bind} false
     * packs without looking the symbol up (test vectors for a cross-built library).
     */
    public static NativeDepthwiseConvC1 create(KernelFamily<DepthwiseConvKernelFactory> family, String isa,
            DepthwiseConvParams p, ByteBuffer filter, ByteBuffer bias, boolean bind) {
        if (!Boolean.parseBoolean(System.getProperty(PROPERTY, "true"))) {
            return null;
        }
        boolean unsigned = family == KernelRegistry.QU8_DWCONV2D;
        if (family != KernelRegistry.QU8_DWCONV2D && family != KernelRegistry.QS8_DWCONV2D
                && family != KernelRegistry.QS8_QC8W_DWCONV2D) {
            return null;
        }
        int m = p.multiplier();
        if (!takes(p.inC(), m, p.kh(), p.kw(), p.dilW()) || (p.bias() >= 0 && bias == null)) {
            return null;
        }
        if (p.batches() < 1 || p.inH() < 1 || p.inW() < 1 || p.outH() < 1 || p.outW() < 1 || p.kh() < 1
                || p.kw() < 1 || p.strideH() < 1 || p.strideW() < 1 || p.dilH() < 1 || p.dilW() < 1
                || p.padH() < 0 || p.padW() < 0) {
            return null;
        }
        int zp = -p.inputOffset();
        if (unsigned ? zp < 0 || zp > 255 : zp < -128 || zp > 127) {
            return null;
        }
        int fo = unsigned ? p.filterOffset() : 0;
        if (!unsigned && p.filterOffset() != 0 || Math.abs((long) fo) > 255) {
            return null;
        }
        if (p.multipliers().length < m || p.shifts().length < m || p.actMin() > p.actMax()) {
            return null;
        }
        for (int c = 0; c < m; c++) {
            if (p.shifts()[c] < -31 || p.shifts()[c] > 31 || p.multipliers()[c] == Integer.MIN_VALUE) {
                return null;
            }
        }
        int kh = p.kh();
        int kw = p.kw();
        int np = pairs(kw, p.dilW());
        long rowsL = (long) p.batches() * p.outH();
        long outBytes = rowsL * p.outW() * m;
        long inBytes = (long) p.batches() * p.inH() * p.inW();
        // Elements read: pixel ox's pair at ox * stride_w + pair_off, and its second element.
        long lastOff = p.dilW() == 1 ? 2L * (np - 1) : (long) (kw - 1) * p.dilW();
        long rowElems = ((long) (p.outW() - 1) * p.strideW() + lastOff + 2 + 15) / 16 * 16;
        if (outBytes > Integer.MAX_VALUE || inBytes > Integer.MAX_VALUE || rowElems > (1 << 24)
                || filter.capacity() < (long) kh * kw * m || (bias != null && bias.capacity() < 4L * m)
                || (long) p.outW() * p.strideW() > Integer.MAX_VALUE / 2) {
            return null;
        }
        int blocks = (m + 7) / 8;
        long weightBytes = (long) blocks * kh * np * 32;
        long constBytes = (long) blocks * CONSTS * 32;
        long weightsAt = 192;
        long constsAt = weightsAt + weightBytes;
        MemorySegment seg = NativeKernels.allocate(constsAt + constBytes);
        ByteBuffer f = filter.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        ByteBuffer bb = bias == null ? null : bias.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        boolean hasLeft = false;
        boolean oddHigh = true;
        for (int c = 0; c < m; c++) {
            oddHigh &= p.shifts()[c] <= -1;
        }
        for (int cb = 0; cb < blocks; cb++) {
            int choff = cb == blocks - 1 ? m - 8 : cb * 8;
            for (int ky = 0; ky < kh; ky++) {
                for (int q = 0; q < np; q++) {
                    int kxA = p.dilW() == 1 ? 2 * q : q;
                    int kxB = p.dilW() == 1 ? 2 * q + 1 : kw;
                    long base = weightsAt + (((long) cb * kh + ky) * np + q) * 32;
                    for (int l = 0; l < 8; l++) {
                        int c = choff + l;
                        seg.set(ValueLayout.JAVA_SHORT_UNALIGNED, base + 4L * l, (short) weight(f, unsigned, fo, kh, kw, m, ky, kxA, c));
                        seg.set(ValueLayout.JAVA_SHORT_UNALIGNED, base + 4L * l + 2,
                                (short) (kxB < kw ? weight(f, unsigned, fo, kh, kw, m, ky, kxB, c) : 0));
                    }
                }
            }
            long cbase = constsAt + (long) cb * CONSTS * 32;
            for (int l = 0; l < 8; l++) {
                int c = choff + l;
                int shift = p.shifts()[c];
                int left = Math.max(shift, 0);
                int e = Math.max(-shift, 0);
                hasLeft |= left > 0;
                int mult = p.multipliers()[c];
                // 2^30: SRDHM's rounding; 2^(30+e) = 2^(e-1) * 2^31: RoundingDivideByPOT's (none for e = 0);
                // 2^62 keeps the sum non-negative for the logical shift.
                long rhi = (1L << 30) + (e > 0 ? 1L << (30 + e) : 0) + (1L << 62);
                long rlo = e > 0 ? rhi - (1L << 31) : rhi;
                seg.set(ValueLayout.JAVA_INT, cbase + 4L * l, bb != null ? bb.getInt(4 * c) : 0);
                seg.set(ValueLayout.JAVA_INT, cbase + 32 + 4L * l, left);
                seg.set(ValueLayout.JAVA_INT, cbase + 64 + 4L * l, mult);
                // Odd lanes' multipliers at the even dwords (vpmuldq reads those).
                seg.set(ValueLayout.JAVA_INT, cbase + 96 + 4L * (l & ~1), (l & 1) == 1 ? mult : 0);
                if ((l & 1) == 0) {
                    seg.set(ValueLayout.JAVA_INT, cbase + 96 + 4L * l + 4, 0);
                }
                int half = (l & 1) == 0 ? 4 : 6;
                long q = 8L * (l >> 1);
                seg.set(ValueLayout.JAVA_LONG, cbase + 32L * half + q, rhi);
                seg.set(ValueLayout.JAVA_LONG, cbase + 32L * (half + 1) + q, rlo);
                seg.set(ValueLayout.JAVA_LONG, cbase + 32L * ((l & 1) == 0 ? 8 : 9) + q,
                        (l & 1) == 1 && oddHigh ? e - 1 : 31 + e);
                seg.set(ValueLayout.JAVA_INT, cbase + 320 + 4L * l, p.outputOffset() - (int) (1L << (31 - e)));
            }
        }
        int[] head = {p.batches(), p.inH(), p.inW(), p.outH(), p.outW(), m, kh, kw, p.strideH(), p.strideW(),
            p.dilH(), p.dilW(), p.padH(), p.padW(), p.inputOffset(), p.actMin(), p.actMax(), unsigned ? 1 : 0,
            hasLeft ? 1 : 0, blocks, np, (int) rowElems, oddHigh ? 1 : 0, 0};
        for (int i = 0; i < head.length; i++) {
            seg.set(ValueLayout.JAVA_INT, 4L * i, head[i]);
        }
        seg.set(ValueLayout.JAVA_LONG, 96, seg.address() + weightsAt);
        seg.set(ValueLayout.JAVA_LONG, 104, seg.address() + constsAt);
        for (int q = 0; q < np; q++) {
            seg.set(ValueLayout.JAVA_INT, 112 + 4L * q, p.dilW() == 1 ? 2 * q : q * p.dilW());
        }
        String name = kernelName(family, isa);
        MethodHandle h = bind ? NativeKernels.handle("whittle_" + name, SIGNATURE) : null;
        long macs = outBytes * kh * kw;
        return new NativeDepthwiseConvC1(name, NativeDepthwiseConv.referenceOf(family), h, seg, (int) rowsL,
                2L * kh * rowElems + 64, weightBytes, macs < SERIAL_MACS);
    }

    private static int weight(ByteBuffer f, boolean unsigned, int fo, int kh, int kw, int m, int ky, int kx, int c) {
        byte b = f.get((ky * kw + kx) * m + c);
        return (unsigned ? b & 0xFF : b) + fo;
    }

    @Override
    public String name() {
        return name;
    }

    /** The output rows (batch * out_h) a call's range counts. */
    public int rows() {
        return rows;
    }

    @Override
    public long workerScratchBytes() {
        return scratchBytes;
    }

    @Override
    public long packedWeightBytes() {
        return weightBytes;
    }

    private int tasks(ExecutionState s) {
        int threads = s.threads();
        return threads <= 1 || serial ? 1 : Math.min(rows, threads * 4);
    }

    /**
     * Tasks of this node as one step of a chain of operators run in one parallel region
     * ({@code NodeChain}): those {@link #run(DepthwiseConvParams, ExecutionState)} would hand the
     * pool (1: one call), or 0 where it would run the reference kernel.
     */
    @Override
    public int chainTasks(DepthwiseConvParams p, ExecutionState s) {
        if (!NativeDepthwiseConvRows.nativeReady(p, s)) {
            return 0;
        }
        return tasks(s);
    }

    @Override
    public void run(DepthwiseConvParams p, ExecutionState s) {
        if (!NativeDepthwiseConvRows.nativeReady(p, s)) {
            reference.run(p, s);
            return;
        }
        int n = tasks(s);
        if (n == 1) {
            call(p, s, s.workerScratchAddress(0), 0, rows);
            return;
        }
        s.parallelFor(n, this, p);
    }

    private void call(DepthwiseConvParams p, ExecutionState s, long scratch, int begin, int end) {
        try {
            handle.invokeExact(blockAddress, s.address(p.input()), s.address(p.output()), scratch, begin, end);
        } catch (Throwable t) {
            throw new IllegalStateException(name + " failed", t);
        }
    }

    @Override
    public void run(DepthwiseConvParams p, ExecutionState s, int task, int worker) {
        run(p, s, task, task + 1, worker);
    }

    @Override
    public void run(DepthwiseConvParams p, ExecutionState s, int from, int to, int worker) {
        int n = tasks(s);
        call(p, s, s.workerScratchAddress(worker), (int) ((long) rows * from / n), (int) ((long) rows * to / n));
    }

    @Override
    public String toString() {
        return name;
    }

    /** Keeps the packed block alive with the kernel (and gives test vectors its bytes). */
    public MemorySegment block() {
        return block;
    }
}
