package dev.whittle.internal.vectorization;

import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

/**
 * The Java path's 16x8 sparse, 2:4 and LUT-16 micro-kernels ({@code PanamaInt16SparseKernels}) against
 * their plain twin ({@link ScalarInt16SparseKernels}) and both against the dense plain 16x8 GEMM
 * twin ({@code ScalarInt16Kernels}, itself checked against the reference) on the same weights:
 * all three output stages, rows 1..70 (vector tails), K across the 256-product int32 flush, every
 * 2:4 pattern, groups with 0 and 1 non-zeros, all-zero channels, 1..16 values per channel with -128
 * and 127 among them, extreme values. Identical shorts.
 */
class Int16SparseTwinTest {
    private static final MemorySegment ALL = MemorySegment.NULL.reinterpret(Long.MAX_VALUE);

    private static short[] run(Int16SparseGemm g, int m, short[] a) {
        Int16SparseGemm.Kernels kernels = g.kernels();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment in = arena.allocate(2L * a.length + 64, 64);
            MemorySegment out = arena.allocate(2L * m * g.n + 64, 64);
            MemorySegment tmp = arena.allocate(Math.max(64, kernels.tmpBytes()), 64);
            MemorySegment.copy(a, 0, in, ValueLayout.JAVA_SHORT_UNALIGNED, 0, a.length);
            int half = g.n / 2;
            kernels.runBlock(m, ALL, in.address(), 0, half, out.address(), tmp.address());
            kernels.runBlock(m, ALL, in.address(), half, g.n, out.address(), tmp.address());
            return out.asSlice(0, 2L * m * g.n).toArray(ValueLayout.JAVA_SHORT);
        }
    }

    private static short[] dense(byte[] w, int k, int n, int m, short[] a, long[] bias, int stage, int[] mult,
            int[] shift, double[] scales, int min, int max) {
        Int16Kernels kernels = VectorizationProvider.plain().int16();
        Int16Gemm g = Int16Gemm.pack(kernels, w, k, n, bias, stage, mult, shift, scales, min, max);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment in = arena.allocate(2L * m * k + 64, 64);
            MemorySegment out = arena.allocate(2L * m * n + 64, 64);
            MemorySegment tmp = arena.allocate(Math.max(64, kernels.tmpBytes()), 64);
            MemorySegment.copy(a, 0, in, ValueLayout.JAVA_SHORT_UNALIGNED, 0, a.length);
            for (int t = 0; t < g.tiles(); t++) {
                for (int r = 0; r < m; r += Int16Kernels.MR) {
                    kernels.gemm(g, t, Math.min(Int16Kernels.MR, m - r), in, 2L * r * k, 2L * k, out, 2L * r * n,
                            2L * n, tmp, 0);
                }
            }
            return out.asSlice(0, 2L * m * n).toArray(ValueLayout.JAVA_SHORT);
        }
    }

    @Test
    void sparseAndSp24MatchTwinAndDense() {
        SplittableRandom r = new SplittableRandom(7);
        int[] ks = {4, 12, 64, 256, 516, 1024};
        int[] ms = {1, 3, 8, 15, 16, 17, 33, 64, 70};
        for (int stage = 0; stage < 3; stage++) {
            for (int ki = 0; ki < ks.length; ki++) {
                for (int format = 0; format < 3; format++) {
                    boolean sp24 = format == 1;
                    boolean lut = format == 2;
                    int k = ks[ki];
                    int n = 1 + r.nextInt(40);
                    int m = ms[r.nextInt(ms.length)];
                    boolean extreme = r.nextInt(3) == 0;
                    boolean maxPositive = k >= 516 && r.nextBoolean();
                    short[] a = new short[m * k];
                    for (int i = 0; i < a.length; i++) {
                        a[i] = maxPositive ? Short.MIN_VALUE : extreme ? (r.nextBoolean() ? Short.MIN_VALUE
                                : Short.MAX_VALUE) : (short) r.nextInt(65536);
                    }
                    byte[] w = new byte[n * k];
                    double zeros = new double[] {0, 0.5, 0.8, 0.95, 1.0}[r.nextInt(5)];
                    int clusters = 1 + r.nextInt(16);
                    byte[][] tables = new byte[n][clusters];
                    for (byte[] t : tables) {
                        for (int i = 0; i < clusters; i++) {
                            t[i] = (byte) (i == 0 ? -128 : i == 1 ? 127 : r.nextInt(256));
                        }
                    }
                    for (int c = 0; c < n; c++) {
                        boolean zeroRow = c % 6 == 5;
                        for (int g = 0; g < k; g += 4) {
                            int keep = r.nextInt(8) == 0 ? r.nextInt(2) : 2;
                            int p0 = r.nextInt(4);
                            int p1 = (p0 + 1 + r.nextInt(3)) % 4;
                            for (int q = 0; q < 4 && g + q < k; q++) {
                                byte v = maxPositive ? Byte.MIN_VALUE : extreme ? (r.nextBoolean() ? Byte.MIN_VALUE
                                        : Byte.MAX_VALUE) : (byte) r.nextInt(256);
                                boolean kept = sp24 ? (keep >= 1 && q == p0) || (keep == 2 && q == p1)
                                        : r.nextDouble() >= zeros;
                                w[c * k + g + q] = lut ? (zeroRow ? 0 : tables[c][r.nextInt(clusters)])
                                        : zeroRow || !kept ? 0 : v;
                            }
                        }
                    }
                    long[] bias = null;
                    if (r.nextInt(4) != 0) {
                        bias = new long[n];
                        for (int c = 0; c < n; c++) {
                            bias[c] = extreme ? (r.nextBoolean() ? Long.MAX_VALUE - r.nextInt(1 << 20)
                                    : Long.MIN_VALUE + r.nextInt(1 << 20)) : r.nextLong(-(1L << 34), 1L << 34);
                        }
                    }
                    int[] mult = new int[n];
                    int[] shift = new int[n];
                    double[] scales = new double[n];
                    for (int c = 0; c < n; c++) {
                        mult[c] = c % 7 == 0 ? Integer.MAX_VALUE - r.nextInt(1 << 16) : (1 << 30) + r.nextInt(1 << 30);
                        shift[c] = c % 5 == 0 ? 7 : -r.nextInt(32);
                        if (stage == Int16Gemm.STAGE_RUY) {
                            shift[c] = Math.min(shift[c], 0);
                        }
                        scales[c] = Math.scalb(r.nextDouble(), -r.nextInt(30));
                    }
                    int min = r.nextBoolean() ? Short.MIN_VALUE : 0;
                    int max = r.nextBoolean() ? Short.MAX_VALUE : 6000;
                    String label = (sp24 ? "sp24" : lut ? "lut " + clusters : "sparse") + " stage " + stage + " m " + m + " k " + k + " n " + n;
                    short[] expected = dense(w, k, n, m, a, bias, stage, mult, shift, scales, min, max);
                    for (VectorizationProvider p : new VectorizationProvider[] {VectorizationProvider.plain(),
                        VectorizationProvider.get()}) {
                        Int16SparseGemm g = sp24
                                ? Int16SparseGemm.pack24(p, w, k, n, m, bias, stage, mult, shift, scales, min, max)
                                : lut ? Int16SparseGemm.packLut(p, w, k, n, m, bias, stage, mult, shift, scales, min,
                                        max)
                                : Int16SparseGemm.pack(p, w, k, n, m, bias, stage, mult, shift, scales, min, max);
                        assertNotNull(g, label);
                        assertArrayEquals(expected, run(g, m, a), label + " " + p.isa());
                    }
                }
            }
        }
    }
}
