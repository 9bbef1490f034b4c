package dev.whittle.internal.vectorization;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * The int8 GEMM micro-kernel on the Vector API: 4 rows x 2 int vectors of channels
 * ({@code 4x32} on AVX-512, {@code 4x16} on AVX2), an outer product per k: the weights of one
 * k for the tile's channels are one byte vector, sign-extended to int lanes
 * ({@code vpmovsxbd}), and each row's activation byte is broadcast and multiplied in
 * ({@code vpmulld}, {@code vpaddd}). Eight accumulators stay in registers for the whole K
 * loop, no horizontal reduction is needed, and the output stage runs on the same lanes.
 *
 * <p>Why not Lucene's bytes-to-shorts products: the Vector API has no {@code vpmaddwd}/
 * {@code vpmaddubsw}, so short products must be widened to ints one by one, which costs more
 * than one {@code vpmulld} per 16 int lanes on Zen 4. The broadcast form also makes uint8
 * free: an unsigned activation byte is widened with {@code & 0xFF} and needs no flip.
 *
 * <p>The output stage: ruy's and gemmlowp's first step are the same,
 * {@code floor((x * m + 2^30) / 2^31)} (gemmlowp's truncating division of the nudged product
 * equals that floor), computed in long lanes as a logical shift of {@code x * m + 2^62 + 2^30}
 * because AVX2 has no 64-bit arithmetic shift; the rest (rounding right shift, saturation)
 * is int lanes. Needs int vectors of at least 256 bits ({@link #supported()}).
 */
final class PanamaInt8GemmKernels implements Int8GemmKernels {
    static final PanamaInt8GemmKernels INSTANCE = new PanamaInt8GemmKernels();

    private static final VectorSpecies<Integer> INTS = IntVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Long> LONGS = VectorSpecies.of(long.class, INTS.vectorShape());
    /** One byte lane per int lane: 128 bits on AVX-512, 64 on AVX2. */
    private static final VectorSpecies<Byte> BYTES = VectorSpecies.of(byte.class,
            VectorShape.forBitSize(Math.max(64, INTS.length() * 8)));
    /** Half an int vector: as many lanes as a long vector of the same width. */
    private static final VectorSpecies<Integer> HALF_INTS = VectorSpecies.of(int.class,
            VectorShape.forBitSize(INTS.vectorBitSize() / 2));
    /**
     * Bytes of half an int vector, at least 64 bits: on AVX2 a half is 4 ints, whose 8-byte
     * conversion has 4 zero lanes that the next half (or the slack after the row) absorbs.
     */
    private static final VectorSpecies<Byte> HALF_BYTES = VectorSpecies.of(byte.class,
            VectorShape.forBitSize(Math.max(64, HALF_INTS.length() * 8)));
    private static final int L = INTS.length();
    private static final int HALF = L / 2;
    private static final int NR = 2 * L;
    /** Bytes of {@link #run}'s {@code tmp}: a row of output bytes (and slack), then MR rows of ints. */
    private static final long TMP_BYTES = 2L * NR + 4L * MR * NR;
    private static final long ROUND_BIAS = (1L << 62) + (1L << 30);

    private PanamaInt8GemmKernels() {
    }

    /** The int vector width in bits, for kernel names ({@code __panama256}, {@code __panama512}). */
    static int bits() {
        return INTS.vectorBitSize();
    }

    /** Whether this JVM's preferred int vectors are wide enough (256 bits or more). */
    static boolean supported() {
        return INTS.vectorBitSize() >= 256;
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
        if (rows == MR && g.n - tile * NR <= L) {
            // A last tile (or a whole layer, N = 16 on AVX-512) of one vector of channels.
            rows4Narrow(g, tile, a, aOff, aStride, rowSums, rowSumsOff, out, outOff, outStride, tmp, tmpOff);
        } else if (rows == MR) {
            rows4(g, tile, a, aOff, aStride, rowSums, rowSumsOff, out, outOff, outStride, tmp, tmpOff);
        } else {
            for (int r = 0; r < rows; r++) {
                row1(g, tile, a, aOff + r * aStride, rowSums, rowSumsOff + 4L * r, out, outOff + r * outStride, tmp,
                        tmpOff);
            }
        }
    }

    private static void rows4(Int8Gemm g, int tile, MemorySegment a, long aOff, long aStride, MemorySegment rowSums,
            long rowSumsOff, MemorySegment out, long outOff, long outStride, MemorySegment tmp, long tmpOff) {
        int k = g.k;
        byte[] w = g.packed;
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
        int wo = tile * k * NR;
        for (int i = 0; i < k; i++, wo += NR) {
            IntVector w0 = widen(ByteVector.fromArray(BYTES, w, wo));
            IntVector w1 = widen(ByteVector.fromArray(BYTES, w, wo + L));
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
        // Through memory: C2 does not inline the output stage into this loop (too big), and
        // a vector passed to a call that is not inlined is boxed on the heap.
        long acc = tmpOff + 2 * NR;
        a00.intoMemorySegment(tmp, acc, ByteOrder.LITTLE_ENDIAN);
        a01.intoMemorySegment(tmp, acc + 4L * L, ByteOrder.LITTLE_ENDIAN);
        a10.intoMemorySegment(tmp, acc + 4L * NR, ByteOrder.LITTLE_ENDIAN);
        a11.intoMemorySegment(tmp, acc + 4L * (NR + L), ByteOrder.LITTLE_ENDIAN);
        a20.intoMemorySegment(tmp, acc + 8L * NR, ByteOrder.LITTLE_ENDIAN);
        a21.intoMemorySegment(tmp, acc + 4L * (2 * NR + L), ByteOrder.LITTLE_ENDIAN);
        a30.intoMemorySegment(tmp, acc + 12L * NR, ByteOrder.LITTLE_ENDIAN);
        a31.intoMemorySegment(tmp, acc + 4L * (3 * NR + L), ByteOrder.LITTLE_ENDIAN);
        finish(g, tile, MR, rowSums, rowSumsOff, out, outOff, outStride, tmp, tmpOff);
    }

    /** {@link #rows4} for a tile whose channels fit in one int vector: half the multiplies. */
    private static void rows4Narrow(Int8Gemm g, int tile, MemorySegment a, long aOff, long aStride,
            MemorySegment rowSums, long rowSumsOff, MemorySegment out, long outOff, long outStride, MemorySegment tmp,
            long tmpOff) {
        int k = g.k;
        byte[] w = g.packed;
        int mask = g.unsignedInput ? 0xFF : -1;
        long r0 = aOff;
        long r1 = r0 + aStride;
        long r2 = r1 + aStride;
        long r3 = r2 + aStride;
        IntVector c0 = IntVector.fromArray(INTS, g.constants, tile * NR);
        IntVector a0 = c0;
        IntVector a1 = c0;
        IntVector a2 = c0;
        IntVector a3 = c0;
        int wo = tile * k * NR;
        for (int i = 0; i < k; i++, wo += NR) {
            IntVector w0 = widen(ByteVector.fromArray(BYTES, w, wo));
            a0 = a0.add(w0.mul(a.get(ValueLayout.JAVA_BYTE, r0 + i) & mask));
            a1 = a1.add(w0.mul(a.get(ValueLayout.JAVA_BYTE, r1 + i) & mask));
            a2 = a2.add(w0.mul(a.get(ValueLayout.JAVA_BYTE, r2 + i) & mask));
            a3 = a3.add(w0.mul(a.get(ValueLayout.JAVA_BYTE, r3 + i) & mask));
        }
        long acc = tmpOff + 2 * NR;
        a0.intoMemorySegment(tmp, acc, ByteOrder.LITTLE_ENDIAN);
        a1.intoMemorySegment(tmp, acc + 4L * NR, ByteOrder.LITTLE_ENDIAN);
        a2.intoMemorySegment(tmp, acc + 8L * NR, ByteOrder.LITTLE_ENDIAN);
        a3.intoMemorySegment(tmp, acc + 12L * NR, ByteOrder.LITTLE_ENDIAN);
        finish(g, tile, MR, rowSums, rowSumsOff, out, outOff, outStride, tmp, tmpOff);
    }

    private static void row1(Int8Gemm g, int tile, MemorySegment a, long row, MemorySegment rowSums, long rowSumsOff,
            MemorySegment out, long outOff, MemorySegment tmp, long tmpOff) {
        int k = g.k;
        byte[] w = g.packed;
        int mask = g.unsignedInput ? 0xFF : -1;
        IntVector a0 = IntVector.fromArray(INTS, g.constants, tile * NR);
        IntVector a1 = IntVector.fromArray(INTS, g.constants, tile * NR + L);
        int wo = tile * k * NR;
        for (int i = 0; i < k; i++, wo += NR) {
            int x = a.get(ValueLayout.JAVA_BYTE, row + i) & mask;
            a0 = a0.add(widen(ByteVector.fromArray(BYTES, w, wo)).mul(x));
            a1 = a1.add(widen(ByteVector.fromArray(BYTES, w, wo + L)).mul(x));
        }
        long acc = tmpOff + 2 * NR;
        a0.intoMemorySegment(tmp, acc, ByteOrder.LITTLE_ENDIAN);
        a1.intoMemorySegment(tmp, acc + 4L * L, ByteOrder.LITTLE_ENDIAN);
        finish(g, tile, 1, rowSums, rowSumsOff, out, outOff, 0, tmp, tmpOff);
    }

    /**
     * The output stage of {@code rows} rows of accumulators ({@code NR} ints per row at
     * {@code tmpOff + 2 * NR}), written as bytes at {@code outOff + r * outStride + tile * NR}.
     */
    static void finish(Int8Gemm g, int tile, int rows, MemorySegment rowSums, long rowSumsOff,
            MemorySegment out, long outOff, long outStride, MemorySegment tmp, long tmpOff) {
        int c = tile * NR;
        int cols = g.n - c;
        // Only the halves holding real channels (a narrow tile stored one vector per row).
        int end = Math.min(NR, (cols + HALF - 1) / HALF * HALF);
        for (int r = 0; r < rows; r++) {
            long acc = tmpOff + 2 * NR + 4L * NR * r;
            int rowTerm = g.rowOffset == 0 ? 0 : g.rowOffset * rowSums.get(ValueLayout.JAVA_INT_UNALIGNED,
                    rowSumsOff + 4L * r);
            // Two straight-line methods rather than one with a branch, as flat as possible:
            // when C2 recompiled a deeper version after seeing the other rounding, it ran out
            // of inlining depth and boxed vectors.
            if (g.ruy) {
                for (int h = 0; h < end; h += HALF) {
                    requantizeRuy(g, c + h, rowTerm, tmp, acc + 4L * h, tmpOff + h);
                }
            } else {
                for (int h = 0; h < end; h += HALF) {
                    requantizeGemmlowp(g, c + h, rowTerm, tmp, acc + 4L * h, tmpOff + h);
                }
            }
            long dst = outOff + r * outStride + c;
            if (cols >= NR) {
                ByteVector.fromMemorySegment(BYTES, tmp, tmpOff, ByteOrder.LITTLE_ENDIAN)
                        .intoMemorySegment(out, dst, ByteOrder.LITTLE_ENDIAN);
                ByteVector.fromMemorySegment(BYTES, tmp, tmpOff + L, ByteOrder.LITTLE_ENDIAN)
                        .intoMemorySegment(out, dst + L, ByteOrder.LITTLE_ENDIAN);
            } else {
                copyPartial(tmp, tmpOff, out, dst, cols);
            }
        }
    }

    /**
     * Requantizes, offsets and clamps {@code HALF} accumulators of channels {@code c..} in place.
     * Half an int vector at a time so that every conversion to and from long lanes keeps the
     * lane count (a plain {@code vpmovsxdq}/{@code vpmovqd}: C2 intrinsifies those, not the
     * part-selecting ones).
     */
    /** ruy: {@code RuyMath.multiplyByQuantizedMultiplier}, offset, clamp, in place. */
    static void requantizeRuy(Int8Gemm g, int c, int rowTerm, MemorySegment tmp, long off, long bytesOff) {
        IntVector x = IntVector.fromMemorySegment(HALF_INTS, tmp, off, ByteOrder.LITTLE_ENDIAN)
                .add(rowTerm)
                .lanewise(VectorOperators.LSHL, IntVector.fromArray(HALF_INTS, g.leftShifts, c));
        LongVector p = ((LongVector) x.convertShape(VectorOperators.I2L, LONGS, 0))
                .mul(LongVector.fromArray(LONGS, g.multipliersLong, c));
        // floor((p + 2^30) / 2^31) + 2^31, in [0, 2^32): its low 32 bits, minus 2^31, are the
        // int result (the first step of both roundings).
        IntVector s = ((IntVector) p.add(ROUND_BIAS).lanewise(VectorOperators.LSHR, 31)
                .convertShape(VectorOperators.L2I, HALF_INTS, 0)).lanewise(VectorOperators.XOR, Integer.MIN_VALUE);
        VectorMask<Integer> over = s.compare(VectorOperators.GT, IntVector.fromArray(HALF_INTS, g.limits, c));
        IntVector r = s.add(IntVector.fromArray(HALF_INTS, g.nudges, c))
                .lanewise(VectorOperators.ASHR, IntVector.fromArray(HALF_INTS, g.rightShifts, c))
                .blend(IntVector.fromArray(HALF_INTS, g.saturated, c), over);
        ((ByteVector) r.add(g.outputOffset).max(g.actMin).min(g.actMax).convertShape(VectorOperators.I2B, HALF_BYTES, 0))
                .intoMemorySegment(tmp, bytesOff, ByteOrder.LITTLE_ENDIAN);
    }

    /** gemmlowp: {@code FixedPoint.multiplyByQuantizedMultiplier}, offset, clamp, in place. */
    static void requantizeGemmlowp(Int8Gemm g, int c, int rowTerm, MemorySegment tmp, long off,
            long bytesOff) {
        IntVector x = IntVector.fromMemorySegment(HALF_INTS, tmp, off, ByteOrder.LITTLE_ENDIAN)
                .add(rowTerm)
                .lanewise(VectorOperators.LSHL, IntVector.fromArray(HALF_INTS, g.leftShifts, c));
        LongVector p = ((LongVector) x.convertShape(VectorOperators.I2L, LONGS, 0))
                .mul(LongVector.fromArray(LONGS, g.multipliersLong, c));
        // floor((p + 2^30) / 2^31) + 2^31, in [0, 2^32): its low 32 bits, minus 2^31, are the
        // int result (the first step of both roundings).
        IntVector s = ((IntVector) p.add(ROUND_BIAS).lanewise(VectorOperators.LSHR, 31)
                .convertShape(VectorOperators.L2I, HALF_INTS, 0)).lanewise(VectorOperators.XOR, Integer.MIN_VALUE);
        IntVector mask = IntVector.fromArray(HALF_INTS, g.masks, c);
        // RoundingDivideByPOT: remainder > (mask >> 1) + (s < 0 ? 1 : 0) rounds up.
        IntVector threshold = mask.lanewise(VectorOperators.ASHR, 1).add(s.lanewise(VectorOperators.LSHR, 31));
        IntVector up = s.and(mask).compare(VectorOperators.GT, threshold).toVector().reinterpretAsInts();
        // A set lane reads -1: subtracting it adds the rounding 1.
        IntVector r = s.lanewise(VectorOperators.ASHR, IntVector.fromArray(HALF_INTS, g.rightShifts, c)).sub(up);
        ((ByteVector) r.add(g.outputOffset).max(g.actMin).min(g.actMax).convertShape(VectorOperators.I2B, HALF_BYTES, 0))
                .intoMemorySegment(tmp, bytesOff, ByteOrder.LITTLE_ENDIAN);
    }

    /**
     * The first {@code cols} bytes of a row: 8 at a time, then one by one ({@code MemorySegment.copy}
     * costs about 60 ns for a few bytes, as much as the whole output stage of the row).
     */
    static void copyPartial(MemorySegment tmp, long src, MemorySegment out, long dst, int cols) {
        int i = 0;
        for (; i + 8 <= cols; i += 8) {
            out.set(ValueLayout.JAVA_LONG_UNALIGNED, dst + i, tmp.get(ValueLayout.JAVA_LONG_UNALIGNED, src + i));
        }
        for (; i < cols; i++) {
            out.set(ValueLayout.JAVA_BYTE, dst + i, tmp.get(ValueLayout.JAVA_BYTE, src + i));
        }
    }

    private static IntVector widen(ByteVector v) {
        return (IntVector) v.convertShape(VectorOperators.B2I, INTS, 0);
    }
}
