package dev.whittle.internal.vectorization;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * QUANTIZE float32 to int8/uint8/int16 on the Vector API, the steps of {@link ScalarQuantizeLoops}
 * lane for lane: widen to double, divide (the reference's double division: a product with
 * 1/scale would round differently), add copysign(0.5 - 2^-54, v) (bit operations), convert with
 * D2I (Java's cast: truncating, saturating, NaN to 0), add the zero point (int lanes wrap like
 * Java's int), clamp, narrow. One preferred double vector per step (4 lanes with AVX2, 8 with AVX-512), the floats,
 * ints and narrow outputs in species of the same lane count.
 */
final class PanamaQuantizeLoops implements QuantizeLoops {
    static final PanamaQuantizeLoops INSTANCE = new PanamaQuantizeLoops();
    private static final VectorSpecies<Double> D = DoubleVector.SPECIES_PREFERRED.vectorBitSize() >= 512
            ? DoubleVector.SPECIES_512 : DoubleVector.SPECIES_256;
    private static final int L = D.length();
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED.withShape(
            VectorShape.forBitSize(32 * L));
    private static final VectorSpecies<Integer> I = IntVector.SPECIES_PREFERRED.withShape(
            VectorShape.forBitSize(32 * L));
    private static final VectorSpecies<Short> S = ShortVector.SPECIES_PREFERRED.withShape(
            VectorShape.forBitSize(16 * L));
    /** 8 byte lanes: all of them with 8 double lanes, the low 4 (one int store) with 4. */
    private static final VectorSpecies<Byte> B = ByteVector.SPECIES_64;
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    private static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED;
    private static final long SIGN = Long.MIN_VALUE;
    private static final long BIAS = Double.doubleToRawLongBits(ScalarQuantizeLoops.ROUND_BIAS);

    private PanamaQuantizeLoops() {
    }

    @Override
    public String isa() {
        return "panama" + D.vectorBitSize();
    }

    @Override
    public void quantize(MemorySegment in, MemorySegment out, int from, int to, double scale, int zeroPoint, int lo,
            int hi, int outBytes) {
        int i = from;
        int end = from + (to - from) / L * L;
        for (; i < end; i += L) {
            DoubleVector v = ((DoubleVector) FloatVector.fromMemorySegment(F, in, 4L * i, LE)
                    .convertShape(VectorOperators.F2D, D, 0)).div(scale);
            DoubleVector bias = (DoubleVector) v.reinterpretAsLongs().and(SIGN).or(BIAS).reinterpretAsDoubles();
            IntVector t = (IntVector) v.add(bias).convertShape(VectorOperators.D2I, I, 0);
            IntVector q = t.add(zeroPoint).max(lo).min(hi);
            if (outBytes == 2) {
                q.convertShape(VectorOperators.I2S, S, 0).intoMemorySegment(out, 2L * i, LE);
            } else if (L == 8) {
                q.convertShape(VectorOperators.I2B, B, 0).intoMemorySegment(out, i, LE);
            } else {
                int w = q.convertShape(VectorOperators.I2B, B, 0).reinterpretAsInts().lane(0);
                out.set(I32, i, w);
            }
        }
        if (i < to) {
            ScalarQuantizeLoops.INSTANCE.quantize(in, out, i, to, scale, zeroPoint, lo, hi, outBytes);
        }
    }
}
