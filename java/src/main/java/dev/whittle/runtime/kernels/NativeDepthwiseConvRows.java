package dev.whittle.runtime.kernels;

import dev.whittle.runtime.ExecutionState;
import dev.whittle.runtime.Kernel;
import dev.whittle.runtime.ChainableTask;
import dev.whittle.runtime.kernels.reference.DepthwiseConvKernels;
import dev.whittle.runtime.kernels.reference.DepthwiseConvParams;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.ByteBuffer;

/**
 * DEPTHWISE_CONV_2D int8/uint8 on libwhittle's row-staged kernels
 * ({@code q8_dwconv2d_minmax_rows*}, layout in {@code native/include/whittle/dwconv_rows.h}):
 * any depth multiplier, channel count, stride and dilation. Each input row is staged once per
 * task into the worker's scratch (padded, split into stride phases, each column expanded to the
 * output channels), so every tap of a step is one contiguous load of (pixel, channel) lanes; the
 * taps are summed in groups (4 per int32 lane by vpdpbusd on AVX-512 VNNI, 2 by vpmaddwd on
 * AVX2). Weights, bias (input offset folded in) and per-lane requantization constants are
 * packed here, at prepare, in the lane order the kernels' unpacks produce.
 *
 * <p>Bit-exact with {@link DepthwiseConvKernels}: int32 sums wrap, so the regrouped sum is the
 * same integer; the output stage is TFLite's {@code MultiplyByQuantizedMultiplier}.
 *
 * <p>Threading: tasks are ranges of output rows ({@code batch * outH}), one native call each
 * with its worker's scratch; nodes under {@value #SERIAL_MACS} MACs run serially. With
 * {@link NativeDepthwiseConv#FEW_ROWS_SPLIT_PROPERTY} (off by default: it measured slower, see
 * there), layers of few rows (fewer than 4 per thread) and several vectors per step (many
 * channels: person_detect's 6x6x128, MobileNet's 7x7x256) are split by vectors instead
 * ({@link #parts}): task {@code t} is row {@code t % rows} of part
 * {@code t / rows}, part {@code k} the vectors {@code [k * vectors / parts, (k + 1) * vectors /
 * parts)} of every step, so each worker computes its lanes of every row and builds the tap rows
 * of those lanes only, where 3 or 6 rows cut in 2 were uneven and each worker built the tap rows
 * of the input rows it shares with the other.
 */
public final class NativeDepthwiseConvRows
        implements Kernel<DepthwiseConvParams>, ChainableTask<DepthwiseConvParams>, WorkerScratch {

    /** The two kernels: tile name, lanes per vector (unit), taps per int32 lane, most step lanes. */
    public enum Isa {
        /** AVX2: units of 16 lanes, tap pairs (vpmaddwd); qs8, qs8_qc8w, qu8. */
        AVX2("rows16c2__avx2", 16, 2, 64, 32, 2, 6),
        /** AVX-512 VNNI: vectors of 64 lanes, tap quads (vpdpbusd); qs8, qs8_qc8w, qu8 (weights outside int8 in fix groups). */
        AVX512VNNI("rows64c4__avx512vnni", 64, 4, 256, 64, 4, 10);

        final String tile;
        final int unitLanes;
        final int groupTaps;
        final int maxStepLanes;
        final int vecBytes;
        final int accs;
        final int constVecs;

        Isa(String tile, int unitLanes, int groupTaps, int maxStepLanes, int vecBytes, int accs, int constVecs) {
            this.tile = tile;
            this.unitLanes = unitLanes;
            this.groupTaps = groupTaps;
            this.maxStepLanes = maxStepLanes;
            this.vecBytes = vecBytes;
            this.accs = accs;
            this.constVecs = constVecs;
        }

        /** The tile and ISA part of the kernel name ({@code rows64c4__avx512vnni}). */
        public String tile() {
            return tile;
        }
    }

    /** Taps (kh * kw) the kernels take ({@code WHITTLE_Q8_DWCONV_ROWS_MAX_TAPS}). */
    static final int MAX_TAPS = 256;
    private static final int HEADER_BYTES = 192;
    private static final int FLAG_LEFT_SHIFT = 1;
    private static final int FLAG_CLAMP = 2;
    /**
     * AVX2: every right-shifting channel's accumulator stays below 2^30 in magnitude for any
     * input ({@link #smallAccumulators}), so the kernel's final rounding adds its nudge in int32
     * ({@code WHITTLE_Q8_DWCONV_ROWS_SMALL_ACC}; const vectors 3 and 4 change meaning).
     */
    private static final int FLAG_SMALL_ACC = 4;
    /** AVX2: two output rows per pass ({@code WHITTLE_Q8_DWCONV_ROWS_TWO_ROWS}; {@link #TWO_ROWS_PROPERTY}). */
    private static final int FLAG_TWO_ROWS = 8;
    /**
     * {@code -Dwhittle.dwconv.avx2rows2=false} (read when a node is prepared): the AVX2 rows
     * kernel computes one output row per pass (the session-8 kernel) instead of two rows of one
     * image that share each weight vector's load.
     */
    public static final String TWO_ROWS_PROPERTY = "whittle.dwconv.avx2rows2";
    /** AVX2: tap rows of group 0 only ({@code WHITTLE_Q8_DWCONV_ROWS_SHIFTED_GROUPS}; {@link #SHIFTED_PROPERTY}). */
    private static final int FLAG_SHIFTED_GROUPS = 16;
    /**
     * {@code -Dwhittle.dwconv.avx2shifted=false} (read when a node is prepared): the AVX2 rows
     * kernel builds every horizontal tap pair of an input row instead of the first one only and
     * reading the others at a whole number of units on ({@link #shiftedGroups}).
     */
    public static final String SHIFTED_PROPERTY = "whittle.dwconv.avx2shifted";
    /** AVX2: the 3x3 stride_h 2 two-row unit ({@code WHITTLE_Q8_DWCONV_ROWS_ROW2_S2}; {@link #ROW2_S2_PROPERTY}). */
    private static final int FLAG_ROW2_S2 = 32;
    /**
     * {@code -Dwhittle.dwconv.avx2row2s2=false} (read when a node is prepared): AVX2 3x3 nodes of
     * stride_h 2 with shifted groups and two rows per pass compute each unit of the two rows from
     * six tap rows per step as before (session 9) instead of five tap rows read once each in one
     * run of the row's units (the middle tap row, input row 2 oy + 1 - pad, serves both rows).
     */
    public static final String ROW2_S2_PROPERTY = "whittle.dwconv.avx2row2s2";
    private static final FunctionDescriptor SIGNATURE = FunctionDescriptor.ofVoid(ValueLayout.JAVA_LONG,
            ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT,
            ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT);

    private final String name;
    private final Kernel<DepthwiseConvParams> reference;
    private final MethodHandle handle;
    private final MemorySegment block;
    private final long blockAddress;
    private final int rows;
    /** Vectors (VNNI) or units (AVX2) per step. */
    private final int vectors;
    private final long scratchBytes;
    /** {@link NativeDepthwiseConv#fewRowsSplit} when created. */
    private final boolean fewRowsSplit = NativeDepthwiseConv.fewRowsSplit();
    /**
     * {@value #SERIAL_MACS_PROPERTY} (default {@value #SERIAL_MACS}): nodes of fewer
     * multiply-adds run on the invoking thread alone at any thread count. Measured on Zen 4
     * (per-op minimum, 1 vs 2 threads, {@code ThreadScaling --ops}): person_detect's 3x3x128 and
     * 3x3x256 layers (10 and 21 K MACs, 0.87 and 1.15 us on 1 thread) took 1.09 and 1.47 us on 2
     * threads split by rows, the hand-off to the worker and back costing more than the half
     * saved (0.90 and 1.14 us serial); its 6x6x128 ones (41 K, 2.05 us) 1.6-1.9 us.
     */
    public static final String SERIAL_MACS_PROPERTY = "whittle.dwconv.serialMacs";
    static final long SERIAL_MACS = 32_768;
    private final boolean serial;

    private NativeDepthwiseConvRows(String name, Kernel<DepthwiseConvParams> reference, MethodHandle handle,
            MemorySegment block, int rows, int vectors, long scratchBytes) {
        this.name = name;
        this.reference = reference;
        this.handle = handle;
        this.block = block;
        this.blockAddress = block.address();
        this.rows = rows;
        this.vectors = vectors;
        this.scratchBytes = scratchBytes;
        long macs = (long) rows * block.get(ValueLayout.JAVA_INT_UNALIGNED, 5 * 4)
                * block.get(ValueLayout.JAVA_INT_UNALIGNED, 15 * 4) * block.get(ValueLayout.JAVA_INT_UNALIGNED, 6 * 4)
                * block.get(ValueLayout.JAVA_INT_UNALIGNED, 7 * 4);
        this.serial = macs < Long.getLong(SERIAL_MACS_PROPERTY, SERIAL_MACS);
    }

    /** {@code qs8_qc8w_dwconv2d_minmax_rows64c4__avx512vnni} for that family and ISA. */
    public static String kernelName(KernelFamily<?> family, Isa isa) {
        return family.name() + "_minmax_" + isa.tile;
    }

    /**
     * Whether this kernel takes a node of {@code inC} channels, depth multiplier {@code mult} and
     * horizontal stride {@code strideW} on {@code isa} (when the rest of it is in range): those
     * the 64l kernel took (a depth multiplier or fewer than 32 channels), where its lanes were
     * wasted; on AVX2 also stride 1 up to 64 channels (measured faster than 16c there), and
     * channels a multiple of 16 at stride 1, or at stride 2 up to 64 ({@link #WIDE_PROPERTY}:
     * faster than 16c since the shifted groups) and up to 256 on rows of {@code outW} >= 6 pixels
     * ({@link #S2_WIDE_PROPERTY}); on AVX-512 VNNI every node whose taps it reads straight from the input row
     * (direct mode; with a staged row, 32c is faster on many channels).
     */
    public static boolean prefers(Isa isa, int inC, int mult, int strideW, int outW) {
        if (isa == Isa.AVX2 && "false".equalsIgnoreCase(System.getProperty(ROWS_PROPERTY))) {
            return false;
        }
        if (mult != 1 || inC < NativeDepthwiseConv.LANES_BELOW_CHANNELS) {
            return true;
        }
        if (isa != Isa.AVX2) {
            return directMode(inC, mult, strideW) != 0;
        }
        if (strideW == 1 && inC <= 64) {
            return true;
        }
        // Channels a multiple of 16 at stride 1 or 2 have shifted groups: one build per input row.
        boolean wide = !"false".equalsIgnoreCase(System.getProperty(WIDE_PROPERTY))
                && !"false".equalsIgnoreCase(System.getProperty(SHIFTED_PROPERTY));
        if (!wide || inC % 16 != 0) {
            return false;
        }
        // Stride 2 above 64 channels: since the stride-2 two-row unit, on rows of 6 pixels or more
        // up to 256 channels ({@link #S2_WIDE_PROPERTY}).
        boolean s2Wide = !"false".equalsIgnoreCase(System.getProperty(S2_WIDE_PROPERTY))
                && !"false".equalsIgnoreCase(System.getProperty(ROW2_S2_PROPERTY));
        return strideW == 1 || strideW == 2 && (inC <= 64 || s2Wide && inC <= 256 && outW >= 6);
    }

    /**
     * {@code -Dwhittle.dwconv.avx2OnAvx512=false} (read when a node is prepared): uint8 nodes on
     * the AVX-512 path stay on the lane-mapped / channel-blocked AVX-512 kernels (64l, 32c) instead
     * of the AVX2 rows kernel ({@link #prefersAvx2OnAvx512}).
     */
    public static final String AVX2_ON_AVX512_PROPERTY = "whittle.dwconv.avx2OnAvx512";

    /**
     * Whether the AVX-512 path runs this uint8 node, when the VNNI rows kernel declines it
     * ({@link #vnniPrefersUint8}, {@link #vnniFixGroups}), on the AVX2 rows kernel
     * ({@code qu8_dwconv2d_minmax_rows16c2__avx2}) rather than {@code 64l__avx512} /
     * {@code 32c__avx512}. Before fix groups the VNNI rows kernel took int8 weights only, and a
     * uint8 model's weights minus their zero point span up to 255 values (MobileNet v1/v2 quant:
     * 1-5 per depthwise layer below -128 or above 127), so uint8 had only the mul32 kernels there; the AVX2
     * rows kernel (tap pairs by vpmaddwd, tuned over sessions 8-10) measured faster on Zen 4 for
     * multiplier 1 at stride 1 and, with 16-64 channels, at stride 2 on rows of 12+ pixels
     * (session 12, {@code SmallLayerCompare -Du8=true}, 1 thread, min of 300-400 interleaved
     * invokes, us, AVX2 rows / AVX-512): 112x112x32 190.6 / 294.8, 56x56x144 209.2 / 284.6,
     * 28x28x192 70.4 / 82.5, 14x14x384 36.6 / 39.7, 14x14x576 55.7 / 64.0, 7x7x960 25.2 / 28.9,
     * 112x112x8 49.7 / 83.1, 56x56x32 46.2 / 73.7, 28x28x64 23.7 / 32.1, 14x14x128 12.1 / 15.2,
     * 7x7x256 6.8 / 7.2, 30x30x24 10.5 / 17.8, 17x17x40 9.6 / 12.7; stride 2: 112x112x16 44.2 / 51.8,
     * 56x56x32 15.7 / 19.1, 48x48x16 6.5 / 7.9, 24x24x32 3.27 / 3.65, 28x28x64 8.06 / 8.55. Not
     * taken where it lost or tied: stride 2 with more channels or short rows (112x112x96 183.6 /
     * 178.4, 28x28x192 23.4 / 20.8, 14x14x128 4.43 / 4.09, 12x12x64 1.75 / 1.68), depth
     * multipliers above 1 (20x20x3 x2 12.2 / 3.1) and channel counts that are not a multiple of 16 at
     * stride 2 (30x30x24 26.0 / 5.7), and where the AVX2 path itself does not take the rows kernel.
     * (Those two were the AVX2 kernel's byte-gather tap mode; with the window and blend modes of
     * the same session they measured 5.4 / 5.7 and 6.8 / 7.6 us: near ties, left to 64l.)
     */
    public static boolean prefersAvx2OnAvx512(KernelFamily<?> family, int inC, int mult, int strideW, int outW) {
        if (!family.name().startsWith("qu8_") || mult != 1 || inC < 8
                || "false".equalsIgnoreCase(System.getProperty(AVX2_ON_AVX512_PROPERTY))
                || !prefers(Isa.AVX2, inC, mult, strideW, outW)) {
            return false;
        }
        return strideW == 1 || strideW == 2 && inC % 16 == 0 && inC <= 64 && outW >= 12;
    }

    /**
     * Registry factory of the AVX-512 path: the AVX2 rows kernel for the uint8 nodes
     * {@link #prefersAvx2OnAvx512} gives it and the int8 nodes {@link #prefersAvx2OverVnniRows} does.
     */
    public static DepthwiseConvKernelFactory avx2OnAvx512Factory(KernelFamily<DepthwiseConvKernelFactory> family) {
        return (p, filter, bias) -> prefersAvx2OnAvx512(family, p.inC(), p.multiplier(), p.strideW(), p.outW())
                || prefersAvx2OverVnniRows(family, p.inC(), p.multiplier(), p.strideW(), p.outW())
                ? create(family, Isa.AVX2, p, filter, bias) : null;
    }

    /**
     * {@code -Dwhittle.dwconv.rows=false} (read when a node is prepared): the AVX2 path never
     * picks this kernel (nodes go to {@code 64l__avx2} or {@code 16c__avx2} as the registry's
     * next entries decide), an A/B switch for {@code SmallLayerCompare}
     * ({@code avx2:whittle.dwconv.rows=false}).
     */
    public static final String ROWS_PROPERTY = "whittle.dwconv.rows";

    /**
     * {@code -Dwhittle.dwconv.rowsForce=true} (read when a node is prepared): the AVX2 path gives
     * every node of multiplier 1 to this kernel (the AVX2 branch of {@link #prefers}), an A/B
     * switch to time it on shapes dispatch gives {@code 16c__avx2}
     * ({@code SmallLayerCompare avx2,avx2:whittle.dwconv.rowsForce=true}).
     */
    public static final String FORCE_PROPERTY = "whittle.dwconv.rowsForce";

    /**
     * {@code -Dwhittle.dwconv.avx2rowsS1Any=false} (read when a node is prepared): AVX2 nodes of
     * multiplier 1 at stride 1 with more than 64 channels that are not a multiple of 16 go to
     * {@code 16c__avx2} as before session 12. There the 16c kernel's last block overlaps the one
     * before it and keeps int32 weights (no tap pairs) while rows16c2, even without shifted
     * groups (junk lanes in its steps), multiplies tap pairs by vpmaddwd; it measured faster on
     * every such shape (session 12, {@code SmallLayerCompare}, 1 thread, min of 300 interleaved
     * invokes, loaded 2-vCPU machine, us, 16c / rows, int8 qc8w then uint8): 56x56x72 269.7 / 201.7,
     * 189.5 / 170.4; 28x28x72 72.4 / 53.5, 47.5 / 43.4; 28x28x88 79.8 / 58.6, 56.0 / 47.2; 14x14x88
     * 19.6 / 14.6, 14.3 / 12.0; 28x28x104 87.1 / 65.0, 64.1 / 52.7; 28x28x120 102.1 / 77.2, 71.8 /
     * 60.6; 14x14x120 25.9 / 19.3, 18.2 / 15.6; 14x14x136 28.0 / 21.4, 20.0 / 17.6; 14x14x184 36.9 /
     * 28.3, 26.1 / 22.1; 14x14x200 39.1 / 29.4, 28.2 / 23.6; 7x7x200 7.33 / 6.23, 7.30 / 6.34 (load
     * ~3.7). At load ~2, min of 400, against 16c with its tail pairs ({@code NativeDepthwiseConv.PAIRS_TAIL_PROPERTY}):
     * 56x56x72 242.8 / 202.0, 171.9 / 154.0; 28x28x72 60.8 / 49.7, 43.8 / 38.7; 28x28x120 66.5 / 60.0,
     * 65.7 / 58.8; 14x14x200 26.0 / 23.9, 35.4 / 30.1; 14x14x520 66.3 / 60.8, 89.1 / 72.9; 7x7x1000
     * 33.0 / 29.6, 32.5 / 29.3; 7x7x200 6.59 / 6.51, 9.04 / 7.77 (all in kernels/README.md).
     * Stride 2 stays on 16c for these counts: there rows16c2 without shifted groups lost by 1.5-1.7x
     * (56x56x72 47.8 / 78.9, 56x56x88 64.4 / 88.5, 28x28x120 18.3 / 28.5, 28x28x200 28.0 / 46.7, uint8 alike).
     */
    public static final String S1_ANY_PROPERTY = "whittle.dwconv.avx2rowsS1Any";

    /**
     * Whether the AVX2 path runs this node on this kernel: what {@link #prefers} says for AVX2,
     * and besides nodes of multiplier 1 at stride 1 with more than 64 channels that are not a
     * multiple of 16 ({@link #S1_ANY_PROPERTY}), or every node under {@link #FORCE_PROPERTY}.
     * Kept out of {@link #prefers} so the AVX-512 path's choices that read
     * {@code prefers(Isa.AVX2, ...)} ({@link #prefersAvx2OnAvx512}, {@link #prefersAvx2OverVnniRows})
     * do not change: there these nodes measured slower on rows16c2 than on the VNNI rows kernel
     * for int8 (56x56x72 173.6 / 117.1 us, 28x28x72 43.0 / 31.0, 28x28x104 67.4 / 49.6, 28x28x65
     * 42.3 / 30.9, session 12, same bench).
     */
    public static boolean prefersOnAvx2Path(int inC, int mult, int strideW, int outW) {
        if (prefers(Isa.AVX2, inC, mult, strideW, outW)) {
            return true;
        }
        if ("false".equalsIgnoreCase(System.getProperty(ROWS_PROPERTY))) {
            return false;
        }
        if (Boolean.getBoolean(FORCE_PROPERTY)) {
            return true;
        }
        return mult == 1 && strideW == 1 && inC > 64 && inC % 16 != 0
                && !"false".equalsIgnoreCase(System.getProperty(S1_ANY_PROPERTY));
    }

    /**
     * {@code -Dwhittle.dwconv.avx2rowsWide=false} (read when a node is prepared): AVX2 nodes of
     * more than 64 channels at stride 1, and of 32-64 at stride 2, go to the 16c kernel as before
     * the shifted groups. With them, rows16c2 measured (session 9, 1 thread, min of 3000,
     * interleaved, {@code SmallLayerCompare}) 6x6x128 2.71 against 16c's 3.30 us, 3x3x256 1.53 /
     * 1.66, 28x28x192 76.5 / 98.5, 14x14x384 38.9 / 48.3, 24x24x32 stride 2 3.58 / 4.12, 12x12x64
     * stride 2 1.88 / 1.91; at stride 2 with more channels it was not faster (6x6x128 1.07 / 0.96,
     * 56x56x144 75.3 / 76.6), nor without shifted groups (the other channel counts).
     */
    public static final String WIDE_PROPERTY = "whittle.dwconv.avx2rowsWide";

    /**
     * {@code -Dwhittle.dwconv.avx2rowsS2Wide=false} (read when a node is prepared): AVX2 stride-2
     * nodes of more than 64 channels go to the 16c kernel as in session 9. With the stride-2
     * two-row unit ({@link #ROW2_S2_PROPERTY}) rows16c2 measured (session 10, 1 thread, min of
     * 1000-3000 interleaved, {@code SmallLayerCompare}, loaded machine; 16c / rows, us)
     * 112x112x96 209.8-211.5 / 181.9-183.3, 56x56x144 76.7-77.0 / 69.9-70.5, 28x28x192 25.0-25.1 /
     * 23.0, 28x28x256 32.9 / 31.7, 12x12x128 3.47 / 3.21 (int8 and uint8 alike); not faster at 384
     * and more channels (14x14x384 12.32 / 12.28, 14x14x512 16.70 / 17.18, 14x14x576 18.7 / 19.1-19.2)
     * nor on rows of 3 pixels (6x6x128: 1.09 / 1.71, one step of one pixel).
     */
    public static final String S2_WIDE_PROPERTY = "whittle.dwconv.avx2rowsS2Wide";

    /** Header flag: uint8 on VNNI, int8 results 128 lower XORed with 0x80 ({@code WHITTLE_Q8_DWCONV_ROWS_U8_OUT}). */
    private static final int FLAG_U8_OUT = 64;
    /**
     * {@code -Dwhittle.dwconv.vnniU8=false} (read when a node is prepared): the VNNI rows kernel
     * declines uint8 nodes (as before session 12), which then take the AVX2 rows kernel or 32c / 64l.
     */
    public static final String VNNI_U8_PROPERTY = "whittle.dwconv.vnniU8";
    /**
     * Whether the VNNI rows kernel takes a uint8 node of {@code outC} channels over rows of
     * {@code outW} pixels (when it packs its weights and prefers the node as for int8): up to 384
     * channels with at most 10% of each step's lanes idle. Its fix groups (weights outside int8)
     * are read by every vector of a step, so where the int8 kernel's lead over the AVX2 rows kernel
     * is small they cost more than it (session 12, MobileNet v2/v1 quant with their own weights,
     * `ThreadScaling --ops`, fused pair times, min of 60-80 blocks, us, VNNI rows / AVX2 rows):
     * 112x112x32 226.5 / 279.2, 28x28x192 101.7 / 103.7, 14x14x384 63.2 / 66.1, 56x56x32 69.3 /
     * 86.7, 28x28x64 41.4 / 50.2, 14x14x128 31.0 / 31.9, 7x7x256 23.6 / 23.7, 112x112x8 120.5 /
     * 118.2; declined: 56x56x144 362.0 / 292.1 (a step of one pixel is 3 vectors for 144 lanes),
     * 14x14x576 121.4 / 112.2, 7x7x960 79.5 / 71.2. {@link #VNNI_U8_PROPERTY} {@code =false}:
     * never.
     */
    public static boolean vnniPrefersUint8(int outC, int outW) {
        if ("false".equalsIgnoreCase(System.getProperty(VNNI_U8_PROPERTY)) || outC > 384) {
            return false;
        }
        return vnniStepsFull(outC, outW);
    }

    /** Whether the VNNI rows kernel's steps over rows of {@code outW} leave at most 10% of their lanes idle. */
    static boolean vnniStepsFull(int outC, int outW) {
        int px = stepPixels(outW, outC, Isa.AVX512VNNI.unitLanes, Isa.AVX512VNNI.maxStepLanes);
        long lanes = (long) px * outC;
        long vectors = (lanes + Isa.AVX512VNNI.unitLanes - 1) / Isa.AVX512VNNI.unitLanes;
        return lanes * 10 >= vectors * Isa.AVX512VNNI.unitLanes * 9;
    }

    /**
     * Whether the AVX-512 path runs this int8 node (qs8, qs8_qc8w) on the AVX2 rows kernel
     * rather than the VNNI rows kernel: multiplier 1 at stride 1 where the VNNI kernel's steps
     * leave more than 10% of their lanes idle and the AVX2 path takes the rows kernel (session 12,
     * {@code SmallLayerCompare}, 1 thread, min of 300 interleaved invokes, us, AVX2 rows / VNNI
     * rows: 56x56x144 215.4 / 267.9, 28x28x144 52.4 / 65.2, 14x14x144 17.9 / 19.1; kept on VNNI:
     * 14x14x240 29.3 / 25.2, 28x28x96 43.9 / 35.1, 56x56x80 147.9 / 134.0, 28x28x72 (16c on AVX2)
     * 69.3 / 35.9). {@link #AVX2_ON_AVX512_PROPERTY} {@code =false}: never.
     */
    public static boolean prefersAvx2OverVnniRows(KernelFamily<?> family, int inC, int mult, int strideW, int outW) {
        return !family.name().startsWith("qu8_") && mult == 1 && strideW == 1
                && !"false".equalsIgnoreCase(System.getProperty(AVX2_ON_AVX512_PROPERTY))
                && !vnniStepsFull(inC, outW) && prefers(Isa.AVX2, inC, mult, strideW, outW)
                && prefers(Isa.AVX512VNNI, inC, mult, strideW, outW);
    }

    /** Most fix groups ({@code WHITTLE_Q8_DWCONV_ROWS_MAX_FIX}). */
    static final int MAX_FIX = 8;

    /**
     * VNNI: the tap groups holding a weight {@code wEff} outside int8, which then get a fix group
     * each ({@code fix_groups} in dwconv_rows.h: the weight is packed clamped to int8 in its group
     * and the rest in the fix group, both summed by vpdpbusd); null where the node cannot be packed
     * so: a weight of 255 (its rest, 128, is outside int8 too) or more than {@value #MAX_FIX}
     * such groups. Only uint8 weights (minus their zero point) leave int8.
     */
    static int[] vnniFixGroups(int[] wEff, int kh, int kw, int outC) {
        int xGroups = (kw + Isa.AVX512VNNI.groupTaps - 1) / Isa.AVX512VNNI.groupTaps;
        java.util.TreeSet<Integer> groups = new java.util.TreeSet<>();
        for (int i = 0; i < wEff.length; i++) {
            if (wEff[i] >= 255) {
                return null;
            }
            if (wEff[i] < -128 || wEff[i] > 127) {
                int t = i / outC;
                groups.add(t / kw * xGroups + t % kw / Isa.AVX512VNNI.groupTaps);
            }
        }
        if (groups.size() > MAX_FIX) {
            return null;
        }
        return groups.stream().mapToInt(Integer::intValue).toArray();
    }

    /**
     * The fix groups the VNNI rows kernel packs a node with these weights with (raw filter bytes,
     * the filter's offset {@code -zero_point}), or -1 where it declines them ({@link #vnniFixGroups});
     * 0 for int8. For tests that must know which kernel dispatch picks and what it runs.
     */
    public static int vnniFixGroupCount(KernelFamily<?> family, ByteBuffer filter, int filterOffset, int kh, int kw,
            int outC) {
        int[] wEff = NativeDepthwiseConv.effectiveWeights(filter, kh * kw * outC, family.name().startsWith("qu8_"),
                filterOffset);
        int[] fix = vnniFixGroups(wEff, kh, kw, outC);
        return fix == null ? -1 : fix.length;
    }

    /** Registry factory. */
    public static DepthwiseConvKernelFactory factory(KernelFamily<DepthwiseConvKernelFactory> family, Isa isa) {
        return (p, filter, bias) -> create(family, isa, p, filter, bias);
    }

    /** Registry supplier: whether libwhittle exports the kernel. */
    public static java.util.function.BooleanSupplier exported(KernelFamily<?> family, Isa isa) {
        return NativeKernels.exported("whittle_" + kernelName(family, isa));
    }

    /**
     * The pixels per step for {@code outC} channels over {@code outW} pixels: the most pixels
     * (lanes at most {@code maxStepLanes}, or one pixel) that waste the fewest vector lanes on a row.
     */
    static int stepPixels(int outW, int outC, int unitLanes, int maxStepLanes) {
        int maxP = Math.max(1, Math.min(outW, maxStepLanes / outC));
        int best = 1;
        long bestCost = Long.MAX_VALUE;
        for (int px = 1; px <= maxP; px++) {
            long steps = (outW + px - 1) / px;
            long units = ((long) px * outC + unitLanes - 1) / unitLanes;
            // Lanes computed per row, plus a small cost per step (its loop and tap setup).
            long cost = steps * units * unitLanes + steps * 8L;
            if (cost <= bestCost) {
                bestCost = cost;
                best = px;
            }
        }
        return best;
    }

    /**
     * The kernel for one node, or null for what it does not take: more than {@value #MAX_TAPS}
     * taps, a bias that is not constant, requantization constants outside TFLite's ranges, zero
     * points outside the type, sizes whose packed block or staged rows pass 2 GiB, and on
     * AVX-512 VNNI weights {@code w + filterOffset} that {@link #vnniFixGroups} cannot pack.
     */
    public static NativeDepthwiseConvRows create(KernelFamily<?> family, Isa isa, DepthwiseConvParams p,
            ByteBuffer filter, ByteBuffer bias) {
        if (!(isa == Isa.AVX2 ? prefersOnAvx2Path(p.inC(), p.multiplier(), p.strideW(), p.outW())
                : prefers(isa, p.inC(), p.multiplier(), p.strideW(), p.outW()))) {
            return null;
        }
        boolean unsigned = family.name().startsWith("qu8_");
        int lo = unsigned ? 0 : -128;
        int hi = unsigned ? 255 : 127;
        // lanesAccept bounds taps by NativeDepthwiseConv.MAX_TAPS; this kernel's own native limit is
        // checked too, so the two constants may differ
        if (!NativeDepthwiseConv.lanesAccept(family, p, filter, bias) || p.kh() * p.kw() > MAX_TAPS
                || p.outputOffset() < lo || p.outputOffset() > hi) {
            return null;
        }
        int inC = p.inC();
        int mult = p.multiplier();
        int taps = p.kh() * p.kw();
        int outC = inC * mult;
        int zero = -p.inputOffset();
        int[] wEff = NativeDepthwiseConv.effectiveWeights(filter, taps * outC, unsigned, p.filterOffset());
        // VNNI: vpdpbusd's signed operand is int8; weights outside it (uint8 minus its zero point)
        // go clamped into their group, the rest into a fix group.
        if (isa == Isa.AVX512VNNI && unsigned && !vnniPrefersUint8(outC, p.outW())) {
            return null;
        }
        int[] fixSrc = isa == Isa.AVX512VNNI ? vnniFixGroups(wEff, p.kh(), p.kw(), outC) : new int[0];
        if (fixSrc == null) {
            return null;
        }
        String name = kernelName(family, isa);
        String symbol = "whittle_" + name;
        if (!NativeKernels.has(symbol)) {
            return null;
        }
        // Geometry (see dwconv_rows.h).
        int px = stepPixels(p.outW(), outC, isa.unitLanes, isa.maxStepLanes);
        long stepLanes = (long) px * outC;
        long vectors = (stepLanes + isa.unitLanes - 1) / isa.unitLanes;
        boolean vnni = isa == Isa.AVX512VNNI;
        // Groups of 4 (VNNI: quad rows) or 2 (AVX2: pair rows) horizontal taps of one kernel row.
        int xGroups = (p.kw() + isa.groupTaps - 1) / isa.groupTaps;
        int groups = p.kh() * xGroups;
        long steps = (p.outW() + px - 1) / px;
        int s = p.strideW();
        long nj = p.outW() + (long) (p.kw() - 1) * p.dilW() / s + 1;
        long phaseBytes = nj * outC;
        // Loads of the last step read up to vectors * unitLanes lanes past its first pixel.
        long rowBytes = (s * phaseBytes + vectors * isa.unitLanes + stepLanes + 64 + 63) / 64 * 64;
        boolean twoRows = isa == Isa.AVX2 && !"false".equalsIgnoreCase(System.getProperty(TWO_ROWS_PROPERTY));
        // Two rows per pass keep both rows' input rows: stride_h more slots.
        long slots = (long) (p.kh() - 1) * p.dilH() + 1 + (twoRows ? p.strideH() : 0);
        long qrowBytes = xGroups * steps * vectors * isa.accs * isa.vecBytes;
        boolean shifted = isa == Isa.AVX2 && !"false".equalsIgnoreCase(System.getProperty(SHIFTED_PROPERTY))
                && shiftedGroups(p, xGroups, stepLanes, vectors, steps);
        if (!vnni) {
            // AVX2 reads a copy of the input row padded with zero points: phaseBytes on the left
            // (pad_w pixels and one more), and to rowBytes every pixel any lane's tap reaches
            // (junk lanes of the last step included), plus a 16-byte load's overreach.
            long leftPx = p.padW() + 1L;
            long lastPx = steps * px + (vectors * isa.unitLanes + outC - 1) / outC + 1;
            // Shifted groups build group 0 over (x_groups - 1) * 2 * dil_w input pixels more (and a unit).
            long rightPx = lastPx * s + (long) (p.kw() - 1) * p.dilW() + 1
                    + (shifted ? (xGroups - 1) * 2L * p.dilW() + ((16L + outC - 1) / outC + 1) * s : 0);
            phaseBytes = leftPx * inC;
            rowBytes = ((leftPx + Math.max(p.inW(), rightPx) + 2) * inC + 32 + 63) / 64 * 64;
        }
        long scratch = (4 * slots + 63) / 64 * 64 + rowBytes + slots * qrowBytes;
        if (!vnni && directModeAvx2(p) == 0) {
            // Mode 0 reads the taps from a staged row after the pair rows (stage_row in
            // q8_dwconv2d_minmax_rows16c2__avx2.cc): stride_w phases of (rowBytes / inC - 1) /
            // stride_w columns of outC bytes, and 64 bytes for the 16-byte stores' overreach.
            scratch += (rowBytes / inC - 1) / s * s * outC + 64;
        }
        long zeroBytes = Math.max(rowBytes, qrowBytes);
        long weightsOff = HEADER_BYTES;
        long weightsBytes = vectors * (groups + fixSrc.length) * isa.accs * isa.vecBytes;
        long constsOff = weightsOff + weightsBytes;
        long constsBytes = vectors * isa.accs * isa.constVecs * isa.vecBytes;
        long zeroOff = constsOff + constsBytes;
        long total = zeroOff + zeroBytes;
        if (total > Integer.MAX_VALUE || scratch > Integer.MAX_VALUE || rowBytes > Integer.MAX_VALUE / 4
                || qrowBytes > Integer.MAX_VALUE / 4) {
            return null;
        }
        boolean leftShift = false;
        for (int o = 0; o < outC; o++) {
            leftShift |= p.shifts()[o] > 0;
        }
        boolean clamp = p.actMin() > lo || p.actMax() < hi;
        int xor = isa == Isa.AVX512VNNI && !unsigned ? 0x80 : 0;
        // uint8 on VNNI: int8 results 128 lower, XORed with 0x80 at the store (U8_OUT).
        int outShift = isa == Isa.AVX512VNNI && unsigned ? 128 : 0;
        boolean smallAcc = isa == Isa.AVX2 && smallAccumulators(p, bias, wEff, taps, outC, p.inputOffset() - xor);
        MemorySegment m = NativeKernels.allocate(total);
        int[] header = {p.batches(), p.inH(), p.inW(), inC, p.outH(), p.outW(), p.kh(), p.kw(), p.strideH(),
            p.strideW(), p.dilH(), p.dilW(), p.padH(), p.padW(), mult, outC, px, (int) stepLanes, (int) vectors,
            groups, (int) phaseBytes, (int) rowBytes, (int) slots, xor, zero, (int) weightsOff, (int) constsOff,
            (int) zeroOff, p.outputOffset() - outShift, p.actMin() - outShift, p.actMax() - outShift,
            (leftShift ? FLAG_LEFT_SHIFT : 0) | (outShift != 0 ? FLAG_U8_OUT : 0)
                    | (clamp ? FLAG_CLAMP : 0) | (smallAcc ? FLAG_SMALL_ACC : 0)
                    | (twoRows ? FLAG_TWO_ROWS : 0) | (shifted ? FLAG_SHIFTED_GROUPS : 0)
                    | (isa == Isa.AVX2 && !"false".equalsIgnoreCase(System.getProperty(ROW2_S2_PROPERTY))
                            ? FLAG_ROW2_S2 : 0), (int) qrowBytes, xGroups, (int) steps,
            vnni ? directMode(inC, mult, s) : directModeAvx2(p), fixSrc.length};
        for (int i = 0; i < header.length; i++) {
            m.setAtIndex(ValueLayout.JAVA_INT_UNALIGNED, i, header[i]);
        }
        for (int k = 0; k < fixSrc.length; k++) {
            m.setAtIndex(ValueLayout.JAVA_INT_UNALIGNED, header.length + k, fixSrc[k]);
        }
        if (vnni) {
            m.asSlice(zeroOff, zeroBytes).fill((byte) (zero ^ xor));
        } else {
            // Pair rows hold int16: the zero point as int16 in every half.
            for (long z = 0; z + 2 <= zeroBytes; z += 2) {
                m.set(ValueLayout.JAVA_SHORT_UNALIGNED, zeroOff + z, (short) zero);
            }
        }
        // Per output channel: bias' = bias + (input_offset - xor) * sum(w_eff) (the staged bytes
        // are x ^ 0x80 = x + 128 on VNNI), and the requantization constants.
        int io = p.inputOffset();
        int shiftIn = xor;
        int laneDwords = isa.vecBytes / 4;
        for (int v = 0; v < vectors; v++) {
            for (int a = 0; a < isa.accs; a++) {
                for (int j = 0; j < laneDwords; j++) {
                    // Shifted groups keep tap rows in lane order (accumulator a: lanes 8a..8a+7).
                    int lane = shifted ? 8 * a + j : (isa == Isa.AVX512VNNI ? 16 : 8) * (j / 4) + 4 * a + (j % 4);
                    long stepLane = (long) v * isa.unitLanes + lane;
                    int ch = stepLane < stepLanes ? (int) (stepLane % outC) : -1;
                    for (int g = 0; g < groups + fixSrc.length; g++) {
                        // [group][vector][acc]; fix group k (after the tap groups) holds the rest of
                        // tap group fixSrc[k]'s weights outside int8, which hold them clamped.
                        long wVec = weightsOff + (((long) g * vectors + v) * isa.accs + a) * isa.vecBytes;
                        int tg = g < groups ? g : fixSrc[g - groups];
                        for (int b = 0; b < isa.groupTaps; b++) {
                            int fx = (tg % xGroups) * isa.groupTaps + b;
                            int t = fx < p.kw() ? (tg / xGroups) * p.kw() + fx : taps;
                            int w = ch >= 0 && t < taps ? wEff[t * outC + ch] : 0;
                            if (isa == Isa.AVX512VNNI) {
                                int clamped = Math.max(-128, Math.min(127, w));
                                m.set(ValueLayout.JAVA_BYTE, wVec + 4L * j + b, (byte) (g < groups ? clamped : w - clamped));
                            } else {
                                m.set(ValueLayout.JAVA_SHORT_UNALIGNED, wVec + 4L * j + 2L * b, (short) w);
                            }
                        }
                    }
                    long k = constsOff + ((long) v * isa.accs + a) * isa.constVecs * isa.vecBytes;
                    writeConsts(m, k, isa, j, ch, p, bias, wEff, taps, outC, io - shiftIn, smallAcc);
                }
            }
        }
        MethodHandle h = NativeKernels.handle(symbol, SIGNATURE);
        return new NativeDepthwiseConvRows(name, NativeDepthwiseConv.referenceOf(family), h, m,
                p.batches() * p.outH(), (int) vectors, scratch);
    }

    /**
     * Whether an AVX2 node of this geometry (one that {@link #prefers} the rows kernel) runs the
     * 3x3 two-row unit (stride_h 1, or 2 with {@link #ROW2_S2_PROPERTY}) under the current
     * properties, for tests that must not test another pass against the reference.
     */
    public static boolean twoRow3x3(int outW, int inC, int mult, int kh, int kw, int strideH, int strideW, int dilH,
            int dilW) {
        if (kh != 3 || kw != 3 || strideH > 2 || dilH != 1
                || strideH == 2 && "false".equalsIgnoreCase(System.getProperty(ROW2_S2_PROPERTY))
                || "false".equalsIgnoreCase(System.getProperty(TWO_ROWS_PROPERTY))
                || "false".equalsIgnoreCase(System.getProperty(SHIFTED_PROPERTY))) {
            return false;
        }
        int outC = inC * mult;
        int px = stepPixels(outW, outC, Isa.AVX2.unitLanes, Isa.AVX2.maxStepLanes);
        long stepLanes = (long) px * outC;
        long vectors = (stepLanes + 15) / 16;
        return shiftedGroups(2, outC, strideW, dilW, stepLanes, vectors, (outW + px - 1) / px);
    }

    /** How the VNNI kernel builds quad rows (dwconv_rows.h, direct_mode): 0 from a staged row. */
    static int directMode(int c, int m, int s) {
        if (m == 1 && s == 1) {
            return 1;
        }
        if (m == 1 && s == 2 && (c == 8 || c == 16 || c == 32)) {
            return 2;
        }
        if (m == 1 && c % 64 == 0) {
            return 3;
        }
        if (c == 1 && m <= 64 && 64 % m == 0 && (64L / m - 1) * s < 16) {
            return 4;
        }
        return 0;
    }

    /** How the AVX2 kernel reads a tap's 16 bytes (dwconv_rows.h, direct_mode): 0 byte by byte. */
    static int directModeAvx2(DepthwiseConvParams p) {
        return directModeAvx2(p.inC(), p.multiplier(), p.strideW());
    }

    /** {@link #directModeAvx2(DepthwiseConvParams)} of a node of these channels, multiplier and stride (tests). */
    public static int directModeAvx2(int c, int m, int s) {
        if (m == 1 && s == 1) {
            return 1;
        }
        if (m == 1 && s == 2 && c == 8) {
            return 2;
        }
        if (m == 1 && c % 16 == 0) {
            return 3;
        }
        if (c == 1 && m <= 16 && 16 % m == 0 && (16L / m - 1) * s < 16) {
            return 4;
        }
        if (window32(c, m, s)) {
            return 5;
        }
        // Mode 6 (session 12): multiplier 1 and 16 channels or more, a unit spans two pixels at
        // most: two loads and a blend (30x30x24 stride 2).
        return m == 1 && c >= 16 ? 6 : 0;
    }

    /**
     * AVX2 direct mode 5 (session 12): every unit of 16 lanes reads its bytes from one 32-byte
     * window of the input row (two pshufb), and units start at one of at most 16 channel phases
     * ({@code outC / gcd(16, outC)}: the kernel's control tables live on its stack). Covers the
     * small-channel nodes of stride 2 and of a depth multiplier that mode 0 stages.
     */
    static boolean window32(int inC, int mult, int strideW) {
        int outC = inC * mult;
        int g = Integer.lowestOneBit(outC | 16);
        if (outC / g > 16) {
            return false;
        }
        for (int c0 = 0; c0 < outC; c0 += g) {
            int ic0 = c0 / mult;
            for (int j = 0; j < 16; j++) {
                int lc = c0 + j;
                long off = (long) (lc / outC) * strideW * inC + (lc % outC) / mult - ic0;
                if (off >= 32) {
                    return false;
                }
            }
        }
        return true;
    }

    /**
     * Whether the AVX2 kernel can build group 0's tap pairs only (dwconv_rows.h,
     * {@code WHITTLE_Q8_DWCONV_ROWS_SHIFTED_GROUPS}): several groups, steps without junk lanes (a
     * row's units are one run of lanes), and 2 * dil_w input pixels a whole number of output
     * pixels whose lanes are a multiple of 8 (32-byte aligned loads), the run of group 0 no longer
     * than the tap row's groups.
     */
    static boolean shiftedGroups(DepthwiseConvParams p, int xGroups, long stepLanes, long vectors,
            long steps) {
        return shiftedGroups(xGroups, p.outC(), p.strideW(), p.dilW(), stepLanes, vectors, steps);
    }

    private static boolean shiftedGroups(int xGroups, int outC, int strideW, int dilW, long stepLanes, long vectors,
            long steps) {
        if (xGroups < 2 || stepLanes != vectors * 16 || 2 * dilW % strideW != 0) {
            return false;
        }
        long shiftLanes = 2L * dilW / strideW * outC;
        return shiftLanes % 8 == 0 && ((xGroups - 1) * shiftLanes + 15) / 16 <= (xGroups - 1) * steps * vectors;
    }

    /**
     * Whether every channel that shifts right has an accumulator below 2^30 in magnitude for
     * any input: |bias + offset * sum(w)| + 255 * sum|w| (the AVX2 kernel's int16 activations
     * are raw bytes, at most 255 in magnitude; padding taps are zero-point bytes). Then the
     * rounded product h = SRDHM(acc, m) (|h| <= |acc|) plus 2^(right - 1) stays inside int32.
     */
    static boolean smallAccumulators(DepthwiseConvParams p, ByteBuffer bias, int[] wEff, int taps, int outC,
            int offset) {
        for (int ch = 0; ch < outC; ch++) {
            if (p.shifts()[ch] > 0) {
                continue;
            }
            long sum = 0;
            long abs = 0;
            for (int t = 0; t < taps; t++) {
                sum += wEff[t * outC + ch];
                abs += Math.abs(wEff[t * outC + ch]);
            }
            long b = (bias != null ? bias.getInt(4 * ch) : 0) + (long) offset * sum;
            if (Math.abs(b) + 255L * abs >= 1L << 30) {
                return false;
            }
        }
        return true;
    }

    private static void writeConsts(MemorySegment m, long k, Isa isa, int j, int ch, DepthwiseConvParams p,
            ByteBuffer bias, int[] wEff, int taps, int outC, int offset, boolean smallAcc) {
        int vb = isa.vecBytes;
        int biasV = 0;
        int mult = 0;
        int left = 0;
        int right = 31;
        if (ch >= 0) {
            int sum = 0;
            for (int t = 0; t < taps; t++) {
                sum += wEff[t * outC + ch];
            }
            biasV = (bias != null ? bias.getInt(4 * ch) : 0) + offset * sum;
            int shift = p.shifts()[ch];
            left = shift > 0 ? shift : 0;
            right = shift > 0 ? 0 : -shift;
            mult = p.multipliers()[ch];
        }
        m.set(ValueLayout.JAVA_INT_UNALIGNED, k + 4L * j, biasV);
        m.set(ValueLayout.JAVA_INT_UNALIGNED, k + vb + 4L * j, left);
        m.set(ValueLayout.JAVA_INT_UNALIGNED, k + 2L * vb + 4L * j, mult);
        if (isa == Isa.AVX2 && smallAcc) {
            m.set(ValueLayout.JAVA_INT_UNALIGNED, k + 3L * vb + 4L * j, right > 0 ? 1 << (right - 1) : 0);
            m.set(ValueLayout.JAVA_INT_UNALIGNED, k + 4L * vb + 4L * j, right > 0 ? 31 : 32);
            m.set(ValueLayout.JAVA_INT_UNALIGNED, k + 5L * vb + 4L * j, right);
            return;
        }
        if (isa == Isa.AVX2) {
            int mask = (int) ((1L << right) - 1);
            m.set(ValueLayout.JAVA_INT_UNALIGNED, k + 3L * vb + 4L * j, mask);
            m.set(ValueLayout.JAVA_INT_UNALIGNED, k + 4L * vb + 4L * j, mask >> 1);
            m.set(ValueLayout.JAVA_INT_UNALIGNED, k + 5L * vb + 4L * j, right);
            return;
        }
        // VNNI: the odd lanes' multiplier at the even dwords (vpmuldq reads those), then per
        // lane as int64 at qword j / 2 of the even (j even) or odd (j odd) vector: R, N, S.
        int odd = j & 1;
        long q = 8L * (j / 2);
        if (odd == 1) {
            m.set(ValueLayout.JAVA_INT_UNALIGNED, k + 3L * vb + 4L * (j - 1), mult);
        }
        long r = (1L << 30) + (right > 0 ? 1L << (30 + right) : 0L);
        long n = right > 0 ? 1L << 31 : 0L;
        m.set(ValueLayout.JAVA_LONG_UNALIGNED, k + (4L + odd) * vb + q, r);
        m.set(ValueLayout.JAVA_LONG_UNALIGNED, k + (6L + odd) * vb + q, n);
        m.set(ValueLayout.JAVA_LONG_UNALIGNED, k + (8L + odd) * vb + q, 31L + right);
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public long workerScratchBytes() {
        return scratchBytes;
    }

    /**
     * Parts the vectors of a step are cut into for {@code threads} threads: as many as threads
     * (at most one vector each) when there are fewer than 4 rows per thread, else 1 (rows).
     */
    public static int parts(int rows, int vectors, int threads) {
        return threads > 1 && vectors > 1 && rows < 4 * threads ? Math.min(threads, vectors) : 1;
    }

    private int tasks(ExecutionState s) {
        int threads = s.threads();
        if (threads <= 1 || serial) {
            return 1;
        }
        int parts = fewRowsSplit ? parts(rows, vectors, threads) : 1;
        return parts > 1 ? parts * rows : Math.min(rows, threads * 4);
    }

    /**
     * Tasks of this node as one step of a chain of operators run in one parallel region
     * ({@code NodeChain}): those {@link #run(DepthwiseConvParams, ExecutionState)} would hand
     * the pool (1: one call), or 0 where it would run the reference kernel.
     */
    /**
     * Whether a native depthwise kernel with worker scratch can run this node now (its tensors in
     * native memory, scratch allocated); where not, {@code run} takes the reference kernel and
     * {@code chainTasks} is 0. Shared with {@link NativeDepthwiseConvC1}, so both answer alike.
     */
    static boolean nativeReady(DepthwiseConvParams p, ExecutionState s) {
        return s.address(p.input()) != 0 && s.address(p.output()) != 0 && s.workerScratchAddress(0) != 0;
    }

    @Override
    public int chainTasks(DepthwiseConvParams p, ExecutionState s) {
        if (!nativeReady(p, s)) {
            return 0;
        }
        return tasks(s);
    }

    @Override
    public void run(DepthwiseConvParams p, ExecutionState s) {
        if (!nativeReady(p, s)) {
            // Not in native memory (folding at compile time), or no scratch: the reference computes the same.
            reference.run(p, s);
            return;
        }
        int n = tasks(s);
        if (n == 1) {
            // One task: the call itself, without the pool's dispatch.
            call(p, s, s.workerScratchAddress(0), 0, rows, 0, vectors);
            return;
        }
        s.parallelFor(n, this, p);
    }

    private void call(DepthwiseConvParams p, ExecutionState s, long scratch, int begin, int end, int vBegin,
            int vEnd) {
        try {
            handle.invokeExact(blockAddress, s.address(p.input()), s.address(p.output()), scratch, begin, end, vBegin,
                    vEnd);
        } catch (Throwable t) {
            throw new IllegalStateException(name + " failed", t);
        }
    }

    @Override
    public void run(DepthwiseConvParams p, ExecutionState s, int task, int worker) {
        run(p, s, task, task + 1, worker);
    }

    /** Tasks {@code [from, to)} are consecutive rows (of one part, or of consecutive parts): a call per part. */
    @Override
    public void run(DepthwiseConvParams p, ExecutionState s, int from, int to, int worker) {
        long scratch = s.workerScratchAddress(worker);
        int parts = fewRowsSplit && !serial ? parts(rows, vectors, s.threads()) : 1;
        if (parts == 1) {
            int n = tasks(s);
            call(p, s, scratch, (int) ((long) rows * from / n), (int) ((long) rows * to / n), 0, vectors);
            return;
        }
        for (int k = from / rows; k * rows < to; k++) {
            int begin = Math.max(from, k * rows) - k * rows;
            int end = Math.min(to, (k + 1) * rows) - k * rows;
            call(p, s, scratch, begin, end, vectors * k / parts, vectors * (k + 1) / parts);
        }
    }

    /** Output rows ({@code batches * outH}): the bands of {@link #runRows}. */
    int rows() {
        return rows;
    }

    /**
     * Output rows {@code [begin, end)}, every channel, in one call, written to {@code output} (the
     * output tensor, or a buffer of its size) with {@code scratch} ({@link #workerScratchBytes}):
     * a band of a fused depthwise + 1x1 pair ({@link FusedDwConvGemm}). The caller has checked
     * that the input, the output and the scratch are native memory of the right sizes.
     */
    void runRows(DepthwiseConvParams p, ExecutionState s, long output, long scratch, int begin, int end) {
        runRows(p, s, output, scratch, begin, end, 0, vectors);
    }

    /**
     * As {@link #runRows(DepthwiseConvParams, ExecutionState, long, long, int, int)}, the lanes of
     * vectors {@code [vBegin, vEnd)} of each step only (the split the few-rows mode uses): a
     * fused pair's depthwise cut by vectors ({@link FusedDwConvGemm}'s phased split).
     */
    void runRows(DepthwiseConvParams p, ExecutionState s, long output, long scratch, int begin, int end, int vBegin,
            int vEnd) {
        try {
            handle.invokeExact(blockAddress, s.address(p.input()), output, scratch, begin, end, vBegin, vEnd);
        } catch (Throwable t) {
            throw new IllegalStateException(name + " failed", t);
        }
    }

    /** Vectors per step: the parts a step's lanes can be cut into. */
    int vectors() {
        return vectors;
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
