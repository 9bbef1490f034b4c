package dev.whittle.runtime;

import dev.whittle.runtime.DepthwiseConvKernelPathsTest.Spec;
import dev.whittle.runtime.kernels.DepthwiseConvKernelFactory;
import dev.whittle.runtime.kernels.KernelFamily;
import dev.whittle.runtime.kernels.KernelPath;
import dev.whittle.runtime.kernels.KernelRegistry;
import dev.whittle.runtime.kernels.NativeDepthwiseConvC1;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * DEPTHWISE_CONV_2D with one input channel ({@code *_dwconv2d_minmax_c1x8__avx2}, issue 6: person_detect's
 * first layer) against the reference kernel, bit for bit, on every available path (the dispatched
 * kernel asserted by {@link DepthwiseConvKernelPathsTest#check}), threads 1 and 3. Sweeps: depth
 * multipliers 1..18, 24, 32, 33 (below 8 the other kernels, checked too), kernels 1x1, 2x2, 3x3,
 * 5x5, 3x1, 1x4, 7x7; strides 1 and 2 (and 3 across); dilation 2; SAME and VALID; odd sizes; out_w
 * not a multiple of 4; batch 2; zero points at both ends; saturating and tiny scales; RELU, RELU6;
 * with and without bias; int8 per-tensor and per-channel, uint8.
 */
class DepthwiseC1KernelTest {
    private static final java.util.List<KernelFamily<DepthwiseConvKernelFactory>> FAMILIES =
            DepthwiseConvKernelPathsTest.FAMILIES;

    @AfterEach
    void clear() {
        System.clearProperty(KernelPath.PROPERTY);
        System.clearProperty(NativeDepthwiseConvC1.PROPERTY);
    }

    private static boolean nativeAvailable() {
        return KernelRegistry.available(KernelRegistry.QS8_QC8W_DWCONV2D).stream()
                .anyMatch(e -> e.path() == KernelPath.AVX2);
    }

    @Test
    void personDetectFirstLayer() {
        int i = 0;
        for (KernelFamily<DepthwiseConvKernelFactory> family : FAMILIES) {
            for (int extremes = 0; extremes < 3; extremes++) {
                Spec s = new Spec(1, 96, 96, 1, 8, 3, 3, 2, 2, 1, 1, true, i % 2 == 0 ? 0 : 3, true, extremes,
                        i % 3, 40 + i);
                assertTrue(DepthwiseConvKernelPathsTest.check(family, s) >= 1);
                i++;
            }
        }
    }

    @Test
    void multiplierSweep() {
        int[] mults = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 24, 32, 33};
        int i = 0;
        for (KernelFamily<DepthwiseConvKernelFactory> family : FAMILIES) {
            for (int m : mults) {
                int stride = 1 + i % 2;
                int[] k = new int[][] {{3, 3}, {5, 5}, {1, 1}, {3, 3}, {2, 2}, {3, 1}, {1, 4}}[i % 7];
                Spec s = new Spec(1 + (i % 5 == 0 ? 1 : 0), 7 + i % 6, 9 + i % 9, 1, m, k[0], k[1], stride,
                        stride, 1, 1, i % 3 != 1, new int[] {0, 1, 3, 2}[i % 4], i % 5 != 3, i % 3,
                        i % 6 == 5 ? 1 : i % 6 == 4 ? 2 : 0, 7000 + i);
                DepthwiseConvKernelPathsTest.check(family, s);
                i++;
            }
        }
    }

    @Test
    void geometrySweep() {
        int[][] cases = {
            // batch, h, w, mult, kh, kw, sh, sw, dh, dw
            {1, 13, 17, 8, 3, 3, 2, 2, 1, 1},
            {2, 12, 11, 8, 3, 3, 1, 1, 1, 1},
            {1, 15, 14, 16, 3, 3, 2, 1, 2, 2},
            {1, 9, 23, 8, 5, 5, 1, 2, 1, 1},
            {1, 11, 10, 12, 7, 7, 2, 2, 1, 1},
            {1, 10, 19, 8, 3, 3, 3, 3, 1, 1},
            {2, 6, 5, 9, 3, 3, 1, 1, 2, 1},
            {1, 1, 1, 8, 3, 3, 1, 1, 1, 1},
            {1, 4, 3, 8, 3, 3, 2, 2, 1, 1},
            {1, 8, 40, 64, 3, 3, 2, 2, 1, 1},
        };
        int i = 0;
        for (KernelFamily<DepthwiseConvKernelFactory> family : FAMILIES) {
            for (int[] g : cases) {
                for (boolean same : new boolean[] {true, false}) {
                    if (!same && (g[1] - (g[4] - 1) * g[8] < 1 || g[2] - (g[5] - 1) * g[9] < 1)) {
                        continue;
                    }
                    Spec s = new Spec(g[0], g[1], g[2], 1, g[3], g[4], g[5], g[6], g[7], g[8], g[9], same,
                            new int[] {0, 3, 1}[i % 3], i % 4 != 1, i % 3, i % 5 == 2 ? 1 : i % 5 == 4 ? 2 : 0,
                            7500 + i);
                    DepthwiseConvKernelPathsTest.check(family, s);
                    i++;
                }
            }
        }
    }

    @Test
    void zeroPointsAndSaturationAtBothEnds() {
        int i = 0;
        for (KernelFamily<DepthwiseConvKernelFactory> family : FAMILIES) {
            for (int extremes = 0; extremes < 3; extremes++) {
                for (int scale = 0; scale < 3; scale++) {
                    for (int act : new int[] {0, 3}) {
                        Spec s = new Spec(1, 9, 13, 1, 8 + i % 3, 3, 3, 2, 2, 1, 1, i % 2 == 0, act, i % 2 == 0,
                                extremes, scale, 8000 + i);
                        DepthwiseConvKernelPathsTest.check(family, s);
                        i++;
                    }
                }
            }
        }
    }

    @Test
    void propertyOffRestoresTheRowsKernel() {
        if (!nativeAvailable()) {
            return;
        }
        System.setProperty(NativeDepthwiseConvC1.PROPERTY, "false");
        Spec s = new Spec(1, 10, 12, 1, 8, 3, 3, 2, 2, 1, 1, true, 0, true, 0, 0, 8100);
        DepthwiseConvKernelPathsTest.check(KernelRegistry.QS8_QC8W_DWCONV2D, s, 1);
    }
}
