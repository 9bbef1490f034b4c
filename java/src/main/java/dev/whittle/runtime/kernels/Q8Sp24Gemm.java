package dev.whittle.runtime.kernels;

import dev.whittle.runtime.ExecutionState;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The prepared half of the native 2:4 structured sparse int8/uint8 GEMM kernels
 * ({@code kernels/q8_conv2d_sp24_*}, {@code native/include/whittle/q8_sp24.h}): a
 * {@link Q8Gemm}-compatible params block (same geometry, requantization arrays and task split),
 * the kept weights and their pattern bytes, written once here. {@link Q8Sp24Conv} and
 * {@link Q8Sp24FullyConnected} wrap it.
 *
 * <p>Format: K = kh * kw * inC with {@code inC % 4 == 0}, so the aligned groups of 4 along K
 * are the groups of 4 along the input channels ({@link WeightStats#conforms24()}). Per
 * 16-channel panel and group, each channel keeps 2 weights (a group with fewer non-zeros pads
 * with zeros) and one pattern byte (AVX2: {@code id | id << 5}, id 0..5 the kept pair of the 4
 * positions; VNNI: two ids per byte). The kernel files say why these layouts.
 */
final class Q8Sp24Gemm implements NativeGemm {
    /** The microkernel of one ISA. */
    enum Isa {
        /**
         * int16 kept weights {@code w + filterOffset}, vpmaddwd: tiles of 24 pixels x 4 channels on 6
         * precomputed activation pairs per group (calls of 8+ pixels), vpshufb/vpermd gathers per
         * channel lane for 1..7 pixels; task splits in multiples of 8 pixels.
         */
        AVX2("sp24_24x4__avx2", 8, 4, 2),
        /**
         * vpshufb gather + vpdpbusd: int8 kept weights {@code clamp(w + filterOffset, -128, 127)}
         * plus {@link Residual} blocks where some are outside int8 (uint8 layers), activations moved
         * to unsigned, 8 pixels x 16 channels, K padded to 8.
         */
        AVX512VNNI("sp24_8x16__avx512vnni", 8, 8, 1),
        /**
         * AArch64 sdot, lanes = pixels (q8_conv2d_sp24_16x1c8__neondot.cc): per channel and 8 K
         * the 4 kept int8 weights and the index 0..35 of the two groups' pattern pair (the
         * VNNI residual blocks for uint8), 16-pixel tiles.
         */
        NEONDOT("sp24_16x1c8__neondot", 16, 8, 1);

        /** NEON: 8-K steps per chunk of activation combinations (36 x 64 bytes each), q8_conv2d_sp24_16x1c8__neondot.cc. */
        static final int NEON_CHUNK = 8;

        final String suffix;
        final int mr;
        /** K is padded to a multiple of this (the K one packed weight lane spans). */
        final int kBlock;
        /** Bytes of one packed activation (widened int16, or raw bytes). */
        final int elementBytes;

        Isa(String suffix, int mr, int kBlock, int elementBytes) {
            this.suffix = suffix;
            this.mr = mr;
            this.kBlock = kBlock;
            this.elementBytes = elementBytes;
        }
    }

    static final int NR = 16;
    /** Pattern id of the kept pair (a, b), a < b: 0 (0,1), 1 (0,2), 2 (0,3), 3 (1,2), 4 (1,3), 5 (2,3). */
    private static final int[][] PATTERN = {{-1, 0, 1, 2}, {0, -1, 3, 4}, {1, 3, -1, 5}, {2, 4, 5, -1}};
    /** Bytes of one pixel block of widened activations a worker aims for (as the dense kernel). */
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
    private final MemorySegment meta;
    private final MemorySegment channel;
    /** VNNI: the residual blocks of weights outside int8 (null when none): see {@link Residual}. */
    private final Residual residual;

    /**
     * AVX-512 VNNI: the 8-K blocks (per 16-channel panel) where some kept {@code w_eff} is
     * outside int8 (uint8 layers: {@code w - zeroPoint} spans [-255, 255]); the packed weights
     * hold {@code clamp(w_eff, -128, 127)} and each block here the rest, {@code r = w_eff -
     * clamp(...)}, as 64 int8 in the packed layout. {@code starts}: np / 16 + 1 int32 indices,
     * {@code octs}: the block's 8-K index q, {@code weights}: 64 bytes per block.
     */
    record Residual(MemorySegment starts, MemorySegment octs, MemorySegment weights) {
        long bytes() {
            return starts.byteSize() + octs.byteSize() + weights.byteSize();
        }
    }

    private Q8Sp24Gemm(String name, Isa isa, Q8Gemm.Spec s, int k, int kp, int mb, MemorySegment weights,
            MemorySegment meta, Residual residual, int[] sums, ByteBuffer bias, boolean bind) {
        this.name = name;
        this.m = s.batches() * s.outH() * s.outW();
        this.n = s.outC();
        this.np = Q8Gemm.roundUp(n, NR);
        this.mr = isa.mr;
        this.split = new Q8GemmLayout.Split(m, n, mr, NR, np / NR, 8 * mr, np);
        this.handle = bind ? NativeKernels.handle("whittle_" + name, SIGNATURE) : null;
        this.weights = weights;
        this.meta = meta;
        this.residual = residual;
        // AVX2: the widened block, one staged raw row with its slack, 64 for alignment, one
        // panel's vpshufb controls (64 bytes per group of 4 K) or up to 3 rows of pairs (96),
        // slack. VNNI: the byte block, its slack, alignment, one panel's controls (64 per 8 K).
        // AVX2 calls of 8 or more pixels first run the lanes = pixels tiles in the same scratch:
        // 24 raw rows of kq = K rounded up to 16 bytes, slack and alignment, the tile's 6 pair
        // vectors per group (kq / 4 groups x 3 x 192 bytes), the int32 sums (np x 24 pixels).
        long kq = Q8Gemm.roundUp(k, 16);
        this.scratchBytes = isa == Isa.NEONDOT
                // alignment, 16 raw rows of kp and slack, a chunk of combinations, the int32 sums
                // (np x 16 pixels), the staged output (16 x 16), slack
                ? 64 + 16L * kp + 64 + Isa.NEON_CHUNK * 36L * 64 + 64L * np + 256 + 64
                : isa == Isa.AVX2
                ? Math.max(2L * mb * k + k + 64 + 64 + 24L * k + 64, 24 * kq + 128 + 144 * kq + 96L * np + 64)
                : (long) mb * kp + 64 + 64 + 8L * kp + 64;
        this.channel = NativeKernels.allocate(4L * CHANNEL_ARRAYS * np);
        this.params = NativeKernels.allocate(PARAMS_BYTES);
        int io = s.inputOffset();
        // VNNI moves int8 activations to unsigned (x_u = x + d): see its kernel file.
        int d = isa == Isa.AVX512VNNI && !s.unsigned() ? 128 : 0;
        if (isa == Isa.NEONDOT) {
            // sdot: signed activations, uint8 x ^ 0x80 = x - 128
            d = s.unsigned() ? -128 : 0;
        }
        for (int o = 0; o < n; o++) {
            // const = bias + (inputOffset - d) * sum_k w_eff (pruned weights have w_eff = 0).
            int c = (io - d) * sums[o] + (bias != null ? bias.getInt(o * 4) : 0);
            Q8GemmLayout.putOutputStage(channel, np, o, c, s.multipliers()[o], s.shifts()[o]);
        }
        Q8GemmLayout.putHeader(params, s, k, kp, np, mb, 0, isa == Isa.NEONDOT ? (s.unsigned() ? 0x80 : 0) : d,
                weights.address(), channel.address());
        params.set(ValueLayout.JAVA_LONG, 128, meta.address());
        if (residual != null) {
            params.set(ValueLayout.JAVA_LONG, 136, residual.starts().address());
            params.set(ValueLayout.JAVA_LONG, 144, residual.octs().address());
            params.set(ValueLayout.JAVA_LONG, 152, residual.weights().address());
        }
    }

    /** Bytes of the kept weights, their pattern bytes and (VNNI) the residual blocks. */
    @Override
    public long weightBytes() {
        return weights.byteSize() + meta.byteSize() + (residual == null ? 0 : residual.bytes());
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public long scratchBytes() {
        return scratchBytes;
    }

    /**
     * The prepared 2:4 GEMM, or null when the node is outside what the native code handles: the
     * dense kernel's limits ({@link Q8Gemm#create}), {@code inC % 4 != 0}, or a group of 4
     * with more than 2 non-zero weights ({@code w + weightsOffset != 0}).
     */
    static Q8Sp24Gemm create(String name, Isa isa, Q8Gemm.Spec s, ByteBuffer w, ByteBuffer bias) {
        return create(name, isa, s, w, bias, true);
    }

    /**
     * As {@link #create(String, Isa, Q8Gemm.Spec, ByteBuffer, ByteBuffer)}; {@code bind = false}
     * packs without looking up the kernel's symbol (the NEON kernels packed on x86 for the test
     * vectors replayed under qemu); such a GEMM cannot run.
     */
    static Q8Sp24Gemm create(String name, Isa isa, Q8Gemm.Spec s, ByteBuffer w, ByteBuffer bias, boolean bind) {
        if (!Q8GemmLayout.validGeometry(s) || s.inC() % 4 != 0) {
            return null;
        }
        int k;
        int np;
        long m;
        try {
            k = Math.multiplyExact(Math.multiplyExact(s.kh(), s.kw()), s.inC());
            np = Q8Gemm.roundUp(s.outC(), NR);
            m = Q8GemmLayout.pixels(s);
            Math.toIntExact(Math.multiplyExact((long) np, 4L * (k + 8)));
        } catch (ArithmeticException e) {
            return null;
        }
        // w_eff = w + weightsOffset must stay in int16 and its per-channel sums exact in int32.
        if (!Q8GemmLayout.validQuant(s, w, k, bias)) {
            return null;
        }
        int kp = Q8Gemm.roundUp(k, isa.kBlock);
        long rowBytes = (long) kp * isa.elementBytes;
        long mb = Math.max(1, BLOCK_BYTES / rowBytes) / isa.mr * isa.mr;
        mb = Math.max(isa.mr, Math.min(mb, Math.min(512, Q8Gemm.roundUp((int) Math.min(m, 1 << 20), isa.mr))));
        if (mb * rowBytes > (1L << 30)) {
            return null;
        }
        // The kept pair of every channel and group: pattern id and the two w_eff.
        int groups = k / 4;
        int n = s.outC();
        byte[] pattern = new byte[n * groups];
        short[] kept = new short[2 * n * groups];
        int[] sums = new int[n];
        int wo = s.weightsOffset();
        int[] we = new int[4];
        // VNNI: a kept w_eff of 255 (uint8, zero point 0) leaves a residual of 128, outside int8
        boolean fitsResidual = true;
        for (int o = 0; o < n; o++) {
            int sum = 0;
            for (int g = 0; g < groups; g++) {
                int count = 0;
                int a = -1;
                int b = -1;
                for (int i = 0; i < 4; i++) {
                    int raw = w.get(o * k + 4 * g + i);
                    we[i] = (s.unsigned() ? raw & 0xFF : raw) + wo;
                    if (we[i] != 0) {
                        count++;
                        if (a < 0) {
                            a = i;
                        } else {
                            b = i;
                        }
                        fitsResidual &= we[i] <= 254;
                    }
                }
                if (count > 2) {
                    return null;
                }
                // Fewer than 2 non-zeros: any pair holding them (its other weights are 0).
                if (a < 0) {
                    a = 0;
                    b = 1;
                } else if (b < 0) {
                    b = a == 3 ? 3 : a + 1;
                    a = a == 3 ? 2 : a;
                }
                sum += we[a] + we[b];
                pattern[o * groups + g] = (byte) PATTERN[a][b];
                kept[2 * (o * groups + g)] = (short) we[a];
                kept[2 * (o * groups + g) + 1] = (short) we[b];
            }
            sums[o] = sum;
        }
        if (isa != Isa.AVX2 && !fitsResidual) {
            return null;
        }
        Residual residual = null;
        MemorySegment packed;
        MemorySegment meta;
        if (isa == Isa.AVX2) {
            // Per panel, per group: 16 lanes x (w_a, w_b) int16; 16 pattern bytes.
            // np / 16 panels x groups x 64 bytes of weights, x 16 pattern bytes
            packed = NativeKernels.allocate((long) np * groups * 4);
            meta = NativeKernels.allocate((long) np * groups);
            for (int o = 0; o < n; o++) {
                long panel = o / NR;
                int lane = o % NR;
                for (int g = 0; g < groups; g++) {
                    long at = (panel * groups + g) * 64 + lane * 4L;
                    packed.set(ValueLayout.JAVA_SHORT_UNALIGNED, at, kept[2 * (o * groups + g)]);
                    packed.set(ValueLayout.JAVA_SHORT_UNALIGNED, at + 2, kept[2 * (o * groups + g) + 1]);
                    // id | id << 5: vpermd reads the id from the low 3 bits, the tiles use
                    // id << 5 (the byte offset of the pattern's pair vector)
                    int id = pattern[o * groups + g];
                    meta.set(ValueLayout.JAVA_BYTE, (panel * groups + g) * 16 + lane, (byte) (id | id << 5));
                }
            }
        } else if (isa == Isa.NEONDOT) {
            // Per channel, per 8 K: the VNNI lane's 4 bytes (w_a, w_b of group 2q, w_a, w_b of
            // 2q + 1, clamped to int8) and one byte p_2q * 6 + p_2q+1 (a missing last group:
            // pattern 0, zero weights); the VNNI residual blocks.
            int octs = kp / 8;
            packed = NativeKernels.allocate(Math.max(8, (long) n * octs * 4 + 4));
            meta = NativeKernels.allocate(Math.max(8, (long) n * octs));
            for (int o = 0; o < n; o++) {
                for (int g = 0; g < groups; g++) {
                    long q = (long) o * octs + g / 2;
                    long at = q * 4 + (g % 2) * 2;
                    packed.set(ValueLayout.JAVA_BYTE, at, (byte) clampInt8(kept[2 * (o * groups + g)]));
                    packed.set(ValueLayout.JAVA_BYTE, at + 1, (byte) clampInt8(kept[2 * (o * groups + g) + 1]));
                    int prev = meta.get(ValueLayout.JAVA_BYTE, q);
                    meta.set(ValueLayout.JAVA_BYTE, q, (byte) (prev + pattern[o * groups + g] * (g % 2 == 0 ? 6 : 1)));
                }
            }
            residual = residual(kept, n, groups, octs, np);
        } else {
            // Per panel, per 8 K: 16 lanes x (w_a, w_b of group 2q, w_a, w_b of 2q + 1) int8; 16
            // bytes p_2q | p_2q+1 << 4 (a missing last group: pattern 0, zero weights).
            int octs = kp / 8;
            // np / 16 panels x octs x 64 bytes of weights, x 16 pattern bytes
            packed = NativeKernels.allocate((long) np * octs * 4);
            meta = NativeKernels.allocate((long) np * octs);
            for (int o = 0; o < n; o++) {
                long panel = o / NR;
                int lane = o % NR;
                for (int g = 0; g < groups; g++) {
                    long q = panel * octs + g / 2;
                    long at = q * 64 + lane * 4L + (g % 2) * 2;
                    packed.set(ValueLayout.JAVA_BYTE, at, (byte) clampInt8(kept[2 * (o * groups + g)]));
                    packed.set(ValueLayout.JAVA_BYTE, at + 1, (byte) clampInt8(kept[2 * (o * groups + g) + 1]));
                    long mat = q * 16 + lane;
                    int prev = meta.get(ValueLayout.JAVA_BYTE, mat);
                    meta.set(ValueLayout.JAVA_BYTE, mat, (byte) (prev | pattern[o * groups + g] << (4 * (g % 2))));
                }
            }
            residual = residual(kept, n, groups, octs, np);
        }
        return new Q8Sp24Gemm(name, isa, s, k, kp, (int) mb, packed, meta, residual, sums,
                bias == null ? null : bias.duplicate().order(ByteOrder.LITTLE_ENDIAN), bind);
    }

    /**
     * What a test replays elsewhere (the NEON vectors): the params block, then every block its
     * pointer fields point at, as written at prepare.
     */
    MemorySegment[] blocks() {
        return residual == null ? new MemorySegment[] {params, weights, meta, channel}
                : new MemorySegment[] {params, weights, meta, channel, residual.starts(), residual.octs(),
                        residual.weights()};
    }

    @Override
    public Q8GemmLayout.Split split() {
        return split;
    }

    @Override
    public void runRange(long input, long output, long scratch, int m0, int m1, int n0, int n1) {
        Q8GemmLayout.call(handle, name, params.address(), input, output, scratch, m0, m1, n0, n1);
    }

    private static int clampInt8(int v) {
        return Math.max(-128, Math.min(127, v));
    }

    /** The VNNI residual blocks of {@code kept} (the w_eff pairs per channel and group), or null. */
    private static Residual residual(short[] kept, int n, int groups, int octs, int np) {
        int panels = np / NR;
        // per panel and 8-K block: whether some kept weight is outside int8
        boolean[] over = new boolean[panels * octs];
        int count = 0;
        for (int o = 0; o < n; o++) {
            for (int i = 0; i < 2 * groups; i++) {
                int v = kept[2 * o * groups + i];
                int q = (o / NR) * octs + i / 4;
                if (v != clampInt8(v) && !over[q]) {
                    over[q] = true;
                    count++;
                }
            }
        }
        if (count == 0) {
            return null;
        }
        MemorySegment starts = NativeKernels.allocate(4L * (panels + 1));
        MemorySegment octIndex = NativeKernels.allocate(4L * count);
        MemorySegment weights = NativeKernels.allocate(64L * count);
        int[] block = new int[panels * octs];
        int j = 0;
        for (int panel = 0; panel < panels; panel++) {
            starts.setAtIndex(ValueLayout.JAVA_INT, panel, j);
            for (int q = 0; q < octs; q++) {
                if (over[panel * octs + q]) {
                    octIndex.setAtIndex(ValueLayout.JAVA_INT, j, q);
                    block[panel * octs + q] = j++;
                }
            }
        }
        starts.setAtIndex(ValueLayout.JAVA_INT, panels, j);
        for (int o = 0; o < n; o++) {
            for (int g = 0; g < groups; g++) {
                int q = (o / NR) * octs + g / 2;
                if (!over[q]) {
                    continue;
                }
                for (int t = 0; t < 2; t++) {
                    int v = kept[2 * (o * groups + g) + t];
                    long at = block[q] * 64L + (o % NR) * 4L + (g % 2) * 2 + t;
                    weights.set(ValueLayout.JAVA_BYTE, at, (byte) (v - clampInt8(v)));
                }
            }
        }
        return new Residual(starts, octIndex, weights);
    }

    /**
     * Whether, with {@code -Dwhittle.weights=auto}, the dense kernel of a node of {@code m}
     * output pixels is measured faster than this 2:4 kernel (kernels/README.md "2:4"): the
     * AVX2 2:4 kernel where the dense family runs on AVX-512 VNNI (146 against 195-230 GMAC/s
     * at best), the VNNI one below 8 pixels. The factories then decline (dense runs).
     */
    static boolean denseIsFaster(KernelFamily<?> dense, Isa isa, long m) {
        if (WeightFormat.current() != WeightFormat.AUTO) {
            return false;
        }
        if (isa == Isa.NEONDOT) {
            // Not calibrated (no Arm hardware here). Below 16 pixels a 16-pixel tile is mostly
            // padding: dense runs there.
            return m < 16;
        }
        if (isa == Isa.AVX512VNNI) {
            // Fewer than 8 output pixels (FULLY_CONNECTED at batch 1..7): a panel's controls (5
            // ops per 16 channels and 8 K) serve only m pixels, whose 2:4 steps cost 2 ops each
            // against dense's 2 vpdpbusd. Session 7, direct C harness calling both kernels (qu8,
            // min of 400, Zen 4): m = 1 0.90x (K = 320, N = 256) and 1.06x (1280 -> 1001), m = 2
            // 1.13x / 1.24x, m = 3 1.02x / 1.06x, m = 4 0.93x / 0.91x; m = 8 1.12x (1280 -> 1001),
            // and every MobileNet v2 layer (49+ pixels) 1.3-1.9x. (Session 5: m < 4, 0.92x-1.04x.)
            return m < 8;
        }
        java.util.Set<KernelPath> allowed = KernelPath.allowed(System.getProperty(KernelPath.PROPERTY));
        for (KernelEntry<?> e : KernelRegistry.available(dense)) {
            if (e.path() == KernelPath.AVX512VNNI && allowed.contains(e.path())) {
                return true;
            }
        }
        return false;
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

    @Override
    public void run(ExecutionState s, long input, long output, long scratch, int from, int to) {
        split.invoke(handle, name, params.address(), s.threads(), input, output, scratch, from, to);
    }
}
