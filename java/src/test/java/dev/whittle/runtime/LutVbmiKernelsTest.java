package dev.whittle.runtime;

import dev.whittle.CpuFeatures;
import dev.whittle.TensorData;
import dev.whittle.model.Model;
import dev.whittle.model.TensorType;
import dev.whittle.runtime.Q8GemmConvTest.Conv;
import dev.whittle.runtime.kernels.ConvKernelFactory;
import dev.whittle.runtime.kernels.KernelFamily;
import dev.whittle.runtime.kernels.KernelPath;
import dev.whittle.runtime.kernels.KernelRegistry;
import dev.whittle.runtime.kernels.NativeKernels;
import dev.whittle.runtime.kernels.WeightFormat;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The AVX-512 VNNI + VBMI LUT kernel ({@code *_lut4vbmi_16x16c4__avx512vnni}: vpermi2b decode,
 * 16-pixel tiles in registers up to 128 pixels per block, decoded panels above) against the
 * dense reference, bit for bit, at 1 and 3 threads, its name asserted; and the same layer with
 * {@code -Dwhittle.lut.vbmi=false} on the vpshufb kernel ({@code _lut4_8x16c4}), which a VBMI
 * CPU otherwise no longer dispatches for per-channel tables. Sweeps: output channels 1..70, K
 * around the 8-K block (1..9, 15..17, 31..33, 63..65, 127..129, 1280), output pixels M 8..70
 * (every tile split of the in-register path), 127..130 and 200..300 (the 128-pixel switch to
 * panels, several blocks), 1..16 clusters per channel and per layer, qs8 / qs8_qc8w / qu8 conv
 * (1x1 and 3x3, stride 2, SAME/VALID, batch 2) and int8 / uint8 FC, zero points at both ends,
 * saturating and tiny multipliers, small-Cin 3x3 convolutions (K = 9..45). Skipped where the CPU or the library lacks VBMI.
 */
class LutVbmiKernelsTest {
    private static final List<KernelFamily<ConvKernelFactory>> FAMILIES = List.of(KernelRegistry.QS8_CONV2D,
            KernelRegistry.QS8_QC8W_CONV2D, KernelRegistry.QU8_CONV2D);
    private static final String VBMI = "_lut4vbmi_16x16c4__avx512vnni";
    private static final String PSHUFB = "_lut4_8x16c4__avx512vnni";
    /** 12-byte tables (issue 9, table bytes), where the CPU has VBMI2. */
    private static final String COMPACT = "_lut4vbmi2_16x16c4__avx512vnni";
    /** Q8LutGemm.COMPACT_PROPERTY. */
    private static final String COMPACT_PROPERTY = "whittle.lut.compact";
    /** Q8LutGemm.VBMI_PROPERTY. */
    private static final String VBMI_PROPERTY = "whittle.lut.vbmi";
    private static final int[] K = {1, 2, 3, 4, 5, 6, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65, 127, 128, 129};
    private static final int[] M = {8, 9, 15, 16, 17, 23, 24, 31, 32, 33, 47, 48, 49, 63, 64, 65, 70};

    @AfterEach
    void clear() {
        System.clearProperty(KernelPath.PROPERTY);
        System.clearProperty(WeightFormat.PROPERTY);
        System.clearProperty(VBMI_PROPERTY);
        System.clearProperty(COMPACT_PROPERTY);
    }

    private static boolean hasCompact() {
        return CpuFeatures.detect().has(CpuFeatures.Feature.AVX512_VBMI2) && NativeKernels.has("whittle_qu8_conv2d" + COMPACT);
    }

    private static void assumeVbmi() {
        assumeTrue(CpuFeatures.detect().has(CpuFeatures.Feature.AVX512_VBMI)
                && KernelPath.AVX512VNNI.supportedBy(CpuFeatures.detect())
                && NativeKernels.has("whittle_qu8_conv2d" + VBMI), "no AVX-512 VBMI LUT kernel here");
    }

    /**
     * Compares the VBMI kernel and the vpshufb kernel with the reference; {@code must}: the layer
     * has per-channel tables (more than 16 values in the layer), so VBMI must be dispatched.
     */
    private static void check(Model model, String label, long seed, int extremes, boolean must) {
        try {
            System.setProperty(KernelPath.PROPERTY, "reference");
            System.setProperty(WeightFormat.PROPERTY, "dense");
            CompiledModel ref = CompiledModel.compile(model);
            TensorData in = Q8GemmConvTest.input(ref, seed + 1, extremes);
            byte[] expected = Q8GemmConvTest.run(ref, in, 1);
            // 0: 12-byte tables (VBMI2), 1: 16-byte tables (VBMI), 2: vpshufb
            for (int mode = hasCompact() ? 0 : 1; mode < 3; mode++) {
                boolean vbmi = mode < 2;
                String want = mode == 0 ? COMPACT : VBMI;
                System.setProperty(KernelPath.PROPERTY, KernelPath.AVX512VNNI.label());
                System.setProperty(WeightFormat.PROPERTY, "lut");
                System.setProperty(VBMI_PROPERTY, Boolean.toString(vbmi));
                System.setProperty(COMPACT_PROPERTY, Boolean.toString(mode == 0));
                CompiledModel fast = CompiledModel.compile(model);
                String name = OpProfile.kernelNames(fast).get(0);
                boolean ok = vbmi ? (must ? name.endsWith(want) : name.endsWith(want) || name.endsWith(PSHUFB))
                        : name.endsWith(PSHUFB);
                assertTrue(ok, label + " mode " + mode + ": dispatched " + name);
                for (int threads : new int[] {1, 3}) {
                    assertArrayEquals(expected, Q8GemmConvTest.run(fast, in, threads),
                            name + " threads " + threads + " differs from the reference on " + label);
                }
            }
        } finally {
            System.clearProperty(KernelPath.PROPERTY);
            System.clearProperty(WeightFormat.PROPERTY);
            System.clearProperty(VBMI_PROPERTY);
            System.clearProperty(COMPACT_PROPERTY);
        }
    }

    private static void fc(TensorType type, boolean perChannel, int m, int k, int n, int extremes, int scale,
            long seed, int clusters, boolean perChannelTables) {
        Model model = Q8GemmFullyConnectedTest.build(type, perChannel, m, k, n, extremes, scale, seed % 3 != 0, 0,
                seed, WeightFormatHarness.clustered(clusters, perChannelTables));
        String label = type + (perChannel ? " per-channel" : "") + " fc " + m + "x" + k + " -> " + n + " clusters "
                + clusters + (perChannelTables ? "/channel" : "/layer") + " extremes " + extremes + " scale " + scale;
        check(model, label, seed, extremes, perChannelTables && clusters >= 8 && n >= 3 && k >= 16);
    }

    @Test
    void channelsOneToSeventyAndKAroundBlocks() {
        assumeVbmi();
        long seed = 9000;
        for (int n = 1; n <= 70; n++) {
            TensorType t = n % 2 == 0 ? TensorType.UINT8 : TensorType.INT8;
            fc(t, n % 3 == 0 && t == TensorType.INT8, M[n % M.length], K[n % K.length], n, 0, 0, seed++, 16, true);
        }
    }

    @Test
    void pixelsAroundTilesAndThePanelSwitch() {
        assumeVbmi();
        long seed = 9100;
        for (int m = 8; m <= 70; m++) {
            fc(TensorType.UINT8, false, m, 40 + m % 3, 33, 0, 0, seed++, 16, true);
        }
        for (int m : new int[] {127, 128, 129, 130, 200, 300}) {
            fc(TensorType.INT8, true, m, m >= 200 ? 1280 : 72, 20, 0, 0, seed++, 16, true);
        }
    }

    @Test
    void clustersPerChannelAndPerLayer() {
        assumeVbmi();
        long seed = 9200;
        for (KernelFamily<ConvKernelFactory> f : FAMILIES) {
            for (int clusters = 1; clusters <= 16; clusters++) {
                for (boolean perChannel : new boolean[] {true, false}) {
                    Conv c = new Conv(1, 5, 4, 33, 17, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, true);
                    Model m = Q8GemmConvTest.build(f, c, seed, WeightFormatHarness.clustered(clusters, perChannel));
                    check(m, f.name() + " " + c.label() + " clusters " + clusters + (perChannel ? "/channel" : "/layer"),
                            seed++, 0, perChannel && clusters >= 8);
                }
            }
        }
    }

    @Test
    void convGeometryZeroPointsAndSaturation() {
        assumeVbmi();
        long seed = 9300;
        int i = 0;
        for (KernelFamily<ConvKernelFactory> f : FAMILIES) {
            for (int extremes : new int[] {0, 1, 2}) {
                for (int scale : new int[] {0, 1, 2}) {
                    boolean three = i % 2 == 0;
                    int stride = i % 3 == 0 ? 2 : 1;
                    Conv c = new Conv(i % 4 == 0 ? 2 : 1, 9, 11, K[(i * 7) % K.length] + 8, 16 + i % 5, three ? 3 : 1,
                            three ? 3 : 1, stride, stride, 1, 1, i % 2, i % 5 == 1 ? 3 : 0, extremes, scale, i % 6 != 5);
                    Model m = Q8GemmConvTest.build(f, c, seed, WeightFormatHarness.clustered(16, true));
                    check(m, f.name() + " " + c.label(), seed++, extremes, true);
                    i++;
                }
            }
        }
        // small Cin (kw * Cin <= 16: the SmallRuns row packing), K = 27 as MobileNet's first layer
        for (KernelFamily<ConvKernelFactory> f : FAMILIES) {
            for (int inC : new int[] {1, 3, 5}) {
                Conv c = new Conv(inC == 5 ? 2 : 1, 17, 19, inC, 32 + inC, 3, 3, inC == 1 ? 1 : 2, 2, 1, 1, inC % 2,
                        0, inC == 3 ? 1 : 0, 0, true);
                Model m = Q8GemmConvTest.build(f, c, seed, WeightFormatHarness.clustered(16, true));
                check(m, f.name() + " small Cin " + c.label(), seed++, c.extremes(), true);
            }
        }
        for (TensorType t : new TensorType[] {TensorType.INT8, TensorType.UINT8}) {
            for (int extremes : new int[] {1, 2}) {
                for (int scale : new int[] {1, 2}) {
                    fc(t, false, 17, 65, 33, extremes, scale, seed++, 16, true);
                    fc(t, t == TensorType.INT8, 49, 320, 40, extremes, scale, seed++, 16, true);
                }
            }
        }
    }

    /**
     * uint8 1x1 convolutions read in place (session 9: x_flip 0, kp == k, the block's rows are the
     * input's rows, only the row terms computed): K = 8..136 around the 32-byte sum step and the
     * 64-byte loop, pixels on every path (<= 8, in-register tiles, panels, several blocks:
     * 56x56 at K = 136), N across the 8-channel half panel, zero points at both ends and
     * saturation, batch 2; int8 (staged) beside it.
     */
    @Test
    void uint8OneByOneInPlace() {
        assumeVbmi();
        long seed = 9500;
        int i = 0;
        for (int k : new int[] {8, 16, 24, 32, 40, 64, 72, 136}) {
            int hw = new int[] {2, 7, 13, 56}[i % 4];
            int n = new int[] {24, 16, 33, 8}[(i / 2) % 4];
            int extremes = i % 3;
            KernelFamily<ConvKernelFactory> f = i % 4 == 3 ? KernelRegistry.QS8_QC8W_CONV2D : KernelRegistry.QU8_CONV2D;
            Conv c = new Conv(i % 2 == 0 ? 2 : 1, hw, hw, k, n, 1, 1, 1, 1, 1, 1, 0, i % 3, extremes, i % 3, i % 5 != 4);
            Model m = Q8GemmConvTest.build(f, c, seed, WeightFormatHarness.clustered(16, true));
            check(m, f.name() + " in place " + c.label(), seed++, extremes, true);
            i++;
        }
    }

    /**
     * 12-byte tables ({@code lut4vbmi2}): channel tables at the ends of the unary code (all high
     * nibbles 0, all 15, one per step 0..15, the two extreme bytes only, one value, fewer than 16
     * values, random) in the stored byte's order, for both dtypes, pixels on each path
     * (in-register tiles, panels), channels across panel ends; every mode against the reference.
     */
    @Test
    void compactTableExtremes() {
        assumeVbmi();
        long seed = 9400;
        int i = 0;
        for (TensorType t : new TensorType[] {TensorType.INT8, TensorType.UINT8}) {
            for (int n : new int[] {1, 7, 16, 17, 33, 70}) {
                int m = new int[] {8, 49, 200}[i % 3];
                int k = new int[] {16, 33, 320}[(i / 3) % 3];
                Model model = Q8GemmFullyConnectedTest.build(t, t == TensorType.INT8 && i % 2 == 0, m, k, n, 0, 0,
                        i % 2 == 0, 0, seed, extremeTables(t == TensorType.INT8));
                check(model, t + " extreme tables fc " + m + "x" + k + " -> " + n, seed++, 0, n >= 3);
                i++;
            }
        }
    }

    /** Per channel one of 7 value sets, given as stored bytes (int8: the byte; uint8: byte ^ 0x80). */
    static WeightFormatHarness.Shaper extremeTables(boolean signedType) {
        return (w, n, k, inner, zero, signed, r) -> {
            for (int o = 0; o < n; o++) {
                int[] set = switch (o % 7) {
                    case 0 -> new int[] {0x00, 0xFF};
                    case 1 -> range(0x00, 1);
                    case 2 -> range(0xF0, 1);
                    case 3 -> range(0x00, 17);
                    case 4 -> new int[] {0x7F};
                    case 5 -> new int[] {0x10, 0x11, 0x5F, 0xA0, 0xEF};
                    default -> {
                        int[] v = new int[16];
                        java.util.Set<Integer> used = new java.util.HashSet<>();
                        for (int j = 0; j < 16; j++) {
                            do {
                                v[j] = r.nextInt(256);
                            } while (!used.add(v[j]));
                        }
                        yield v;
                    }
                };
                for (int j = 0; j < k; j++) {
                    int stored = set[(j + o) % set.length];
                    // int8 weights stay within [-127, 127]: the byte 0x80 (-128) becomes 0x81
                    int b = signed ? (stored == 0x80 ? 0x81 : stored) : stored ^ 0x80;
                    w.put(o * k + j, (byte) b);
                }
            }
        };
    }

    private static int[] range(int from, int step) {
        int[] v = new int[16];
        for (int j = 0; j < 16; j++) {
            v[j] = from + j * step;
        }
        return v;
    }
}
