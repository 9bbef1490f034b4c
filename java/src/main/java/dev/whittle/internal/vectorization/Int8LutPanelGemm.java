package dev.whittle.internal.vectorization;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;

/**
 * One int8/uint8 GEMM node whose weights are clustered beyond what {@link Int8LutGemm}'s one
 * 16-entry layer table covers, packed for the Java path's panel LUT kernels (issue 9, session 14):
 * <ul>
 *   <li>{@code lut4pc}: at most 16 values per output channel (4-bit indices, one 16-entry table
 *       per channel: {@code cluster --per-channel});</li>
 *   <li>{@code lut5}: 17 to 32 values in the layer (5-bit indices, one 32-entry table);</li>
 *   <li>{@code lut5pc}: 17 to 32 values per channel (5-bit indices, one 32-entry table per channel).</li>
 * </ul>
 * With one table per int lane the outer product's lookup would be a gather, so these kernels
 * decode one tile of {@code nr} channels at a time into a small per-worker panel in the dense
 * kernel's {@code [K][nr]} byte layout and run the dense outer product on it
 * ({@link PanamaInt8LutPanelKernels}); the dense weights never exist in full. The per-channel
 * constants and the output stage are the dense kernel's ({@link Int8Gemm}), so the results are
 * the same integers.
 *
 * <p>Index layout, per tile of {@code nr} channels: {@code ceil(K / 2)} rows of {@code nr} bytes,
 * byte {@code j} of row {@code p} holding the low 4 bits of channel {@code j}'s index at
 * {@code k = 2p} (low nibble) and {@code 2p + 1} (high nibble), as {@link Int8LutGemm}; for
 * 5-bit indices then {@code ceil(K / 8)} rows of {@code nr} bytes, bit {@code k % 8} of byte
 * {@code j} of row {@code k / 8} holding bit 4 of the index (a bit plane: 5 bits per weight in
 * all). The last tile's rows are only as wide as its channels (no padding channels
 * stored; its panel's padding lanes are left as they are and never written out). Tables:
 * {@code entries} signed bytes ({@code w}, or {@code w - 128} for uint8) per channel or one for
 * the layer, stored transposed per tile ({@code [entries][nr]}: entry {@code e} of the tile's
 * channels is one vector; one such block, every lane the same, for a layer table).
 */
public final class Int8LutPanelGemm {
    /** Distinct values per channel (per-channel tables) or per layer the 5-bit format takes. */
    public static final int MAX_VALUES = 32;

    private static final class Panama {
        static final MethodHandle NEW = lookup();

        private static MethodHandle lookup() {
            try {
                Class<?> c = Class.forName(Int8LutPanelGemm.class.getPackageName() + ".PanamaInt8LutPanelKernels");
                return MethodHandles.privateLookupIn(c, MethodHandles.lookup()).findConstructor(c,
                        MethodType.methodType(void.class, Int8LutPanelGemm.class, int.class));
            } catch (ReflectiveOperationException e) {
                throw new IllegalStateException(e);
            }
        }
    }

    final int k;
    final int nr;
    final int tiles;
    /** 16 or 32. */
    final int entries;
    /** Bytes between two tiles' tables: {@code entries * nr}, or 0 for one layer table. */
    final int tableStride;
    final byte[] lo;
    /** The bit plane of 5-bit indices, or null. */
    final byte[] hi;
    final byte[] tables;
    /**
     * Whether a tile's per-channel tables are channel-major ({@code [nr][entries]}: 8 channels'
     * 16-entry tables are two 64-byte vectors, for the VBMI decode of {@link PanamaInt8LutPanelKernels})
     * rather than transposed ({@code [entries][nr]}).
     */
    final boolean channelMajor;
    final int loRows;
    final int hiRows;
    private final String variant;
    private final Int8Gemm gemm;
    private Int8GemmKernels kernels;

    private Int8LutPanelGemm(int k, int nr, int tiles, int entries, int tableStride, byte[] lo, byte[] hi,
            byte[] tables, boolean channelMajor, String variant, Int8Gemm gemm) {
        this.channelMajor = channelMajor;
        this.k = k;
        this.nr = nr;
        this.tiles = tiles;
        this.entries = entries;
        this.tableStride = tableStride;
        this.lo = lo;
        this.hi = hi;
        this.tables = tables;
        this.loRows = (k + 1) / 2;
        this.hiRows = (k + 7) / 8;
        this.variant = variant;
        this.gemm = gemm;
    }

    /**
     * Packs one node, or returns null where a channel has more than {@value #MAX_VALUES} values,
     * the layer has at most 16 (the {@link Int8LutGemm} format), or {@link Int8Gemm#pack} would
     * refuse the node. Arguments as {@link Int8Gemm#pack}.
     *
     * @param rowsPerBlock the most rows one {@code runBlock} call gets (row sums scratch)
     */
    public static Int8LutPanelGemm pack(VectorizationProvider provider, byte[] weights, int k, int n,
            boolean unsigned, int[] bias, int inputOffset, int weightsOffset, int outputOffset, int[] multipliers,
            int[] shifts, int actMin, int actMax, boolean ruy, int rowsPerBlock) {
        int nr = provider.vectorized() ? provider.int8Gemm().nr() : ScalarInt8LutPanelKernels.NR;
        int flip = unsigned ? 0x80 : 0;
        // distinct values: per layer, and the most in one channel
        boolean[] layerSeen = new boolean[256];
        int layerValues = 0;
        int channelMax = 0;
        for (int c = 0; c < n; c++) {
            boolean[] seen = new boolean[256];
            int values = 0;
            for (int i = 0; i < k; i++) {
                int w = (weights[c * k + i] ^ flip) & 0xFF;
                if (!seen[w]) {
                    seen[w] = true;
                    values++;
                }
                if (!layerSeen[w]) {
                    layerSeen[w] = true;
                    layerValues++;
                }
            }
            channelMax = Math.max(channelMax, values);
        }
        if (layerValues <= 16 || channelMax > MAX_VALUES) {
            return null;
        }
        boolean perLayer = layerValues <= MAX_VALUES;
        int entries = perLayer || channelMax > 16 ? 32 : 16;
        String variant = entries == 16 ? "lut4pc" : perLayer ? "lut5" : "lut5pc";
        Int8Gemm g = Int8Gemm.constantsOnly(nr, weights, k, n, unsigned, bias, inputOffset, weightsOffset,
                outputOffset, multipliers, shifts, actMin, actMax, ruy);
        if (g == null) {
            return null;
        }
        int tiles = g.tiles;
        // the last tile only as wide as its channels (no padding channels stored)
        long loBytes = (long) ((k + 1) / 2) * n;
        long hiBytes = entries == 32 ? (long) ((k + 7) / 8) * n : 0;
        if (loBytes + hiBytes > Integer.MAX_VALUE - 256 || (long) k * nr > Integer.MAX_VALUE / 4
                || (long) tiles * nr * entries > Integer.MAX_VALUE - 64) {
            return null;
        }
        int tableStride = perLayer ? 0 : entries * nr;
        // AVX-512 with VBMI (vpermi2b): lut4pc decodes 8 channels per two-vector selectFrom
        boolean channelMajor = !perLayer && entries == 16 && provider.vectorized() && nr == 32
                && dev.whittle.CpuFeatures.detect().has(dev.whittle.CpuFeatures.Feature.AVX512_VBMI)
                && !Boolean.getBoolean("whittle.lut.javaTree");
        int eStride = channelMajor ? 1 : nr;
        int jStride = channelMajor ? entries : 1;
        byte[] tables = new byte[perLayer ? entries * nr : tiles * nr * entries];
        // slack of 2 * nr bytes: a vector decode loads nr (VBMI: 2 * nr) bytes of the last tile's narrower rows
        byte[] lo = new byte[(int) loBytes + 2 * nr];
        byte[] hi = hiBytes == 0 ? null : new byte[(int) hiBytes + nr];
        int[] layerSlot = new int[256];
        if (perLayer) {
            int e = 0;
            for (int v = 0; v < 256; v++) {
                if (layerSeen[v]) {
                    layerSlot[v] = e;
                    java.util.Arrays.fill(tables, e * nr, e * nr + nr, (byte) v);
                    e++;
                }
            }
        }
        int loRows = (k + 1) / 2;
        int hiRows = (k + 7) / 8;
        int[] slot = new int[256];
        for (int c = 0; c < n; c++) {
            int t = c / nr;
            int j = c % nr;
            int width = Math.min(nr, n - t * nr);
            if (!perLayer) {
                java.util.Arrays.fill(slot, -1);
                int e = 0;
                for (int i = 0; i < k; i++) {
                    int w = (weights[c * k + i] ^ flip) & 0xFF;
                    if (slot[w] < 0) {
                        slot[w] = e;
                        tables[t * tableStride + e++ * eStride + j * jStride] = (byte) w;
                    }
                }
            }
            int[] s = perLayer ? layerSlot : slot;
            for (int i = 0; i < k; i++) {
                int index = s[(weights[c * k + i] ^ flip) & 0xFF];
                lo[t * loRows * nr + (i >> 1) * width + j] |= (byte) ((index & 15) << ((i & 1) * 4));
                if (hi != null) {
                    hi[t * hiRows * nr + (i >> 3) * width + j] |= (byte) (((index >> 4) & 1) << (i & 7));
                }
            }
        }
        Int8LutPanelGemm p = new Int8LutPanelGemm(k, nr, tiles, entries, tableStride, lo, hi, tables, channelMajor, variant, g);
        if (provider.vectorized()) {
            try {
                p.kernels = (Int8GemmKernels) Panama.NEW.invoke(p, rowsPerBlock);
            } catch (Throwable e) {
                throw new IllegalStateException(e);
            }
        } else {
            p.kernels = new ScalarInt8LutPanelKernels(p);
        }
        return p;
    }

    /** The weight of channel {@code c} at {@code i} (signed), for the plain twin. */
    int weight(int c, int i) {
        int t = c / nr;
        int j = c % nr;
        int width = Math.min(nr, gemm.n - t * nr);
        int index = (lo[t * loRows * nr + (i >> 1) * width + j] >> ((i & 1) * 4)) & 15;
        if (hi != null) {
            index |= ((hi[t * hiRows * nr + (i >> 3) * width + j] >> (i & 7)) & 1) << 4;
        }
        return channelMajor ? tables[t * tableStride + j * entries + index]
                : tables[t * tableStride + index * nr + j];
    }

    /** The kernel-name variant: {@code lut4pc}, {@code lut5} or {@code lut5pc}. */
    public String variant() {
        return variant;
    }

    /** The per-channel constants and output stage (no dense weights). */
    public Int8Gemm gemm() {
        return gemm;
    }

    /** The micro-kernel bound to this node's indices and tables. */
    public Int8GemmKernels kernels() {
        return kernels;
    }

    /** Bytes of indices (and bit plane) and tables. */
    public long packedBytes() {
        return (long) lo.length + (hi == null ? 0 : hi.length) + tables.length;
    }
}
