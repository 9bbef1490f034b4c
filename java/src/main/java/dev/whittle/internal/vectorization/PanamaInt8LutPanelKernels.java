package dev.whittle.internal.vectorization;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * The panel LUT micro-kernels on the Vector API ({@code lut4pc}, {@code lut5}, {@code lut5pc};
 * {@code _4x32__panama512}, {@code _4x16__panama256}; {@link Int8LutPanelGemm}): a block of rows
 * at a time ({@link Int8BlockKernels}); per tile of channels, the tile's {@code [K][nr]} weight
 * bytes are decoded from their indices and tables into a per-worker panel ({@code K * nr} bytes
 * of {@code tmp}), then {@link PanamaInt8GemmKernels}' outer product (4 rows x 2 int vectors of
 * channels, accumulators in registers, the same output stage) runs on the panel for every row
 * of the block. The decode is paid once per tile and block, so the kernel gets blocks of up to
 * 256 rows (the factory's {@code rowsPerBlock}).
 */
final class PanamaInt8LutPanelKernels implements Int8GemmKernels, Int8BlockKernels {
    private static final VectorSpecies<Integer> INTS = IntVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Byte> BYTES = VectorSpecies.of(byte.class,
            VectorShape.forBitSize(Math.max(64, INTS.length() * 8)));
    private static final int L = INTS.length();
    private static final int NR = 2 * L;
    /** The VBMI decode's species (used only where the preferred int vectors are 512 bits). */
    private static final VectorSpecies<Byte> B512 = ByteVector.SPECIES_512;
    /** The VBMI decode's constants: lanes 32..63 repeat 0..31; which lanes take the high nibble. */
    private static final int[] DUP = new int[64];
    private static final boolean[] HIGH = new boolean[64];
    /** Per group g of 8 channels, at [64 * g, 64 * g + 64): the lanes of its channels. */
    private static final boolean[] GROUP = new boolean[256];
    /** A lane's index offset in its group's 128 table bytes: (channel % 8) * 16. */
    private static final byte[] OFFS = new byte[64];

    static {
        for (int i = 0; i < 64; i++) {
            DUP[i] = i & 31;
            HIGH[i] = i >= 32;
            GROUP[64 * ((i & 31) / 8) + i] = true;
            OFFS[i] = (byte) (((i & 31) % 8) * 16);
        }
    }

    /** {@link #DUP} as a shuffle: a constant (made per call, it was allocated per call). */
    private static final VectorShuffle<Byte> DUP_SHUFFLE = VectorShuffle.fromArray(B512, DUP, 0);

    /** One byte per channel of a tile: 256 bits on AVX-512, 128 on AVX2. */
    private static final VectorSpecies<Byte> ROW = VectorSpecies.of(byte.class, VectorShape.forBitSize(NR * 8));
    /** The dense micro-kernel's tmp: a row of output bytes (and slack), then MR rows of ints. */
    private static final long STAGE_BYTES = 2L * NR + 4L * MR * NR;

    private final Int8LutPanelGemm lut;
    private final long sumsBytes;
    private final long panelBytes;

    /** lut5: the layer's 32 entries, then slack to a second ROW vector (the AVX2 upper half). */
    private final byte[] table32;

    PanamaInt8LutPanelKernels(Int8LutPanelGemm lut, int rowsPerBlock) {
        this.lut = lut;
        this.table32 = new byte[Math.max(64, 2 * NR)];
        if (lut.tableStride == 0) {
            for (int e = 0; e < lut.entries; e++) {
                table32[e] = lut.tables[e * NR];
            }
        }
        this.sumsBytes = align(4L * Math.max(rowsPerBlock, MR));
        this.panelBytes = align((long) Math.max(lut.k, 1) * NR + 64);
    }

    private static long align(long bytes) {
        return (bytes + 63) & ~63L;
    }

    @Override
    public int nr() {
        return NR;
    }

    @Override
    public long tmpBytes() {
        return sumsBytes + panelBytes + STAGE_BYTES;
    }

    @Override
    public void run(Int8Gemm g, int tile, int rows, MemorySegment a, long aOff, long aStride, MemorySegment rowSums,
            long rowSumsOff, MemorySegment out, long outOff, long outStride, MemorySegment tmp, long tmpOff) {
        long panel = tmpOff + sumsBytes;
        long stage = panel + panelBytes;
        decode(tile, tmp, panel);
        rows(g, tile, rows, a, aOff, aStride, rowSums, rowSumsOff, out, outOff, outStride, tmp, panel, stage);
    }

    @Override
    public void runBlock(int rows, MemorySegment mem, long a, int c0, int c1, long out, long tmp) {
        Int8Gemm g = lut.gemm();
        int k = g.k;
        long sums = tmp;
        long panel = tmp + sumsBytes;
        long stage = panel + panelBytes;
        if (g.rowOffset != 0) {
            int mask = g.unsignedInput ? 0xFF : -1;
            for (int r = 0; r < rows; r++) {
                long row = a + (long) r * k;
                int sum = 0;
                for (int i = 0; i < k; i++) {
                    sum += mem.get(ValueLayout.JAVA_BYTE, row + i) & mask;
                }
                mem.set(ValueLayout.JAVA_INT_UNALIGNED, sums + 4L * r, sum);
            }
        }
        int n = g.n;
        int t1 = (c1 + NR - 1) / NR;
        for (int t = c0 / NR; t < t1; t++) {
            decode(t, mem, panel);
            rows(g, t, rows, mem, a, k, mem, sums, mem, out, n, mem, panel, stage);
        }
    }

    /**
     * Decodes tile {@code t} into the panel ({@code [K][NR]} bytes at {@code off}): one straight-line
     * method per decode (no vector crosses a branch or a call: a merged method boxed its vectors
     * in C2 depending on compile order).
     */
    private void decode(int t, MemorySegment panel, long off) {
        Int8LutPanelGemm p = lut;
        if (p.channelMajor) {
            decodeVbmi(t, panel, off);
        } else if (p.hi != null && p.tableStride == 0) {
            decodeSelect32(t, panel, off);
        } else if (p.hi != null) {
            decodeTree32(t, panel, off);
        } else {
            decodeTree16(t, panel, off);
        }
    }

    /**
     * lut5: one 32-entry layer table, a byte shuffle for every lane at once ({@code vpermb} of one
     * 32-byte table on AVX-512 VBMI, a two-vector selectFrom of 16-byte halves on AVX2).
     */
    private void decodeSelect32(int t, MemorySegment panel, long off) {
        Int8LutPanelGemm p = lut;
        int k = p.k;
        int width = Math.min(NR, p.gemm().n - t * NR);
        int loBase = t * p.loRows * NR;
        int hiBase = t * p.hiRows * NR;
        byte[] lo = p.lo;
        byte[] hi = p.hi;
        ByteVector t0 = ByteVector.fromArray(ROW, table32, 0);
        ByteVector t1 = ByteVector.fromArray(ROW, table32, NR);
        for (int i = 0; i < k; i++) {
            ByteVector row = ByteVector.fromArray(ROW, lo, loBase + (i >> 1) * width);
            ByteVector idx = row.lanewise(VectorOperators.LSHR, (i & 1) * 4).and((byte) 15);
            VectorMask<Byte> m4 = ByteVector.fromArray(ROW, hi, hiBase + (i >> 3) * width)
                    .and((byte) (1 << (i & 7))).compare(VectorOperators.NE, (byte) 0);
            idx = idx.blend(idx.or((byte) 16), m4);
            ByteVector w = NR >= 32 ? idx.selectFrom(t0) : idx.selectFrom(t0, t1);
            w.intoMemorySegment(panel, off + (long) i * NR, ByteOrder.LITTLE_ENDIAN);
        }
    }

    /**
     * Per-channel 16-entry tables (lut4pc without VBMI): per k, the tile's indices are one byte
     * vector (the low or high nibbles of a row) and each lane picks its own channel's entry by a
     * binary tree of blends over the tile's transposed table (entry {@code e} of every channel is
     * one vector): a lookup in 16 per-lane tables without a gather, 15 blends and 4 compares per k
     * for the whole tile. Lanes past a narrow last tile's channels decode garbage never written out.
     */
    private void decodeTree16(int t, MemorySegment panel, long off) {
        Int8LutPanelGemm p = lut;
        int k = p.k;
        int width = Math.min(NR, p.gemm().n - t * NR);
        int loBase = t * p.loRows * NR;
        int b0 = t * p.tableStride;
        byte[] lo = p.lo;
        byte[] tb = p.tables;
        for (int i = 0; i < k; i++) {
            ByteVector row = ByteVector.fromArray(ROW, lo, loBase + (i >> 1) * width);
            ByteVector idx = row.lanewise(VectorOperators.LSHR, (i & 1) * 4);
            VectorMask<Byte> m0 = idx.and((byte) 1).compare(VectorOperators.NE, (byte) 0);
            VectorMask<Byte> m1 = idx.and((byte) 2).compare(VectorOperators.NE, (byte) 0);
            VectorMask<Byte> m2 = idx.and((byte) 4).compare(VectorOperators.NE, (byte) 0);
            VectorMask<Byte> m3 = idx.and((byte) 8).compare(VectorOperators.NE, (byte) 0);
            ByteVector wa00 = ByteVector.fromArray(ROW, tb, b0 + 0 * NR).blend(ByteVector.fromArray(ROW, tb, b0 + 1 * NR), m0);
            ByteVector wa01 = ByteVector.fromArray(ROW, tb, b0 + 2 * NR).blend(ByteVector.fromArray(ROW, tb, b0 + 3 * NR), m0);
            ByteVector wa02 = ByteVector.fromArray(ROW, tb, b0 + 4 * NR).blend(ByteVector.fromArray(ROW, tb, b0 + 5 * NR), m0);
            ByteVector wa03 = ByteVector.fromArray(ROW, tb, b0 + 6 * NR).blend(ByteVector.fromArray(ROW, tb, b0 + 7 * NR), m0);
            ByteVector wa04 = ByteVector.fromArray(ROW, tb, b0 + 8 * NR).blend(ByteVector.fromArray(ROW, tb, b0 + 9 * NR), m0);
            ByteVector wa05 = ByteVector.fromArray(ROW, tb, b0 + 10 * NR).blend(ByteVector.fromArray(ROW, tb, b0 + 11 * NR), m0);
            ByteVector wa06 = ByteVector.fromArray(ROW, tb, b0 + 12 * NR).blend(ByteVector.fromArray(ROW, tb, b0 + 13 * NR), m0);
            ByteVector wa07 = ByteVector.fromArray(ROW, tb, b0 + 14 * NR).blend(ByteVector.fromArray(ROW, tb, b0 + 15 * NR), m0);
            ByteVector wa10 = wa00.blend(wa01, m1);
            ByteVector wa11 = wa02.blend(wa03, m1);
            ByteVector wa12 = wa04.blend(wa05, m1);
            ByteVector wa13 = wa06.blend(wa07, m1);
            ByteVector wa20 = wa10.blend(wa11, m2);
            ByteVector wa21 = wa12.blend(wa13, m2);
            ByteVector wa = wa20.blend(wa21, m3);
            wa.intoMemorySegment(panel, off + (long) i * NR, ByteOrder.LITTLE_ENDIAN);
        }
    }

    /**
     * Per-channel 32-entry tables (lut5pc): two 16-entry trees and a blend by the bit plane's bit.
     * The trees are written out here and in {@link #decodeTree16} on purpose: a shared
     * {@code tree16(...)} helper returning a {@code ByteVector} (tried in session 14) boxed its
     * vectors (30 KB per invoke, {@code JavaWeightKernelsTest.lutPanelInvokeDoesNotAllocate}).
     */
    private void decodeTree32(int t, MemorySegment panel, long off) {
        Int8LutPanelGemm p = lut;
        int k = p.k;
        int width = Math.min(NR, p.gemm().n - t * NR);
        int loBase = t * p.loRows * NR;
        int hiBase = t * p.hiRows * NR;
        int b0 = t * p.tableStride;
        byte[] lo = p.lo;
        byte[] hi = p.hi;
        byte[] tb = p.tables;
        for (int i = 0; i < k; i++) {
            ByteVector row = ByteVector.fromArray(ROW, lo, loBase + (i >> 1) * width);
            ByteVector idx = row.lanewise(VectorOperators.LSHR, (i & 1) * 4);
            VectorMask<Byte> m0 = idx.and((byte) 1).compare(VectorOperators.NE, (byte) 0);
            VectorMask<Byte> m1 = idx.and((byte) 2).compare(VectorOperators.NE, (byte) 0);
            VectorMask<Byte> m2 = idx.and((byte) 4).compare(VectorOperators.NE, (byte) 0);
            VectorMask<Byte> m3 = idx.and((byte) 8).compare(VectorOperators.NE, (byte) 0);
            ByteVector wa00 = ByteVector.fromArray(ROW, tb, b0 + 0 * NR).blend(ByteVector.fromArray(ROW, tb, b0 + 1 * NR), m0);
            ByteVector wa01 = ByteVector.fromArray(ROW, tb, b0 + 2 * NR).blend(ByteVector.fromArray(ROW, tb, b0 + 3 * NR), m0);
            ByteVector wa02 = ByteVector.fromArray(ROW, tb, b0 + 4 * NR).blend(ByteVector.fromArray(ROW, tb, b0 + 5 * NR), m0);
            ByteVector wa03 = ByteVector.fromArray(ROW, tb, b0 + 6 * NR).blend(ByteVector.fromArray(ROW, tb, b0 + 7 * NR), m0);
            ByteVector wa04 = ByteVector.fromArray(ROW, tb, b0 + 8 * NR).blend(ByteVector.fromArray(ROW, tb, b0 + 9 * NR), m0);
            ByteVector wa05 = ByteVector.fromArray(ROW, tb, b0 + 10 * NR).blend(ByteVector.fromArray(ROW, tb, b0 + 11 * NR), m0);
            ByteVector wa06 = ByteVector.fromArray(ROW, tb, b0 + 12 * NR).blend(ByteVector.fromArray(ROW, tb, b0 + 13 * NR), m0);
            ByteVector wa07 = ByteVector.fromArray(ROW, tb, b0 + 14 * NR).blend(ByteVector.fromArray(ROW, tb, b0 + 15 * NR), m0);
            ByteVector wa10 = wa00.blend(wa01, m1);
            ByteVector wa11 = wa02.blend(wa03, m1);
            ByteVector wa12 = wa04.blend(wa05, m1);
            ByteVector wa13 = wa06.blend(wa07, m1);
            ByteVector wa20 = wa10.blend(wa11, m2);
            ByteVector wa21 = wa12.blend(wa13, m2);
            ByteVector wa = wa20.blend(wa21, m3);
            int b1 = b0 + 16 * NR;
            ByteVector wb00 = ByteVector.fromArray(ROW, tb, b1 + 0 * NR).blend(ByteVector.fromArray(ROW, tb, b1 + 1 * NR), m0);
            ByteVector wb01 = ByteVector.fromArray(ROW, tb, b1 + 2 * NR).blend(ByteVector.fromArray(ROW, tb, b1 + 3 * NR), m0);
            ByteVector wb02 = ByteVector.fromArray(ROW, tb, b1 + 4 * NR).blend(ByteVector.fromArray(ROW, tb, b1 + 5 * NR), m0);
            ByteVector wb03 = ByteVector.fromArray(ROW, tb, b1 + 6 * NR).blend(ByteVector.fromArray(ROW, tb, b1 + 7 * NR), m0);
            ByteVector wb04 = ByteVector.fromArray(ROW, tb, b1 + 8 * NR).blend(ByteVector.fromArray(ROW, tb, b1 + 9 * NR), m0);
            ByteVector wb05 = ByteVector.fromArray(ROW, tb, b1 + 10 * NR).blend(ByteVector.fromArray(ROW, tb, b1 + 11 * NR), m0);
            ByteVector wb06 = ByteVector.fromArray(ROW, tb, b1 + 12 * NR).blend(ByteVector.fromArray(ROW, tb, b1 + 13 * NR), m0);
            ByteVector wb07 = ByteVector.fromArray(ROW, tb, b1 + 14 * NR).blend(ByteVector.fromArray(ROW, tb, b1 + 15 * NR), m0);
            ByteVector wb10 = wb00.blend(wb01, m1);
            ByteVector wb11 = wb02.blend(wb03, m1);
            ByteVector wb12 = wb04.blend(wb05, m1);
            ByteVector wb13 = wb06.blend(wb07, m1);
            ByteVector wb20 = wb10.blend(wb11, m2);
            ByteVector wb21 = wb12.blend(wb13, m2);
            ByteVector wb = wb20.blend(wb21, m3);
            VectorMask<Byte> m4 = ByteVector.fromArray(ROW, hi, hiBase + (i >> 3) * width)
                    .and((byte) (1 << (i & 7))).compare(VectorOperators.NE, (byte) 0);
            wa = wa.blend(wb, m4);
            wa.intoMemorySegment(panel, off + (long) i * NR, ByteOrder.LITTLE_ENDIAN);
        }
    }


    /**
     * lut4pc on AVX-512 with VBMI ({@link Int8LutPanelGemm#channelMajor}): two k of the tile per
     * 64-byte vector (the index row's 32 bytes twice: low nibbles in lanes 0..31, high nibbles in
     * 32..63), each lane's index offset by its channel's place in a group of 8, then one two-vector
     * {@code selectFrom} ({@code vpermi2b}) over each group's 8 tables (128 bytes) and three
     * blends: 4 table shuffles per 64 weights where the blend tree takes 30 blends.
     */
    private void decodeVbmi(int t, MemorySegment panel, long off) {
        Int8LutPanelGemm p = lut;
        int k = p.k;
        int width = Math.min(NR, p.gemm().n - t * NR);
        int loBase = t * p.loRows * NR;
        byte[] lo = p.lo;
        byte[] tb = p.tables;
        int b0 = t * p.tableStride;
        VectorShuffle<Byte> dup = DUP_SHUFFLE;
        VectorMask<Byte> high = VectorMask.fromArray(B512, HIGH, 0);
        VectorMask<Byte> g1 = VectorMask.fromArray(B512, GROUP, 64);
        VectorMask<Byte> g2 = VectorMask.fromArray(B512, GROUP, 128);
        VectorMask<Byte> g3 = VectorMask.fromArray(B512, GROUP, 192);
        ByteVector offs = ByteVector.fromArray(B512, OFFS, 0);
        ByteVector t00 = ByteVector.fromArray(B512, tb, b0);
        ByteVector t01 = ByteVector.fromArray(B512, tb, b0 + 64);
        ByteVector t10 = ByteVector.fromArray(B512, tb, b0 + 128);
        ByteVector t11 = ByteVector.fromArray(B512, tb, b0 + 192);
        ByteVector t20 = ByteVector.fromArray(B512, tb, b0 + 256);
        ByteVector t21 = ByteVector.fromArray(B512, tb, b0 + 320);
        ByteVector t30 = ByteVector.fromArray(B512, tb, b0 + 384);
        ByteVector t31 = ByteVector.fromArray(B512, tb, b0 + 448);
        int pairs = (k + 1) / 2;
        for (int q = 0; q < pairs; q++) {
            ByteVector v = ByteVector.fromArray(B512, lo, loBase + q * width).rearrange(dup);
            ByteVector idx = v.and((byte) 15).blend(v.lanewise(VectorOperators.LSHR, 4), high).add(offs);
            ByteVector w = idx.selectFrom(t00, t01)
                    .blend(idx.selectFrom(t10, t11), g1)
                    .blend(idx.selectFrom(t20, t21), g2)
                    .blend(idx.selectFrom(t30, t31), g3);
            // rows 2q and 2q + 1 (an odd K's last write lands in the panel's slack)
            w.intoMemorySegment(panel, off + (long) q * 2 * NR, ByteOrder.LITTLE_ENDIAN);
        }
    }

    private static void rows(Int8Gemm g, int tile, int rows, MemorySegment a, long aOff, long aStride,
            MemorySegment rowSums, long rowSumsOff, MemorySegment out, long outOff, long outStride, MemorySegment tmp,
            long panel, long stage) {
        int r = 0;
        for (; r + MR <= rows; r += MR) {
            rows4(g, tile, a, aOff + r * aStride, aStride, tmp, panel, stage);
            PanamaInt8GemmKernels.finish(g, tile, MR, rowSums, rowSumsOff + 4L * r, out, outOff + r * outStride,
                    outStride, tmp, stage);
        }
        for (; r < rows; r++) {
            row1(g, tile, a, aOff + r * aStride, tmp, panel, stage);
            PanamaInt8GemmKernels.finish(g, tile, 1, rowSums, rowSumsOff + 4L * r, out, outOff + r * outStride, 0,
                    tmp, stage);
        }
    }

    private static void rows4(Int8Gemm g, int tile, MemorySegment a, long aOff, long aStride, MemorySegment p,
            long panel, long stage) {
        int k = g.k;
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
        long wo = panel;
        for (int i = 0; i < k; i++, wo += NR) {
            IntVector w0 = (IntVector) ByteVector.fromMemorySegment(BYTES, p, wo, ByteOrder.LITTLE_ENDIAN)
                    .convertShape(VectorOperators.B2I, INTS, 0);
            IntVector w1 = (IntVector) ByteVector.fromMemorySegment(BYTES, p, wo + L, ByteOrder.LITTLE_ENDIAN)
                    .convertShape(VectorOperators.B2I, INTS, 0);
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
        // Through memory, as the dense kernel: finish is not inlined into this loop.
        long acc = stage + 2 * NR;
        a00.intoMemorySegment(p, acc, ByteOrder.LITTLE_ENDIAN);
        a01.intoMemorySegment(p, acc + 4L * L, ByteOrder.LITTLE_ENDIAN);
        a10.intoMemorySegment(p, acc + 4L * NR, ByteOrder.LITTLE_ENDIAN);
        a11.intoMemorySegment(p, acc + 4L * (NR + L), ByteOrder.LITTLE_ENDIAN);
        a20.intoMemorySegment(p, acc + 8L * NR, ByteOrder.LITTLE_ENDIAN);
        a21.intoMemorySegment(p, acc + 4L * (2 * NR + L), ByteOrder.LITTLE_ENDIAN);
        a30.intoMemorySegment(p, acc + 12L * NR, ByteOrder.LITTLE_ENDIAN);
        a31.intoMemorySegment(p, acc + 4L * (3 * NR + L), ByteOrder.LITTLE_ENDIAN);
    }

    private static void row1(Int8Gemm g, int tile, MemorySegment a, long row, MemorySegment p, long panel,
            long stage) {
        int k = g.k;
        int mask = g.unsignedInput ? 0xFF : -1;
        IntVector a0 = IntVector.fromArray(INTS, g.constants, tile * NR);
        IntVector a1 = IntVector.fromArray(INTS, g.constants, tile * NR + L);
        long wo = panel;
        for (int i = 0; i < k; i++, wo += NR) {
            int x = a.get(ValueLayout.JAVA_BYTE, row + i) & mask;
            a0 = a0.add(((IntVector) ByteVector.fromMemorySegment(BYTES, p, wo, ByteOrder.LITTLE_ENDIAN)
                    .convertShape(VectorOperators.B2I, INTS, 0)).mul(x));
            a1 = a1.add(((IntVector) ByteVector.fromMemorySegment(BYTES, p, wo + L, ByteOrder.LITTLE_ENDIAN)
                    .convertShape(VectorOperators.B2I, INTS, 0)).mul(x));
        }
        long acc = stage + 2 * NR;
        a0.intoMemorySegment(p, acc, ByteOrder.LITTLE_ENDIAN);
        a1.intoMemorySegment(p, acc + 4L * L, ByteOrder.LITTLE_ENDIAN);
    }
}
