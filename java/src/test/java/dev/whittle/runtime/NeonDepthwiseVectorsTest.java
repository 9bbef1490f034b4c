package dev.whittle.runtime;

import dev.whittle.CpuFeatures;
import dev.whittle.TensorData;
import dev.whittle.model.Model;
import dev.whittle.model.TensorType;
import dev.whittle.runtime.kernels.DepthwiseConvKernelFactory;
import dev.whittle.runtime.kernels.KernelFamily;
import dev.whittle.runtime.kernels.KernelPath;
import dev.whittle.runtime.kernels.KernelRegistry;
import dev.whittle.runtime.kernels.NeonDepthwiseVectors;
import dev.whittle.runtime.kernels.NeonDwconvVectors;
import dev.whittle.runtime.kernels.reference.DepthwiseConvKernels;
import dev.whittle.runtime.kernels.reference.DepthwiseConvParams;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The NEON depthwise kernels of issue 6's NEON gaps against the reference kernels, bit for bit,
 * on an x86 machine (the {@link NeonGemmVectorsTest} design: vectors written here, replayed by a
 * cross-built libwhittle under {@code qemu-aarch64 -cpu max} through {@code cmake/test-aarch64.sh}):
 * <ul>
 * <li>{@code qs16_qc8w_dwconv2d_16c__neon} (16x8, depth multiplier 1): channels 1..70 (the
 * 16-channel step, its tail of 1..15, several blocks), {@link Qs16KernelPathsTest#DW_CASES}
 * (1x1 / 2x4 / 3x2 / 3x3 / 5x5 windows, strides 1 and 2, dilation 2, SAME and VALID), 17x17
 * and 22x23 windows (289 and 506 taps: near the int32 bound), batch 2, every {@link Qs16KernelPathsTest.Data} (int16 and
 * int8 extremes, the largest positive sums, int64 biases near both ends, tiny and saturating
 * multipliers), every fused activation, with and without bias;</li>
 * <li>{@code q*_dwconv2d_minmax_64l__neon} (int8, per-channel int8, uint8; lane-mapped): depth
 * multipliers 1..4 with input channels 1..20 (and 1..31 at multiplier 1: the fewer-than-32-channel
 * nodes the NEON path now gives it), 1x1 / 3x3 / 5x5 / 2x4 windows, strides 1 and 2 (and 3),
 * dilation, SAME and VALID, batch 2, zero points at both ends of the range, saturating and tiny
 * multipliers, RELU / RELU6, with and without bias;</li>
 * <li>{@code q*_dwconv2d_minmax_16c__neon} (depth multiplier 1) at 34..70 channels, beyond
 * {@link NeonGemmVectorsTest}'s channel sweep.</li>
 * </ul>
 * Each node is asserted to be packed for the NEON kernel it names (so the reference is never
 * compared with itself); the row ranges of 1, 2 and 3 tasks and one call per row are replayed.
 * Skipped (not failed) without the cross compiler or qemu; {@code -Dwhittle.aarch64.require=true}
 * makes their absence a failure.
 */
class NeonDepthwiseVectorsTest {

    @AfterEach
    void clearProperty() {
        System.clearProperty(KernelPath.PROPERTY);
    }

    @Test
    void neonDepthwiseEntriesExistAndANonNeonCpuCannotRunThem() {
        KernelFamily<DepthwiseConvKernelFactory> f = KernelRegistry.QS16_QC8W_DWCONV2D;
        assertTrue(KernelRegistry.entries(f).stream().anyMatch(e -> e.path() == KernelPath.NEON), f + " has no NEON entry");
        if (!CpuFeatures.detect().has(CpuFeatures.Feature.NEON)) {
            for (KernelFamily<DepthwiseConvKernelFactory> g : List.of(f, KernelRegistry.QS8_DWCONV2D,
                    KernelRegistry.QS8_QC8W_DWCONV2D, KernelRegistry.QU8_DWCONV2D)) {
                assertTrue(KernelRegistry.available(g).stream().noneMatch(e -> e.path() == KernelPath.NEON),
                        g + ": NEON entry available on a CPU without NEON");
            }
        }
    }

    @Test
    void neonDepthwiseKernelsMatchTheReferenceUnderQemu() throws Exception {
        AArch64Replay.assumeToolchain("NEON depthwise kernels");
        Path blockedFile = AArch64Replay.vectors("q8_dwconv_16c_wide.bin");
        Path lanesFile = AArch64Replay.vectors("q8_dwconv_lanes.bin");
        Path qs16File = AArch64Replay.vectors("qs16_dwconv.bin");
        long t0 = System.nanoTime();
        int lanes;
        int qs16;
        try (NeonDepthwiseVectors out = new NeonDepthwiseVectors(lanesFile, qs16File)) {
            qs16 = addQs16(out);
            lanes = addLanes(out);
            assertEquals(qs16, out.qs16Cases());
            assertEquals(lanes, out.lanesCases());
        }
        int blocked;
        try (NeonDwconvVectors out = new NeonDwconvVectors(blockedFile)) {
            blocked = addBlocked(out);
            assertEquals(blocked, out.cases());
        }
        long t1 = System.nanoTime();
        AArch64Replay.replay("NEON depthwise kernels", String.format("NeonDepthwiseVectorsTest: %d 16x8 + %d"
                + " lane-mapped + %d channel-blocked int8/uint8 cases; vectors %.1f s", qs16, lanes, blocked,
                (t1 - t0) / 1e9), qs16 + lanes + blocked, lanesFile, qs16File, blockedFile);
    }

    /** The 16x8 nodes (depth multiplier 1); returns how many were added. */
    private static int addQs16(NeonDepthwiseVectors out) {
        int added = 0;
        for (Qs16KernelPathsTest.Variant v : Qs16KernelPathsTest.paddingVariants(Qs16KernelPathsTest.DW_CASES)) {
            added += addQs16(out, v.c(), v.batch(), v.act(), v.bias(), v.d(), 300 + v.i());
        }
        // Channels 1..70: the 16-channel step, the partial block of every size, several blocks.
        for (int ch = 1; ch <= 70; ch++) {
            boolean k5 = ch % 4 == 3;
            int[] c = {5 + ch % 3, 6 + ch % 4, ch, 1, k5 ? 5 : 3, k5 ? 5 : 3, 1 + ch % 2, 1 + (ch / 2) % 2,
                1 + (ch % 5 == 1 ? 1 : 0), 1, ch % 3 == 0 ? 1 : 0};
            if (c[10] == 1 && (c[0] < (c[4] - 1) * c[8] + 1 || c[1] < (c[5] - 1) * c[9] + 1)) {
                c[10] = 0;
            }
            added += addQs16(out, c, ch % 7 == 0 ? 2 : 1, Qs16KernelPathsTest.ACTS[ch % 4], ch % 6 != 1,
                    Qs16KernelPathsTest.Data.values()[ch % 4], 700 + ch);
        }
        // A 17x17 window: 289 taps (145 pairs), every kind of data; a 22x23 one (506 taps, near the
        // factory's 510): the largest positive sums reach 506 * 2^22, just under 2^31, in one int32 lane.
        for (Qs16KernelPathsTest.Data d : Qs16KernelPathsTest.Data.values()) {
            added += addQs16(out, new int[] {17, 17, 20, 1, 17, 17, 1, 1, 1, 1, 0}, 1, 0, true, d, 3);
            added += addQs16(out, new int[] {22, 23, 18, 1, 22, 23, 1, 1, 1, 1, 1}, 1, 0, d != Qs16KernelPathsTest.Data
                    .MAX_POSITIVE, d, 5);
        }
        return added;
    }

    private static int addQs16(NeonDepthwiseVectors out, int[] g, int batch, int act, boolean bias,
            Qs16KernelPathsTest.Data d, long seed) {
        Model model = Qs16KernelPathsTest.conv(true, g, batch, act, bias, d, seed);
        TensorData in = Qs16KernelPathsTest.inputData(new int[] {batch, g[0], g[1], g[2]}, d, seed + 1);
        String label = "qs16 dwconv " + Arrays.toString(g) + " batch " + batch + " act " + act + " bias " + bias + " "
                + d;
        CompiledModel ref = reference(model);
        byte[] expected = Q8GemmConvTest.run(ref, in, 1);
        DepthwiseConvParams p = (DepthwiseConvParams) ref.nodePrepared(0);
        int taps = p.kh() * p.kw();
        String name = out.addQs16(p, AArch64Replay.constant(ref, p.filter(), taps * p.inC()),
                p.bias() >= 0 ? AArch64Replay.constant(ref, p.bias(), 8 * p.inC()) : null, in.bytes(), expected, label);
        assertNotNull(name, "the NEON 16x8 depthwise kernel declined " + label);
        assertEquals("qs16_qc8w_dwconv2d_16c__neon", name);
        return 1;
    }

    /** The int8/uint8 nodes the NEON path gives the lane-mapped kernel; returns how many were added. */
    private static int addLanes(NeonDepthwiseVectors out) {
        int[][] geometry = {
            // batch, h, w, c, kh, kw, sh, sw, dh, dw
            {2, 9, 8, 3, 3, 3, 2, 2, 1, 1},
            {1, 11, 10, 5, 3, 3, 1, 1, 2, 2},
            {2, 10, 11, 8, 5, 5, 2, 2, 1, 1},
            {1, 9, 9, 7, 3, 3, 2, 1, 2, 1},
            {1, 5, 6, 16, 1, 1, 1, 1, 1, 1},
            {1, 6, 7, 6, 2, 4, 2, 3, 1, 2},
            {2, 3, 3, 9, 5, 5, 1, 1, 1, 1},
            {1, 13, 13, 1, 3, 3, 2, 2, 1, 1},
            {1, 12, 12, 32, 3, 3, 1, 1, 1, 1},
        };
        int added = 0;
        int i = 0;
        for (KernelFamily<DepthwiseConvKernelFactory> family : DepthwiseConvKernelPathsTest.FAMILIES) {
            for (int mult = 1; mult <= 4; mult++) {
                int maxC = mult == 1 ? 31 : 20;
                for (int c = 1; c <= maxC; c += family == KernelRegistry.QS8_DWCONV2D ? 1 : 2) {
                    boolean k5 = i % 4 == 3;
                    added += addLanes(out, family, new DepthwiseConvKernelPathsTest.Spec(1 + (i % 7 == 0 ? 1 : 0),
                            5 + i % 3, 6 + i % 4, c, mult, k5 ? 5 : 3, k5 ? 5 : 3, 1 + i % 2, 1 + (i / 2) % 2,
                            1 + (i % 9 == 4 ? 1 : 0), 1, i % 3 != 0, new int[] {0, 1, 3, 2}[i % 4], i % 5 != 0, i % 3,
                            i % 6 == 5 ? 1 : i % 6 == 4 ? 2 : 0, 100 + i));
                    i++;
                }
            }
            for (int[] g : geometry) {
                for (boolean same : new boolean[] {true, false}) {
                    if (!same && (g[1] - (g[4] - 1) * g[8] < 1 || g[2] - (g[5] - 1) * g[9] < 1)) {
                        continue;
                    }
                    int mult = 1 + i % 4;
                    added += addLanes(out, family, new DepthwiseConvKernelPathsTest.Spec(g[0], g[1], g[2], g[3], mult,
                            g[4], g[5], g[6], g[7], g[8], g[9], same, new int[] {0, 3, 1}[i % 3], i % 4 != 1, i % 3,
                            i % 5 == 2 ? 1 : i % 5 == 4 ? 2 : 0, 500 + i));
                    i++;
                }
            }
        }
        return added;
    }

    private static int addLanes(NeonDepthwiseVectors out, KernelFamily<DepthwiseConvKernelFactory> family,
            DepthwiseConvKernelPathsTest.Spec s) {
        Model model = DepthwiseConvKernelPathsTest.build(family, s);
        CompiledModel ref = reference(model);
        TensorData in = Differential.randomInput(family == KernelRegistry.QU8_DWCONV2D ? TensorType.UINT8
                : TensorType.INT8, new int[] {s.batch(), s.h(), s.w(), s.c()}, s.seed() + 1);
        byte[] expected = Q8GemmConvTest.run(ref, in, 1);
        DepthwiseConvParams p = (DepthwiseConvParams) ref.nodePrepared(0);
        if (!NeonDepthwiseVectors.neonTakesLanes(p)) {
            return 0; // 32 channels at multiplier 1: the 16c kernel's (NeonGemmVectorsTest)
        }
        // One per-axis scale is a per-tensor quantization: the op picks the family of its reference kernel.
        KernelFamily<DepthwiseConvKernelFactory> actual = p.kernel() == DepthwiseConvKernels.QU8
                ? KernelRegistry.QU8_DWCONV2D : p.kernel() == DepthwiseConvKernels.QS8_QC8W
                ? KernelRegistry.QS8_QC8W_DWCONV2D : KernelRegistry.QS8_DWCONV2D;
        int taps = p.kh() * p.kw();
        int outC = p.inC() * p.multiplier();
        String name = out.addLanes(actual, p, AArch64Replay.constant(ref, p.filter(), taps * outC),
                p.bias() >= 0 ? AArch64Replay.constant(ref, p.bias(), 4 * outC) : null, in.bytes(), expected, actual + " " + s);
        assertNotNull(name, "the NEON lane-mapped depthwise kernel declined " + s);
        assertEquals(actual.name() + "_minmax_" + NeonDepthwiseVectors.LANES_TILE_ISA, name);
        return 1;
    }

    /**
     * int8/uint8 at depth multiplier 1 with 34..70 channels on the channel-blocked
     * {@code q*_dwconv2d_minmax_16c__neon} (2 to 5 blocks, every overlapping tail); returns how many
     * were added.
     */
    private static int addBlocked(NeonDwconvVectors out) {
        int added = 0;
        int i = 0;
        for (KernelFamily<DepthwiseConvKernelFactory> family : DepthwiseConvKernelPathsTest.FAMILIES) {
            for (int c = 34 + i % 3; c <= 70; c += 3) {
                DepthwiseConvKernelPathsTest.Spec s = new DepthwiseConvKernelPathsTest.Spec(1 + (i % 5 == 0 ? 1 : 0),
                        4 + i % 3, 5 + i % 2, c, 1, 3, 3, 1 + i % 2, 1 + (i / 2) % 2, 1, 1, i % 3 != 1,
                        new int[] {0, 1, 3}[i % 3], i % 4 != 0, i % 3, i % 5 == 3 ? 1 : i % 5 == 4 ? 2 : 0, 900 + i);
                Model model = DepthwiseConvKernelPathsTest.build(family, s);
                CompiledModel ref = reference(model);
                TensorData in = Differential.randomInput(family == KernelRegistry.QU8_DWCONV2D ? TensorType.UINT8
                        : TensorType.INT8, new int[] {s.batch(), s.h(), s.w(), s.c()}, s.seed() + 1);
                byte[] expected = Q8GemmConvTest.run(ref, in, 1);
                DepthwiseConvParams p = (DepthwiseConvParams) ref.nodePrepared(0);
                KernelFamily<DepthwiseConvKernelFactory> actual = p.kernel() == DepthwiseConvKernels.QU8
                        ? KernelRegistry.QU8_DWCONV2D : p.kernel() == DepthwiseConvKernels.QS8_QC8W
                        ? KernelRegistry.QS8_QC8W_DWCONV2D : KernelRegistry.QS8_DWCONV2D;
                int taps = p.kh() * p.kw();
                String name = out.add(actual, p, AArch64Replay.constant(ref, p.filter(), taps * p.inC()),
                        p.bias() >= 0 ? AArch64Replay.constant(ref, p.bias(), 4 * p.inC()) : null, in.bytes(), expected,
                        actual + " " + s);
                assertEquals(actual.name() + "_minmax_" + NeonDwconvVectors.TILE_ISA, name, "" + s);
                added++;
                i++;
            }
        }
        return added;
    }

    private static CompiledModel reference(Model model) {
        System.setProperty(KernelPath.PROPERTY, "reference");
        try {
            return CompiledModel.compile(model);
        } finally {
            System.clearProperty(KernelPath.PROPERTY);
        }
    }

}
