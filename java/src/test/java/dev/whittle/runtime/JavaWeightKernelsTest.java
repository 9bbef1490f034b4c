package dev.whittle.runtime;

import dev.whittle.TensorData;
import dev.whittle.internal.vectorization.VectorizationProvider;
import dev.whittle.model.Model;
import dev.whittle.model.TensorType;
import dev.whittle.runtime.Q8GemmConvTest.Conv;
import dev.whittle.runtime.kernels.ConvKernelFactory;
import dev.whittle.runtime.kernels.JavaWeightKernels;
import dev.whittle.runtime.kernels.KernelFamily;
import dev.whittle.runtime.kernels.KernelPath;
import dev.whittle.runtime.kernels.KernelRegistry;
import dev.whittle.runtime.kernels.WeightFormat;
import dev.whittle.runtime.kernels.WeightStats;
import dev.whittle.runtime.kernels.reference.ConvParams;
import dev.whittle.runtime.kernels.reference.FullyConnectedReference.QuantParams;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The Java-path weight-format kernels ({@link JavaWeightKernels}: {@code *_lut4_4x<nr>__panama*})
 * against the dense reference, bit for bit, under {@code -Dwhittle.kernels=java} with the format
 * forced, at 1 and 3 threads, the dispatched kernel's name checked; and the plain-Java twin
 * ({@code __scalar}) on the same node. LUT: qs8, qs8_qc8w and qu8; 1, 2, 3, 8, 15, 16 values per
 * layer, alone and with 50% and 100% zeros and all-zero rows; output channels 1..70 and K
 * around the pair and vector sizes (1..9, 15..17, 31..33, 63..65); 1x1 and 3x3, strides 1 and
 * 2, SAME and VALID, batch 2; zero points at both ends; saturating and tiny multipliers; FC at
 * batch 1..5. Declined: 33 or more values in a channel (the dense Java GEMM runs, same outputs);
 * {@code -Dwhittle.weights=dense} forces dense. Session 14, the panel LUT kernels ({@code lut4pc},
 * {@code lut5}, {@code lut5pc}): the {@code lutPanel*} methods and the clustered MobileNet v2.
 *
 * <p>Run on 256-bit vectors too: {@code -Dwhittle.jvm.flags="--add-modules jdk.incubator.vector
 * --enable-native-access=ALL-UNNAMED -XX:UseAVX=2"}.
 */
class JavaWeightKernelsTest {
    private static final List<KernelFamily<ConvKernelFactory>> FAMILIES = List.of(KernelRegistry.QS8_CONV2D,
            KernelRegistry.QS8_QC8W_CONV2D, KernelRegistry.QU8_CONV2D);
    private static final int[] OUT = {1, 2, 3, 5, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65, 70};
    private static final int[] K = {1, 2, 3, 4, 5, 6, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65};
    private static final String LUT = "_lut4_";

    @AfterEach
    void clear() {
        System.clearProperty(KernelPath.PROPERTY);
        System.clearProperty(WeightFormat.PROPERTY);
    }

    private static String isa() {
        return "__" + VectorizationProvider.get().isa();
    }

    /**
     * Compiles {@code m} on the Java path with {@code format}, checks the dispatched kernel name
     * contains {@code tag} (null: a dense {@code _gemm_} kernel), compares with the reference at
     * 1 and 3 threads, and the plain twin where a format kernel ran.
     */
    private static void check(Model m, KernelFamily<?> dense, WeightFormat format, String tag, String label,
            long seed, int extremes) {
        try {
            System.setProperty(KernelPath.PROPERTY, "reference");
            System.setProperty(WeightFormat.PROPERTY, "dense");
            CompiledModel ref = CompiledModel.compile(m);
            TensorData in = Q8GemmConvTest.input(ref, seed + 1, extremes);
            byte[] expected = Q8GemmConvTest.run(ref, in, 1);
            System.setProperty(KernelPath.PROPERTY, "java");
            System.setProperty(WeightFormat.PROPERTY, format.label());
            CompiledModel java = CompiledModel.compile(m);
            String kernel = OpProfile.kernelNames(java).get(0);
            String want = tag == null ? "_gemm_" : tag;
            assertTrue(kernel.contains(want) && kernel.endsWith(isa()), label + ": expected a " + want + " kernel"
                    + isa() + ", dispatched " + kernel + " because " + OpProfile.kernelChoices(java));
            for (int threads : new int[] {1, 3}) {
                assertArrayEquals(expected, Q8GemmConvTest.run(java, in, threads),
                        kernel + " threads " + threads + " differs from the reference on " + label);
                if (tag != null) {
                    JavaWeightKernels.Format f = kernel.contains("_lut") ? JavaWeightKernels.Format.LUT
                            : kernel.contains("_sp24_") ? JavaWeightKernels.Format.SP24
                            : JavaWeightKernels.Format.SPARSE;
                    assertArrayEquals(expected, plain(java, dense, f, in, threads),
                            kernel + " plain twin, threads " + threads + " differs on " + label);
                }
            }
        } finally {
            System.clearProperty(KernelPath.PROPERTY);
            System.clearProperty(WeightFormat.PROPERTY);
        }
    }

    /** Runs the plain-Java twin of node 0's format kernel in a context of the compiled model. */
    @SuppressWarnings("unchecked")
    private static byte[] plain(CompiledModel c, KernelFamily<?> dense, JavaWeightKernels.Format format,
            TensorData x, int threads) {
        Object prepared = c.nodePrepared(0);
        try (ExecutionContext ctx = c.newContext(threads)) {
            Object params = prepared;
            if (!(prepared instanceof ConvParams)) {
                // FULLY_CONNECTED prepares (kernel, params): the ops package's record
                java.lang.reflect.Method get = prepared.getClass().getDeclaredMethod("params");
                get.setAccessible(true);
                params = get.invoke(prepared);
            }
            ctx.setInput(0, x);
            java.lang.reflect.Field field = ExecutionContext.class.getDeclaredField("state");
            field.setAccessible(true);
            ExecutionState state = (ExecutionState) field.get(ctx);
            Kernel<Object> twin;
            if (params instanceof ConvParams p) {
                int k = p.kh() * p.kw() * p.inC();
                ByteBuffer filter = slice(state, p.filter(), p.outC() * k);
                ByteBuffer bias = p.bias() < 0 ? null : slice(state, p.bias(), p.outC() * 4);
                WeightStats stats = WeightStats.of(filter, p.outC(), k, p.inC(), !dense.name().startsWith("qu8"),
                        dense.name().startsWith("qu8") ? p.filterOffset() : 0);
                twin = (Kernel<Object>) (Kernel<?>) JavaWeightKernels.conv(format, VectorizationProvider.plain(), false)
                        .create((KernelFamily<ConvKernelFactory>) dense, p, filter, bias, stats);
            } else {
                QuantParams p = (QuantParams) params;
                ByteBuffer w = slice(state, p.weights(), p.outFeatures() * p.inFeatures());
                ByteBuffer bias = p.bias() < 0 ? null : slice(state, p.bias(), p.outFeatures() * 4);
                WeightStats stats = WeightStats.of(w, p.outFeatures(), p.inFeatures(), p.inFeatures(),
                        !dense.name().startsWith("qu8"), p.weightsOffset());
                twin = (Kernel<Object>) (Kernel<?>) JavaWeightKernels.fc(format, VectorizationProvider.plain(), false)
                        .create((KernelFamily<dev.whittle.runtime.kernels.QuantizedFullyConnectedFactory>) dense, p,
                                w, bias, stats);
            }
            assertNotNull(twin);
            assertTrue(twin.name().endsWith("__scalar"), twin.name());
            // The context sized its worker scratch for the dispatched kernel; the twin must fit in it.
            Object dispatched = params instanceof ConvParams cp ? cp.kernel() : null;
            if (dispatched instanceof dev.whittle.runtime.kernels.WorkerScratch ws) {
                long need = ((dev.whittle.runtime.kernels.WorkerScratch) twin).workerScratchBytes();
                assertTrue(need <= ws.workerScratchBytes(),
                        twin.name() + " needs more scratch than " + dispatched);
            }
            twin.run(params, state);
            return ctx.output(0).bytes();
        } catch (ReflectiveOperationException e) {
            throw new AssertionError(e);
        }
    }

    private static ByteBuffer slice(ExecutionState s, int tensor, int bytes) {
        return s.buffer(tensor).slice(s.offset(tensor), bytes).order(ByteOrder.LITTLE_ENDIAN);
    }

    private static void conv(KernelFamily<ConvKernelFactory> family, Conv c, long seed,
            WeightFormatHarness.Shaper shaper, String tag) {
        conv(family, c, seed, shaper, WeightFormat.LUT, tag);
    }

    private static void conv(KernelFamily<ConvKernelFactory> family, Conv c, long seed,
            WeightFormatHarness.Shaper shaper, WeightFormat format, String tag) {
        Model m = Q8GemmConvTest.build(family, c, seed, shaper);
        // One channel with per-axis scales is per-tensor quantization: the qs8 family.
        KernelFamily<?> dense = family == KernelRegistry.QS8_QC8W_CONV2D && c.outC() == 1 ? KernelRegistry.QS8_CONV2D
                : family;
        check(m, dense, format, tag, family.name() + " " + c.label(), seed, c.extremes());
    }

    private static void fc(TensorType type, boolean perChannel, int batches, int k, int n, int extremes, int scale,
            long seed, WeightFormatHarness.Shaper shaper) {
        fc(type, perChannel, batches, k, n, extremes, scale, seed, shaper, WeightFormat.LUT, LUT);
    }

    private static void fc(TensorType type, boolean perChannel, int batches, int k, int n, int extremes, int scale,
            long seed, WeightFormatHarness.Shaper shaper, WeightFormat format, String tag) {
        Model m = Q8GemmFullyConnectedTest.build(type, perChannel, batches, k, n, extremes, scale, seed % 3 != 0, 0,
                seed, shaper);
        KernelFamily<?> dense = type == TensorType.UINT8 ? KernelRegistry.QU8_FULLY_CONNECTED
                : perChannel && n > 1 ? KernelRegistry.QS8_QC8W_FULLY_CONNECTED : KernelRegistry.QS8_FULLY_CONNECTED;
        String label = type + (perChannel ? " per-channel" : "") + " fc " + batches + "x" + k + " -> " + n
                + " extremes " + extremes + " scale " + scale;
        check(m, dense, format, tag, label, seed, extremes);
    }

    @Test
    void lutClustersPerLayer() {
        long seed = 1;
        for (KernelFamily<ConvKernelFactory> f : FAMILIES) {
            for (int clusters : new int[] {1, 2, 3, 8, 15, 16}) {
                conv(f, new Conv(1, 5, 4, 33, 17, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, true), seed++,
                        WeightFormatHarness.clustered(clusters, false), LUT);
            }
        }
    }

    @Test
    void lutConvChannelsAndK() {
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
                conv(f, c, seed++, WeightFormatHarness.clustered(16, false), LUT);
                i++;
            }
        }
    }

    @Test
    void lutZeroPointsAtBothEndsAndSaturation() {
        long seed = 300;
        for (KernelFamily<ConvKernelFactory> f : FAMILIES) {
            for (int extremes : new int[] {1, 2}) {
                for (int scale : new int[] {0, 1, 2}) {
                    conv(f, new Conv(2, 5, 5, 9, 20, 3, 3, 2, 2, 1, 1, extremes - 1, 0, extremes, scale, true),
                            seed++, WeightFormatHarness.clustered(16, false), LUT);
                }
            }
        }
        for (TensorType t : new TensorType[] {TensorType.INT8, TensorType.UINT8}) {
            for (int extremes : new int[] {1, 2}) {
                for (int scale : new int[] {1, 2}) {
                    fc(t, false, 2, 65, 33, extremes, scale, seed++, WeightFormatHarness.clustered(16, false));
                }
            }
        }
    }

    @Test
    void lutSparsityAndZeroRows() {
        long seed = 400;
        for (KernelFamily<ConvKernelFactory> f : FAMILIES) {
            conv(f, new Conv(1, 6, 6, 31, 18, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, true), seed++,
                    WeightFormatHarness.clustered(16, false).then(WeightFormatHarness.unstructured(0.5)), LUT);
            conv(f, new Conv(1, 5, 5, 7, 9, 3, 3, 1, 1, 1, 1, 0, 0, 0, 0, true), seed++,
                    WeightFormatHarness.unstructured(0.5).then(WeightFormatHarness.clustered(15, false)), LUT);
            conv(f, new Conv(1, 4, 4, 16, 3, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, false), seed++,
                    WeightFormatHarness.unstructured(1.0), LUT);
            conv(f, new Conv(1, 4, 5, 24, 40, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, true), seed++,
                    WeightFormatHarness.clustered(8, false).then(WeightFormatHarness.zeroRows(3)), LUT);
        }
    }

    @Test
    void lutFullyConnected() {
        long seed = 500;
        int i = 0;
        for (TensorType t : new TensorType[] {TensorType.INT8, TensorType.UINT8}) {
            for (int n : new int[] {1, 7, 16, 17, 33, 70}) {
                int k = K[(i * 5) % K.length];
                fc(t, t == TensorType.INT8 && i % 2 == 0, 1 + i % 5, k, n, 0, 0, seed++,
                        WeightFormatHarness.clustered(1 + i % 16, false));
                i++;
            }
        }
    }

    @Test
    void lutDeclinesPerChannelTablesAndForcedDense() {
        long seed = 600;
        Conv c = new Conv(1, 5, 4, 33, 17, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, true);
        for (KernelFamily<ConvKernelFactory> f : FAMILIES) {
            // per-channel tables and 17-32 values: the panel LUT kernels (session 14, lutPanel* below);
            // 33 values in a channel: declined
            conv(f, c, seed++, exact(33, true), null);
            conv(f, c, seed++, exact(33, false), null);
            Model m = Q8GemmConvTest.build(f, c, seed, WeightFormatHarness.clustered(16, false));
            check(m, f, WeightFormat.DENSE, null, f.name() + " dense forced", seed++, 0);
        }
    }

    @Test
    void registeredOnTheJavaPath() {
        assertEquals(KernelPath.JAVA, KernelRegistry.available(KernelRegistry.CONV2D_LUT).get(0).path());
        assertEquals(KernelPath.JAVA, KernelRegistry.available(KernelRegistry.FULLY_CONNECTED_LUT).get(0).path());
    }

    // ---- sparse (pixels in lanes) and 2:4 ----

    private static final String SPARSE = "_sp"; // _sparse_ or _sp24_ (2:4-conforming layers)

    @Test
    void sparseSparsities() {
        long seed = 1000;
        double[] sparsities = {0, 0.5, 0.8, 0.95, 1.0};
        for (KernelFamily<ConvKernelFactory> f : FAMILIES) {
            for (double sp : sparsities) {
                conv(f, new Conv(2, 5, 7, 33, 17, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, true), seed++,
                        WeightFormatHarness.unstructured(sp), WeightFormat.SPARSE, SPARSE);
            }
            conv(f, new Conv(1, 6, 6, 40, 24, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, true), seed++,
                    WeightFormatHarness.unstructured(0.8).then(WeightFormatHarness.zeroRows(3)), WeightFormat.SPARSE,
                    SPARSE);
            conv(f, new Conv(1, 6, 6, 64, 20, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, true), seed++,
                    WeightFormatHarness.blocks(0.8, 4), WeightFormat.SPARSE, SPARSE);
            conv(f, new Conv(1, 5, 7, 48, 20, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, true), seed++,
                    WeightFormatHarness.blocks(0.8, 16), WeightFormat.SPARSE, SPARSE);
        }
    }

    @Test
    void sparseConvChannelsAndK() {
        long seed = 1100;
        int i = 0;
        for (KernelFamily<ConvKernelFactory> f : FAMILIES) {
            for (int oc : OUT) {
                int inC = K[(i * 7) % K.length];
                boolean three = i % 3 == 1;
                int stride = i % 4 == 2 ? 2 : 1;
                int batch = i % 5 == 0 ? 2 : 1;
                int padding = i % 2;
                Conv c = new Conv(batch, three ? 7 : 9, three ? 6 : 7, inC, oc, three ? 3 : 1, three ? 3 : 1, stride,
                        stride, 1, 1, padding, i % 7 == 3 ? 3 : 0, 0, 0, i % 6 != 5);
                conv(f, c, seed++, WeightFormatHarness.unstructured(i % 2 == 0 ? 0.8 : 0.6), WeightFormat.SPARSE,
                        SPARSE);
                i++;
            }
        }
    }

    @Test
    void sparseBlocksOfRowsAndExtremes() {
        long seed = 1200;
        for (KernelFamily<ConvKernelFactory> f : FAMILIES) {
            // K = 700: 32 rows per block, 35 pixels: two blocks, one of 3 pixels
            conv(f, new Conv(1, 5, 7, 700, 19, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, true), seed++,
                    WeightFormatHarness.unstructured(0.9), WeightFormat.SPARSE, SPARSE);
            for (int extremes : new int[] {1, 2}) {
                for (int scale : new int[] {0, 1, 2}) {
                    conv(f, new Conv(2, 5, 5, 9, 20, 3, 3, 2, 2, 1, 1, extremes - 1, 0, extremes, scale, true),
                            seed++, WeightFormatHarness.unstructured(0.7), WeightFormat.SPARSE, SPARSE);
                }
            }
        }
        for (TensorType t : new TensorType[] {TensorType.INT8, TensorType.UINT8}) {
            for (int extremes : new int[] {1, 2}) {
                for (int scale : new int[] {1, 2}) {
                    fc(t, false, 3, 65, 33, extremes, scale, seed++, WeightFormatHarness.unstructured(0.8),
                            WeightFormat.SPARSE, SPARSE);
                }
            }
        }
    }

    @Test
    void sparseFullyConnected() {
        long seed = 1300;
        int i = 0;
        for (TensorType t : new TensorType[] {TensorType.INT8, TensorType.UINT8}) {
            for (int batches : new int[] {1, 2, 7, 16, 17, 33}) {
                int k = K[(i * 5) % K.length];
                int n = OUT[(i * 3) % OUT.length];
                fc(t, t == TensorType.INT8 && i % 2 == 0, batches, k, n, 0, 0, seed++,
                        WeightFormatHarness.unstructured(0.3 * (i % 4)), WeightFormat.SPARSE, SPARSE);
                i++;
            }
        }
    }

    @Test
    void sp24ConvAndFullyConnected() {
        long seed = 1400;
        int i = 0;
        for (KernelFamily<ConvKernelFactory> f : FAMILIES) {
            for (int inC : new int[] {4, 8, 16, 32, 64}) {
                int oc = OUT[(i * 5) % OUT.length];
                boolean three = i % 2 == 1;
                int s = 1 + i % 3 / 2;
                conv(f, new Conv(1 + i % 2, 6, 5, inC, oc, three ? 3 : 1, three ? 3 : 1, s, s, 1, 1, i % 2, 0, i % 3,
                        i % 3, true), seed++, WeightFormatHarness.sparse24(), WeightFormat.SPARSE,
                        "_sp24_");
                i++;
            }
        }
        for (TensorType t : new TensorType[] {TensorType.INT8, TensorType.UINT8}) {
            fc(t, false, 5, 128, 40, 0, 0, seed++, WeightFormatHarness.sparse24(), WeightFormat.SPARSE, "_sp24_");
        }
    }

    @Test
    void sparseAutoDeclinesDenseLayers() {
        long seed = 1500;
        Conv c = new Conv(1, 6, 6, 32, 17, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, true);
        for (KernelFamily<ConvKernelFactory> f : FAMILIES) {
            conv(f, c, seed++, WeightFormatHarness.unstructured(0.2), WeightFormat.AUTO, null);
            conv(f, c, seed++, WeightFormatHarness.unstructured(0.9), WeightFormat.DENSE, null);
            // auto takes the sparse kernel from 75% zeros, K >= 64 and 32 pixels (JavaWeightKernels.AUTO_SPARSE_*)
            conv(f, new Conv(1, 8, 8, 96, 40, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, true), seed++,
                    WeightFormatHarness.unstructured(0.85), WeightFormat.AUTO, "_sparse_");
            conv(f, new Conv(1, 8, 8, 32, 40, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, true), seed++,
                    WeightFormatHarness.unstructured(0.85), WeightFormat.AUTO, null);
            // auto never takes the Java LUT or 2:4 kernels (slower than dense: JavaWeightKernels)
            conv(f, new Conv(1, 8, 8, 96, 40, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, true), seed++,
                    WeightFormatHarness.clustered(16, false), WeightFormat.AUTO, null);
            conv(f, new Conv(1, 8, 8, 96, 40, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, true), seed++,
                    WeightFormatHarness.sparse24(), WeightFormat.AUTO, null);
        }
    }

    // ---- issue 9, session 14: the panel LUT kernels (Int8LutPanelGemm: lut4pc, lut5, lut5pc) ----

    private static final String LUT4PC = "_lut4pc_";
    private static final String LUT5 = "_lut5_";
    private static final String LUT5PC = "_lut5pc_";
    private static final int[] PANEL_K = {1, 2, 3, 7, 8, 9, 15, 16, 17, 31, 32, 33, 47, 63, 64, 65, 127, 128, 129};

    /**
     * Exactly {@code values} distinct weights per channel ({@code perChannel}: a new random set for
     * each channel) or in the layer (one set; channel {@code o} takes them cyclically from offset
     * {@code o}), every one used where {@code k >= values}. Zero points are not kept: the sets
     * are random bytes (int8 within [-127, 127]). {@code values} 1..255.
     */
    static WeightFormatHarness.Shaper exact(int values, boolean perChannel) {
        return (w, n, k, inner, zero, signed, r) -> {
            int[] set = null;
            for (int o = 0; o < n; o++) {
                if (set == null || perChannel) {
                    set = new int[values];
                    java.util.Set<Integer> used = new java.util.HashSet<>();
                    for (int i = 0; i < values; i++) {
                        int v;
                        do {
                            v = signed ? r.nextInt(-127, 128) : r.nextInt(256);
                        } while (!used.add(v));
                        set[i] = v;
                    }
                }
                for (int j = 0; j < k; j++) {
                    w.put(o * k + j, (byte) set[(j + (perChannel ? 0 : o)) % values]);
                }
            }
        };
    }

    /**
     * Distinct values at the 16/17/32/33 boundaries, per channel and per layer: <= 16 in the layer
     * is lut4, <= 16 per channel lut4pc, 17-32 in the layer lut5, 17-32 per channel lut5pc, 33 in a
     * channel declined (dense); qs8, qs8_qc8w, qu8; K = 33 and 129 (every value used).
     */
    @Test
    void lutPanelValuesPerChannelAndLayer() {
        long seed = 2000;
        for (KernelFamily<ConvKernelFactory> f : FAMILIES) {
            for (int k : new int[] {33, 129}) {
                Conv c = new Conv(1, 5, 4, k, 21, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, true);
                conv(f, c, seed++, exact(16, false), LUT);
                conv(f, c, seed++, exact(17, false), LUT5);
                conv(f, c, seed++, exact(32, false), LUT5);
                conv(f, c, seed++, exact(33, false), null);
                for (int v : new int[] {2, 5, 9, 15, 16}) {
                    conv(f, c, seed++, exact(v, true), LUT4PC);
                }
                for (int v : new int[] {17, 24, 31, 32}) {
                    conv(f, c, seed++, exact(v, true), LUT5PC);
                }
                conv(f, c, seed++, exact(33, true), null);
            }
        }
    }

    /**
     * Output channels 1..70 and K 1..129 around the vector widths (16 and 32 int lanes, pairs and
     * bit-plane bytes of 8), 1x1 and 3x3, strides 1 and 2, SAME and VALID, batch 2, with and
     * without bias; 16 per channel, 32 per layer and 32 per channel in turn (a tag of "_lut":
     * tiny layers may have <= 16 values in all and take lut4).
     */
    @Test
    void lutPanelConvChannelsAndK() {
        long seed = 2200;
        int i = 0;
        int[] out = {1, 2, 3, 5, 7, 8, 9, 15, 16, 17, 31, 32, 33, 47, 63, 64, 65, 70};
        for (KernelFamily<ConvKernelFactory> f : FAMILIES) {
            for (int oc : out) {
                int inC = PANEL_K[(i * 7) % PANEL_K.length];
                boolean three = i % 3 == 1 && inC <= 33;
                int stride = i % 4 == 2 ? 2 : 1;
                int batch = i % 5 == 0 ? 2 : 1;
                int padding = i % 2;
                Conv c = new Conv(batch, three ? 6 : 5, three ? 5 : 7, inC, oc, three ? 3 : 1, three ? 3 : 1, stride,
                        stride, 1, 1, padding, i % 7 == 3 ? 3 : 0, 0, 0, i % 6 != 5);
                WeightFormatHarness.Shaper shaper = switch (i % 3) {
                    case 0 -> exact(16, true);
                    case 1 -> exact(32, false);
                    default -> exact(32, true);
                };
                conv(f, c, seed++, shaper, "_lut");
                i++;
            }
        }
    }

    /** Zero points at both ends of the range, saturating and tiny multipliers; conv and FC. */
    @Test
    void lutPanelZeroPointsAtBothEndsAndSaturation() {
        long seed = 2400;
        for (KernelFamily<ConvKernelFactory> f : FAMILIES) {
            for (int extremes : new int[] {1, 2}) {
                for (int scale : new int[] {0, 1, 2}) {
                    conv(f, new Conv(2, 5, 5, 9, 20, 3, 3, 2, 2, 1, 1, extremes - 1, 0, extremes, scale, true),
                            seed++, exact(scale == 1 ? 32 : 16, true), scale == 1 ? LUT5PC : LUT4PC);
                }
            }
        }
        for (TensorType t : new TensorType[] {TensorType.INT8, TensorType.UINT8}) {
            for (int extremes : new int[] {1, 2}) {
                for (int scale : new int[] {1, 2}) {
                    fc(t, false, 2, 65, 33, extremes, scale, seed++, exact(16, true), WeightFormat.LUT, LUT4PC);
                    fc(t, false, 3, 65, 33, extremes, scale, seed++, exact(32, false), WeightFormat.LUT, LUT5);
                }
            }
        }
    }

    /** Fully connected at batch 1..7, K 1..129, N 1..70; int8 (per-tensor and per-channel) and uint8. */
    @Test
    void lutPanelFullyConnected() {
        long seed = 2600;
        int i = 0;
        for (TensorType t : new TensorType[] {TensorType.INT8, TensorType.UINT8}) {
            for (int n : new int[] {1, 7, 16, 17, 33, 64, 70}) {
                int k = PANEL_K[(i * 5 + 3) % PANEL_K.length];
                WeightFormatHarness.Shaper shaper = switch (i % 3) {
                    case 0 -> exact(16, true);
                    case 1 -> exact(17 + i % 16, false);
                    default -> exact(17 + i % 16, true);
                };
                fc(t, t == TensorType.INT8 && i % 2 == 0, 1 + i % 7, k, n, 0, 0, seed++, shaper, WeightFormat.LUT,
                        "_lut");
                i++;
            }
        }
    }

    /**
     * lut4pc's two decodes on an AVX-512 VBMI machine: the default (two-vector selectFrom over 8
     * channels' tables, channel-major tables) and, with {@code -Dwhittle.lut.javaTree=true}, the
     * blend tree over transposed tables (what AVX2 and AVX-512 without VBMI run); elsewhere both
     * runs take the tree.
     */
    @Test
    void lutPanelBothDecodes() {
        long seed = 2900;
        for (String tree : new String[] {"false", "true"}) {
            System.setProperty("whittle.lut.javaTree", tree);
            try {
                for (KernelFamily<ConvKernelFactory> f : FAMILIES) {
                    for (int oc : new int[] {1, 9, 32, 33, 70}) {
                        int k = new int[] {1, 2, 17, 64, 129}[(int) (seed % 5)];
                        conv(f, new Conv(1, 5, 6, k, oc, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, true), seed++, exact(16, true),
                                "_lut");
                    }
                    fc(TensorType.UINT8, false, 1 + (int) (seed % 4), 65, 70, 0, 0, seed++, exact(16, true),
                            WeightFormat.LUT, LUT4PC);
                }
            } finally {
                System.clearProperty("whittle.lut.javaTree");
            }
        }
    }

    /**
     * No allocation per invoke once C2 has compiled the panel kernels (vectors kept in registers,
     * the VBMI shuffle a constant): lut4pc, lut5, lut5pc convolutions (two tiles, the second narrow)
     * and lut4pc fully connected at batch 1 and 4, on the Java path. Warm-up as
     * {@code Int8ConvJavaPathTest.javaPathInvokeDoesNotAllocate} (rounds until one is clean, up to 60 s).
     */
    @Test
    void lutPanelInvokeDoesNotAllocate() {
        long seed = 3000;
        Conv c = new Conv(1, 4, 4, 40, 40, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, true);
        List<Model> models = List.of(Q8GemmConvTest.build(KernelRegistry.QU8_CONV2D, c, seed++, exact(16, true)),
                Q8GemmConvTest.build(KernelRegistry.QS8_CONV2D, c, seed++, exact(32, false)),
                Q8GemmConvTest.build(KernelRegistry.QS8_QC8W_CONV2D, c, seed++, exact(32, true)),
                Q8GemmFullyConnectedTest.build(TensorType.UINT8, false, 1, 40, 40, 0, 0, true, 0, seed, exact(16, true)),
                Q8GemmFullyConnectedTest.build(TensorType.INT8, true, 4, 40, 40, 0, 0, true, 0, seed + 1,
                        exact(16, true)));
        com.sun.management.ThreadMXBean mx =
                (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        long tid = Thread.currentThread().threadId();
        for (Model m : models) {
            CompiledModel compiled;
            try {
                System.setProperty(KernelPath.PROPERTY, "java");
                System.setProperty(WeightFormat.PROPERTY, "lut");
                compiled = CompiledModel.compile(m);
            } finally {
                clear();
            }
            String kernel = OpProfile.kernelNames(compiled).get(0);
            assertTrue(kernel.contains("_lut4pc_") || kernel.contains("_lut5_") || kernel.contains("_lut5pc_"), kernel);
            try (ExecutionContext ctx = compiled.newContext()) {
                ctx.setInput(0, Q8GemmConvTest.input(compiled, seed, 0));
                long allocated = Long.MAX_VALUE;
                long deadline = System.nanoTime() + 60_000_000_000L;
                for (int round = 0; (round < 40 || System.nanoTime() < deadline) && allocated >= 4 * 1024; round++) {
                    for (int i = 0; i < 5_000; i++) {
                        ctx.invoke();
                    }
                    long before = mx.getThreadAllocatedBytes(tid);
                    for (int i = 0; i < 1000; i++) {
                        ctx.invoke();
                    }
                    allocated = mx.getThreadAllocatedBytes(tid) - before;
                }
                assertTrue(allocated < 4 * 1024, allocated + " bytes allocated by 1000 invokes of " + kernel);
            }
        }
    }

    /** auto never takes the panel LUT kernels (JavaWeightKernels.AUTO_LUT_PANEL: at best parity); dense forced declines. */
    @Test
    void lutPanelAutoAndDenseDecline() {
        long seed = 2800;
        Conv c = new Conv(1, 12, 12, 96, 40, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, true);
        for (KernelFamily<ConvKernelFactory> f : FAMILIES) {
            conv(f, c, seed++, exact(16, true), WeightFormat.AUTO, null);
            conv(f, c, seed++, exact(32, false), WeightFormat.AUTO, null);
            conv(f, c, seed++, exact(32, true), WeightFormat.DENSE, null);
        }
    }

    /**
     * The whole clustered MobileNet v2 ({@code whittle cluster -n 16 --per-channel}) on the Java
     * path with {@code -Dwhittle.weights=lut}: outputs identical to the dense Java path at 1 and 2
     * threads, most convolutions on lut4pc, and the resident weight bytes at most 57% of dense
     * int8's (the reference path's). Skipped where ../shared is absent.
     */
    @Test
    void clusteredMobileNetV2PerChannelEqualsDense() throws Exception {
        Model m = new dev.whittle.optimize.Clusterer(dev.whittle.optimize.ClusterOptions.of(16).withPerChannel(true),
                null).apply(dev.whittle.model.io.ModelReader.read(
                        dev.whittle.testing.SharedData.model("mobilenet_v2_1.0_224_quant.tflite"))).model();
        try {
            System.setProperty(KernelPath.PROPERTY, "reference");
            System.setProperty(WeightFormat.PROPERTY, "dense");
            long denseInt8 = CompiledModel.compile(m).residentWeightBytes();
            System.setProperty(KernelPath.PROPERTY, "java");
            CompiledModel dense = CompiledModel.compile(m);
            TensorData in = Q8GemmConvTest.input(dense, 7, 0);
            System.setProperty(WeightFormat.PROPERTY, "lut");
            CompiledModel lut = CompiledModel.compile(m);
            List<String> names = OpProfile.kernelNames(lut);
            long panel = names.stream().filter(n -> n.contains(LUT4PC) && n.endsWith(isa())).count();
            assertTrue(panel >= 30, "expected lut4pc on most 1x1 convolutions: " + names);
            for (int threads : new int[] {1, 2}) {
                assertArrayEquals(Q8GemmConvTest.run(dense, in, threads), Q8GemmConvTest.run(lut, in, threads),
                        "clustered MobileNet v2, Java LUT vs Java dense, threads " + threads);
            }
            // 4-bit indices plus a 16-byte table per channel (~17,000 channels: 8% of dense), the
            // depthwise weights dense: 1,946,080 of 3,471,040 bytes (56.1%) measured
            double ratio = (double) lut.residentWeightBytes() / denseInt8;
            assertTrue(ratio <= 0.57, "Java LUT " + lut.residentWeightBytes() + " bytes vs dense int8 " + denseInt8);
        } finally {
            clear();
        }
    }
}
