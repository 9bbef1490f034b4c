package dev.whittle.runtime;

import dev.whittle.CpuFeatures;
import dev.whittle.TensorData;
import dev.whittle.model.Model;
import dev.whittle.model.TensorType;
import dev.whittle.model.io.ModelReader;
import dev.whittle.optimize.ClusterOptions;
import dev.whittle.optimize.Clusterer;
import dev.whittle.runtime.Q8GemmConvTest.Conv;
import dev.whittle.runtime.kernels.ConvKernelFactory;
import dev.whittle.runtime.kernels.KernelFamily;
import dev.whittle.runtime.kernels.KernelPath;
import dev.whittle.runtime.kernels.KernelRegistry;
import dev.whittle.runtime.kernels.NativeKernels;
import dev.whittle.runtime.kernels.WeightFormat;
import dev.whittle.testing.SharedData;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The AVX2 5-bit-index LUT kernel ({@code *_lut5_4x16c2__avx2}, issue 9, session 13: the 4x16c2
 * panel kernel with tables of 32 entries and bit 4 of each index in a bitplane, merged by
 * vpblendvb) against the dense reference, bit for bit, on the AVX2 path at 1 and 3 threads, its
 * name asserted wherever a channel holds more than 16 values. Sweeps: FULLY_CONNECTED at batch
 * 1..7 with output channels 1..70 and K around the 4-K pair, the 16-channel panel and up to 1280;
 * CONV_2D 1x1 and 3x3 (im2col), strides 1 and 2, SAME and VALID, 1..300 output pixels, for qs8,
 * qs8_qc8w and qu8; zero points at both ends and saturating / tiny multipliers; 17..32 values per
 * channel and per layer (one shared table), exactly 16 (lut4), 17 and 32 (lut5), 33 (dense); all-
 * zero rows; resident bytes; and the whole MobileNet v2 clustered to 32 values per channel.
 */
class LutFiveAvx2KernelsTest {
    /** Either AVX2 lut5 kernel: lut5_4x2c16 below 16 pixels, lut5_4x16c2 from there (or everywhere with split=false). */
    private static final String LUT5 = "_lut5_";
    private static final String PANEL = "_lut5_4x16c2__avx2";
    private static final String SPLIT = "_lut5_4x2c16__avx2";
    /** Q8LutGemm.SPLIT_PROPERTY: false keeps the panel kernel at few pixels. */
    private static final String SPLIT_PROPERTY = "whittle.lut.split";
    private static final List<KernelFamily<ConvKernelFactory>> FAMILIES = List.of(KernelRegistry.QS8_CONV2D,
            KernelRegistry.QS8_QC8W_CONV2D, KernelRegistry.QU8_CONV2D);
    private static final int[] OUT = {1, 2, 3, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65, 70};
    private static final int[] K = {17, 31, 32, 33, 34, 35, 63, 64, 65, 66, 127, 128, 129, 130, 255, 320, 1248, 1280};

    @AfterEach
    void after() {
        clear();
    }

    private static void clear() {
        System.clearProperty(KernelPath.PROPERTY);
        System.clearProperty(WeightFormat.PROPERTY);
        System.clearProperty(SPLIT_PROPERTY);
    }

    private static void assumeKernel() {
        assumeTrue(KernelPath.AVX2.supportedBy(CpuFeatures.detect())
                && NativeKernels.has("whittle_qu8_fully_connected" + PANEL)
                && NativeKernels.has("whittle_qu8_fully_connected" + SPLIT), "no AVX2 lut5 kernels here");
    }

    /**
     * Reference vs {@code --kernels lut} on AVX2 at 1 and 3 threads. {@code expect}: the tag the
     * dispatched kernel must hold ("_lut5_", "_lut4", or null: a dense kernel).
     *
     * @return the dispatched kernel
     */
    private static String check(Model model, String label, long seed, int extremes, String expect) {
        return check(model, label, seed, extremes, expect, true);
    }

    /** As above; {@code split = false}: the panel kernel at few pixels too. */
    private static String check(Model model, String label, long seed, int extremes, String expect, boolean split) {
        try {
            System.setProperty(KernelPath.PROPERTY, "reference");
            System.setProperty(WeightFormat.PROPERTY, "dense");
            CompiledModel ref = CompiledModel.compile(model);
            TensorData in = Q8GemmConvTest.input(ref, seed + 1, extremes);
            byte[] expected = Q8GemmConvTest.run(ref, in, 1);
            System.setProperty(KernelPath.PROPERTY, "avx2");
            System.setProperty(WeightFormat.PROPERTY, "lut");
            System.setProperty(SPLIT_PROPERTY, Boolean.toString(split));
            CompiledModel fast = CompiledModel.compile(model);
            String name = OpProfile.kernelNames(fast).get(0);
            if (!split) {
                assertTrue(!name.contains(SPLIT), label + ": " + name);
            }
            if (expect != null) {
                assertTrue(name.contains(expect) && name.endsWith("__avx2"), label + ": expected " + expect + ", got "
                        + name + " because " + OpProfile.kernelChoices(fast));
            } else {
                assertTrue(!name.contains("_lut"), label + ": expected dense, got " + name);
            }
            for (int threads : new int[] {1, 3}) {
                assertArrayEquals(expected, Q8GemmConvTest.run(fast, in, threads),
                        name + " threads " + threads + " differs from the reference on " + label);
            }
            return name;
        } finally {
            clear();
        }
    }

    /** 17..32 values with zeros (so the zero point is one of them): 17 means exactly 17 in most channels. */
    private static WeightFormatHarness.Shaper values(int clusters, boolean perChannel) {
        return WeightFormatHarness.clustered(clusters, perChannel).then(WeightFormatHarness.unstructured(0.2));
    }

    @Test
    void fullyConnectedBatchesChannelsAndK() {
        assumeKernel();
        long seed = 5000;
        int lut5 = 0;
        int cases = 0;
        TensorType[] types = {TensorType.INT8, TensorType.INT8, TensorType.UINT8};
        for (int i = 0; i < OUT.length; i++) {
            for (int j = 0; j < K.length; j += 2) {
                int kk = K[(j + i) % K.length];
                int t = (i + j) % 3;
                int batches = 1 + (i + j) % 7;
                int clusters = 17 + (i * 7 + j) % 16;
                boolean perChannel = (i + j) % 4 != 3;
                Model m = Q8GemmFullyConnectedTest.build(types[t], t == 1, batches, kk, OUT[i], 0, 0, seed % 3 != 0, 0,
                        seed, values(clusters, perChannel));
                // K >= 64 with >= 17 clusters: some channel holds more than 16 values
                String name = check(m, types[t] + (t == 1 ? " per-channel" : "") + " fc " + batches + "x" + kk + " -> "
                        + OUT[i] + " clusters " + clusters + (perChannel ? "/channel" : "/layer"), seed, 0,
                        kk >= 64 ? LUT5 : "_lut", seed++ % 3 != 0);
                lut5 += name.contains(LUT5) ? 1 : 0;
                cases++;
            }
        }
        assertTrue(lut5 * 10 >= cases * 7, lut5 + " of " + cases + " on lut5");
    }

    @Test
    void convolutionsPixelsStridesPadding() {
        assumeKernel();
        long seed = 6000;
        // {batch, h, w, inC, outC, kh, kw, stride, padding}
        int[][] shapes = {
            {1, 1, 1, 320, 70, 1, 1, 1, 0}, {1, 2, 3, 96, 33, 1, 1, 1, 0}, {1, 4, 4, 64, 17, 1, 1, 1, 0},
            {1, 5, 3, 130, 16, 1, 1, 1, 0}, {1, 7, 7, 320, 40, 1, 1, 1, 0}, {2, 9, 7, 65, 24, 1, 1, 1, 0},
            {1, 14, 14, 96, 48, 1, 1, 1, 0}, {1, 17, 17, 64, 9, 1, 1, 1, 0}, {1, 7, 7, 1280, 20, 1, 1, 1, 0},
            {1, 8, 9, 9, 31, 3, 3, 1, 0}, {1, 9, 9, 8, 32, 3, 3, 2, 0}, {1, 11, 10, 16, 20, 3, 3, 2, 1},
            {2, 6, 6, 7, 65, 3, 3, 1, 1}, {1, 12, 12, 3, 16, 3, 3, 2, 0}, {1, 10, 11, 24, 8, 3, 3, 1, 0},
            {1, 5, 5, 40, 33, 5, 5, 1, 0}, {1, 34, 9, 32, 16, 1, 1, 1, 0},
        };
        for (int[] s : shapes) {
            for (KernelFamily<ConvKernelFactory> f : FAMILIES) {
                int clusters = 17 + (int) (seed % 16);
                boolean perChannel = seed % 4 != 1;
                Conv c = new Conv(s[0], s[1], s[2], s[3], s[4], s[5], s[6], s[7], s[7], 1, 1, s[8], (int) (seed % 3),
                        0, 0, seed % 5 != 0);
                // K < 64: a channel may hold only 16 of its values (then lut4)
                check(Q8GemmConvTest.build(f, c, seed, values(clusters, perChannel)), f.name() + " " + c.label()
                        + " clusters " + clusters, seed++, 0, s[3] * s[5] * s[6] >= 64 ? LUT5 : "_lut");
            }
        }
    }

    @Test
    void zeroPointsAtBothEndsAndSaturation() {
        assumeKernel();
        long seed = 7000;
        for (KernelFamily<ConvKernelFactory> f : FAMILIES) {
            for (int extremes : new int[] {1, 2}) {
                for (int scale : new int[] {0, 1, 2}) {
                    Conv c = new Conv(2, 5, 5, 9, 20, 3, 3, 2, 2, 1, 1, extremes - 1, 0, extremes, scale, true);
                    check(Q8GemmConvTest.build(f, c, seed, values(32, true)), f.name() + " " + c.label(), seed++,
                            extremes, LUT5);
                }
            }
        }
        for (TensorType t : new TensorType[] {TensorType.INT8, TensorType.UINT8}) {
            for (int extremes : new int[] {1, 2}) {
                for (int scale : new int[] {1, 2}) {
                    for (int batches : new int[] {1, 3, 20}) {
                        Model m = Q8GemmFullyConnectedTest.build(t, false, batches, 129, 33, extremes, scale, true, 0,
                                seed, values(25, true));
                        check(m, t + " fc extremes " + extremes + " scale " + scale + " batch " + batches, seed++,
                                extremes, LUT5);
                    }
                }
            }
        }
    }

    /** Exactly 16 values: lut4; 17 and 32: lut5; 33: dense. Per channel and per layer, all-zero rows. */
    @Test
    void valueCountsAtTheEdgesAndZeroRows() {
        assumeKernel();
        long seed = 8000;
        for (int clusters : new int[] {16, 17, 32, 33}) {
            for (boolean perChannel : new boolean[] {true, false}) {
                for (TensorType t : new TensorType[] {TensorType.INT8, TensorType.UINT8}) {
                    for (int batches : new int[] {1, 5, 40}) {
                        // K = 1280 with 20% zeros: every channel holds all of its values
                        WeightFormatHarness.Shaper shaper = values(clusters, perChannel);
                        if (seed % 2 == 0) {
                            shaper = shaper.then(WeightFormatHarness.zeroRows(3));
                        }
                        Model m = Q8GemmFullyConnectedTest.build(t, t == TensorType.INT8 && perChannel, batches, 1280,
                                40, 0, 0, true, 0, seed, shaper);
                        String expect = clusters <= 16 ? "_lut4" : clusters <= 32 ? LUT5 : null;
                        check(m, t + " fc " + batches + "x1280 -> 40, " + clusters + (perChannel ? "/channel" : "/layer"),
                                seed++, 0, expect);
                    }
                }
            }
        }
        for (KernelFamily<ConvKernelFactory> f : FAMILIES) {
            Conv c = new Conv(1, 6, 6, 64, 35, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, true);
            check(Q8GemmConvTest.build(f, c, seed, values(32, true).then(WeightFormatHarness.zeroRows(2))),
                    f.name() + " zero rows", seed++, 0, LUT5);
        }
    }

    /** auto (WeightKernels.AUTO_LUT5_AVX2): the dense AVX2 kernel for 17..32 values, the lut4 one for 16. */
    @Test
    void autoKeepsDenseForThirtyTwoValues() {
        assumeKernel();
        for (int clusters : new int[] {16, 32}) {
            Model m = Q8GemmConvTest.build(KernelRegistry.QU8_CONV2D,
                    new Conv(1, 28, 28, 128, 24, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, true), 11, values(clusters, true));
            try {
                System.setProperty(KernelPath.PROPERTY, "avx2");
                System.setProperty(WeightFormat.PROPERTY, "auto");
                OpProfile.KernelChoice k = OpProfile.kernelChoices(CompiledModel.compile(m)).get(0);
                assertTrue(k.kernel().contains("_lut4") == (clusters == 16) && !k.kernel().contains("_lut5_"),
                        clusters + ": " + k.kernel() + " " + k.why());
            } finally {
                clear();
            }
        }
    }

    /**
     * Resident bytes: per channel K / 2 of indices, K / 8 of bitplane, 32 of table (one 512-byte
     * table block for the layer where it shares one): 1280 -> 64, 65% of dense int8.
     */
    @Test
    void packedWeightsAreIndicesBitplaneAndTables() {
        assumeKernel();
        for (int batches : new int[] {1, 16}) {
        for (boolean perChannel : new boolean[] {true, false}) {
            Model m = Q8GemmFullyConnectedTest.build(TensorType.INT8, true, batches, 1280, 64, 0, 0, true, 0, 7,
                    values(32, perChannel));
            try {
                System.setProperty(KernelPath.PROPERTY, "avx2");
                System.setProperty(WeightFormat.PROPERTY, "lut");
                OpProfile.KernelChoice k = OpProfile.kernelChoices(CompiledModel.compile(m)).get(0);
                assertTrue(k.kernel().contains(batches == 1 ? SPLIT : PANEL), k.kernel());
                // a shared table: 64 bytes (the pair tables of lut5_4x2c16) or 512 (a panel's)
                assertEquals(64L * (640 + 160) + (perChannel ? 64L * 32 : batches == 1 ? 64 : 512), k.weightBytes(),
                        k.kernel());
            } finally {
                clear();
            }
        }
        }
    }

    /** lut5_4x2c16 at 1..15 pixels, lut5_4x16c2 from 16 on (and at 1 with split=false), both exact. */
    @Test
    void eachKernelWhereItBelongs() {
        assumeKernel();
        long seed = 9000;
        for (int batches : new int[] {1, 2, 4, 7, 8, 9, 15, 16, 17}) {
            for (TensorType t : new TensorType[] {TensorType.INT8, TensorType.UINT8}) {
                Model m = Q8GemmFullyConnectedTest.build(t, t == TensorType.INT8, batches, 320, 37, 0, 0, true, 0, seed,
                        values(32, batches % 2 == 0));
                check(m, t + " fc batch " + batches, seed, 0, batches < 16 ? SPLIT : PANEL);
                check(m, t + " fc batch " + batches + " split=false", seed++, 0, PANEL, false);
            }
        }
        for (KernelFamily<ConvKernelFactory> f : FAMILIES) {
            // 3x3 s2 on 5x5 SAME: 9 pixels (im2col gather on the byte-decode kernel)
            Conv c = new Conv(1, 5, 5, 24, 19, 3, 3, 2, 2, 1, 1, 0, 0, 0, 0, true);
            check(Q8GemmConvTest.build(f, c, seed, values(32, true)), f.name() + " " + c.label(), seed++, 0, SPLIT);
        }
    }

    /**
     * MobileNet v2 (uint8) clustered to 32 values per channel ({@code whittle cluster -n 32
     * --per-channel}) on the AVX2 path with {@code --kernels lut}: identical to the dense AVX2 run,
     * lut5 kernels taken, resident weights at most 75% of dense int8 (73.4%: 65% at K = 1280, more
     * at small K, where a 32-byte table per channel weighs).
     */
    @Test
    void clusteredMobileNetV2ThirtyTwoPerChannel() {
        assumeKernel();
        SharedData.assumeAvailable();
        Model m = new Clusterer(ClusterOptions.of(32).withPerChannel(true), null)
                .apply(ModelReader.read(SharedData.model("mobilenet_v2_1.0_224_quant.tflite"))).model();
        try {
            System.setProperty(KernelPath.PROPERTY, "reference");
            System.setProperty(WeightFormat.PROPERTY, "dense");
            long denseBytes = CompiledModel.compile(m).residentWeightBytes();
            System.setProperty(KernelPath.PROPERTY, "avx2");
            CompiledModel dense = CompiledModel.compile(m);
            System.setProperty(WeightFormat.PROPERTY, "lut");
            CompiledModel lut = CompiledModel.compile(m);
            List<String> names = OpProfile.kernelNames(lut);
            long lut5 = names.stream().filter(n -> n.contains(LUT5) && n.endsWith("__avx2")).count();
            assertTrue(lut5 >= 30, lut5 + " lut5 kernels: " + names);
            assertTrue(names.stream().noneMatch(n -> n.contains("avx512")), names.toString());
            double ratio = (double) lut.residentWeightBytes() / denseBytes;
            assertTrue(ratio <= 0.75, "LUT " + lut.residentWeightBytes() + " bytes, dense " + denseBytes);
            for (long seed = 1; seed <= 2; seed++) {
                TensorData in = Q8GemmConvTest.input(dense, seed, 0);
                for (int threads : new int[] {1, 3}) {
                    assertArrayEquals(Q8GemmConvTest.run(dense, in, threads), Q8GemmConvTest.run(lut, in, threads),
                            "seed " + seed + " threads " + threads);
                }
            }
        } finally {
            clear();
        }
    }
}
