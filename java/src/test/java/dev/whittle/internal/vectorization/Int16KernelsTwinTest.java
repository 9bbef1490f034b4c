package dev.whittle.internal.vectorization;

import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

/**
 * {@code PanamaInt16Kernels} against its plain-Java twin {@code ScalarInt16Kernels} (which
 * the whole-op tests compare with the reference) on random calls: the GEMM with all three
 * output stages, 1-4 rows, tails of every width, K across the 256-k blocks, extreme values;
 * the depthwise row with channel tails and borders. Identical shorts.
 */
class Int16KernelsTwinTest {
    private static final Int16Kernels PANAMA = VectorizationProvider.get().int16();
    private static final Int16Kernels TWIN = VectorizationProvider.plain().int16();

    private static short[] run(Int16Kernels kernels, byte[] w, int k, int n, int m, short[] a, long[] bias, int stage,
            int[] mult, int[] shift, double[] scales, int min, int max) {
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
    void gemmMatchesTwin() {
        SplittableRandom r = new SplittableRandom(42);
        int[] ks = {1, 3, 16, 255, 256, 257, 700};
        int[] ns = {1, 5, 8, 9, 16, 17, 31, 32, 33, 48, 65, 70};
        for (int stage = 0; stage < 3; stage++) {
            for (int ki = 0; ki < ks.length; ki++) {
                int k = ks[ki];
                for (int ni = 0; ni < ns.length; ni += 1 + (ki % 2)) {
                    int n = ns[ni];
                    int m = 1 + r.nextInt(11);
                    boolean extreme = r.nextInt(3) == 0;
                    short[] a = new short[m * k];
                    for (int i = 0; i < a.length; i++) {
                        a[i] = extreme ? (r.nextBoolean() ? Short.MIN_VALUE : Short.MAX_VALUE) : (short) r.nextInt(65536);
                    }
                    byte[] w = new byte[n * k];
                    for (int i = 0; i < w.length; i++) {
                        w[i] = extreme ? (r.nextBoolean() ? Byte.MIN_VALUE : Byte.MAX_VALUE) : (byte) r.nextInt(256);
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
                    short[] expected = run(TWIN, w, k, n, m, a, bias, stage, mult, shift, scales, min, max);
                    short[] actual = run(PANAMA, w, k, n, m, a, bias, stage, mult, shift, scales, min, max);
                    assertArrayEquals(expected, actual, "stage " + stage + " m " + m + " k " + k + " n " + n);
                }
            }
        }
    }

    private static short[] depthwise(Int16Kernels kernels, int[] geo, int batches, byte[] w, long[] bias, int[] mult,
            int[] shift, short[] x) {
        Int16Depthwise d = Int16Depthwise.pack(kernels, geo, w, bias, mult, shift, Short.MIN_VALUE, Short.MAX_VALUE);
        int c = geo[2];
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment in = arena.allocate(2L * x.length + 64, 64);
            long outLen = (long) batches * geo[3] * geo[4] * c;
            MemorySegment out = arena.allocate(2 * outLen + 64, 64);
            MemorySegment tmp = arena.allocate(Math.max(64, kernels.tmpBytes()), 64);
            MemorySegment.copy(x, 0, in, ValueLayout.JAVA_SHORT_UNALIGNED, 0, x.length);
            for (int b = 0; b < batches; b++) {
                for (int oy = 0; oy < geo[3]; oy++) {
                    kernels.depthwise(d, in, 0, out, 0, b, oy, 0, geo[4], tmp, 0);
                }
            }
            return out.asSlice(0, 2 * outLen).toArray(ValueLayout.JAVA_SHORT);
        }
    }

    @Test
    void depthwiseMatchesTwin() {
        SplittableRandom r = new SplittableRandom(7);
        int[] channels = {1, 2, 4, 7, 8, 9, 16, 17, 33, 64, 70};
        for (int ci = 0; ci < channels.length; ci++) {
            int c = channels[ci];
            int kh = 1 + 2 * (ci % 3);
            int kw = kh;
            int stride = 1 + ci % 2;
            int dil = ci % 4 == 3 ? 2 : 1;
            int inH = 7;
            int inW = 37;
            int pad = (kh - 1) * dil / 2;
            int outH = (inH + 2 * pad - (kh - 1) * dil - 1) / stride + 1;
            int outW = (inW + 2 * pad - (kw - 1) * dil - 1) / stride + 1;
            int batches = 2;
            int[] geo = {inH, inW, c, outH, outW, kh, kw, stride, stride, dil, dil, pad, pad, batches};
            short[] x = new short[batches * inH * inW * c];
            for (int i = 0; i < x.length; i++) {
                x[i] = (short) r.nextInt(65536);
            }
            byte[] w = new byte[kh * kw * c];
            for (int i = 0; i < w.length; i++) {
                w[i] = (byte) r.nextInt(256);
            }
            long[] bias = new long[c];
            int[] mult = new int[c];
            int[] shift = new int[c];
            for (int i = 0; i < c; i++) {
                bias[i] = r.nextLong();
                mult[i] = r.nextInt(Integer.MAX_VALUE);
                shift[i] = 7 - r.nextInt(39);
            }
            assertArrayEquals(depthwise(TWIN, geo, batches, w, bias, mult, shift, x),
                    depthwise(PANAMA, geo, batches, w, bias, mult, shift, x), "channels " + c + " k " + kh);
        }
    }
}
