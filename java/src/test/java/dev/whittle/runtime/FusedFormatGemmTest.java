package dev.whittle.runtime;

import dev.whittle.model.Model;
import dev.whittle.model.io.ModelReader;
import dev.whittle.model.io.ModelWriter;
import dev.whittle.optimize.ClusterOptions;
import dev.whittle.optimize.Clusterer;
import dev.whittle.optimize.PruneOptions;
import dev.whittle.optimize.Pruner;
import dev.whittle.optimize.WeightSelection;
import dev.whittle.runtime.kernels.FusedDwConvGemm;
import dev.whittle.runtime.kernels.KernelPath;
import dev.whittle.runtime.kernels.WeightFormat;
import dev.whittle.testing.SharedData;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Fused DEPTHWISE_CONV_2D + 1x1 CONV_2D ({@link FusedDwConvGemm}) where the 1x1 runs a
 * weight-format kernel: 2:4 ({@code _sp24_}), blocked unstructured sparse ({@code _sparse_}) and
 * LUT ({@code _lut}). Generated chains whose 1x1 weights are 2:4-conformant, 90% sparse with
 * all-zero rows, or at most 16 distinct values per channel, on every native path of the machine
 * (bands, few-row channel splits, and uneven bands), and pruned / clustered uint8 MobileNet
 * v1: every output identical fused and unfused at threads 1..4 and to the reference kernels
 * ({@link FusedDwConvGemmTest#check}); each case asserts every pair was fused and that its 1x1
 * ran the format kernel of the path, so the test cannot pass on the dense GEMM or unfused.
 */
class FusedFormatGemmTest {
    /** The first convolution has 3 input channels: no M:N pattern divides them. */
    private static final WeightSelection SKIP_FIRST = new WeightSelection(null, "Conv2d_0/", false);

    record Format(String name, WeightFormatHarness.Shaper shaper, WeightFormat format, String tag) {
    }

    private static final List<Format> FORMATS = List.of(
            new Format("2:4", WeightFormatHarness.sparse24(), WeightFormat.SPARSE, "_sp24_"),
            new Format("90% sparse", WeightFormatHarness.unstructured(0.9).then(WeightFormatHarness.zeroRows(5)),
                    WeightFormat.SPARSE, "_sparse_"),
            new Format("16 per channel", WeightFormatHarness.clustered(16, true), WeightFormat.LUT, "_lut"));

    @AfterEach
    void clear() {
        System.clearProperty(WeightFormat.PROPERTY);
        System.clearProperty(KernelPath.PROPERTY);
        System.clearProperty(FusedDwConvGemm.PROPERTY);
        System.clearProperty(FusedDwConvGemm.MIN_ROWS_PER_THREAD_PROPERTY);
    }

    /** Asserts {@code pairs} pairs were fused, each 1x1 on a kernel containing {@code tag} (of {@code path}). */
    private static void assertFusedWith(List<OpProfile.KernelChoice> choices, int pairs, String tag, String path,
            String label) {
        assertEquals(pairs, FusedDwConvGemmTest.fusedPairs(choices), label + ": pairs fused " + choices);
        int tails = 0;
        for (int i = 0; i + 1 < choices.size(); i++) {
            if (!choices.get(i).op().equals(FusedDwConvGemmTest.FUSED_OP)) {
                continue;
            }
            OpProfile.KernelChoice tail = choices.get(i + 1);
            assertTrue(tail.why().contains("fused into"), label + ": " + tail);
            assertTrue(tail.kernel().contains(tag) && (path == null || tail.kernel().endsWith("__" + path)),
                    label + ": the fused 1x1 runs " + tail.kernel() + ", not a " + tag + " kernel: " + choices);
            tails++;
        }
        assertEquals(pairs, tails, label);
    }

    @Test
    void generatedChainsWithEachFormatOnEveryNativePath() {
        List<String> paths = FusedDwConvGemmTest.nativePaths();
        assumeTrue(!paths.isEmpty(), "no native depthwise kernel on this machine");
        // {kernel, stride, mult, outC, same}; depthwise outputs (the 1x1's K) multiples of 4 for 2:4
        int[][][] chains = {
            {{3, 1, 1, 16, 1}, {3, 2, 1, 24, 1}, {3, 1, 1, 20, 0}},
            {{3, 2, 2, 36, 0}, {5, 1, 1, 8, 1}},
            {{3, 2, 1, 64, 1}, {3, 2, 1, 40, 1}},
        };
        // bands (13 and 9 rows), batch 2, few rows (3 and 2 after stride 2: split by channels)
        int[][] inputs = {{1, 13, 11, 8}, {2, 9, 15, 16}, {1, 6, 7, 32}};
        int n = 0;
        for (String path : paths) {
            for (Format f : FORMATS) {
                for (int i = 0; i < inputs.length; i++) {
                    int[] in = inputs[i];
                    int[][] blocks = chains[i];
                    Model m = FusedDwConvGemmTest.chain(in[0], in[1], in[2], in[3], blocks, false, 300 + i, f.shaper());
                    String label = path + " " + f.name() + " input " + Arrays.toString(in) + " blocks "
                            + Arrays.deepToString(blocks);
                    // default (bands from 2 rows per thread), then bands from 1 row per thread
                    for (String minRows : new String[] {null, "1"}) {
                        if (minRows != null) {
                            System.setProperty(FusedDwConvGemm.MIN_ROWS_PER_THREAD_PROPERTY, minRows);
                        }
                        System.setProperty(WeightFormat.PROPERTY, f.format().label());
                        List<OpProfile.KernelChoice> choices = FusedDwConvGemmTest.check(label + " minRows " + minRows,
                                m, path, 17 + i);
                        assertFusedWith(choices, blocks.length, f.tag(), path, label);
                        System.clearProperty(WeightFormat.PROPERTY);
                        System.clearProperty(FusedDwConvGemm.MIN_ROWS_PER_THREAD_PROPERTY);
                        n++;
                    }
                }
            }
        }
        assertEquals(paths.size() * FORMATS.size() * inputs.length * 2, n);
    }

    /**
     * uint8 MobileNet v1 0.25 (128x128) pruned 2:4, pruned 85% and clustered to 16 values per
     * channel by Whittle's own optimizer: fused vs unfused fast path at threads 1..4, and the
     * 13 pairs fused, their 1x1s on the format's kernels (qu8: weights with a zero point).
     */
    private static Model read() {
        return ModelReader.read(SharedData.model("mobilenet_v1_0.25_128_quant.tflite"));
    }

    @Test
    void prunedAndClusteredModels() {
        assumeTrue(!FusedDwConvGemmTest.nativePaths().isEmpty(), "no native depthwise kernel on this machine");
        SharedData.assumeAvailable();
        Object[][] variants = {
            {"2:4", new Pruner(PruneOptions.pattern(2, 4).withSelection(SKIP_FIRST), null).apply(read()).model(),
                WeightFormat.SPARSE, "_sp24_"},
            {"85%", new Pruner(PruneOptions.sparsity(0.85).withSelection(SKIP_FIRST), null).apply(read()).model(),
                WeightFormat.SPARSE, "_sparse_"},
            {"16 per channel", new Clusterer(ClusterOptions.of(16).withPerChannel(true), null).apply(read()).model(),
                WeightFormat.LUT, "_lut"},
        };
        for (Object[] v : variants) {
            Model m = ModelReader.read(ModelWriter.toBytes((Model) v[1]));
            System.setProperty(WeightFormat.PROPERTY, ((WeightFormat) v[2]).label());
            List<OpProfile.KernelChoice> choices = FusedDwConvGemmTest.check((String) v[0], m, null, 23, false);
            assertFusedWith(choices, 13, (String) v[3], null, (String) v[0]);
            System.clearProperty(WeightFormat.PROPERTY);
        }
    }
}
