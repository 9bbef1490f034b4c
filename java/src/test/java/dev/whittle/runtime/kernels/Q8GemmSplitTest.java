package dev.whittle.runtime.kernels;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@link Q8GemmLayout.Split}: which way a node is cut, and that its tasks cover it exactly once. */
class Q8GemmSplitTest {
    /** The split Q8Gemm makes on AVX-512 VNNI (tiles of 8) for few weights. */
    private static Q8GemmLayout.Split fewWeights(int m, int n, boolean balance) {
        int np = (n + 15) / 16 * 16;
        return new Q8GemmLayout.Split(m, n, 8, 16, np / 16, 64, Math.min(np, 32), balance);
    }

    private static Q8GemmLayout.Split fewWeights(int m, int n) {
        return fewWeights(m, n, true);
    }

    @Test
    void balanceOffKeepsPixelTiles() {
        Q8GemmLayout.Split s = fewWeights(36, 128, false);
        assertEquals(16, s.m0(2, 2));
        assertEquals(0, s.n0(2, 2));
        assertFalse(new Q8GemmLayout.Split(36, 128, 8, 16, 8, 64, 32).balance(), "off by default");
    }

    @Test
    void unevenPixelTilesGoToChannelGroups() {
        // person_detect's 6x6x128: 5 tiles (16 and 20 pixels) against 8 groups (4 and 4).
        Q8GemmLayout.Split s = fewWeights(36, 128);
        assertTrue(s.groupsBalanceBetter(2));
        assertEquals(0, s.m0(2, 1));
        assertEquals(36, s.m1(2, 1));
        assertEquals(16, s.n0(2, 1));
        // MobileNet v1 0.25's 7x7x256: 24 and 25 pixels, as even as the groups: pixels stay.
        Q8GemmLayout.Split t = fewWeights(49, 256);
        assertFalse(t.groupsBalanceBetter(2));
        assertEquals(8, t.m0(2, 1));
        assertEquals(0, t.n0(2, 1));
        assertEquals(256, t.n1(2, 1));
    }

    @Test
    void tasksCoverEveryOutputOnce() {
        for (int m = 1; m <= 80; m += 7) {
            for (int n : new int[] {1, 16, 40, 128, 256}) {
                Q8GemmLayout.Split s = fewWeights(m, n, (m + n) % 2 == 0);
                for (int threads = 1; threads <= 4; threads++) {
                    int[] hits = new int[m * n];
                    int tasks = s.tasks(threads);
                    for (int t = 0; t < tasks; t++) {
                        for (int i = s.m0(threads, t); i < s.m1(threads, t); i++) {
                            for (int j = s.n0(threads, t); j < s.n1(threads, t); j++) {
                                hits[i * n + j]++;
                            }
                        }
                    }
                    for (int h : hits) {
                        assertEquals(1, h, "m " + m + " n " + n + " threads " + threads);
                    }
                }
            }
        }
    }
}
