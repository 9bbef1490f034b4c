package dev.whittle.runtime;

import dev.whittle.runtime.DepthwiseConvKernelPathsTest.Spec;
import dev.whittle.runtime.kernels.DepthwiseConvKernelFactory;
import dev.whittle.runtime.kernels.KernelFamily;
import dev.whittle.runtime.kernels.NativeDepthwiseConv;
import dev.whittle.runtime.kernels.NativeDepthwiseConvRows;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code *_dwconv2d_minmax_rows16c2__avx2}'s passes, each against the reference bit for bit
 * (DepthwiseConvKernelPathsTest.check asserts the dispatched kernel, the rows one on AVX2): two
 * output rows per pass ({@value NativeDepthwiseConvRows#TWO_ROWS_PROPERTY}) or one, and shifted
 * groups in lane order ({@value NativeDepthwiseConvRows#SHIFTED_PROPERTY}) or every group built in
 * the unpacks' order; every combination, with rows split across 3 threads at odd rows (serial
 * threshold 0) and by vectors (few-rows split: lane order without shifting). Shapes: the shifted
 * geometries (8 channels stride 1, 16 stride 2, 1 x 8 stride 2, 32 / 64 stride 1: shifts of 8 to
 * 128 lanes), 5x5 and 1x4 (three and two groups), horizontal dilation 2 with stride 2, 1x1 and 3x1
 * (one group: never shifted), odd and even row counts, batch 2, SAME / VALID, clamps, zero points
 * at the ends, saturating scales; int8, int8 per-channel, uint8.
 */
class DepthwiseAvx2RowsPassesTest {
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
    void clearProperties() {
        System.clearProperty(NativeDepthwiseConvRows.TWO_ROWS_PROPERTY);
        System.clearProperty(NativeDepthwiseConvRows.SHIFTED_PROPERTY);
        System.clearProperty(NativeDepthwiseConvRows.SERIAL_MACS_PROPERTY);
        System.clearProperty(NativeDepthwiseConv.FEW_ROWS_SPLIT_PROPERTY);
        System.clearProperty(NativeDepthwiseConvRows.ROW2_S2_PROPERTY);
    }

    /**
     * The 3x3 two-row units: stride_h 2 ({@value NativeDepthwiseConvRows#ROW2_S2_PROPERTY}: five tap
     * rows, the middle one shared) on and off, and stride_h 1, against the reference; whether the
     * unit is taken is asserted ({@link NativeDepthwiseConvRows#twoRow3x3}). Shapes: 1 x 8 (the
     * first layer's), 2 x 4, 8, 16, 24, 32, 64, 128 channels (stride 2 above 64: {@value
     * NativeDepthwiseConvRows#S2_WIDE_PROPERTY}), stride_w 1 and 2, dilation_w 2, rows of
     * one unit and of many, a partial last unit, odd and even heights (SAME pads
     * the top or not; the last pair's second row is the bottom zero row or a lone row), VALID,
     * out_h 1 and 2, batch 2, rows split at odd rows across 3 threads (serial threshold 0) and by
     * vectors (few-rows split: every group built, so the unit is not taken there), clamps, zero
     * points at the ends, saturating scales; int8, int8 per-channel, uint8.
     */
    @Test
    void threeByThreeTwoRowUnitsAgainstReference() {
        int[][] cases = {
            // batch, h, w, c, mult, kh, kw, sh, sw, dh, dw
            {1, 11, 20, 1, 8, 3, 3, 2, 2, 1, 1},
            {1, 12, 14, 8, 1, 3, 3, 2, 2, 1, 1},
            {2, 9, 10, 16, 1, 3, 3, 2, 2, 1, 1},
            {1, 10, 9, 32, 1, 3, 3, 2, 2, 1, 1},
            {1, 7, 8, 64, 1, 3, 3, 2, 2, 1, 1},
            {1, 13, 16, 2, 4, 3, 3, 2, 2, 1, 1},
            {1, 8, 6, 24, 1, 3, 3, 2, 2, 1, 1},
            {1, 9, 10, 8, 1, 3, 3, 2, 1, 1, 1},
            {1, 9, 17, 8, 1, 3, 3, 2, 2, 1, 2},
            {1, 4, 14, 16, 1, 3, 3, 2, 2, 1, 1},
            {2, 3, 14, 8, 1, 3, 3, 2, 2, 1, 1},
            {1, 16, 16, 16, 1, 3, 3, 2, 2, 1, 1},
            {1, 9, 12, 8, 1, 3, 3, 1, 1, 1, 1},
            {1, 6, 2, 8, 1, 3, 3, 1, 1, 1, 1},
            {2, 7, 6, 32, 1, 3, 3, 1, 1, 1, 1},
            {1, 5, 4, 64, 1, 3, 3, 1, 1, 1, 1},
            {1, 8, 9, 16, 1, 3, 3, 1, 2, 1, 1},
            {1, 11, 13, 128, 1, 3, 3, 2, 2, 1, 1},
        };
        int i = 0;
        int ran = 0;
        int took = 0;
        for (KernelFamily<DepthwiseConvKernelFactory> family : DepthwiseConvKernelPathsTest.FAMILIES) {
            if (!DepthwiseConvRowsKernelTest.rowsAvailable(family)) {
                continue;
            }
            for (boolean s2 : new boolean[] {true, false}) {
                System.setProperty(NativeDepthwiseConvRows.ROW2_S2_PROPERTY, Boolean.toString(s2));
                for (int j = 0; j < cases.length; j++) {
                    int[] g = cases[j];
                    // VALID on every third case (by position: the unit needs whole units per row)
                    boolean same = j % 3 != 1 || g[1] < 3 || g[2] - 2 * g[10] < 1;
                    DepthwiseConvKernelPathsTest.Spec s = new Spec(g[0], g[1], g[2], g[3], g[4], g[5], g[6], g[7],
                            g[8], g[9], g[10], same, new int[] {0, 3, 1}[i % 3], i % 4 != 1, i % 3,
                            i % 5 == 2 ? 1 : i % 5 == 4 ? 2 : 0, 5400 + i);
                    // Stride 2 above 64 channels goes to rows16c2 only with the unit (S2_WIDE).
                    assertEquals(g[3] <= 64 || s2, NativeDepthwiseConvRows.prefers(NativeDepthwiseConvRows.Isa.AVX2,
                            g[3], g[4], g[8], s.outW()), "case meant for the rows kernel on AVX2");
                    boolean on = s2 || g[7] == 1;
                    assertEquals(on, NativeDepthwiseConvRows.twoRow3x3(s.outW(), g[3], g[4], g[5], g[6], g[7], g[8],
                            g[9], g[10]), "unit taken on " + s);
                    System.setProperty(NativeDepthwiseConvRows.SERIAL_MACS_PROPERTY, "0");
                    System.setProperty(NativeDepthwiseConv.FEW_ROWS_SPLIT_PROPERTY, Boolean.toString(i % 6 == 5));
                    ran += DepthwiseConvKernelPathsTest.check(family, s, 1, 3);
                    took += on ? 1 : 0;
                    i++;
                }
            }
        }
        org.junit.jupiter.api.Assumptions.assumeTrue(ran > 0, "no row kernel here");
        assertTrue(took > 0);
    }

    @Test
    void everyPassAgainstReference() {
        int[][] cases = {
            // batch, h, w, c, mult, kh, kw, sh, sw, dh, dw
            {1, 9, 12, 8, 1, 3, 3, 1, 1, 1, 1},
            {2, 8, 10, 16, 1, 3, 3, 2, 2, 1, 1},
            {1, 11, 20, 1, 8, 3, 3, 2, 2, 1, 1},
            {1, 7, 6, 32, 1, 3, 3, 1, 1, 1, 1},
            {2, 5, 4, 64, 1, 3, 3, 1, 1, 1, 1},
            {1, 10, 14, 8, 1, 5, 5, 1, 1, 1, 1},
            {1, 6, 9, 16, 1, 1, 4, 1, 1, 1, 1},
            {1, 9, 17, 8, 1, 3, 3, 2, 2, 1, 2},
            {1, 13, 7, 24, 1, 3, 3, 1, 1, 2, 1},
            {2, 4, 5, 16, 1, 1, 1, 1, 1, 1, 1},
            {1, 8, 8, 4, 2, 3, 1, 1, 1, 1, 1},
            {1, 12, 12, 16, 1, 3, 3, 1, 1, 1, 1},
        };
        int i = 0;
        int ran = 0;
        for (KernelFamily<DepthwiseConvKernelFactory> family : DepthwiseConvKernelPathsTest.FAMILIES) {
            if (!DepthwiseConvRowsKernelTest.rowsAvailable(family)) {
                continue;
            }
            for (int variant = 0; variant < 4; variant++) {
                System.setProperty(NativeDepthwiseConvRows.TWO_ROWS_PROPERTY, Boolean.toString((variant & 1) == 0));
                System.setProperty(NativeDepthwiseConvRows.SHIFTED_PROPERTY, Boolean.toString((variant & 2) == 0));
                for (int[] g : cases) {
                    assertTrue(NativeDepthwiseConvRows.prefers(NativeDepthwiseConvRows.Isa.AVX2, g[3], g[4], g[8],
                            Integer.MAX_VALUE), "case meant for the rows kernel on AVX2");
                    boolean same = i % 3 != 1 || g[1] - (g[5] - 1) * g[9] < 1 || g[2] - (g[6] - 1) * g[10] < 1;
                    System.setProperty(NativeDepthwiseConvRows.SERIAL_MACS_PROPERTY, "0");
                    System.setProperty(NativeDepthwiseConv.FEW_ROWS_SPLIT_PROPERTY, Boolean.toString(i % 4 == 3));
                    Spec s = new Spec(g[0], g[1], g[2], g[3], g[4], g[5], g[6], g[7], g[8], g[9], g[10], same,
                            new int[] {0, 3, 1}[i % 3], i % 4 != 1, i % 3, i % 5 == 2 ? 1 : i % 5 == 4 ? 2 : 0,
                            4400 + i);
                    ran += DepthwiseConvKernelPathsTest.check(family, s, 1, 3);
                    i++;
                }
            }
        }
        org.junit.jupiter.api.Assumptions.assumeTrue(ran > 0, "no row kernel here");
    }
}
