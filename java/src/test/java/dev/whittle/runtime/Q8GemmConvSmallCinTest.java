package dev.whittle.runtime;

import dev.whittle.runtime.Q8GemmConvTest.Conv;
import dev.whittle.runtime.kernels.ConvKernelFactory;
import dev.whittle.runtime.kernels.KernelFamily;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

/**
 * The small-Cin paths of the native GEMM CONV_2D kernels (the register im2col that builds a
 * pixel's packed row straight from the input runs, and the 8-channel half-panel microtile of
 * {@code q8_conv2d_gemm_8x16c4__avx512vnni} and {@code q8_conv2d_gemm_4x16c2__avx2}) against the
 * reference kernels, bit for bit, through {@link Q8GemmConvTest#check}: every native path, 1 and
 * 3 threads, the dispatched {@code _conv2d_gemm_} kernel's name asserted. Sweeps Cin 1..4 with
 * N 1..70 (every N mod 16 class, the 8-channel tails 8, 24, 40, 56 and N <= 8), 1x1 (not the
 * direct path: stride 2 or padding), 3x3 and 5x5 windows, strides 1 and 2, dilation, SAME and
 * VALID padding, odd sizes, batch 2, zero points at both ends, saturating and tiny
 * requantization, RELU / RELU6, with and without bias; and MobileNet's first layer
 * (224x224x3 -> 112x112x8, 3x3 stride 2 SAME) at a reduced size.
 */
class Q8GemmConvSmallCinTest {
    static final int[] N = {1, 2, 3, 5, 7, 8, 9, 12, 15, 16, 17, 23, 24, 25, 31, 32, 33, 40, 47, 48, 56, 63, 64, 65, 70};

    static List<Conv> sweep() {
        List<Conv> out = new ArrayList<>();
        // h, w, kh, kw, sh, sw, dh, dw, padding, batch
        int[][] windows = {
            {9, 11, 3, 3, 2, 2, 1, 1, 0, 1},
            {10, 9, 3, 3, 1, 1, 1, 1, 1, 2},
            {7, 8, 5, 5, 1, 2, 1, 1, 0, 1},
            {8, 7, 1, 1, 2, 2, 1, 1, 0, 1},
            {6, 5, 3, 3, 1, 1, 1, 1, 0, 1},
            {11, 10, 3, 3, 2, 1, 2, 2, 0, 1},
            {9, 9, 5, 5, 2, 2, 1, 1, 1, 2},
            {5, 7, 1, 1, 1, 1, 1, 1, 1, 1},
        };
        int i = 0;
        for (int n : N) {
            for (int inC = 1; inC <= 4; inC++) {
                int[] w = windows[(i * 3 + inC) % windows.length];
                int extremes = i % 3;
                out.add(new Conv(w[9], w[0], w[1], inC, n, w[2], w[3], w[4], w[5], w[6], w[7], w[8],
                        extremes == 0 ? i % 2 : extremes == 1 ? 1 : 3, extremes, i % 4 == 1 ? 1 : i % 4 == 2 ? 2 : 0,
                        i % 5 != 3));
                i++;
            }
        }
        return out;
    }

    @Test
    void smallInputChannelsMatchTheReference() {
        int ran = 0;
        long seed = 100;
        List<Conv> convs = sweep();
        for (KernelFamily<ConvKernelFactory> family : Q8GemmConvTest.FAMILIES) {
            // Each family on every third shape (all three see every N and Cin over the sweep).
            int f = Q8GemmConvTest.FAMILIES.indexOf(family);
            for (int j = 0; j < convs.size(); j++) {
                if (j % 3 == f || convs.get(j).outC() == 8) {
                    ran += Q8GemmConvTest.check(family, convs.get(j), seed + j);
                }
            }
        }
        Assumptions.assumeTrue(ran > 0, "no native GEMM conv path on this machine");
    }

    @Test
    void mobilenetFirstLayer() {
        int ran = 0;
        for (KernelFamily<ConvKernelFactory> family : Q8GemmConvTest.FAMILIES) {
            for (int n : new int[] {8, 32}) {
                for (int extremes = 0; extremes < 3; extremes++) {
                    ran += Q8GemmConvTest.check(family, new Conv(1, 33, 35, 3, n, 3, 3, 2, 2, 1, 1, 0, 3, extremes,
                            extremes == 2 ? 1 : 0, true), 7 + n + extremes);
                }
            }
        }
        Assumptions.assumeTrue(ran > 0, "no native GEMM conv path on this machine");
    }
}
