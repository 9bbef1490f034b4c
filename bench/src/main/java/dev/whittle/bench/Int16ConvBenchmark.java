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
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * 16x8 CONV_2D and DEPTHWISE_CONV_2D (int16 activations, per-channel int8 weights, int64 bias)
 * per kernel path, on the shapes of the seanet 16x8 models and of MobileNet v1 0.25 at 224.
 * One single-operator model per trial through the real dispatch ({@code -Dwhittle.kernels});
 * {@code gmac} in "ops/s" is GMAC/s.
 *
 * <p>Shape {@code op:h,w,inC,outC,k,kw,stride}: {@code c} CONV_2D (VALID for the seanet
 * shapes, which are the models' own), {@code d} DEPTHWISE_CONV_2D (outC ignored), SAME padding
 * for the MobileNet shapes.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
@State(Scope.Thread)
public class Int16ConvBenchmark {
    @Param({
        "cv:8,166,2,8,7,7,1", // seanet_conv0
        "cv:3,42,32,32,3,3,1", // seanet_conv5
        "cv:3,12,64,64,3,3,1", // seanet_conv9
        "cv:3,12,64,64,3,4,2", // seanet_conv10
        "cs:224,224,3,8,3,3,2", // MobileNet v1 0.25: first conv
        "cs:56,56,16,32,1,1,1", // pointwise
        "cs:14,14,128,128,1,1,1",
        "cs:7,7,256,256,1,1,1",
        "ds:112,112,8,8,3,3,1", // depthwise
        "ds:28,28,64,64,3,3,1",
    })
    public String shape;

    @Param({"reference", "avx2", "avx512vnni"})
    public String path;

    @Param({"1"})
    public int threads;

    private ExecutionContext context;
    private double gmacPerInvoke;
    public String kernel;

    @Setup(Level.Trial)
    public void setUp() {
        String[] kv = shape.split(":");
        String[] f = kv[1].split(",");
        int[] g = new int[f.length];
        for (int i = 0; i < f.length; i++) {
            g[i] = Integer.parseInt(f[i]);
        }
        boolean depthwise = kv[0].charAt(0) == 'd';
        boolean same = kv[0].charAt(1) == 's';
        String before = System.getProperty(KernelPath.PROPERTY);
        System.setProperty(KernelPath.PROPERTY, path);
        CompiledModel compiled;
        try {
            compiled = CompiledModel.compile(model(depthwise, same, g));
        } finally {
            if (before == null) {
                System.clearProperty(KernelPath.PROPERTY);
            } else {
                System.setProperty(KernelPath.PROPERTY, before);
            }
        }
        kernel = OpProfile.kernelNames(compiled).get(0);
        System.out.println("# kernel " + kernel);
        context = compiled.newContext(threads);
        int n = g[0] * g[1] * g[2];
        ByteBuffer x = ByteBuffer.allocate(n * 2).order(ByteOrder.LITTLE_ENDIAN);
        SplittableRandom r = new SplittableRandom(2);
        for (int i = 0; i < n; i++) {
            x.putShort(i * 2, (short) r.nextInt(-20000, 20000));
        }
        context.setInput(0, new TensorData(TensorType.INT16, new int[] {1, g[0], g[1], g[2]}, x));
        int oh = same ? (g[0] + g[6] - 1) / g[6] : (g[0] - g[4]) / g[6] + 1;
        int ow = same ? (g[1] + g[6] - 1) / g[6] : (g[1] - g[5]) / g[6] + 1;
        int outC = depthwise ? g[2] : g[3];
        gmacPerInvoke = (double) oh * ow * outC * g[4] * g[5] * (depthwise ? 1 : g[2]) / 1e9;
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        context.close();
    }

    static Model model(boolean depthwise, boolean same, int[] g) {
        int inC = g[2];
        int outC = depthwise ? inC : g[3];
        int kh = g[4];
        int kw = g[5];
        int filterInC = depthwise ? 1 : inC;
        SplittableRandom r = new SplittableRandom(1);
        ModelBuilder b = new ModelBuilder("qs16_bench");
        float inScale = 1f / 32768;
        int x = b.input("x", TensorType.INT16, Quantization.perTensor(inScale, 0), 1, g[0], g[1], inC);
        byte[] w = new byte[outC * kh * kw * filterInC];
        for (int i = 0; i < w.length; i++) {
            w[i] = (byte) r.nextInt(-127, 128);
        }
        float[] ws = new float[outC];
        float[] bs = new float[outC];
        ByteBuffer bias = ByteBuffer.allocate(outC * 8).order(ByteOrder.LITTLE_ENDIAN);
        for (int c = 0; c < outC; c++) {
            ws[c] = (float) (2.0 / (128 * Math.sqrt(kh * kw * filterInC)) * (0.5 + r.nextDouble()));
            bs[c] = inScale * ws[c];
            bias.putLong(c * 8, r.nextLong(-(1L << 20), 1L << 20));
        }
        int[] wShape = depthwise ? new int[] {1, kh, kw, outC} : new int[] {outC, kh, kw, filterInC};
        int wt = b.constant("w", w, Quantization.perAxis(ws, new long[outC], depthwise ? 3 : 0), wShape);
        int bt = b.constant("b", TensorType.INT64, Quantization.perAxis(bs, new long[outC], 0), bias, outC);
        BuiltinOptions o = BuiltinOptions.of(depthwise ? "DepthwiseConv2DOptions" : "Conv2DOptions")
                .set("padding", same ? 0 : 1).set("stride_h", g[6]).set("stride_w", g[6])
                .set("dilation_h_factor", 1).set("dilation_w_factor", 1).set("fused_activation_function", 0);
        if (depthwise) {
            o.set("depth_multiplier", 1);
        }
        int oh = same ? (g[0] + g[6] - 1) / g[6] : (g[0] - kh) / g[6] + 1;
        int ow = same ? (g[1] + g[6] - 1) / g[6] : (g[1] - kw) / g[6] + 1;
        b.output(b.op(depthwise ? BuiltinOperator.DEPTHWISE_CONV_2D : BuiltinOperator.CONV_2D, depthwise ? 6 : 7, o,
                new int[] {x, wt, bt}, TensorSpec.quantized("y", TensorType.INT16, Quantization.perTensor(inScale, 0),
                        1, oh, ow, outC))[0]);
        return b.build();
    }


    @Benchmark
    public ExecutionContext invoke(Macs counter) {
        context.invoke();
        counter.gmac += gmacPerInvoke;
        return context;
    }
}
