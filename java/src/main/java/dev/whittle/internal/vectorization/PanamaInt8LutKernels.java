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
 * The LUT-16 micro-kernel on the Vector API ({@code lut4_4x32__panama512},
 * {@code lut4_4x16__panama256}): {@link PanamaInt8GemmKernels}' outer product (4 rows x 2 int
 * vectors of channels, accumulators in registers, the same output stage) with the weights of
 * two k decoded per index load: one byte vector of indices for a vector of channels is widened
 * to int lanes ({@code vpmovsxbd}, as the dense kernel widens its weights), its low and high
 * nibbles masked out, and each looked up in the layer's 16-entry int table with
 * {@code selectFrom}: one {@code vpermd} of a 16-int table on AVX-512, a two-table
 * {@code selectFrom} ({@code vpermi2d} or two {@code vpermd} and a blend) on AVX2's 8 lanes.
 * The weights arrive as ints, so the decode replaces the dense kernel's widen and adds two
 * logic ops and a permute per vector per k; the index bytes are half the dense bytes.
 */
final class PanamaInt8LutKernels implements Int8GemmKernels {
    private static final VectorSpecies<Integer> INTS = IntVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Byte> BYTES = VectorSpecies.of(byte.class,
            VectorShape.forBitSize(Math.max(64, INTS.length() * 8)));
    private static final int L = INTS.length();
    private static final int NR = 2 * L;
    private static final long TMP_BYTES = 2L * NR + 4L * MR * NR;

    private final byte[] indices;
    /** The 16 entries, then (AVX2) the same from entry 8 on: {@code fromArray(INTS, table, 8)}. */
    private final int[] table;
    private final int k;
    private final int rowsPerTile;

    PanamaInt8LutKernels(byte[] indices, int[] table, int k) {
        this.indices = indices;
        this.table = java.util.Arrays.copyOf(table, Math.max(16, 8 + L));
        this.k = k;
        this.rowsPerTile = (k + 1) / 2;
    }

    @Override
    public int nr() {
        return NR;
    }

    @Override
    public long tmpBytes() {
        return TMP_BYTES;
    }

    @Override
    public void run(Int8Gemm g, int tile, int rows, MemorySegment a, long aOff, long aStride, MemorySegment rowSums,
            long rowSumsOff, MemorySegment out, long outOff, long outStride, MemorySegment tmp, long tmpOff) {
        if (rows == MR) {
            rows4(g, tile, a, aOff, aStride, tmp, tmpOff);
            PanamaInt8GemmKernels.finish(g, tile, MR, rowSums, rowSumsOff, out, outOff, outStride, tmp, tmpOff);
        } else {
            for (int r = 0; r < rows; r++) {
                row1(g, tile, a, aOff + r * aStride, tmp, tmpOff);
                PanamaInt8GemmKernels.finish(g, tile, 1, rowSums, rowSumsOff + 4L * r, out, outOff + r * outStride, 0,
                        tmp, tmpOff);
            }
        }
    }

    private void rows4(Int8Gemm g, int tile, MemorySegment a, long aOff, long aStride, MemorySegment tmp, long tmpOff) {
        byte[] ix = indices;
        int[] tb = table;
        IntVector t0 = IntVector.fromArray(INTS, tb, 0);
        IntVector t1 = IntVector.fromArray(INTS, tb, 8);
        long r0 = aOff;
        long r1 = r0 + aStride;
        long r2 = r1 + aStride;
        long r3 = r2 + aStride;
        int mask = g.unsignedInput ? 0xFF : -1;
        // The accumulators start at the folded per-channel constants (bias, zero-point terms).
        IntVector a00 = IntVector.fromArray(INTS, g.constants, tile * NR);
        IntVector a01 = IntVector.fromArray(INTS, g.constants, tile * NR + L);
        IntVector a10 = a00;
        IntVector a11 = a01;
        IntVector a20 = a00;
        IntVector a21 = a01;
        IntVector a30 = a00;
        IntVector a31 = a01;
        int pairs = k >> 1;
        int io = tile * rowsPerTile * NR;
        long i = 0;
        for (int p = 0; p < pairs; p++, io += NR, i += 2) {
            IntVector b0 = (IntVector) ByteVector.fromArray(BYTES, ix, io).convertShape(VectorOperators.B2I, INTS, 0);
            IntVector b1 = (IntVector) ByteVector.fromArray(BYTES, ix, io + L).convertShape(VectorOperators.B2I, INTS,
                    0);
            IntVector w0 = b0.and(15);
            IntVector w1 = b1.and(15);
            IntVector v0 = b0.lanewise(VectorOperators.ASHR, 4).and(15);
            IntVector v1 = b1.lanewise(VectorOperators.ASHR, 4).and(15);
            if (L >= 16) {
                w0 = w0.selectFrom(t0);
                w1 = w1.selectFrom(t0);
                v0 = v0.selectFrom(t0);
                v1 = v1.selectFrom(t0);
            } else {
                w0 = w0.selectFrom(t0, t1);
                w1 = w1.selectFrom(t0, t1);
                v0 = v0.selectFrom(t0, t1);
                v1 = v1.selectFrom(t0, t1);
            }
            short s0 = a.get(ValueLayout.JAVA_SHORT_UNALIGNED, r0 + i);
            short s1 = a.get(ValueLayout.JAVA_SHORT_UNALIGNED, r1 + i);
            short s2 = a.get(ValueLayout.JAVA_SHORT_UNALIGNED, r2 + i);
            short s3 = a.get(ValueLayout.JAVA_SHORT_UNALIGNED, r3 + i);
            // little-endian: the low byte is k = 2p; uint8 activations read unsigned
            int x0 = (byte) s0 & mask;
            int y0 = (s0 >> 8) & mask;
            int x1 = (byte) s1 & mask;
            int y1 = (s1 >> 8) & mask;
            int x2 = (byte) s2 & mask;
            int y2 = (s2 >> 8) & mask;
            int x3 = (byte) s3 & mask;
            int y3 = (s3 >> 8) & mask;
            a00 = a00.add(w0.mul(x0)).add(v0.mul(y0));
            a01 = a01.add(w1.mul(x0)).add(v1.mul(y0));
            a10 = a10.add(w0.mul(x1)).add(v0.mul(y1));
            a11 = a11.add(w1.mul(x1)).add(v1.mul(y1));
            a20 = a20.add(w0.mul(x2)).add(v0.mul(y2));
            a21 = a21.add(w1.mul(x2)).add(v1.mul(y2));
            a30 = a30.add(w0.mul(x3)).add(v0.mul(y3));
            a31 = a31.add(w1.mul(x3)).add(v1.mul(y3));
        }
        if ((k & 1) != 0) {
            IntVector b0 = (IntVector) ByteVector.fromArray(BYTES, ix, io).convertShape(VectorOperators.B2I, INTS, 0);
            IntVector b1 = (IntVector) ByteVector.fromArray(BYTES, ix, io + L).convertShape(VectorOperators.B2I, INTS,
                    0);
            IntVector w0 = L >= 16 ? b0.and(15).selectFrom(t0) : b0.and(15).selectFrom(t0, t1);
            IntVector w1 = L >= 16 ? b1.and(15).selectFrom(t0) : b1.and(15).selectFrom(t0, t1);
            a00 = a00.add(w0.mul(a.get(ValueLayout.JAVA_BYTE, r0 + i) & mask));
            a01 = a01.add(w1.mul(a.get(ValueLayout.JAVA_BYTE, r0 + i) & mask));
            a10 = a10.add(w0.mul(a.get(ValueLayout.JAVA_BYTE, r1 + i) & mask));
            a11 = a11.add(w1.mul(a.get(ValueLayout.JAVA_BYTE, r1 + i) & mask));
            a20 = a20.add(w0.mul(a.get(ValueLayout.JAVA_BYTE, r2 + i) & mask));
            a21 = a21.add(w1.mul(a.get(ValueLayout.JAVA_BYTE, r2 + i) & mask));
            a30 = a30.add(w0.mul(a.get(ValueLayout.JAVA_BYTE, r3 + i) & mask));
            a31 = a31.add(w1.mul(a.get(ValueLayout.JAVA_BYTE, r3 + i) & mask));
        }
        long acc = tmpOff + 2 * NR;
        a00.intoMemorySegment(tmp, acc, ByteOrder.LITTLE_ENDIAN);
        a01.intoMemorySegment(tmp, acc + 4L * L, ByteOrder.LITTLE_ENDIAN);
        a10.intoMemorySegment(tmp, acc + 4L * NR, ByteOrder.LITTLE_ENDIAN);
        a11.intoMemorySegment(tmp, acc + 4L * (NR + L), ByteOrder.LITTLE_ENDIAN);
        a20.intoMemorySegment(tmp, acc + 8L * NR, ByteOrder.LITTLE_ENDIAN);
        a21.intoMemorySegment(tmp, acc + 4L * (2 * NR + L), ByteOrder.LITTLE_ENDIAN);
        a30.intoMemorySegment(tmp, acc + 12L * NR, ByteOrder.LITTLE_ENDIAN);
        a31.intoMemorySegment(tmp, acc + 4L * (3 * NR + L), ByteOrder.LITTLE_ENDIAN);
    }

    private void row1(Int8Gemm g, int tile, MemorySegment a, long row, MemorySegment tmp, long tmpOff) {
        byte[] ix = indices;
        IntVector t0 = IntVector.fromArray(INTS, table, 0);
        IntVector t1 = IntVector.fromArray(INTS, table, 8);
        int mask = g.unsignedInput ? 0xFF : -1;
        IntVector a0 = IntVector.fromArray(INTS, g.constants, tile * NR);
        IntVector a1 = IntVector.fromArray(INTS, g.constants, tile * NR + L);
        int pairs = k >> 1;
        int io = tile * rowsPerTile * NR;
        long i = 0;
        for (int p = 0; p < pairs; p++, io += NR, i += 2) {
            IntVector b0 = (IntVector) ByteVector.fromArray(BYTES, ix, io).convertShape(VectorOperators.B2I, INTS, 0);
            IntVector b1 = (IntVector) ByteVector.fromArray(BYTES, ix, io + L).convertShape(VectorOperators.B2I, INTS,
                    0);
            IntVector w0 = b0.and(15);
            IntVector w1 = b1.and(15);
            IntVector v0 = b0.lanewise(VectorOperators.ASHR, 4).and(15);
            IntVector v1 = b1.lanewise(VectorOperators.ASHR, 4).and(15);
            if (L >= 16) {
                w0 = w0.selectFrom(t0);
                w1 = w1.selectFrom(t0);
                v0 = v0.selectFrom(t0);
                v1 = v1.selectFrom(t0);
            } else {
                w0 = w0.selectFrom(t0, t1);
                w1 = w1.selectFrom(t0, t1);
                v0 = v0.selectFrom(t0, t1);
                v1 = v1.selectFrom(t0, t1);
            }
            short s = a.get(ValueLayout.JAVA_SHORT_UNALIGNED, row + i);
            int x = (byte) s & mask;
            int y = (s >> 8) & mask;
            a0 = a0.add(w0.mul(x)).add(v0.mul(y));
            a1 = a1.add(w1.mul(x)).add(v1.mul(y));
        }
        if ((k & 1) != 0) {
            IntVector b0 = (IntVector) ByteVector.fromArray(BYTES, ix, io).convertShape(VectorOperators.B2I, INTS, 0);
            IntVector b1 = (IntVector) ByteVector.fromArray(BYTES, ix, io + L).convertShape(VectorOperators.B2I, INTS,
                    0);
            int x = a.get(ValueLayout.JAVA_BYTE, row + i) & mask;
            IntVector w0 = L >= 16 ? b0.and(15).selectFrom(t0) : b0.and(15).selectFrom(t0, t1);
            IntVector w1 = L >= 16 ? b1.and(15).selectFrom(t0) : b1.and(15).selectFrom(t0, t1);
            a0 = a0.add(w0.mul(x));
            a1 = a1.add(w1.mul(x));
        }
        long acc = tmpOff + 2 * NR;
        a0.intoMemorySegment(tmp, acc, ByteOrder.LITTLE_ENDIAN);
        a1.intoMemorySegment(tmp, acc + 4L * L, ByteOrder.LITTLE_ENDIAN);
    }
}
