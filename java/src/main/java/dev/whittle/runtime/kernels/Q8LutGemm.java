package dev.whittle.runtime.kernels;

import dev.whittle.runtime.ExecutionState;
import dev.whittle.runtime.Kernel;
import dev.whittle.runtime.kernels.reference.ConvParams;
import dev.whittle.runtime.kernels.reference.FullyConnectedReference.QuantParams;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * The prepared half of the LUT-decoded clustered int8/uint8 GEMM kernels
 * ({@code kernels/q8_gemm_lut4_*}, {@code native/include/whittle/q8_lut.h}) for CONV_2D
 * ({@link Conv}) and FULLY_CONNECTED ({@link FullyConnected}) layers of {@code qs8},
 * {@code qs8_qc8w} and {@code qu8} whose output channels each hold at most {@value #MAX_VALUES}
 * distinct weight bytes (what {@code whittle cluster --clusters 16} makes), or, on AVX-512 VNNI,
 * {@value #MAX_VALUES_5} ({@code lut5}: the 5th index bit as a bitplane): 4-bit indices, two per
 * byte, and a 16-entry byte table per output channel, or one for the layer when the whole layer
 * has at most that many values. Bit-exact with the reference kernels (int8: ruy's rounding;
 * uint8 conv: gemmlowp's), like {@link Q8Gemm}, whose params block, requantization constants and
 * im2col this shares.
 *
 * <p>One of four index layouts ({@link Layout}) per layer, chosen here by path and output pixels
 * M: few pixels decode in registers ({@code lut4_8x2c8__avx2}, {@code lut4_4x16c16__avx512vnni});
 * many pixels decode one 16-channel panel at a time into L1 scratch in the dense kernel's packed
 * layout and run the dense microkernel over it ({@code lut4_4x16c2__avx2},
 * {@code lut4_8x16c4__avx512vnni}). Either way the layer's dense weights never exist in memory
 * (kernels/README.md says why the one-panel buffer keeps to that). Each kernel file gives its
 * index and table layout; the packing below mirrors them.
 */
final class Q8LutGemm implements NativeGemm {
    /** Distinct weight bytes per output channel this format holds (4-bit indices). */
    public static final int MAX_VALUES = 16;
    /**
     * With 5-bit indices ({@code lut5}: the 5th bit as a bitplane, read into mask registers on
     * AVX-512 VNNI, expanded to a {@code vpblendvb} byte mask on AVX2 since session 13:
     * {@code lut5_4x2c16} below 16 pixels, {@code lut5_4x16c2} from there). More values (up to 256, 8-bit indices) take as many bytes as dense int8
     * plus the tables: the dense kernel runs.
     */
    public static final int MAX_VALUES_5 = 32;
    /** Name suffix and symbol suffix of the AVX2 kernel that decodes in registers (few pixels). */
    static final String AVX2_SUFFIX = Layout.C8_AVX2.suffix;
    /**
     * AVX2: layers with at least this many output pixels take the panel-decoding kernel
     * ({@code lut4_4x16c2}), fewer the in-register one ({@code lut4_8x2c8}). Calibrated with
     * {@code LutGemmBenchmark.main} (Zen 4, one thread, 1280 -> 1001 at batch M, LUT / dense AVX2
     * speed): in-register 0.72 / 0.71 / 0.85 / 0.85 / 0.85 at M = 2 / 4 / 8 / 16 / 32, panels
     * 0.34 / 0.46 / 0.63 / 0.79 / 0.89: a panel decoded for one or two 4-pixel microtiles costs
     * more than it saves; at small K the in-register kernel's per-tile reduction loses instead.
     */
    static final int AVX2_PANEL_MIN_M = 16;
    /**
     * AVX-512 VNNI: layers with at least this many output pixels take {@code lut4_8x16c4}
     * (decoded panels), fewer {@code lut4_4x16c16} (one vpshufb per 64 weights in registers).
     * Same benchmark, LUT / dense VNNI: c16 1.17-1.29 / 0.89 / 0.87 / 0.86 at M = 1-2 / 4 / 8 /
     * 16, panels 0.75 / 0.65 / 0.87 / 0.76 at M = 2 / 4 / 8 / 16; at K = 96..320 the c16 kernel's
     * per-tile lane reduction makes it 0.68-0.71 at M = 49 and 196, where panels give 0.93-1.01.
     */
    static final int VNNI_PANEL_MIN_M = 8;
    /**
     * NEON: layers with at least this many output pixels take {@code lut4_4x16c4__neondot}
     * (decoded panels), fewer {@code lut4_4x16c16__neondot} (in registers). Not calibrated (no
     * Arm hardware here): VNNI's threshold, the two NEON kernels having the VNNI kernels' shapes.
     */
    static final int NEON_PANEL_MIN_M = 8;

    /** The three index layouts (one per kernel), the kernel files say why each. */
    enum Layout {
        /** Channel pairs, 8 K per lane, decoded in registers (AVX2, few pixels). */
        C8_AVX2("lut4_8x2c8__avx2", 8, 8, 2),
        /** 16-channel panels in the dense 4x16c2 order, decoded into scratch (AVX2, many pixels). */
        PANEL_AVX2("lut4_4x16c2__avx2", 4, 4, 2),
        /** 16-channel panels in the dense 8x16c4 order (AVX-512 VNNI, many pixels). */
        PANEL_VNNI("lut4_8x16c4__avx512vnni", 8, 8, 1),
        /** One channel per 128-bit lane, 16 K per lane, decoded in registers (AVX-512 VNNI, few pixels). */
        C16_VNNI("lut4_4x16c16__avx512vnni", 4, 32, 1),
        /**
         * The PANEL_VNNI indices and tables byte for byte, decoded with TBL for the dense NEON
         * DotProd 4x16c4 microkernel (AArch64, every M; constants of the NEON dense kernel).
         */
        PANEL_NEON("lut4_4x16c4__neondot", 4, 8, 1),
        /**
         * The C16_VNNI indices and tables byte for byte, decoded in registers with one
         * {@code vqtbl1q_s8} per 16 weights straight into {@code sdot} (AArch64, few pixels).
         */
        C16_NEON("lut4_4x16c16__neondot", 4, 32, 1);

        final String suffix;
        final int mr;
        final int kBlock;
        final int elementBytes;

        Layout(String suffix, int mr, int kBlock, int elementBytes) {
            this.suffix = suffix;
            this.mr = mr;
            this.kBlock = kBlock;
            this.elementBytes = elementBytes;
        }
    }

    private static final int GROUP = 16;
    private static final int BLOCK_BYTES = 20 * 1024;
    /**
     * Panel kernels: bytes of packed activations per block of pixels. Each 16-channel panel is
     * decoded once per block, so the block is larger than the dense kernel's (20 KB): L2-sized,
     * up to 512 pixels. Measured on 7x7x320x1280 (AVX2, LUT / dense): 20 KB (2 blocks) 0.85,
     * 40 KB 0.92, 80-160 KB (one block) 0.93.
     */
    private static final int PANEL_BLOCK_BYTES = 160 * 1024;
    private static final int PARAMS_BYTES = 320;
    private static final int CHANNEL_ARRAYS = 10;
    private static final int CH_COEF = 9;
    private static final FunctionDescriptor SIGNATURE = FunctionDescriptor.ofVoid(ValueLayout.JAVA_LONG,
            ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT,
            ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT);

    final String name;
    final int m;
    final int n;
    final int np;
    final long scratchBytes;
    private final MethodHandle handle;
    private final Q8GemmLayout.Split split;
    // Held so the native memory lives as long as the kernel.
    private final MemorySegment params;
    private final MemorySegment indices;
    private final MemorySegment tables;
    private final MemorySegment bits;
    private final MemorySegment channel;

    private Q8LutGemm(String name, Layout layout, Q8Gemm.Spec s, int k, int kp, int mb, ByteBuffer w,
            ByteBuffer bias, boolean shared, boolean five, boolean bind) {
        this(name, layout, s, k, kp, mb, w, bias, shared, five, bind, false);
    }

    private Q8LutGemm(String name, Layout layout, Q8Gemm.Spec s, int k, int kp, int mb, ByteBuffer w,
            ByteBuffer bias, boolean shared, boolean five, boolean bind, boolean compact) {
        this.name = name;
        // 12-byte tables in the slot form of kernels/q8_lut_compact_avx2.h (table_format 2), the
        // vpcompressb form (1) on the lut4vbmi2 kernel
        boolean slots = compact && !name.endsWith(COMPACT_SUFFIX);
        this.m = s.batches() * s.outH() * s.outW();
        this.n = s.outC();
        this.np = Q8Gemm.roundUp(n, GROUP);
        // Panel kernels split the channels between tasks, not the pixels, where there are at
        // least 4 panels and not many more pixels than channels: a pixel split decodes every
        // panel in every task (extra work ~ (tasks - 1) N K), a channel split packs every pixel
        // in every task (~ (tasks - 1) M K, at a similar cost per byte). Not measured: the 2
        // shared vCPUs gave no parallel speed-up for dense or LUT while calibrating.
        boolean channels = (layout == Layout.PANEL_AVX2 || layout == Layout.PANEL_VNNI
                || layout == Layout.PANEL_NEON) && np / GROUP >= 4
                && m <= 2L * n;
        this.split = channels ? new Q8GemmLayout.Split(m, n, layout.mr, GROUP, np / GROUP, 1 << 20, 0)
                : new Q8GemmLayout.Split(m, n, layout.mr, GROUP, np / GROUP, 8 * layout.mr, np);
        this.handle = bind ? NativeKernels.handle("whittle_" + name, SIGNATURE) : null;
        this.channel = NativeKernels.allocate(4L * CHANNEL_ARRAYS * np);
        this.params = NativeKernels.allocate(PARAMS_BYTES);
        boolean signed = !s.unsigned();
        int io = s.inputOffset();
        int wo = s.weightsOffset();
        int max = five ? MAX_VALUES_5 : MAX_VALUES;
        byte[] table = shared ? valuesOf(w, 0, n * k, max) : null;
        byte[][] t = new byte[n][];
        byte[][] idx = new byte[n][k];
        byte[] row = new byte[k];
        for (int o = 0; o < n; o++) {
            w.get(o * k, row);
            t[o] = shared ? table : valuesOf(w, o * k, k, max);
            if (compact) {
                // 12-byte tables: entries ascending by their stored byte (VNNI: w, or w - 128 for
                // uint8; AVX2: w ^ 0x80 for int8, w for uint8)
                boolean avx2 = layout == Layout.C8_AVX2 || layout == Layout.PANEL_AVX2;
                t[o] = sortedByStored(t[o], avx2 ? (s.unsigned() ? 0 : 0x80) : (s.unsigned() ? 0x80 : 0));
            }
            int[] index = new int[256];
            for (int i = 0; i < t[o].length; i++) {
                index[t[o][i] & 0xFF] = i;
            }
            for (int kk = 0; kk < k; kk++) {
                idx[o][kk] = (byte) index[row[kk] & 0xFF];
            }
        }
        int field25 = 0;
        int field26 = 0;
        boolean neon = layout == Layout.PANEL_NEON || layout == Layout.C16_NEON;
        if (layout == Layout.PANEL_VNNI || layout == Layout.C16_VNNI || neon) {
            // The dense VNNI kernel's packed bytes w_s (w, or w - 128 for uint8) as table entries,
            // and its constants: x_u = x + d, const = bias + (io - d) sum_k w_s + K c (io - d),
            // c * sum_k x_u per pixel (q8_conv2d_gemm_8x16c4__avx512vnni.cc).
            int flip = signed ? 0 : 0x80;
            int d = signed ? 128 : 0;
            int c = signed ? wo : 128 + wo;
            field25 = c;
            field26 = signed ? 0x80 : 0;
            if (neon) {
                // NEON DotProd: the same table bytes w_s, activations moved to SIGNED bytes,
                // x_s = x + d with d = -128 for uint8 (x ^ 0x80), 0 for int8; the same c
                // (q8_conv2d_gemm_4x16c4__neondot.cc, Q8Gemm's NEONDOT constants).
                d = signed ? 0 : -128;
                field26 = signed ? 0 : 0x80;
            }
            this.indices = NativeKernels.allocate((long) np * kp / 2);
            // lut5: per panel 256 more bytes of tables (entries 16..31), 2 kp bytes of bitplane
            this.tables = compact ? NativeKernels.allocate((long) COMPACT_PANEL_BYTES * (np / GROUP))
                    : NativeKernels.allocate((shared ? 256 : 16L * np) * (five ? 2 : 1));
            if (compact && slots) {
                writeCompactTablesAvx2(tables, t, n, np, flip, false);
            } else if (compact) {
                writeCompactTables(tables, t, n, np, flip);
            }
            this.bits = five ? NativeKernels.allocate((long) np * kp / 8) : null;
            for (int o = 0; o < n; o++) {
                int panel = o / GROUP;
                int lane = o % GROUP;
                long base = (long) panel * GROUP * kp / 2;
                boolean c16 = layout == Layout.C16_VNNI || layout == Layout.C16_NEON;
                for (int kk = 0; kk < k; kk++) {
                    // PANEL: block kk / 8, byte channel * 4 + kk % 4, nibble (kk / 4) % 2;
                    // C16: block kk / 32, zmm channel % 4, lane channel / 4, byte kk % 16, nibble (kk % 32) / 16
                    long at = c16 ? base + (long) (kk / 32) * 256 + 64 * (lane % 4) + 16 * (lane / 4) + kk % 16
                            : base + (long) (kk / 8) * 64 + lane * 4 + kk % 4;
                    int shift = c16 ? ((kk % 32) / 16) * 4 : ((kk / 4) % 2) * 4;
                    indices.set(ValueLayout.JAVA_BYTE, at,
                            (byte) (indices.get(ValueLayout.JAVA_BYTE, at) | ((idx[o][kk] & 15) << shift)));
                    if (five && idx[o][kk] >= 16) {
                        // the bit of the weight's byte position in its decoded zmm (8 bytes per zmm)
                        long zmm = c16 ? 2L * kp * panel + (kk / 32) * 64L + 16 * (lane % 4) + 8 * ((kk % 32) / 16)
                                : 2L * kp * panel + (kk / 8) * 16L + 8 * ((kk / 4) % 2);
                        int bit = c16 ? 16 * (lane / 4) + kk % 16 : lane * 4 + kk % 4;
                        long byteAt = zmm + bit / 8;
                        bits.set(ValueLayout.JAVA_BYTE, byteAt,
                                (byte) (bits.get(ValueLayout.JAVA_BYTE, byteAt) | (1 << (bit % 8))));
                    }
                }
                if (!compact && (!shared || o == 0)) {
                    for (int rep = 0; rep < (shared ? GROUP : 1); rep++) {
                        int ch = shared ? rep : lane;
                        // zmm ch % 4, lane ch / 4 (both layouts)
                        long tb = (shared ? 0 : (five ? 512L : 256L) * panel) + 64L * (ch % 4) + 16L * (ch / 4);
                        for (int i = 0; i < t[o].length; i++) {
                            // entries 16..31 in the second 256 bytes of the panel's tables
                            tables.set(ValueLayout.JAVA_BYTE, tb + (i >= 16 ? 256 + i - 16 : i), (byte) (t[o][i] ^ flip));
                        }
                    }
                }
                int sum = 0;
                for (int kk = 0; kk < k; kk++) {
                    sum += signed ? w.get(o * k + kk) : (w.get(o * k + kk) & 0xFF) - 128;
                }
                Q8GemmLayout.putOutputStage(channel, np, o, (io - d) * sum + k * c * (io - d)
                        + (bias != null ? bias.getInt(o * 4) : 0), s.multipliers()[o], s.shifts()[o]);
            }
        } else {
            // w_eff = w + wo = t + c for table byte t = w ^ flip (q8_gemm_lut4_8x2c8__avx2.cc)
            int flip = signed ? 0x80 : 0;
            int c = wo - (signed ? 128 : 0);
            boolean c8 = layout == Layout.C8_AVX2;
            int blocks = (k + 31) / 32;
            int pairs = (n + 1) / 2;
            // lut5 (PANEL_AVX2 only, session 13): per panel 256 more bytes of tables (entries
            // 16..31, same order), 4 bytes of bitplane per K pair (2 kp per panel)
            // lut5_4x2c16 (C8_AVX2, 1..15 pixels): pair tables of 64 bytes (entries 16..31 at 32), 8
            // bytes of bitplane per pair and 32-K block
            this.bits = five ? NativeKernels.allocate(c8 ? (long) pairs * blocks * 8 : (long) np * kp / 8) : null;
            this.indices = NativeKernels.allocate(c8 ? (long) pairs * blocks * 32 : (long) np * kp / 2);
            this.tables = compact ? NativeKernels.allocate((long) COMPACT_PANEL_BYTES * (np / GROUP))
                    : NativeKernels.allocate((c8 ? (shared ? 32 : 32L * pairs) : (shared ? 256 : 16L * np)) * (five ? 2 : 1));
            if (compact) {
                writeCompactTablesAvx2(tables, t, n, np, flip, c8);
            }
            for (int o = 0; o < n; o++) {
                if (c8) {
                    int pair = o / 2;
                    int lane = o % 2;
                    if (!compact && (!shared || o == 0)) {
                        for (int i = 0; i < t[o].length; i++) {
                            long at = i >= 16 ? 32 + i - 16 : i;
                            tables.set(ValueLayout.JAVA_BYTE, (shared ? 0 : (five ? 64L : 32L) * pair) + 16L * lane + at,
                                    (byte) (t[o][i] ^ flip));
                            if (shared) {
                                tables.set(ValueLayout.JAVA_BYTE, 16L + at, (byte) (t[o][i] ^ flip));
                            }
                        }
                    }
                    long base = ((long) pair * blocks) * 32 + 16L * lane;
                    for (int b = 0; b < blocks; b++) {
                        for (int i = 0; i < 8; i++) {
                            int word = 0;
                            for (int j = 0; j < 4; j++) {
                                int kk = 32 * b + 8 * j + i;
                                if (kk < k) {
                                    word |= (idx[o][kk] & 15) << (4 * j);
                                    if (five && idx[o][kk] >= 16) {
                                        // nibble j of word i: byte 2 i + j / 2 of the decoded wa (j even)
                                        // or wb (j odd), bit 16 lane + byte of dword j % 2
                                        int bit = 16 * lane + 2 * i + j / 2;
                                        long byteAt = ((long) pair * blocks + b) * 8 + 4L * (j % 2) + bit / 8;
                                        bits.set(ValueLayout.JAVA_BYTE, byteAt,
                                                (byte) (bits.get(ValueLayout.JAVA_BYTE, byteAt) | (1 << (bit % 8))));
                                    }
                                }
                            }
                            indices.set(ValueLayout.JAVA_SHORT_UNALIGNED, base + 32L * b + 2L * i, (short) word);
                        }
                    }
                } else {
                    int panel = o / GROUP;
                    int lane = o % GROUP;
                    long base = (long) panel * GROUP * kp / 2;
                    for (int kk = 0; kk < k; kk++) {
                        // pair kk / 2, byte (channel % 8) * 2 + kk % 2, nibble channel / 8
                        long at = base + (long) (kk / 2) * 16 + (lane % 8) * 2 + kk % 2;
                        int shift = (lane / 8) * 4;
                        indices.set(ValueLayout.JAVA_BYTE, at,
                                (byte) (indices.get(ValueLayout.JAVA_BYTE, at) | ((idx[o][kk] & 15) << shift)));
                        if (five && idx[o][kk] >= 16) {
                            // bit (lane / 8) * 16 + (lane % 8) * 2 + kk % 2 of pair kk / 2's dword: the
                            // word of the decoded y0 (lanes 0..7) or y1 (8..15)
                            int bit = (lane / 8) * 16 + (lane % 8) * 2 + kk % 2;
                            long byteAt = 2L * kp * panel + 4L * (kk / 2) + bit / 8;
                            bits.set(ValueLayout.JAVA_BYTE, byteAt,
                                    (byte) (bits.get(ValueLayout.JAVA_BYTE, byteAt) | (1 << (bit % 8))));
                        }
                    }
                    if (!compact && (!shared || o == 0)) {
                        for (int rep = 0; rep < (shared ? GROUP : 1); rep++) {
                            int ch = shared ? rep : lane;
                            // ymm (ch / 8) * 4 + ch % 4, lane (ch % 8) / 4
                            long tb = (shared ? 0 : (five ? 512L : 256L) * panel) + 32L * ((ch / 8) * 4 + ch % 4)
                                    + 16L * ((ch % 8) / 4);
                            for (int i = 0; i < t[o].length; i++) {
                                tables.set(ValueLayout.JAVA_BYTE, tb + (i >= 16 ? 256 + i - 16 : i), (byte) (t[o][i] ^ flip));
                            }
                        }
                    }
                }
                int sum = 0;
                for (int kk = 0; kk < k; kk++) {
                    sum += (signed ? w.get(o * k + kk) : w.get(o * k + kk) & 0xFF) + wo;
                }
                int t0 = (byte) (t[o][0] ^ flip);
                putChannel(CH_COEF, o, c - 256 * t0);
                Q8GemmLayout.putOutputStage(channel, np, o, io * sum + (bias != null ? bias.getInt(o * 4) : 0),
                        s.multipliers()[o], s.shifts()[o]);
            }
        }
        long rowBytes = (long) kp * layout.elementBytes;
        this.scratchBytes = switch (layout) {
            // the row block, the rows' sums, one staged row
            // (lut4_4x2c16 reads the same layout: 64 staged bytes per 32-K block and row instead)
            case C8_AVX2 -> Math.max((long) mb * kp * 2, (long) mb * 64 * ((k + 31) / 32))
                    + 4L * (mb + layout.mr) + k + 64 + 64;
            // alignment, the decoded panel, the row block, one staged row or the sums
            case PANEL_AVX2, PANEL_VNNI, C16_VNNI, PANEL_NEON, C16_NEON -> 64 + GROUP * rowBytes + mb * rowBytes + k + 64 + 4L * mb + 64;
        };
        // The dense GEMM's header (Q8Gemm, q8_gemm.h), then the LUT fields (q8_lut.h).
        Q8GemmLayout.putHeader(params, s, k, kp, np, mb, field25, field26, indices.address(), channel.address());
        params.set(ValueLayout.JAVA_LONG, 256, indices.address());
        params.set(ValueLayout.JAVA_LONG, 264, tables.address());
        params.set(ValueLayout.JAVA_INT, 272, shared ? 0 : compact ? COMPACT_PANEL_BYTES
                : layout == Layout.C8_AVX2 ? (five ? 64 : 32) : five ? 512 : 256);
        params.set(ValueLayout.JAVA_INT, 276, (k + 31) / 32);
        params.set(ValueLayout.JAVA_LONG, 280, bits == null ? 0 : bits.address());
        params.set(ValueLayout.JAVA_INT, 288, five ? 5 : 4);
        params.set(ValueLayout.JAVA_INT, 292, slots ? 2 : compact ? 1 : 0);
    }

    /** The distinct bytes of {@code w[from, from + count)}, ascending (unsigned), or null past {@code max}. */
    private static byte[] valuesOf(ByteBuffer w, int from, int count, int max) {
        boolean[] seen = new boolean[256];
        int distinct = 0;
        for (int i = from; i < from + count; i++) {
            int b = w.get(i) & 0xFF;
            if (!seen[b]) {
                seen[b] = true;
                if (++distinct > max) {
                    return null;
                }
            }
        }
        byte[] t = new byte[distinct];
        int at = 0;
        for (int b = 0; b < 256; b++) {
            if (seen[b]) {
                t[at++] = (byte) b;
            }
        }
        return t;
    }

    private void putChannel(int array, int o, int v) {
        channel.set(ValueLayout.JAVA_INT, 4L * ((long) array * np + o), v);
    }

    /** Bytes of indices and tables. */
    @Override
    public long weightBytes() {
        return indices.byteSize() + tables.byteSize() + (bits == null ? 0 : bits.byteSize());
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
     * The prepared LUT GEMM, or null where the node is outside what the kernel handles: more
     * than {@value #MAX_VALUES} values in a channel, or what {@link Q8Gemm#create} refuses
     * (sizes past int32 indexing, shifts outside [-31, 31], a padding value outside the byte
     * type, a weight offset past 255).
     */
    static Q8LutGemm create(String family, Layout layout, Q8Gemm.Spec s, ByteBuffer w, ByteBuffer bias,
            WeightStats stats) {
        return create(family, layout, s, w, bias, stats, true);
    }

    /**
     * As {@link #create(String, Layout, Q8Gemm.Spec, ByteBuffer, ByteBuffer, WeightStats)};
     * {@code bind = false} packs without looking up the kernel's symbol (the NEON kernels packed
     * on x86 for the test vectors replayed under qemu); such a GEMM cannot run.
     */
    static Q8LutGemm create(String family, Layout layout, Q8Gemm.Spec s, ByteBuffer w, ByteBuffer bias,
            WeightStats stats, boolean bind) {
        // lut5: VNNI (both layouts) and AVX2 (the panel kernel at every M, session 13)
        boolean five5 = layout == Layout.PANEL_VNNI || layout == Layout.C16_VNNI || layout == Layout.C8_AVX2
                || layout == Layout.PANEL_AVX2 || layout == Layout.PANEL_NEON || layout == Layout.C16_NEON;
        if (stats.distinctChannelMax() > (five5 ? MAX_VALUES_5 : MAX_VALUES) || !Q8GemmLayout.validGeometry(s)) {
            return null;
        }
        int k;
        int kp;
        long m;
        try {
            k = Math.multiplyExact(Math.multiplyExact(s.kh(), s.kw()), s.inC());
            kp = Q8Gemm.roundUp(k, layout.kBlock);
            m = Q8GemmLayout.pixels(s);
            Math.toIntExact(Math.multiplyExact((long) Q8Gemm.roundUp(s.outC(), GROUP), (long) Q8Gemm.roundUp(k, 32)));
            Math.toIntExact(Math.multiplyExact((long) s.outC(), (long) k));
        } catch (ArithmeticException e) {
            return null;
        }
        if (!Q8GemmLayout.validQuant(s, w, k, bias)) {
            return null;
        }
        boolean fiveAvx2 = layout == Layout.C8_AVX2 && stats.distinctChannelMax() > MAX_VALUES;
        if (layout == Layout.C8_AVX2 && (m >= AVX2_PANEL_MIN_M || (fiveAvx2 && !lut5Split(family)))) {
            // lut5 on AVX2: lut5_4x2c16 below AVX2_PANEL_MIN_M pixels, the panel kernel from there
            // (or at every M with -Dwhittle.lut.split=false; session 13)
            layout = Layout.PANEL_AVX2;
        } else if (layout == Layout.PANEL_VNNI && m < VNNI_PANEL_MIN_M) {
            layout = Layout.C16_VNNI;
        } else if (layout == Layout.PANEL_NEON && (m < NEON_PANEL_MIN_M || stats.distinctChannelMax() > MAX_VALUES)) {
            // NEON lut5 (session 13): the c16 kernel at every M (vqtbl2q_s8 on the 32-entry table)
            layout = Layout.C16_NEON;
        }
        kp = Q8Gemm.roundUp(k, layout.kBlock);
        int mr = layout.mr;
        long rowBytes = (long) kp * layout.elementBytes;
        long mb;
        if (layout == Layout.C8_AVX2 || layout == Layout.C16_VNNI || layout == Layout.C16_NEON) {
            mb = Math.max(1, BLOCK_BYTES / rowBytes) / mr * mr;
            mb = Math.max(mr, Math.min(mb, Math.min(512, Q8Gemm.roundUp((int) Math.min(m, 1 << 20), mr))));
        } else {
            // as many pixels as PANEL_BLOCK_BYTES holds (up to 512), then spread evenly over the
            // blocks that takes, so that no block is a sliver that pays a whole decode
            long most = Math.max(mr, Math.min(512, PANEL_BLOCK_BYTES / rowBytes / mr * mr));
            long blocks = (Math.min(m, 1 << 20) + most - 1) / most;
            mb = Q8Gemm.roundUp((int) ((Math.min(m, 1 << 20) + blocks - 1) / blocks), mr);
        }
        if (mb * rowBytes > (1L << 30)) {
            return null;
        }
        ByteBuffer weights = w.duplicate().order(w.order());
        int n = s.outC();
        // 4-bit indices where every channel has at most 16 values (one table for the layer where
        // the whole layer has), else 5-bit ones (VNNI) where at most 32
        boolean five = stats.distinctChannelMax() > MAX_VALUES;
        int max = five ? MAX_VALUES_5 : MAX_VALUES;
        boolean shared = stats.distinctLayer() <= max;
        for (int o = 0; o < n && !shared; o++) {
            if (valuesOf(weights, o * k, k, max) == null) {
                return null;
            }
        }
        String suffix = five ? layout.suffix.replace("lut4_", "lut5_") : layout.suffix;
        boolean compact = false;
        if (layout == Layout.PANEL_VNNI && !five && !shared && bind && vbmi(family)) {
            suffix = VBMI_SUFFIX;
            compact = compact(family);
            if (compact) {
                suffix = COMPACT_SUFFIX;
            }
        }
        if ((layout == Layout.C8_AVX2 || layout == Layout.PANEL_AVX2 || layout == Layout.C16_VNNI
                || layout == Layout.PANEL_VNNI || layout == Layout.PANEL_NEON || layout == Layout.C16_NEON)
                && !five && !shared && !compact) {
            // NEON (session 10, Arm table bytes): the same slot form, rebuilt by
            // kernels/q8_lut_compact_neon.h into the VNNI-layout tables both NEON kernels read
            // the slot form (table_format 2) wherever the vpcompressb form does not run; the
            // 8x2c8 kernel's 16-byte tables come per channel pair, the 12-byte ones per 16
            // channels: taken only where they are smaller (16 n > 12 np, n >= 13 per group)
            compact = compactAvx2() && (layout != Layout.C8_AVX2
                    || 12L * Q8Gemm.roundUp(n, GROUP) < 16L * Q8Gemm.roundUp(n, 2));
        }
        if (layout == Layout.C8_AVX2 && !five && m <= AVX2_SPLIT_MAX_M && split(family)) {
            suffix = SPLIT_SUFFIX;
        } else if (layout == Layout.C8_AVX2 && five) {
            suffix = LUT5_SPLIT_SUFFIX;
        }
        return new Q8LutGemm(family + "_" + suffix, layout, s, k, kp, (int) mb, weights,
                bias == null ? null : bias.duplicate().order(ByteOrder.LITTLE_ENDIAN), shared, five, bind, compact);
    }

    // --- AVX2 small-M byte decode (issue 9, session 11) ---
    /**
     * AVX2 at few pixels: the C8_AVX2 indices and tables (same params block) decoded to weight
     * BYTES, one vpshufb per 32, multiplied by vpmaddubsw with the activations split into nibbles
     * once per call ({@code q8_gemm_lut4_4x2c16__avx2.cc}): 15 ALU ops per 64 MACs at one pixel
     * against {@code lut4_8x2c8}'s ~20.
     */
    static final String SPLIT_SUFFIX = "lut4_4x2c16__avx2";
    /**
     * Layers with at most this many output pixels take {@code lut4_4x2c16} on AVX2 instead of
     * {@code lut4_8x2c8}. {@code LutGemmBenchmark.main} with {@code -Dwhittle.bench.lutOld=true}
     * (FC 1280 -> 1001, qu8, both kernels and dense interleaved, min of 300-400, Zen 4 shared),
     * time in us new / old: batch 1 31.1-32.7 / 37.8-38.6, 2 47.5-48.1 / 48.9-49.5, 3 66.8 / 64.4,
     * 4 81.9-82.5 / 83.7-83.8, 5 108.9 / 108.2, 7 145.4 / 157.6; cold weights (64 MB read between
     * invokes, with the kernel's software prefetch) batch 1 79-95 / 121-136, 2 68 / 115, 4 97 / 115,
     * 7 165 / 208. At 8 pixels the 8x2c8 tile (8 rows per decode) is
     * the better shape. kernels/README.md, session 11.
     */
    static final long AVX2_SPLIT_MAX_M = 7;
    /** {@code -Dwhittle.lut.split=false} keeps {@code lut4_8x2c8} at few pixels: tests, comparisons. */
    static final String SPLIT_PROPERTY = "whittle.lut.split";

    /**
     * lut5 on AVX2 at fewer than {@link #AVX2_PANEL_MIN_M} pixels (session 13): the
     * {@code lut4_4x2c16} byte decode with a second {@code vpshufb} and a {@code vpblendvb} per 32
     * weights (C8_AVX2 indices, 64-byte pair tables, 8 bytes of bitplane per pair and block).
     * The panel kernel at few pixels (its first version) measured 0.18 of dense at FC batch 1.
     */
    static final String LUT5_SPLIT_SUFFIX = "lut5_4x2c16__avx2";

    /** Whether the AVX2 lut5 byte-decode kernel runs (property, library). */
    static boolean lut5Split(String family) {
        return !"false".equals(System.getProperty(SPLIT_PROPERTY))
                && NativeKernels.has("whittle_" + family + "_" + LUT5_SPLIT_SUFFIX);
    }

    /** Whether the AVX2 byte-decode kernel runs (property, library). */
    static boolean split(String family) {
        return !"false".equals(System.getProperty(SPLIT_PROPERTY))
                && NativeKernels.has("whittle_" + family + "_" + SPLIT_SUFFIX);
    }
    // --- end AVX2 small-M byte decode ---

    // --- VBMI panel decode (issue 9, session 7) ---
    /**
     * The PANEL_VNNI kernel with its per-channel tables looked up by {@code vpermi2b} (8 channels
     * per op, 2 per 64 weights against 4 {@code vpshufb}): same indices, tables and params block,
     * another symbol ({@code q8_gemm_lut4vbmi_16x16c4__avx512vnni.cc}, compiled for AVX512_VBMI).
     * Taken for 4-bit per-channel tables where the CPU has VBMI (Ice Lake, Zen 4; not Cascade
     * Lake) and the library has the symbol; shared tables (1 vpshufb already) and lut5 keep the
     * vpshufb kernel. Blocks of at most 128 pixels also skip the panel: 16-pixel tiles decode in
     * registers (q8_lut_8x16c4_avx512.h, kInRegisterMaxRows). LutGemmBenchmark.main, qu8 16
     * clusters per channel, LUT / dense VNNI, interleaved min of 150-300 on a loaded Zen 4:
     * 7x7x320x1280 0.92 -> 0.97, FC 1280 -> 1001 batch 8 / 16 / 32 0.87 / 0.75 / 0.86 -> 0.96 /
     * 0.97 / 0.97 (kernels/README.md, LUT VBMI).
     */
    static final String VBMI_SUFFIX = "lut4vbmi_16x16c4__avx512vnni";
    /**
     * {@code -Dwhittle.lut.vbmi=false} keeps the vpshufb kernel on a VBMI CPU: for tests (both
     * kernels on one machine) and comparisons.
     */
    static final String VBMI_PROPERTY = "whittle.lut.vbmi";

    /** Whether the VBMI variant of the panel kernel can run here (CPU, library, property). */
    static boolean vbmi(String family) {
        return !"false".equals(System.getProperty(VBMI_PROPERTY))
                && dev.whittle.CpuFeatures.detect().has(dev.whittle.CpuFeatures.Feature.AVX512_VBMI)
                && NativeKernels.has("whittle_" + family + "_" + VBMI_SUFFIX);
    }
    // --- end VBMI ---

    // --- 12-byte tables (issue 9, table bytes) ---
    /**
     * The VBMI kernel on 12-byte per-channel tables instead of 16 (same code and indices; params
     * {@code table_format} 1): a table's entries sorted by their stored byte, so the high nibbles
     * rise and fit a 32-bit unary code (bit {@code h_e + e} per entry e), plus 8 bytes of low
     * nibbles; expanded per panel and block of rows with {@code vpcompressb} (AVX512_VBMI2;
     * q8_lut_8x16c4_avx512.h {@code compact_table}). Any 16 sorted bytes fit, so every
     * per-channel 4-bit layer takes it where it runs. Whole clustered MobileNet v2: the tables
     * are 175 KB of the 1.95 MB; this saves 4 bytes per channel (kernels/README.md, LUT table bytes).
     */
    static final String COMPACT_SUFFIX = "lut4vbmi2_16x16c4__avx512vnni";
    /** {@code -Dwhittle.lut.compact=false} keeps 16-byte tables (the {@code lut4vbmi} kernel): tests, comparisons. */
    static final String COMPACT_PROPERTY = "whittle.lut.compact";
    /** Bytes of a 16-channel panel's 12-byte tables. */
    static final int COMPACT_PANEL_BYTES = 192;

    /** Whether the 12-byte-table variant can run here (CPU VBMI2, library, property). */
    static boolean compact(String family) {
        return !"false".equals(System.getProperty(COMPACT_PROPERTY))
                && dev.whittle.CpuFeatures.detect().has(dev.whittle.CpuFeatures.Feature.AVX512_VBMI2)
                && NativeKernels.has("whittle_" + family + "_" + COMPACT_SUFFIX);
    }

    /** {@code values} ordered by their stored byte {@code v ^ flip}, unsigned. */
    static byte[] sortedByStored(byte[] values, int flip) {
        byte[] out = new byte[values.length];
        int at = 0;
        for (int stored = 0; stored < 256; stored++) {
            for (byte v : values) {
                if (((v & 0xFF) ^ flip) == stored) {
                    out[at++] = v;
                }
            }
        }
        return out;
    }

    /**
     * Writes the 12-byte tables of {@code n} channels (padding channels up to {@code np}: all
     * entries 0), {@link #COMPACT_PANEL_BYTES} per 16-channel panel, in the layout
     * {@code compact_table} reads: bytes {@code 32 j + 8 L}: the low nibbles of channel
     * {@code 4 L + j} (byte b: entry b, entry b + 8 in the high nibble); bytes
     * {@code 128 + 16 j + 8 h}: the codes of channels {@code 8 h + j} and {@code 8 h + 4 + j}.
     * A table of fewer than 16 values repeats its last entry (indices never read those).
     */
    /**
     * The 16 entries of channel {@code o}'s table as stored bytes ({@code t ^ flip}; a table of
     * fewer than 16 values repeats its last entry, channels from {@code n} on are all 0).
     */
    private static int[] compactEntries(byte[][] t, int o, int n, int flip) {
        int[] e = new int[16];
        for (int i = 0; i < 16; i++) {
            e[i] = o < n ? (t[o][Math.min(i, t[o].length - 1)] & 0xFF) ^ flip : 0;
        }
        return e;
    }

    /** The high nibbles of ascending entries as a 32-bit unary code: bit {@code (e >> 4) + i} for entry i. */
    private static int unaryCode(int[] e) {
        int code = 0;
        for (int i = 0; i < 16; i++) {
            if (i > 0 && e[i] < e[i - 1]) {
                throw new IllegalStateException("table entries not ascending");
            }
            code |= 1 << ((e[i] >>> 4) + i);
        }
        return code;
    }

    static void writeCompactTables(MemorySegment tables, byte[][] t, int n, int np, int flip) {
        for (int o = 0; o < np; o++) {
            int[] e = compactEntries(t, o, n, flip);
            int code = unaryCode(e);
            long base = (long) (o / GROUP) * COMPACT_PANEL_BYTES;
            int c = o % GROUP;
            int j = c % 4;
            int lane = c / 4;
            for (int b = 0; b < 8; b++) {
                tables.set(ValueLayout.JAVA_BYTE, base + 32L * j + 8L * lane + b, (byte) ((e[b] & 15) | (e[b + 8] & 15) << 4));
            }
            tables.set(ValueLayout.JAVA_INT_UNALIGNED, base + 128 + 16L * j + 8L * (lane / 2) + 4L * (lane % 2), code);
        }
    }
    // --- end 12-byte tables ---

    // --- 12-byte tables on AVX2 (issue 9, table bytes, session 10) ---
    /**
     * Whether the AVX2 kernels ({@code lut4_4x16c2}, {@code lut4_8x2c8}) and the AVX-512 VNNI
     * ones other than {@code lut4vbmi2} ({@code lut4_4x16c16} at few pixels, {@code lut4_8x16c4}
     * and {@code lut4vbmi} on CPUs without VBMI2) keep 12-byte per-channel tables: unless
     * {@code -Dwhittle.lut.compact=false}. Same kernels, names and indices (params
     * {@code table_format} 2, {@code table_stride} {@value #COMPACT_PANEL_BYTES} per 16
     * channels); each 16-channel group's 16-byte tables are rebuilt on the stack per group and
     * block of pixels (kernels/q8_lut_compact_avx2.h: no vpcompressb, plain AVX2), so the AVX2
     * path (CI's Zen 3) holds the same table bytes as the VBMI2 kernel: whole clustered MobileNet
     * v2 under 55% of dense. The NEON kernels ({@code lut4_4x16c4__neondot},
     * {@code lut4_4x16c16__neondot}) take the same form (kernels/q8_lut_compact_neon.h).
     */
    static boolean compactAvx2() {
        return !"false".equals(System.getProperty(COMPACT_PROPERTY));
    }

    /** AVX2 8x2c8 slot order: slot s holds channel PAIR_SLOTS[s % 16] of its group (pairs in ymm lanes). */
    private static final int[] PAIR_SLOTS = {0, 2, 4, 6, 1, 3, 5, 7, 8, 10, 12, 14, 9, 11, 13, 15};

    /**
     * Writes the AVX2 12-byte tables of {@code n} channels (padding channels up to {@code np}:
     * all entries 0), {@link #COMPACT_PANEL_BYTES} per 16-channel group, in the layout
     * {@code q8_lut_compact_avx2.h expand} reads: 16 dword slots per array, slot s at
     * {@code 4 s} of the codes, {@code 64 + 4 s} of loA, {@code 128 + 4 s} of loB; the unary
     * code as {@link #writeCompactTables} (bit {@code (e >> 4) + i} for entry i), loA byte j:
     * the low nibbles of entries j and 8 + j, loB: of 4 + j and 12 + j. Slot s holds channel s
     * of the group (panel kernel) or {@code PAIR_SLOTS[s]} ({@code pairs}: the 8x2c8 kernel).
     * Entries are {@code t ^ flip}, ascending (a table of fewer than 16 values repeats its last
     * entry).
     */
    static void writeCompactTablesAvx2(MemorySegment tables, byte[][] t, int n, int np, int flip, boolean pairs) {
        for (int g = 0; g < np / GROUP; g++) {
            for (int slot = 0; slot < GROUP; slot++) {
                int o = g * GROUP + (pairs ? PAIR_SLOTS[slot] : slot);
                int[] e = compactEntries(t, o, n, flip);
                int code = unaryCode(e);
                int loA = 0;
                int loB = 0;
                for (int j = 0; j < 4; j++) {
                    loA |= ((e[j] & 15) | (e[8 + j] & 15) << 4) << (8 * j);
                    loB |= ((e[4 + j] & 15) | (e[12 + j] & 15) << 4) << (8 * j);
                }
                long base = (long) g * COMPACT_PANEL_BYTES + 4L * slot;
                tables.set(ValueLayout.JAVA_INT_UNALIGNED, base, code);
                tables.set(ValueLayout.JAVA_INT_UNALIGNED, base + 64, loA);
                tables.set(ValueLayout.JAVA_INT_UNALIGNED, base + 128, loB);
            }
        }
    }
    // --- end 12-byte tables on AVX2 ---

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

    /**
     * What a test replays elsewhere (the NEON vectors): the params block, then every block its
     * pointer fields point at (indices, tables, the channel block), as written at prepare.
     */
    MemorySegment[] blocks() {
        // lut5: the bitplane too (the replay relocates every pointer field into any block)
        return bits == null ? new MemorySegment[] {params, indices, tables, channel}
                : new MemorySegment[] {params, indices, tables, channel, bits};
    }

    @Override
    public Q8GemmLayout.Split split() {
        return split;
    }

    @Override
    public void runRange(long input, long output, long scratch, int m0, int m1, int n0, int n1) {
        Q8GemmLayout.call(handle, name, params.address(), input, output, scratch, m0, m1, n0, n1);
    }

    /** The registry factory of {@link KernelRegistry#CONV2D_LUT} on AVX2. */
    static WeightFormatConvFactory convFactory(Layout layout) {
        return (dense, p, filter, bias, stats) -> {
            Kernel<ConvParams> reference = Q8Gemm.convReference(dense);
            if (reference == null || p.groups() != 1 || p.filterInC() != p.inC() || (p.bias() >= 0 && bias == null)) {
                return null;
            }
            Q8Gemm.Spec spec = Q8Gemm.Spec.ofConv(dense, p);
            Q8LutGemm g = create(dense.name(), layout, spec, filter, p.bias() >= 0 ? bias : null, stats);
            return g == null ? null : new Conv(g, reference);
        };
    }

    /** The registry factory of {@link KernelRegistry#FULLY_CONNECTED_LUT} on AVX2. */
    static WeightFormatFcFactory fcFactory(Layout layout) {
        return (dense, p, weights, bias, stats) -> {
            Kernel<QuantParams> reference = Q8Gemm.fullyConnectedReference(dense);
            if (reference == null || p.biasIs64() || (p.bias() >= 0 && bias == null)) {
                return null;
            }
            Q8Gemm.Spec spec = Q8Gemm.Spec.ofFullyConnected(dense, p);
            Q8LutGemm g = create(dense.name(), layout, spec, weights, p.bias() >= 0 ? bias : null, stats);
            return g == null ? null : new FullyConnected(g, reference);
        };
    }

    /** CONV_2D on LUT-coded weights; the reference kernel where tensors are not in native memory. */
    static final class Conv extends NativeGemmKernel<ConvParams> {
        private Conv(Q8LutGemm gemm, Kernel<ConvParams> reference) {
            super(gemm, reference, ConvParams::input, ConvParams::output);
        }
    }

    /** FULLY_CONNECTED on LUT-coded weights; the reference kernel where tensors are not in native memory. */
    static final class FullyConnected extends NativeGemmKernel<QuantParams> {
        private FullyConnected(Q8LutGemm gemm, Kernel<QuantParams> reference) {
            super(gemm, reference, QuantParams::input, QuantParams::output);
        }
    }
}
