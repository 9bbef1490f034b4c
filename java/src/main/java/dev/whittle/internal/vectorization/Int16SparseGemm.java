package dev.whittle.internal.vectorization;

import dev.whittle.runtime.kernels.reference.RuyMath;
import dev.whittle.runtime.quant.CppMath;
import dev.whittle.runtime.quant.FixedPoint;

import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;

/**
 * One 16x8 GEMM node (int16 activations, int8 weights, every zero point 0) with pruned weights
 * packed for the Java path's weight-format micro-kernels: {@code sparse} (per output channel its
 * non-zero weights, any pattern: an int K index and the weight byte, 5 bytes per non-zero) and
 * {@code sp24} (2:4 layers, {@link #pack24}: per group of 4 K the two kept weight bytes and a
 * byte of their positions, 3 bytes per 4 K: 0.75 of dense int8) and {@code lut4} ({@link #packLut}:
 * clustered layers, 4-bit indices into a 16-byte table per channel, K / 2 + 16 bytes per channel).
 * The output stages are
 * {@link Int16Gemm}'s (CONV_2D's int64 {@code MultiplyByQuantizedMultiplier}, FULLY_CONNECTED's
 * ruy and double stages) on the exact int64 sum, so the outputs are the reference's integers.
 *
 * <p>The Vector API kernel ({@code PanamaInt16SparseKernels}) puts output pixels in the int lanes
 * (the int8 Java sparse kernel's SpMM on a transposed block); the plain twin
 * ({@link ScalarInt16SparseKernels}) walks rows and channels with long sums. Sums: a product is at
 * most {@code 2^22}, so the vector kernel adds at most {@value #FLUSH} products in int32 lanes
 * ({@code 256 * 2^22 = 2^30}) before widening them into int64 sums.
 */
public final class Int16SparseGemm {
    /** Products summed in int32 lanes before they are widened (256 * 2^22 = 2^30 < 2^31). */
    static final int FLUSH = 256;

    private static final class Panama {
        static final MethodHandle NEW = lookup();

        private static MethodHandle lookup() {
            try {
                Class<?> c = Class.forName(Int16SparseGemm.class.getPackageName() + ".PanamaInt16SparseKernels");
                return MethodHandles.privateLookupIn(c, MethodHandles.lookup()).findConstructor(c,
                        MethodType.methodType(void.class, Int16SparseGemm.class));
            } catch (ReflectiveOperationException e) {
                throw new IllegalStateException(e);
            }
        }
    }

    /** A micro-kernel over one block of rows (pixels) and a range of channels. */
    public interface Kernels {
        /** Pixels per vector (1 for the twin): the kernel name's tile. */
        int lanes();

        /** Bytes of {@code tmp} scratch. */
        long tmpBytes();

        /**
         * Rows {@code [0, rows)} of int16 activations at native address {@code a} (stride
         * {@code 2K} bytes) times channels {@code [c0, c1)}: writes output row {@code r}'s channel
         * {@code c} at {@code out + 2 (r N + c)}.
         */
        void runBlock(int rows, MemorySegment mem, long a, int c0, int c1, long out, long tmp);
    }

    final int k;
    final int n;
    final int maxRows;
    final int stage;
    /** sparse: per channel the prefix count of non-zeros, their K indices and weights. */
    final int[] start;
    final int[] index;
    final byte[] value;
    /** sp24: per channel and group of 4 K, {@code p0 | p1 << 2}; {@code value} holds 2 weights per group. */
    final byte[] positions;
    /** lut4: per channel {@code ceil(K / 2)} bytes of 4-bit indices (k even in the low nibble) and a 16-byte table. */
    final byte[] indices;
    final byte[] tables;
    final long[] bias;
    final int[] multipliers;
    final int[] shifts;
    final double[] scales;
    final long[] reduced;
    final long[] rounding;
    final long[] totalShifts;
    final long[] signOffsets;
    final int actMin;
    final int actMax;
    private Kernels kernels;

    private Int16SparseGemm(int k, int n, int maxRows, int stage, int[] start, int[] index, byte[] value,
            byte[] positions, long[] bias, int[] multipliers, int[] shifts, double[] scales, int actMin, int actMax) {
        this(k, n, maxRows, stage, start, index, value, positions, null, null, bias, multipliers, shifts, scales, actMin,
                actMax);
    }

    private Int16SparseGemm(int k, int n, int maxRows, int stage, int[] start, int[] index, byte[] value,
            byte[] positions, byte[] indices, byte[] tables, long[] bias, int[] multipliers, int[] shifts,
            double[] scales, int actMin, int actMax) {
        this.indices = indices;
        this.tables = tables;
        this.k = k;
        this.n = n;
        this.maxRows = maxRows;
        this.stage = stage;
        this.start = start;
        this.index = index;
        this.value = value;
        this.positions = positions;
        this.bias = bias == null ? new long[n] : bias.clone();
        this.multipliers = multipliers;
        this.shifts = shifts;
        this.scales = scales;
        this.reduced = new long[n];
        this.rounding = new long[n];
        this.totalShifts = new long[n];
        this.signOffsets = new long[n];
        if (stage == Int16Gemm.STAGE_INT64) {
            Int16Stage.fill(multipliers, shifts, n, reduced, rounding, totalShifts, signOffsets);
        }
        this.actMin = actMin;
        this.actMax = actMax;
    }

    private static boolean valid(int k, int n, int stage, int[] multipliers, int[] shifts) {
        return k > 0 && n > 0 && (stage != Int16Gemm.STAGE_INT64 || Int16Stage.accepts(multipliers, shifts, n));
    }

    /**
     * The sparse packing of {@code [N][K]} weights, or null (a multiplier or shift the reference
     * rejects). {@code maxRows}: the most rows a block passes. Stage arguments as {@link Int16Gemm#pack}.
     */
    public static Int16SparseGemm pack(VectorizationProvider provider, byte[] w, int k, int n, int maxRows,
            long[] bias, int stage, int[] multipliers, int[] shifts, double[] scales, int actMin, int actMax) {
        if (!valid(k, n, stage, multipliers, shifts)) {
            return null;
        }
        int[] start = new int[n + 1];
        int nz = 0;
        for (int c = 0; c < n; c++) {
            for (int i = 0; i < k; i++) {
                nz += w[c * k + i] != 0 ? 1 : 0;
            }
            start[c + 1] = nz;
        }
        int[] index = new int[nz];
        byte[] value = new byte[nz];
        int j = 0;
        for (int c = 0; c < n; c++) {
            for (int i = 0; i < k; i++) {
                if (w[c * k + i] != 0) {
                    index[j] = i;
                    value[j++] = w[c * k + i];
                }
            }
        }
        return new Int16SparseGemm(k, n, maxRows, stage, start, index, value, null, bias, multipliers, shifts, scales,
                actMin, actMax).bind(provider);
    }

    /** The 2:4 packing, or null when {@code K % 4 != 0} or a group of 4 keeps more than 2 non-zeros. */
    public static Int16SparseGemm pack24(VectorizationProvider provider, byte[] w, int k, int n, int maxRows,
            long[] bias, int stage, int[] multipliers, int[] shifts, double[] scales, int actMin, int actMax) {
        if (!valid(k, n, stage, multipliers, shifts) || k % 4 != 0) {
            return null;
        }
        int groups = k / 4;
        byte[] value = new byte[2 * n * groups];
        byte[] positions = new byte[n * groups];
        for (int c = 0; c < n; c++) {
            for (int g = 0; g < groups; g++) {
                int[] p = {-1, -1};
                int count = 0;
                for (int q = 0; q < 4; q++) {
                    if (w[c * k + 4 * g + q] != 0) {
                        if (count == 2) {
                            return null;
                        }
                        p[count++] = q;
                    }
                }
                // Unused slots point at a position whose weight is stored as 0.
                int p0 = p[0] < 0 ? 0 : p[0];
                int p1 = p[1] < 0 ? (p0 == 3 ? 2 : 3) : p[1];
                int v = 2 * (c * groups + g);
                value[v] = w[c * k + 4 * g + p0];
                value[v + 1] = w[c * k + 4 * g + p1];
                positions[c * groups + g] = (byte) (p0 | p1 << 2);
            }
        }
        return new Int16SparseGemm(k, n, maxRows, stage, null, null, value, positions, bias, multipliers, shifts,
                scales, actMin, actMax).bind(provider);
    }

    /**
     * The LUT-16 packing: per channel 4-bit indices into its own table of at most 16 values (a
     * layer clustered per channel or per layer), or null when a channel has more than 16 values.
     */
    public static Int16SparseGemm packLut(VectorizationProvider provider, byte[] w, int k, int n, int maxRows,
            long[] bias, int stage, int[] multipliers, int[] shifts, double[] scales, int actMin, int actMax) {
        if (!valid(k, n, stage, multipliers, shifts)) {
            return null;
        }
        int kb = (k + 1) / 2;
        byte[] indices = new byte[n * kb];
        byte[] tables = new byte[n * 16];
        for (int c = 0; c < n; c++) {
            int[] slot = new int[256];
            java.util.Arrays.fill(slot, -1);
            int used = 0;
            for (int i = 0; i < k; i++) {
                int v = w[c * k + i] & 0xFF;
                if (slot[v] < 0) {
                    if (used == 16) {
                        return null;
                    }
                    slot[v] = used;
                    tables[c * 16 + used++] = (byte) v;
                }
                indices[c * kb + i / 2] |= (byte) (slot[v] << (4 * (i & 1)));
            }
        }
        return new Int16SparseGemm(k, n, maxRows, stage, null, null, null, null, indices, tables, bias, multipliers,
                shifts, scales, actMin, actMax).bind(provider);
    }

    /** Whether this is the LUT-16 packing. */
    public boolean lut() {
        return indices != null;
    }

    private Int16SparseGemm bind(VectorizationProvider provider) {
        if (provider.vectorized()) {
            try {
                kernels = (Kernels) Panama.NEW.invoke(this);
            } catch (Throwable t) {
                throw new IllegalStateException(t);
            }
        } else {
            kernels = new ScalarInt16SparseKernels(this);
        }
        return this;
    }

    /** This node's micro-kernel. */
    public Kernels kernels() {
        return kernels;
    }

    /** Whether this is the 2:4 packing. */
    public boolean sp24() {
        return positions != null;
    }

    /** Bytes of packed weight data (indices, values, positions). */
    public long packedBytes() {
        if (indices != null) {
            return indices.length + (long) tables.length;
        }
        return positions != null ? 3L * positions.length : 5L * value.length + 4L * (n + 1);
    }

    /** The output stage of channel {@code c} for the int64 sum {@code acc} (bias included), clamped. */
    int output(long acc, int c) {
        int v = switch (stage) {
            case Int16Gemm.STAGE_INT64 -> FixedPoint.multiplyByQuantizedMultiplier(acc, multipliers[c], shifts[c]);
            case Int16Gemm.STAGE_RUY -> RuyMath.multiplyByQuantizedMultiplier((int) acc, multipliers[c], shifts[c]);
            default -> Int16Gemm.castToInt32(CppMath.round((double) acc * scales[c]));
        };
        return Math.min(Math.max(v, actMin), actMax);
    }
}
