package dev.whittle.runtime;

import dev.whittle.TensorData;
import dev.whittle.model.Model;
import dev.whittle.model.ModelBuilder;
import dev.whittle.model.ModelBuilder.Activation;
import dev.whittle.model.ModelBuilder.Padding;
import dev.whittle.model.Quantization;
import dev.whittle.model.TensorType;
import dev.whittle.model.io.ModelReader;
import dev.whittle.model.io.ModelRepair;
import dev.whittle.runtime.kernels.FusedDwConvGemm;
import dev.whittle.runtime.kernels.KernelPath;
import dev.whittle.runtime.kernels.KernelRegistry;
import dev.whittle.testing.SharedData;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Fused DEPTHWISE_CONV_2D + 1x1 CONV_2D ({@link FusedDwConvGemm}): every graph output (in
 * {@link #depthwiseOutputReadElsewhereIsNotFused} the first depthwise output too) identical fused
 * and unfused ({@code -Dwhittle.fuse=false}), at threads 1..4, and equal to the reference kernels; on
 * generated chains (odd row counts, stride 2, SAME/VALID padding, depth multiplier, batch 2,
 * fewer rows than threads, RELU6 and none) on every native path of the machine, and on the real
 * MobileNet-style models. Each case asserts that the pair was fused (the profile names the
 * first node {@code DepthwiseConv2D+Conv2D}), so it cannot pass on the unfused path alone, and
 * that a depthwise output read elsewhere is not fused.
 */
class FusedDwConvGemmTest {
    static final String FUSED_OP = "DepthwiseConv2D+Conv2D";

    @AfterEach
    void clear() {
        System.clearProperty(KernelPath.PROPERTY);
        System.clearProperty(FusedDwConvGemm.PROPERTY);
        System.clearProperty(FusedDwConvGemm.MIN_ROWS_PER_THREAD_PROPERTY);
        System.clearProperty(FusedDwConvGemm.REPLICATE_PROPERTY);
        System.clearProperty(FusedDwConvGemm.PHASED_PROPERTY);
    }

    /** The fused pairs of {@code c}, in node order (read from its private node list). */
    static List<FusedDwConvGemm> pairs(CompiledModel c) {
        List<FusedDwConvGemm> out = new ArrayList<>();
        try {
            java.lang.reflect.Field f = CompiledModel.class.getDeclaredField("nodes");
            f.setAccessible(true);
            for (Object node : (Object[]) f.get(c)) {
                java.lang.reflect.Method op = node.getClass().getDeclaredMethod("op");
                op.setAccessible(true);
                if (op.invoke(node) instanceof FusedPairOp fp && fp.pair() != null) {
                    out.add(fp.pair());
                }
            }
        } catch (ReflectiveOperationException e) {
            throw new AssertionError(e);
        }
        return out;
    }

    /** The native paths this machine runs for int8 per-channel depthwise convolutions. */
    static List<String> nativePaths() {
        List<String> out = new ArrayList<>();
        for (var e : KernelRegistry.available(KernelRegistry.QS8_QC8W_DWCONV2D)) {
            if (e.path().isNative()) {
                out.add(e.path().label());
            }
        }
        return out;
    }

    /**
     * Input {@code [batch, h, w, c]}, then per block {@code {kernel, stride, mult, outC, same}}:
     * DEPTHWISE_CONV_2D (RELU6) then a 1x1 CONV_2D (none).
     */
    static Model chain(int batch, int h, int w, int c, int[][] blocks, boolean dwAlsoOutput, long seed) {
        return chain(batch, h, w, c, blocks, dwAlsoOutput, seed, null);
    }

    /**
     * As above, the 1x1 weights ({@code [outC][inC]} int8, zero 0) then rewritten by
     * {@code pwShape} (null: left random), for the weight-format kernels ({@code FusedFormatGemmTest}).
     */
    static Model chain(int batch, int h, int w, int c, int[][] blocks, boolean dwAlsoOutput, long seed,
            WeightFormatHarness.Shaper pwShape) {
        SplittableRandom r = new SplittableRandom(seed);
        ModelBuilder b = new ModelBuilder("fused");
        double inScale = 0.05;
        int x = b.input("x", TensorType.INT8, Quantization.perTensor(inScale, -3), batch, h, w, c);
        int k = 0;
        int firstDw = -1;
        for (int[] blk : blocks) {
            int kh = blk[0];
            int outDw = c * blk[2];
            float[] ws = scales(r, outDw);
            int wt = b.constant("dw" + k + "/w", bytes(r, kh * kh * outDw),
                    Quantization.perAxis(ws, new long[outDw], 3), 1, kh, kh, outDw);
            int bias = b.constant("dw" + k + "/b", ints(r, outDw), biasQuant(inScale, ws), outDw);
            int d = b.depthwiseConv2d("dw" + k, x, wt, bias, blk[4] == 1 ? Padding.SAME : Padding.VALID, blk[1],
                    Activation.RELU6);
            double dScale = 0.04 + 0.01 * k;
            b.setQuantization(d, Quantization.perTensor(dScale, -128));
            if (firstDw < 0) {
                firstDw = d;
            }
            int outC = blk[3];
            float[] ps = scales(r, outC);
            byte[] pwBytes = bytes(r, outC * outDw);
            if (pwShape != null) {
                pwShape.shape(java.nio.ByteBuffer.wrap(pwBytes), outC, outDw, outDw, 0, true,
                        new SplittableRandom(seed * 31 + k));
            }
            int pw = b.constant("pw" + k + "/w", pwBytes, Quantization.perAxis(ps, new long[outC], 0),
                    outC, 1, 1, outDw);
            int pb = b.constant("pw" + k + "/b", ints(r, outC), biasQuant(dScale, ps), outC);
            x = b.conv2d("pw" + k, d, pw, pb, Padding.SAME, 1, Activation.NONE);
            inScale = 0.06 + 0.01 * k;
            b.setQuantization(x, Quantization.perTensor(inScale, 5 - k));
            c = outC;
            k++;
        }
        b.output(x);
        if (dwAlsoOutput) {
            b.output(firstDw);
        }
        return b.build();
    }

    private static float[] scales(SplittableRandom r, int n) {
        float[] s = new float[n];
        for (int i = 0; i < n; i++) {
            s[i] = (float) (0.002 + r.nextDouble() * 0.01);
        }
        return s;
    }

    private static Quantization biasQuant(double inScale, float[] ws) {
        float[] s = new float[ws.length];
        for (int i = 0; i < ws.length; i++) {
            s[i] = (float) (inScale * ws[i]);
        }
        return Quantization.perAxis(s, new long[ws.length], 0);
    }

    private static byte[] bytes(SplittableRandom r, int n) {
        byte[] v = new byte[n];
        for (int i = 0; i < n; i++) {
            v[i] = (byte) (i % 29 == 0 ? (i % 2 == 0 ? 127 : -127) : r.nextInt(-127, 128));
        }
        return v;
    }

    private static int[] ints(SplittableRandom r, int n) {
        int[] v = new int[n];
        for (int i = 0; i < n; i++) {
            v[i] = r.nextInt(-3000, 3000);
        }
        return v;
    }

    /** {@code m} compiled with {@code path} ({@code null}: the default) and fusion on or off. */
    private static CompiledModel compile(Model m, String path, boolean fuse) {
        if (path != null) {
            System.setProperty(KernelPath.PROPERTY, path);
        }
        System.setProperty(FusedDwConvGemm.PROPERTY, Boolean.toString(fuse));
        try {
            return CompiledModel.compile(m);
        } finally {
            System.clearProperty(KernelPath.PROPERTY);
            System.clearProperty(FusedDwConvGemm.PROPERTY);
        }
    }

    /** Every output's bytes, with {@code path} ({@code null}: the default) and fusion on or off. */
    private static byte[][] run(Model m, List<TensorData> inputs, String path, boolean fuse, int threads,
            List<OpProfile.KernelChoice> choices) {
        CompiledModel c = compile(m, path, fuse);
        if (choices != null) {
            choices.addAll(OpProfile.kernelChoices(c));
        }
        return run(c, inputs, threads);
    }

    /** Every output's bytes of two invokes (asserted equal) on a context of {@code threads}. */
    private static byte[][] run(CompiledModel c, List<TensorData> inputs, int threads) {
        {
            try (ExecutionContext ctx = c.newContext(threads)) {
                for (int i = 0; i < inputs.size(); i++) {
                    ctx.setInput(i, inputs.get(i));
                }
                byte[][] out = new byte[c.outputCount()][];
                for (int rep = 0; rep < 2; rep++) {
                    ctx.invoke();
                    for (int o = 0; o < out.length; o++) {
                        byte[] now = ctx.output(o).bytes();
                        if (rep == 1) {
                            assertArrayEquals(out[o], now, "second invoke differs");
                        }
                        out[o] = now;
                    }
                }
                return out;
            }
        }
    }

    static long fusedPairs(List<OpProfile.KernelChoice> choices) {
        return choices.stream().filter(ch -> ch.op().equals(FUSED_OP)).count();
    }

    /** Reference, unfused and fused at threads 1..4 agree; returns the fused compile's choices. */
    static List<OpProfile.KernelChoice> check(String label, Model m, String path, long seed) {
        return check(label, m, path, seed, true);
    }

    /** As above; without {@code reference}, against the unfused fast path at 1 thread. */
    static List<OpProfile.KernelChoice> check(String label, Model m, String path, long seed,
            boolean reference) {
        List<TensorData> inputs = Differential.randomInputs(CompiledModel.compile(m), seed);
        byte[][] expected = run(m, inputs, reference ? "reference" : path, false, 1, null);
        CompiledModel plain = compile(m, path, false);
        CompiledModel pairs = compile(m, path, true);
        List<OpProfile.KernelChoice> choices = OpProfile.kernelChoices(pairs);
        for (int threads = 1; threads <= 4; threads++) {
            byte[][] unfused = run(plain, inputs, threads);
            byte[][] fused = run(pairs, inputs, threads);
            for (int o = 0; o < expected.length; o++) {
                assertArrayEquals(expected[o], unfused[o], label + " unfused, " + threads + " threads, output " + o);
                assertArrayEquals(expected[o], fused[o], label + " fused, " + threads + " threads, output " + o
                        + " " + choices);
            }
        }
        return choices;
    }

    @Test
    void generatedChainsOnEveryNativePath() {
        List<String> paths = nativePaths();
        assumeTrue(!paths.isEmpty(), "no native depthwise kernel on this machine");
        // {kernel, stride, mult, outC, same}
        int[][][] chains = {
            {{3, 1, 1, 16, 1}, {3, 2, 1, 24, 1}, {3, 1, 1, 17, 0}},
            {{3, 2, 1, 33, 0}, {5, 1, 1, 8, 1}},
            {{3, 1, 2, 40, 1}},
            {{3, 1, 1, 64, 1}, {3, 1, 1, 64, 1}},
        };
        int[][] inputs = {{1, 13, 11, 8}, {2, 9, 15, 16}, {1, 7, 5, 3}, {1, 5, 6, 64}, {1, 2, 9, 32}};
        int n = 0;
        for (String path : paths) {
            for (int i = 0; i < inputs.length; i++) {
                int[] in = inputs[i];
                int[][] blocks = chains[i % chains.length];
                if (in[1] < 5) { // too few rows for a chain with strides and VALID
                    blocks = new int[][] {{3, 1, 1, 16, 1}};
                }
                Model m = chain(in[0], in[1], in[2], in[3], blocks, false, 100 + i);
                String label = path + " input " + java.util.Arrays.toString(in) + " blocks "
                        + java.util.Arrays.deepToString(blocks);
                // default: bands from 2 rows per thread, fewer rows split by channels; then bands
                // from 1 row per thread (few-row layers in uneven bands)
                for (String minRows : new String[] {null, "1"}) {
                    if (minRows != null) {
                        System.setProperty(FusedDwConvGemm.MIN_ROWS_PER_THREAD_PROPERTY, minRows);
                    }
                    List<OpProfile.KernelChoice> choices = check(label + " minRows " + minRows, m, path, 7 + i);
                    assertEquals(blocks.length, fusedPairs(choices), label + ": pairs fused " + choices);
                    System.clearProperty(FusedDwConvGemm.MIN_ROWS_PER_THREAD_PROPERTY);
                    n++;
                }
            }
        }
        assertTrue(n > 0);
    }

    @Test
    void fewRowLayersSplitByChannelsOrOneAfterTheOther() {
        assumeTrue(!nativePaths().isEmpty(), "no native depthwise kernel on this machine");
        // 3, 2 and 2 output rows: under 2 per thread at 2..4 threads, split by the 1x1's channels
        // (64, 40, 8 channels: 4, 3 and 1 group of 16, the last one unsplit), more threads than rows
        Model m = chain(1, 6, 7, 16, new int[][] {{3, 2, 1, 64, 1}, {3, 2, 1, 40, 1}, {3, 1, 1, 8, 1}}, false, 5);
        List<OpProfile.KernelChoice> choices = check("few rows", m, null, 3);
        assertEquals(3, fusedPairs(choices), choices.toString());
        // batch 2, VALID, depth multiplier 2: 2 rows a batch
        m = chain(2, 5, 9, 24, new int[][] {{3, 2, 2, 33, 0}}, false, 6);
        assertEquals(1, fusedPairs(check("few rows, batch 2", m, null, 4)));
        System.setProperty(FusedDwConvGemm.REPLICATE_PROPERTY, "false");
        m = chain(1, 6, 7, 16, new int[][] {{3, 2, 1, 64, 1}, {3, 2, 1, 40, 1}}, false, 5);
        assertEquals(2, fusedPairs(check("few rows, no channel split", m, null, 3)));
    }

    /**
     * Phased split (depthwise by vectors, wait, 1x1 by channel groups): layers of few rows and
     * many channels (3 rows of 128 and 96 channels, 2 rows a batch of batch 2, 5 rows with 6 rows
     * per thread asked) at 1..4 threads (more threads than rows and than parts), identical to the
     * reference and the unfused pair; asserts that the phased split is what runs at 2+ threads.
     */
    @Test
    void fewRowLayersPhased() {
        List<String> paths = nativePaths();
        assumeTrue(!paths.isEmpty(), "no native depthwise kernel on this machine");
        Object[][] cases = {
            // {batch, h, w, c, blocks, phased rows per thread (null: default)}
            {1, 6, 6, 64, new int[][] {{3, 2, 1, 128, 1}, {3, 1, 1, 256, 1}, {3, 1, 1, 40, 1}}, null},
            {1, 5, 7, 96, new int[][] {{3, 2, 1, 33, 1}, {3, 1, 1, 48, 0}}, null},
            {2, 5, 9, 64, new int[][] {{3, 2, 2, 65, 0}}, null},
            {1, 5, 5, 128, new int[][] {{3, 1, 1, 128, 1}}, "6"},
        };
        for (String path : paths) {
            int phasedSeen = 0;
            for (int i = 0; i < cases.length; i++) {
                Object[] k = cases[i];
                int[][] blocks = (int[][]) k[4];
                Model m = chain((int) k[0], (int) k[1], (int) k[2], (int) k[3], blocks, false, 40 + i);
                if (k[5] != null) {
                    System.setProperty(FusedDwConvGemm.PHASED_PROPERTY, (String) k[5]);
                }
                try {
                    String label = path + " phased case " + i;
                    List<OpProfile.KernelChoice> choices = check(label, m, path, 50 + i);
                    assertEquals(blocks.length, fusedPairs(choices), label + " " + choices);
                    CompiledModel c = compile(m, path, true);
                    int phasedHere = 0;
                    for (FusedDwConvGemm pair : pairs(c)) {
                        assertEquals("serial", pair.split(1));
                        for (int threads = 2; threads <= 4; threads++) {
                            if (pair.split(threads).equals("phased")) {
                                phasedHere++;
                            }
                        }
                    }
                    phasedSeen += phasedHere;
                    if (path.equals("avx512vnni")) {
                        // some pair of each case is phased (AVX2 takes the channel-blocked
                        // kernel for some of these layers: no vector split there)
                        assertTrue(phasedHere > 0, label);
                    }
                } finally {
                    System.clearProperty(FusedDwConvGemm.PHASED_PROPERTY);
                }
            }
            assertTrue(phasedSeen > 0, path + ": no pair took the phased split");
        }
        // off by property: the same layers replicate the depthwise instead
        System.setProperty(FusedDwConvGemm.PHASED_PROPERTY, "0");
        Model m = chain(1, 6, 6, 64, new int[][] {{3, 2, 1, 128, 1}}, false, 40);
        CompiledModel c = compile(m, null, true);
        System.clearProperty(FusedDwConvGemm.PHASED_PROPERTY);
        assertEquals("channels", pairs(c).get(0).split(2));
    }

    /**
     * The intermediate tensor of a fused pair is written in full, by bands or (channel split) by
     * task 0: read back after invoke (the pair is the last node, so nothing reuses its memory).
     */
    @Test
    void intermediateTensorWritten() {
        assumeTrue(!nativePaths().isEmpty(), "no native depthwise kernel on this machine");
        for (int h : new int[] {3, 12}) { // 3 rows: channel split at 2+ threads; 12: bands
            Model m = chain(1, h, 10, 32, new int[][] {{3, 1, 1, 48, 1}}, false, 21 + h);
            CompiledModel plain = compile(m, null, false);
            CompiledModel pairs = compile(m, null, true);
            assertEquals(1, fusedPairs(OpProfile.kernelChoices(pairs)));
            int dw = -1;
            for (int t = 0; t < pairs.tensorCount(); t++) {
                if (pairs.tensorInfo(t).name().equals("dw0")) {
                    dw = t;
                }
            }
            assertTrue(dw >= 0);
            List<TensorData> inputs = Differential.randomInputs(pairs, h);
            byte[] expected = null;
            for (int threads = 1; threads <= 4; threads++) {
                for (CompiledModel c : new CompiledModel[] {plain, pairs}) {
                    try (ExecutionContext ctx = c.newContext(threads)) {
                        ctx.setInput(0, inputs.get(0));
                        ctx.invoke();
                        byte[] mid = ctx.tensor(dw).bytes();
                        if (expected == null) {
                            expected = mid;
                        }
                        assertArrayEquals(expected, mid, h + " rows, " + threads + " threads, fused " + (c == pairs));
                    }
                }
            }
        }
    }

    @Test
    void depthwiseOutputReadElsewhereIsNotFused() {
        assumeTrue(!nativePaths().isEmpty(), "no native depthwise kernel on this machine");
        Model m = chain(1, 9, 9, 16, new int[][] {{3, 1, 1, 16, 1}, {3, 1, 1, 16, 1}}, true, 9);
        List<OpProfile.KernelChoice> choices = check("dw output is a graph output", m, null, 4);
        // the first pair's depthwise output is a graph output: only the second pair fuses
        assertEquals(1, fusedPairs(choices), choices.toString());
        assertEquals("DepthwiseConv2D", choices.get(0).op());
        assertEquals(FUSED_OP, choices.get(2).op());
        assertEquals("Conv2D", choices.get(3).op());
        assertTrue(choices.get(3).why().contains("fused into"), choices.get(3).why());
    }

    @Test
    void fusionOffByProperty() {
        assumeTrue(!nativePaths().isEmpty(), "no native depthwise kernel on this machine");
        Model m = chain(1, 9, 9, 16, new int[][] {{3, 1, 1, 16, 1}}, false, 9);
        System.setProperty(FusedDwConvGemm.PROPERTY, "false");
        assertEquals(0, fusedPairs(OpProfile.kernelChoices(CompiledModel.compile(m))));
        System.clearProperty(FusedDwConvGemm.PROPERTY);
        List<OpProfile.KernelChoice> on = OpProfile.kernelChoices(CompiledModel.compile(m));
        assertEquals(1, fusedPairs(on));
        // the profile still names each node's own kernel
        assertTrue(on.get(0).kernel().contains("dwconv2d"), on.toString());
        assertTrue(on.get(1).kernel().contains("conv2d_gemm"), on.toString());
    }

    /**
     * The single-pixel pools split by channels at 2 threads and more (Pool2DJava, person_detect's
     * global average pool after the last fused pair): identical at threads 1..4 to the reference,
     * 8-bit, 16-bit and float, average and max, channels around the split.
     */
    @Test
    void globalPoolsSplitByChannels() {
        int n = 0;
        for (TensorType type : new TensorType[] {TensorType.INT8, TensorType.UINT8, TensorType.INT16,
            TensorType.FLOAT32}) {
            for (int c : new int[] {63, 128, 131, 256}) {
                for (boolean max : new boolean[] {false, true}) {
                    ModelBuilder b = new ModelBuilder("pool");
                    Quantization q = type == TensorType.FLOAT32 ? null
                            : Quantization.perTensor(0.05, type == TensorType.INT8 ? -5 : type == TensorType.UINT8 ? 120 : 0);
                    int x = q == null ? b.input("x", type, 1, 3, 3, c) : b.input("x", type, q, 1, 3, 3, c);
                    b.output(max ? b.maxPool2d("p", x, 3, 1, Padding.VALID) : b.averagePool2d("p", x, 3, 1, Padding.VALID));
                    Model m = b.build();
                    List<TensorData> inputs = Differential.randomInputs(CompiledModel.compile(m), c);
                    byte[][] expected = run(m, inputs, "reference", true, 1, null);
                    for (int threads = 1; threads <= 4; threads++) {
                        List<OpProfile.KernelChoice> choices = new ArrayList<>();
                        byte[][] got = run(m, inputs, null, true, threads, choices);
                        assertTrue(choices.get(0).kernel().endsWith("pool2d__java"), choices.toString()); // float: not split
                        assertArrayEquals(expected[0], got[0], type + " " + c + " channels max " + max + ", "
                                + threads + " threads");
                        n++;
                    }
                }
            }
        }
        assertEquals(4 * 4 * 2 * 4, n);
    }

    /** The real models: fused vs unfused, threads 1..4, and the pairs fused. */
    @Test
    void realModels() throws Exception {
        assumeTrue(!nativePaths().isEmpty(), "no native depthwise kernel on this machine");
        SharedData.assumeAvailable();
        // person_detect: 13 depthwise + 1x1 blocks (the first depthwise is its stem convolution of
        // one channel, followed by a depthwise); MobileNet v2: 17 blocks end in a 1x1 projection.
        String[][] models = {{"person_detect_int8.tflite", "13"}, {"mobilenet_v1_0.25_128_quant.tflite", "13"},
            {"mobilenet_v2_1.0_224_quant.tflite", "17"}};
        for (String[] mm : models) {
            Model m = ModelReader.read(SharedData.model(mm[0]));
            ModelRepair.repair(m);
            // against the unfused fast path: the reference kernels on these are covered elsewhere
            List<OpProfile.KernelChoice> choices = check(mm[0], m, null, 11, false);
            assertEquals(Integer.parseInt(mm[1]), fusedPairs(choices), mm[0] + ": " + choices);
        }
    }
}
