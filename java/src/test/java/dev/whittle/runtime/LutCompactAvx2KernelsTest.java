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
 * 12-byte per-channel LUT tables on the AVX2 path (issue 9, table bytes, session 10): the AVX2
 * LUT kernels ({@code *_lut4_4x16c2__avx2} decoded panels, {@code *_lut4_8x2c8__avx2} in
 * registers below 16 pixels) keep 12 bytes of table per channel and rebuild the 16-byte tables
 * per 16-channel group (kernels/q8_lut_compact_avx2.h). Each layer against the dense reference,
 * bit for bit, at 1 and 3 threads, with the compact tables (default) and with
 * {@code -Dwhittle.lut.compact=false}; the AVX2 kernel's name asserted, and the compact tables
 * asserted in use: the resident bytes are exactly 4 per channel (rounded up to 16 channels)
 * fewer than with 16-byte tables. Sweeps: output channels 1..70 with K around the 8- and 32-K
 * blocks (1..9, 15..17, 31..33, 63..65, 127..129), pixels on both kernels (1..16, 17..70),
 * 1..16 clusters per channel and per layer, qs8 / qs8_qc8w / qu8 conv (1x1 and 3x3, strides 1
 * and 2, SAME and VALID, batch 2) and int8 / uint8 FC, zero points at both ends, saturating
 * and tiny multipliers, tables at the ends of the unary code. And the whole clustered
 * MobileNet v2 (16 per channel, from ../shared) on the AVX2 path: resident weight bytes at
 * most 55% of dense int8's (the model's int8 weight bytes). Where the CPU has AVX-512 VNNI, every layer also on the VNNI
 * vpshufb kernels ({@code _lut4_8x16c4}, {@code _lut4_4x16c16} below 8 pixels; VBMI off), which
 * take the same 12-byte form. Skipped where the CPU or the library has no AVX2 LUT kernel.
 */
class LutCompactAvx2KernelsTest {
    private static final List<KernelFamily<ConvKernelFactory>> FAMILIES = List.of(KernelRegistry.QS8_CONV2D,
            KernelRegistry.QS8_QC8W_CONV2D, KernelRegistry.QU8_CONV2D);
    private static final String PANEL = "_lut4_4x16c2__avx2";
    private static final String REGISTERS = "_lut4_8x2c8__avx2";
    /** The in-register kernel on the same layout and tables at 1..7 pixels (session 11). */
    private static final String SPLIT = "_lut4_4x2c16__avx2";
    private static final String VNNI_PANEL = "_lut4_8x16c4__avx512vnni";
    private static final String VNNI_REGISTERS = "_lut4_4x16c16__avx512vnni";
    /** Q8LutGemm.VBMI_PROPERTY. */
    private static final String VBMI_PROPERTY = "whittle.lut.vbmi";
    /** Q8LutGemm.COMPACT_PROPERTY. */
    private static final String COMPACT_PROPERTY = "whittle.lut.compact";
    private static final int[] K = {1, 2, 3, 4, 5, 6, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65, 127, 128, 129};
    private static final int[] M = {1, 2, 3, 7, 8, 9, 15, 16, 17, 23, 31, 32, 33, 49, 64, 65, 70};

    @AfterEach
    void after() {
        clear();
    }

    private static void clear() {
        System.clearProperty(KernelPath.PROPERTY);
        System.clearProperty(WeightFormat.PROPERTY);
        System.clearProperty(COMPACT_PROPERTY);
        System.clearProperty(VBMI_PROPERTY);
    }

    private static void assumeAvx2() {
        assumeTrue(KernelPath.AVX2.supportedBy(CpuFeatures.detect())
                && NativeKernels.has("whittle_qu8_conv2d" + PANEL)
                && NativeKernels.has("whittle_qu8_fully_connected" + REGISTERS), "no AVX2 LUT kernel here");
    }

    /** The AVX-512 VNNI LUT kernels that take the same 12-byte form (with -Dwhittle.lut.vbmi=false). */
    private static boolean vnni() {
        return KernelPath.AVX512VNNI.supportedBy(CpuFeatures.detect())
                && NativeKernels.has("whittle_qu8_conv2d" + VNNI_PANEL);
    }

    /**
     * Compares the AVX2 LUT kernel with 12-byte and with 16-byte tables against the reference,
     * and where the CPU has AVX-512 VNNI the VNNI vpshufb kernels likewise ({@code lut4vbmi2},
     * the vpcompressb form, is LutVbmiKernelsTest's). {@code must}: the layer has per-channel
     * tables (more than 16 values in the layer), so the LUT kernel must be dispatched and its
     * compact tables must save 4 bytes per channel.
     */
    private static void check(Model model, String label, long seed, int extremes, int n, boolean must) {
        try {
            System.setProperty(KernelPath.PROPERTY, "reference");
            System.setProperty(WeightFormat.PROPERTY, "dense");
            CompiledModel ref = CompiledModel.compile(model);
            TensorData in = Q8GemmConvTest.input(ref, seed + 1, extremes);
            byte[] expected = Q8GemmConvTest.run(ref, in, 1);
            for (KernelPath path : vnni() ? List.of(KernelPath.AVX2, KernelPath.AVX512VNNI) : List.of(KernelPath.AVX2)) {
                long[] bytes = new long[2];
                String[] names = new String[2];
                for (int mode = 0; mode < 2; mode++) {
                    System.setProperty(KernelPath.PROPERTY, path.label());
                    System.setProperty(WeightFormat.PROPERTY, "lut");
                    System.setProperty(VBMI_PROPERTY, "false");
                    System.setProperty(COMPACT_PROPERTY, Boolean.toString(mode == 0));
                    CompiledModel fast = CompiledModel.compile(model);
                    String name = OpProfile.kernelNames(fast).get(0);
                    names[mode] = name;
                    bytes[mode] = OpProfile.kernelChoices(fast).get(0).weightBytes();
                    boolean lut = path == KernelPath.AVX2 ? name.endsWith(PANEL) || registers(name)
                            : name.endsWith(VNNI_PANEL) || name.endsWith(VNNI_REGISTERS);
                    assertTrue(lut || !must, label + " mode " + mode + ": dispatched " + name);
                    for (int threads : new int[] {1, 3}) {
                        assertArrayEquals(expected, Q8GemmConvTest.run(fast, in, threads),
                                name + (mode == 0 ? " (12-byte tables)" : " (16-byte tables)") + " threads " + threads
                                        + " differs from the reference on " + label);
                    }
                }
                assertEquals(names[1], names[0], label);
                long saved = bytes[1] - bytes[0];
                long np = (n + 15) / 16 * 16;
                // per-channel tables: 12 bytes per channel (padded to 16) instead of 16 (8x2c8: per
                // channel pair, so only where that is smaller); one table per layer: same bytes
                long want = registers(names[0]) ? Math.max(0, 16L * ((n + 1) / 2 * 2) - 12 * np) : 4 * np;
                assertTrue(saved == want || (!must && saved == 0), label + ": " + names[0] + " 12-byte tables "
                        + bytes[0] + " bytes, 16-byte tables " + bytes[1] + ", want " + want + " fewer");
            }
        } finally {
            clear();
        }
    }

    /** The two AVX2 kernels on the channel-pair layout (per-pair 16-byte tables). */
    private static boolean registers(String name) {
        return name.endsWith(REGISTERS) || name.endsWith(SPLIT);
    }

    private static void fc(TensorType type, boolean perChannel, int m, int k, int n, int extremes, int scale,
            long seed, int clusters, boolean perChannelTables) {
        Model model = Q8GemmFullyConnectedTest.build(type, perChannel, m, k, n, extremes, scale, seed % 3 != 0, 0,
                seed, WeightFormatHarness.clustered(clusters, perChannelTables));
        String label = type + (perChannel ? " per-channel" : "") + " fc " + m + "x" + k + " -> " + n + " clusters "
                + clusters + (perChannelTables ? "/channel" : "/layer") + " extremes " + extremes + " scale " + scale;
        check(model, label, seed, extremes, n, perChannelTables && clusters >= 8 && n >= 3 && k >= 16);
    }

    @Test
    void channelsOneToSeventyAndKAroundBlocks() {
        assumeAvx2();
        long seed = 12000;
        for (int n = 1; n <= 70; n++) {
            TensorType t = n % 2 == 0 ? TensorType.UINT8 : TensorType.INT8;
            fc(t, n % 3 == 0 && t == TensorType.INT8, M[n % M.length], K[n % K.length], n, 0, 0, seed++, 16, true);
        }
    }

    @Test
    void pixelsOnBothKernels() {
        assumeAvx2();
        long seed = 12100;
        for (int m = 1; m <= 40; m++) {
            fc(m % 2 == 0 ? TensorType.UINT8 : TensorType.INT8, m % 4 == 1, m, 40 + m % 3, 33, 0, 0, seed++, 16, true);
        }
        // the classifier shape: one pixel, K = 1280, N past a 16-channel group end
        fc(TensorType.UINT8, false, 1, 1280, 1001, 0, 0, seed++, 16, true);
        fc(TensorType.INT8, true, 2, 1280, 70, 0, 0, seed++, 16, true);
        fc(TensorType.INT8, false, 300, 320, 40, 0, 0, seed++, 16, true);
    }

    @Test
    void clustersPerChannelAndPerLayer() {
        assumeAvx2();
        long seed = 12200;
        for (KernelFamily<ConvKernelFactory> f : FAMILIES) {
            for (int clusters = 1; clusters <= 16; clusters++) {
                for (boolean perChannel : new boolean[] {true, false}) {
                    // 3x3 output pixels (in registers) or 5x4 (panels)
                    boolean small = clusters % 2 == 0;
                    Conv c = new Conv(1, small ? 3 : 5, small ? 3 : 4, 33, 17, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, true);
                    Model m = Q8GemmConvTest.build(f, c, seed, WeightFormatHarness.clustered(clusters, perChannel));
                    check(m, f.name() + " " + c.label() + " clusters " + clusters + (perChannel ? "/channel" : "/layer"),
                            seed++, 0, 17, perChannel && clusters >= 8);
                }
            }
        }
    }

    @Test
    void convGeometryZeroPointsAndSaturation() {
        assumeAvx2();
        long seed = 12300;
        int i = 0;
        for (KernelFamily<ConvKernelFactory> f : FAMILIES) {
            for (int extremes : new int[] {0, 1, 2}) {
                for (int scale : new int[] {0, 1, 2}) {
                    boolean three = i % 2 == 0;
                    int stride = i % 3 == 0 ? 2 : 1;
                    int hw = i % 4 == 1 ? 4 : 9;
                    int n = 16 + i % 5;
                    Conv c = new Conv(i % 4 == 0 ? 2 : 1, hw, hw + 2, K[(i * 7) % K.length] + 8, n, three ? 3 : 1,
                            three ? 3 : 1, stride, stride, 1, 1, i % 2, i % 5 == 1 ? 3 : 0, extremes, scale, i % 6 != 5);
                    Model m = Q8GemmConvTest.build(f, c, seed, WeightFormatHarness.clustered(16, true));
                    check(m, f.name() + " " + c.label(), seed++, extremes, n, true);
                    i++;
                }
            }
        }
        for (TensorType t : new TensorType[] {TensorType.INT8, TensorType.UINT8}) {
            for (int extremes : new int[] {1, 2}) {
                for (int scale : new int[] {1, 2}) {
                    fc(t, false, 3, 65, 33, extremes, scale, seed++, 16, true);
                    fc(t, t == TensorType.INT8, 49, 320, 40, extremes, scale, seed++, 16, true);
                }
            }
        }
    }

    /**
     * Tables at the ends of the unary code (LutVbmiKernelsTest.extremeTables: all high nibbles
     * 0, all 15, one per step, the two extreme bytes, one value, fewer than 16, random) as the
     * AVX2 kernels store them (int8: byte ^ 0x80, uint8: the byte), both kernels, groups' ends.
     */
    @Test
    void compactTableExtremes() {
        assumeAvx2();
        long seed = 12400;
        int i = 0;
        for (TensorType t : new TensorType[] {TensorType.INT8, TensorType.UINT8}) {
            for (int n : new int[] {1, 7, 16, 17, 33, 70}) {
                int m = new int[] {1, 8, 49, 200}[i % 4];
                int k = new int[] {16, 33, 320}[(i / 4) % 3];
                Model model = Q8GemmFullyConnectedTest.build(t, t == TensorType.INT8 && i % 2 == 0, m, k, n, 0, 0,
                        i % 2 == 0, 0, seed, avx2Stored(LutVbmiKernelsTest.extremeTables(t == TensorType.INT8)));
                check(model, t + " extreme tables fc " + m + "x" + k + " -> " + n, seed++, 0, n, n >= 3);
                i++;
            }
        }
    }

    /**
     * {@code vnni}'s value sets moved to the AVX2 kernels' stored bytes: those are w ^ 0x80 for
     * int8 and w for uint8, VNNI's the opposite, so every weight byte flips its top bit (int8's
     * -128, which weights never take, becomes -127).
     */
    private static WeightFormatHarness.Shaper avx2Stored(WeightFormatHarness.Shaper vnni) {
        return (w, n, k, inner, zero, signed, r) -> {
            vnni.shape(w, n, k, inner, zero, signed, r);
            for (int i = 0; i < n * k; i++) {
                int b = (w.get(i) & 0xFF) ^ 0x80;
                w.put(i, (byte) (signed && b == 0x80 ? 0x81 : b));
            }
        };
    }

    /**
     * The whole clustered MobileNet v2 ({@code whittle cluster -n 16 --per-channel}) on the AVX2
     * path: the LUT kernels' resident weight bytes (12-byte tables) at most 55% of dense int8's
     * (issue 9: "LUT-16: packed weights at most 55% of dense int8's bytes").
     */
    @Test
    void clusteredMobileNetV2UnderFiftyFivePercent() throws Exception {
        assumeAvx2();
        Model m = new Clusterer(ClusterOptions.of(16).withPerChannel(true), null)
                .apply(ModelReader.read(SharedData.model("mobilenet_v2_1.0_224_quant.tflite"))).model();
        try {
            // dense int8's bytes: the model's own int8 weights (what the reference path keeps; the
            // dense AVX2 kernels keep int16 weights, twice that, the VNNI ones int8 padded to 16 x 4)
            System.setProperty(KernelPath.PROPERTY, "reference");
            System.setProperty(WeightFormat.PROPERTY, "dense");
            long dense = CompiledModel.compile(m).residentWeightBytes();
            System.setProperty(KernelPath.PROPERTY, KernelPath.AVX2.label());
            System.setProperty(WeightFormat.PROPERTY, "lut");
            CompiledModel lut = CompiledModel.compile(m);
            long packed = lut.residentWeightBytes();
            List<String> names = OpProfile.kernelNames(lut);
            assertTrue(names.stream().anyMatch(n -> n.endsWith(PANEL)) && names.stream().anyMatch(n -> registers(n)),
                    names.toString());
            assertTrue(names.stream().noneMatch(n -> n.contains("avx512")), names.toString());
            double ratio = (double) packed / dense;
            assertTrue(ratio <= 0.55, "clustered MobileNet v2 on AVX2: LUT " + packed + " bytes, dense " + dense
                    + " (" + String.format(java.util.Locale.ROOT, "%.2f%%", 100 * ratio) + ")");
        } finally {
            clear();
        }
    }
}
