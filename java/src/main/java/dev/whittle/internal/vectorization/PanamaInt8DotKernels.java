package dev.whittle.internal.vectorization;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * Int8 dot products on the Vector API, four rows per tile.
 *
 * <p>Why bytes are widened straight to ints: the Vector API has no multiply-add of adjacent
 * pairs (x86 {@code vpmaddubsw}/{@code vpmaddwd}, Arm {@code sdot}), so each step sign-extends
 * one block of bytes to int lanes ({@code vpmovsxbd}), multiplies ({@code vpmulld}) and adds.
 * Lucene's alternative (bytes to shorts, {@code vpmullw}, then shorts to ints) multiplies
 * twice as many lanes per instruction but widens twice; it has not been measured against
 * this one yet (a next step, with the JMH benchmark in {@code bench/}). The input block is
 * widened once and used for four weight rows. Accumulating in int32 lanes and reducing once
 * per row is exact: integer addition wraps the same in any order.
 */
final class PanamaInt8DotKernels implements Int8DotKernels {
    static final PanamaInt8DotKernels INSTANCE = new PanamaInt8DotKernels();

    private static final VectorSpecies<Integer> INTS = IntVector.SPECIES_PREFERRED;
    /** One int lane per byte, but never narrower than the smallest byte shape (64 bits). */
    private static final VectorSpecies<Byte> BYTES = VectorSpecies.of(byte.class,
            VectorShape.forBitSize(Math.max(64, INTS.length() * 8)));
    /** Int vectors per byte block: 1 on AVX2 and AVX-512, 2 on 128-bit machines. */
    private static final int PARTS = BYTES.length() / INTS.length();

    private PanamaInt8DotKernels() {
    }

    /** The int vector width in bits, for kernel names ({@code __panama256}, {@code __panama512}). */
    static int bits() {
        return INTS.vectorBitSize();
    }

    @Override
    public int blockBytes() {
        return BYTES.length();
    }

    @Override
    public void dotRows(byte[] x, byte[] w, int rows, int kp, int[] out) {
        int step = BYTES.length();
        for (int o = 0; o < rows; o += ROW_TILE) {
            int r0 = o * kp;
            int r1 = r0 + kp;
            int r2 = r1 + kp;
            int r3 = r2 + kp;
            IntVector a0 = IntVector.zero(INTS);
            IntVector a1 = IntVector.zero(INTS);
            IntVector a2 = IntVector.zero(INTS);
            IntVector a3 = IntVector.zero(INTS);
            for (int k = 0; k < kp; k += step) {
                ByteVector xb = ByteVector.fromArray(BYTES, x, k);
                ByteVector w0 = ByteVector.fromArray(BYTES, w, r0 + k);
                ByteVector w1 = ByteVector.fromArray(BYTES, w, r1 + k);
                ByteVector w2 = ByteVector.fromArray(BYTES, w, r2 + k);
                ByteVector w3 = ByteVector.fromArray(BYTES, w, r3 + k);
                for (int part = 0; part < PARTS; part++) {
                    IntVector xi = widen(xb, part);
                    a0 = a0.add(xi.mul(widen(w0, part)));
                    a1 = a1.add(xi.mul(widen(w1, part)));
                    a2 = a2.add(xi.mul(widen(w2, part)));
                    a3 = a3.add(xi.mul(widen(w3, part)));
                }
            }
            out[o] = a0.reduceLanes(VectorOperators.ADD);
            out[o + 1] = a1.reduceLanes(VectorOperators.ADD);
            out[o + 2] = a2.reduceLanes(VectorOperators.ADD);
            out[o + 3] = a3.reduceLanes(VectorOperators.ADD);
        }
    }

    private static IntVector widen(ByteVector v, int part) {
        return (IntVector) v.convertShape(VectorOperators.B2I, INTS, part);
    }
}
