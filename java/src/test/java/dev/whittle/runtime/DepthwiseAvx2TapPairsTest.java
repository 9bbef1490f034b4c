package dev.whittle.runtime;

import dev.whittle.runtime.DepthwiseConvKernelPathsTest.Spec;
import dev.whittle.runtime.kernels.DepthwiseConvKernelFactory;
import dev.whittle.runtime.kernels.KernelFamily;
import dev.whittle.runtime.kernels.NativeDepthwiseConv;
import dev.whittle.runtime.kernels.NativeDepthwiseConvRows;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code *_dwconv2d_minmax_16c__avx2} with tap-pair weights (vpmaddwd per pair of taps,
 * block16_pairs) and without ({@code -Dwhittle.dwconv.avx2pairs=false}: vpmulld per tap), each
 * against the reference bit for bit on every available path (DepthwiseConvKernelPathsTest.check
 * asserts the dispatched kernel, here the 16c one on AVX2: stride 2 or more than 64 channels).
 * Sweeps: channels 32..144 (multiples of 16, and 40 / 72 / 81 whose last block sits at an offset
 * that is not a multiple of 16 and runs its own tap pairs, or the int32 weights with
 * {@code -Dwhittle.dwconv.avx2pairsTail=false}), odd and even tap counts (1x1, 1x3,
 * 2x2, 3x3, 5x5, 3x1 dilated), strides 1 and 2, SAME/VALID, batch 2, activation clamps, zero points
 * at the ends, with and without bias, saturating scales; int8, int8 per-channel, uint8; threads 1 and 3.
 */
class DepthwiseAvx2TapPairsTest {
    @AfterEach
    void clearProperty() {
        System.clearProperty(NativeDepthwiseConv.PAIRS_AVX2_PROPERTY);
        System.clearProperty(NativeDepthwiseConv.PAIRS_TAIL_PROPERTY);
        System.clearProperty(NativeDepthwiseConvRows.WIDE_PROPERTY);
        System.clearProperty(NativeDepthwiseConvRows.S1_ANY_PROPERTY);
    }

    @Test
    void pairsAndPerTapAgainstReference() {
        int[][] cases = {
            // batch, h, w, c, mult, kh, kw, sh, sw, dh, dw
            {1, 6, 6, 128, 1, 3, 3, 1, 1, 1, 1},
            {1, 7, 7, 128, 1, 3, 3, 2, 2, 1, 1},
            {1, 3, 3, 256, 1, 3, 3, 1, 1, 1, 1},
            {1, 12, 11, 32, 1, 3, 3, 2, 2, 1, 1},
            {2, 5, 6, 64, 1, 2, 2, 2, 2, 1, 1},
            {1, 5, 7, 80, 1, 1, 3, 1, 1, 1, 1},
            {1, 4, 5, 96, 1, 1, 1, 1, 1, 1, 1},
            {1, 9, 8, 48, 1, 5, 5, 2, 2, 1, 1},
            {1, 7, 9, 40, 1, 3, 3, 2, 2, 1, 1},
            {1, 6, 5, 72, 1, 3, 1, 1, 1, 2, 1},
            {2, 5, 5, 81, 1, 3, 3, 1, 1, 1, 1},
            {1, 4, 4, 144, 1, 5, 5, 1, 1, 1, 1},
        };
        int i = 0;
        int ran = 0;
        // These shapes stay on the 16c kernel (rows16c2 takes some of them since its shifted groups).
        System.setProperty(NativeDepthwiseConvRows.WIDE_PROPERTY, "false");
        // 72 and 81 at stride 1 go to rows16c2 since session 12 (avx2rowsS1Any): kept on 16c here.
        System.setProperty(NativeDepthwiseConvRows.S1_ANY_PROPERTY, "false");
        // "notail": pairs, but the overlapping last block (72, 81, 40 channels) on the int32 weights
        // as before session 12 (avx2pairsTail=false).
        for (String pairs : new String[] {"true", "notail", "false"}) {
            System.setProperty(NativeDepthwiseConv.PAIRS_AVX2_PROPERTY, Boolean.toString(!pairs.equals("false")));
            System.setProperty(NativeDepthwiseConv.PAIRS_TAIL_PROPERTY, Boolean.toString(pairs.equals("true")));
            assertTrue(NativeDepthwiseConv.tapPairs("16c__avx2") == !pairs.equals("false"));
            assertFalse(NativeDepthwiseConv.tapPairs("16c__neon"));
            for (KernelFamily<DepthwiseConvKernelFactory> family : DepthwiseConvKernelPathsTest.FAMILIES) {
                for (int[] g : cases) {
                    assertFalse(NativeDepthwiseConvRows.prefersOnAvx2Path(g[3], g[4], g[8], Integer.MAX_VALUE),
                            "case meant for the 16c kernel on AVX2");
                    boolean same = i % 3 != 1 || g[1] - (g[5] - 1) * g[9] < 1 || g[2] - (g[6] - 1) * g[10] < 1;
                    Spec s = new Spec(g[0], g[1], g[2], g[3], g[4], g[5], g[6], g[7], g[8], g[9], g[10], same,
                            new int[] {0, 3, 1}[i % 3], i % 4 != 1, i % 3, i % 5 == 2 ? 1 : i % 5 == 4 ? 2 : 0,
                            900 + i);
                    ran += DepthwiseConvKernelPathsTest.check(family, s);
                    i++;
                }
            }
        }
        org.junit.jupiter.api.Assumptions.assumeTrue(ran > 0, "no native depthwise kernel here");
    }
}
