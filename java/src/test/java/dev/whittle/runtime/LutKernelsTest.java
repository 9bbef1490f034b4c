package dev.whittle.runtime;

import dev.whittle.model.Model;
import dev.whittle.model.TensorType;
import dev.whittle.runtime.Q8GemmConvTest.Conv;
import dev.whittle.runtime.kernels.ConvKernelFactory;
import dev.whittle.runtime.kernels.KernelFamily;
import dev.whittle.runtime.kernels.KernelPath;
import dev.whittle.runtime.kernels.KernelRegistry;
import dev.whittle.runtime.kernels.WeightFormat;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

/**
 * The LUT-decoded clustered kernels ({@code *_lut4_*}: {@link KernelRegistry#CONV2D_LUT},
 * {@link KernelRegistry#FULLY_CONNECTED_LUT}) against the dense reference, bit for bit, with
 * {@code -Dwhittle.weights=lut}, on every available path at 1 and 3 threads, the dispatched
 * kernel's name checked: qs8, qs8_qc8w and qu8; 1, 2, 15 and 16 clusters per layer and per
 * channel, alone and with 50% zeros; output channels 1..70 and K around the 8- and 32-K blocks
 * (1..9, 15..17, 31..33, 63..65); 1x1 and 3x3 kernels, strides 1 and 2, SAME and VALID, batch
 * 2; zero points at both ends; saturating and tiny multipliers. 17..32 values per channel: the
 * 5-bit-index kernels on AVX-512 VNNI and AVX2 (session 13); 256: dense (no 8-bit index variant: it
 * would take dense int8's bytes plus the tables), with the same outputs.
 */
class LutKernelsTest {
    private static final List<KernelFamily<ConvKernelFactory>> FAMILIES = List.of(KernelRegistry.QS8_CONV2D,
            KernelRegistry.QS8_QC8W_CONV2D, KernelRegistry.QU8_CONV2D);
    private static final int[] OUT = {1, 2, 3, 5, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65, 70};
    private static final int[] K = {1, 2, 3, 4, 5, 6, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65};
    // "_lut4": also the VBMI panel kernel (_lut4vbmi_16x16c4__avx512vnni, LutVbmiKernelsTest)
    private static final String TAG = "_lut4";

    @AfterEach
    void clear() {
        System.clearProperty(KernelPath.PROPERTY);
        System.clearProperty(WeightFormat.PROPERTY);
    }

    private static boolean none() {
        // The Java-path entry is tested by JavaWeightKernelsTest (WeightFormatHarness skips it).
        return KernelRegistry.available(KernelRegistry.CONV2D_LUT).stream().allMatch(e -> e.path() == KernelPath.JAVA);
    }

    private static void conv(KernelFamily<ConvKernelFactory> family, Conv c, long seed,
            WeightFormatHarness.Shaper shaper) {
        Model m = Q8GemmConvTest.build(family, c, seed, shaper);
        String label = family.name() + " " + c.label();
        assertTrue(WeightFormatHarness.check(m, KernelRegistry.CONV2D_LUT, WeightFormat.LUT, TAG, label, seed,
                c.extremes()) > 0, label);
    }

    private static void fc(TensorType type, boolean perChannel, int batches, int k, int n, int extremes, int scale,
            long seed, WeightFormatHarness.Shaper shaper) {
        Model m = Q8GemmFullyConnectedTest.build(type, perChannel, batches, k, n, extremes, scale, seed % 3 != 0, 0,
                seed, shaper);
        String label = type + (perChannel ? " per-channel" : "") + " fc " + batches + "x" + k + " -> " + n
                + " extremes " + extremes + " scale " + scale;
        assertTrue(WeightFormatHarness.check(m, KernelRegistry.FULLY_CONNECTED_LUT, WeightFormat.LUT, TAG, label,
                seed, extremes) > 0, label);
    }

    @Test
    void clustersPerLayerAndPerChannel() {
        assumeFalse(none(), "no LUT kernel on this machine");
        long seed = 1;
        for (KernelFamily<ConvKernelFactory> f : FAMILIES) {
            for (int clusters : new int[] {1, 2, 3, 8, 15, 16}) {
                for (boolean perChannel : new boolean[] {true, false}) {
                    conv(f, new Conv(1, 5, 4, 33, 17, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, true), seed++,
                            WeightFormatHarness.clustered(clusters, perChannel));
                }
            }
        }
    }

    @Test
    void convChannelsAndK() {
        assumeFalse(none(), "no LUT kernel on this machine");
        long seed = 100;
        int i = 0;
        for (KernelFamily<ConvKernelFactory> f : FAMILIES) {
            for (int oc : OUT) {
                int inC = K[i % K.length];
                boolean three = i % 3 == 1;
                int stride = i % 4 == 2 ? 2 : 1;
                int batch = i % 5 == 0 ? 2 : 1;
                int padding = i % 2;
                Conv c = new Conv(batch, three ? 6 : 5, three ? 5 : 7, inC, oc, three ? 3 : 1, three ? 3 : 1, stride,
                        stride, 1, 1, padding, i % 7 == 3 ? 3 : 0, 0, 0, i % 6 != 5);
                conv(f, c, seed++, WeightFormatHarness.clustered(16, i % 4 != 3));
                i++;
            }
        }
    }

    @Test
    void zeroPointsAtBothEndsAndSaturation() {
        assumeFalse(none(), "no LUT kernel on this machine");
        long seed = 300;
        for (KernelFamily<ConvKernelFactory> f : FAMILIES) {
            for (int extremes : new int[] {1, 2}) {
                for (int scale : new int[] {0, 1, 2}) {
                    conv(f, new Conv(2, 5, 5, 9, 20, 3, 3, 2, 2, 1, 1, extremes - 1, 0, extremes, scale, true),
                            seed++, WeightFormatHarness.clustered(16, true));
                }
            }
        }
        for (TensorType t : new TensorType[] {TensorType.INT8, TensorType.UINT8}) {
            for (int extremes : new int[] {1, 2}) {
                for (int scale : new int[] {1, 2}) {
                    fc(t, false, 2, 65, 33, extremes, scale, seed++, WeightFormatHarness.clustered(16, true));
                }
            }
        }
    }

    /**
     * Small Cin (kw * Cin <= 16: the SmallRuns row packing of the panel kernels, session 7) and
     * 8-channel last panels (N = 24, 40: microtile8), on every path, enough pixels for the panel
     * kernels (9x10 and more).
     */
    @Test
    void smallCinAndEightChannelTails() {
        assumeFalse(none(), "no LUT kernel on this machine");
        long seed = 800;
        for (KernelFamily<ConvKernelFactory> f : FAMILIES) {
            for (int inC : new int[] {1, 3, 5}) {
                Conv c = new Conv(inC == 5 ? 2 : 1, 17, 19, inC, inC == 3 ? 24 : 40, 3, 3, inC == 1 ? 1 : 2, 2, 1, 1,
                        inC % 2, 0, inC == 3 ? 1 : 0, 0, true);
                conv(f, c, seed++, WeightFormatHarness.clustered(16, true));
            }
            conv(f, new Conv(1, 9, 9, 48, 24, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, true), seed++,
                    WeightFormatHarness.clustered(16, false));
        }
    }

    @Test
    void zerosStayZero() {
        assumeFalse(none(), "no LUT kernel on this machine");
        long seed = 400;
        for (KernelFamily<ConvKernelFactory> f : FAMILIES) {
            conv(f, new Conv(1, 6, 6, 31, 18, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, true), seed++,
                    WeightFormatHarness.clustered(16, true).then(WeightFormatHarness.unstructured(0.5)));
            conv(f, new Conv(1, 5, 5, 7, 9, 3, 3, 1, 1, 1, 1, 0, 0, 0, 0, true), seed++,
                    WeightFormatHarness.unstructured(0.5).then(WeightFormatHarness.clustered(15, false)));
            conv(f, new Conv(1, 4, 4, 16, 3, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, false), seed++,
                    WeightFormatHarness.unstructured(1.0));
        }
        fc(TensorType.UINT8, false, 1, 64, 17, 0, 0, seed++,
                WeightFormatHarness.clustered(16, true).then(WeightFormatHarness.unstructured(0.5)));
        fc(TensorType.INT8, true, 3, 33, 9, 0, 0, seed,
                WeightFormatHarness.unstructured(0.5).then(WeightFormatHarness.clustered(2, true)));
    }

    @Test
    void fullyConnectedBatchesAndSizes() {
        assumeFalse(none(), "no LUT kernel on this machine");
        long seed = 500;
        int i = 0;
        for (TensorType t : new TensorType[] {TensorType.INT8, TensorType.UINT8}) {
            for (boolean perChannel : t == TensorType.INT8 ? new boolean[] {false, true} : new boolean[] {false}) {
                for (int n : new int[] {1, 2, 9, 16, 17, 33, 70}) {
                    int k = K[(i * 5) % K.length] + (i % 3 == 0 ? 64 : 0);
                    int batches = new int[] {1, 2, 4, 5, 8, 9, 17}[i % 7];
                    fc(t, perChannel, batches, k, n, 0, 0, seed++, WeightFormatHarness.clustered(16, i % 2 == 0));
                    i++;
                }
            }
        }
        // the FC shape of MobileNet's classifier, at batch 1
        fc(TensorType.UINT8, false, 1, 1280, 40, 0, 0, seed, WeightFormatHarness.clustered(16, true));
    }

    /**
     * Each of the four index layouts is dispatched where it should be: on AVX2 the in-register
     * {@code lut4_4x2c16} up to 7 output pixels, {@code lut4_8x2c8} below 16 and the panel-decoding {@code lut4_4x16c2} from 16
     * on; on AVX-512 VNNI {@code lut4_4x16c16} below 8 pixels and {@code lut4_8x16c4} from 8 on (in
     * registers for blocks of at most 8 pixels, decoded panels above). Shapes with several pixel blocks (K = 1280: 72 pixels per block on
     * VNNI, 36 on AVX2) and partial microtiles, bit-exact against the reference.
     */
    @Test
    void eachLayoutWhereItBelongs() {
        assumeFalse(none(), "no LUT kernel on this machine");
        long seed = 700;
        for (KernelFamily<ConvKernelFactory> f : FAMILIES) {
            for (int[] hw : new int[][] {{1, 1}, {1, 7}, {2, 4}, {3, 3}, {3, 5}, {4, 4}, {5, 5}, {10, 10}}) {
                int inC = hw[0] * hw[1] >= 25 ? 1280 : 40;
                Conv c = new Conv(1, hw[0], hw[1], inC, 21, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, true);
                Model m = Q8GemmConvTest.build(f, c, seed, WeightFormatHarness.clustered(16, seed % 2 == 0));
                conv(f, c, seed++, WeightFormatHarness.clustered(16, seed % 2 == 0));
                for (var e : KernelRegistry.available(KernelRegistry.CONV2D_LUT)) {
                    if (e.path() == KernelPath.JAVA) {
                        continue; // native layouts only; the Java path: JavaWeightKernelsTest
                    }
                    System.setProperty(KernelPath.PROPERTY, e.path().label());
                    System.setProperty(WeightFormat.PROPERTY, "lut");
                    String name = OpProfile.kernelNames(CompiledModel.compile(m)).get(0);
                    String want = e.path() == KernelPath.AVX2
                            ? (hw[0] * hw[1] >= 16 ? "_lut4_4x16c2__avx2"
                                    : hw[0] * hw[1] <= 7 ? "_lut4_4x2c16__avx2" : "_lut4_8x2c8__avx2")
                            : (hw[0] * hw[1] >= 8 ? "_lut4_8x16c4__avx512vnni" : "_lut4_4x16c16__avx512vnni");
                    // per-channel tables from 8 pixels on a VBMI CPU: the VBMI kernel, with 12-byte tables
                    // (lut4vbmi2) where the CPU has VBMI2 (LutVbmiKernelsTest)
                    boolean vbmi = (name.endsWith("_lut4vbmi_16x16c4__avx512vnni") || name.endsWith("_lut4vbmi2_16x16c4__avx512vnni"))
                            && want.endsWith("_lut4_8x16c4__avx512vnni");
                    assertTrue(name.endsWith(want) || vbmi, f.name() + " " + c.label() + " on " + e.path() + ": " + name);
                }
            }
        }
    }

    /**
     * 17..32 values per channel: on AVX-512 VNNI the 5-bit-index kernels ({@code _lut5_}, c16 at
     * 1 pixel, panels at 25), per channel and per layer; on AVX2 {@code lut5_4x16c2} (panels). 256 values:
     * dense everywhere. Bit-exact on every path.
     */
    @Test
    void moreThanSixteenValues() {
        long seed = 600;
        for (int clusters : new int[] {17, 24, 32, 256}) {
            for (KernelFamily<ConvKernelFactory> f : FAMILIES) {
                for (int side : new int[] {1, 5}) {
                    boolean perChannel = seed % 3 != 0;
                    Model m = Q8GemmConvTest.build(f, new Conv(1, side, side, 64, 21, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0,
                            true), seed, clusters == 17
                                    // the zeros make the 17th value where the random weights have none
                                    ? WeightFormatHarness.clustered(clusters, perChannel)
                                            .then(WeightFormatHarness.unstructured(0.2))
                                    : WeightFormatHarness.clustered(clusters, perChannel));
                    WeightFormatHarness.check(m, KernelRegistry.CONV2D_LUT, WeightFormat.LUT, null, f.name(), seed++,
                            0);
                    for (var e : KernelRegistry.available(KernelRegistry.CONV2D_LUT)) {
                        if (e.path() == KernelPath.JAVA) {
                            continue; // native layouts only; the Java path: JavaWeightKernelsTest
                        }
                        System.setProperty(WeightFormat.PROPERTY, "lut");
                        System.setProperty(KernelPath.PROPERTY, e.path().label());
                        String name = OpProfile.kernelNames(CompiledModel.compile(m)).get(0);
                        // lut5 on AVX2 too since session 13 (lut5_4x16c2__avx2, LutFiveAvx2KernelsTest)
                        boolean lut5 = clusters <= 32
                                && (e.path() == KernelPath.AVX512VNNI || e.path() == KernelPath.AVX2);
                        assertTrue(name.contains("_lut5_") == lut5 && !name.contains(TAG),
                                clusters + " clusters on " + e.path() + ": " + name);
                    }
                }
            }
        }
        for (boolean u8 : new boolean[] {false, true}) {
            Model m = Q8GemmFullyConnectedTest.build(u8 ? TensorType.UINT8 : TensorType.INT8, !u8, u8 ? 3 : 1,
                    u8 ? 100 : 1280, u8 ? 33 : 40, u8 ? 1 : 0, u8 ? 1 : 0, true, 0, seed,
                    WeightFormatHarness.clustered(u8 ? 30 : 32, !u8));
            WeightFormatHarness.check(m, KernelRegistry.FULLY_CONNECTED_LUT, WeightFormat.LUT, null, "fc", seed++,
                    u8 ? 1 : 0);
            for (var e : KernelRegistry.available(KernelRegistry.FULLY_CONNECTED_LUT)) {
                if (e.path() == KernelPath.JAVA) {
                    continue; // native layouts only; the Java path: JavaWeightKernelsTest
                }
                System.setProperty(WeightFormat.PROPERTY, "lut");
                System.setProperty(KernelPath.PROPERTY, e.path().label());
                String name = OpProfile.kernelNames(CompiledModel.compile(m)).get(0);
                assertTrue(name.contains(e.path() == KernelPath.AVX512VNNI ? "_lut5_4x16c16__" : "_lut5_4x2c16__avx2"),
                        "fc on " + e.path() + ": " + name);
            }
        }
    }

    /**
     * auto (WeightKernels.AUTO_LUT_*): LUT at one output pixel (K >= 128) and from 784 pixels on (K >= 64),
     * dense in between (the decode not amortized), on every available path.
     */
    @Test
    void autoTakesTheLutKernelAtOnePixelAndManyPixels() {
        assumeFalse(none(), "no LUT kernel on this machine");
        for (var e : KernelRegistry.available(KernelRegistry.CONV2D_LUT)) {
            if (e.path() == KernelPath.JAVA) {
                continue; // native layouts only; the Java path: JavaWeightKernelsTest
            }
            for (int batches : new int[] {1, 4}) {
                Model m = Q8GemmFullyConnectedTest.build(TensorType.UINT8, false, batches, 256, 40, 0, 0, true, 0, 9,
                        WeightFormatHarness.clustered(16, true));
                System.setProperty(WeightFormat.PROPERTY, "auto");
                System.setProperty(KernelPath.PROPERTY, e.path().label());
                OpProfile.KernelChoice k = OpProfile.kernelChoices(CompiledModel.compile(m)).get(0);
                assertTrue(k.kernel().contains(TAG) == (batches == 1), batches + ": " + k.kernel() + " " + k.why());
            }
            // {side, K, LUT expected}: from 784 pixels on with K >= 64
            for (int[] c : new int[][] {{7, 128, 0}, {14, 128, 0}, {28, 128, 1}, {28, 64, 1}, {28, 32, 0}}) {
                Model m = Q8GemmConvTest.build(KernelRegistry.QU8_CONV2D,
                        new Conv(1, c[0], c[0], c[1], 24, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, true), 11,
                        WeightFormatHarness.clustered(16, true));
                System.setProperty(WeightFormat.PROPERTY, "auto");
                System.setProperty(KernelPath.PROPERTY, e.path().label());
                OpProfile.KernelChoice k = OpProfile.kernelChoices(CompiledModel.compile(m)).get(0);
                assertTrue(k.kernel().contains(TAG) == (c[2] == 1), c[0] + "x" + c[1] + ": " + k.kernel() + " " + k.why());
            }
        }
    }

    @Test
    void packedWeightsAreIndicesAndTables() {
        assumeFalse(none(), "no LUT kernel on this machine");
        // 1280 -> 64, per-channel tables: 64 * (640 + 12) bytes, 51% of the dense 64 * 1280 (12-byte
        // tables on the native x86 paths since session 10; 16-byte ones with -Dwhittle.lut.compact=false)
        Model m = Q8GemmFullyConnectedTest.build(TensorType.INT8, true, 1, 1280, 64, 0, 0, true, 0, 7,
                WeightFormatHarness.clustered(16, true));
        System.setProperty(WeightFormat.PROPERTY, "lut");
        CompiledModel c = CompiledModel.compile(m);
        long bytes = 0;
        for (OpProfile.KernelChoice k : OpProfile.kernelChoices(c)) {
            if (k.kernel().contains(TAG)) {
                bytes += k.weightBytes();
            }
        }
        assertTrue(bytes == 64L * (640 + 12), "packed bytes " + bytes);
    }
}
