package dev.whittle.internal.vectorization;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;

/**
 * One int8/uint8 GEMM node with pruned weights packed for the Java path's sparse micro-kernels
 * ({@code sparse}, and {@code sp24} for 2:4 layers): per output channel the list of its non-zero
 * effective weights {@code we = w + weightsOffset} (so a pruned uint8 weight, equal to its zero
 * point, is skipped) as a short K index and the raw weight byte (3 bytes per non-zero: 0.6 of
 * dense int8 at 80% zeros, 1.5 at 50%), any pattern (1x1 blocks). The
 * accumulator of channel {@code c} for a row is {@code constants[c] + sum_j a[k_j] * we_j} with
 * {@code constants[c] = bias[c] + inputOffset * sum_k we[c, k]}: the reference's
 * {@code sum_k we (a + inputOffset)} regrouped in wrapping int32, so the same integer.
 *
 * <p>The Vector API kernel ({@link PanamaInt8SparseKernels}) puts output pixels in the lanes
 * (XNNPACK's SpMM, on a transposed block of activations); the twin ({@link ScalarInt8SparseKernels})
 * walks rows and channels. Both requantize with the dense kernel's output stage.
 */
public final class Int8SparseGemm {
    private static final class Panama {
        static final MethodHandle NEW = lookup();

        private static MethodHandle lookup() {
            try {
                Class<?> c = Class.forName(Int8SparseGemm.class.getPackageName() + ".PanamaInt8SparseKernels");
                return MethodHandles.privateLookupIn(c, MethodHandles.lookup()).findConstructor(c,
                        MethodType.methodType(void.class, Int8SparseGemm.class));
            } catch (ReflectiveOperationException e) {
                throw new IllegalStateException(e);
            }
        }
    }

    final int k;
    final int n;
    final int maxRows;
    final boolean unsigned;
    final int[] start;
    final short[] index;
    /** The raw weight bytes: {@code we = (value & wmask) + wo}. */
    final byte[] value;
    final int wmask;
    final int wo;
    final int[] constants;
    final int[] multipliers;
    final int[] shifts;
    final boolean ruy;
    final int outputOffset;
    final int actMin;
    final int actMax;
    /** 2:4 layout ({@link #pack24}): {@code value} holds 2 bytes per group of 4 K, {@code positions} a nibble. */
    final boolean sp24;
    /**
     * 2:4: per channel {@code ceil(K / 8)} bytes; group {@code g}'s nibble {@code p0 | p1 << 2} at
     * bit {@code 4 * (g & 1)}.
     */
    final byte[] positions;
    private Int8Gemm gemm;
    private Int8GemmKernels kernels;

    private Int8SparseGemm(int k, int n, int maxRows, boolean unsigned, int[] start, short[] index, byte[] value,
            int wo, int[] constants, int[] multipliers, int[] shifts, boolean ruy, int outputOffset, int actMin,
            int actMax, byte[] positions) {
        this.sp24 = positions != null;
        this.positions = positions;
        this.k = k;
        this.n = n;
        this.maxRows = maxRows;
        this.unsigned = unsigned;
        this.start = start;
        this.index = index;
        this.value = value;
        this.wmask = unsigned ? 0xFF : -1;
        this.wo = wo;
        this.constants = constants;
        this.multipliers = multipliers;
        this.shifts = shifts;
        this.ruy = ruy;
        this.outputOffset = outputOffset;
        this.actMin = actMin;
        this.actMax = actMax;
    }

    /**
     * Packs one node for {@code provider}'s sparse kernel, or null where it cannot (K past
     * 32767, a multiplier outside the output stage's range). Arguments as {@link Int8Gemm#pack};
     * {@code maxRows}: the most rows the driver passes in one block.
     */
    public static Int8SparseGemm pack(VectorizationProvider provider, byte[] weights, int k, int n, boolean unsigned,
            int[] bias, int inputOffset, int weightsOffset, int outputOffset, int[] multipliers, int[] shifts,
            int actMin, int actMax, boolean ruy, int maxRows) {
        if (k > Short.MAX_VALUE || k <= 0 || n <= 0 || maxRows <= 0) {
            return null;
        }
        int[] start = new int[n + 1];
        int nonzeros = 0;
        for (int c = 0; c < n; c++) {
            for (int i = 0; i < k; i++) {
                int w = (unsigned ? weights[c * k + i] & 0xFF : weights[c * k + i]) + weightsOffset;
                if (w != 0) {
                    nonzeros++;
                }
            }
            start[c + 1] = nonzeros;
        }
        short[] index = new short[nonzeros];
        byte[] value = new byte[nonzeros];
        int[] constants = new int[n];
        int j = 0;
        for (int c = 0; c < n; c++) {
            int sum = 0;
            for (int i = 0; i < k; i++) {
                int w = (unsigned ? weights[c * k + i] & 0xFF : weights[c * k + i]) + weightsOffset;
                if (w != 0) {
                    index[j] = (short) i;
                    value[j++] = weights[c * k + i];
                    sum += w;
                }
            }
            constants[c] = inputOffset * sum + (bias == null ? 0 : bias[c]);
        }
        Int8SparseGemm s = new Int8SparseGemm(k, n, maxRows, unsigned, start, index, value, weightsOffset, constants,
                java.util.Arrays.copyOf(multipliers, n), java.util.Arrays.copyOf(shifts, n), ruy, outputOffset, actMin,
                actMax, null);
        return s.finish(provider);
    }

    /**
     * Packs a 2:4 layer (at most 2 non-zero effective weights in every aligned group of 4 along
     * K, K a multiple of 4) in the 2:4 layout: per channel and group the 2 kept raw bytes (a group
     * with fewer keeps a weight equal to {@code -weightsOffset}: zero) and their positions as a
     * nibble, 0.625 of dense int8's bytes. Null where the weights are not 2:4.
     */
    public static Int8SparseGemm pack24(VectorizationProvider provider, byte[] weights, int k, int n,
            boolean unsigned, int[] bias, int inputOffset, int weightsOffset, int outputOffset, int[] multipliers,
            int[] shifts, int actMin, int actMax, boolean ruy, int maxRows) {
        if (k % 4 != 0 || k <= 0 || n <= 0 || maxRows <= 0 || (long) n * k > Integer.MAX_VALUE - 64) {
            return null;
        }
        int groups = k / 4;
        int posBytes = (groups + 1) / 2;
        byte[] value = new byte[n * groups * 2];
        byte[] positions = new byte[n * posBytes];
        int[] constants = new int[n];
        byte empty = (byte) -weightsOffset;
        for (int c = 0; c < n; c++) {
            int sum = 0;
            for (int g = 0; g < groups; g++) {
                int kept = 0;
                int nibble = 0;
                int v = (c * groups + g) * 2;
                value[v] = empty;
                value[v + 1] = empty;
                for (int q = 0; q < 4; q++) {
                    byte raw = weights[c * k + 4 * g + q];
                    int w = (unsigned ? raw & 0xFF : raw) + weightsOffset;
                    if (w != 0) {
                        if (kept == 2) {
                            return null;
                        }
                        value[v + kept] = raw;
                        nibble |= q << (2 * kept);
                        kept++;
                        sum += w;
                    }
                }
                positions[c * posBytes + g / 2] |= (byte) (nibble << (4 * (g & 1)));
            }
            constants[c] = inputOffset * sum + (bias == null ? 0 : bias[c]);
        }
        if (((unsigned ? empty & 0xFF : empty) + weightsOffset) != 0) {
            return null; // -weightsOffset is not a weight byte: no zero to fill a slot with
        }
        Int8SparseGemm s = new Int8SparseGemm(k, n, maxRows, unsigned, new int[n + 1], new short[0], value,
                weightsOffset, constants, java.util.Arrays.copyOf(multipliers, n), java.util.Arrays.copyOf(shifts, n),
                ruy, outputOffset, actMin, actMax, positions);
        return s.finish(provider);
    }

    private Int8SparseGemm finish(VectorizationProvider provider) {
        Int8SparseGemm s = this;
        int nr = provider.int8Gemm().nr() / 2;
        s.gemm = Int8Gemm.ofConstants(k, n, nr, 1, constants, unsigned, ruy, multipliers, shifts, outputOffset,
                actMin, actMax);
        if (s.gemm == null) {
            return null;
        }
        if (provider.vectorized()) {
            try {
                s.kernels = (Int8GemmKernels) Panama.NEW.invoke(s);
            } catch (Throwable e) {
                throw new IllegalStateException(e);
            }
        } else {
            s.kernels = new ScalarInt8SparseKernels(s);
        }
        if (s.kernels.nr() != nr) {
            throw new IllegalStateException("sparse kernel tiles " + s.kernels.nr() + " != " + nr);
        }
        return s;
    }

    /** The output stage (no weights): the driver's tile count and geometry. */
    public Int8Gemm gemm() {
        return gemm;
    }

    /** The micro-kernel bound to this node (an {@link Int8BlockKernels}). */
    public Int8GemmKernels kernels() {
        return kernels;
    }

    /** Bytes of indices, values and channel starts (2:4: values and positions). */
    public long packedBytes() {
        return sp24 ? value.length + positions.length : 3L * index.length + 4L * start.length;
    }
}
