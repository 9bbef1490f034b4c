package dev.whittle.bench;

import dev.whittle.TensorData;
import dev.whittle.model.BuiltinOperator;
import dev.whittle.model.BuiltinOptions;
import dev.whittle.model.Model;
import dev.whittle.model.ModelBuilder;
import dev.whittle.model.ModelBuilder.TensorSpec;
import dev.whittle.model.Quantization;
import dev.whittle.model.TensorType;
import dev.whittle.runtime.CompiledModel;
import dev.whittle.runtime.ExecutionContext;
import dev.whittle.runtime.OpProfile;
import dev.whittle.runtime.kernels.KernelPath;
import dev.whittle.runtime.kernels.WeightFormat;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * 16x8 weight-format kernels against the dense 16x8 kernel on the SAME weights, for a shared,
 * noisy machine (no JMH): per shape, the dense layer (on each ISA in {@code dense paths}) and the
 * format layer in one process, invoked alternately {@code rounds} times, one thread; prints the
 * minimum times, dense / format (above 1: the format is faster), dense-equivalent GMAC/s, bytes.
 * <pre>java -cp bench/target/benchmarks.jar dev.whittle.bench.Qs16WeightFormatCompare [rounds] [format]
 * [shapes] [clusters] [dense paths] [format path] [sparsity]</pre>
 * (clusters 256: random weights, the fraction {@code sparsity} of them zero; clusters -24: random
 * weights pruned 2:4, two random positions kept in each group of 4 along K.)
 * Shapes: {@code HxWxCinxCout} (1x1), {@code k3s2HxWxCinxCout}, {@code fcBxKxN}.
 */
public final class Qs16WeightFormatCompare {
    /** Fraction of random zeros when clusters > 255 (args[6]). */
    static double sparsity;

    private Qs16WeightFormatCompare() {
    }

    /** outC x k weights, {@code clusters} values per output channel (one of them 0). */
    static byte[] weights(int outC, int k, int clusters, SplittableRandom r) {
        byte[] w = new byte[outC * k];
        if (clusters == -24) {
            for (int i = 0; i < w.length; i += 4) {
                int a = r.nextInt(4);
                int b = (a + 1 + r.nextInt(3)) % 4;
                w[i + a] = (byte) r.nextInt(-127, 128);
                w[i + b] = (byte) r.nextInt(-127, 128);
            }
            return w;
        }
        if (clusters > 255) {
            for (int i = 0; i < w.length; i++) {
                w[i] = r.nextDouble() < sparsity ? 0 : (byte) r.nextInt(-127, 128);
            }
            return w;
        }
        for (int o = 0; o < outC; o++) {
            int[] t = new int[clusters];
            for (int i = 1; i < clusters; i++) {
                t[i] = r.nextInt(-127, 128);
            }
            for (int i = 0; i < k; i++) {
                w[o * k + i] = (byte) t[r.nextInt(clusters)];
            }
        }
        return w;
    }

    static Model model(String shape, int clusters) {
        boolean fc = shape.startsWith("fc");
        boolean k3 = shape.startsWith("k3s2");
        int[] s = Arrays.stream(shape.replace("fc", "").replace("k3s2", "").split("x")).mapToInt(Integer::parseInt)
                .toArray();
        SplittableRandom r = new SplittableRandom(1);
        float inScale = 1f / 32768;
        ModelBuilder b = new ModelBuilder("qs16_fmt_bench");
        int inC = fc ? s[1] : s[2];
        int outC = fc ? s[2] : s[3];
        int kk = k3 ? 3 : 1;
        int k = kk * kk * inC;
        int x = fc ? b.input("x", TensorType.INT16, Quantization.perTensor(inScale, 0), s[0], inC)
                : b.input("x", TensorType.INT16, Quantization.perTensor(inScale, 0), 1, s[0], s[1], inC);
        float[] ws = new float[outC];
        float[] bs = new float[outC];
        ByteBuffer bias = ByteBuffer.allocate(outC * 8).order(ByteOrder.LITTLE_ENDIAN);
        for (int c = 0; c < outC; c++) {
            ws[c] = (float) (2.0 / (128 * Math.sqrt(k)) * (0.5 + r.nextDouble()));
            bs[c] = inScale * ws[c];
            bias.putLong(c * 8, r.nextLong(-(1L << 20), 1L << 20));
        }
        byte[] w = weights(outC, k, clusters, r);
        int wt = fc ? b.constant("w", w, Quantization.perAxis(ws, new long[outC], 0), outC, inC)
                : b.constant("w", w, Quantization.perAxis(ws, new long[outC], 0), outC, kk, kk, inC);
        int bt = b.constant("b", TensorType.INT64, Quantization.perAxis(bs, new long[outC], 0), bias, outC);
        Quantization oq = Quantization.perTensor(inScale, 0);
        if (fc) {
            BuiltinOptions o = BuiltinOptions.of("FullyConnectedOptions").set("fused_activation_function", 0)
                    .set("weights_format", 0).set("keep_num_dims", false).set("asymmetric_quantize_inputs", false)
                    .set("quantized_bias_type", 0);
            b.output(b.op(BuiltinOperator.FULLY_CONNECTED, 11, o, new int[] {x, wt, bt},
                    TensorSpec.quantized("y", TensorType.INT16, oq, s[0], outC))[0]);
        } else {
            int stride = k3 ? 2 : 1;
            BuiltinOptions o = BuiltinOptions.of("Conv2DOptions").set("padding", 0).set("stride_h", stride)
                    .set("stride_w", stride).set("dilation_h_factor", 1).set("dilation_w_factor", 1)
                    .set("fused_activation_function", 0);
            b.output(b.op(BuiltinOperator.CONV_2D, 7, o, new int[] {x, wt, bt}, TensorSpec.quantized("y",
                    TensorType.INT16, oq, 1, (s[0] + stride - 1) / stride, (s[1] + stride - 1) / stride, outC))[0]);
        }
        return b.build();
    }

    static double macs(String shape) {
        boolean fc = shape.startsWith("fc");
        boolean k3 = shape.startsWith("k3s2");
        int[] s = Arrays.stream(shape.replace("fc", "").replace("k3s2", "").split("x")).mapToInt(Integer::parseInt)
                .toArray();
        return fc ? (double) s[0] * s[1] * s[2]
                : k3 ? (double) ((s[0] + 1) / 2) * ((s[1] + 1) / 2) * 9 * s[2] * s[3] : (double) s[0] * s[1] * s[2] * s[3];
    }

    public static void main(String[] args) {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 200;
        String format = args.length > 1 ? args[1] : "lut";
        String[] shapes = (args.length > 2 ? args[2]
                : "112x112x8x16,56x56x32x32,28x28x64x64,14x14x128x128,7x7x256x256,1x1x256x1001,k3s2224x224x3x8,"
                        + "fc1x256x1001,fc1x1280x1001,fc4x1280x1001").split(",");
        int clusters = args.length > 3 ? Integer.parseInt(args[3]) : 16;
        String[] densePaths = (args.length > 4 ? args[4] : "avx2,avx512vnni").split(",");
        String fmtPath = args.length > 5 ? args[5] : "avx2";
        sparsity = args.length > 6 ? Double.parseDouble(args[6]) : 0;
        for (String shape : shapes) {
            Model m = model(shape, clusters);
            int n = densePaths.length + 1;
            ExecutionContext[] ctx = new ExecutionContext[n];
            String[] names = new String[n];
            long[] bytes = new long[n];
            for (int i = 0; i < n; i++) {
                CompiledModel cm;
                try {
                    System.setProperty(KernelPath.PROPERTY, i < n - 1 ? densePaths[i] : fmtPath);
                    System.setProperty(WeightFormat.PROPERTY, i < n - 1 ? "dense" : format);
                    cm = CompiledModel.compile(m);
                } finally {
                    System.clearProperty(KernelPath.PROPERTY);
                    System.clearProperty(WeightFormat.PROPERTY);
                }
                OpProfile.KernelChoice k = OpProfile.kernelChoices(cm).get(0);
                names[i] = k.kernel();
                bytes[i] = k.weightBytes();
                ctx[i] = cm.newContext(1);
                ctx[i].setInput(0, input(cm));
            }
            long[][] t = new long[n][rounds];
            for (int warm = 0; warm < Math.max(20, rounds / 10); warm++) {
                for (ExecutionContext c : ctx) {
                    c.invoke();
                }
            }
            for (int r = 0; r < rounds; r++) {
                for (int i = 0; i < n; i++) {
                    long t0 = System.nanoTime();
                    ctx[i].invoke();
                    t[i][r] = System.nanoTime() - t0;
                }
            }
            StringBuilder sb = new StringBuilder(String.format(Locale.ROOT, "RESULT %-18s", shape));
            double fmt = min(t[n - 1]);
            for (int i = 0; i < n; i++) {
                double us = min(t[i]);
                sb.append(String.format(Locale.ROOT, " | %s %.1f us %.1f GMAC/s %d B", names[i], us,
                        macs(shape) / us / 1e3, bytes[i]));
                if (i < n - 1) {
                    sb.append(String.format(Locale.ROOT, " dense/fmt %.2f", us / fmt));
                }
                ctx[i].close();
            }
            System.out.println(sb);
        }
    }

    static double min(long[] t) {
        long m = Long.MAX_VALUE;
        for (long v : t) {
            m = Math.min(m, v);
        }
        return m / 1e3;
    }

    static TensorData input(CompiledModel cm) {
        int[] shape = cm.tensorInfo(cm.inputTensorIndex(0)).shape();
        int count = Arrays.stream(shape).reduce(1, (a, b) -> a * b);
        ByteBuffer x = ByteBuffer.allocate(count * 2).order(ByteOrder.LITTLE_ENDIAN);
        SplittableRandom r = new SplittableRandom(2);
        for (int i = 0; i < count; i++) {
            x.putShort(i * 2, (short) r.nextInt(-20000, 20000));
        }
        return new TensorData(TensorType.INT16, shape, x);
    }
}
