package dev.whittle.internal.vectorization;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * The int8 depthwise loop on the Vector API: channels in int lanes (16 on AVX-512, 8 on AVX2).
 * Per tap, the input bytes of a vector of channels are sign- or zero-extended to int lanes
 * ({@code vpmovsxbd}) and multiplied by the packed int32 weights ({@code vpmulld}); four
 * pixels share each weight vector and keep four independent accumulator chains (one chain
 * alone waits on {@code vpmulld}'s latency at every tap). int32 weights rather than int16:
 * the Vector API has no {@code vpmaddwd}, and a uint8 product {@code (w - zp) * x} needs 17
 * bits anyway.
 *
 * <p>The output stage is {@link PanamaInt8GemmKernels}'s gemmlowp one: half an int vector at
 * a time in long lanes, {@code floor((x * m + 2^30) / 2^31)} as a logical shift of
 * {@code x * m + 2^62 + 2^30}, then RoundingDivideByPOT in int lanes. Accumulators go through
 * the scratch arrays between the two (C2 boxes vectors passed to calls it does not inline).
 */
final class PanamaInt8DepthwiseKernels implements Int8DepthwiseKernels {
    static final PanamaInt8DepthwiseKernels INSTANCE = new PanamaInt8DepthwiseKernels();

    private static final VectorSpecies<Integer> INTS = IntVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Long> LONGS = VectorSpecies.of(long.class, INTS.vectorShape());
    /** One byte lane per int lane: 128 bits on AVX-512, 64 on AVX2. */
    private static final VectorSpecies<Byte> BYTES = VectorSpecies.of(byte.class,
            VectorShape.forBitSize(Math.max(64, INTS.length() * 8)));
    private static final VectorSpecies<Integer> HALF_INTS = VectorSpecies.of(int.class,
            VectorShape.forBitSize(INTS.vectorBitSize() / 2));
    /** Bytes of half an int vector, at least 64 bits (AVX2: 4 real lanes, the slack absorbs the rest). */
    private static final VectorSpecies<Byte> HALF_BYTES = VectorSpecies.of(byte.class,
            VectorShape.forBitSize(Math.max(64, HALF_INTS.length() * 8)));
    private static final int L = INTS.length();
    private static final int HALF = L / 2;
    private static final long ROUND_BIAS = (1L << 62) + (1L << 30);
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    // Signed and unsigned loops are separate methods so that each widening is a constant
    // conversion (vpmovsxbd / vpmovzxbd) with nothing after it. The loads are written out in
    // each loop, not in a helper: a helper returning a vector that C2 fails to inline (its
    // node-count cutoff, reached once a caller inlined several loops) boxes every load.
    private static final VectorOperators.Conversion<Byte, Integer> SX = VectorOperators.B2I;
    private static final VectorOperators.Conversion<Byte, Integer> ZX = VectorOperators.ZERO_EXTEND_B2I;

    private PanamaInt8DepthwiseKernels() {
    }

    @Override
    public int lanes() {
        return L;
    }

    @Override
    public String isa() {
        return "panama" + INTS.vectorBitSize();
    }

    /** The lane shuffle of each channel block ({@link Int8Depthwise#SHUFFLE}), made once per node. */
    @Override
    public Object prepare(Int8Depthwise d) {
        if (d.mode != Int8Depthwise.SHUFFLE) {
            return null;
        }
        @SuppressWarnings("unchecked")
        VectorShuffle<Integer>[] shuffles = new VectorShuffle[d.cp / L];
        for (int b = 0; b < shuffles.length; b++) {
            shuffles[b] = VectorShuffle.fromArray(INTS, d.shuffle, b * L);
        }
        return shuffles;
    }

    @Override
    public void run(Int8Depthwise d, int pixels, MemorySegment in, long inEnd, long inOff, long inStep, long[] tapIn,
            int[] tapW, int taps, boolean interior, MemorySegment out, long outOff, long outStep, int outBytes,
            Scratch s) {
        long maxTap = 0;
        for (int t = 0; t < taps; t++) {
            maxTap = Math.max(maxTap, tapIn[t]);
        }
        int cp = d.cp;
        if (inOff + (pixels - 1) * inStep + maxTap + d.reach > inEnd) {
            // Whole-vector loads would leave the input (its last pixels): the twin reads bytes.
            ScalarInt8DepthwiseKernels.INSTANCE.run(d, pixels, in, inEnd, inOff, inStep, tapIn, tapW, taps, interior,
                    out, outOff, outStep, outBytes, s);
            return;
        }
        int[] acc = s.acc;
        byte[] bytes = s.bytes;
        int mask = d.unsigned ? 0xFF : -1;
        for (int c = 0; c < cp; c += L) {
            // The start vector goes through an array: a vector argument of a call C2 does not
            // inline is boxed on the heap.
            int[] st = d.folded;
            int so = c;
            if (!interior) {
                start(d, tapW, taps, c, s.start);
                st = s.start;
                so = 0;
            }
            if (d.mode == Int8Depthwise.CONTIGUOUS) {
                if (pixels == 4 && d.unsigned) {
                    contiguous4U(d.weights, in, inOff + c, inStep, tapIn, tapW, taps, c, st, so, acc);
                } else if (pixels == 4) {
                    contiguous4(d.weights, in, inOff + c, inStep, tapIn, tapW, taps, c, st, so, acc);
                } else {
                    for (int j = 0; j < pixels; j++) {
                        if (d.unsigned) {
                            contiguous1U(d.weights, in, inOff + c + j * inStep, tapIn, tapW, taps, c, st, so,
                                    acc, j * L);
                        } else {
                            contiguous1(d.weights, in, inOff + c + j * inStep, tapIn, tapW, taps, c, st, so,
                                    acc, j * L);
                        }
                    }
                }
            } else if (d.mode == Int8Depthwise.BROADCAST) {
                if (pixels == 4) {
                    broadcast4(d.weights, in, inOff, inStep, tapIn, tapW, taps, c, st, so, mask, acc);
                } else {
                    for (int j = 0; j < pixels; j++) {
                        broadcast1(d.weights, in, inOff + j * inStep, tapIn, tapW, taps, c, st, so, mask, acc, j * L);
                    }
                }
            } else {
                long at = inOff + d.laneOffset[c];
                @SuppressWarnings("unchecked")
                VectorShuffle<Integer> sh = ((VectorShuffle<Integer>[]) d.prepared)[c / L];
                if (pixels == 4 && d.unsigned) {
                    shuffled4U(d.weights, in, at, inStep, tapIn, tapW, taps, c, st, so, sh, acc);
                } else if (pixels == 4) {
                    shuffled4(d.weights, in, at, inStep, tapIn, tapW, taps, c, st, so, sh, acc);
                } else {
                    for (int j = 0; j < pixels; j++) {
                        if (d.unsigned) {
                            shuffled1U(d.weights, in, at + j * inStep, tapIn, tapW, taps, c, st, so, sh,
                                    acc, j * L);
                        } else {
                            shuffled1(d.weights, in, at + j * inStep, tapIn, tapW, taps, c, st, so, sh,
                                    acc, j * L);
                        }
                    }
                }
            }
            for (int j = 0; j < pixels; j++) {
                for (int h = 0; h < L; h += HALF) {
                    requantize(d, c + h, acc, j * L + h, bytes, j * cp + c + h);
                }
            }
        }
        for (int j = 0; j < pixels; j++) {
            copy(s, j * cp, out, outOff + j * outStep, outBytes);
        }
    }

    /** A border call's start: the bias plus {@code io * w'} of each valid tap. */
    private static void start(Int8Depthwise d, int[] tapW, int taps, int c, int[] into) {
        IntVector v = IntVector.fromArray(INTS, d.bias, c);
        for (int t = 0; t < taps; t++) {
            v = v.add(IntVector.fromArray(INTS, d.weightsIo, tapW[t] + c));
        }
        v.intoArray(into, 0);
    }

    private static void contiguous4(int[] w, MemorySegment in, long at, long step, long[] tapIn, int[] tapW, int taps,
            int c, int[] st, int so, int[] acc) {
        IntVector a0 = IntVector.fromArray(INTS, st, so);
        IntVector a1 = a0;
        IntVector a2 = a0;
        IntVector a3 = a0;
        for (int t = 0; t < taps; t++) {
            IntVector wv = IntVector.fromArray(INTS, w, tapW[t] + c);
            long x = at + tapIn[t];
            IntVector x0 = (IntVector) ByteVector.fromMemorySegment(BYTES, in, x, LE)
                    .convertShape(SX, INTS, 0);
            IntVector x1 = (IntVector) ByteVector.fromMemorySegment(BYTES, in, x + step, LE)
                    .convertShape(SX, INTS, 0);
            IntVector x2 = (IntVector) ByteVector.fromMemorySegment(BYTES, in, x + 2 * step, LE)
                    .convertShape(SX, INTS, 0);
            IntVector x3 = (IntVector) ByteVector.fromMemorySegment(BYTES, in, x + 3 * step, LE)
                    .convertShape(SX, INTS, 0);
            a0 = a0.add(wv.mul(x0));
            a1 = a1.add(wv.mul(x1));
            a2 = a2.add(wv.mul(x2));
            a3 = a3.add(wv.mul(x3));
        }
        a0.intoArray(acc, 0);
        a1.intoArray(acc, L);
        a2.intoArray(acc, 2 * L);
        a3.intoArray(acc, 3 * L);
    }

    private static void contiguous4U(int[] w, MemorySegment in, long at, long step, long[] tapIn, int[] tapW, int taps,
            int c, int[] st, int so, int[] acc) {
        IntVector a0 = IntVector.fromArray(INTS, st, so);
        IntVector a1 = a0;
        IntVector a2 = a0;
        IntVector a3 = a0;
        for (int t = 0; t < taps; t++) {
            IntVector wv = IntVector.fromArray(INTS, w, tapW[t] + c);
            long x = at + tapIn[t];
            IntVector x0 = (IntVector) ByteVector.fromMemorySegment(BYTES, in, x, LE)
                    .convertShape(ZX, INTS, 0);
            IntVector x1 = (IntVector) ByteVector.fromMemorySegment(BYTES, in, x + step, LE)
                    .convertShape(ZX, INTS, 0);
            IntVector x2 = (IntVector) ByteVector.fromMemorySegment(BYTES, in, x + 2 * step, LE)
                    .convertShape(ZX, INTS, 0);
            IntVector x3 = (IntVector) ByteVector.fromMemorySegment(BYTES, in, x + 3 * step, LE)
                    .convertShape(ZX, INTS, 0);
            a0 = a0.add(wv.mul(x0));
            a1 = a1.add(wv.mul(x1));
            a2 = a2.add(wv.mul(x2));
            a3 = a3.add(wv.mul(x3));
        }
        a0.intoArray(acc, 0);
        a1.intoArray(acc, L);
        a2.intoArray(acc, 2 * L);
        a3.intoArray(acc, 3 * L);
    }

    private static void contiguous1(int[] w, MemorySegment in, long at, long[] tapIn, int[] tapW, int taps, int c,
            int[] st, int so, int[] acc, int accOff) {
        IntVector a0 = IntVector.fromArray(INTS, st, so);
        for (int t = 0; t < taps; t++) {
            IntVector x0 = (IntVector) ByteVector.fromMemorySegment(BYTES, in, at + tapIn[t], LE)
                    .convertShape(SX, INTS, 0);
            a0 = a0.add(IntVector.fromArray(INTS, w, tapW[t] + c).mul(x0));
        }
        a0.intoArray(acc, accOff);
    }

    private static void contiguous1U(int[] w, MemorySegment in, long at, long[] tapIn, int[] tapW, int taps, int c,
            int[] st, int so, int[] acc, int accOff) {
        IntVector a0 = IntVector.fromArray(INTS, st, so);
        for (int t = 0; t < taps; t++) {
            IntVector x0 = (IntVector) ByteVector.fromMemorySegment(BYTES, in, at + tapIn[t], LE)
                    .convertShape(ZX, INTS, 0);
            a0 = a0.add(IntVector.fromArray(INTS, w, tapW[t] + c).mul(x0));
        }
        a0.intoArray(acc, accOff);
    }

    private static void broadcast4(int[] w, MemorySegment in, long at, long step, long[] tapIn, int[] tapW, int taps,
            int c, int[] st, int so, int mask, int[] acc) {
        IntVector a0 = IntVector.fromArray(INTS, st, so);
        IntVector a1 = a0;
        IntVector a2 = a0;
        IntVector a3 = a0;
        for (int t = 0; t < taps; t++) {
            IntVector wv = IntVector.fromArray(INTS, w, tapW[t] + c);
            long x = at + tapIn[t];
            a0 = a0.add(wv.mul(in.get(ValueLayout.JAVA_BYTE, x) & mask));
            a1 = a1.add(wv.mul(in.get(ValueLayout.JAVA_BYTE, x + step) & mask));
            a2 = a2.add(wv.mul(in.get(ValueLayout.JAVA_BYTE, x + 2 * step) & mask));
            a3 = a3.add(wv.mul(in.get(ValueLayout.JAVA_BYTE, x + 3 * step) & mask));
        }
        a0.intoArray(acc, 0);
        a1.intoArray(acc, L);
        a2.intoArray(acc, 2 * L);
        a3.intoArray(acc, 3 * L);
    }

    private static void broadcast1(int[] w, MemorySegment in, long at, long[] tapIn, int[] tapW, int taps, int c,
            int[] st, int so, int mask, int[] acc, int accOff) {
        IntVector a0 = IntVector.fromArray(INTS, st, so);
        for (int t = 0; t < taps; t++) {
            a0 = a0.add(IntVector.fromArray(INTS, w, tapW[t] + c).mul(in.get(ValueLayout.JAVA_BYTE, at + tapIn[t])
                    & mask));
        }
        a0.intoArray(acc, accOff);
    }

    private static void shuffled4(int[] w, MemorySegment in, long at, long step, long[] tapIn, int[] tapW, int taps,
            int c, int[] st, int so, VectorShuffle<Integer> sh, int[] acc) {
        IntVector a0 = IntVector.fromArray(INTS, st, so);
        IntVector a1 = a0;
        IntVector a2 = a0;
        IntVector a3 = a0;
        for (int t = 0; t < taps; t++) {
            IntVector wv = IntVector.fromArray(INTS, w, tapW[t] + c);
            long x = at + tapIn[t];
            IntVector x0 = (IntVector) ByteVector.fromMemorySegment(BYTES, in, x, LE)
                    .convertShape(SX, INTS, 0)
                    .rearrange(sh);
            IntVector x1 = (IntVector) ByteVector.fromMemorySegment(BYTES, in, x + step, LE)
                    .convertShape(SX, INTS, 0)
                    .rearrange(sh);
            IntVector x2 = (IntVector) ByteVector.fromMemorySegment(BYTES, in, x + 2 * step, LE)
                    .convertShape(SX, INTS, 0)
                    .rearrange(sh);
            IntVector x3 = (IntVector) ByteVector.fromMemorySegment(BYTES, in, x + 3 * step, LE)
                    .convertShape(SX, INTS, 0)
                    .rearrange(sh);
            a0 = a0.add(wv.mul(x0));
            a1 = a1.add(wv.mul(x1));
            a2 = a2.add(wv.mul(x2));
            a3 = a3.add(wv.mul(x3));
        }
        a0.intoArray(acc, 0);
        a1.intoArray(acc, L);
        a2.intoArray(acc, 2 * L);
        a3.intoArray(acc, 3 * L);
    }

    private static void shuffled4U(int[] w, MemorySegment in, long at, long step, long[] tapIn, int[] tapW, int taps,
            int c, int[] st, int so, VectorShuffle<Integer> sh, int[] acc) {
        IntVector a0 = IntVector.fromArray(INTS, st, so);
        IntVector a1 = a0;
        IntVector a2 = a0;
        IntVector a3 = a0;
        for (int t = 0; t < taps; t++) {
            IntVector wv = IntVector.fromArray(INTS, w, tapW[t] + c);
            long x = at + tapIn[t];
            IntVector x0 = (IntVector) ByteVector.fromMemorySegment(BYTES, in, x, LE)
                    .convertShape(ZX, INTS, 0)
                    .rearrange(sh);
            IntVector x1 = (IntVector) ByteVector.fromMemorySegment(BYTES, in, x + step, LE)
                    .convertShape(ZX, INTS, 0)
                    .rearrange(sh);
            IntVector x2 = (IntVector) ByteVector.fromMemorySegment(BYTES, in, x + 2 * step, LE)
                    .convertShape(ZX, INTS, 0)
                    .rearrange(sh);
            IntVector x3 = (IntVector) ByteVector.fromMemorySegment(BYTES, in, x + 3 * step, LE)
                    .convertShape(ZX, INTS, 0)
                    .rearrange(sh);
            a0 = a0.add(wv.mul(x0));
            a1 = a1.add(wv.mul(x1));
            a2 = a2.add(wv.mul(x2));
            a3 = a3.add(wv.mul(x3));
        }
        a0.intoArray(acc, 0);
        a1.intoArray(acc, L);
        a2.intoArray(acc, 2 * L);
        a3.intoArray(acc, 3 * L);
    }

    private static void shuffled1(int[] w, MemorySegment in, long at, long[] tapIn, int[] tapW, int taps, int c,
            int[] st, int so, VectorShuffle<Integer> sh, int[] acc, int accOff) {
        IntVector a0 = IntVector.fromArray(INTS, st, so);
        for (int t = 0; t < taps; t++) {
            IntVector x0 = (IntVector) ByteVector.fromMemorySegment(BYTES, in, at + tapIn[t], LE)
                    .convertShape(SX, INTS, 0)
                    .rearrange(sh);
            a0 = a0.add(IntVector.fromArray(INTS, w, tapW[t] + c).mul(x0));
        }
        a0.intoArray(acc, accOff);
    }

    private static void shuffled1U(int[] w, MemorySegment in, long at, long[] tapIn, int[] tapW, int taps, int c,
            int[] st, int so, VectorShuffle<Integer> sh, int[] acc, int accOff) {
        IntVector a0 = IntVector.fromArray(INTS, st, so);
        for (int t = 0; t < taps; t++) {
            IntVector x0 = (IntVector) ByteVector.fromMemorySegment(BYTES, in, at + tapIn[t], LE)
                    .convertShape(ZX, INTS, 0)
                    .rearrange(sh);
            a0 = a0.add(IntVector.fromArray(INTS, w, tapW[t] + c).mul(x0));
        }
        a0.intoArray(acc, accOff);
    }

    /** gemmlowp's {@code MultiplyByQuantizedMultiplier}, offset, clamp: HALF accumulators to bytes. */
    private static void requantize(Int8Depthwise d, int c, int[] acc, int accOff, byte[] bytes, int bytesOff) {
        IntVector x = IntVector.fromArray(HALF_INTS, acc, accOff)
                .lanewise(VectorOperators.LSHL, IntVector.fromArray(HALF_INTS, d.leftShifts, c));
        LongVector p = ((LongVector) x.convertShape(VectorOperators.I2L, LONGS, 0))
                .mul(LongVector.fromArray(LONGS, d.multipliersLong, c));
        // floor((p + 2^30) / 2^31) + 2^31 in [0, 2^32): its low 32 bits minus 2^31 are
        // SaturatingRoundingDoublingHighMul (its one saturating case, MIN * MIN, cannot occur:
        // multipliers are non-negative).
        IntVector s = ((IntVector) p.add(ROUND_BIAS).lanewise(VectorOperators.LSHR, 31)
                .convertShape(VectorOperators.L2I, HALF_INTS, 0)).lanewise(VectorOperators.XOR, Integer.MIN_VALUE);
        IntVector m = IntVector.fromArray(HALF_INTS, d.masks, c);
        // RoundingDivideByPOT: remainder > (mask >> 1) + (s < 0 ? 1 : 0) rounds up.
        IntVector threshold = m.lanewise(VectorOperators.ASHR, 1).add(s.lanewise(VectorOperators.LSHR, 31));
        IntVector up = s.and(m).compare(VectorOperators.GT, threshold).toVector().reinterpretAsInts();
        IntVector r = s.lanewise(VectorOperators.ASHR, IntVector.fromArray(HALF_INTS, d.rightShifts, c)).sub(up);
        ((ByteVector) r.add(d.outputOffset).max(d.actMin).min(d.actMax)
                .convertShape(VectorOperators.I2B, HALF_BYTES, 0)).intoArray(bytes, bytesOff);
    }

    /** {@code n} bytes of the scratch row at {@code from} to {@code out}: vectors, then longs, then bytes. */
    private static void copy(Scratch s, int from, MemorySegment out, long dst, int n) {
        int i = 0;
        for (; i + L <= n; i += L) {
            ByteVector.fromArray(BYTES, s.bytes, from + i).intoMemorySegment(out, dst + i, LE);
        }
        for (; i + 8 <= n; i += 8) {
            out.set(ValueLayout.JAVA_LONG_UNALIGNED, dst + i, s.bytesSegment.get(ValueLayout.JAVA_LONG_UNALIGNED,
                    from + i));
        }
        for (; i < n; i++) {
            out.set(ValueLayout.JAVA_BYTE, dst + i, s.bytes[from + i]);
        }
    }
}
