package dev.whittle.runtime;

import dev.whittle.CpuFeatures;
import dev.whittle.TensorData;
import dev.whittle.model.Model;
import dev.whittle.model.TensorType;
import dev.whittle.runtime.kernels.ConvKernelFactory;
import dev.whittle.runtime.kernels.DepthwiseConvKernelFactory;
import dev.whittle.runtime.kernels.KernelEntry;
import dev.whittle.runtime.kernels.KernelFamily;
import dev.whittle.runtime.kernels.KernelPath;
import dev.whittle.runtime.kernels.KernelRegistry;
import dev.whittle.runtime.kernels.NeonDwconvVectors;
import dev.whittle.runtime.kernels.NeonGemmVectors;
import dev.whittle.runtime.kernels.NeonQs16Vectors;
import dev.whittle.runtime.kernels.QuantizedFullyConnectedFactory;
import dev.whittle.runtime.kernels.reference.ConvKernels;
import dev.whittle.runtime.kernels.reference.ConvParams;
import dev.whittle.runtime.kernels.reference.DepthwiseConvKernels;
import dev.whittle.runtime.kernels.reference.DepthwiseConvParams;
import dev.whittle.runtime.kernels.reference.FullyConnectedReference;
import dev.whittle.runtime.kernels.reference.FullyConnectedReference.QuantParams;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.lang.reflect.RecordComponent;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The NEON kernels against the reference kernels, bit for bit, on an x86 machine (no aarch64
 * JVM needed): the DotProd GEMMs ({@code q*_{conv2d,fully_connected}_gemm_4x16c4__neondot}) and
 * the depthwise {@code q*_dwconv2d_minmax_16c__neon} and the 16x8
 * {@code qs16_qc8w_{conv2d,fully_connected}_gemm_4x16c2__neon}. For every node of the sweeps of
 * {@link Q8GemmConvTest}, {@link Q8GemmFullyConnectedTest}, {@link DepthwiseConvKernelPathsTest}
 * and {@link Qs16KernelPathsTest}
 * (pixels, channels and K around the tiles, 1x1 / 3x3 / 5x5 / 2x4 windows, strides, dilation,
 * SAME and VALID, batch 2, zero points at both ends, saturating and tiny multipliers, RELU /
 * RELU6, with and without bias; int8, per-channel int8 and uint8, so ruy's and gemmlowp's
 * rounding; plus ruy's overflow branch), the single-op model runs on the reference path, and
 * the node's prepared params are packed for NEON by the production packers
 * ({@link NeonGemmVectors}, {@link NeonDwconvVectors}, {@link NeonQs16Vectors}); input, expected output and the task
 * ranges of 1, 2 and 3 threads go to vector files, which {@code cmake/test-aarch64.sh} replays
 * through a cross-built libwhittle under {@code qemu-aarch64 -cpu max}. Skipped (not failed)
 * without the cross compiler or qemu; {@code -Dwhittle.aarch64.require=true} makes their
 * absence a failure (for a CI job that installs them).
 */
class NeonGemmVectorsTest {

    @AfterEach
    void clearProperty() {
        System.clearProperty(KernelPath.PROPERTY);
    }

    @Test
    void everyNeonFamilyHasAnEntryThatANonNeonCpuCannotRun() {
        for (KernelFamily<?> f : List.of(KernelRegistry.QS8_CONV2D, KernelRegistry.QS8_QC8W_CONV2D,
                KernelRegistry.QU8_CONV2D, KernelRegistry.QS8_FULLY_CONNECTED,
                KernelRegistry.QS8_QC8W_FULLY_CONNECTED, KernelRegistry.QU8_FULLY_CONNECTED,
                KernelRegistry.QS8_DWCONV2D, KernelRegistry.QS8_QC8W_DWCONV2D, KernelRegistry.QU8_DWCONV2D,
                KernelRegistry.QS16_QC8W_CONV2D, KernelRegistry.QS16_QC8W_FULLY_CONNECTED)) {
            assertTrue(KernelRegistry.entries(f).stream().anyMatch(e -> e.path() == KernelPath.NEON),
                    f + " has no NEON entry");
            if (!CpuFeatures.detect().has(CpuFeatures.Feature.NEON)) {
                assertTrue(KernelRegistry.available(f).stream().noneMatch(e -> e.path() == KernelPath.NEON),
                        f + ": NEON entry available on a CPU without NEON");
            }
        }
    }

    /**
     * NEON gaps (issue 6): each dense int8/uint8 family has two NEON entries, DotProd then I8MM, so
     * {@code fastestOr} (which tries the later entries of a path first) asks the I8MM factory
     * first; on a CPU without I8MM (every x86 machine) that factory declines every node.
     */
    @Test
    void i8mmEntriesFollowTheDotProdOnesOnTheNeonPath() {
        for (KernelFamily<ConvKernelFactory> f : Q8GemmConvTest.FAMILIES) {
            List<KernelEntry<ConvKernelFactory>> neon = KernelRegistry.entries(f).stream()
                    .filter(e -> e.path() == KernelPath.NEON).toList();
            assertEquals(2, neon.size(), f + ": NEON entries");
        }
        for (KernelFamily<QuantizedFullyConnectedFactory> f : List.of(KernelRegistry.QS8_FULLY_CONNECTED,
                KernelRegistry.QS8_QC8W_FULLY_CONNECTED, KernelRegistry.QU8_FULLY_CONNECTED)) {
            List<KernelEntry<QuantizedFullyConnectedFactory>> neon = KernelRegistry.entries(f).stream()
                    .filter(e -> e.path() == KernelPath.NEON).toList();
            assertEquals(2, neon.size(), f + ": NEON entries");
            if (!CpuFeatures.detect().has(CpuFeatures.Feature.I8MM)) {
                Model m = Q8GemmFullyConnectedTest.build(f == KernelRegistry.QU8_FULLY_CONNECTED ? TensorType.UINT8
                        : TensorType.INT8, f == KernelRegistry.QS8_QC8W_FULLY_CONNECTED, 3, 40, 20, 0, 0, true, 0, 1);
                System.setProperty(KernelPath.PROPERTY, "reference");
                CompiledModel ref = CompiledModel.compile(m);
                System.clearProperty(KernelPath.PROPERTY);
                Object prepared = ref.nodePrepared(0);
                for (RecordComponent rc : prepared.getClass().getRecordComponents()) {
                    rc.getAccessor().setAccessible(true);
                    try {
                        if (rc.getAccessor().invoke(prepared) instanceof QuantParams q) {
                            assertEquals(null, neon.get(1).factory().create(q,
                                    AArch64Replay.constant(ref, q.weights(), q.outFeatures() * q.inFeatures()),
                                    q.bias() >= 0 ? AArch64Replay.constant(ref, q.bias(), 4 * q.outFeatures()) : null),
                                    f + ": the I8MM factory took a node on a CPU without I8MM");
                        }
                    } catch (ReflectiveOperationException e) {
                        throw new AssertionError(e);
                    }
                }
            }
        }
    }

    @Test
    void neonKernelsMatchTheReferenceUnderQemu() throws Exception {
        AArch64Replay.assumeToolchain("NEON kernels");

        Path vectors = AArch64Replay.vectors("q8_gemm.bin");
        // NEON gaps (issue 6): every dense node also packed for the I8MM GEMM (q*_gemm_4x16c8__neoni8mm).
        Path i8mmVectors = AArch64Replay.vectors("q8_gemm_i8mm.bin");
        int i8mm;
        long t0 = System.nanoTime();
        int conv = 0;
        int fc = 0;
        try (NeonGemmVectors out = new NeonGemmVectors(vectors, i8mmVectors)) {
            for (KernelFamily<ConvKernelFactory> family : Q8GemmConvTest.FAMILIES) {
                long seed = 1;
                for (Q8GemmConvTest.Conv c : Q8GemmConvTest.sweep()) {
                    conv += addConv(out, family, c, seed++);
                }
                conv += addConv(out, family, new Q8GemmConvTest.Conv(1, 17, 17, 3, 32, 3, 3, 2, 2, 1, 1, 0, 3, 0, 0,
                        true), 11);
                conv += addConv(out, family, new Q8GemmConvTest.Conv(1, 14, 14, 24, 144, 1, 1, 1, 1, 1, 1, 1, 3, 0, 0,
                        true), 12);
                conv += addConv(out, family, new Q8GemmConvTest.Conv(1, 1, 1, 1280, 1001, 1, 1, 1, 1, 1, 1, 1, 0, 0,
                        0, true), 13);
                // K around the 16-byte step and its quad tail (kp % 16 = 0, 4, 8, 12), 3x3 im2col.
                for (int inC : new int[] {1, 2, 5, 7, 8, 9, 12, 13, 16, 23}) {
                    conv += addConv(out, family, new Q8GemmConvTest.Conv(1, 6, 7, inC, 19, 3, 3, 1, 1, 1, 1,
                            inC % 2, inC % 3 == 0 ? 3 : 0, inC % 3, inC % 4 == 1 ? 1 : 0, inC % 5 != 2), 100 + inC);
                }
            }
            int i = 0;
            for (TensorType type : new TensorType[] {TensorType.INT8, TensorType.UINT8}) {
                for (boolean perChannel : type == TensorType.INT8 ? new boolean[] {false, true}
                        : new boolean[] {false}) {
                    for (int k : Q8GemmFullyConnectedTest.SIZES) {
                        for (int j = 0; j < 3; j++) {
                            int n = Q8GemmFullyConnectedTest.SIZES[(i * 7 + j * 5) % Q8GemmFullyConnectedTest.SIZES.length];
                            int batches = 1 + i % 5;
                            int extremes = i % 3;
                            int scale = i % 7 == 3 ? 1 : i % 7 == 5 ? 2 : 0;
                            String label = type + (perChannel ? " per-channel " : " ") + batches + "x" + k + "->" + n
                                    + " extremes " + extremes + " scale " + scale;
                            Model m = Q8GemmFullyConnectedTest.build(type, perChannel, batches, k, n, extremes, scale,
                                    i % 6 != 1, i % 4 == 2 ? 3 : 0, i);
                            fc += addFc(out, m, label, i, extremes);
                            i++;
                        }
                    }
                }
            }
            fc += addFc(out, Q8GemmFullyConnectedTest.build(TensorType.UINT8, false, 1, 256, 1001, 0, 0, true, 0, 1),
                    "qu8 1x256->1001", 1, 0);
            fc += addFc(out, Q8GemmFullyConnectedTest.build(TensorType.INT8, true, 3, 1024, 130, 1, 0, true, 0, 2),
                    "qs8_qc8w 3x1024->130", 2, 1);
            // ruy's overflow branch (v + nudge past INT32_MAX gives 1 << (31 - right)): accumulators
            // near INT32_MAX (the bias) and a multiplier just under 2^31 with right shift 20.
            for (TensorType type : new TensorType[] {TensorType.INT8, TensorType.UINT8}) {
                fc += addFc(out, nearOverflow(type), type + " near-overflow", 7, 0);
            }
            assertEquals(conv + fc, out.cases());
            i8mm = out.i8mmCases();
            assertEquals(conv + fc, i8mm);
        }
        Path dwVectors = AArch64Replay.vectors("q8_dwconv.bin");
        int dw = 0;
        try (NeonDwconvVectors out = new NeonDwconvVectors(dwVectors)) {
            dw = addDepthwise(out);
            assertEquals(dw, out.cases());
        }
        Path qs16Vectors = AArch64Replay.vectors("qs16_gemm.bin");
        int qs16 = 0;
        try (NeonQs16Vectors out = new NeonQs16Vectors(qs16Vectors)) {
            qs16 = addQs16(out);
            assertEquals(qs16, out.cases());
        }
        long t1 = System.nanoTime();

        AArch64Replay.replay("NEON kernels", String.format("NeonGemmVectorsTest: %d conv + %d fully-connected + %d"
                + " depthwise + %d 16x8 + %d I8MM cases; vectors %.1f s", conv, fc, dw, qs16, i8mm, (t1 - t0) / 1e9),
                conv + fc + dw + qs16 + i8mm, vectors, dwVectors, qs16Vectors, i8mmVectors);
    }

    /**
     * The depthwise nodes (depth multiplier 1) of {@link DepthwiseConvKernelPathsTest}'s channel
     * sweep (1..33, 48, 64, 65 channels: the 16-channel step, its overlapping tail and the
     * fewer-than-16 path) and geometry sweep, each family; returns how many were added.
     */
    private static int addDepthwise(NeonDwconvVectors out) {
        int[] channels = new int[36];
        for (int i = 0; i < 33; i++) {
            channels[i] = i + 1;
        }
        channels[33] = 64;
        channels[34] = 65;
        channels[35] = 48;
        int[][] geometry = {
            // batch, h, w, c, kh, kw, sh, sw, dh, dw
            {2, 9, 8, 3, 3, 3, 2, 2, 1, 1},
            {1, 11, 10, 17, 3, 3, 1, 1, 2, 2},
            {2, 10, 11, 33, 5, 5, 2, 2, 1, 1},
            {1, 9, 9, 7, 3, 3, 2, 1, 2, 1},
            {1, 5, 6, 40, 1, 1, 1, 1, 1, 1},
            {1, 6, 7, 24, 2, 4, 2, 3, 1, 2},
            {2, 3, 3, 9, 5, 5, 1, 1, 1, 1},
            {1, 13, 13, 96, 3, 3, 2, 2, 1, 1},
        };
        int added = 0;
        int i = 0;
        for (KernelFamily<DepthwiseConvKernelFactory> family : DepthwiseConvKernelPathsTest.FAMILIES) {
            for (int c : channels) {
                boolean k5 = i % 4 == 3;
                added += addDepthwise(out, family, new DepthwiseConvKernelPathsTest.Spec(1 + (i % 7 == 0 ? 1 : 0),
                        5 + i % 3, 6 + i % 4, c, 1, k5 ? 5 : 3, k5 ? 5 : 3, 1 + i % 2, 1 + (i / 2) % 2, 1, 1, i % 3 != 0,
                        new int[] {0, 1, 3, 2}[i % 4], i % 5 != 0, i % 3, i % 6 == 5 ? 1 : i % 6 == 4 ? 2 : 0, 100 + i));
                i++;
            }
            for (int[] g : geometry) {
                for (boolean same : new boolean[] {true, false}) {
                    if (!same && (g[1] - (g[4] - 1) * g[8] < 1 || g[2] - (g[5] - 1) * g[9] < 1)) {
                        continue;
                    }
                    added += addDepthwise(out, family, new DepthwiseConvKernelPathsTest.Spec(g[0], g[1], g[2], g[3],
                            1, g[4], g[5], g[6], g[7], g[8], g[9], same, new int[] {0, 3, 1}[i % 3], i % 4 != 1,
                            i % 3, i % 5 == 2 ? 1 : i % 5 == 4 ? 2 : 0, 500 + i));
                    i++;
                }
            }
        }
        return added;
    }

    private static int addDepthwise(NeonDwconvVectors out, KernelFamily<DepthwiseConvKernelFactory> family,
            DepthwiseConvKernelPathsTest.Spec s) {
        Model model = DepthwiseConvKernelPathsTest.build(family, s);
        System.setProperty(KernelPath.PROPERTY, "reference");
        CompiledModel ref = CompiledModel.compile(model);
        System.clearProperty(KernelPath.PROPERTY);
        TensorData in = Differential.randomInput(family == KernelRegistry.QU8_DWCONV2D ? TensorType.UINT8
                : TensorType.INT8, new int[] {s.batch(), s.h(), s.w(), s.c()}, s.seed() + 1);
        byte[] expected = Q8GemmConvTest.run(ref, in, 1);
        DepthwiseConvParams p = (DepthwiseConvParams) ref.nodePrepared(0);
        // One per-axis scale is a per-tensor quantization: the op picks the family of its reference kernel.
        KernelFamily<DepthwiseConvKernelFactory> actual = p.kernel() == DepthwiseConvKernels.QU8
                ? KernelRegistry.QU8_DWCONV2D : p.kernel() == DepthwiseConvKernels.QS8_QC8W
                ? KernelRegistry.QS8_QC8W_DWCONV2D : KernelRegistry.QS8_DWCONV2D;
        int taps = p.kh() * p.kw();
        String name = out.add(actual, p, AArch64Replay.constant(ref, p.filter(), taps * p.inC()),
                p.bias() >= 0 ? AArch64Replay.constant(ref, p.bias(), 4 * p.inC()) : null, in.bytes(), expected, actual + " " + s);
        assertNotNull(name, "the NEON depthwise kernel declined " + s);
        assertEquals(actual.name() + "_minmax_" + NeonDwconvVectors.TILE_ISA, name);
        return 1;
    }

    /**
     * The 16x8 nodes of {@link Qs16KernelPathsTest}: its CONV_2D cases (both paddings, every
     * data kind: extremes, the largest positive sums, saturating scales), K above the int32
     * flush bound (1080, 1100, 1200), FULLY_CONNECTED with int64 bias (double stage), int32
     * bias (ruy) and none; returns how many were added.
     */
    private static int addQs16(NeonQs16Vectors out) throws ReflectiveOperationException {
        int added = 0;
        for (Qs16KernelPathsTest.Variant v : Qs16KernelPathsTest.paddingVariants(Qs16KernelPathsTest.CONV_CASES)) {
            int[] c = v.c();
            added += addQs16Conv(out, Qs16KernelPathsTest.conv(false, c, v.batch(), v.act(), v.bias(), v.d(),
                    100 + v.i()), Qs16KernelPathsTest.inputData(new int[] {v.batch(), c[0], c[1], c[2]}, v.d(),
                    7 + v.i()), "conv " + java.util.Arrays.toString(c) + " " + v.d());
        }
        for (Qs16KernelPathsTest.Data d : Qs16KernelPathsTest.Data.values()) {
            int[] g3 = {4, 5, 120, 20, 3, 3, 1, 1, 1, 1, 0};
            added += addQs16Conv(out, Qs16KernelPathsTest.conv(false, g3, 1, 0, true, d, 5),
                    Qs16KernelPathsTest.inputData(new int[] {1, 4, 5, 120}, d, 6), "conv K=1080 " + d);
            int[] g1 = {3, 3, 1100, 33, 1, 1, 1, 1, 1, 1, 1};
            added += addQs16Conv(out, Qs16KernelPathsTest.conv(false, g1, 1, 0, d != Qs16KernelPathsTest.Data.SCALES,
                    d, 9), Qs16KernelPathsTest.inputData(new int[] {1, 3, 3, 1100}, d, 10), "conv 1x1 K=1100 " + d);
        }
        int[] sizes = {1, 2, 3, 7, 8, 9, 15, 16, 17, 31, 32, 33, 64, 65};
        int i = 0;
        for (TensorType bias : new TensorType[] {TensorType.INT64, TensorType.INT32, null}) {
            for (int cols : sizes) {
                int units = sizes[(i * 5) % sizes.length];
                Qs16KernelPathsTest.Data d = Qs16KernelPathsTest.Data.values()[i % 4];
                int batch = 1 + i % 4;
                added += addQs16Fc(out, Qs16KernelPathsTest.fc(batch, cols, units, Qs16KernelPathsTest.ACTS[i % 4],
                        bias, i % 3 != 0, d, 500 + i), Qs16KernelPathsTest.inputData(new int[] {batch, cols}, d, 9 + i),
                        "fc " + batch + "x" + cols + "->" + units + " bias " + bias + " " + d);
                i++;
            }
            for (Qs16KernelPathsTest.Data d : Qs16KernelPathsTest.Data.values()) {
                added += addQs16Fc(out, Qs16KernelPathsTest.fc(3, 1200, 40, 0, bias, true, d, 77),
                        Qs16KernelPathsTest.inputData(new int[] {3, 1200}, d, 78), "fc 3x1200->40 bias " + bias + " "
                                + d);
            }
        }
        return added;
    }

    private static int addQs16Conv(NeonQs16Vectors out, Model model, TensorData in, String label) {
        System.setProperty(KernelPath.PROPERTY, "reference");
        CompiledModel ref = CompiledModel.compile(model);
        System.clearProperty(KernelPath.PROPERTY);
        byte[] expected = Q8GemmConvTest.run(ref, in, 1);
        ConvParams p = (ConvParams) ref.nodePrepared(0);
        int k = p.kh() * p.kw() * p.inC();
        String name = out.conv(p, AArch64Replay.constant(ref, p.filter(), p.outC() * k),
                p.bias() >= 0 ? AArch64Replay.constant(ref, p.bias(), 8 * p.outC()) : null, in.bytes(), expected, label);
        assertNotNull(name, "the NEON 16x8 kernel declined " + label);
        assertEquals("qs16_qc8w_conv2d_gemm_4x16c2__neon", name);
        return 1;
    }

    private static int addQs16Fc(NeonQs16Vectors out, Model model, TensorData in, String label)
            throws ReflectiveOperationException {
        System.setProperty(KernelPath.PROPERTY, "reference");
        CompiledModel ref = CompiledModel.compile(model);
        System.clearProperty(KernelPath.PROPERTY);
        byte[] expected = Q8GemmConvTest.run(ref, in, 1);
        QuantParams p = fcParams(ref.nodePrepared(0), label);
        String name = out.fullyConnected(p, AArch64Replay.constant(ref, p.weights(), p.outFeatures() * p.inFeatures()),
                p.bias() >= 0 ? AArch64Replay.constant(ref, p.bias(), (p.biasIs64() ? 8 : 4) * p.outFeatures()) : null, in.bytes(),
                expected, label);
        assertNotNull(name, "the NEON 16x8 kernel declined " + label);
        assertEquals("qs16_qc8w_fully_connected_gemm_4x16c2__neon", name);
        return 1;
    }

    /** FullyConnected prepares a (kernel, params) record: its QuantParams. */
    private static QuantParams fcParams(Object prepared, String label) throws ReflectiveOperationException {
        for (RecordComponent rc : prepared.getClass().getRecordComponents()) {
            rc.getAccessor().setAccessible(true);
            if (rc.getAccessor().invoke(prepared) instanceof QuantParams q) {
                return q;
            }
        }
        throw new AssertionError(label + ": no QuantParams in " + prepared);
    }

    /** The conv node of {@code c} on the reference path, added as a NEON vector; 1 if added. */
    private static int addConv(NeonGemmVectors out, KernelFamily<ConvKernelFactory> family, Q8GemmConvTest.Conv c,
            long seed) {
        Model model = Q8GemmConvTest.build(family, c, seed);
        System.setProperty(KernelPath.PROPERTY, "reference");
        CompiledModel ref = CompiledModel.compile(model);
        System.clearProperty(KernelPath.PROPERTY);
        TensorData in = Q8GemmConvTest.input(ref, seed + 1, c.extremes());
        byte[] expected = Q8GemmConvTest.run(ref, in, 1);
        ConvParams p = (ConvParams) ref.nodePrepared(0);
        // The op picks the family from the filter's quantization (per-axis with one channel is
        // per-tensor): the NEON kernel of the family the reference kernel belongs to.
        KernelFamily<ConvKernelFactory> actual = p.kernel() == ConvKernels.QU8 ? KernelRegistry.QU8_CONV2D
                : p.kernel() == ConvKernels.QS8_QC8W ? KernelRegistry.QS8_QC8W_CONV2D : KernelRegistry.QS8_CONV2D;
        int k = p.kh() * p.kw() * p.inC();
        String name = out.conv(actual, p, AArch64Replay.constant(ref, p.filter(), p.outC() * k),
                p.bias() >= 0 ? AArch64Replay.constant(ref, p.bias(), 4 * p.outC()) : null, in.bytes(), expected,
                actual + " " + c.label());
        assertNotNull(name, "the NEON kernel declined " + c.label());
        assertEquals(actual.name() + "_gemm_4x16c4__neondot", name);
        return 1;
    }

    private static int addFc(NeonGemmVectors out, Model model, String label, long seed, int extremes)
            throws ReflectiveOperationException {
        System.setProperty(KernelPath.PROPERTY, "reference");
        CompiledModel ref = CompiledModel.compile(model);
        System.clearProperty(KernelPath.PROPERTY);
        TensorData in = Q8GemmConvTest.input(ref, seed, extremes);
        byte[] expected = Q8GemmConvTest.run(ref, in, 1);
        // FullyConnected prepares a (kernel, params) record.
        Object prepared = ref.nodePrepared(0);
        PreparedFc fc = PreparedFc.of(prepared);
        Object kernel = fc.kernel();
        QuantParams p = fc.params();
        assertNotNull(p, label + ": no QuantParams in " + prepared);
        KernelFamily<QuantizedFullyConnectedFactory> family = kernel == FullyConnectedReference.QU8
                ? KernelRegistry.QU8_FULLY_CONNECTED : kernel == FullyConnectedReference.QS8_QC8W
                ? KernelRegistry.QS8_QC8W_FULLY_CONNECTED : KernelRegistry.QS8_FULLY_CONNECTED;
        String name = out.fullyConnected(family, p, AArch64Replay.constant(ref, p.weights(), p.outFeatures() * p.inFeatures()),
                p.bias() >= 0 ? AArch64Replay.constant(ref, p.bias(), 4 * p.outFeatures()) : null, in.bytes(), expected,
                family + " " + label);
        assertNotNull(name, "the NEON kernel declined " + label);
        assertEquals(family.name() + "_gemm_4x16c4__neondot", name);
        return 1;
    }

    /**
     * FULLY_CONNECTED 3x4 -> 20 with zero weights (the accumulator is the bias) and biases from
     * INT32_MAX down, output scale 2^20 (1 + 2^-20): multiplier 2^31 - 2^11, shift -20, so
     * v = (acc * m + 2^30) >> 31 comes within the rounding nudge (2^19) of INT32_MAX.
     */
    private static Model nearOverflow(TensorType type) {
        boolean u8 = type == TensorType.UINT8;
        int zp = u8 ? 128 : 0;
        dev.whittle.model.ModelBuilder b = new dev.whittle.model.ModelBuilder("fc");
        int x = b.input("x", type, dev.whittle.model.Quantization.perTensor(1f, zp), 3, 4);
        byte[] w = new byte[20 * 4];
        java.util.Arrays.fill(w, (byte) zp);
        int wi = b.constant("w", type, dev.whittle.model.Quantization.perTensor(1f, zp), ByteBuffer.wrap(w), 20, 4);
        int[] bias = new int[20];
        for (int i = 0; i < bias.length; i++) {
            bias[i] = Integer.MAX_VALUE - i * 100_000;
        }
        int bi = b.constant("b", bias, dev.whittle.model.Quantization.perTensor(1f, 0), 20);
        float outScale = (float) (Math.scalb(1.0, 20) * (1 + Math.scalb(1.0, -20)));
        dev.whittle.model.ModelBuilder.TensorSpec y = dev.whittle.model.ModelBuilder.TensorSpec.quantized("y", type,
                dev.whittle.model.Quantization.perTensor(outScale, u8 ? 0 : -128), 3, 20);
        b.output(b.op(dev.whittle.model.BuiltinOperator.FULLY_CONNECTED, 11,
                dev.whittle.model.BuiltinOptions.of("FullyConnectedOptions").set("fused_activation_function", 0),
                new int[] {x, wi, bi}, y)[0]);
        return b.build();
    }


    /** A FULLY_CONNECTED node's prepared (kernel, params) record, read reflectively. */
    record PreparedFc(Object kernel, QuantParams params) {
        static PreparedFc of(Object prepared) throws ReflectiveOperationException {
            Object kernel = null;
            QuantParams p = null;
            for (RecordComponent rc : prepared.getClass().getRecordComponents()) {
                rc.getAccessor().setAccessible(true);
                Object v = rc.getAccessor().invoke(prepared);
                if (rc.getName().equals("kernel")) {
                    kernel = v;
                } else if (v instanceof QuantParams q) {
                    p = q;
                }
            }
            return new PreparedFc(kernel, p);
        }
    }
}
