package dev.whittle.runtime;

import dev.whittle.CpuFeatures;
import dev.whittle.runtime.DepthwiseConvKernelPathsTest.Spec;
import dev.whittle.runtime.kernels.DepthwiseConvKernelFactory;
import dev.whittle.runtime.kernels.KernelFamily;
import dev.whittle.runtime.kernels.KernelPath;
import dev.whittle.runtime.kernels.KernelRegistry;
import dev.whittle.runtime.kernels.NativeDepthwiseConvRows;
import dev.whittle.runtime.kernels.NativeKernels;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The row kernels ({@code *_dwconv2d_minmax_rows64c4__avx512vnni}, {@code *_rows16c2__avx2},
 * {@link NativeDepthwiseConvRows}) on every path this machine runs, bit for bit against the
 * reference kernel, threads 1 and 3, the dispatched kernel asserted by
 * {@link DepthwiseConvKernelPathsTest#check}. Sweeps every way they read taps (direct_mode:
 * stride 1; stride 2 with 8, 16, 32 channels; 64k channels; one channel times a multiplier; the
 * staged / gathered fallback for the rest), step widths around the vector (channels 1..70,
 * multipliers 1, 2, 8), kernels 3x3, 5x5, 1x1, 2x4, 7x1, strides 1..3, dilation, SAME and VALID,
 * rows narrower than a step, batch 2, zero points at both ends, saturating and tiny multipliers,
 * RELU / RELU6 / none. The shapes of person_detect's depthwise layers run at full size.
 */
class DepthwiseConvRowsKernelTest {
    // One-input-channel nodes with a multiplier >= 8 (1 x 8 shapes here) stay on the rows kernel
    // under test; NativeDepthwiseConvC1 takes them by default (DepthwiseC1KernelTest).
    @org.junit.jupiter.api.BeforeEach
    void rowsKernelForOneChannelNodes() {
        System.setProperty(dev.whittle.runtime.kernels.NativeDepthwiseConvC1.PROPERTY, "false");
    }

    @org.junit.jupiter.api.AfterEach
    void clearOneChannelProperty() {
        System.clearProperty(dev.whittle.runtime.kernels.NativeDepthwiseConvC1.PROPERTY);
    }

    @AfterEach
    void clearProperty() {
        System.clearProperty(KernelPath.PROPERTY);
        System.clearProperty(NativeDepthwiseConvRows.SERIAL_MACS_PROPERTY);
        System.clearProperty(dev.whittle.runtime.kernels.NativeDepthwiseConv.FEW_ROWS_SPLIT_PROPERTY);
        System.clearProperty(NativeDepthwiseConvRows.ROWS_PROPERTY);
    }

    /**
     * The AVX2 kernel's 32-byte window mode (direct_mode 5, session 12: small channel counts,
     * multipliers and strides 2-3), its two-pixel blend (mode 6: multiplier 1, 16 channels or
     * more) and the staged row (mode 0: the rest), each
     * geometry's mode asserted, every family, 3x3 / 5x5 dilated / 1x3, SAME and VALID.
     */
    @Test
    void avx2WindowAndStagedModes() {
        int[][] cases = {
            // c, mult, sw, mode
            {1, 1, 2, 5}, {2, 1, 2, 5}, {3, 1, 2, 5}, {4, 2, 2, 5}, {3, 2, 1, 5}, {5, 3, 1, 5}, {12, 4, 2, 5},
            {3, 3, 2, 5}, {10, 2, 2, 5}, {6, 4, 2, 5}, {24, 2, 2, 5}, {2, 4, 3, 5},
            {24, 1, 2, 6}, {40, 1, 2, 6}, {20, 1, 2, 6}, {17, 1, 3, 6},
            {6, 1, 3, 0}, {7, 1, 2, 0}, {5, 7, 2, 0},
        };
        int i = 0;
        for (KernelFamily<DepthwiseConvKernelFactory> family : DepthwiseConvKernelPathsTest.FAMILIES) {
            for (int[] g : cases) {
                assertEquals(g[3], NativeDepthwiseConvRows.directModeAvx2(g[0], g[1], g[2]),
                        "mode of c " + g[0] + " x " + g[1] + " stride " + g[2]);
                if (!rowsAvailable(family)) {
                    continue;
                }
                int k = i % 3;
                int kh = k == 2 ? 1 : k == 1 ? 5 : 3;
                int kw = k == 1 ? 5 : 3;
                int dil = k == 1 ? 2 : 1;
                Spec s = new Spec(i % 4 == 0 ? 2 : 1, 7 + i % 6, 11 + i % 9, g[0], g[1], kh, kw, 1 + i % 2, g[2],
                        dil, dil, k == 1 || i % 5 != 3, i % 3, i % 4 != 2, i % 3, i % 5 == 1 ? 1 : 0, 9100 + i);
                check(family, s);
                i++;
            }
        }
    }

    /** {@code -Dwhittle.dwconv.rows=false}: the AVX2 path takes 64l or 16c instead (asserted by check). */
    @Test
    void rowsPropertyOff() {
        System.setProperty(NativeDepthwiseConvRows.ROWS_PROPERTY, "false");
        assertTrue(!NativeDepthwiseConvRows.prefers(NativeDepthwiseConvRows.Isa.AVX2, 3, 2, 1, 20));
        int i = 0;
        for (int[] g : new int[][] {{3, 2, 1}, {24, 1, 2}, {8, 1, 1}, {48, 1, 1}}) {
            check(KernelRegistry.QU8_DWCONV2D, new Spec(1, 9, 10, g[0], g[1], 3, 3, g[2], g[2], 1, 1, true, 1,
                    true, 0, 0, 9300 + i++));
        }
    }

    /** Whether a row kernel runs here for the family (else the sweep would test nothing new). */
    static boolean rowsAvailable(KernelFamily<?> family) {
        CpuFeatures cpu = CpuFeatures.detect();
        for (NativeDepthwiseConvRows.Isa isa : NativeDepthwiseConvRows.Isa.values()) {
            KernelPath path = isa == NativeDepthwiseConvRows.Isa.AVX2 ? KernelPath.AVX2 : KernelPath.AVX512VNNI;
            if (path.supportedBy(cpu)
                    && NativeKernels.has("whittle_" + NativeDepthwiseConvRows.kernelName(family, isa))) {
                return true;
            }
        }
        return false;
    }

    static void check(KernelFamily<DepthwiseConvKernelFactory> family, Spec s) {
        DepthwiseConvKernelPathsTest.check(family, s);
    }

    /**
     * AVX2, multiplier 1, more than 64 channels that are not a multiple of 16 (65..130): rows16c2
     * at stride 1 ({@link NativeDepthwiseConvRows#prefersOnAvx2Path}, session 12), 16c at stride 2;
     * the AVX-512 path's choice unchanged ({@code prefers(Isa.AVX2, ...)} still false). Every family,
     * 3x3 / 5x5 / 1x3 / 3x3 dilated, SAME and VALID, batch 2, zero points at both ends, saturating
     * scales, with and without bias; every path bit-exact with the reference, kernel asserted, threads 1 and 3.
     */
    @Test
    void avx2Stride1ChannelsNotMultipleOf16() {
        int[] channels = {65, 72, 81, 88, 100, 104, 120, 130};
        int i = 0;
        for (KernelFamily<DepthwiseConvKernelFactory> family : DepthwiseConvKernelPathsTest.FAMILIES) {
            if (!rowsAvailable(family)) {
                continue;
            }
            for (int c : channels) {
                for (int stride = 1; stride <= 2; stride++) {
                    int w = 5 + (i * 3) % 9;
                    assertTrue(NativeDepthwiseConvRows.prefersOnAvx2Path(c, 1, stride, w) == (stride == 1));
                    assertTrue(!NativeDepthwiseConvRows.prefers(NativeDepthwiseConvRows.Isa.AVX2, c, 1, stride, w));
                    int k = new int[] {3, 5, 1, 3}[i % 4];
                    int kw = i % 4 == 2 ? 3 : k;
                    int dil = i % 4 == 3 ? 2 : 1;
                    Spec s = new Spec(i % 3 == 0 ? 2 : 1, 6 + i % 4, w, c, 1, k, kw, stride, stride, dil, dil,
                            i % 2 == 0, new int[] {0, 3, 1}[i % 3], i % 4 != 1, (i / 2) % 3,
                            i % 5 == 2 ? 1 : i % 5 == 4 ? 2 : 0, 7700 + i);
                    check(family, s);
                    i++;
                }
            }
        }
        org.junit.jupiter.api.Assumptions.assumeTrue(i > 0, "no row kernel on this machine");
    }

    @Test
    void channelsAndMultipliers() {
        KernelFamily<DepthwiseConvKernelFactory> family = KernelRegistry.QS8_QC8W_DWCONV2D;
        org.junit.jupiter.api.Assumptions.assumeTrue(rowsAvailable(family), "no row kernel on this machine");
        int i = 0;
        for (int mult : new int[] {1, 2, 8}) {
            int maxC = mult == 1 ? 70 : mult == 2 ? 35 : 9;
            for (int c = 1; c <= maxC; c++) {
                if (mult == 2 && c > 20 && c != 32 && c != 33 && c != 35) {
                    continue;
                }
                int stride = 1 + i % 2;
                boolean dil = i % 7 == 5;
                Spec s = new Spec(i % 9 == 0 ? 2 : 1, 6 + i % 5, 9 + i % 13, c, mult, 3, 3, stride, stride,
                        dil ? 2 : 1, dil ? 2 : 1, i % 3 != 2, new int[] {0, 3, 1}[i % 3], i % 4 != 1, i % 3,
                        i % 6 == 5 ? 1 : i % 6 == 4 ? 2 : 0, 7000 + i);
                check(family, s);
                i++;
            }
        }
    }

    @Test
    void directModesAndFallbacks() {
        int[][] cases = {
            // h, w, c, mult, kh, kw, sh, sw, dh, dw
            {9, 21, 8, 1, 3, 3, 2, 2, 1, 1},     // stride 2, 8 channels
            {8, 19, 16, 1, 3, 3, 2, 2, 1, 1},    // stride 2, 16 channels
            {7, 17, 32, 1, 3, 3, 2, 2, 1, 1},    // stride 2, 32 channels
            {6, 9, 64, 1, 3, 3, 2, 2, 1, 1},     // 64 channels, stride 2
            {5, 7, 128, 1, 3, 3, 1, 3, 1, 1},    // 128 channels, stride 3
            {20, 33, 1, 8, 3, 3, 2, 2, 1, 1},    // one channel x 8, stride 2 (person_detect's first)
            {11, 37, 1, 4, 3, 3, 1, 1, 1, 1},    // one channel x 4
            {9, 30, 1, 16, 3, 3, 2, 2, 1, 1},    // one channel x 16
            {10, 23, 3, 2, 3, 3, 2, 2, 1, 1},    // fallback (staged / gathered)
            {7, 26, 24, 1, 3, 3, 2, 2, 1, 1},    // stride 2, 24 channels: fallback
            {9, 14, 12, 1, 5, 5, 1, 1, 1, 1},    // 5x5: two horizontal groups
            {6, 15, 10, 1, 2, 4, 1, 2, 1, 2},    // 2x4, dilation 2 horizontally
            {13, 6, 16, 1, 7, 1, 1, 1, 2, 1},    // 7x1, dilation 2 vertically
            {5, 8, 40, 1, 1, 1, 1, 1, 1, 1},     // 1x1
            {3, 2, 5, 3, 3, 3, 1, 1, 1, 1},      // rows narrower than a step
            {12, 70, 2, 1, 3, 3, 1, 1, 1, 1},    // many pixels per step
        };
        int i = 0;
        for (KernelFamily<DepthwiseConvKernelFactory> family : DepthwiseConvKernelPathsTest.FAMILIES) {
            if (!rowsAvailable(family)) {
                continue;
            }
            for (int[] g : cases) {
                for (boolean same : new boolean[] {true, false}) {
                    if (!same && (g[0] - (g[4] - 1) * g[8] < 1 || g[1] - (g[5] - 1) * g[9] < 1)) {
                        continue;
                    }
                    Spec s = new Spec(i % 5 == 0 ? 2 : 1, g[0], g[1], g[2], g[3], g[4], g[5], g[6], g[7], g[8], g[9],
                            same, new int[] {3, 0, 1}[i % 3], i % 4 != 3, i % 3, i % 5 == 2 ? 1 : i % 5 == 4 ? 2 : 0,
                            8000 + i);
                    check(family, s);
                    i++;
                }
            }
        }
        assertTrue(i > 0 || !rowsAvailable(KernelRegistry.QS8_QC8W_DWCONV2D));
    }

    @Test
    void extremes() {
        int i = 0;
        for (KernelFamily<DepthwiseConvKernelFactory> family : DepthwiseConvKernelPathsTest.FAMILIES) {
            if (!rowsAvailable(family)) {
                continue;
            }
            for (int extremes = 0; extremes < 3; extremes++) {
                for (int scale = 0; scale < 3; scale++) {
                    for (int[] cm : new int[][] {{8, 1}, {1, 8}, {16, 1}}) {
                        Spec s = new Spec(1, 7, 13, cm[0], cm[1], 3, 3, 1 + i % 2, 1 + i % 2, 1, 1, i % 2 == 0,
                                new int[] {0, 3, 1}[i % 3], i % 2 == 1, extremes, scale, 9000 + i);
                        check(family, s);
                        i++;
                    }
                }
            }
        }
    }

    /**
     * Layers of few rows and many channels, which threads split by vectors (lanes) of every step
     * (row kernels) or by channel blocks (16c, 32c: the paths where those run) instead of rows:
     * 2, 3 and 4 threads (parts of one or more vectors, uneven parts, parts
     * spanning a range call), steps of several pixels, strides 1 and 2, 3x3 and 5x5, batch 2.
     */
    @Test
    void vectorSplitForFewRows() {
        // Small nodes run serially by default: split them all here.
        System.setProperty(NativeDepthwiseConvRows.SERIAL_MACS_PROPERTY, "0");
        // The vector / channel split is off by default (whittle.threads.fewRowsSplit): on here.
        System.setProperty(dev.whittle.runtime.kernels.NativeDepthwiseConv.FEW_ROWS_SPLIT_PROPERTY, "true");
        int[][] cases = {
            // h, w, c, mult, k, stride
            {3, 3, 256, 1, 3, 1},   // person_detect's last: 3 rows, 4 vectors (VNNI) of one pixel
            {6, 6, 128, 1, 3, 1},   // 6 rows, 2 pixels per step
            {6, 6, 128, 1, 3, 2},   // stride 2 to 3 rows
            {7, 7, 256, 1, 3, 1},   // MobileNet's 7x7x256
            {4, 5, 96, 1, 5, 1},    // 96 channels: steps of partial vectors, 5x5
            {2, 9, 200, 1, 3, 2},   // 200 channels, one row
            {5, 4, 20, 4, 3, 1},    // multiplier 4: 80 lanes per pixel
            {3, 11, 40, 1, 3, 1},   // 40 channels: a vector mixes pixels
        };
        int i = 0;
        for (KernelFamily<DepthwiseConvKernelFactory> family : DepthwiseConvKernelPathsTest.FAMILIES) {
            if (!rowsAvailable(family)) {
                continue;
            }
            for (int[] g : cases) {
                Spec s = new Spec(i % 3 == 1 ? 2 : 1, g[0], g[1], g[2], g[3], g[4], g[4], g[5], g[5], 1, 1,
                        true, new int[] {3, 0, 1}[i % 3], i % 4 != 3, i % 3, i % 5 == 2 ? 1 : 0, 9700 + i);
                DepthwiseConvKernelPathsTest.check(family, s, 1, 2, 3, 4);
                i++;
            }
        }
    }

    @Test
    void partsCutVectorsOnlyForFewRows() {
        assertEquals(1, NativeDepthwiseConvRows.parts(3, 4, 1));
        assertEquals(2, NativeDepthwiseConvRows.parts(3, 4, 2));
        assertEquals(2, NativeDepthwiseConvRows.parts(7, 4, 2));
        assertEquals(1, NativeDepthwiseConvRows.parts(8, 4, 2));
        assertEquals(3, NativeDepthwiseConvRows.parts(6, 4, 3));
        assertEquals(2, NativeDepthwiseConvRows.parts(6, 2, 3));
        assertEquals(1, NativeDepthwiseConvRows.parts(3, 1, 2));
        assertEquals(1, NativeDepthwiseConvRows.parts(48, 4, 2));
        // The channel-blocked kernels (16c, 32c): whole blocks.
        assertEquals(2, dev.whittle.runtime.kernels.NativeDepthwiseConv.parts(3, 8, 2));
        assertEquals(1, dev.whittle.runtime.kernels.NativeDepthwiseConv.parts(3, 1, 2));
        assertEquals(1, dev.whittle.runtime.kernels.NativeDepthwiseConv.parts(12, 8, 2));
        assertEquals(4, dev.whittle.runtime.kernels.NativeDepthwiseConv.parts(7, 16, 4));
    }

    @Test
    void personDetectShapes() {
        KernelFamily<DepthwiseConvKernelFactory> family = KernelRegistry.QS8_QC8W_DWCONV2D;
        org.junit.jupiter.api.Assumptions.assumeTrue(rowsAvailable(family), "no row kernel on this machine");
        // h, w, c, mult, stride: person_detect_int8's depthwise layers (3x3, SAME, RELU6).
        List<int[]> layers = List.of(new int[] {96, 96, 1, 8, 2}, new int[] {48, 48, 8, 1, 1},
                new int[] {48, 48, 16, 1, 2}, new int[] {24, 24, 32, 1, 1}, new int[] {24, 24, 32, 1, 2},
                new int[] {12, 12, 64, 1, 1}, new int[] {12, 12, 64, 1, 2}, new int[] {6, 6, 128, 1, 1},
                new int[] {6, 6, 128, 1, 2}, new int[] {3, 3, 256, 1, 1});
        int i = 0;
        for (int[] g : layers) {
            check(family, new Spec(1, g[0], g[1], g[2], g[3], 3, 3, g[4], g[4], 1, 1, true, 3, true, i % 3, 0,
                    9500 + i));
            i++;
        }
    }

    /**
     * int8 on the AVX-512 path: nodes whose VNNI steps leave more than 10% of the lanes idle
     * (144 channels: one pixel in 3 vectors) take the AVX2 rows kernel
     * ({@link NativeDepthwiseConvRows#prefersAvx2OverVnniRows}), the others stay on VNNI; kernel
     * names asserted, bit for bit against the reference, both int8 families, threads 1 and 3.
     */
    @Test
    void int8OnAvx512IdleLanes() {
        assertTrue(NativeDepthwiseConvRows.prefersAvx2OverVnniRows(KernelRegistry.QS8_QC8W_DWCONV2D, 144, 1, 1, 56));
        assertTrue(!NativeDepthwiseConvRows.prefersAvx2OverVnniRows(KernelRegistry.QS8_QC8W_DWCONV2D, 144, 1, 2, 28));
        assertTrue(!NativeDepthwiseConvRows.prefersAvx2OverVnniRows(KernelRegistry.QS8_QC8W_DWCONV2D, 96, 1, 1, 28));
        assertTrue(!NativeDepthwiseConvRows.prefersAvx2OverVnniRows(KernelRegistry.QS8_QC8W_DWCONV2D, 72, 1, 1, 28));
        assertTrue(!NativeDepthwiseConvRows.prefersAvx2OverVnniRows(KernelRegistry.QU8_DWCONV2D, 144, 1, 1, 56));
        int i = 0;
        for (KernelFamily<DepthwiseConvKernelFactory> family : List.of(KernelRegistry.QS8_DWCONV2D,
                KernelRegistry.QS8_QC8W_DWCONV2D)) {
            for (int[] g : new int[][] {{9, 11, 144}, {7, 7, 96}, {6, 9, 80}}) {
                Spec s = new Spec(i % 3 == 2 ? 2 : 1, g[0], g[1], g[2], 1, 3, 3, 1, 1, 1, 1, i % 2 == 0, 3, true, i % 3,
                        0, 9900 + i);
                String expected = DepthwiseConvKernelPathsTest.expectedKernel(family, KernelPath.AVX512VNNI, s);
                assertEquals(g[2] == 144, expected.endsWith("rows16c2__avx2"), expected);
                check(family, s);
                i++;
            }
        }
    }

    /**
     * uint8 on the AVX-512 path (session 12). The VNNI rows kernel takes uint8 nodes whose weights
     * minus the zero point it can pack (outside int8: clamped, the rest in up to 8 fix groups; a
     * weight of 255 declines) on up to 384 channels with few idle lanes
     * ({@link NativeDepthwiseConvRows#vnniPrefersUint8}), the AVX2 rows kernel the declined ones where
     * {@link NativeDepthwiseConvRows#prefersAvx2OnAvx512} says so, 32c / 64l the rest. Sweeps zero
     * points (random; 255: every group fixed; 0 with 255s: declined) over 3x3
     * (3 tap groups + 1..3 fix groups: the unrolled 4-6 group loops; int8 runs the 3-group one), 1x1, 5x5 (10 groups, generic
     * loop) and 2x4 nodes, strides 1 and 2 (direct modes 1, 2, staged), multiplier 2, batch 2,
     * every activation; kernel names asserted on every path, bit for bit against the reference,
     * threads 1 and 3; with {@code -Dwhittle.dwconv.avx2OnAvx512=false} declined nodes take 32c.
     */
    @Test
    void uint8OnAvx512() {
        KernelFamily<DepthwiseConvKernelFactory> family = KernelRegistry.QU8_DWCONV2D;
        // The rule (pure): multiplier 1 at stride 1, 16-64 channels at stride 2 on rows of 12+.
        assertTrue(NativeDepthwiseConvRows.prefersAvx2OnAvx512(family, 32, 1, 1, 112));
        assertTrue(NativeDepthwiseConvRows.prefersAvx2OnAvx512(family, 144, 1, 1, 56));
        assertTrue(NativeDepthwiseConvRows.prefersAvx2OnAvx512(family, 16, 1, 2, 56));
        assertTrue(NativeDepthwiseConvRows.prefersAvx2OnAvx512(family, 64, 1, 2, 12));
        assertTrue(!NativeDepthwiseConvRows.prefersAvx2OnAvx512(family, 64, 1, 2, 6));
        assertTrue(!NativeDepthwiseConvRows.prefersAvx2OnAvx512(family, 144, 1, 2, 28));
        assertTrue(!NativeDepthwiseConvRows.prefersAvx2OnAvx512(family, 24, 1, 2, 28));
        assertTrue(!NativeDepthwiseConvRows.prefersAvx2OnAvx512(family, 3, 2, 1, 20));
        assertTrue(!NativeDepthwiseConvRows.prefersAvx2OnAvx512(KernelRegistry.QS8_DWCONV2D, 32, 1, 1, 112));
        assertTrue(NativeDepthwiseConvRows.vnniPrefersUint8(32, 112) && NativeDepthwiseConvRows.vnniPrefersUint8(384, 14));
        assertTrue(!NativeDepthwiseConvRows.vnniPrefersUint8(144, 56) && !NativeDepthwiseConvRows.vnniPrefersUint8(576, 14));
        org.junit.jupiter.api.Assumptions.assumeTrue(KernelPath.AVX512VNNI.supportedBy(CpuFeatures.detect())
                && NativeKernels.has("whittle_qu8_dwconv2d_minmax_rows64c4__avx512vnni"), "no AVX-512 VNNI path here");
        // h, w, c, mult, kh, kw, stride
        int[][] layers = {{30, 30, 32, 1, 3, 3, 1}, {14, 14, 144, 1, 3, 3, 1}, {9, 9, 96, 1, 3, 3, 1},
            {17, 17, 40, 1, 3, 3, 1}, {28, 28, 16, 1, 3, 3, 2}, {24, 24, 64, 1, 3, 3, 2}, {20, 20, 144, 1, 3, 3, 2},
            {12, 12, 64, 1, 3, 3, 2}, {16, 16, 3, 2, 3, 3, 1}, {30, 30, 24, 1, 3, 3, 2}, {11, 13, 8, 1, 1, 1, 1},
            {10, 12, 16, 1, 5, 5, 1}, {9, 14, 20, 1, 2, 4, 1}, {12, 16, 16, 1, 1, 4, 1}};
        java.util.Map<String, Integer> kernels = new java.util.TreeMap<>();
        java.util.Set<Integer> fixCounts = new java.util.TreeSet<>();
        int i = 0;
        for (int[] g : layers) {
            // extremes 0: random zero points; 1: weight zero point 255 (w - 255 down to -255);
            // 2: zero point 0 with 255s (declined by the VNNI rows kernel).
            for (int extremes = 0; extremes < 3; extremes++) {
                Spec s = new Spec(i % 4 == 3 ? 2 : 1, g[0], g[1], g[2], g[3], g[4], g[5], g[6], g[6], 1, 1, i % 5 != 4,
                        new int[] {3, 0, 1}[i % 3], true, extremes, i % 2, 9700 + i);
                String expected = DepthwiseConvKernelPathsTest.expectedKernel(family, KernelPath.AVX512VNNI, s);
                kernels.merge(expected.substring(expected.indexOf("minmax_") + 7), 1, Integer::sum);
                if (expected.endsWith("rows64c4__avx512vnni")) {
                    fixCounts.add(DepthwiseConvKernelPathsTest.vnniFixGroups(family, s));
                }
                check(family, s);
                i++;
            }
        }
        assertTrue(kernels.keySet().containsAll(List.of("rows64c4__avx512vnni", "rows16c2__avx2", "32c__avx512",
                "64l__avx512")), "kernels taken on the AVX-512 path: " + kernels);
        assertTrue(fixCounts.containsAll(List.of(1, 3)) && fixCounts.stream().anyMatch(n -> n > 3),
                "fix group counts run: " + fixCounts);
        System.setProperty(NativeDepthwiseConvRows.AVX2_ON_AVX512_PROPERTY, "false");
        try {
            Spec s = new Spec(1, 30, 30, 32, 1, 3, 3, 1, 1, 1, 1, true, 3, true, 2, 0, 9800);
            assertEquals("qu8_dwconv2d_minmax_32c__avx512",
                    DepthwiseConvKernelPathsTest.expectedKernel(family, KernelPath.AVX512VNNI, s));
            check(family, s);
        } finally {
            System.clearProperty(NativeDepthwiseConvRows.AVX2_ON_AVX512_PROPERTY);
        }
    }
}
