package dev.whittle.internal.vectorization;

import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * The sparse micro-kernel on the Vector API ({@code sparse_16x1__panama512},
 * {@code sparse_8x1__panama256}): output pixels in the int lanes (XNNPACK's SpMM). A block's
 * activations are transposed once into int rows of pixels per k ({@code x[k][m]}, widened as the
 * dtype reads them), shared by every channel of the block; then per output channel and per four
 * vectors of pixels, each non-zero weight is one broadcast multiply-add of the row
 * {@code x[k_j]} ({@code vpmulld}, {@code vpaddd}): the work is proportional to the non-zeros,
 * whatever their pattern, and no lane is reduced. The channel's output stage is the dense
 * kernel's ({@link PanamaInt8GemmKernels#requantizeRuy}), on constants repeated per lane; the
 * bytes are stored one per pixel (stride N).
 *
 * <p>Why pixels, not channels, in the lanes: with channels in the lanes (the dense outer
 * product) a k can be skipped only where a whole vector of channels is zero, which random
 * pruning almost never gives (0.8^16 at 80%).
 */
final class PanamaInt8SparseKernels implements Int8GemmKernels, Int8BlockKernels {
    private static final VectorSpecies<Integer> INTS = IntVector.SPECIES_PREFERRED;
    private static final int L = INTS.length();
    private static final int HALF = L / 2;

    private final Int8SparseGemm s;
    /** Channel {@code c}'s output stage at {@code [c * L, c * L + L)}. */
    private final Int8Gemm lanes;
    /** Pixels per transposed row: the driver's most rows, rounded up to a vector. */
    private final int stride;

    PanamaInt8SparseKernels(Int8SparseGemm s) {
        this.s = s;
        this.lanes = Int8Gemm.ofConstants(s.k, s.n, L, L, s.constants, s.unsigned, s.ruy, s.multipliers, s.shifts,
                s.outputOffset, s.actMin, s.actMax);
        this.stride = (s.maxRows + L - 1) / L * L;
    }

    @Override
    public int nr() {
        return L;
    }

    @Override
    public long tmpBytes() {
        return 4L * s.k * stride + 4L * stride + stride + 64;
    }

    @Override
    public void run(Int8Gemm g, int tile, int rows, MemorySegment a, long aOff, long aStride, MemorySegment rowSums,
            long rowSumsOff, MemorySegment out, long outOff, long outStride, MemorySegment tmp, long tmpOff) {
        throw new UnsupportedOperationException("a block kernel: runBlock");
    }

    @Override
    public void runBlock(int rows, MemorySegment mem, long a, int c0, int c1, long out, long tmp) {
        int k = s.k;
        int mask = s.unsigned ? 0xFF : -1;
        long x = tmp;
        long rowBytes = 4L * stride;
        for (int r = 0; r < rows; r++) {
            long row = a + (long) r * k;
            long dst = x + 4L * r;
            for (int i = 0; i < k; i++) {
                mem.set(ValueLayout.JAVA_INT_UNALIGNED, dst + i * rowBytes,
                        mem.get(ValueLayout.JAVA_BYTE, row + i) & mask);
            }
        }
        long acc = x + 4L * k * stride;
        long bytes = acc + 4L * stride;
        int pad = (rows + L - 1) / L * L;
        // Two calls per channel, neither with a vector argument or result, each too big to be
        // inlined here: C2 compiles each on its own inlining budget. Inlined into one method
        // (channel loops, output stage), a whole-model run boxed the vectors of the inner loop.
        for (int c = c0; c < c1; c++) {
            if (s.sp24) {
                channelSp24(c, mem, x, rowBytes, acc, pad);
            } else {
                channel(c, mem, x, rowBytes, acc, pad);
            }
            store(c, mem, acc, bytes, out, rows, pad);
        }
    }

    /**
     * Channel {@code c}'s accumulators for pixels {@code [0, pad)} into {@code acc}: four vectors
     * of pixels per pass over its non-zeros (four chains per non-zero's scalar loads), then one.
     */
    private void channel(int c, MemorySegment mem, long x, long rowBytes, long acc, int pad) {
        short[] index = s.index;
        byte[] value = s.value;
        int wmask = s.wmask;
        int wo = s.wo;
        int j0 = s.start[c];
        int j1 = s.start[c + 1];
        IntVector start = IntVector.broadcast(INTS, s.constants[c]);
        int m = 0;
        for (; m + 4 * L <= pad; m += 4 * L) {
            long xm = x + 4L * m;
            IntVector s0 = start;
            IntVector s1 = start;
            IntVector s2 = start;
            IntVector s3 = start;
            for (int j = j0; j < j1; j++) {
                long o = xm + index[j] * rowBytes;
                int w = (value[j] & wmask) + wo;
                s0 = s0.add(IntVector.fromMemorySegment(INTS, mem, o, ByteOrder.LITTLE_ENDIAN).mul(w));
                s1 = s1.add(IntVector.fromMemorySegment(INTS, mem, o + 4L * L, ByteOrder.LITTLE_ENDIAN).mul(w));
                s2 = s2.add(IntVector.fromMemorySegment(INTS, mem, o + 8L * L, ByteOrder.LITTLE_ENDIAN).mul(w));
                s3 = s3.add(IntVector.fromMemorySegment(INTS, mem, o + 12L * L, ByteOrder.LITTLE_ENDIAN).mul(w));
            }
            long am = acc + 4L * m;
            s0.intoMemorySegment(mem, am, ByteOrder.LITTLE_ENDIAN);
            s1.intoMemorySegment(mem, am + 4L * L, ByteOrder.LITTLE_ENDIAN);
            s2.intoMemorySegment(mem, am + 8L * L, ByteOrder.LITTLE_ENDIAN);
            s3.intoMemorySegment(mem, am + 12L * L, ByteOrder.LITTLE_ENDIAN);
        }
        for (; m < pad; m += L) {
            long xm = x + 4L * m;
            IntVector s0 = start;
            for (int j = j0; j < j1; j++) {
                s0 = s0.add(IntVector.fromMemorySegment(INTS, mem, xm + index[j] * rowBytes, ByteOrder.LITTLE_ENDIAN)
                        .mul((value[j] & wmask) + wo));
            }
            s0.intoMemorySegment(mem, acc + 4L * m, ByteOrder.LITTLE_ENDIAN);
        }
    }

    /** {@link #channel} on the 2:4 layout: per group of 4 K, two rows {@code x[4g + p]} with their weights. */
    private void channelSp24(int c, MemorySegment mem, long x, long rowBytes, long acc, int pad) {
        byte[] value = s.value;
        byte[] positions = s.positions;
        int wmask = s.wmask;
        int wo = s.wo;
        int groups = s.k / 4;
        int pb = c * ((groups + 1) / 2);
        int v0 = c * groups * 2;
        IntVector start = IntVector.broadcast(INTS, s.constants[c]);
        int m = 0;
        for (; m + 4 * L <= pad; m += 4 * L) {
            long xm = x + 4L * m;
            IntVector s0 = start;
            IntVector s1 = start;
            IntVector s2 = start;
            IntVector s3 = start;
            for (int g = 0, v = v0; g < groups; g++, v += 2) {
                int nibble = positions[pb + (g >> 1)] >> ((g & 1) << 2);
                long o = xm + 4L * g * rowBytes;
                long o0 = o + (nibble & 3) * rowBytes;
                long o1 = o + ((nibble >> 2) & 3) * rowBytes;
                int w0 = (value[v] & wmask) + wo;
                int w1 = (value[v + 1] & wmask) + wo;
                s0 = s0.add(IntVector.fromMemorySegment(INTS, mem, o0, ByteOrder.LITTLE_ENDIAN).mul(w0)
                        .add(IntVector.fromMemorySegment(INTS, mem, o1, ByteOrder.LITTLE_ENDIAN).mul(w1)));
                s1 = s1.add(IntVector.fromMemorySegment(INTS, mem, o0 + 4L * L, ByteOrder.LITTLE_ENDIAN).mul(w0)
                        .add(IntVector.fromMemorySegment(INTS, mem, o1 + 4L * L, ByteOrder.LITTLE_ENDIAN).mul(w1)));
                s2 = s2.add(IntVector.fromMemorySegment(INTS, mem, o0 + 8L * L, ByteOrder.LITTLE_ENDIAN).mul(w0)
                        .add(IntVector.fromMemorySegment(INTS, mem, o1 + 8L * L, ByteOrder.LITTLE_ENDIAN).mul(w1)));
                s3 = s3.add(IntVector.fromMemorySegment(INTS, mem, o0 + 12L * L, ByteOrder.LITTLE_ENDIAN).mul(w0)
                        .add(IntVector.fromMemorySegment(INTS, mem, o1 + 12L * L, ByteOrder.LITTLE_ENDIAN).mul(w1)));
            }
            long am = acc + 4L * m;
            s0.intoMemorySegment(mem, am, ByteOrder.LITTLE_ENDIAN);
            s1.intoMemorySegment(mem, am + 4L * L, ByteOrder.LITTLE_ENDIAN);
            s2.intoMemorySegment(mem, am + 8L * L, ByteOrder.LITTLE_ENDIAN);
            s3.intoMemorySegment(mem, am + 12L * L, ByteOrder.LITTLE_ENDIAN);
        }
        for (; m < pad; m += L) {
            long xm = x + 4L * m;
            IntVector s0 = start;
            for (int g = 0, v = v0; g < groups; g++, v += 2) {
                int nibble = positions[pb + (g >> 1)] >> ((g & 1) << 2);
                long o = xm + 4L * g * rowBytes;
                s0 = s0.add(IntVector.fromMemorySegment(INTS, mem, o + (nibble & 3) * rowBytes, ByteOrder.LITTLE_ENDIAN)
                        .mul((value[v] & wmask) + wo)
                        .add(IntVector.fromMemorySegment(INTS, mem, o + ((nibble >> 2) & 3) * rowBytes,
                                ByteOrder.LITTLE_ENDIAN).mul((value[v + 1] & wmask) + wo)));
            }
            s0.intoMemorySegment(mem, acc + 4L * m, ByteOrder.LITTLE_ENDIAN);
        }
    }

    /** Requantizes channel {@code c}'s {@code pad} accumulators and stores the first {@code rows} bytes (stride N). */
    private void store(int c, MemorySegment mem, long acc, long bytes, long out, int rows, int pad) {
        if (lanes.ruy) {
            for (int m = 0; m < pad; m += HALF) {
                PanamaInt8GemmKernels.requantizeRuy(lanes, c * L + m % L, 0, mem, acc + 4L * m, bytes + m);
            }
        } else {
            for (int m = 0; m < pad; m += HALF) {
                PanamaInt8GemmKernels.requantizeGemmlowp(lanes, c * L + m % L, 0, mem, acc + 4L * m, bytes + m);
            }
        }
        int n = s.n;
        long dst = out + c;
        for (int i = 0; i < rows; i++) {
            mem.set(ValueLayout.JAVA_BYTE, dst + (long) i * n, mem.get(ValueLayout.JAVA_BYTE, bytes + i));
        }
    }
}
