package dev.whittle.internal.vectorization;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
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
 * <p>The output stage is TFLite's {@code MultiplyByQuantizedMultiplier} with both roundings
 * fused into one in long lanes ({@link #requantize}), half an int vector at a time.
 * Accumulators go through the scratch arrays between the two (C2 boxes vectors passed to
 * calls it does not inline).
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
            // One method per layout and signedness, each with its 4-pixel and 1-pixel loops:
            // too big for C2 to inline here, so each is compiled on its own with the whole
            // inlining budget (a vector op left un-inlined boxes its vectors on the heap).
            if (d.mode == Int8Depthwise.CONTIGUOUS && d.unsigned) {
                contiguousU(d.weights, in, inOff + c, inStep, pixels, tapIn, tapW, taps, c, st, so, acc);
            } else if (d.mode == Int8Depthwise.CONTIGUOUS) {
                contiguous(d.weights, in, inOff + c, inStep, pixels, tapIn, tapW, taps, c, st, so, acc);
            } else {
                @SuppressWarnings("unchecked")
                VectorShuffle<Integer> sh = ((VectorShuffle<Integer>[]) d.prepared)[c / L];
                long at = inOff + d.laneOffset[c];
                if (d.unsigned) {
                    shuffledU(d.weights, in, at, inStep, pixels, tapIn, tapW, taps, c, st, so, sh, acc);
                } else {
                    shuffled(d.weights, in, at, inStep, pixels, tapIn, tapW, taps, c, st, so, sh, acc);
                }
            }
            for (int j = 0; j < pixels; j++) {
                for (int h = 0; h < L; h += HALF) {
                    requantize(d, c + h, acc, j * L + h, bytes, j * (cp + L) + c + h);
                }
            }
        }
        for (int j = 0; j < pixels; j++) {
            copy(s, j * (cp + L), out, outOff + j * outStep, outBytes);
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

    private static void contiguous(int[] w, MemorySegment in, long at, long step, int pixels, long[] tapIn, int[] tapW,
            int taps, int c, int[] st, int so, int[] acc) {
        if (pixels == 4) {
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
            return;
        }
        for (int j = 0; j < pixels; j++) {
            IntVector a0 = IntVector.fromArray(INTS, st, so);
            long at1 = at + j * step;
            for (int t = 0; t < taps; t++) {
                IntVector x0 = (IntVector) ByteVector.fromMemorySegment(BYTES, in, at1 + tapIn[t], LE)
                        .convertShape(SX, INTS, 0);
                a0 = a0.add(IntVector.fromArray(INTS, w, tapW[t] + c).mul(x0));
            }
            a0.intoArray(acc, j * L);
        }
    }

    private static void contiguousU(int[] w, MemorySegment in, long at, long step, int pixels, long[] tapIn, int[] tapW,
            int taps, int c, int[] st, int so, int[] acc) {
        if (pixels == 4) {
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
            return;
        }
        for (int j = 0; j < pixels; j++) {
            IntVector a0 = IntVector.fromArray(INTS, st, so);
            long at1 = at + j * step;
            for (int t = 0; t < taps; t++) {
                IntVector x0 = (IntVector) ByteVector.fromMemorySegment(BYTES, in, at1 + tapIn[t], LE)
                        .convertShape(ZX, INTS, 0);
                a0 = a0.add(IntVector.fromArray(INTS, w, tapW[t] + c).mul(x0));
            }
            a0.intoArray(acc, j * L);
        }
    }

    private static void shuffled(int[] w, MemorySegment in, long at, long step, int pixels, long[] tapIn, int[] tapW,
            int taps, int c, int[] st, int so, VectorShuffle<Integer> sh, int[] acc) {
        if (pixels == 4) {
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
            return;
        }
        for (int j = 0; j < pixels; j++) {
            IntVector a0 = IntVector.fromArray(INTS, st, so);
            long at1 = at + j * step;
            for (int t = 0; t < taps; t++) {
                IntVector x0 = (IntVector) ByteVector.fromMemorySegment(BYTES, in, at1 + tapIn[t], LE)
                        .convertShape(SX, INTS, 0)
                        .rearrange(sh);
                a0 = a0.add(IntVector.fromArray(INTS, w, tapW[t] + c).mul(x0));
            }
            a0.intoArray(acc, j * L);
        }
    }

    private static void shuffledU(int[] w, MemorySegment in, long at, long step, int pixels, long[] tapIn, int[] tapW,
            int taps, int c, int[] st, int so, VectorShuffle<Integer> sh, int[] acc) {
        if (pixels == 4) {
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
            return;
        }
        for (int j = 0; j < pixels; j++) {
            IntVector a0 = IntVector.fromArray(INTS, st, so);
            long at1 = at + j * step;
            for (int t = 0; t < taps; t++) {
                IntVector x0 = (IntVector) ByteVector.fromMemorySegment(BYTES, in, at1 + tapIn[t], LE)
                        .convertShape(ZX, INTS, 0)
                        .rearrange(sh);
                a0 = a0.add(IntVector.fromArray(INTS, w, tapW[t] + c).mul(x0));
            }
            a0.intoArray(acc, j * L);
        }
    }

    /**
     * gemmlowp's {@code MultiplyByQuantizedMultiplier}, offset, clamp: HALF accumulators to
     * bytes. Both roundings in one, in long lanes: with {@code p = x * m} and right shift
     * {@code e}, SaturatingRoundingDoublingHighMul is {@code s = floor((p + 2^30) / 2^31)} and
     * RoundingDivideByPOT is {@code floor((s + 2^(e-1) - (s < 0)) / 2^e)} ({@code s} when
     * {@code e = 0}); floors of floors by powers of two nest, so the result is
     * {@code floor((p + 2^30 + 2^(30+e) - 2^31 (p < -2^30)) / 2^(31+e))}, no intermediate
     * overflowing ({@code |p| < 2^62}). AVX2 has no 64-bit arithmetic shift, so the shift is
     * logical: its low {@code 33 - e} bits are right and the result fits in them, so it is
     * sign-extended from there in int lanes. 5 fewer vector ops than the two roundings apart.
     */
    private static void requantize(Int8Depthwise d, int c, int[] acc, int accOff, byte[] bytes, int bytesOff) {
        IntVector x = IntVector.fromArray(HALF_INTS, acc, accOff);
        if (d.anyLeftShift) {
            x = x.lanewise(VectorOperators.LSHL, IntVector.fromArray(HALF_INTS, d.leftShifts, c));
        }
        LongVector p = ((LongVector) x.convertShape(VectorOperators.I2L, LONGS, 0))
                .mul(LongVector.fromArray(LONGS, d.multipliersLong, c));
        LongVector q = p.add(LongVector.fromArray(LONGS, d.round, c))
                .sub(LongVector.fromArray(LONGS, d.negative, c), p.compare(VectorOperators.LT, -(1L << 30)));
        IntVector fix = IntVector.fromArray(HALF_INTS, d.signFix, c);
        IntVector r = ((IntVector) q.lanewise(VectorOperators.LSHR, LongVector.fromArray(LONGS, d.shift, c))
                .convertShape(VectorOperators.L2I, HALF_INTS, 0))
                .lanewise(VectorOperators.LSHL, fix).lanewise(VectorOperators.ASHR, fix);
        ((ByteVector) r.add(d.outputOffset).max(d.actMin).min(d.actMax)
                .convertShape(VectorOperators.I2B, HALF_BYTES, 0)).intoArray(bytes, bytesOff);
    }

    /**
     * {@code n} bytes of the scratch row at {@code from} to {@code out}, with the GEMM kernel's
     * longs-then-bytes copy ({@code MemorySegment.copy} costs about 60 ns for a few bytes). Not
     * vectors: C2 inlines this small method into {@link #run} when it was not compiled on its
     * own first, and there the vector store stayed un-intrinsified and boxed each pixel (7-9 KB
     * per invoke on AVX2, depending on which tests ran before;
     * {@code -XX:CompileCommand=inline,...::copy} shows it).
     */
    private static void copy(Scratch s, int from, MemorySegment out, long dst, int n) {
        PanamaInt8GemmKernels.copyPartial(s.bytesSegment, from, out, dst, n);
    }
}
