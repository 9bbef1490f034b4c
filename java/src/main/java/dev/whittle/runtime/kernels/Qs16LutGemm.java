package dev.whittle.runtime.kernels;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * 16x8 CONV_2D and FULLY_CONNECTED on LUT-coded clustered int8 weights (issue 9, "and 16x8"):
 * {@code qs16_qc8w_conv2d_lut4_4x16c2__avx2}, {@code qs16_qc8w_fully_connected_lut4_4x16c2__avx2}
 * ({@code kernels/qs16_qc8w_gemm_lut4_4x16c2__avx2.cc}, params {@code whittle/qs16_lut.h}).
 *
 * <p>Layers whose output channels hold at most 16 distinct weight values keep 4-bit indices and a
 * 16-entry byte table per channel (one for the layer when it has at most 16 values in all); the
 * kernel decodes one 16-channel panel at a time into the worker's scratch in the dense qs16 panel
 * layout and runs the dense 4x16c2 microkernel over a block of pixels, so the sums (int32 for at
 * most 255 pairs, then int64), the int64 bias and the output stages are the dense kernel's
 * ({@link Qs16Gemm}): bit-exact with the reference. The parameter block is
 * {@code whittle_qs16_gemm_params} as {@link Qs16Gemm} writes it (weights unused, n_padded a
 * multiple of 16) followed by the LUT fields.
 */
final class Qs16LutGemm extends Qs16NativeFormatGemm {
    static final String SUFFIX = "lut4_4x16c2__avx2";
    private static final int MR = 4;
    private static final int NR = 16;
    private static final long HEADER = 320;
    /** Table block per panel: 8 x 32 table bytes, 16 int32 decode corrections. */
    private static final int TABLE_STRIDE = 320;
    /** Gathered rows per block: the block's rows stay in L2 while every panel walks them. */
    private static final long BLOCK_BYTES = 128 * 1024;
    private static final int MAX_MB = 512;
    /**
     * auto ({@code -Dwhittle.weights=auto}): the LUT kernels only from this many output pixels on,
     * and only where the dense 16x8 kernel would run on AVX2 (not AVX-512 VNNI). Calibrated with
     * {@code Qs16WeightFormatCompare.main} (Zen 4, one thread, dense and LUT layers of the same 16
     * clusters per channel invoked alternately, min of 150, shared machine): LUT / dense AVX2 speed
     * 0.95-0.99 at 49..12544 pixels with K >= 32 (112x112x8x16 0.95, 56x56x32x32 0.98, 28x28x64x64
     * 0.99, 14x14x128x128 0.98, 7x7x256x256 0.96), 0.74 at 3x3 stride 2 over 3 channels (K = 27:
     * the panel is decoded per 512-pixel block and the tile is small), 0.43-0.57 at one pixel
     * (0.66-0.69 before the dense tile stopped repeating the last row)
     * (FC 256 / 1280 -> 1001 batch 1, the logits 1x1 conv; weights hot in L2, so the 4x smaller
     * weights save nothing while the decode, ~21 ops per 32 weights, is paid for one pixel) and at
     * batch 4; against the dense AVX-512 VNNI kernel 0.70-0.75 at 784..12544 pixels. So auto
     * takes it where it is at parity (AVX2-only machines, many pixels, K >= 64 by
     * WeightKernels.AUTO_LUT_PANEL_MIN_K) for the memory; {@code --kernels lut} everywhere.
     */
    static final long AUTO_MIN_M = 784;
    /** Below this many multiply-adds a node runs as one task. */
    private static final long MIN_TASK_MACS = 1L << 17;

    final MemorySegment codes;
    final long m;
    final long k;
    final long kp;
    final int nPadded;
    final int panels;
    final int mb;
    final boolean direct;
    final long packedBytes;

    private Qs16LutGemm(String op, Qs16FormatNode node, ByteBuffer weights, byte[][] tables, boolean shared) {
        super("qs16_qc8w_" + op + "_" + SUFFIX, node.reference(),
                node.paramsBlock(HEADER, NR, Qs16Gemm.roundUp(node.n(), NR)));
        int outC = node.n();
        this.k = node.k();
        this.kp = node.kp();
        this.nPadded = Qs16Gemm.roundUp(outC, NR);
        this.panels = nPadded / NR;
        this.m = node.m();
        this.direct = node.direct();
        this.mb = (int) Math.max(MR, Math.min(MAX_MB, BLOCK_BYTES / (kp * 2) / MR * MR));
        // Codes: indices (panels x kp / 2 pairs x 16 bytes), then the table blocks.
        long indexBytes = (long) panels * 8 * kp;
        long tableBytes = (long) TABLE_STRIDE * (shared ? 1 : panels);
        this.codes = NativeKernels.allocate(indexBytes + tableBytes);
        this.packedBytes = indexBytes + tableBytes;
        ByteBuffer w = weights.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        for (int p0 = 0; p0 < panels; p0++) {
            long at = (long) p0 * 8 * kp;
            for (long j = 0; j < kp / 2; j++) {
                for (int e = 0; e < 16; e++) {
                    int lo = index(w, tables, p0 * NR + e / 2, 2 * j + (e & 1), outC);
                    int hi = index(w, tables, p0 * NR + 8 + e / 2, 2 * j + (e & 1), outC);
                    codes.set(ValueLayout.JAVA_BYTE, at + j * 16 + e, (byte) (lo | hi << 4));
                }
            }
            if (!shared || p0 == 0) {
                writeTables(codes, indexBytes + (long) p0 * TABLE_STRIDE, tables, p0 * NR, outC);
            }
        }
        block.set(JAVA_LONG, 240, codes.address());
        block.set(JAVA_LONG, 248, codes.address() + indexBytes);
        block.set(JAVA_LONG, 256, shared ? 0 : TABLE_STRIDE);
        block.set(JAVA_LONG, 264, mb);
    }

    /** The 4-bit index of weight (c, kk), 0 past the channels or K (those weights are never used). */
    private static int index(ByteBuffer w, byte[][] tables, int c, long kk, int outC) {
        if (c >= outC || kk >= k(w, outC)) {
            return 0;
        }
        byte v = w.get((int) (c * k(w, outC) + kk));
        byte[] t = tables[c];
        for (int i = 0; i < t.length; i++) {
            if (t[i] == v) {
                return i;
            }
        }
        throw new IllegalStateException("weight " + v + " not in the table of channel " + c);
    }

    private static long k(ByteBuffer w, int outC) {
        return w.limit() / outC;
    }

    /**
     * Table block of the panel starting at channel {@code c0}: ymm j (0..3) holds in lane L the
     * entries {@code w ^ 0x80} of channel {@code c0 + 4L + j}, ymm 4 + j those of channel
     * {@code c0 + 8 + 4L + j}; then per channel the int32 correction {@code -128 - 256 t[0]} (mod
     * 2^16) in both halves (the kernel's decode leaves {@code t[idx] + 256 t[0]} in each word).
     */
    private static void writeTables(MemorySegment seg, long at, byte[][] tables, int c0, int outC) {
        for (int ch = 0; ch < NR; ch++) {
            int c = c0 + ch;
            byte[] t = tables[Math.min(c, outC - 1)]; // padding channels: any table (never stored)
            int half = ch / 8;
            int lane = (ch % 8) / 4;
            int j = ch % 4;
            long tableAt = at + (half * 4L + j) * 32 + lane * 16L;
            for (int e = 0; e < 16; e++) {
                int v = e < t.length ? t[e] : t[0];
                seg.set(ValueLayout.JAVA_BYTE, tableAt + e, (byte) (v ^ 0x80));
            }
            int t0 = (t[0] ^ 0x80) & 0xFF;
            int corr = (-128 - 256 * t0) & 0xFFFF;
            seg.set(ValueLayout.JAVA_INT, at + 256 + ch * 4L, corr | corr << 16);
        }
    }

    /**
     * The distinct values of each of the {@code n} rows of {@code [n][k]} int8 weights, or null
     * when a row has more than 16. With {@code shared}, every row gets the layer's table (null if
     * the layer has more than 16 values).
     */
    static byte[][] tables(ByteBuffer weights, int n, int k, boolean shared) {
        byte[][] out = new byte[n][];
        boolean[] seen = new boolean[256];
        byte[] layer = new byte[16];
        int layerCount = 0;
        for (int c = 0; c < n; c++) {
            boolean[] mine = new boolean[256];
            byte[] t = new byte[16];
            int count = 0;
            for (int i = 0; i < k; i++) {
                byte v = weights.get(c * k + i);
                if (!mine[v & 0xFF]) {
                    if (count == 16) {
                        return null;
                    }
                    mine[v & 0xFF] = true;
                    t[count++] = v;
                }
                if (shared && !seen[v & 0xFF]) {
                    if (layerCount == 16) {
                        return null;
                    }
                    seen[v & 0xFF] = true;
                    layer[layerCount++] = v;
                }
            }
            out[c] = java.util.Arrays.copyOf(t, Math.max(1, count));
        }
        if (shared) {
            byte[] t = java.util.Arrays.copyOf(layer, Math.max(1, layerCount));
            java.util.Arrays.fill(out, t);
        }
        return out;
    }

    /** auto's veto (see {@link #AUTO_MIN_M}): too few pixels, or a VNNI dense kernel in reach. */
    private static boolean autoDeclines(long m, KernelFamily<?> dense) {
        if (WeightFormat.current() != WeightFormat.AUTO) {
            return false;
        }
        return m < AUTO_MIN_M || denseOnVnni(dense);
    }

    private static Qs16LutGemm of(String op, Qs16FormatNode node, ByteBuffer weights, WeightStats stats,
            KernelFamily<?> dense) {
        int n = node.n();
        int k = node.k();
        if (autoDeclines(node.m(), dense)) {
            return null;
        }
        if (stats.distinctChannelMax() > 16 || (long) n * k > Integer.MAX_VALUE || k <= 0) {
            return null;
        }
        ByteBuffer w = weights.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        w.position(0).limit(n * k);
        boolean shared = stats.distinctLayer() <= 16;
        byte[][] t = tables(w, n, k, shared);
        if (t == null) {
            return null;
        }
        return new Qs16LutGemm(op, node, w.slice().order(ByteOrder.LITTLE_ENDIAN), t, shared);
    }

    @Override
    long workerScratchBytes() {
        return 64 + 32 * kp + 8L * mb + (direct ? 0 : 2L * mb * kp);
    }

    /** Splits: rows (in MR tiles) and 16-channel panels; each task decodes its panels once per row block. */
    long panelSplits(int threads) {
        if (threads <= 1 || m * nPadded * k < MIN_TASK_MACS * 2) {
            return 1;
        }
        return Math.min(panels, 2L * threads);
    }

    long rowSplits(int threads) {
        if (threads <= 1 || m * nPadded * k < MIN_TASK_MACS * 2) {
            return 1;
        }
        long tiles = (m + MR - 1) / MR;
        long want = 2L * threads;
        return Math.min(tiles, (want + panelSplits(threads) - 1) / panelSplits(threads));
    }

    @Override
    long packedWeightBytes() {
        return packedBytes;
    }

    @Override
    int tasks(int threads) {
        return (int) (rowSplits(threads) * panelSplits(threads));
    }

    @Override
    void run(long input, long output, long scratch, int task, int threads) {
        long tiles = (m + MR - 1) / MR;
        long mSplit = rowSplits(threads);
        long nSplit = panelSplits(threads);
        long tm = task / nSplit;
        long tn = task % nSplit;
        call(input, output, scratch, Math.min(m, tiles * tm / mSplit * MR), Math.min(m, tiles * (tm + 1) / mSplit * MR),
                (long) panels * tn / nSplit * NR, (long) panels * (tn + 1) / nSplit * NR);
    }

    /** The CONV_2D factory of the {@code CONV2D_LUT} family: 16x8 nodes only (checks: {@link Qs16FormatNode#conv}). */
    static WeightFormatConvFactory convFactory() {
        return (dense, p, filter, bias, stats) -> {
            Qs16FormatNode node = Qs16FormatNode.conv(dense, p, bias);
            Qs16LutGemm g = node == null ? null : of("conv2d", node, filter, stats, dense);
            return g == null ? null : g.conv();
        };
    }

    /** The FULLY_CONNECTED factory of the {@code FULLY_CONNECTED_LUT} family: 16x8 nodes only. */
    static WeightFormatFcFactory fcFactory() {
        return (dense, p, weights, bias, stats) -> {
            Qs16FormatNode node = Qs16FormatNode.fc(dense, p, bias);
            Qs16LutGemm g = node == null ? null : of("fully_connected", node, weights, stats, dense);
            return g == null ? null : g.fc();
        };
    }
}
