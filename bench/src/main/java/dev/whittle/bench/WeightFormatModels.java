package dev.whittle.bench;

import dev.whittle.model.BuiltinOperator;
import dev.whittle.model.BuiltinOptions;
import dev.whittle.model.Model;
import dev.whittle.model.ModelBuilder;
import dev.whittle.model.ModelBuilder.TensorSpec;
import dev.whittle.model.Quantization;
import dev.whittle.model.TensorType;

import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * The single-op models of the weight-format benchmarks ({@link Sparse24Benchmark},
 * {@link SparseGemmBenchmark}, {@link LutGemmBenchmark}): a 1x1 CONV_2D or a FULLY_CONNECTED
 * on given weights, int8 per-channel ({@code qs8_qc8w}) or uint8 per-tensor ({@code qu8}, weight
 * zero point 120), with the quantization every one of them uses.
 */
final class WeightFormatModels {
    private WeightFormatModels() {
    }

    /**
     * The 1x1 CONV_2D's fused activation: RELU6 (3, MobileNet's expansion layers) unless
     * {@code -Dwhittle.bench.activation=0} (none: its linear projection layers, whose clamp lies
     * below the output zero point, so uint8's gemmlowp rounding of negatives matters).
     */
    private static final int CONV_ACTIVATION = Integer.getInteger("whittle.bench.activation", 3);

    /** 1x1 stride-1 VALID CONV_2D with RELU6 (or CONV_ACTIVATION) on an {@code h x w x inC} image, weights {@code [outC][inC]}. */
    static Model conv(String name, int h, int w, int inC, int outC, boolean u8, byte[] weights) {
        ModelBuilder b = new ModelBuilder(name);
        TensorType type = u8 ? TensorType.UINT8 : TensorType.INT8;
        int x = b.input("x", type, Quantization.perTensor(0.02f, u8 ? 128 : 0), 1, h, w, inC);
        int wt = weights(b, weights, u8, outC, outC, 1, 1, inC);
        int bt = bias(b, u8, outC);
        BuiltinOptions o = BuiltinOptions.of("Conv2DOptions").set("padding", 0).set("stride_h", 1).set("stride_w", 1)
                .set("dilation_h_factor", 1).set("dilation_w_factor", 1)
                .set("fused_activation_function", CONV_ACTIVATION);
        b.output(b.op(BuiltinOperator.CONV_2D, 1, o, new int[] {x, wt, bt},
                TensorSpec.quantized("y", type, Quantization.perTensor(0.1f, u8 ? 128 : 0), 1, h, w, outC))[0]);
        return b.build();
    }

    /** FULLY_CONNECTED of {@code batches x k} inputs, weights {@code [n][k]}. */
    /**
     * A {@code kernel x kernel} CONV_2D (im2col GEMM, K = kernel^2 * inC), SAME padding, stride
     * {@code stride}, on an {@code h x w x inC} image; weights {@code [outC][kernel][kernel][inC]}.
     */
    static Model convKxK(String name, int h, int w, int inC, int outC, int kernel, int stride, boolean u8,
            byte[] weights) {
        ModelBuilder b = new ModelBuilder(name);
        TensorType type = u8 ? TensorType.UINT8 : TensorType.INT8;
        int x = b.input("x", type, Quantization.perTensor(0.02f, u8 ? 128 : 0), 1, h, w, inC);
        int wt = weights(b, weights, u8, outC, outC, kernel, kernel, inC);
        int bt = bias(b, u8, outC);
        BuiltinOptions o = BuiltinOptions.of("Conv2DOptions").set("padding", 0).set("stride_h", stride)
                .set("stride_w", stride).set("dilation_h_factor", 1).set("dilation_w_factor", 1)
                .set("fused_activation_function", 3);
        int oh = (h + stride - 1) / stride;
        int ow = (w + stride - 1) / stride;
        b.output(b.op(BuiltinOperator.CONV_2D, 1, o, new int[] {x, wt, bt},
                TensorSpec.quantized("y", type, Quantization.perTensor(0.1f, u8 ? 128 : 0), 1, oh, ow, outC))[0]);
        return b.build();
    }

    static Model fc(String name, int batches, int k, int n, boolean u8, byte[] weights) {
        ModelBuilder b = new ModelBuilder(name);
        TensorType type = u8 ? TensorType.UINT8 : TensorType.INT8;
        int x = b.input("x", type, Quantization.perTensor(0.02f, u8 ? 128 : 0), batches, k);
        int wt = weights(b, weights, u8, n, n, k);
        int bt = bias(b, u8, n);
        b.output(b.op(BuiltinOperator.FULLY_CONNECTED, 11,
                BuiltinOptions.of("FullyConnectedOptions").set("fused_activation_function", 0),
                new int[] {x, wt, bt}, TensorSpec.quantized("y", type, Quantization.perTensor(0.1f, u8 ? 128 : 0),
                        batches, n))[0]);
        return b.build();
    }

    private static int weights(ModelBuilder b, byte[] wv, boolean u8, int outC, int... shape) {
        if (u8) {
            return b.constant("w", TensorType.UINT8, Quantization.perTensor(0.01f, 120), ByteBuffer.wrap(wv), shape);
        }
        float[] scales = new float[outC];
        Arrays.fill(scales, 0.01f);
        return b.constant("w", wv, Quantization.perAxis(scales, new long[outC], 0), shape);
    }

    private static int bias(ModelBuilder b, boolean u8, int outC) {
        float[] scales = new float[outC];
        Arrays.fill(scales, 0.0002f);
        return b.constant("b", new int[outC], u8 ? Quantization.perTensor(0.0002f, 0)
                : Quantization.perAxis(scales, new long[outC], 0), outC);
    }

    /** Sets system property {@code key} back to {@code value} (null: cleared). */
    static void restore(String key, String value) {
        if (value == null) {
            System.clearProperty(key);
        } else {
            System.setProperty(key, value);
        }
    }
}
