package dev.whittle.runtime;

import dev.whittle.CpuFeatures;
import dev.whittle.model.Model;
import dev.whittle.model.TensorType;
import dev.whittle.runtime.Q8GemmConvTest.Conv;
import dev.whittle.runtime.kernels.ConvKernelFactory;
import dev.whittle.runtime.kernels.KernelFamily;
import dev.whittle.runtime.kernels.KernelPath;
import dev.whittle.runtime.kernels.KernelRegistry;
import dev.whittle.runtime.kernels.WeightFormat;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The blocked unstructured sparse kernels ({@code *_sparse_64x1c2__avx2},
 * {@code *_sparse_64x1c4__avx512vnni}, {@code *_sparse_4x16c4__avx512vnni}; families
 * {@code conv2d_sparse} and {@code fully_connected_sparse}) against the dense reference kernel
 * on the same weights, bit for bit, with {@code --kernels sparse}, on every available path at 1
 * and 3 threads, the dispatched kernel checked ({@link WeightFormatHarness#check}). Sweeps:
 * qs8, qs8_qc8w and qu8; sparsity 0%, 50%, 70%, 90%, 100%, unstructured and in 1x4 blocks, with
 * all-zero output channels; K around the block and tile sizes (1..9, 15..17, 31..33, 63..65),
 * output channels 1..70 (around the 16-channel groups), pixels around the tiles (AVX2: 64 or 32 and the rest in 8..56; VNNI 64/32/16); 1x1
 * and 3x3, strides 1 and 2, SAME and VALID, batch 2; zero points at both ends, saturating and
 * tiny requantization, RELU / RELU6, with and without bias.
 */
class SparseKernelsTest {
    private static final List<KernelFamily<ConvKernelFactory>> FAMILIES = List.of(KernelRegistry.QS8_CONV2D,
            KernelRegistry.QS8_QC8W_CONV2D, KernelRegistry.QU8_CONV2D);
    private static final int[] KS = {1, 2, 3, 4, 5, 6, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65};
    private static final double[] SPARSITY = {0, 0.5, 0.7, 0.9, 1.0};
    private static final int[] CHANNELS = {1, 2, 3, 7, 15, 16, 17, 31, 33, 48, 63, 64, 65, 70};

    @AfterEach
    void clear() {
        System.clearProperty(WeightFormat.PROPERTY);
    }

    private static void assumeKernels() {
        Assumptions.assumeTrue(KernelRegistry.available(KernelRegistry.CONV2D_SPARSE).stream()
                .anyMatch(e -> e.path() != KernelPath.JAVA), // the Java-path entry: JavaWeightKernelsTest
                "no sparse kernel on this machine");
    }

    /** Unstructured, 1x4-blocked, or unstructured with every third channel all zero. */
    private static WeightFormatHarness.Shaper shaper(int i, double sparsity) {
        return switch (i % 3) {
            case 0 -> WeightFormatHarness.unstructured(sparsity);
            case 1 -> WeightFormatHarness.blocks(sparsity, 4);
            default -> WeightFormatHarness.unstructured(sparsity).then(WeightFormatHarness.zeroRows(3));
        };
    }

    @Test
    void pointwiseConvolutions() {
        assumeKernels();
        int ran = 0;
        for (int i = 0; i < KS.length * 2; i++) {
            int k = KS[i % KS.length];
            int n = CHANNELS[(i * 5 + 2) % CHANNELS.length];
            // pixels around the tiles: 1..9, 15..17, 24, 25, 31..33, 49, 65
            int[] widths = {1, 3, 7, 8, 9, 15, 16, 17, 24, 25, 31, 32, 33, 49, 65};
            int w = widths[(i * 7 + 1) % widths.length];
            double s = SPARSITY[i % SPARSITY.length];
            KernelFamily<ConvKernelFactory> family = FAMILIES.get(i % 3);
            Conv c = new Conv(i % 4 == 3 ? 2 : 1, 1 + i % 2, w, k, n, 1, 1, 1, 1, 1, 1, i % 2, i % 4 == 1 ? 3 : i % 2,
                    i % 3, (i / 3) % 3, i % 7 != 6);
            Model m = Q8GemmConvTest.build(family, c, 100 + i, shaper(i, s));
            ran += WeightFormatHarness.check(m, KernelRegistry.CONV2D_SPARSE, WeightFormat.SPARSE, "_sparse_",
                    family + " " + c.label() + " sparsity " + s + " shaper " + i % 3, 100 + i, c.extremes());
        }
        assertTrue(ran > 0);
    }

    @Test
    void im2colConvolutions() {
        assumeKernels();
        int ran = 0;
        int[] inCs = {1, 3, 4, 5, 7, 8, 16, 17};
        for (int i = 0; i < 16; i++) {
            int inC = inCs[i % inCs.length];
            int n = CHANNELS[(i * 3 + 1) % CHANNELS.length];
            int stride = 1 + i % 2;
            int kh = i % 5 == 4 ? 1 : 3;
            double s = SPARSITY[(i + 2) % SPARSITY.length];
            KernelFamily<ConvKernelFactory> family = FAMILIES.get((i + 1) % 3);
            Conv c = new Conv(i % 3 == 0 ? 2 : 1, 5 + i % 4, 4 + i % 5, inC, n, kh, 3, stride, stride, 1, 1,
                    (i / 2) % 2, i % 4, (i + 1) % 3, i % 3, i % 5 != 3);
            Model m = Q8GemmConvTest.build(family, c, 200 + i, shaper(i, s));
            ran += WeightFormatHarness.check(m, KernelRegistry.CONV2D_SPARSE, WeightFormat.SPARSE, "_sparse_",
                    family + " " + c.label() + " sparsity " + s + " shaper " + i % 3, 200 + i, c.extremes());
        }
        assertTrue(ran > 0);
    }

    @Test
    void fullyConnected() {
        assumeKernels();
        TensorType[] types = {TensorType.INT8, TensorType.INT8, TensorType.UINT8};
        int ran = 0;
        for (int i = 0; i < KS.length * 2; i++) {
            int k = KS[i % KS.length] + (i >= KS.length ? 64 : 0);
            int n = CHANNELS[(i * 3 + 5) % CHANNELS.length];
            int batches = 1 + i % 5 + (i % 6 == 5 ? 33 : 0);
            double s = SPARSITY[(i + 1) % SPARSITY.length];
            int extremes = i % 3;
            int scale = (i / 2) % 3;
            TensorType type = types[i % 3];
            Model m = Q8GemmFullyConnectedTest.build(type, i % 3 == 1, batches, k, n, extremes, scale, i % 4 != 3,
                    i % 3 == 2 ? 3 : 0, 300 + i, shaper(i, s));
            ran += WeightFormatHarness.check(m, KernelRegistry.FULLY_CONNECTED_SPARSE, WeightFormat.SPARSE, "_sparse_",
                    type + (i % 3 == 1 ? " per-channel" : "") + " fc " + batches + "x" + k + " -> " + n + " sparsity "
                            + s + " shaper " + i % 3 + " extremes " + extremes + " scale " + scale,
                    300 + i, extremes);
        }
        assertTrue(ran > 0);
    }

    /**
     * The AVX-512 VNNI rows kernel ({@code *_sparse_4x16c4__avx512vnni}: direct rows, passes of
     * 4, 128-K segments): K around the segments, batches 1..8 (passes of 4 rows and their
     * tails), channels around the 16-lane groups, the three dtypes with zero points at both
     * ends (uint8 weights outside int8 split into entries), sparsity 0..100%; a pointwise conv
     * runs it, an im2col conv the 64x1c4 tile kernel.
     */
    @Test
    void vnniRowsKernel() {
        Assumptions.assumeTrue(KernelRegistry.available(KernelRegistry.FULLY_CONNECTED_SPARSE).stream()
                .anyMatch(e -> e.path() == KernelPath.AVX512VNNI)
                && CpuFeatures.detect().has(CpuFeatures.Feature.AVX512_VBMI), "no AVX-512 VNNI + VBMI");
        TensorType[] types = {TensorType.INT8, TensorType.INT8, TensorType.UINT8};
        int[] ks = {1, 5, 63, 127, 128, 129, 200, 255, 256, 257, 400};
        for (int i = 0; i < 22; i++) {
            int k = ks[i % ks.length];
            int n = CHANNELS[(i * 5 + 3) % CHANNELS.length];
            int batches = 1 + i % 8;
            double s = SPARSITY[i % SPARSITY.length];
            int extremes = i % 3;
            TensorType type = types[i % 3];
            Model m = Q8GemmFullyConnectedTest.build(type, i % 3 == 1, batches, k, n, extremes, (i / 3) % 3, i % 4 != 3,
                    i % 5 == 2 ? 3 : 0, 500 + i, shaper(i, s));
            String label = type + " fc " + batches + "x" + k + " -> " + n + " sparsity " + s + " extremes " + extremes;
            WeightFormatHarness.check(m, KernelRegistry.FULLY_CONNECTED_SPARSE, WeightFormat.SPARSE, "_sparse_", label,
                    500 + i, extremes);
            System.setProperty(KernelPath.PROPERTY, "avx512vnni");
            System.setProperty(WeightFormat.PROPERTY, "sparse");
            try {
                List<String> names = OpProfile.kernelNames(CompiledModel.compile(m));
                // (batches >= 16 with zeros in aligned 1x4 blocks may take the tiles: not here)
                assertTrue(names.stream().anyMatch(x -> x.endsWith("_sparse_4x16c4__avx512vnni")), label + ": " + names);
            } finally {
                System.clearProperty(KernelPath.PROPERTY);
            }
        }
        Conv pw = new Conv(1, 9, 7, 40, 24, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, true);
        Conv im2col = new Conv(1, 9, 7, 8, 24, 3, 3, 1, 1, 1, 1, 1, 0, 0, 0, true);
        for (Conv c : List.of(pw, im2col)) {
            Model conv = Q8GemmConvTest.build(KernelRegistry.QU8_CONV2D, c, 9, WeightFormatHarness.unstructured(0.8));
            WeightFormatHarness.check(conv, KernelRegistry.CONV2D_SPARSE, WeightFormat.SPARSE, "_sparse_", c.label(), 9,
                    0);
            System.setProperty(KernelPath.PROPERTY, "avx512vnni");
            System.setProperty(WeightFormat.PROPERTY, "sparse");
            try {
                List<String> names = OpProfile.kernelNames(CompiledModel.compile(conv));
                String expected = c == pw ? "_sparse_4x16c4__avx512vnni" : "_sparse_64x1c4__avx512vnni";
                assertTrue(names.stream().anyMatch(x -> x.endsWith(expected)), c.label() + ": " + names);
            } finally {
                System.clearProperty(KernelPath.PROPERTY);
            }
        }
    }

    /**
     * The AVX2 kernel's tiles ({@code *_sparse_64x1c2__avx2}): 64 pixels where the packed tile
     * is at most {@code Q8SparseGemm.AVX2_WIDE_TILE_MAX_KP} (K 9, 64, 130), 32 above it (K 385,
     * 400), the rest of the pixels in one tile of 1..8 vectors of 8 pixels: pixel counts around
     * every vector count of both widths (1..196, batch 2 for even counts from 64), conv and
     * FULLY_CONNECTED, the three dtypes, zero points at both ends, saturation, 0..100% zeros
     * with all-zero channels, channels 1..70; 1 and 3 threads (the harness), the AVX2 kernel's
     * dispatch asserted.
     */
    @Test
    void avx2TileWidths() {
        Assumptions.assumeTrue(KernelRegistry.available(KernelRegistry.CONV2D_SPARSE).stream()
                .anyMatch(e -> e.path() == KernelPath.AVX2), "no AVX2 sparse kernel");
        int[] pixels = {1, 7, 8, 9, 17, 24, 25, 33, 40, 41, 48, 49, 55, 56, 57, 63, 64, 65, 72, 113, 128, 129, 196};
        int[] ks = {64, 385, 9, 400, 130};
        double[] sparsity = {0.8, 0.9, 0, 1.0, 0.5, 0.7};
        TensorType[] types = {TensorType.INT8, TensorType.INT8, TensorType.UINT8};
        int[] fcBatches = {1, 9, 49, 56, 57, 64, 65, 129};
        int cases = 2 * (pixels.length + fcBatches.length);
        for (int i = 0; i < cases; i++) {
            // each pixel count at both tile widths: even i at K <= 384 (64), odd i above (32)
            boolean fc = i >= 2 * pixels.length;
            int px = fc ? fcBatches[(i - 2 * pixels.length) / 2] : pixels[i / 2];
            int k = i % 2 == 0 ? ks[(i / 2) % 3 == 0 ? 0 : (i / 2) % 3 == 1 ? 2 : 4] : ks[(i / 2) % 2 == 0 ? 1 : 3];
            int n = CHANNELS[(i * 5 + 1) % CHANNELS.length];
            double s = sparsity[(i / 2 + i % 2) % sparsity.length];
            int extremes = i % 3;
            Model m;
            String label;
            if (fc) {
                TensorType type = types[i % 3];
                m = Q8GemmFullyConnectedTest.build(type, i % 3 == 1, px, k, n, extremes, (i / 3) % 3, i % 4 != 3,
                        i % 3 == 2 ? 3 : 0, 700 + i, shaper(i, s));
                label = type + " fc " + px + "x" + k + " -> " + n + " sparsity " + s + " extremes " + extremes;
            } else {
                int batch = px % 2 == 0 && px >= 64 ? 2 : 1;
                int hw = px / batch;
                int h = hw % 7 == 0 ? 7 : 1;
                KernelFamily<ConvKernelFactory> family = FAMILIES.get(i % 3);
                Conv c = new Conv(batch, h, hw / h, k, n, 1, 1, 1, 1, 1, 1, i % 2, i % 4 == 1 ? 3 : i % 2, extremes,
                        (i / 3) % 3, i % 4 != 3);
                m = Q8GemmConvTest.build(family, c, 700 + i, shaper(i, s));
                label = family + " " + c.label() + " sparsity " + s;
            }
            WeightFormatHarness.check(m, fc ? KernelRegistry.FULLY_CONNECTED_SPARSE : KernelRegistry.CONV2D_SPARSE,
                    WeightFormat.SPARSE, "_sparse_", label, 700 + i, extremes);
            System.setProperty(KernelPath.PROPERTY, "avx2");
            System.setProperty(WeightFormat.PROPERTY, "sparse");
            try {
                List<String> names = OpProfile.kernelNames(CompiledModel.compile(m));
                assertTrue(names.stream().anyMatch(x -> x.endsWith("_sparse_64x1c2__avx2")), label + ": " + names);
            } finally {
                System.clearProperty(KernelPath.PROPERTY);
            }
        }
    }

    @Test
    void autoDeclinesWhereSparsityDoesNotPay() {
        assumeKernels();
        Conv c = new Conv(1, 8, 8, 64, 48, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, true);
        System.setProperty(WeightFormat.PROPERTY, "auto");
        CompiledModel dense = CompiledModel.compile(Q8GemmConvTest.build(KernelRegistry.QS8_CONV2D, c, 7,
                WeightFormatHarness.unstructured(0.3)));
        assertFalse(OpProfile.kernelNames(dense).stream().anyMatch(k -> k.contains("_sparse_")),
                OpProfile.kernelChoices(dense).toString());
        System.setProperty(WeightFormat.PROPERTY, "auto");
        CompiledModel sparse = CompiledModel.compile(Q8GemmConvTest.build(KernelRegistry.QS8_CONV2D, c, 7,
                WeightFormatHarness.unstructured(0.95)));
        assertTrue(OpProfile.kernelNames(sparse).stream().anyMatch(k -> k.contains("_sparse_")),
                OpProfile.kernelChoices(sparse).toString());
    }

    /**
     * auto on the AVX2 path: a 7x7 layer with K = 960 (32-pixel tiles) needs more zeros than a
     * small-K one (Q8SparseGemm.AUTO_MIN_ZERO_PAIRS_WIDE_K): dense at 70% random zeros, sparse at
     * 90%; the same 70% on K = 96 stays sparse.
     */
    @Test
    void autoOnAvx2WideK() {
        Assumptions.assumeTrue(KernelRegistry.available(KernelRegistry.CONV2D_SPARSE).stream()
                .anyMatch(e -> e.path() == KernelPath.AVX2), "no AVX2 sparse kernel");
        Conv wide = new Conv(1, 7, 7, 960, 32, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, true);
        Conv narrow = new Conv(1, 7, 7, 96, 32, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, true);
        Object[][] cases = {{wide, 0.7, false}, {wide, 0.9, true}, {narrow, 0.7, true}};
        try {
            for (Object[] c : cases) {
                System.setProperty(KernelPath.PROPERTY, "avx2");
                System.setProperty(WeightFormat.PROPERTY, "auto");
                CompiledModel cm = CompiledModel.compile(Q8GemmConvTest.build(KernelRegistry.QU8_CONV2D, (Conv) c[0], 7,
                        WeightFormatHarness.unstructured((double) c[1])));
                assertTrue(OpProfile.kernelNames(cm).stream().anyMatch(k -> k.endsWith("_sparse_64x1c2__avx2"))
                        == (boolean) c[2], ((Conv) c[0]).label() + " " + c[1] + ": " + OpProfile.kernelChoices(cm));
            }
        } finally {
            System.clearProperty(KernelPath.PROPERTY);
        }
    }

    /**
     * auto and the VNNI rows kernel ({@code sparse_4x16c4}, CPUs with AVX-512 VBMI): at 90% random
     * zeros it takes int8 1x1 layers from K = 64 and uint8 ones from K = 24, not below
     * (Q8SparseGemm.AUTO_ROWS_MIN_K_*: the dense kernel was faster there), while {@code
     * --kernels sparse} still takes the small-K ones.
     */
    @Test
    void autoRowsKernelMinimumK() {
        Object[][] cases = {{KernelRegistry.QS8_QC8W_CONV2D, 32, false}, {KernelRegistry.QS8_QC8W_CONV2D, 64, true},
            {KernelRegistry.QU8_CONV2D, 16, false}, {KernelRegistry.QU8_CONV2D, 24, true}};
        for (Object[] c : cases) {
            @SuppressWarnings("unchecked")
            KernelFamily<ConvKernelFactory> family = (KernelFamily<ConvKernelFactory>) c[0];
            Conv conv = new Conv(1, 28, 28, (int) c[1], 64, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, true);
            System.setProperty(WeightFormat.PROPERTY, "sparse");
            List<String> forced = OpProfile.kernelNames(CompiledModel.compile(
                    Q8GemmConvTest.build(family, conv, 11, WeightFormatHarness.unstructured(0.9))));
            Assumptions.assumeTrue(forced.stream().anyMatch(k -> k.endsWith("_sparse_4x16c4__avx512vnni")),
                    "no VNNI rows sparse kernel here: " + forced);
            System.setProperty(WeightFormat.PROPERTY, "auto");
            CompiledModel cm = CompiledModel.compile(Q8GemmConvTest.build(family, conv, 11,
                    WeightFormatHarness.unstructured(0.9)));
            assertTrue(OpProfile.kernelNames(cm).stream().anyMatch(k -> k.endsWith("_sparse_4x16c4__avx512vnni"))
                    == (boolean) c[2], family.name() + " K " + c[1] + ": " + OpProfile.kernelChoices(cm));
        }
    }
}
