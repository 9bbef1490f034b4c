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
        return 4L * s.k * stride + 4L * 4 * L + 4L * L + 64;
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
                mem.set(ValueLayout.JAVA_INT_UNALIGNED, dst + i * rowBytes, mem.get(ValueLayout.JAVA_BYTE, row + i) & mask);
            }
        }
        long acc = x + 4L * k * stride;
        long bytes = acc + 16L * L;
        int pad = (rows + L - 1) / L * L;
        if (s.sp24) {
            for (int c = c0; c < c1; c++) {
                int m = 0;
                for (; m + 4 * L <= pad; m += 4 * L) {
                    channel4Sp24(c, mem, x + 4L * m, rowBytes, acc);
                    store(c, mem, acc, bytes, out, m, Math.min(4 * L, rows - m), 4);
                }
                for (; m < pad; m += L) {
                    channel1Sp24(c, mem, x + 4L * m, rowBytes, acc);
                    store(c, mem, acc, bytes, out, m, rows - m, 1);
                }
            }
            return;
        }
        for (int c = c0; c < c1; c++) {
            int m = 0;
            for (; m + 4 * L <= pad; m += 4 * L) {
                channel4(c, mem, x + 4L * m, rowBytes, acc);
                store(c, mem, acc, bytes, out, m, Math.min(4 * L, rows - m), 4);
            }
            for (; m + 2 * L <= pad; m += 2 * L) {
                channel2(c, mem, x + 4L * m, rowBytes, acc);
                store(c, mem, acc, bytes, out, m, Math.min(2 * L, rows - m), 2);
            }
            for (; m < pad; m += L) {
                channel1(c, mem, x + 4L * m, rowBytes, acc);
                store(c, mem, acc, bytes, out, m, rows - m, 1);
            }
        }
    }

    /** {@link #channel4} on the 2:4 layout: per group of 4 K, two rows {@code x[4g + p]} with their weights. */
    private void channel4Sp24(int c, MemorySegment mem, long x, long rowBytes, long acc) {
        byte[] value = s.value;
        byte[] positions = s.positions;
        int wmask = s.wmask;
        int wo = s.wo;
        int groups = s.k / 4;
        int pb = c * ((groups + 1) / 2);
        int v = c * groups * 2;
        IntVector s0 = IntVector.broadcast(INTS, s.constants[c]);
        IntVector s1 = s0;
        IntVector s2 = s0;
        IntVector s3 = s0;
        for (int g = 0; g < groups; g++, v += 2) {
            int nibble = positions[pb + (g >> 1)] >> ((g & 1) << 2);
            long o = x + 4L * g * rowBytes;
            long o0 = o + (nibble & 3) * rowBytes;
            long o1 = o + ((nibble >> 2) & 3) * rowBytes;
            int w0 = (value[v] & wmask) + wo;
            int w1 = (value[v + 1] & wmask) + wo;
            s0 = s0.add(IntVector.fromMemorySegment(INTS, mem, o0, ByteOrder.LITTLE_ENDIAN).mul(w0))
                    .add(IntVector.fromMemorySegment(INTS, mem, o1, ByteOrder.LITTLE_ENDIAN).mul(w1));
            s1 = s1.add(IntVector.fromMemorySegment(INTS, mem, o0 + 4L * L, ByteOrder.LITTLE_ENDIAN).mul(w0))
                    .add(IntVector.fromMemorySegment(INTS, mem, o1 + 4L * L, ByteOrder.LITTLE_ENDIAN).mul(w1));
            s2 = s2.add(IntVector.fromMemorySegment(INTS, mem, o0 + 8L * L, ByteOrder.LITTLE_ENDIAN).mul(w0))
                    .add(IntVector.fromMemorySegment(INTS, mem, o1 + 8L * L, ByteOrder.LITTLE_ENDIAN).mul(w1));
            s3 = s3.add(IntVector.fromMemorySegment(INTS, mem, o0 + 12L * L, ByteOrder.LITTLE_ENDIAN).mul(w0))
                    .add(IntVector.fromMemorySegment(INTS, mem, o1 + 12L * L, ByteOrder.LITTLE_ENDIAN).mul(w1));
        }
        s0.intoMemorySegment(mem, acc, ByteOrder.LITTLE_ENDIAN);
        s1.intoMemorySegment(mem, acc + 4L * L, ByteOrder.LITTLE_ENDIAN);
        s2.intoMemorySegment(mem, acc + 8L * L, ByteOrder.LITTLE_ENDIAN);
        s3.intoMemorySegment(mem, acc + 12L * L, ByteOrder.LITTLE_ENDIAN);
    }

    private void channel1Sp24(int c, MemorySegment mem, long x, long rowBytes, long acc) {
        byte[] value = s.value;
        byte[] positions = s.positions;
        int wmask = s.wmask;
        int wo = s.wo;
        int groups = s.k / 4;
        int pb = c * ((groups + 1) / 2);
        int v = c * groups * 2;
        IntVector s0 = IntVector.broadcast(INTS, s.constants[c]);
        for (int g = 0; g < groups; g++, v += 2) {
            int nibble = positions[pb + (g >> 1)] >> ((g & 1) << 2);
            long o = x + 4L * g * rowBytes;
            s0 = s0.add(IntVector.fromMemorySegment(INTS, mem, o + (nibble & 3) * rowBytes, ByteOrder.LITTLE_ENDIAN)
                    .mul((value[v] & wmask) + wo))
                    .add(IntVector.fromMemorySegment(INTS, mem, o + ((nibble >> 2) & 3) * rowBytes,
                            ByteOrder.LITTLE_ENDIAN).mul((value[v + 1] & wmask) + wo));
        }
        s0.intoMemorySegment(mem, acc, ByteOrder.LITTLE_ENDIAN);
    }

    /** Four vectors of pixels of channel {@code c}: four accumulator chains per non-zero's scalar loads. */
    private void channel4(int c, MemorySegment mem, long x, long rowBytes, long acc) {
        short[] index = s.index;
        byte[] value = s.value;
        int wmask = s.wmask;
        int wo = s.wo;
        IntVector s0 = IntVector.broadcast(INTS, s.constants[c]);
        IntVector s1 = s0;
        IntVector s2 = s0;
        IntVector s3 = s0;
        for (int j = s.start[c], end = s.start[c + 1]; j < end; j++) {
            long o = x + index[j] * rowBytes;
            int w = (value[j] & wmask) + wo;
            s0 = s0.add(IntVector.fromMemorySegment(INTS, mem, o, ByteOrder.LITTLE_ENDIAN).mul(w));
            s1 = s1.add(IntVector.fromMemorySegment(INTS, mem, o + 4L * L, ByteOrder.LITTLE_ENDIAN).mul(w));
            s2 = s2.add(IntVector.fromMemorySegment(INTS, mem, o + 8L * L, ByteOrder.LITTLE_ENDIAN).mul(w));
            s3 = s3.add(IntVector.fromMemorySegment(INTS, mem, o + 12L * L, ByteOrder.LITTLE_ENDIAN).mul(w));
        }
        s0.intoMemorySegment(mem, acc, ByteOrder.LITTLE_ENDIAN);
        s1.intoMemorySegment(mem, acc + 4L * L, ByteOrder.LITTLE_ENDIAN);
        s2.intoMemorySegment(mem, acc + 8L * L, ByteOrder.LITTLE_ENDIAN);
        s3.intoMemorySegment(mem, acc + 12L * L, ByteOrder.LITTLE_ENDIAN);
    }

    /** Two vectors of pixels of channel {@code c}: accumulators to {@code acc}. */
    private void channel2(int c, MemorySegment mem, long x, long rowBytes, long acc) {
        short[] index = s.index;
        byte[] value = s.value;
        int wmask = s.wmask;
        int wo = s.wo;
        IntVector s0 = IntVector.broadcast(INTS, s.constants[c]);
        IntVector s1 = s0;
        for (int j = s.start[c], end = s.start[c + 1]; j < end; j++) {
            long o = x + index[j] * rowBytes;
            int w = (value[j] & wmask) + wo;
            s0 = s0.add(IntVector.fromMemorySegment(INTS, mem, o, ByteOrder.LITTLE_ENDIAN).mul(w));
            s1 = s1.add(IntVector.fromMemorySegment(INTS, mem, o + 4L * L, ByteOrder.LITTLE_ENDIAN).mul(w));
        }
        s0.intoMemorySegment(mem, acc, ByteOrder.LITTLE_ENDIAN);
        s1.intoMemorySegment(mem, acc + 4L * L, ByteOrder.LITTLE_ENDIAN);
    }

    private void channel1(int c, MemorySegment mem, long x, long rowBytes, long acc) {
        short[] index = s.index;
        byte[] value = s.value;
        int wmask = s.wmask;
        int wo = s.wo;
        IntVector s0 = IntVector.broadcast(INTS, s.constants[c]);
        for (int j = s.start[c], end = s.start[c + 1]; j < end; j++) {
            s0 = s0.add(IntVector.fromMemorySegment(INTS, mem, x + index[j] * rowBytes, ByteOrder.LITTLE_ENDIAN)
                    .mul((value[j] & wmask) + wo));
        }
        s0.intoMemorySegment(mem, acc, ByteOrder.LITTLE_ENDIAN);
    }

    /** Requantizes {@code vectors} vectors of accumulators of channel {@code c} and stores {@code count} bytes. */
    private void store(int c, MemorySegment mem, long acc, long bytes, long out, int m, int count, int vectors) {
        for (int v = 0; v < vectors; v++) {
            for (int h = 0; h < L; h += HALF) {
                if (lanes.ruy) {
                    PanamaInt8GemmKernels.requantizeRuy(lanes, c * L + h, 0, mem, acc + 4L * (v * L + h),
                            bytes + v * L + h);
                } else {
                    PanamaInt8GemmKernels.requantizeGemmlowp(lanes, c * L + h, 0, mem, acc + 4L * (v * L + h),
                            bytes + v * L + h);
                }
            }
        }
        int n = s.n;
        long dst = out + (long) m * n + c;
        for (int i = 0; i < count; i++) {
            mem.set(ValueLayout.JAVA_BYTE, dst + (long) i * n, mem.get(ValueLayout.JAVA_BYTE, bytes + i));
        }
    }
}
