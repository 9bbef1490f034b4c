package dev.whittle.runtime;

import dev.whittle.model.Model;
import dev.whittle.model.TensorType;
import dev.whittle.runtime.kernels.KernelFamily;
import dev.whittle.runtime.kernels.KernelPath;
import dev.whittle.runtime.kernels.KernelRegistry;
import dev.whittle.runtime.kernels.WeightFormat;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The output stage of the AVX-512 VNNI LUT panel kernels ({@code *_lut4_8x16c4__avx512vnni},
 * {@code *_lut4vbmi_16x16c4__avx512vnni}, and their 5-bit variant: q8_lut_8x16c4_avx512.h's
 * microtile, session 8: the dense kernel's fast_requantize + store16) against the reference
 * kernel, on the sweep of {@link Q8GemmOutputStageTest} (output scales 2^-12..2^14 of the
 * accumulators' spread, every fused activation, 1..70 channels, 1..49 pixels, K = 8..64 and a
 * 3x3 im2col case, uint8 with weight zero points 0 / 255 / random, int8 per-tensor and
 * per-channel) with the weights clustered to at most 16 (4-bit) or 32 (5-bit) values per
 * channel; with the VBMI decode and without ({@code -Dwhittle.lut.vbmi=false}); 1 and 3 threads
 * ({@link WeightFormatHarness#check}, asserting a {@code _lut} kernel of every native path ran;
 * for 5-bit indices, AVX-512 VNNI only, that of the VNNI path).
 */
class LutOutputStageTest {
    private static final int[] PIXELS = {8, 9, 13, 15, 17, 23, 49, 1, 3};
    private static final int[] OUT = {1, 3, 8, 9, 15, 16, 17, 24, 32, 40, 57, 70};
    private static final int[] IN = {8, 12, 16, 24, 32, 40, 64};
    private static final int[] ACT = {0, 1, 2, 3};

    @AfterEach
    void clear() {
        System.clearProperty(WeightFormat.PROPERTY);
        System.clearProperty(KernelPath.PROPERTY);
        System.clearProperty("whittle.lut.vbmi");
    }

    @Test
    void outputStageMatchesTheReference() {
        Assumptions.assumeTrue(KernelRegistry.available(KernelRegistry.CONV2D_LUT).stream()
                .anyMatch(e -> e.path() == KernelPath.AVX512VNNI), "no AVX-512 VNNI LUT kernel on this machine");
        int ran = 0;
        long seed = 1;
        TensorType[] types = {TensorType.UINT8, TensorType.INT8, TensorType.INT8};
        for (String vbmi : new String[] {"true", "false"}) {
            System.setProperty("whittle.lut.vbmi", vbmi);
            for (int t = 0; t < types.length; t++) {
                KernelFamily<?> family = KernelRegistry.CONV2D_LUT;
                for (int i = 0; i < 27; i++) {
                    int pixels = PIXELS[i % PIXELS.length];
                    int outC = OUT[(i * 5 + t) % OUT.length];
                    int inC = IN[(i * 3 + t) % IN.length];
                    int k = i % 9 == 8 ? 3 : 1;
                    int act = ACT[(i / 2 + t) % ACT.length];
                    int scaleExp = -12 + (i * 11 + t * 5) % 27;
                    boolean perChannel = t == 2;
                    int clusters = i % 4 == 3 ? 32 : 16;
                    Model m = Q8GemmOutputStageTest.conv(types[t], perChannel, pixels, inC, outC, k, act, scaleExp,
                            seed, WeightFormatHarness.clustered(clusters, true));
                    String label = "vbmi " + vbmi + " " + types[t] + (perChannel ? " per-channel " : " ") + pixels
                            + "x" + inC + "->" + outC + " k " + k + " act " + act + " scale 2^" + scaleExp + " "
                            + clusters + " values";
                    // 5-bit indices (17..32 values) are AVX-512 VNNI only: the AVX2 path runs dense there,
                    // and the VNNI path's choice is asserted here
                    if (clusters > 16) {
                        System.setProperty(KernelPath.PROPERTY, KernelPath.AVX512VNNI.label());
                        System.setProperty(WeightFormat.PROPERTY, WeightFormat.LUT.label());
                        java.util.List<String> names = OpProfile.kernelNames(CompiledModel.compile(m));
                        assertTrue(names.stream().anyMatch(n -> n.contains("_lut")), label + ": " + names);
                        System.clearProperty(KernelPath.PROPERTY);
                        System.clearProperty(WeightFormat.PROPERTY);
                    }
                    ran += WeightFormatHarness.check(m, family, WeightFormat.LUT, clusters > 16 ? null : "_lut", label,
                            seed, (int) (seed % 3));
                    seed++;
                }
            }
        }
        assertTrue(ran > 0);
    }
}
