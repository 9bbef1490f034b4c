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
 * With {@link #FEW_ROWS_SPLIT_PROPERTY} (off by default), the channel-blocked kernels split
 * layers of few rows (fewer than 4 per thread) and several channel blocks by channels instead
 * ({@link #parts}): task {@code t} is row {@code t % rows} of part {@code t / rows}, part
 * {@code k} the whole blocks {@code [k * blocks / parts, (k + 1) * blocks / parts)} (the last
 * part also the channels past the last whole block).
 */
public final class NativeDepthwiseConv implements Kernel<DepthwiseConvParams>, ParallelTask<DepthwiseConvParams> {
    /** Taps (kh * kw) the kernels take ({@code WHITTLE_Q8_DWCONV_MAX_TAPS}). */
    static final int MAX_TAPS = 256;
    private static final int HEADER_BYTES = 128;
    /** {@code WHITTLE_Q8_DWCONV_FLAG_SMALL_ACC} (dwconv.h): the AVX2 16c kernel's int32-nudge rounding. */
    private static final int FLAG_SMALL_ACC = 1;
    /** Header flag: the 16c AVX2 last partial block's own tap pairs ({@code WHITTLE_Q8_DWCONV_FLAG_PAIRS_TAIL}). */
    private static final int FLAG_PAIRS_TAIL = 2;
    /**
     * {@code -Dwhittle.dwconv.avx2pairsTail=false} (read when a node is prepared): the AVX2 16c
     * kernel's overlapping last block (channel counts not a multiple of 16) multiplies per tap
     * with the int32 weights as before session 12, not per tap pair.
     */
    public static final String PAIRS_TAIL_PROPERTY = "whittle.dwconv.avx2pairsTail";
    private static final int PAD_CHANNELS = 32;
    private static final FunctionDescriptor SIGNATURE = FunctionDescriptor.ofVoid(ValueLayout.JAVA_LONG,
            ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT);
    /** The channel-blocked kernels' ({@code 16c}, {@code 32c}): rows, then channels {@code [ch_begin, ch_end)}. */
    private static final FunctionDescriptor SIGNATURE_CHANNELS = FunctionDescriptor.ofVoid(ValueLayout.JAVA_LONG,
            ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT,
            ValueLayout.JAVA_INT, ValueLayout.JAVA_INT);

    private final String name;
    private final Kernel<DepthwiseConvParams> reference;
    private final MethodHandle handle;
    private final MemorySegment block;
    private final long blockAddress;
    private final int rows;
    private final int channels;
    /** Channels per block of a channel-blocked kernel (16, 32); 0 for the lane-mapped ones (rows only). */
    private final int channelBlock;
    private final boolean channelRange;

    private NativeDepthwiseConv(String name, Kernel<DepthwiseConvParams> reference, MethodHandle handle,
            MemorySegment block, int rows, int channels, int channelBlock) {
        this.name = name;
        this.reference = reference;
        this.handle = handle;
        this.block = block;
        this.blockAddress = block.address();
        this.rows = rows;
        this.channels = channels;
        this.channelRange = channelBlock != 0;
        this.channelBlock = fewRowsSplit() ? channelBlock : 0;
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
     * The kernel for one node, or null for what the native code does not take. Depth multiplier
     * other than 1, or fewer than {@value #LANES_BELOW_CHANNELS} channels: the lane-mapped kernel
     * ({@code *_64l__isa}, {@link #createLanes}); else the channel-blocked one ({@code tileIsa}).
     * Null for more than {@value #MAX_TAPS} taps, a bias that is not constant,
     * requantization constants outside TFLite's ranges, zero points outside the type.
     */
    public static NativeDepthwiseConv create(KernelFamily<?> family, String tileIsa, DepthwiseConvParams p,
            ByteBuffer filter, ByteBuffer bias) {
        return create(family, tileIsa, p, filter, bias, true);
    }

    /**
     * As {@link #create(KernelFamily, String, DepthwiseConvParams, ByteBuffer, ByteBuffer)};
     * {@code bind = false} packs the channel-blocked kernel's block without looking up its
     * symbol (the NEON kernels' test vectors, packed on x86 and run under qemu) and never the
     * lane-mapped one; such a kernel cannot run.
     */
    static NativeDepthwiseConv create(KernelFamily<?> family, String tileIsa, DepthwiseConvParams p,
            ByteBuffer filter, ByteBuffer bias, boolean bind) {
        if (!bind && p.multiplier() != 1) {
            return null;
        }
        if (bind && (p.multiplier() != 1 || p.inC() < LANES_BELOW_CHANNELS)) {
            NativeDepthwiseConv lanes = createLanes(family, tileIsa, p, filter, bias);
            if (lanes != null || p.multiplier() != 1) {
                return lanes;
            }
        }
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
        if (bind && !NativeKernels.has(symbol)) {
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
        // AVX2 16c: int16 tap-pair weights too (block16_pairs in q8_dwconv2d_minmax_16c__avx2.cc;
        // the overlapping last block of a count not a multiple of 16 has its own pairs since session
        // 12, FLAG_PAIRS_TAIL; the int32 ones serve any other block at an unaligned offset).
        boolean pairs = tapPairs(tileIsa);
        long pairOff = pairs ? (zeroOff + cp + 64 + 63) / 64 * 64 : 0;
        // + the overlapping last block's own pairs (channels c - 16 .. c - 1) when c % 16 != 0.
        boolean pairsTail = pairs && c > 16 && c % 16 != 0
                && !"false".equalsIgnoreCase(System.getProperty(PAIRS_TAIL_PROPERTY));
        long pairBytes = pairs ? 4L * cp * ((taps + 1) / 2) + (pairsTail ? 64L * ((taps + 1) / 2) : 0) : 0;
        long total = pairs ? pairOff + pairBytes : zeroOff + cp + 64;
        MemorySegment m = NativeKernels.allocate(total);
        // AVX2 16c: the int32-nudge final rounding where every accumulator provably stays below
        // 2^30 (WHITTLE_Q8_DWCONV_FLAG_SMALL_ACC; NativeDepthwiseConvRows.smallAccumulators).
        int[] wEff = effectiveWeights(filter, taps * c, unsigned, p.filterOffset());
        boolean smallAcc = tileIsa.equals("16c__avx2")
                && NativeDepthwiseConvRows.smallAccumulators(p, bias, wEff, taps, c, p.inputOffset());
        int[] header = {p.batches(), p.inH(), p.inW(), c, p.outH(), p.outW(), p.kh(), p.kw(), p.strideH(), p.strideW(),
            p.dilH(), p.dilW(), p.padH(), p.padW(), p.outputOffset(), p.actMin(), p.actMax(), cp, 0,
            (smallAcc ? FLAG_SMALL_ACC : 0) | (pairsTail ? FLAG_PAIRS_TAIL : 0),
            (int) biasOff, (int) multOff, (int) lshOff, (int) rmaskOff, (int) rhalfOff, (int) rshOff, (int) wOff,
            (int) zeroOff, (int) pairOff};
        for (int i = 0; i < header.length; i++) {
            m.setAtIndex(ValueLayout.JAVA_INT_UNALIGNED, i, header[i]);
        }
        int io = p.inputOffset();
        for (int o = 0; o < c; o++) {
            int sum = 0;
            for (int t = 0; t < taps; t++) {
                int w = wEff[t * c + o];
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
            m.set(ValueLayout.JAVA_INT_UNALIGNED, rmaskOff + 4L * o, smallAcc ? (right > 0 ? 1 << (right - 1) : 0) : mask);
            m.set(ValueLayout.JAVA_INT_UNALIGNED, rhalfOff + 4L * o, smallAcc ? (right > 0 ? 31 : 32) : mask >> 1);
            m.set(ValueLayout.JAVA_INT_UNALIGNED, rshOff + 4L * o, right);
        }
        m.asSlice(zeroOff, cp + 64).fill((byte) zero);
        if (pairs) {
            putTapPairs(m, pairOff, pairBytes, wEff, taps, c, cp, pairsTail);
        }
        MethodHandle h = bind ? NativeKernels.handle(symbol, SIGNATURE_CHANNELS) : null;
        return new NativeDepthwiseConv(name, referenceOf(family), h, m, p.batches() * p.outH(), p.inC(),
                tileIsa.startsWith("32c") ? 32 : 16);
    }

    /**
     * {@code -Dwhittle.dwconv.avx2pairs=false} (read when a node is prepared): the AVX2 16c kernel
     * multiplies per tap (vpmulld) as before session 8, not per tap pair (vpmaddwd).
     */
    public static final String PAIRS_AVX2_PROPERTY = "whittle.dwconv.avx2pairs";

    /** Whether a node prepared now for {@code tileIsa} gets tap-pair weights (AVX2 16c only). */
    public static boolean tapPairs(String tileIsa) {
        return tileIsa.equals("16c__avx2") && !"false".equalsIgnoreCase(System.getProperty(PAIRS_AVX2_PROPERTY));
    }

    /**
     * The AVX2 16c kernel's int16 tap-pair weights at {@code off}: per pair j (taps 2j, 2j + 1;
     * an odd last tap pairs with 0) and block of 16 channels, 32 int16 in the order of
     * vpunpcklwd / vpunpckhwd of the two taps' widened bytes: lo = channels 0-3 | 8-11, hi =
     * 4-7 | 12-15, each channel's (tap 2j, tap 2j + 1) weights adjacent. Padding channels 0.
     */
    private static void putTapPairs(MemorySegment m, long off, long bytes, int[] wEff, int taps, int c, int cp,
            boolean tail) {
        m.asSlice(off, bytes).fill((byte) 0);
        for (int t = 0; t < taps; t++) {
            int j = t / 2;
            for (int o = 0; o < c; o++) {
                long index = (long) j * cp * 2 + (long) (o & ~15) * 2 + pairPos(o & 15, t);
                m.set(ValueLayout.JAVA_SHORT_UNALIGNED, off + 2 * index, (short) wEff[t * c + o]);
            }
        }
        // The overlapping last block (channels c - 16 .. c - 1) of a count that is not a multiple
        // of 16: its pairs after all the others, 32 int16 per pair (session 12).
        if (tail) {
            long tailOff = off + 4L * cp * ((taps + 1) / 2);
            for (int t = 0; t < taps; t++) {
                int j = t / 2;
                for (int i = 0; i < 16; i++) {
                    m.set(ValueLayout.JAVA_SHORT_UNALIGNED, tailOff + 2 * ((long) j * 32 + pairPos(i, t)),
                            (short) wEff[t * c + c - 16 + i]);
                }
            }
        }
    }

    /** Where channel {@code i} (0..15) of a 16-channel block and tap {@code t} sit in a pair's 32 int16. */
    private static int pairPos(int i, int t) {
        return ((i & 4) != 0 ? 16 : 0) + ((i & 8) != 0 ? 8 : 0) + 2 * (i & 3) + (t & 1);
    }

    /** The first {@code n} filter values as integers minus the zero point (uint8 read unsigned). */
    static int[] effectiveWeights(ByteBuffer filter, int n, boolean unsigned, int filterOffset) {
        int[] wEff = new int[n];
        for (int i = 0; i < n; i++) {
            int raw = filter.get(i);
            wEff[i] = (unsigned ? raw & 0xFF : raw) + filterOffset;
        }
        return wEff;
    }

    /** Below this many channels (and for any depth multiplier) the lane-mapped kernel runs. */
    public static final int LANES_BELOW_CHANNELS = 32;
    /** Lanes of one step of the lane-mapped kernels (4 units of 16). */
    static final int LANES_PER_STEP = 64;
    private static final int UNIT_BYTES = 32;

    /**
     * One mapping of the lane-mapped kernels (native/include/whittle/dwconv.h): units of 16
     * (pixel, output channel) lanes, the input bytes each reads relative to the step's tap
     * pointer (one window, or two halves when {@code oneWindow} is false), and the pshufb
     * tables. {@code channel[l]} is lane l's output channel, -1 past the step's lanes.
     */
    record LaneMapping(int units, int lanes, boolean oneWindow, int[] offA, int[] offB, int[] lenA, int[] lenB,
            byte[] shuffle, int[] channel) {
        /** Bytes past a tap pointer the kernels may read (AVX2 loads whole windows). */
        int readEnd() {
            int end = 0;
            for (int u = 0; u < units; u++) {
                end = Math.max(end, oneWindow ? offA[u] + 16 : Math.max(offA[u], offB[u]) + 8);
            }
            return end;
        }

        long bytes(int taps) {
            long n16 = 64L * units;
            return (UNIT_BYTES * (long) units + 63) / 64 * 64 + n16 * (6 + taps);
        }
    }

    /**
     * The mapping of {@code pixels} consecutive output pixels, lane l = (l / outC, l % outC)
     * reading byte {@code (l / outC) * step + (l % outC) / mult}; null when a unit's lanes are
     * neither within 16 bytes nor each half within 8.
     */
    static LaneMapping laneMapping(int pixels, int outC, int mult, int step) {
        int lanes = pixels * outC;
        int units = (lanes + 15) / 16;
        int[] at = new int[units * 16];
        int[] channel = new int[units * 16];
        java.util.Arrays.fill(channel, -1);
        boolean one = true;
        for (int l = 0; l < lanes; l++) {
            channel[l] = l % outC;
            at[l] = (l / outC) * step + (l % outC) / mult;
        }
        for (int u = 0; u < units; u++) {
            if (span(at, u * 16, Math.min(lanes, u * 16 + 16)) >= 16) {
                one = false;
            }
        }
        int[] offA = new int[units];
        int[] offB = new int[units];
        int[] lenA = new int[units];
        int[] lenB = new int[units];
        byte[] shuffle = new byte[units * 16];
        for (int u = 0; u < units; u++) {
            int b0 = u * 16;
            int b1 = Math.min(lanes, b0 + 16);
            if (one) {
                offA[u] = min(at, b0, b1);
                lenA[u] = span(at, b0, b1) + 1;
                offB[u] = offA[u] + 8;
                for (int l = b0; l < b1; l++) {
                    shuffle[l] = (byte) (at[l] - offA[u]);
                }
                continue;
            }
            for (int h = 0; h < 2; h++) {
                int h0 = b0 + 8 * h;
                int h1 = Math.min(b1, h0 + 8);
                int off = h1 > h0 ? min(at, h0, h1) : 0;
                int len = h1 > h0 ? span(at, h0, h1) + 1 : 0;
                if (len > 8) {
                    return null;
                }
                if (h == 0) {
                    offA[u] = off;
                    lenA[u] = len;
                } else {
                    offB[u] = off;
                    lenB[u] = len;
                }
                for (int l = h0; l < h1; l++) {
                    shuffle[l] = (byte) (at[l] - off + 8 * h);
                }
                for (int l = Math.max(h0, h1); l < b0 + 8 * h + 8; l++) {
                    shuffle[l] = (byte) (8 * h);
                }
            }
        }
        return new LaneMapping(units, lanes, one, offA, offB, lenA, lenB, shuffle, channel);
    }

    private static int min(int[] a, int from, int to) {
        int m = Integer.MAX_VALUE;
        for (int i = from; i < to; i++) {
            m = Math.min(m, a[i]);
        }
        return m;
    }

    private static int span(int[] a, int from, int to) {
        int lo = Integer.MAX_VALUE;
        int hi = Integer.MIN_VALUE;
        for (int i = from; i < to; i++) {
            lo = Math.min(lo, a[i]);
            hi = Math.max(hi, a[i]);
        }
        return to > from ? hi - lo : 0;
    }

    /**
     * The node checks shared by the kernels that map pixels to lanes ({@link #createLanes},
     * {@link NativeDepthwiseConvRows#create}): positive geometry, at most {@value #MAX_TAPS} taps
     * and 65536 output channels, a constant bias, zero points and clamps inside the type,
     * per-channel arrays and constants long enough and within TFLite's ranges, and element
     * counts and spatial extents the native int32 arithmetic can hold.
     */
    static boolean lanesAccept(KernelFamily<?> family, DepthwiseConvParams p, ByteBuffer filter, ByteBuffer bias) {
        boolean unsigned = family.name().startsWith("qu8_");
        int lo = unsigned ? 0 : -128;
        int hi = unsigned ? 255 : 127;
        int inC = p.inC();
        int mult = p.multiplier();
        int taps = p.kh() * p.kw();
        if (inC < 1 || mult < 1 || p.kh() < 1 || p.kw() < 1 || taps > MAX_TAPS || p.batches() < 1
                || p.inH() < 1 || p.inW() < 1 || p.outH() < 1 || p.outW() < 1 || p.strideH() < 1 || p.strideW() < 1
                || p.dilH() < 1 || p.dilW() < 1 || p.padH() < 0 || p.padW() < 0 || (long) inC * mult > 65536) {
            return false;
        }
        int outC = inC * mult;
        if (p.bias() >= 0 && bias == null) {
            return false;
        }
        int zero = -p.inputOffset();
        if (zero < lo || zero > hi || p.actMin() < lo || p.actMax() > hi || p.actMin() > p.actMax()) {
            return false;
        }
        if (p.multipliers().length < outC || p.shifts().length < outC || filter.limit() < (long) taps * outC
                || (bias != null && bias.limit() < 4L * outC)) {
            return false;
        }
        for (int o = 0; o < outC; o++) {
            if (p.multipliers()[o] < 0 || p.shifts()[o] < -31 || p.shifts()[o] > 30) {
                return false;
            }
        }
        long inElems = (long) p.batches() * p.inH() * p.inW() * inC;
        long outElems = (long) p.batches() * p.outH() * p.outW() * outC;
        if (inElems > Integer.MAX_VALUE || outElems > Integer.MAX_VALUE
                || (long) p.outW() * p.strideW() + (long) p.kw() * p.dilW() > Integer.MAX_VALUE / 2
                || (long) p.outH() * p.strideH() + (long) p.kh() * p.dilH() > Integer.MAX_VALUE / 2) {
            return false;
        }
        return true;
    }

    /**
     * The lane-mapped kernel ({@code *_64l__avx2}, {@code *_64l__avx512}) for one node: any
     * depth multiplier, any channel count; several output pixels per step when channels are
     * few. Null for what it does not take (as {@link #create}).
     */
    static NativeDepthwiseConv createLanes(KernelFamily<?> family, String tileIsa, DepthwiseConvParams p,
            ByteBuffer filter, ByteBuffer bias) {
        return createLanes(family, tileIsa, p, filter, bias, true);
    }

    /**
     * As {@link #createLanes(KernelFamily, String, DepthwiseConvParams, ByteBuffer, ByteBuffer)};
     * {@code bind = false} packs the block without looking up the symbol (the NEON {@code 64l}
     * test vectors, packed on x86 and replayed under qemu): such a kernel cannot run.
     */
    static NativeDepthwiseConv createLanes(KernelFamily<?> family, String tileIsa, DepthwiseConvParams p,
            ByteBuffer filter, ByteBuffer bias, boolean bind) {
        if (!lanesAccept(family, p, filter, bias)) {
            return null;
        }
        boolean unsigned = family.name().startsWith("qu8_");
        int inC = p.inC();
        int mult = p.multiplier();
        int taps = p.kh() * p.kw();
        int outC = inC * mult;
        int zero = -p.inputOffset();
        if ((long) p.strideW() * inC * LANES_PER_STEP > Integer.MAX_VALUE / 2) {
            return null;
        }
        String isa = tileIsa.substring(tileIsa.indexOf("__") + 2);
        String name = kernelName(family, "64l__" + isa);
        String symbol = "whittle_" + name;
        if (bind && !NativeKernels.has(symbol)) {
            return null;
        }
        // Interior output columns: every tap inside the row.
        int oxLo = Math.min(p.outW(), (p.padW() + p.strideW() - 1) / p.strideW());
        long num = (long) p.inW() - 1 + p.padW() - (long) (p.kw() - 1) * p.dilW();
        int oxHi = num < 0 ? 0 : (int) Math.min(p.outW(), num / p.strideW() + 1);
        oxHi = Math.max(oxHi, oxLo);
        LaneMapping group = null;
        for (int px = Math.min(LANES_PER_STEP / outC, oxHi - oxLo); px >= 2 && group == null; px--) {
            group = laneMapping(px, outC, mult, p.strideW() * inC);
        }
        LaneMapping single = laneMapping(1, outC, mult, 0);
        if (single == null || !single.oneWindow()) {
            return null;
        }
        int groupPixels = group == null ? 1 : group.lanes() / outC;
        if (group == null) {
            group = single;
        }
        int zeroBytes = (Math.max(group.readEnd(), single.readEnd()) + 64 + 63) / 64 * 64;
        long zeroOff = HEADER_BYTES;
        long groupOff = zeroOff + zeroBytes;
        long singleOff = groupOff + group.bytes(taps);
        long total = singleOff + single.bytes(taps);
        if (total > Integer.MAX_VALUE) {
            return null;
        }
        MemorySegment m = NativeKernels.allocate(total);
        int[] header = {p.batches(), p.inH(), p.inW(), inC, p.outH(), p.outW(), p.kh(), p.kw(), p.strideH(),
            p.strideW(), p.dilH(), p.dilW(), p.padH(), p.padW(), p.outputOffset(), p.actMin(), p.actMax(), outC,
            groupPixels, group.units(), single.units(), oxLo, oxHi, group.oneWindow() ? 1 : 0, (int) zeroOff,
            (int) groupOff, (int) singleOff, 0};
        for (int i = 0; i < header.length; i++) {
            m.setAtIndex(ValueLayout.JAVA_INT_UNALIGNED, i, header[i]);
        }
        m.asSlice(zeroOff, zeroBytes).fill((byte) zero);
        // Per output channel: w_eff per tap, bias', requantization constants.
        int io = p.inputOffset();
        int[] wEff = new int[taps * outC];
        int[][] consts = new int[6][outC];
        for (int o = 0; o < outC; o++) {
            int sum = 0;
            for (int t = 0; t < taps; t++) {
                int raw = filter.get(t * outC + o);
                int w = (unsigned ? raw & 0xFF : raw) + p.filterOffset();
                wEff[t * outC + o] = w;
                sum += w;
            }
            int b = bias != null ? bias.getInt(4 * o) : 0;
            int shift = p.shifts()[o];
            int left = shift > 0 ? shift : 0;
            int right = shift > 0 ? 0 : -shift;
            int mask = (int) ((1L << right) - 1);
            consts[0][o] = b + io * sum;
            consts[1][o] = p.multipliers()[o];
            consts[2][o] = left;
            consts[3][o] = mask;
            consts[4][o] = mask >> 1;
            consts[5][o] = right;
        }
        writeMapping(m, groupOff, group, taps, outC, wEff, consts);
        if (singleOff != groupOff) {
            writeMapping(m, singleOff, single, taps, outC, wEff, consts);
        }
        MethodHandle h = bind ? NativeKernels.handle(symbol, SIGNATURE) : null;
        return new NativeDepthwiseConv(name, referenceOf(family), h, m, p.batches() * p.outH(), outC, 0);
    }

    private static void writeMapping(MemorySegment m, long off, LaneMapping map, int taps, int outC, int[] wEff,
            int[][] consts) {
        for (int u = 0; u < map.units(); u++) {
            long uo = off + (long) UNIT_BYTES * u;
            m.set(ValueLayout.JAVA_INT_UNALIGNED, uo, map.offA()[u]);
            m.set(ValueLayout.JAVA_INT_UNALIGNED, uo + 4, map.offB()[u]);
            m.set(ValueLayout.JAVA_INT_UNALIGNED, uo + 8, map.lenA()[u]);
            m.set(ValueLayout.JAVA_INT_UNALIGNED, uo + 12, map.lenB()[u]);
            for (int j = 0; j < 16; j++) {
                m.set(ValueLayout.JAVA_BYTE, uo + 16 + j, map.shuffle()[u * 16 + j]);
            }
        }
        int n16 = map.units() * 16;
        long arrays = off + (UNIT_BYTES * (long) map.units() + 63) / 64 * 64;
        for (int l = 0; l < n16; l++) {
            int o = map.channel()[l];
            if (o < 0) {
                continue; // zeros: the block is zero-filled
            }
            for (int k = 0; k < 6; k++) {
                m.set(ValueLayout.JAVA_INT_UNALIGNED, arrays + 4L * ((long) k * n16 + l), consts[k][o]);
            }
            for (int t = 0; t < taps; t++) {
                m.set(ValueLayout.JAVA_INT_UNALIGNED, arrays + 4L * ((long) (6 + t) * n16 + l), wEff[t * outC + o]);
            }
        }
    }

    @Override
    public String name() {
        return name;
    }

    /**
     * {@value #FEW_ROWS_SPLIT_PROPERTY} (default false): whether kernels created now split nodes
     * of few rows by channels or vectors, and GEMMs of few uneven pixel tiles by channel groups,
     * at several threads, instead of rows and pixel tiles. Off by default: on person_detect at 2
     * threads (Zen 4, 2 vCPUs, per-op minimum, interleaved in one process,
     * {@code bench/.../ThreadScaling --ab --ops}) the balanced split of the 6x6 layers lost in
     * all three runs (6x6x128 depthwise 1.8-2.3 us against 1.4-1.8 us by rows, the GEMMs after
     * it 2.7-3.2 against 2.35-2.7 us; sum of the ops 75-91 against 71-85 us): each worker then
     * reads half of its input from the other core's cache, where rows and pixel tiles keep the
     * rows a worker wrote on its core. MobileNet v1 0.25 was unchanged (537.7 against 537.6 us).
     */
    public static final String FEW_ROWS_SPLIT_PROPERTY = "whittle.threads.fewRowsSplit";

    /** The current {@value #FEW_ROWS_SPLIT_PROPERTY}, read when a kernel is created. */
    static boolean fewRowsSplit() {
        return "true".equals(System.getProperty(FEW_ROWS_SPLIT_PROPERTY));
    }

    /**
     * Parts the channels are cut into for {@code threads} threads: as many as threads (at most
     * one whole block each) when there are fewer than 4 rows per thread, else 1 (rows).
     */
    public static int parts(int rows, int wholeBlocks, int threads) {
        return threads > 1 && wholeBlocks > 1 && rows < 4 * threads ? Math.min(threads, wholeBlocks) : 1;
    }

    private int parts(ExecutionState s) {
        return channelBlock == 0 ? 1 : parts(rows, channels / channelBlock, s.threads());
    }

    private int tasks(ExecutionState s) {
        int threads = s.threads();
        if (threads <= 1) {
            return 1;
        }
        int parts = parts(s);
        return parts > 1 ? parts * rows : Math.min(rows, threads * 4);
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
        run(p, s, task, task + 1, worker);
    }

    /** Tasks {@code [from, to)} are consecutive rows (of one part, or of consecutive parts): a call per part. */
    @Override
    public void run(DepthwiseConvParams p, ExecutionState s, int from, int to, int worker) {
        int parts = parts(s);
        if (parts == 1) {
            int n = tasks(s);
            call(p, s, (int) ((long) rows * from / n), (int) ((long) rows * to / n), 0, channels);
            return;
        }
        int blocks = channels / channelBlock;
        for (int k = from / rows; k * rows < to; k++) {
            int begin = Math.max(from, k * rows) - k * rows;
            int end = Math.min(to, (k + 1) * rows) - k * rows;
            int c1 = k == parts - 1 ? channels : blocks * (k + 1) / parts * channelBlock;
            call(p, s, begin, end, blocks * k / parts * channelBlock, c1);
        }
    }

    private void call(DepthwiseConvParams p, ExecutionState s, int begin, int end, int c0, int c1) {
        try {
            if (!channelRange) {
                handle.invokeExact(blockAddress, s.address(p.input()), s.address(p.output()), begin, end);
            } else {
                handle.invokeExact(blockAddress, s.address(p.input()), s.address(p.output()), begin, end, c0, c1);
            }
        } catch (Throwable t) {
            throw new IllegalStateException(name + " failed", t);
        }
    }

    /** Output rows ({@code batches * outH}): the bands of {@link #runRows}. */
    int rows() {
        return rows;
    }

    /**
     * Output rows {@code [begin, end)}, every channel, in one call, written to {@code output} (the
     * output tensor, or a buffer of its size): a band of a fused depthwise + 1x1 pair
     * ({@link FusedDwConvGemm}). The caller has checked that the input and the output are native
     * memory of the right sizes.
     */
    void runRows(DepthwiseConvParams p, ExecutionState s, long output, int begin, int end) {
        try {
            if (!channelRange) {
                handle.invokeExact(blockAddress, s.address(p.input()), output, begin, end);
            } else {
                handle.invokeExact(blockAddress, s.address(p.input()), output, begin, end, 0, channels);
            }
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
