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
import dev.whittle.runtime.kernels.NeonFormatVectors;
import dev.whittle.runtime.kernels.QuantizedFullyConnectedFactory;
import dev.whittle.runtime.kernels.WeightFormat;
import dev.whittle.runtime.kernels.reference.ConvKernels;
import dev.whittle.runtime.kernels.reference.ConvParams;
import dev.whittle.runtime.kernels.reference.FullyConnectedReference;
import dev.whittle.runtime.kernels.reference.FullyConnectedReference.QuantParams;
import dev.whittle.testing.SharedData;
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
 * The NEON DotProd weight-format kernels (issue 9) against the reference kernels, bit for bit, on
 * an x86 machine, the design of {@link NeonGemmVectorsTest}: every node of the sweeps below runs
 * on the reference path (the dense oracle), is packed for NEON by the production packer
 * ({@link NeonFormatVectors}) and written with its input, expected output and the task ranges of
 * 1, 2 and 3 threads to a vector file, which {@code cmake/test-aarch64.sh} replays through a
 * cross-built libwhittle under {@code qemu-aarch64 -cpu max}. Skipped (not failed) without the
 * cross compiler or qemu; {@code -Dwhittle.aarch64.require=true} makes their absence a failure.
 *
 * <p>LUT-16 ({@code *_lut4_4x16c4__neondot}, decoded panels, from 8 output pixels;
 * {@code *_lut4_4x16c16__neondot}, in registers, below): the sweeps of {@link LutKernelsTest}: qs8,
 * qs8_qc8w and qu8; 1, 2, 3, 4, 8, 12, 15 and 16 clusters per layer (one shared table: the
 * 1-register TBL) and per channel (4-register TBL), alone and with 50% / 100% zeros; output
 * channels 1..70 and K around the 8-K index block (1..9, 15..17, 31..33, 63..65, 1280); 1x1 and
 * 3x3, strides 1 and 2, SAME and VALID, batch 2; zero points at both ends; saturating and tiny
 * multipliers; FULLY_CONNECTED at batch 1..17 (int8 rows read in place where K % 8 = 0); several
 * pixel blocks per task (400 pixels at K = 1280). Per-channel tables are 12-byte ones (table_format 2,
 * kernels/q8_lut_compact_neon.h) by default; {@link #addLutCompact} runs nodes with 12- and 16-byte
 * tables side by side.
 */
class NeonFormatVectorsTest {
    private static final List<KernelFamily<ConvKernelFactory>> FAMILIES = List.of(KernelRegistry.QS8_CONV2D,
            KernelRegistry.QS8_QC8W_CONV2D, KernelRegistry.QU8_CONV2D);
    private static final int[] OUT = {1, 2, 3, 5, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65, 70};
    private static final int[] K = {1, 2, 3, 4, 5, 6, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65};
    private static final int[] SPARSE_KS = {1, 2, 3, 4, 5, 6, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65};
    private static final double[] SPARSITY = {0, 0.5, 0.7, 0.9, 1.0};
    private static final int[] CHANNELS = {1, 2, 3, 7, 15, 16, 17, 31, 33, 48, 63, 64, 65, 70};

    @AfterEach
    void clearProperty() {
        System.clearProperty(KernelPath.PROPERTY);
        System.clearProperty(WeightFormat.PROPERTY);
    }

    @Test
    void everyNeonFormatFamilyHasAnEntryThatANonNeonCpuCannotRun() {
        for (KernelFamily<?> f : List.of(KernelRegistry.CONV2D_LUT, KernelRegistry.FULLY_CONNECTED_LUT,
                KernelRegistry.CONV2D_SPARSE, KernelRegistry.FULLY_CONNECTED_SPARSE, KernelRegistry.CONV2D_SP24,
                KernelRegistry.FULLY_CONNECTED_SP24)) {
            assertTrue(KernelRegistry.entries(f).stream().anyMatch(e -> e.path() == KernelPath.NEON),
                    f + " has no NEON entry");
            if (!CpuFeatures.detect().has(CpuFeatures.Feature.NEON)) {
                assertTrue(KernelRegistry.available(f).stream().noneMatch(e -> e.path() == KernelPath.NEON),
                        f + ": NEON entry available on a CPU without NEON");
            }
        }
    }

    /**
     * The registry's NEON entries build the NEON kernels through the x86 kernels' factories (what
     * an Arm JVM dispatches, with the same WeightStats and cost model): under {@code --kernels
     * lut|sparse}, a clustered / pruned / 2:4 CONV_2D and FULLY_CONNECTED node gets its NEON
     * kernel (on x86 the factory stops at binding the symbol, which names it); under auto, the
     * 2:4 kernel declines below 16 pixels.
     */
    @Test
    void neonFactoriesBuildTheNeonKernels() throws ReflectiveOperationException {
        Conv big = new Conv(1, 6, 6, 64, 40, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, true);
        Conv small = new Conv(1, 1, 3, 64, 40, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, true);
        record Case(Conv c, KernelFamily<dev.whittle.runtime.kernels.WeightFormatConvFactory> format, String weights,
                WeightFormatHarness.Shaper shaper, String suffix) {
        }
        List<Case> cases = List.of(
                new Case(big, KernelRegistry.CONV2D_LUT, "lut", WeightFormatHarness.clustered(16, true),
                        "_lut4_4x16c4__neondot"),
                new Case(small, KernelRegistry.CONV2D_LUT, "lut", WeightFormatHarness.clustered(16, false),
                        "_lut4_4x16c16__neondot"),
                new Case(big, KernelRegistry.CONV2D_SPARSE, "sparse", WeightFormatHarness.unstructured(0.9),
                        "_sparse_64x1c4__neondot"),
                new Case(big, KernelRegistry.CONV2D_SP24, "sparse", WeightFormatHarness.sparse24(),
                        "_sp24_16x1c8__neondot"));
        for (KernelFamily<ConvKernelFactory> f : FAMILIES) {
            for (Case k : cases) {
                Model model = Q8GemmConvTest.build(f, k.c(), 5, k.shaper());
                System.setProperty(KernelPath.PROPERTY, "reference");
                CompiledModel ref = CompiledModel.compile(model);
                System.clearProperty(KernelPath.PROPERTY);
                ConvParams p = (ConvParams) ref.nodePrepared(0);
                KernelFamily<ConvKernelFactory> dense = p.kernel() == ConvKernels.QU8 ? KernelRegistry.QU8_CONV2D
                        : p.kernel() == ConvKernels.QS8_QC8W ? KernelRegistry.QS8_QC8W_CONV2D : KernelRegistry.QS8_CONV2D;
                ByteBuffer filter = AArch64Replay.constant(ref, p.filter(), p.outC() * p.inC());
                ByteBuffer bias = AArch64Replay.constant(ref, p.bias(), 4 * p.outC());
                try {
                    System.setProperty(WeightFormat.PROPERTY, k.weights());
                    assertEquals(dense.name() + k.suffix(),
                            NeonFormatVectors.neonFactoryKernel(k.format(), dense, p, filter, bias), k.toString());
                    if (k.format() == KernelRegistry.CONV2D_SP24) {
                        System.setProperty(WeightFormat.PROPERTY, "auto");
                        Model tiny = Q8GemmConvTest.build(f, small, 5, k.shaper());
                        System.setProperty(KernelPath.PROPERTY, "reference");
                        CompiledModel tr = CompiledModel.compile(tiny);
                        System.clearProperty(KernelPath.PROPERTY);
                        ConvParams tp = (ConvParams) tr.nodePrepared(0);
                        assertEquals(null, NeonFormatVectors.neonFactoryKernel(k.format(), dense, tp,
                                AArch64Replay.constant(tr, tp.filter(), tp.outC() * tp.inC()), AArch64Replay.constant(tr, tp.bias(), 4 * tp.outC())),
                                "2:4 auto at 3 pixels");
                    }
                } finally {
                    System.clearProperty(WeightFormat.PROPERTY);
                }
            }
        }
        // FULLY_CONNECTED at batch 1: the in-register LUT kernel
        Model fcModel = Q8GemmFullyConnectedTest.build(TensorType.UINT8, false, 1, 256, 33, 0, 0, true, 0, 3,
                WeightFormatHarness.clustered(16, true));
        System.setProperty(KernelPath.PROPERTY, "reference");
        CompiledModel ref = CompiledModel.compile(fcModel);
        System.clearProperty(KernelPath.PROPERTY);
        QuantParams q = null;
        for (RecordComponent rc : ref.nodePrepared(0).getClass().getRecordComponents()) {
            rc.getAccessor().setAccessible(true);
            if (rc.getAccessor().invoke(ref.nodePrepared(0)) instanceof QuantParams qp) {
                q = qp;
            }
        }
        assertNotNull(q);
        try {
            System.setProperty(WeightFormat.PROPERTY, "auto");
            assertEquals("qu8_fully_connected_lut4_4x16c16__neondot", NeonFormatVectors.neonFactoryKernel(
                    KernelRegistry.FULLY_CONNECTED_LUT, KernelRegistry.QU8_FULLY_CONNECTED, q,
                    AArch64Replay.constant(ref, q.weights(), 33 * 256), AArch64Replay.constant(ref, q.bias(), 4 * 33)));
        } finally {
            System.clearProperty(WeightFormat.PROPERTY);
        }
    }

    @Test
    void neonFormatKernelsMatchTheReferenceUnderQemu() throws Exception {
        AArch64Replay.assumeToolchain("NEON weight-format kernels");
        Path vectors = AArch64Replay.vectors("q8_formats.bin");
        long t0 = System.nanoTime();
        int lut;
        int sparse;
        int sp24;
        try (NeonFormatVectors out = new NeonFormatVectors(vectors)) {
            lut = addLut(out);
            lut += addLutCompact(out);
            sparse = addSparse(out);
            sp24 = addSp24(out);
            assertEquals(lut + sparse + sp24, out.cases());
        }
        long t1 = System.nanoTime();
        AArch64Replay.replay("NEON weight-format kernels", String.format("NeonFormatVectorsTest: %d LUT + %d sparse"
                + " + %d 2:4 cases; vectors %.1f s", lut, sparse, sp24, (t1 - t0) / 1e9), lut + sparse + sp24, vectors);
    }

    /**
     * The whole clustered MobileNet v2 ({@code whittle cluster -n 16 --per-channel}) as the NEON
     * path would keep it: every CONV_2D / FULLY_CONNECTED node the NEON LUT kernels take packed
     * for them (12-byte tables), the other nodes at their int8 bytes (what the reference path
     * keeps); at most 55% of dense int8's bytes (issue 9), and 12-byte tables smaller than 16-byte
     * ones. Needs no qemu: the packing is Java's.
     */
    @Test
    void clusteredMobileNetV2NeonLutBytesUnderFiftyFivePercent() throws Exception {
        Model m = new Clusterer(ClusterOptions.of(16).withPerChannel(true), null)
                .apply(ModelReader.read(SharedData.model("mobilenet_v2_1.0_224_quant.tflite"))).model();
        System.setProperty(KernelPath.PROPERTY, "reference");
        System.setProperty(WeightFormat.PROPERTY, "dense");
        CompiledModel ref = CompiledModel.compile(m);
        long dense = ref.residentWeightBytes();
        long[] lut = new long[2];
        int luts = 0;
        int nodes = OpProfile.kernelNames(ref).size();
        for (int compact = 0; compact < 2; compact++) {
            try {
                if (compact == 0) {
                    System.setProperty("whittle.lut.compact", "false");
                }
                luts = 0;
                for (int i = 0; i < nodes; i++) {
                    long b = neonLutBytes(ref, i);
                    luts += b >= 0 ? 1 : 0;
                    lut[compact] += b >= 0 ? b : Math.max(0, ref.nodeWeightBytes(i));
                }
            } finally {
                System.clearProperty("whittle.lut.compact");
            }
        }
        System.out.printf(java.util.Locale.ROOT, "clustered MobileNet v2, NEON LUT (%d nodes): 12-byte tables %d bytes"
                + " (%.2f%% of dense int8 %d), 16-byte %d (%.2f%%)%n", luts, lut[1], 100.0 * lut[1] / dense, dense,
                lut[0], 100.0 * lut[0] / dense);
        assertTrue(luts >= 30, luts + " LUT nodes");
        assertTrue(lut[1] < lut[0]);
        assertTrue((double) lut[1] / dense <= 0.55, "NEON LUT " + lut[1] + " of dense " + dense);
    }

    /** Node {@code i}'s NEON LUT bytes, or -1 when it is no CONV_2D / FULLY_CONNECTED the LUT kernels take. */
    private static long neonLutBytes(CompiledModel ref, int i) throws ReflectiveOperationException {
        Object prepared = ref.nodePrepared(i);
        if (prepared instanceof ConvParams p) {
            if (p.kernel() != ConvKernels.QU8 && p.kernel() != ConvKernels.QS8_QC8W && p.kernel() != ConvKernels.QS8) {
                return -1;
            }
            KernelFamily<ConvKernelFactory> dense = p.kernel() == ConvKernels.QU8 ? KernelRegistry.QU8_CONV2D
                    : p.kernel() == ConvKernels.QS8_QC8W ? KernelRegistry.QS8_QC8W_CONV2D : KernelRegistry.QS8_CONV2D;
            int k = p.kh() * p.kw() * p.inC();
            return NeonFormatVectors.lutConvBytes(dense, p, AArch64Replay.constant(ref, p.filter(), p.outC() * k),
                    p.bias() >= 0 ? AArch64Replay.constant(ref, p.bias(), 4 * p.outC()) : null);
        }
        if (prepared == null || !prepared.getClass().isRecord()) {
            return -1;
        }
        NeonGemmVectorsTest.PreparedFc fc = NeonGemmVectorsTest.PreparedFc.of(prepared);
        Object kernel = fc.kernel();
        QuantParams p = fc.params();
        if (p == null || (kernel != FullyConnectedReference.QU8 && kernel != FullyConnectedReference.QS8_QC8W
                && kernel != FullyConnectedReference.QS8)) {
            return -1;
        }
        KernelFamily<QuantizedFullyConnectedFactory> dense = kernel == FullyConnectedReference.QU8
                ? KernelRegistry.QU8_FULLY_CONNECTED : kernel == FullyConnectedReference.QS8_QC8W
                ? KernelRegistry.QS8_QC8W_FULLY_CONNECTED : KernelRegistry.QS8_FULLY_CONNECTED;
        return NeonFormatVectors.lutFullyConnectedBytes(dense, p,
                AArch64Replay.constant(ref, p.weights(), p.outFeatures() * p.inFeatures()),
                p.bias() >= 0 ? AArch64Replay.constant(ref, p.bias(), 4 * p.outFeatures()) : null);
    }

    /** The LUT sweeps (LutKernelsTest's, see the class comment); returns how many cases were added. */
    private static int addLut(NeonFormatVectors out) throws ReflectiveOperationException {
        int n = 0;
        long seed = 1;
        for (KernelFamily<ConvKernelFactory> f : FAMILIES) {
            for (int clusters : new int[] {1, 2, 3, 4, 8, 12, 15, 16}) {
                for (boolean perChannel : new boolean[] {true, false}) {
                    n += lutConv(out, f, new Conv(1, 5, 4, 33, 17, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, true), seed++,
                            WeightFormatHarness.clustered(clusters, perChannel));
                }
            }
        }
        seed = 100;
        int i = 0;
        for (KernelFamily<ConvKernelFactory> f : FAMILIES) {
            for (int oc : OUT) {
                int inC = K[i % K.length];
                boolean three = i % 3 == 1;
                int stride = i % 4 == 2 ? 2 : 1;
                int batch = i % 5 == 0 ? 2 : 1;
                Conv c = new Conv(batch, three ? 6 : 5, three ? 5 : 7, inC, oc, three ? 3 : 1, three ? 3 : 1, stride,
                        stride, 1, 1, i % 2, i % 7 == 3 ? 3 : 0, 0, 0, i % 6 != 5);
                n += lutConv(out, f, c, seed++, WeightFormatHarness.clustered(16, i % 4 != 3));
                i++;
            }
        }
        seed = 300;
        for (KernelFamily<ConvKernelFactory> f : FAMILIES) {
            for (int extremes : new int[] {1, 2}) {
                for (int scale : new int[] {0, 1, 2}) {
                    n += lutConv(out, f, new Conv(2, 5, 5, 9, 20, 3, 3, 2, 2, 1, 1, extremes - 1, 0, extremes, scale,
                            true), seed++, WeightFormatHarness.clustered(16, true));
                }
            }
        }
        for (TensorType t : new TensorType[] {TensorType.INT8, TensorType.UINT8}) {
            for (int extremes : new int[] {1, 2}) {
                for (int scale : new int[] {1, 2}) {
                    n += lutFc(out, t, false, 2, 65, 33, extremes, scale, seed++,
                            WeightFormatHarness.clustered(16, true));
                }
            }
        }
        // lut5 (session 13): 17..32 values per channel and per layer on lut5_4x16c16__neondot at
        // every M: K around the 32-K block, N across panels, 1x1 and 3x3, batch 1..20 FC, extremes
        seed = 500;
        int[][] five = {{1, 1, 1, 64, 17}, {1, 3, 3, 65, 33}, {1, 5, 4, 96, 40}, {2, 4, 4, 127, 16},
            {1, 6, 5, 33, 70}, {1, 1, 1, 1280, 20}};
        for (KernelFamily<ConvKernelFactory> f : FAMILIES) {
            for (int[] c : five) {
                int clusters = 17 + (int) (seed % 16);
                n += lutFiveConv(out, f, new Conv(c[0], c[1], c[2], c[3], c[4], 1, 1, 1, 1, 1, 1, 0, 0, 0, 0,
                        seed % 2 == 0), seed, WeightFormatHarness.clustered(clusters, seed++ % 3 != 0)
                                .then(WeightFormatHarness.unstructured(0.2)));
            }
            n += lutFiveConv(out, f, new Conv(2, 6, 6, 9, 20, 3, 3, 2, 2, 1, 1, 0, 0, 1, 1, true), seed++,
                    WeightFormatHarness.clustered(32, true).then(WeightFormatHarness.unstructured(0.2)));
        }
        for (TensorType t : new TensorType[] {TensorType.INT8, TensorType.UINT8}) {
            for (int batches : new int[] {1, 3, 20}) {
                n += lutFc(out, t, t == TensorType.INT8, batches, 160, 37, batches == 3 ? 2 : 0, batches == 3 ? 2 : 0,
                        seed++, WeightFormatHarness.clustered(32, batches != 1).then(WeightFormatHarness.unstructured(0.2)));
            }
        }
        assertTrue(lut5Cases >= 20, lut5Cases + " lut5 cases");
        seed = 400;
        for (KernelFamily<ConvKernelFactory> f : FAMILIES) {
            n += lutConv(out, f, new Conv(1, 6, 6, 31, 18, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, true), seed++,
                    WeightFormatHarness.clustered(16, true).then(WeightFormatHarness.unstructured(0.5)));
            n += lutConv(out, f, new Conv(1, 5, 5, 7, 9, 3, 3, 1, 1, 1, 1, 0, 0, 0, 0, true), seed++,
                    WeightFormatHarness.unstructured(0.5).then(WeightFormatHarness.clustered(15, false)));
            n += lutConv(out, f, new Conv(1, 4, 4, 16, 3, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, false), seed++,
                    WeightFormatHarness.unstructured(1.0));
        }
        n += lutFc(out, TensorType.UINT8, false, 1, 64, 17, 0, 0, seed++,
                WeightFormatHarness.clustered(16, true).then(WeightFormatHarness.unstructured(0.5)));
        n += lutFc(out, TensorType.INT8, true, 3, 33, 9, 0, 0, seed++,
                WeightFormatHarness.unstructured(0.5).then(WeightFormatHarness.clustered(2, true)));
        seed = 500;
        i = 0;
        for (TensorType t : new TensorType[] {TensorType.INT8, TensorType.UINT8}) {
            for (boolean perChannel : t == TensorType.INT8 ? new boolean[] {false, true} : new boolean[] {false}) {
                for (int units : new int[] {1, 2, 9, 16, 17, 33, 70}) {
                    int k = K[(i * 5) % K.length] + (i % 3 == 0 ? 64 : 0);
                    int batches = new int[] {1, 2, 4, 5, 8, 9, 17}[i % 7];
                    n += lutFc(out, t, perChannel, batches, k, units, 0, 0, seed++,
                            WeightFormatHarness.clustered(16, i % 2 == 0));
                    i++;
                }
            }
        }
        n += lutFc(out, TensorType.UINT8, false, 1, 1280, 40, 0, 0, seed++, WeightFormatHarness.clustered(16, true));
        n += lutFc(out, TensorType.INT8, true, 3, 1280, 70, 1, 0, seed++, WeightFormatHarness.clustered(16, true));
        // the in-register kernel (below 8 pixels): K around its 32-K blocks, channels around its
        // 4-channel groups and the panels, batch 1..7, shared and per-channel tables, extremes
        seed = 600;
        int[] c16k = {1, 7, 31, 32, 33, 63, 64, 65, 95, 96, 97, 200, 1280};
        int[] c16n = {1, 3, 4, 5, 15, 16, 17, 33, 70};
        i = 0;
        for (TensorType t : new TensorType[] {TensorType.INT8, TensorType.UINT8}) {
            for (boolean perChannel : t == TensorType.INT8 ? new boolean[] {false, true} : new boolean[] {false}) {
                for (int k : c16k) {
                    n += lutFc(out, t, perChannel, 1 + i % 7, k, c16n[i % c16n.length], i % 3, i % 5 == 2 ? 1 : 0,
                            seed++, WeightFormatHarness.clustered(new int[] {1, 2, 16, 9}[i % 4], i % 3 != 0));
                    i++;
                }
            }
        }
        seed = 700;
        for (KernelFamily<ConvKernelFactory> f : FAMILIES) {
            for (int[] hw : new int[][] {{1, 1}, {1, 7}, {2, 4}, {3, 3}, {5, 5}, {10, 10}, {20, 20}}) {
                int inC = hw[0] * hw[1] >= 25 ? 1280 : 40;
                n += lutConv(out, f, new Conv(1, hw[0], hw[1], inC, 21, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, true), seed++,
                        WeightFormatHarness.clustered(16, seed % 2 == 0));
            }
        }
        return n;
    }

    /**
     * 12-byte tables on NEON (table_format 2, kernels/q8_lut_compact_neon.h, session 10): every
     * case twice, with the default 12-byte tables and with {@code -Dwhittle.lut.compact=false}'s
     * 16-byte ones, both kernels (batch below and from 8), output channels 1..70 (partial 16-channel
     * groups), 1..16 values per channel (each channel its own count), int8 (per-tensor and
     * per-channel) and uint8, and the extreme tables of the unary code
     * ({@link LutVbmiKernelsTest#extremeTables}: all high nibbles 0, all 15, one per step, 0x00 and
     * 0xFF, one value, random); where the tables are per channel the resident bytes must be
     * exactly 4 per (padded) channel fewer. Returns how many cases were added.
     */
    private static int addLutCompact(NeonFormatVectors out) throws ReflectiveOperationException {
        int n = 0;
        int shrunk = 0;
        long seed = 1000;
        int i = 0;
        int[] units = {1, 2, 3, 5, 8, 13, 15, 16, 17, 20, 31, 32, 33, 47, 48, 49, 64, 65, 70};
        for (int u : units) {
            for (TensorType t : new TensorType[] {TensorType.INT8, TensorType.UINT8}) {
                boolean perChannel = t == TensorType.INT8 && (i / 2) % 2 == 0;
                int batches = new int[] {1, 3, 8, 9, 20, 7}[i % 6];
                int k = new int[] {16, 33, 64, 100, 320, 7}[(i / 2) % 6];
                WeightFormatHarness.Shaper shaper = i % 3 == 2 ? LutVbmiKernelsTest.extremeTables(t == TensorType.INT8)
                        : variedTables(i);
                int[] r = lutFcBoth(out, t, perChannel, batches, k, u, i % 3 == 1 ? 1 : 0, seed, shaper);
                n += r[0];
                shrunk += r[1];
                seed += 2;
                i++;
            }
        }
        seed = 1200;
        for (KernelFamily<ConvKernelFactory> f : FAMILIES) {
            for (int oc : new int[] {17, 33, 70}) {
                int[] r = lutConvBoth(out, f, new Conv(1, 5, 4, 19, oc, 3, 3, 1, 1, 1, 1, 0, 0, 0, 0, true), seed,
                        variedTables((int) seed));
                n += r[0];
                shrunk += r[1];
                seed += 2;
            }
        }
        // most cases have per-channel tables (a layer of at most 16 values keeps one shared table)
        assertTrue(shrunk >= n / 3, "12-byte tables in only " + shrunk + " of " + n + " cases");
        return n;
    }

    /** Per channel o its own 1 + (first + 5 o) % 16 distinct values (int8: -127..127). */
    private static WeightFormatHarness.Shaper variedTables(int first) {
        return (w, n, k, inner, zero, signed, r) -> {
            for (int o = 0; o < n; o++) {
                int count = 1 + Math.floorMod(first + 5 * o, 16);
                int[] v = new int[count];
                java.util.Set<Integer> used = new java.util.HashSet<>();
                for (int j = 0; j < count; j++) {
                    do {
                        v[j] = signed ? r.nextInt(-127, 128) : r.nextInt(256);
                    } while (!used.add(v[j]));
                }
                for (int j = 0; j < k; j++) {
                    w.put(o * k + j, (byte) v[r.nextInt(count)]);
                }
            }
        };
    }

    /** One FULLY_CONNECTED case with 12-byte and with 16-byte tables: {cases added, 1 if 12-byte}. */
    private static int[] lutFcBoth(NeonFormatVectors out, TensorType type, boolean perChannel, int batches, int k,
            int n, int extremes, long seed, WeightFormatHarness.Shaper shaper) throws ReflectiveOperationException {
        int added = lutFc(out, type, perChannel, batches, k, n, extremes, 0, seed, shaper);
        return compared(out, added, n, () -> lutFc(out, type, perChannel, batches, k, n, extremes, 0, seed, shaper));
    }

    private static int[] lutConvBoth(NeonFormatVectors out, KernelFamily<ConvKernelFactory> f, Conv c, long seed,
            WeightFormatHarness.Shaper shaper) throws ReflectiveOperationException {
        int added = lutConv(out, f, c, seed, shaper);
        return compared(out, added, c.outC(), () -> lutConv(out, f, c, seed, shaper));
    }

    private interface Adder {
        int add() throws ReflectiveOperationException;
    }

    /** Adds the 16-byte-table twin of the case just added and checks the resident bytes. */
    private static int[] compared(NeonFormatVectors out, int added, int channels, Adder sixteen)
            throws ReflectiveOperationException {
        long compactBytes = out.lastLutBytes();
        int format = out.lastLutTableFormat();
        try {
            System.setProperty("whittle.lut.compact", "false");
            added += sixteen.add();
        } finally {
            System.clearProperty("whittle.lut.compact");
        }
        assertEquals(0, out.lastLutTableFormat(), "-Dwhittle.lut.compact=false keeps 16-byte tables");
        long padded = (channels + 15) / 16 * 16L;
        if (format == 2) {
            assertEquals(4 * padded, out.lastLutBytes() - compactBytes, "12-byte tables: 4 bytes less per channel");
            return new int[] {added, 1};
        }
        assertEquals(0, format);
        assertEquals(out.lastLutBytes(), compactBytes);
        return new int[] {added, 0};
    }

    /** The weight formats with a NEON kernel, and the kernel name suffix each must dispatch. */
    enum Kind {
        LUT("_lut4_4x16c4__neondot"), SPARSE("_sparse_64x1c4__neondot"), SP24("_sp24_16x1c8__neondot");

        final String suffix;

        Kind(String suffix) {
            this.suffix = suffix;
        }
    }

    /** Unstructured, 1x4-blocked, or unstructured with every third channel all zero (SparseKernelsTest's). */
    private static WeightFormatHarness.Shaper sparseShaper(int i, double sparsity) {
        return switch (i % 3) {
            case 0 -> WeightFormatHarness.unstructured(sparsity);
            case 1 -> WeightFormatHarness.blocks(sparsity, 4);
            default -> WeightFormatHarness.unstructured(sparsity).then(WeightFormatHarness.zeroRows(3));
        };
    }

    /**
     * SparseKernelsTest's sweeps (pointwise, im2col, FULLY_CONNECTED), twice as many cases each,
     * plus the MobileNet 7x7x320 -> 1280 (49 pixels: one 64-pixel tile) and FC 1280 -> 1001 shapes
     * at 80-90%; returns how many cases were added.
     */
    private static int addSparse(NeonFormatVectors out) throws ReflectiveOperationException {
        int added = 0;
        int[] widths = {1, 3, 7, 8, 9, 15, 16, 17, 24, 25, 31, 32, 33, 49, 65};
        for (int i = 0; i < SPARSE_KS.length * 4; i++) {
            int k = SPARSE_KS[i % SPARSE_KS.length] + (i >= 2 * SPARSE_KS.length ? 64 : 0);
            int n = CHANNELS[(i * 5 + 2) % CHANNELS.length];
            int w = widths[(i * 7 + 1) % widths.length];
            double s = SPARSITY[i % SPARSITY.length];
            Conv c = new Conv(i % 4 == 3 ? 2 : 1, 1 + i % 2, w, k, n, 1, 1, 1, 1, 1, 1, i % 2, i % 4 == 1 ? 3 : i % 2,
                    i % 3, (i / 3) % 3, i % 7 != 6);
            added += conv(out, Kind.SPARSE, FAMILIES.get(i % 3), c, 100 + i, sparseShaper(i, s));
        }
        int[] inCs = {1, 3, 4, 5, 7, 8, 16, 17};
        for (int i = 0; i < 32; i++) {
            int inC = inCs[i % inCs.length];
            int n = CHANNELS[(i * 3 + 1) % CHANNELS.length];
            int stride = 1 + i % 2;
            int kh = i % 5 == 4 ? 1 : 3;
            double s = SPARSITY[(i + 2) % SPARSITY.length];
            Conv c = new Conv(i % 3 == 0 ? 2 : 1, 5 + i % 4, 4 + i % 5, inC, n, kh, 3, stride, stride, 1, 1,
                    (i / 2) % 2, i % 4, (i + 1) % 3, i % 3, i % 5 != 3);
            added += conv(out, Kind.SPARSE, FAMILIES.get((i + 1) % 3), c, 200 + i, sparseShaper(i, s));
        }
        TensorType[] types = {TensorType.INT8, TensorType.INT8, TensorType.UINT8};
        for (int i = 0; i < SPARSE_KS.length * 2; i++) {
            int k = SPARSE_KS[i % SPARSE_KS.length] + (i >= SPARSE_KS.length ? 64 : 0);
            int n = CHANNELS[(i * 3 + 5) % CHANNELS.length];
            int batches = 1 + i % 5 + (i % 6 == 5 ? 33 : 0);
            double s = SPARSITY[(i + 1) % SPARSITY.length];
            added += fc(out, Kind.SPARSE, types[i % 3], i % 3 == 1, batches, k, n, i % 3, (i / 2) % 3, i % 4 != 3,
                    i % 3 == 2 ? 3 : 0, 300 + i, sparseShaper(i, s));
        }
        for (KernelFamily<ConvKernelFactory> f : FAMILIES) {
            added += conv(out, Kind.SPARSE, f, new Conv(1, 7, 7, 320, 70, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, true), 900,
                    WeightFormatHarness.unstructured(0.8));
        }
        added += fc(out, Kind.SPARSE, TensorType.UINT8, false, 4, 1280, 100, 0, 0, true, 0, 901,
                WeightFormatHarness.unstructured(0.9));
        return added;
    }

    /** The kernel a node of {@code pixels} output pixels must get: LUT decodes in registers below 8. */
    /** Cases packed for the NEON lut5 kernel (counted by {@link #moreThanSixteen} where a LUT case asks). */
    private static int lut5Cases;

    /** Whether some of the n rows of k weight bytes hold more than 16 distinct values (lut5, session 13). */
    private static boolean moreThanSixteen(ByteBuffer w, int n, int k) {
        for (int o = 0; o < n; o++) {
            boolean[] seen = new boolean[256];
            int distinct = 0;
            for (int i = 0; i < k; i++) {
                int b = w.get(o * k + i) & 0xFF;
                if (!seen[b]) {
                    seen[b] = true;
                    distinct++;
                }
            }
            if (distinct > 16) {
                lut5Cases++;
                return true;
            }
        }
        return false;
    }

    private static String suffix(Kind kind, long pixels) {
        return kind == Kind.LUT && pixels < 8 ? "_lut4_4x16c16__neondot" : kind.suffix;
    }

    /** A uint8 layer with a weight of 255 at zero point 0 (w - zero = 255: the 2:4 int8 kernels decline it). */
    private static boolean declines255(ByteBuffer w, int weightsOffset, boolean u8) {
        if (!u8 || weightsOffset != 0) {
            return false;
        }
        for (int i = 0; i < w.capacity(); i++) {
            if ((w.get(i) & 0xFF) == 255) {
                return true;
            }
        }
        return false;
    }

    /** Sparse24KernelsTest's weights: 2:4, some with all-zero rows. */
    private static WeightFormatHarness.Shaper sp24Shaper(int i) {
        return switch (i % 5) {
            case 3 -> WeightFormatHarness.sparse24().then(WeightFormatHarness.zeroRows(5));
            case 4 -> i % 10 == 9 ? WeightFormatHarness.sparse24().then(WeightFormatHarness.zeroRows(7))
                    : WeightFormatHarness.sparse24();
            default -> WeightFormatHarness.sparse24();
        };
    }

    /** uint8 weights within 127 of their zero point (no residual blocks), Sparse24KernelsTest's. */
    private static WeightFormatHarness.Shaper fitInt8() {
        return (w, n, k, inner, zero, signed, r) -> {
            for (int i = 0; i < n * k; i++) {
                int v = w.get(i) & 0xff;
                w.put(i, (byte) Math.max(Math.max(0, zero - 128), Math.min(Math.min(255, zero + 127), v)));
            }
        };
    }

    /**
     * Sparse24KernelsTest's sweeps ({@link Sparse24KernelsTest#convSweep} on the three families,
     * uint8 layers alternately within int8 of the zero point and not, i.e. with residual blocks;
     * its FULLY_CONNECTED sweep), plus pixels around the 16-pixel tile and K over several 64-K
     * chunks; returns how many cases were added (uint8 layers with a kept w - zero of 255 are
     * declined, as on VNNI, and not counted).
     */
    private static int addSp24(NeonFormatVectors out) throws ReflectiveOperationException {
        int added = 0;
        long seed = 1;
        for (KernelFamily<ConvKernelFactory> family : FAMILIES) {
            for (Conv c : Sparse24KernelsTest.convSweep()) {
                boolean u8 = family == KernelRegistry.QU8_CONV2D;
                boolean fit = !u8 || seed % 2 == 0;
                added += conv(out, Kind.SP24, family, c, seed, fit && u8 ? fitInt8().then(sp24Shaper((int) seed))
                        : sp24Shaper((int) seed));
                seed++;
            }
        }
        int[] in = {4, 8, 12, 16, 20, 28, 32, 36, 60, 64, 68, 72};
        int[] outs = {1, 3, 7, 8, 15, 16, 17, 31, 32, 33, 47, 48, 63, 64, 65, 70};
        int i = 0;
        for (TensorType type : new TensorType[] {TensorType.INT8, TensorType.UINT8}) {
            for (boolean perChannel : type == TensorType.INT8 ? new boolean[] {false, true} : new boolean[] {false}) {
                for (int k : in) {
                    for (int j = 0; j < 2; j++) {
                        int n = outs[(i * 7 + j * 5) % outs.length];
                        boolean u8 = type == TensorType.UINT8;
                        boolean fit = !u8 || i % 2 == 0;
                        added += fc(out, Kind.SP24, type, perChannel, 1 + i % 5 + (i % 4 == 3 ? 15 : 0), k, n, i % 3,
                                i % 7 == 3 ? 1 : i % 7 == 5 ? 2 : 0, i % 6 != 1, i % 4 == 2 ? 3 : 0, i,
                                fit && u8 ? fitInt8().then(sp24Shaper(i)) : sp24Shaper(i));
                        i++;
                    }
                }
            }
        }
        // pixels around the 16-pixel tile, K over several 64-K chunks (and an odd 8-K step count)
        int[][] tiles = {{1, 15, 64, 24}, {1, 16, 132, 5}, {1, 17, 260, 33}, {2, 16, 68, 18}, {1, 49, 196, 70},
            {1, 33, 300, 16}, {1, 31, 516, 17}};
        for (int[] t : tiles) {
            for (KernelFamily<ConvKernelFactory> family : FAMILIES) {
                boolean u8 = family == KernelRegistry.QU8_CONV2D;
                added += conv(out, Kind.SP24, family, new Conv(t[0], 1, t[1], t[2], t[3], 1, 1, 1, 1, 1, 1, 1, 0, i % 3,
                        0, true), 800 + i, u8 && i % 2 == 0 ? fitInt8().then(sp24Shaper(i)) : sp24Shaper(i));
                i++;
            }
        }
        return added;
    }

    private static int lutConv(NeonFormatVectors out, KernelFamily<ConvKernelFactory> family, Conv c, long seed,
            WeightFormatHarness.Shaper shaper) {
        return conv(out, Kind.LUT, family, c, seed, shaper);
    }

    /** A lut5 CONV_2D (17..32 values): conv() checks the name by {@link #suffix}, which sees the values too. */
    private static int lutFiveConv(NeonFormatVectors out, KernelFamily<ConvKernelFactory> family, Conv c, long seed,
            WeightFormatHarness.Shaper shaper) {
        return conv(out, Kind.LUT, family, c, seed, shaper);
    }

    private static int lutFc(NeonFormatVectors out, TensorType type, boolean perChannel, int batches, int k, int n,
            int extremes, int scale, long seed, WeightFormatHarness.Shaper shaper) throws ReflectiveOperationException {
        return fc(out, Kind.LUT, type, perChannel, batches, k, n, extremes, scale, seed % 3 != 0, 0, seed, shaper);
    }

    private static int conv(NeonFormatVectors out, Kind kind, KernelFamily<ConvKernelFactory> family, Conv c,
            long seed, WeightFormatHarness.Shaper shaper) {
        Model model = Q8GemmConvTest.build(family, c, seed, shaper);
        System.setProperty(KernelPath.PROPERTY, "reference");
        CompiledModel ref = CompiledModel.compile(model);
        System.clearProperty(KernelPath.PROPERTY);
        TensorData in = Q8GemmConvTest.input(ref, seed + 1, c.extremes());
        byte[] expected = Q8GemmConvTest.run(ref, in, 1);
        ConvParams p = (ConvParams) ref.nodePrepared(0);
        // The op picks the dense family from the filter's quantization (one channel: per-tensor).
        KernelFamily<ConvKernelFactory> dense = p.kernel() == ConvKernels.QU8 ? KernelRegistry.QU8_CONV2D
                : p.kernel() == ConvKernels.QS8_QC8W ? KernelRegistry.QS8_QC8W_CONV2D : KernelRegistry.QS8_CONV2D;
        int k = p.kh() * p.kw() * p.inC();
        String label = dense + " " + c.label();
        ByteBuffer filter = AArch64Replay.constant(ref, p.filter(), p.outC() * k);
        ByteBuffer bias = p.bias() >= 0 ? AArch64Replay.constant(ref, p.bias(), 4 * p.outC()) : null;
        String name = switch (kind) {
            case LUT -> out.lutConv(dense, p, filter, bias, in.bytes(), expected, label);
            case SPARSE -> out.sparseConv(dense, p, filter, bias, in.bytes(), expected, label);
            case SP24 -> out.sp24Conv(dense, p, filter, bias, in.bytes(), expected, label);
        };
        if (name == null && kind == Kind.SP24 && declines255(filter, p.filterOffset(), dense == KernelRegistry.QU8_CONV2D)) {
            return 0;
        }
        assertNotNull(name, "the NEON " + kind + " kernel declined " + label);
        assertEquals(dense.name() + (kind == Kind.LUT && moreThanSixteen(filter, p.outC(), k) ? "_lut5_4x16c16__neondot"
                : suffix(kind, (long) p.batches() * p.outH() * p.outW())), name);
        return 1;
    }

    private static int fc(NeonFormatVectors out, Kind kind, TensorType type, boolean perChannel, int batches, int k,
            int n, int extremes, int scale, boolean withBias, int activation, long seed,
            WeightFormatHarness.Shaper shaper) throws ReflectiveOperationException {
        Model model = Q8GemmFullyConnectedTest.build(type, perChannel, batches, k, n, extremes, scale, withBias,
                activation, seed, shaper);
        String label = type + (perChannel ? " per-channel" : "") + " fc " + batches + "x" + k + " -> " + n
                + " extremes " + extremes + " scale " + scale;
        System.setProperty(KernelPath.PROPERTY, "reference");
        CompiledModel ref = CompiledModel.compile(model);
        System.clearProperty(KernelPath.PROPERTY);
        TensorData in = Q8GemmConvTest.input(ref, seed + 1, extremes);
        byte[] expected = Q8GemmConvTest.run(ref, in, 1);
        Object prepared = ref.nodePrepared(0);
        NeonGemmVectorsTest.PreparedFc fc = NeonGemmVectorsTest.PreparedFc.of(prepared);
        Object kernel = fc.kernel();
        QuantParams p = fc.params();
        assertNotNull(p, label + ": no QuantParams in " + prepared);
        KernelFamily<QuantizedFullyConnectedFactory> dense = kernel == FullyConnectedReference.QU8
                ? KernelRegistry.QU8_FULLY_CONNECTED : kernel == FullyConnectedReference.QS8_QC8W
                ? KernelRegistry.QS8_QC8W_FULLY_CONNECTED : KernelRegistry.QS8_FULLY_CONNECTED;
        ByteBuffer weights = AArch64Replay.constant(ref, p.weights(), p.outFeatures() * p.inFeatures());
        ByteBuffer bias = p.bias() >= 0 ? AArch64Replay.constant(ref, p.bias(), 4 * p.outFeatures()) : null;
        String name = switch (kind) {
            case LUT -> out.lutFullyConnected(dense, p, weights, bias, in.bytes(), expected, dense + " " + label);
            case SPARSE -> out.sparseFullyConnected(dense, p, weights, bias, in.bytes(), expected, dense + " " + label);
            case SP24 -> out.sp24FullyConnected(dense, p, weights, bias, in.bytes(), expected, dense + " " + label);
        };
        if (name == null && kind == Kind.SP24
                && declines255(weights, p.weightsOffset(), dense == KernelRegistry.QU8_FULLY_CONNECTED)) {
            return 0;
        }
        assertNotNull(name, "the NEON " + kind + " kernel declined " + label);
        assertEquals(dense.name() + (kind == Kind.LUT && moreThanSixteen(weights, p.outFeatures(), p.inFeatures())
                ? "_lut5_4x16c16__neondot" : suffix(kind, p.batches())), name);
        return 1;
    }

}
