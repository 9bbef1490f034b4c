package dev.whittle.runtime;

import dev.whittle.TensorData;
import dev.whittle.model.BuiltinOperator;
import dev.whittle.model.BuiltinOptions;
import dev.whittle.model.Model;
import dev.whittle.model.ModelBuilder;
import dev.whittle.model.ModelBuilder.TensorSpec;
import dev.whittle.model.Quantization;
import dev.whittle.model.TensorType;
import dev.whittle.runtime.kernels.KernelEntry;
import dev.whittle.runtime.kernels.KernelPath;
import dev.whittle.runtime.kernels.KernelRegistry;
import dev.whittle.runtime.kernels.QuantizedFullyConnectedFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The native GEMM FULLY_CONNECTED kernels ({@code q*_fully_connected_gemm_*}) against the
 * reference kernels through compiled single-op models in native memory (the kernel-level
 * {@link FullyConnectedKernelPathsTest} runs on heap buffers, where they fall back to the
 * reference): every native path, 1 and 3 threads, batches 1..5, inputs and outputs around the
 * tiles, zero points at both ends, saturating and tiny multipliers, RELU6, with and without bias.
 */
class Q8GemmFullyConnectedTest {
    static final int[] SIZES = {1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 32, 33, 64, 65, 257};

    @AfterEach
    void clearProperty() {
        System.clearProperty(KernelPath.PROPERTY);
    }

    static Model build(TensorType type, boolean perChannel, int batches, int k, int n, int extremes, int scale,
            boolean bias, int activation, long seed) {
        return build(type, perChannel, batches, k, n, extremes, scale, bias, activation, seed, null);
    }

    /** As the other {@code build}, the weights reshaped by {@code shaper} (pruned, clustered). */
    static Model build(TensorType type, boolean perChannel, int batches, int k, int n, int extremes, int scale,
            boolean bias, int activation, long seed, WeightFormatHarness.Shaper shaper) {
        SplittableRandom r = new SplittableRandom(seed);
        boolean u8 = type == TensorType.UINT8;
        int lo = u8 ? 0 : -128;
        int hi = u8 ? 255 : 127;
        int inZp = extremes == 1 ? lo : extremes == 2 ? hi : r.nextInt(lo, hi + 1);
        int outZp = extremes == 1 ? hi : extremes == 2 ? lo : r.nextInt(lo, hi + 1);
        int wZp = u8 ? (extremes == 1 ? 255 : extremes == 2 ? 0 : r.nextInt(256)) : 0;
        float inScale = 0.02f;
        float[] ws = new float[perChannel ? n : 1];
        for (int i = 0; i < ws.length; i++) {
            ws[i] = (float) (0.01 * (0.5 + r.nextDouble()));
        }
        double spread = inScale * 0.01 * Math.sqrt(k) * 60;
        float outScale = (float) (scale == 1 ? spread / 3000 : scale == 2 ? spread * 3000 : spread);
        ModelBuilder b = new ModelBuilder("fc");
        int x = b.input("x", type, Quantization.perTensor(inScale, inZp), batches, k);
        byte[] wv = new byte[n * k];
        for (int i = 0; i < wv.length; i++) {
            int v = u8 ? r.nextInt(256) : r.nextInt(-127, 128);
            wv[i] = (byte) (extremes != 0 && i % 5 == 0 ? (u8 ? (i % 2 == 0 ? 0 : 255) : (i % 2 == 0 ? -127 : 127)) : v);
        }
        if (shaper != null) {
            shaper.shape(ByteBuffer.wrap(wv), n, k, k, u8 ? wZp : 0, !u8, r);
        }
        long[] zeros = new long[n];
        Quantization wq = perChannel ? Quantization.perAxis(ws, zeros, 0) : Quantization.perTensor(ws[0], wZp);
        int w = b.constant("w", type, wq, ByteBuffer.wrap(wv), n, k);
        int bi = -1;
        if (bias) {
            float[] bs = new float[ws.length];
            for (int i = 0; i < bs.length; i++) {
                bs[i] = inScale * ws[i];
            }
            int[] bv = new int[n];
            for (int i = 0; i < n; i++) {
                bv[i] = r.nextInt(-40_000, 40_000);
            }
            bi = b.constant("b", bv, perChannel ? Quantization.perAxis(bs, zeros, 0) : Quantization.perTensor(bs[0], 0), n);
        }
        TensorSpec y = TensorSpec.quantized("y", type, Quantization.perTensor(outScale, outZp), batches, n);
        b.output(b.op(BuiltinOperator.FULLY_CONNECTED, 11,
                BuiltinOptions.of("FullyConnectedOptions").set("fused_activation_function", activation),
                new int[] {x, w, bi}, y)[0]);
        return b.build();
    }

    static int check(Model model, String label, long seed, int extremes) {
        System.setProperty(KernelPath.PROPERTY, "reference");
        CompiledModel ref = CompiledModel.compile(model);
        TensorData in = Q8GemmConvTest.input(ref, seed, extremes);
        byte[] expected = Q8GemmConvTest.run(ref, in, 1);
        int ran = 0;
        for (KernelEntry<QuantizedFullyConnectedFactory> e : KernelRegistry.available(
                KernelRegistry.QS8_FULLY_CONNECTED)) {
            if (!e.path().isNative()) {
                continue;
            }
            System.setProperty(KernelPath.PROPERTY, e.path().label());
            CompiledModel fast = CompiledModel.compile(model);
            List<String> kernels = OpProfile.kernelNames(fast);
            assertTrue(kernels.stream().anyMatch(k -> k.contains("_fully_connected_gemm_")
                    && k.contains("__" + e.path().label())), label + ": dispatched " + kernels);
            for (int threads : new int[] {1, 3}) {
                assertArrayEquals(expected, Q8GemmConvTest.run(fast, in, threads),
                        kernels + " threads " + threads + " differs from the reference on " + label);
                ran++;
            }
        }
        System.clearProperty(KernelPath.PROPERTY);
        return ran;
    }

    @Test
    void everyNativePathMatchesTheReference() {
        int ran = 0;
        int i = 0;
        for (TensorType type : new TensorType[] {TensorType.INT8, TensorType.UINT8}) {
            for (boolean perChannel : type == TensorType.INT8 ? new boolean[] {false, true} : new boolean[] {false}) {
                for (int k : SIZES) {
                    for (int j = 0; j < 3; j++) {
                        int n = SIZES[(i * 7 + j * 5) % SIZES.length];
                        int batches = 1 + i % 5;
                        int extremes = i % 3;
                        int scale = i % 7 == 3 ? 1 : i % 7 == 5 ? 2 : 0;
                        String label = type + (perChannel ? " per-channel " : " ") + batches + "x" + k + "->" + n
                                + " extremes " + extremes + " scale " + scale;
                        Model m = build(type, perChannel, batches, k, n, extremes, scale, i % 6 != 1, i % 4 == 2 ? 3 : 0,
                                i);
                        ran += check(m, label, i, extremes);
                        i++;
                    }
                }
            }
        }
        Assumptions.assumeTrue(ran > 0, "no native GEMM fully-connected path on this machine");
    }

    @Test
    void classifierShapes() {
        // MobileNet v1 0.25's classifier and person_detect-like heads, batch 1 (channels split
        // across threads) and batch 3.
        check(build(TensorType.UINT8, false, 1, 256, 1001, 0, 0, true, 0, 1), "qu8 1x256->1001", 1, 0);
        check(build(TensorType.INT8, true, 3, 1024, 130, 1, 0, true, 0, 2), "qs8_qc8w 3x1024->130", 2, 1);
        check(build(TensorType.INT8, false, 1, 1001, 2, 2, 1, false, 0, 3), "qs8 1x1001->2", 3, 2);
    }
}
