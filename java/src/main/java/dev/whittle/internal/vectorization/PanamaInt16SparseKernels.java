package dev.whittle.internal.vectorization;

import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * The 16x8 sparse, 2:4 and LUT-16 micro-kernels on the Vector API ({@code sparse_16x1__panama512},
 * {@code sp24_16x1__panama512}, {@code lut4_16x1__panama512}; {@code _8x1__panama256}): output pixels in the int lanes, as the
 * int8 Java sparse kernel ({@link PanamaInt8SparseKernels}). A block's int16 activations are
 * transposed once into int rows {@code x[k][m]} shared by every channel; per channel and four
 * vectors of pixels each non-zero weight (2:4: each kept weight, two per group of 4 K, their rows
 * picked by the group's position byte) is one broadcast multiply-add ({@code vpmulld},
 * {@code vpaddd}). Exactness: at most {@link Int16SparseGemm#FLUSH} products (at most 2^22 each)
 * are summed in int32 lanes, then widened into int64 sums in scratch; the channel's output stage
 * is the dense Java kernel's int64 {@code MultiplyByQuantizedMultiplier} in long lanes with the
 * channel's constants broadcast ({@link PanamaInt16Kernels}, {@link Int16Stage}), or, for
 * FULLY_CONNECTED's ruy and double stages, {@link Int16SparseGemm#output} per output; the shorts
 * are stored one per pixel (stride N).
 *
 * <p>JIT: vectors never cross a call (sums go through scratch), as in the dense Java kernels.
 */
final class PanamaInt16SparseKernels implements Int16SparseGemm.Kernels {
    private static final VectorSpecies<Integer> INTS = IntVector.SPECIES_PREFERRED;
    private static final int L = INTS.length();
    private static final int HALF = L / 2;
    private static final VectorSpecies<Long> LONGS = VectorSpecies.of(long.class, INTS.vectorShape());
    private static final VectorSpecies<Integer> HALF_INTS = VectorSpecies.of(int.class,
            VectorShape.forBitSize(INTS.vectorBitSize() / 2));
    private static final VectorSpecies<Short> HALF_SHORTS = VectorSpecies.of(short.class,
            VectorShape.forBitSize(Math.max(64, HALF * 16)));
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    private static final int FLUSH = Int16SparseGemm.FLUSH;

    private final Int16SparseGemm s;
    /** Pixels per transposed row: the driver's most rows, rounded up to a vector. */
    private final int stride;

    PanamaInt16SparseKernels(Int16SparseGemm s) {
        this.s = s;
        this.stride = (s.maxRows + L - 1) / L * L;
    }

    @Override
    public int lanes() {
        return L;
    }

    @Override
    public long tmpBytes() {
        // x[k][stride] ints, int sums, long sums, one row of output shorts
        return 4L * s.k * stride + 4L * stride + 8L * stride + 2L * stride + 64;
    }

    @Override
    public void runBlock(int rows, MemorySegment mem, long a, int c0, int c1, long out, long tmp) {
        int k = s.k;
        long x = tmp;
        long rowBytes = 4L * stride;
        for (int r = 0; r < rows; r++) {
            long row = a + 2L * r * k;
            long dst = x + 4L * r;
            for (int i = 0; i < k; i++) {
                mem.set(ValueLayout.JAVA_INT_UNALIGNED, dst + i * rowBytes, mem.get(ValueLayout.JAVA_SHORT_UNALIGNED,
                        row + 2L * i));
            }
        }
        long ints = x + 4L * k * stride;
        long longs = ints + 4L * stride;
        long shorts = longs + 8L * stride;
        int pad = (rows + L - 1) / L * L;
        boolean sp24 = s.positions != null;
        boolean lut = s.indices != null;
        for (int c = c0; c < c1; c++) {
            // Chunks of at most FLUSH products (2:4: FLUSH / 2 groups), each widened into the long sums.
            int step = sp24 ? FLUSH / 2 : FLUSH;
            int units = sp24 ? k / 4 : lut ? k : s.start[c + 1] - s.start[c];
            boolean wide = units > step;
            for (int u = 0; u < Math.max(units, 1); u += step) {
                int u1 = Math.min(units, u + step);
                if (sp24) {
                    channelSp24(c, u, u1, mem, x, rowBytes, ints, pad);
                } else if (lut) {
                    channelLut(c, u, u1, mem, x, rowBytes, ints, pad);
                } else {
                    channel(s.start[c] + u, s.start[c] + u1, mem, x, rowBytes, ints, pad);
                }
                if (wide) {
                    widen(mem, ints, longs, pad, u == 0);
                }
            }
            store(c, mem, wide, ints, longs, shorts, out, rows, pad);
        }
    }

    /** Sums of non-zeros {@code [j0, j1)} for pixels {@code [0, pad)} into the ints at {@code acc}. */
    private void channel(int j0, int j1, MemorySegment mem, long x, long rowBytes, long acc, int pad) {
        int[] index = s.index;
        byte[] value = s.value;
        int m = 0;
        for (; m + 4 * L <= pad; m += 4 * L) {
            long xm = x + 4L * m;
            IntVector s0 = IntVector.zero(INTS);
            IntVector s1 = s0;
            IntVector s2 = s0;
            IntVector s3 = s0;
            for (int j = j0; j < j1; j++) {
                long o = xm + index[j] * rowBytes;
                int w = value[j];
                s0 = s0.add(IntVector.fromMemorySegment(INTS, mem, o, LE).mul(w));
                s1 = s1.add(IntVector.fromMemorySegment(INTS, mem, o + 4L * L, LE).mul(w));
                s2 = s2.add(IntVector.fromMemorySegment(INTS, mem, o + 8L * L, LE).mul(w));
                s3 = s3.add(IntVector.fromMemorySegment(INTS, mem, o + 12L * L, LE).mul(w));
            }
            long am = acc + 4L * m;
            s0.intoMemorySegment(mem, am, LE);
            s1.intoMemorySegment(mem, am + 4L * L, LE);
            s2.intoMemorySegment(mem, am + 8L * L, LE);
            s3.intoMemorySegment(mem, am + 12L * L, LE);
        }
        for (; m < pad; m += L) {
            long xm = x + 4L * m;
            IntVector s0 = IntVector.zero(INTS);
            for (int j = j0; j < j1; j++) {
                s0 = s0.add(IntVector.fromMemorySegment(INTS, mem, xm + index[j] * rowBytes, LE).mul(value[j]));
            }
            s0.intoMemorySegment(mem, acc + 4L * m, LE);
        }
    }

    /** Sums of channel {@code c}'s groups {@code [g0, g1)} of the 2:4 layout into the ints at {@code acc}. */
    private void channelSp24(int c, int g0, int g1, MemorySegment mem, long x, long rowBytes, long acc, int pad) {
        byte[] value = s.value;
        byte[] positions = s.positions;
        int groups = s.k / 4;
        int pb = c * groups;
        int m = 0;
        for (; m + 4 * L <= pad; m += 4 * L) {
            long xm = x + 4L * m;
            IntVector s0 = IntVector.zero(INTS);
            IntVector s1 = s0;
            IntVector s2 = s0;
            IntVector s3 = s0;
            for (int g = g0; g < g1; g++) {
                int p = positions[pb + g];
                long o = xm + 4L * g * rowBytes;
                long o0 = o + (p & 3) * rowBytes;
                long o1 = o + ((p >> 2) & 3) * rowBytes;
                int v = 2 * (pb + g);
                int w0 = value[v];
                int w1 = value[v + 1];
                s0 = s0.add(IntVector.fromMemorySegment(INTS, mem, o0, LE).mul(w0)
                        .add(IntVector.fromMemorySegment(INTS, mem, o1, LE).mul(w1)));
                s1 = s1.add(IntVector.fromMemorySegment(INTS, mem, o0 + 4L * L, LE).mul(w0)
                        .add(IntVector.fromMemorySegment(INTS, mem, o1 + 4L * L, LE).mul(w1)));
                s2 = s2.add(IntVector.fromMemorySegment(INTS, mem, o0 + 8L * L, LE).mul(w0)
                        .add(IntVector.fromMemorySegment(INTS, mem, o1 + 8L * L, LE).mul(w1)));
                s3 = s3.add(IntVector.fromMemorySegment(INTS, mem, o0 + 12L * L, LE).mul(w0)
                        .add(IntVector.fromMemorySegment(INTS, mem, o1 + 12L * L, LE).mul(w1)));
            }
            long am = acc + 4L * m;
            s0.intoMemorySegment(mem, am, LE);
            s1.intoMemorySegment(mem, am + 4L * L, LE);
            s2.intoMemorySegment(mem, am + 8L * L, LE);
            s3.intoMemorySegment(mem, am + 12L * L, LE);
        }
        for (; m < pad; m += L) {
            long xm = x + 4L * m;
            IntVector s0 = IntVector.zero(INTS);
            for (int g = g0; g < g1; g++) {
                int p = positions[pb + g];
                long o = xm + 4L * g * rowBytes;
                int v = 2 * (pb + g);
                s0 = s0.add(IntVector.fromMemorySegment(INTS, mem, o + (p & 3) * rowBytes, LE).mul(value[v])
                        .add(IntVector.fromMemorySegment(INTS, mem, o + ((p >> 2) & 3) * rowBytes, LE)
                                .mul(value[v + 1])));
            }
            s0.intoMemorySegment(mem, acc + 4L * m, LE);
        }
    }

    /**
     * Sums of channel {@code c}'s k in {@code [k0, k1)} of the LUT layout: each weight decoded from
     * its nibble and the channel's table once per four vectors of pixels (the dense work, in the
     * sparse kernel's loop: the Vector API has no byte shuffle into the int multiply).
     */
    private void channelLut(int c, int k0, int k1, MemorySegment mem, long x, long rowBytes, long acc, int pad) {
        byte[] indices = s.indices;
        byte[] tables = s.tables;
        int ib = c * ((s.k + 1) / 2);
        int tb = c * 16;
        int m = 0;
        for (; m + 4 * L <= pad; m += 4 * L) {
            long xm = x + 4L * m;
            IntVector s0 = IntVector.zero(INTS);
            IntVector s1 = s0;
            IntVector s2 = s0;
            IntVector s3 = s0;
            for (int j = k0; j < k1; j++) {
                long o = xm + j * rowBytes;
                int w = tables[tb + ((indices[ib + (j >> 1)] >> ((j & 1) << 2)) & 15)];
                s0 = s0.add(IntVector.fromMemorySegment(INTS, mem, o, LE).mul(w));
                s1 = s1.add(IntVector.fromMemorySegment(INTS, mem, o + 4L * L, LE).mul(w));
                s2 = s2.add(IntVector.fromMemorySegment(INTS, mem, o + 8L * L, LE).mul(w));
                s3 = s3.add(IntVector.fromMemorySegment(INTS, mem, o + 12L * L, LE).mul(w));
            }
            long am = acc + 4L * m;
            s0.intoMemorySegment(mem, am, LE);
            s1.intoMemorySegment(mem, am + 4L * L, LE);
            s2.intoMemorySegment(mem, am + 8L * L, LE);
            s3.intoMemorySegment(mem, am + 12L * L, LE);
        }
        for (; m < pad; m += L) {
            long xm = x + 4L * m;
            IntVector s0 = IntVector.zero(INTS);
            for (int j = k0; j < k1; j++) {
                int w = tables[tb + ((indices[ib + (j >> 1)] >> ((j & 1) << 2)) & 15)];
                s0 = s0.add(IntVector.fromMemorySegment(INTS, mem, xm + j * rowBytes, LE).mul(w));
            }
            s0.intoMemorySegment(mem, acc + 4L * m, LE);
        }
    }

    /** {@code count} int sums at {@code ints} into the long sums at {@code longs} (set when {@code first}). */
    private static void widen(MemorySegment mem, long ints, long longs, int count, boolean first) {
        for (int h = 0; h < count; h += HALF) {
            LongVector v = (LongVector) IntVector.fromMemorySegment(HALF_INTS, mem, ints + 4L * h, LE)
                    .convertShape(VectorOperators.I2L, LONGS, 0);
            if (!first) {
                v = v.add(LongVector.fromMemorySegment(LONGS, mem, longs + 8L * h, LE));
            }
            v.intoMemorySegment(mem, longs + 8L * h, LE);
        }
    }

    /** Channel {@code c}'s output stage on the {@code pad} sums, the first {@code rows} shorts stored (stride N). */
    private void store(int c, MemorySegment mem, boolean wide, long ints, long longs, long shorts, long out, int rows,
            int pad) {
        long dst = out + 2L * c;
        long outStride = 2L * s.n;
        if (s.stage != Int16Gemm.STAGE_INT64) {
            for (int r = 0; r < rows; r++) {
                long sum = wide ? mem.get(ValueLayout.JAVA_LONG_UNALIGNED, longs + 8L * r)
                        : mem.get(ValueLayout.JAVA_INT_UNALIGNED, ints + 4L * r);
                mem.set(ValueLayout.JAVA_SHORT_UNALIGNED, dst + r * outStride, (short) s.output(sum + s.bias[c], c));
            }
            return;
        }
        for (int h = 0; h < pad; h += HALF) {
            requantize(s.bias[c], s.reduced[c], s.rounding[c], s.totalShifts[c], s.signOffsets[c], s.actMin, s.actMax,
                    mem, wide, wide ? longs + 8L * h : ints + 4L * h, shorts + 2L * h);
        }
        for (int r = 0; r < rows; r++) {
            mem.set(ValueLayout.JAVA_SHORT_UNALIGNED, dst + r * outStride,
                    mem.get(ValueLayout.JAVA_SHORT_UNALIGNED, shorts + 2L * r));
        }
    }

    /**
     * TFLite's int64 {@code MultiplyByQuantizedMultiplier} of {@code HALF} sums (int64, or exact
     * int32 when {@code !wide}) plus the bias, one channel's constants broadcast, clamped, as shorts.
     */
    private static void requantize(long bias, long reduced, long rounding, long totalShift, long signOffset,
            int actMin, int actMax, MemorySegment mem, boolean wide, long src, long dst) {
        LongVector acc = wide ? LongVector.fromMemorySegment(LONGS, mem, src, LE)
                : (LongVector) IntVector.fromMemorySegment(HALF_INTS, mem, src, LE).convertShape(VectorOperators.I2L,
                        LONGS, 0);
        LongVector p = acc.add(bias).mul(reduced).add(rounding);
        LongVector q = p.lanewise(VectorOperators.XOR, Long.MIN_VALUE).lanewise(VectorOperators.LSHR, totalShift)
                .sub(signOffset);
        IntVector r = ((IntVector) q.convertShape(VectorOperators.L2I, HALF_INTS, 0)).max(actMin).min(actMax);
        ((ShortVector) r.convertShape(VectorOperators.I2S, HALF_SHORTS, 0)).intoMemorySegment(mem, dst, LE);
    }
}
