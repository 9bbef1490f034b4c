package dev.whittle.runtime.kernels;

import dev.whittle.runtime.ExecutionState;
import dev.whittle.runtime.Kernel;
import dev.whittle.runtime.kernels.reference.ConvKernels;
import dev.whittle.runtime.kernels.reference.ConvParams;
import dev.whittle.runtime.kernels.reference.FullyConnectedReference;
import dev.whittle.runtime.kernels.reference.FullyConnectedReference.QuantParams;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.ByteBuffer;

/**
 * The prepared half of the native int8/uint8 GEMM kernels ({@code kernels/q8_conv2d_gemm_*},
 * {@code native/include/whittle/q8_gemm.h}): one node's params block, packed weight panels
 * and per-channel requantization constants in native memory, written once here, and the
 * task split of a call. {@link Q8GemmConv} (CONV_2D) and {@link Q8GemmFullyConnected} (a
 * FULLY_CONNECTED is the 1x1 convolution of a 1x1 image) wrap it.
 *
 * <p>GEMM view: M = output pixels (batches * outH * outW), N = output channels,
 * K = kh * kw * inC. Each call packs a block of pixels' K values (im2col, padding taps as the
 * input zero point) into the worker's scratch and runs MR x 16 microtiles over 16-channel
 * weight panels, the requantization fused into the store. The integer algebra of each ISA's
 * layout is written in its kernel file.
 */
final class Q8Gemm implements NativeGemm {
    /** The microkernel family of one ISA: tile, packed element width, K block. */
    enum Isa {
        /** vpmaddwd: int16 weights {@code w + filterOffset}, activations widened to int16, K in pairs. */
        AVX2("gemm_4x16c2__avx2", 4, 2),
        /** vpdpbusd: int8 weights, activations moved to uint8, K in quads, per-pixel byte sums. */
        AVX512VNNI("gemm_8x16c4__avx512vnni", 8, 1),
        /**
         * AArch64 sdot: the AVX-512 VNNI weight panels, activations moved to int8 (uint8 XOR 0x80)
         * instead of uint8, per-pixel byte sums as VNNI; 4 pixels x 16 channels.
         */
        NEONDOT("gemm_4x16c4__neondot", 4, 1),
        /**
         * AArch64 smmla (I8MM; issue 6, NEON gaps): the NEONDOT arithmetic (signed activations,
         * same constants), panels of channel pairs {@code [kp / 8][8 pairs][2 channels][8 K]},
         * kp = K rounded up to 8; 4 pixels x 16 channels.
         */
        NEONI8MM("gemm_4x16c8__neoni8mm", 4, 1);

        /** Whether activations are moved to signed bytes (the Arm kernels: sdot, smmla). */
        boolean signedActivations() {
            return this == NEONDOT || this == NEONI8MM;
        }

        /** K is padded to a multiple of this (the packed rows' and panels' kp). */
        int kBlock() {
            return this == NEONI8MM ? 8 : 4;
        }

        final String suffix;
        final int mr;
        final int elementBytes;

        Isa(String suffix, int mr, int elementBytes) {
            this.suffix = suffix;
            this.mr = mr;
            this.elementBytes = elementBytes;
        }
    }

    static final int NR = 16;
    /** Bytes of one pixel block of packed activations a worker aims for (L2-resident with the panel). */
    private static final int BLOCK_BYTES = 20 * 1024;
    private static final int PARAMS_BYTES = 256;
    private static final int CHANNEL_ARRAYS = 9;
    private static final FunctionDescriptor SIGNATURE = FunctionDescriptor.ofVoid(ValueLayout.JAVA_LONG,
            ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT,
            ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT);

    final String name;
    final int m;
    final int n;
    final int np;
    final int mr;
    final long scratchBytes;
    private final MethodHandle handle;
    private final Q8GemmLayout.Split split;
    // Held so the native memory lives as long as the kernel.
    private final MemorySegment params;
    private final MemorySegment weights;
    private final MemorySegment channel;

    /** Bytes of the packed weight panels. */
    @Override
    public long weightBytes() {
        return weights.byteSize();
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public long scratchBytes() {
        return scratchBytes;
    }

    /** What the node computes; geometry as in {@code ConvParams}, weights {@code [N][K]} bytes. */
    record Spec(int batches, int inH, int inW, int inC, int outH, int outW, int outC, int kh, int kw, int strideH,
            int strideW, int dilH, int dilW, int padH, int padW, boolean unsigned, boolean gemmlowp,
            int inputOffset, int weightsOffset, int outputOffset, int[] multipliers, int[] shifts, int actMin,
            int actMax) {

        /**
         * A CONV_2D node of dense family {@code family} as a GEMM: int8 convolutions ignore the
         * filter offset (symmetric weights) and requantize with ruy's rounding, uint8 ones with
         * gemmlowp's, as the reference kernels do.
         */
        static Spec ofConv(KernelFamily<ConvKernelFactory> family, ConvParams p) {
            boolean unsigned = family == KernelRegistry.QU8_CONV2D;
            return new Spec(p.batches(), p.inH(), p.inW(), p.inC(), p.outH(), p.outW(), p.outC(), p.kh(), p.kw(),
                    p.strideH(), p.strideW(), p.dilH(), p.dilW(), p.padH(), p.padW(), unsigned, unsigned,
                    p.inputOffset(), unsigned ? p.filterOffset() : 0, p.outputOffset(), p.multipliers(), p.shifts(),
                    p.actMin(), p.actMax());
        }

        /** A FULLY_CONNECTED node as the GEMM of a 1x1 image (ruy's rounding for every type). */
        static Spec ofFullyConnected(KernelFamily<QuantizedFullyConnectedFactory> family, QuantParams p) {
            return new Spec(p.batches(), 1, 1, p.inFeatures(), 1, 1, p.outFeatures(), 1, 1, 1, 1, 1, 1, 0, 0,
                    family == KernelRegistry.QU8_FULLY_CONNECTED, false, p.inputOffset(), p.weightsOffset(),
                    p.outputOffset(), p.multipliers(), p.shifts(), p.actMin(), p.actMax());
        }
    }

    /** The reference kernel (oracle) of an 8-bit CONV_2D family, or null for the others. */
    static Kernel<ConvParams> convReference(KernelFamily<ConvKernelFactory> family) {
        return family == KernelRegistry.QU8_CONV2D ? ConvKernels.QU8
                : family == KernelRegistry.QS8_CONV2D ? ConvKernels.QS8
                : family == KernelRegistry.QS8_QC8W_CONV2D ? ConvKernels.QS8_QC8W : null;
    }

    /** The reference kernel of an 8-bit FULLY_CONNECTED family, or null for the others. */
    static Kernel<QuantParams> fullyConnectedReference(KernelFamily<QuantizedFullyConnectedFactory> family) {
        return family == KernelRegistry.QU8_FULLY_CONNECTED ? FullyConnectedReference.QU8
                : family == KernelRegistry.QS8_FULLY_CONNECTED ? FullyConnectedReference.QS8
                : family == KernelRegistry.QS8_QC8W_FULLY_CONNECTED ? FullyConnectedReference.QS8_QC8W : null;
    }

    private Q8Gemm(String name, Isa isa, Spec s, int k, int kp, int mb, ByteBuffer w, ByteBuffer bias, boolean bind) {
        this.name = name;
        this.m = s.batches() * s.outH() * s.outW();
        this.n = s.outC();
        this.np = roundUp(n, NR);
        this.mr = isa.mr;
        // Pixels are split where they are many (8 tiles per thread) or many for the channels;
        // with few weights (64 Ki: person_detect's and MobileNet v1 0.25's 6x6 and 7x7
        // layers) already from 4 tiles, since each worker then reads its own rows of the input,
        // written by itself in the operator before, instead of every row (half of them from
        // the other core's cache), and all the weights, which stay in its L2 across invokes.
        // Measured at 2 threads, interleaved in one process: person_detect 75.7 -> 72.6 us,
        // MobileNet v1 0.25 unchanged (540 us).
        int pixelsAlways = (long) kp * np <= 1 << 16 ? Math.min(np, 4 * mr) : np;
        this.split = new Q8GemmLayout.Split(m, n, mr, NR, np / NR, 8 * mr, pixelsAlways);
        this.handle = bind ? NativeKernels.handle("whittle_" + name, SIGNATURE) : null;
        int rowBytes = kp * isa.elementBytes;
        // The packed block, 64 bytes of slack (or one staged row of raw bytes with its slack, on
        // AVX2), the per-row sums, alignment.
        this.scratchBytes = (long) mb * rowBytes + kp + 64 + 4L * mb + 64;
        this.weights = NativeKernels.allocate((long) np * kp * isa.elementBytes);
        this.channel = NativeKernels.allocate(4L * CHANNEL_ARRAYS * np);
        this.params = NativeKernels.allocate(PARAMS_BYTES);

        int io = s.inputOffset();
        int wo = s.weightsOffset();
        int flip = isa.signedActivations() ? (s.unsigned() ? 0x80 : 0) : (s.unsigned() ? 0 : 0x80);
        int[] constants = new int[np];
        int rowCoef = 0;
        if (isa == Isa.AVX2) {
            // w_eff = w + wo in int16; const = bias + io * sum_k w_eff.
            for (int o = 0; o < n; o++) {
                int panel = o / NR;
                int lane = o % NR;
                long base = (long) panel * kp * NR * 2;
                int sum = 0;
                for (int i = 0; i < k; i++) {
                    int raw = w.get(o * k + i);
                    int we = (s.unsigned() ? raw & 0xFF : raw) + wo;
                    sum += we;
                    long at = base + ((long) (i >> 1) * NR * 2 + lane * 2 + (i & 1)) * 2;
                    weights.set(ValueLayout.JAVA_SHORT_UNALIGNED, at, (short) we);
                }
                constants[o] = io * sum;
            }
        } else {
            // x_u = x + d, w_s = w_eff - c (see q8_conv2d_gemm_8x16c4__avx512vnni.cc):
            // const = bias + (io - d) * sum_k w_s + K * c * (io - d); per pixel c * sum_k x_u.
            // NEON DotProd: signed activations x_s = x + d (q8_conv2d_gemm_4x16c4__neondot.cc).
            int d = isa.signedActivations() ? (s.unsigned() ? -128 : 0) : (s.unsigned() ? 0 : 128);
            int c = s.unsigned() ? 128 + wo : wo;
            rowCoef = c;
            for (int o = 0; o < n; o++) {
                int panel = o / NR;
                int lane = o % NR;
                long base = (long) panel * kp * NR;
                int sum = 0;
                for (int i = 0; i < k; i++) {
                    int raw = w.get(o * k + i);
                    int ws = s.unsigned() ? (raw & 0xFF) - 128 : raw;
                    sum += ws;
                    // I8MM: per K octet, channel pair lane / 2 is 16 bytes (lane's 8 K at (lane % 2) * 8).
                    long at = isa == Isa.NEONI8MM ? base + (long) (i >> 3) * NR * 8 + lane * 8 + (i & 7)
                            : base + (long) (i >> 2) * NR * 4 + lane * 4 + (i & 3);
                    weights.set(ValueLayout.JAVA_BYTE, at, (byte) ws);
                }
                constants[o] = (io - d) * sum + k * c * (io - d);
            }
        }
        for (int o = 0; o < n; o++) {
            int c = constants[o] + (bias != null ? bias.getInt(o * 4) : 0);
            Q8GemmLayout.putOutputStage(channel, np, o, c, s.multipliers()[o], s.shifts()[o]);
        }
        Q8GemmLayout.putHeader(params, s, k, kp, np, mb, rowCoef, isa != Isa.AVX2 ? flip : 0,
                weights.address(), channel.address());
    }

    /**
     * The prepared GEMM, or null when the node is outside what the native code handles (sizes
     * past int32 indexing, shifts outside [-31, 31], a padding value outside the byte type):
     * everything the C code assumes is checked here.
     *
     * @param name the kernel name ({@code family + "_" + isa suffix}); its symbol is exported
     * @param w the weights {@code [N][K]}, from position 0
     * @param bias int32 per output channel, or null
     */
    static Q8Gemm create(String name, Isa isa, Spec s, ByteBuffer w, ByteBuffer bias) {
        return create(name, isa, s, w, bias, true);
    }

    /**
     * As {@link #create(String, Isa, Spec, ByteBuffer, ByteBuffer)}; {@code bind = false} packs
     * without looking up the kernel's symbol (which this library may not export: the NEON
     * kernels packed on x86 for the test vectors that run under qemu); such a GEMM cannot run.
     */
    static Q8Gemm create(String name, Isa isa, Spec s, ByteBuffer w, ByteBuffer bias, boolean bind) {
        if (!Q8GemmLayout.validGeometry(s)) {
            return null;
        }
        int k;
        int kp;
        int np;
        long m;
        try {
            k = Math.multiplyExact(Math.multiplyExact(s.kh(), s.kw()), s.inC());
            kp = roundUp(k, isa.kBlock());
            np = roundUp(s.outC(), NR);
            m = Q8GemmLayout.pixels(s);
            Math.toIntExact(Math.multiplyExact((long) np * kp, 2L * isa.elementBytes));
        } catch (ArithmeticException e) {
            return null;
        }
        // The weight offset moves the packed weights: they must stay in int16 (AVX2) or the
        // per-channel sums exact in wrapping int32 (always).
        if (!Q8GemmLayout.validQuant(s, w, k, bias)) {
            return null;
        }
        long rowBytes = (long) kp * isa.elementBytes;
        long mb = Math.max(1, BLOCK_BYTES / rowBytes) / isa.mr * isa.mr;
        mb = Math.max(isa.mr, Math.min(mb, Math.min(512, roundUp((int) Math.min(m, 1 << 20), isa.mr))));
        if (mb * rowBytes > (1L << 30)) {
            return null;
        }
        return new Q8Gemm(name, isa, s, k, kp, (int) mb, w.duplicate().order(w.order()),
                bias == null ? null : bias.duplicate().order(java.nio.ByteOrder.LITTLE_ENDIAN), bind);
    }

    /** Tasks for {@code threads} workers: see {@link Q8GemmLayout.Split}. */
    @Override
    public int tasks(int threads) {
        return split.tasks(threads);
    }

    /** Runs task {@code task} of {@link #tasks}{@code (threads)}. */
    @Override
    public void run(ExecutionState s, long input, long output, long scratch, int task) {
        split.invoke(handle, name, params.address(), s.threads(), input, output, scratch, task);
    }

    /**
     * What a test replays elsewhere (the NEON vectors): the params block, weight panels and
     * channel block as written at prepare, and the task split.
     */
    MemorySegment[] blocks() {
        return new MemorySegment[] {params, weights, channel};
    }

    @Override
    public Q8GemmLayout.Split split() {
        return split;
    }

    @Override
    public void run(ExecutionState s, long input, long output, long scratch, int from, int to) {
        split.invoke(handle, name, params.address(), s.threads(), input, output, scratch, from, to);
    }

    /**
     * Output pixels {@code [m0, m1)} of channels {@code [n0, n1)} ({@code n0} a multiple of
     * {@link #NR}) in one call: the 1x1 half of a fused depthwise + 1x1 pair
     * ({@link FusedDwConvGemm}). Each output element is computed the same way whichever call
     * covers it, so any cut gives the same bytes.
     */
    @Override
    public void runRange(long input, long output, long scratch, int m0, int m1, int n0, int n1) {
        Q8GemmLayout.call(handle, name, params.address(), input, output, scratch, m0, m1, n0, n1);
    }

    static int roundUp(int v, int multiple) {
        return Math.addExact(v, multiple - 1) / multiple * multiple;
    }
}
