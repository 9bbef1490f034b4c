package dev.whittle.internal.vectorization;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;

/**
 * One int8/uint8 GEMM node whose weights take at most 16 distinct values in the layer
 * (clustered), packed for the Java path's LUT micro-kernels ({@code lut4}): 4-bit indices
 * into one 16-entry table of signed weight bytes, decoded with a vector table lookup
 * ({@code IntVector.selectFrom}: {@code vpermd} / {@code vpermi2d}) straight into the
 * multiply-add of the dense kernel's outer product ({@link PanamaInt8GemmKernels}). The
 * per-channel constants and the output stage are the dense kernel's ({@link Int8Gemm}), so the
 * results are the same integers.
 *
 * <p>Index layout: per tile of {@code nr} channels, {@code ceil(K / 2)} rows of {@code nr}
 * bytes; byte {@code j} of row {@code p} holds the index of channel {@code j}'s weight at
 * {@code k = 2p} in its low nibble and at {@code k = 2p + 1} in its high nibble (0 past K), so
 * one vector load gives the indices of two k for a vector of channels. Table entries are the
 * dense kernel's signed bytes {@code w'} ({@code w}, or {@code w - 128} for uint8).
 *
 * <p>Only one table per layer: with one channel per int lane, a per-channel table would be a
 * gather (one table per lane), not a shuffle. Per-channel tables and 17-32 values:
 * {@link Int8LutPanelGemm} (a tile decoded into a panel, then the dense outer product).
 */
public final class Int8LutGemm {
    /** Distinct weight values a layer may have. */
    public static final int MAX_VALUES = 16;

    private static final class Panama {
        static final MethodHandle NEW = lookup();

        private static MethodHandle lookup() {
            try {
                Class<?> c = Class.forName(Int8LutGemm.class.getPackageName() + ".PanamaInt8LutKernels");
                return MethodHandles.privateLookupIn(c, MethodHandles.lookup()).findConstructor(c,
                        MethodType.methodType(void.class, byte[].class, int[].class, int.class));
            } catch (ReflectiveOperationException e) {
                throw new IllegalStateException(e);
            }
        }
    }

    private final Int8Gemm gemm;
    private final Int8GemmKernels kernels;
    private final long packedBytes;

    private Int8LutGemm(Int8Gemm gemm, Int8GemmKernels kernels, long packedBytes) {
        this.gemm = gemm;
        this.kernels = kernels;
        this.packedBytes = packedBytes;
    }

    /**
     * Packs one node for {@code provider}'s LUT kernel, or returns null where the weights have
     * more than {@value #MAX_VALUES} distinct values or {@link Int8Gemm#pack} would refuse the
     * node. Arguments as {@link Int8Gemm#pack}.
     */
    public static Int8LutGemm pack(VectorizationProvider provider, byte[] weights, int k, int n, boolean unsigned,
            int[] bias, int inputOffset, int weightsOffset, int outputOffset, int[] multipliers, int[] shifts,
            int actMin, int actMax, boolean ruy) {
        int nr = provider.int8Gemm().nr();
        int flip = unsigned ? 0x80 : 0;
        int[] slot = new int[256];
        java.util.Arrays.fill(slot, -1);
        int[] table = new int[MAX_VALUES];
        int values = 0;
        for (byte b : weights) {
            int w = (byte) (b ^ flip);
            if (slot[w & 0xFF] < 0) {
                if (values == MAX_VALUES) {
                    return null;
                }
                slot[w & 0xFF] = values;
                table[values++] = w;
            }
        }
        Int8Gemm g = Int8Gemm.constantsOnly(nr, weights, k, n, unsigned, bias, inputOffset, weightsOffset,
                outputOffset, multipliers, shifts, actMin, actMax, ruy);
        if (g == null) {
            return null;
        }
        int rowsPerTile = (k + 1) / 2;
        long bytes = (long) g.tiles * rowsPerTile * nr;
        if (bytes > Integer.MAX_VALUE - 64) {
            return null;
        }
        byte[] indices = new byte[(int) bytes];
        for (int c = 0; c < n; c++) {
            int base = (c / nr) * rowsPerTile * nr + c % nr;
            for (int i = 0; i < k; i++) {
                int index = slot[(weights[c * k + i] ^ flip) & 0xFF];
                indices[base + (i >> 1) * nr] |= (byte) (index << ((i & 1) * 4));
            }
        }
        Int8GemmKernels kernels;
        if (provider.vectorized()) {
            try {
                kernels = (Int8GemmKernels) Panama.NEW.invoke(indices, table, k);
            } catch (Throwable e) {
                throw new IllegalStateException(e);
            }
        } else {
            kernels = new ScalarInt8LutKernels(indices, table, k);
        }
        return new Int8LutGemm(g, kernels, bytes + 4L * MAX_VALUES);
    }

    /** The per-channel constants and output stage (no dense weights). */
    public Int8Gemm gemm() {
        return gemm;
    }

    /** The micro-kernel bound to this node's indices and table. */
    public Int8GemmKernels kernels() {
        return kernels;
    }

    /** Bytes of indices and table. */
    public long packedBytes() {
        return packedBytes;
    }
}
