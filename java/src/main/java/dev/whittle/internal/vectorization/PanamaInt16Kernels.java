package dev.whittle.internal.vectorization;

import jdk.incubator.vector.ByteVector;
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
 * The 16x8 kernels on the Vector API.
 *
 * <p>GEMM ({@code 4x32} on AVX-512, {@code 4x16} on AVX2): as {@link PanamaInt8GemmKernels},
 * an outer product per k: one vector of weight bytes per half tile, sign-extended to int
 * lanes ({@code vpmovsxbd}), times each row's broadcast int16 activation ({@code vpmulld}),
 * eight int accumulators. An int16 x int8 product fits int32 (at most {@code 2^22}), and the
 * K loop runs in blocks of {@link Int16Gemm#K_BLOCK} = 256 k whose int32 sums cannot
 * overflow ({@code 256 * 2^22 = 2^30}); each block's sums are widened and added to int64
 * accumulators in scratch (one widen per 256 multiply-adds), so any K is exact. With
 * K <= 256 (one block) the int32 sums go straight to the output stage.
 *
 * <p>Depthwise ({@code 16c} / {@code 8c}): channels in int lanes, per tap the input shorts
 * sign-extended ({@code vpmovsxwd}) times the int weights; at most 511 taps, exact in int32.
 *
 * <p>Output stage (CONV_2D, depthwise): TFLite's int64 {@code MultiplyByQuantizedMultiplier}
 * in long lanes, half an int vector at a time ({@link Int16Stage}: the arithmetic shift as a
 * logical one of the sign-flipped product); the FULLY_CONNECTED stages (ruy's, double) run
 * per output from the int64 sums ({@link Int16Gemm#output}): one per K multiply-adds.
 *
 * <p>JIT: as in {@link PanamaInt8GemmKernels}, vectors never cross a call (accumulators go
 * through the scratch), so no vector is boxed if C2 declines to inline a callee.
 */
final class PanamaInt16Kernels implements Int16Kernels {
    static final PanamaInt16Kernels INSTANCE = new PanamaInt16Kernels();

    private static final VectorSpecies<Integer> INTS = IntVector.SPECIES_PREFERRED;
    private static final int L = INTS.length();
    private static final int HALF = L / 2;
    private static final int NR = 2 * L;
    private static final VectorSpecies<Long> LONGS = VectorSpecies.of(long.class, INTS.vectorShape());
    private static final VectorSpecies<Byte> BYTES = VectorSpecies.of(byte.class,
            VectorShape.forBitSize(Math.max(64, L * 8)));
    private static final VectorSpecies<Short> SHORTS = VectorSpecies.of(short.class,
            VectorShape.forBitSize(L * 16));
    private static final VectorSpecies<Integer> HALF_INTS = VectorSpecies.of(int.class,
            VectorShape.forBitSize(INTS.vectorBitSize() / 2));
    private static final VectorSpecies<Short> HALF_SHORTS = VectorSpecies.of(short.class,
            VectorShape.forBitSize(Math.max(64, HALF * 16)));
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    private static final int K_BLOCK = Int16Gemm.K_BLOCK;
    // Scratch layout: int64 accumulators, int32 block sums, one row of output shorts.
    private static final long LONG_ACC = 0;
    private static final long INT_ACC = 8L * MR * NR;
    private static final long OUT_ROW = INT_ACC + 4L * MR * NR;
    private static final long TMP_BYTES = OUT_ROW + 2L * NR + 64;

    private PanamaInt16Kernels() {
    }

    /** The int vector width in bits. */
    static int bits() {
        return INTS.vectorBitSize();
    }

    @Override
    public int nr() {
        return NR;
    }

    @Override
    public int lanes() {
        return L;
    }

    @Override
    public long tmpBytes() {
        return TMP_BYTES;
    }

    @Override
    public void gemm(Int16Gemm g, int tile, int rows, MemorySegment a, long aOff, long aStride, MemorySegment out,
            long outOff, long outStride, MemorySegment tmp, long tmpOff) {
        if (rows == MR && g.n - tile * NR <= L) {
            rows4Narrow(g, tile, a, aOff, aStride, tmp, tmpOff);
        } else if (rows == MR) {
            rows4(g, tile, a, aOff, aStride, tmp, tmpOff);
        } else {
            for (int r = 0; r < rows; r++) {
                row1(g, tile, a, aOff + r * aStride, tmp, tmpOff + 8L * NR * r, tmpOff + INT_ACC + 4L * NR * r);
            }
        }
        finish(g, tile, rows, out, outOff, outStride, tmp, tmpOff);
    }

    private static void rows4(Int16Gemm g, int tile, MemorySegment a, long aOff, long aStride, MemorySegment tmp,
            long tmpOff) {
        int k = g.k;
        byte[] w = g.packed;
        long r0 = aOff;
        long r1 = r0 + aStride;
        long r2 = r1 + aStride;
        long r3 = r2 + aStride;
        long ints = tmpOff + INT_ACC;
        for (int kb = 0; kb < k; kb += K_BLOCK) {
            int ke = Math.min(k, kb + K_BLOCK);
            IntVector a00 = IntVector.zero(INTS);
            IntVector a01 = a00;
            IntVector a10 = a00;
            IntVector a11 = a00;
            IntVector a20 = a00;
            IntVector a21 = a00;
            IntVector a30 = a00;
            IntVector a31 = a00;
            int wo = (tile * k + kb) * NR;
            for (int i = kb; i < ke; i++, wo += NR) {
                IntVector w0 = (IntVector) ByteVector.fromArray(BYTES, w, wo).convertShape(VectorOperators.B2I, INTS, 0);
                IntVector w1 = (IntVector) ByteVector.fromArray(BYTES, w, wo + L)
                        .convertShape(VectorOperators.B2I, INTS, 0);
                int x0 = a.get(ValueLayout.JAVA_SHORT_UNALIGNED, r0 + 2L * i);
                int x1 = a.get(ValueLayout.JAVA_SHORT_UNALIGNED, r1 + 2L * i);
                int x2 = a.get(ValueLayout.JAVA_SHORT_UNALIGNED, r2 + 2L * i);
                int x3 = a.get(ValueLayout.JAVA_SHORT_UNALIGNED, r3 + 2L * i);
                a00 = a00.add(w0.mul(x0));
                a01 = a01.add(w1.mul(x0));
                a10 = a10.add(w0.mul(x1));
                a11 = a11.add(w1.mul(x1));
                a20 = a20.add(w0.mul(x2));
                a21 = a21.add(w1.mul(x2));
                a30 = a30.add(w0.mul(x3));
                a31 = a31.add(w1.mul(x3));
            }
            a00.intoMemorySegment(tmp, ints, LE);
            a01.intoMemorySegment(tmp, ints + 4L * L, LE);
            a10.intoMemorySegment(tmp, ints + 4L * NR, LE);
            a11.intoMemorySegment(tmp, ints + 4L * (NR + L), LE);
            a20.intoMemorySegment(tmp, ints + 8L * NR, LE);
            a21.intoMemorySegment(tmp, ints + 4L * (2 * NR + L), LE);
            a30.intoMemorySegment(tmp, ints + 12L * NR, LE);
            a31.intoMemorySegment(tmp, ints + 4L * (3 * NR + L), LE);
            if (k > K_BLOCK) {
                widen(tmp, ints, tmpOff + LONG_ACC, MR * NR, kb == 0);
            }
        }
    }

    /** {@link #rows4} for a tile whose channels fit one int vector: half the multiplies. */
    private static void rows4Narrow(Int16Gemm g, int tile, MemorySegment a, long aOff, long aStride,
            MemorySegment tmp, long tmpOff) {
        int k = g.k;
        byte[] w = g.packed;
        long r0 = aOff;
        long r1 = r0 + aStride;
        long r2 = r1 + aStride;
        long r3 = r2 + aStride;
        long ints = tmpOff + INT_ACC;
        for (int kb = 0; kb < k; kb += K_BLOCK) {
            int ke = Math.min(k, kb + K_BLOCK);
            IntVector a0 = IntVector.zero(INTS);
            IntVector a1 = a0;
            IntVector a2 = a0;
            IntVector a3 = a0;
            int wo = (tile * k + kb) * NR;
            for (int i = kb; i < ke; i++, wo += NR) {
                IntVector w0 = (IntVector) ByteVector.fromArray(BYTES, w, wo).convertShape(VectorOperators.B2I, INTS, 0);
                a0 = a0.add(w0.mul(a.get(ValueLayout.JAVA_SHORT_UNALIGNED, r0 + 2L * i)));
                a1 = a1.add(w0.mul(a.get(ValueLayout.JAVA_SHORT_UNALIGNED, r1 + 2L * i)));
                a2 = a2.add(w0.mul(a.get(ValueLayout.JAVA_SHORT_UNALIGNED, r2 + 2L * i)));
                a3 = a3.add(w0.mul(a.get(ValueLayout.JAVA_SHORT_UNALIGNED, r3 + 2L * i)));
            }
            // The second half of each row is left as it was: finish reads only real channels.
            a0.intoMemorySegment(tmp, ints, LE);
            a1.intoMemorySegment(tmp, ints + 4L * NR, LE);
            a2.intoMemorySegment(tmp, ints + 8L * NR, LE);
            a3.intoMemorySegment(tmp, ints + 12L * NR, LE);
            if (k > K_BLOCK) {
                for (int r = 0; r < MR; r++) {
                    widen(tmp, ints + 4L * NR * r, tmpOff + LONG_ACC + 8L * NR * r, L, kb == 0);
                }
            }
        }
    }

    private static void row1(Int16Gemm g, int tile, MemorySegment a, long row, MemorySegment tmp, long longs,
            long ints) {
        int k = g.k;
        byte[] w = g.packed;
        for (int kb = 0; kb < k; kb += K_BLOCK) {
            int ke = Math.min(k, kb + K_BLOCK);
            IntVector a0 = IntVector.zero(INTS);
            IntVector a1 = a0;
            int wo = (tile * k + kb) * NR;
            for (int i = kb; i < ke; i++, wo += NR) {
                int x = a.get(ValueLayout.JAVA_SHORT_UNALIGNED, row + 2L * i);
                a0 = a0.add(((IntVector) ByteVector.fromArray(BYTES, w, wo).convertShape(VectorOperators.B2I, INTS, 0))
                        .mul(x));
                a1 = a1.add(((IntVector) ByteVector.fromArray(BYTES, w, wo + L)
                        .convertShape(VectorOperators.B2I, INTS, 0)).mul(x));
            }
            a0.intoMemorySegment(tmp, ints, LE);
            a1.intoMemorySegment(tmp, ints + 4L * L, LE);
            if (k > K_BLOCK) {
                widen(tmp, ints, longs, NR, kb == 0);
            }
        }
    }

    /** {@code count} int sums at {@code ints} into the long accumulators at {@code longs} (set when {@code first}). */
    private static void widen(MemorySegment tmp, long ints, long longs, int count, boolean first) {
        for (int h = 0; h < count; h += HALF) {
            LongVector v = (LongVector) IntVector.fromMemorySegment(HALF_INTS, tmp, ints + 4L * h, LE)
                    .convertShape(VectorOperators.I2L, LONGS, 0);
            if (!first) {
                v = v.add(LongVector.fromMemorySegment(LONGS, tmp, longs + 8L * h, LE));
            }
            v.intoMemorySegment(tmp, longs + 8L * h, LE);
        }
    }

    /**
     * The output stage of {@code rows} rows of sums: int64 ones ({@code NR} per row at
     * {@code LONG_ACC}) when K spans several blocks, else the exact int32 ones of the single
     * block ({@code INT_ACC}), which skip the widening.
     */
    private static void finish(Int16Gemm g, int tile, int rows, MemorySegment out, long outOff, long outStride,
            MemorySegment tmp, long tmpOff) {
        int c = tile * NR;
        int cols = Math.min(NR, g.n - c);
        boolean wide = g.k > K_BLOCK;
        for (int r = 0; r < rows; r++) {
            long acc = wide ? tmpOff + LONG_ACC + 8L * NR * r : tmpOff + INT_ACC + 4L * NR * r;
            int bytes = wide ? 8 : 4;
            long dst = outOff + r * outStride + 2L * c;
            if (g.stage != Int16Gemm.STAGE_INT64) {
                for (int j = 0; j < cols; j++) {
                    long sum = wide ? tmp.get(ValueLayout.JAVA_LONG_UNALIGNED, acc + 8L * j)
                            : tmp.get(ValueLayout.JAVA_INT_UNALIGNED, acc + 4L * j);
                    out.set(ValueLayout.JAVA_SHORT_UNALIGNED, dst + 2L * j, (short) g.output(sum, c + j));
                }
                continue;
            }
            for (int h = 0; h < cols; h += HALF) {
                boolean whole = h + HALF <= cols;
                long row = tmpOff + OUT_ROW;
                MemorySegment target = whole ? out : tmp;
                long at = whole ? dst + 2L * h : row;
                if (wide) {
                    requantize(g.bias, g.reduced, g.rounding, g.totalShifts, g.signOffsets, c + h, g.actMin, g.actMax,
                            tmp, acc + 8L * h, target, at);
                } else {
                    requantizeInts(g.bias, g.reduced, g.rounding, g.totalShifts, g.signOffsets, c + h, g.actMin,
                            g.actMax, tmp, acc + 4L * h, target, at);
                }
                if (!whole) {
                    for (int j = h; j < cols; j++) {
                        out.set(ValueLayout.JAVA_SHORT_UNALIGNED, dst + 2L * j,
                                tmp.get(ValueLayout.JAVA_SHORT_UNALIGNED, row + 2L * (j - h)));
                    }
                }
            }
        }
    }

    /** {@link #requantize} of {@code HALF} exact int32 sums. */
    private static void requantizeInts(long[] bias, long[] reduced, long[] rounding, long[] totalShifts,
            long[] signOffsets, int c, int actMin, int actMax, MemorySegment src, long srcOff, MemorySegment dst,
            long dstOff) {
        LongVector acc = ((LongVector) IntVector.fromMemorySegment(HALF_INTS, src, srcOff, LE)
                .convertShape(VectorOperators.I2L, LONGS, 0)).add(LongVector.fromArray(LONGS, bias, c));
        LongVector p = acc.mul(LongVector.fromArray(LONGS, reduced, c)).add(LongVector.fromArray(LONGS, rounding, c));
        LongVector q = p.lanewise(VectorOperators.XOR, Long.MIN_VALUE)
                .lanewise(VectorOperators.LSHR, LongVector.fromArray(LONGS, totalShifts, c))
                .sub(LongVector.fromArray(LONGS, signOffsets, c));
        IntVector r = ((IntVector) q.convertShape(VectorOperators.L2I, HALF_INTS, 0)).max(actMin).min(actMax);
        ((ShortVector) r.convertShape(VectorOperators.I2S, HALF_SHORTS, 0)).intoMemorySegment(dst, dstOff, LE);
    }

    /**
     * TFLite's int64 {@code MultiplyByQuantizedMultiplier} of {@code HALF} int64 sums of channels
     * {@code c..} (plus their bias), clamped, written as shorts at {@code dstOff}.
     */
    private static void requantize(long[] bias, long[] reduced, long[] rounding, long[] totalShifts,
            long[] signOffsets, int c, int actMin, int actMax, MemorySegment src, long srcOff, MemorySegment dst,
            long dstOff) {
        LongVector acc = LongVector.fromMemorySegment(LONGS, src, srcOff, LE).add(LongVector.fromArray(LONGS, bias, c));
        LongVector p = acc.mul(LongVector.fromArray(LONGS, reduced, c)).add(LongVector.fromArray(LONGS, rounding, c));
        LongVector q = p.lanewise(VectorOperators.XOR, Long.MIN_VALUE)
                .lanewise(VectorOperators.LSHR, LongVector.fromArray(LONGS, totalShifts, c))
                .sub(LongVector.fromArray(LONGS, signOffsets, c));
        IntVector r = ((IntVector) q.convertShape(VectorOperators.L2I, HALF_INTS, 0)).max(actMin).min(actMax);
        ((ShortVector) r.convertShape(VectorOperators.I2S, HALF_SHORTS, 0)).intoMemorySegment(dst, dstOff, LE);
    }

    @Override
    public void depthwise(Int16Depthwise d, MemorySegment in, long inOff, MemorySegment out, long outOff, int b,
            int oy, int ox0, int ox1, MemorySegment tmp, long tmpOff) {
        int c = d.c;
        int full = c / L * L;
        // Valid taps of this row: the same for every pixel.
        int fy0 = 0;
        while (fy0 < d.kh && oy * d.strideH - d.padH + d.dilH * fy0 < 0) {
            fy0++;
        }
        int fy1 = d.kh;
        while (fy1 > fy0 && oy * d.strideH - d.padH + d.dilH * (fy1 - 1) >= d.inH) {
            fy1--;
        }
        // Pixels whose whole window is inside the row: four at a time share each weight load.
        int inLo = ceilDiv(d.padW, d.strideW);
        int inHi = Math.min(ox1, Math.max(inLo, floorDiv(d.inW - 1 + d.padW - d.dilW * (d.kw - 1), d.strideW) + 1));
        int quadEnd = full == 0 || inHi - Math.max(ox0, inLo) < 4 ? -1 : Math.max(ox0, inLo) + (inHi - Math.max(ox0,
                inLo)) / 4 * 4;
        // Channels dividing the lanes (8 on AVX-512, MobileNet's first depthwise): 4 vectors of
        // `group` pixels each.
        int span = 4 * d.group;
        int groupEnd = d.group == 1 || L != d.cp || inHi - Math.max(ox0, inLo) < span ? -1
                : Math.max(ox0, inLo) + (inHi - Math.max(ox0, inLo)) / span * span;
        for (int ox = ox0; ox < ox1; ox++) {
            long dst = outOff + 2L * (((long) b * d.outH + oy) * d.outW + ox) * c;
            if (ox >= inLo && ox + span <= groupEnd) {
                dwGroup4(d, in, inOff, b, oy, ox, fy0, fy1, out, dst, tmp, tmpOff);
                ox += span - 1;
                continue;
            }
            if (ox >= inLo && ox + 4 <= quadEnd) {
                for (int c0 = 0; c0 < full; c0 += L) {
                    dwVector4(d, in, inOff, b, oy, ox, fy0, fy1, c0, out, dst, tmp, tmpOff);
                }
                if (full < c) {
                    for (int q = 0; q < 4; q++) {
                        dwTail(d, in, inOff, b, oy, ox + q, fy0, fy1, 0, d.kw, full, out, dst + 2L * q * c, tmp,
                                tmpOff);
                    }
                }
                ox += 3;
                continue;
            }
            int fx0 = 0;
            while (fx0 < d.kw && ox * d.strideW - d.padW + d.dilW * fx0 < 0) {
                fx0++;
            }
            int fx1 = d.kw;
            while (fx1 > fx0 && ox * d.strideW - d.padW + d.dilW * (fx1 - 1) >= d.inW) {
                fx1--;
            }
            for (int c0 = 0; c0 < full; c0 += L) {
                dwVector(d, in, inOff, b, oy, ox, fy0, fy1, fx0, fx1, c0, out, dst, tmp, tmpOff);
            }
            if (full < c) {
                dwTail(d, in, inOff, b, oy, ox, fy0, fy1, fx0, fx1, full, out, dst, tmp, tmpOff);
            }
        }
    }

    private static int ceilDiv(int a, int b) {
        return Math.floorDiv(a + b - 1, b);
    }

    private static int floorDiv(int a, int b) {
        return Math.floorDiv(a, b);
    }

    /** Channels {@code [full, c)} of one pixel: a whole vector when its loads stay in the input, else one by one. */
    private static void dwTail(Int16Depthwise d, MemorySegment in, long inOff, int b, int oy, int ox, int fy0,
            int fy1, int fx0, int fx1, int full, MemorySegment out, long dst, MemorySegment tmp, long tmpOff) {
        int c = d.c;
        {
            // The last channels: a whole vector too (the lanes past the channels read the next
            // pixel's inputs and are dropped) unless its last load would pass the end of the input.
            boolean inside = fy1 > fy0 && fx1 > fx0 && ((((long) b * d.inH + oy * d.strideH - d.padH
                    + d.dilH * (fy1 - 1)) * d.inW + ox * d.strideW - d.padW + d.dilW * (fx1 - 1)) * c + full + L
                    <= (long) d.batches * d.inH * d.inW * c);
            if (inside) {
                dwVector(d, in, inOff, b, oy, ox, fy0, fy1, fx0, fx1, full, out, dst, tmp, tmpOff);
                return;
            }
            for (int ch = full; ch < c; ch++) {
                long acc = 0;
                for (int fy = fy0; fy < fy1; fy++) {
                    int iy = oy * d.strideH - d.padH + d.dilH * fy;
                    for (int fx = fx0; fx < fx1; fx++) {
                        int ix = ox * d.strideW - d.padW + d.dilW * fx;
                        long src = inOff + 2L * ((((long) b * d.inH + iy) * d.inW + ix) * c + ch);
                        acc += in.get(ValueLayout.JAVA_SHORT_UNALIGNED, src) * d.weights[(fy * d.kw + fx) * d.cp + ch];
                    }
                }
                out.set(ValueLayout.JAVA_SHORT_UNALIGNED, dst + 2L * ch, (short) d.output(acc, ch));
            }
        }
    }

    /**
     * All channels of pixels {@code ox..ox + 4 * group - 1} (windows inside the row, stride 1
     * along W): each vector holds {@code group} adjacent pixels, loaded as one.
     */
    private static void dwGroup4(Int16Depthwise d, MemorySegment in, long inOff, int b, int oy, int ox, int fy0,
            int fy1, MemorySegment out, long dst, MemorySegment tmp, long tmpOff) {
        int c = d.c;
        int[] w = d.groupWeights;
        long vec = 2L * L;
        long step = 2L * d.dilW * c;
        IntVector a0 = IntVector.zero(INTS);
        IntVector a1 = a0;
        IntVector a2 = a0;
        IntVector a3 = a0;
        for (int fy = fy0; fy < fy1; fy++) {
            int iy = oy * d.strideH - d.padH + d.dilH * fy;
            long src = inOff + 2L * ((((long) b * d.inH + iy) * d.inW + ox - d.padW) * c);
            int wt = fy * d.kw * L;
            for (int fx = 0; fx < d.kw; fx++, wt += L, src += step) {
                IntVector wv = IntVector.fromArray(INTS, w, wt);
                a0 = a0.add(((IntVector) ShortVector.fromMemorySegment(SHORTS, in, src, LE)
                        .convertShape(VectorOperators.S2I, INTS, 0)).mul(wv));
                a1 = a1.add(((IntVector) ShortVector.fromMemorySegment(SHORTS, in, src + vec, LE)
                        .convertShape(VectorOperators.S2I, INTS, 0)).mul(wv));
                a2 = a2.add(((IntVector) ShortVector.fromMemorySegment(SHORTS, in, src + 2 * vec, LE)
                        .convertShape(VectorOperators.S2I, INTS, 0)).mul(wv));
                a3 = a3.add(((IntVector) ShortVector.fromMemorySegment(SHORTS, in, src + 3 * vec, LE)
                        .convertShape(VectorOperators.S2I, INTS, 0)).mul(wv));
            }
        }
        long ints = tmpOff + INT_ACC;
        a0.intoMemorySegment(tmp, ints, LE);
        a1.intoMemorySegment(tmp, ints + 4L * L, LE);
        a2.intoMemorySegment(tmp, ints + 8L * L, LE);
        a3.intoMemorySegment(tmp, ints + 12L * L, LE);
        for (int h = 0; h < 4 * L; h += HALF) {
            requantizeInts(d.groupBias, d.groupReduced, d.groupRounding, d.groupTotalShifts, d.groupSignOffsets,
                    h % L, d.actMin, d.actMax, tmp, ints + 4L * h, out, dst + 2L * h);
        }
    }

    /**
     * Channels {@code [c0, c0 + L)} of pixels {@code ox..ox + 3}, whose windows are inside the
     * row (all {@code kw} taps): each weight vector is loaded once for the four.
     */
    private static void dwVector4(Int16Depthwise d, MemorySegment in, long inOff, int b, int oy, int ox, int fy0,
            int fy1, int c0, MemorySegment out, long dst, MemorySegment tmp, long tmpOff) {
        int c = d.c;
        int cp = d.cp;
        int[] w = d.weights;
        long pixel = 2L * d.strideW * c;
        long step = 2L * d.dilW * c;
        IntVector a0 = IntVector.zero(INTS);
        IntVector a1 = a0;
        IntVector a2 = a0;
        IntVector a3 = a0;
        for (int fy = fy0; fy < fy1; fy++) {
            int iy = oy * d.strideH - d.padH + d.dilH * fy;
            long src = inOff + 2L * ((((long) b * d.inH + iy) * d.inW + ox * d.strideW - d.padW) * c + c0);
            int wt = fy * d.kw * cp + c0;
            for (int fx = 0; fx < d.kw; fx++, wt += cp, src += step) {
                IntVector wv = IntVector.fromArray(INTS, w, wt);
                a0 = a0.add(((IntVector) ShortVector.fromMemorySegment(SHORTS, in, src, LE)
                        .convertShape(VectorOperators.S2I, INTS, 0)).mul(wv));
                a1 = a1.add(((IntVector) ShortVector.fromMemorySegment(SHORTS, in, src + pixel, LE)
                        .convertShape(VectorOperators.S2I, INTS, 0)).mul(wv));
                a2 = a2.add(((IntVector) ShortVector.fromMemorySegment(SHORTS, in, src + 2 * pixel, LE)
                        .convertShape(VectorOperators.S2I, INTS, 0)).mul(wv));
                a3 = a3.add(((IntVector) ShortVector.fromMemorySegment(SHORTS, in, src + 3 * pixel, LE)
                        .convertShape(VectorOperators.S2I, INTS, 0)).mul(wv));
            }
        }
        long ints = tmpOff + INT_ACC;
        a0.intoMemorySegment(tmp, ints, LE);
        a1.intoMemorySegment(tmp, ints + 4L * L, LE);
        a2.intoMemorySegment(tmp, ints + 8L * L, LE);
        a3.intoMemorySegment(tmp, ints + 12L * L, LE);
        for (int q = 0; q < 4; q++) {
            for (int h = 0; h < L; h += HALF) {
                requantizeInts(d.bias, d.reduced, d.rounding, d.totalShifts, d.signOffsets, c0 + h, d.actMin,
                        d.actMax, tmp, ints + 4L * (q * L + h), out, dst + 2L * (q * c + c0 + h));
            }
        }
    }

    /**
     * Channels {@code [c0, min(c0 + L, c))} of one pixel whose valid taps are
     * {@code [fy0, fy1) x [fx0, fx1)}; whole vector loads (the caller checks they stay in the
     * input). Whole half vectors of outputs go through the vector stage, the rest one by one.
     * One species throughout ({@code INTS}, {@code SHORTS}): a half-width loop beside this one
     * made C2 sometimes compile the shared Vector API templates for the wrong shape and box.
     */
    private static void dwVector(Int16Depthwise d, MemorySegment in, long inOff, int b, int oy, int ox, int fy0,
            int fy1, int fx0, int fx1, int c0, MemorySegment out, long dst, MemorySegment tmp, long tmpOff) {
        int c = d.c;
        int cp = d.cp;
        int[] w = d.weights;
        IntVector acc = IntVector.zero(INTS);
        for (int fy = fy0; fy < fy1; fy++) {
            int iy = oy * d.strideH - d.padH + d.dilH * fy;
            long src = inOff + 2L * ((((long) b * d.inH + iy) * d.inW + ox * d.strideW - d.padW + d.dilW * fx0) * c
                    + c0);
            long step = 2L * d.dilW * c;
            int wt = (fy * d.kw + fx0) * cp + c0;
            for (int fx = fx0; fx < fx1; fx++, wt += cp, src += step) {
                IntVector x = (IntVector) ShortVector.fromMemorySegment(SHORTS, in, src, LE)
                        .convertShape(VectorOperators.S2I, INTS, 0);
                acc = acc.add(x.mul(IntVector.fromArray(INTS, w, wt)));
            }
        }
        long ints = tmpOff + INT_ACC;
        acc.intoMemorySegment(tmp, ints, LE);
        int valid = Math.min(L, c - c0);
        int h = 0;
        for (; h + HALF <= valid; h += HALF) {
            requantizeInts(d.bias, d.reduced, d.rounding, d.totalShifts, d.signOffsets, c0 + h, d.actMin, d.actMax,
                    tmp, ints + 4L * h, out, dst + 2L * (c0 + h));
        }
        for (; h < valid; h++) {
            out.set(ValueLayout.JAVA_SHORT_UNALIGNED, dst + 2L * (c0 + h),
                    (short) d.output(tmp.get(ValueLayout.JAVA_INT_UNALIGNED, ints + 4L * h), c0 + h));
        }
    }
}
