package dev.whittle.internal.vectorization;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * The panel LUT micro-kernels on the Vector API ({@code lut4pc}, {@code lut5}, {@code lut5pc};
 * {@code _4x32__panama512}, {@code _4x16__panama256}; {@link Int8LutPanelGemm}): a block of rows
 * at a time ({@link Int8BlockKernels}); per tile of channels, the tile's {@code [K][nr]} weight
 * bytes are decoded from their indices and tables into a per-worker panel ({@code K * nr} bytes
 * of {@code tmp}), then {@link PanamaInt8GemmKernels}' outer product (4 rows x 2 int vectors of
 * channels, accumulators in registers, the same output stage) runs on the panel for every row
 * of the block. The decode is paid once per tile and block, so the kernel gets blocks of up to
 * 256 rows (the factory's {@code rowsPerBlock}).
 */
final class PanamaInt8LutPanelKernels implements Int8GemmKernels, Int8BlockKernels {
    private static final VectorSpecies<Integer> INTS = IntVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Byte> BYTES = VectorSpecies.of(byte.class,
            VectorShape.forBitSize(Math.max(64, INTS.length() * 8)));
    private static final int L = INTS.length();
    private static final int NR = 2 * L;
    /** The dense micro-kernel's tmp: a row of output bytes (and slack), then MR rows of ints. */
    private static final long STAGE_BYTES = 2L * NR + 4L * MR * NR;

    private final Int8LutPanelGemm lut;
    private final long sumsBytes;
    private final long panelBytes;

    PanamaInt8LutPanelKernels(Int8LutPanelGemm lut, int rowsPerBlock) {
        this.lut = lut;
        this.sumsBytes = align(4L * Math.max(rowsPerBlock, MR));
        this.panelBytes = align((long) Math.max(lut.k, 1) * NR + 64);
    }

    private static long align(long bytes) {
        return (bytes + 63) & ~63L;
    }

    @Override
    public int nr() {
        return NR;
    }

    @Override
    public long tmpBytes() {
        return sumsBytes + panelBytes + STAGE_BYTES;
    }

    @Override
    public void run(Int8Gemm g, int tile, int rows, MemorySegment a, long aOff, long aStride, MemorySegment rowSums,
            long rowSumsOff, MemorySegment out, long outOff, long outStride, MemorySegment tmp, long tmpOff) {
        long panel = tmpOff + sumsBytes;
        long stage = panel + panelBytes;
        lut.decodeTile(tile, tmp, panel);
        rows(g, tile, rows, a, aOff, aStride, rowSums, rowSumsOff, out, outOff, outStride, tmp, panel, stage);
    }

    @Override
    public void runBlock(int rows, MemorySegment mem, long a, int c0, int c1, long out, long tmp) {
        Int8Gemm g = lut.gemm();
        int k = g.k;
        long sums = tmp;
        long panel = tmp + sumsBytes;
        long stage = panel + panelBytes;
        if (g.rowOffset != 0) {
            int mask = g.unsignedInput ? 0xFF : -1;
            for (int r = 0; r < rows; r++) {
                long row = a + (long) r * k;
                int sum = 0;
                for (int i = 0; i < k; i++) {
                    sum += mem.get(ValueLayout.JAVA_BYTE, row + i) & mask;
                }
                mem.set(ValueLayout.JAVA_INT_UNALIGNED, sums + 4L * r, sum);
            }
        }
        int n = g.n;
        int t1 = (c1 + NR - 1) / NR;
        for (int t = c0 / NR; t < t1; t++) {
            lut.decodeTile(t, mem, panel);
            rows(g, t, rows, mem, a, k, mem, sums, mem, out, n, mem, panel, stage);
        }
    }

    private static void rows(Int8Gemm g, int tile, int rows, MemorySegment a, long aOff, long aStride,
            MemorySegment rowSums, long rowSumsOff, MemorySegment out, long outOff, long outStride, MemorySegment tmp,
            long panel, long stage) {
        int r = 0;
        for (; r + MR <= rows; r += MR) {
            rows4(g, tile, a, aOff + r * aStride, aStride, tmp, panel, stage);
            PanamaInt8GemmKernels.finish(g, tile, MR, rowSums, rowSumsOff + 4L * r, out, outOff + r * outStride,
                    outStride, tmp, stage);
        }
        for (; r < rows; r++) {
            row1(g, tile, a, aOff + r * aStride, tmp, panel, stage);
            PanamaInt8GemmKernels.finish(g, tile, 1, rowSums, rowSumsOff + 4L * r, out, outOff + r * outStride, 0,
                    tmp, stage);
        }
    }

    private static void rows4(Int8Gemm g, int tile, MemorySegment a, long aOff, long aStride, MemorySegment p,
            long panel, long stage) {
        int k = g.k;
        int mask = g.unsignedInput ? 0xFF : -1;
        long r0 = aOff;
        long r1 = r0 + aStride;
        long r2 = r1 + aStride;
        long r3 = r2 + aStride;
        // The accumulators start at the folded per-channel constants (bias, zero-point terms).
        IntVector c0 = IntVector.fromArray(INTS, g.constants, tile * NR);
        IntVector c1 = IntVector.fromArray(INTS, g.constants, tile * NR + L);
        IntVector a00 = c0;
        IntVector a01 = c1;
        IntVector a10 = c0;
        IntVector a11 = c1;
        IntVector a20 = c0;
        IntVector a21 = c1;
        IntVector a30 = c0;
        IntVector a31 = c1;
        long wo = panel;
        for (int i = 0; i < k; i++, wo += NR) {
            IntVector w0 = (IntVector) ByteVector.fromMemorySegment(BYTES, p, wo, ByteOrder.LITTLE_ENDIAN)
                    .convertShape(VectorOperators.B2I, INTS, 0);
            IntVector w1 = (IntVector) ByteVector.fromMemorySegment(BYTES, p, wo + L, ByteOrder.LITTLE_ENDIAN)
                    .convertShape(VectorOperators.B2I, INTS, 0);
            int x0 = a.get(ValueLayout.JAVA_BYTE, r0 + i) & mask;
            int x1 = a.get(ValueLayout.JAVA_BYTE, r1 + i) & mask;
            int x2 = a.get(ValueLayout.JAVA_BYTE, r2 + i) & mask;
            int x3 = a.get(ValueLayout.JAVA_BYTE, r3 + i) & mask;
            a00 = a00.add(w0.mul(x0));
            a01 = a01.add(w1.mul(x0));
            a10 = a10.add(w0.mul(x1));
            a11 = a11.add(w1.mul(x1));
            a20 = a20.add(w0.mul(x2));
            a21 = a21.add(w1.mul(x2));
            a30 = a30.add(w0.mul(x3));
            a31 = a31.add(w1.mul(x3));
        }
        // Through memory, as the dense kernel: finish is not inlined into this loop.
        long acc = stage + 2 * NR;
        a00.intoMemorySegment(p, acc, ByteOrder.LITTLE_ENDIAN);
        a01.intoMemorySegment(p, acc + 4L * L, ByteOrder.LITTLE_ENDIAN);
        a10.intoMemorySegment(p, acc + 4L * NR, ByteOrder.LITTLE_ENDIAN);
        a11.intoMemorySegment(p, acc + 4L * (NR + L), ByteOrder.LITTLE_ENDIAN);
        a20.intoMemorySegment(p, acc + 8L * NR, ByteOrder.LITTLE_ENDIAN);
        a21.intoMemorySegment(p, acc + 4L * (2 * NR + L), ByteOrder.LITTLE_ENDIAN);
        a30.intoMemorySegment(p, acc + 12L * NR, ByteOrder.LITTLE_ENDIAN);
        a31.intoMemorySegment(p, acc + 4L * (3 * NR + L), ByteOrder.LITTLE_ENDIAN);
    }

    private static void row1(Int8Gemm g, int tile, MemorySegment a, long row, MemorySegment p, long panel,
            long stage) {
        int k = g.k;
        int mask = g.unsignedInput ? 0xFF : -1;
        IntVector a0 = IntVector.fromArray(INTS, g.constants, tile * NR);
        IntVector a1 = IntVector.fromArray(INTS, g.constants, tile * NR + L);
        long wo = panel;
        for (int i = 0; i < k; i++, wo += NR) {
            int x = a.get(ValueLayout.JAVA_BYTE, row + i) & mask;
            a0 = a0.add(((IntVector) ByteVector.fromMemorySegment(BYTES, p, wo, ByteOrder.LITTLE_ENDIAN)
                    .convertShape(VectorOperators.B2I, INTS, 0)).mul(x));
            a1 = a1.add(((IntVector) ByteVector.fromMemorySegment(BYTES, p, wo + L, ByteOrder.LITTLE_ENDIAN)
                    .convertShape(VectorOperators.B2I, INTS, 0)).mul(x));
        }
        long acc = stage + 2 * NR;
        a0.intoMemorySegment(p, acc, ByteOrder.LITTLE_ENDIAN);
        a1.intoMemorySegment(p, acc + 4L * L, ByteOrder.LITTLE_ENDIAN);
    }
}
