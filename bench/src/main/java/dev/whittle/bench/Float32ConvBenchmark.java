package dev.whittle.bench;

import dev.whittle.TensorData;
import dev.whittle.model.BuiltinOperator;
import dev.whittle.model.BuiltinOptions;
import dev.whittle.model.Model;
import dev.whittle.model.ModelBuilder;
import dev.whittle.model.ModelBuilder.TensorSpec;
import dev.whittle.model.TensorType;
import dev.whittle.runtime.CompiledModel;
import dev.whittle.runtime.ExecutionContext;
import dev.whittle.runtime.OpProfile;
import dev.whittle.runtime.kernels.KernelPath;
import org.openjdk.jmh.annotations.AuxCounters;
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
 * float32 CONV_2D and DEPTHWISE_CONV_2D kernels per path on MobileNet v1 0.25 (224) layer
 * shapes, as single-op models through the real dispatch ({@code -Dwhittle.kernels=path} before
 * compile) on a context with {@code threads} intra-op threads. Aux counter {@code gflop}
 * (printed as ops/s): GFLOP/s, 2 per multiply-add. For scale: a Zen 4 core retires two 256-bit
 * FMAs per cycle, 32 FLOP per cycle (about 110 GFLOP/s at 3.5 GHz).
 *
 * <p>Layers ({@code HxWxC->N kKsS}): {@code conv0} 224x224x3->8 3x3 s2 (the first layer, im2col);
 * {@code pw112} 112x112x8->16 1x1; {@code pw56} 56x56x32->32; {@code pw14} 14x14x128->128;
 * {@code pw7} 7x7x256->256; depthwise 3x3 {@code dw112} 112x112x8 s1, {@code dw56} 112x112x16 s2,
 * {@code dw14} 14x14x128 s1.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
@State(Scope.Thread)
public class Float32ConvBenchmark {
    @Param({"conv0", "pw112", "pw56", "pw14", "pw7", "dw112", "dw56", "dw14", "mobilenet"})
    public String layer;

    @Param({"avx2", "avx512vnni", "java"})
    public String path;

    @Param({"1", "2"})
    public int threads;

    private ExecutionContext context;
    private double gflopPerInvoke;
    public String kernel;

    @Setup(Level.Trial)
    public void setUp() {
        if (layer.equals("mobilenet")) {
            setUpModel();
            return;
        }
        // {h, w, inC, outC, k, stride, depthwise}
        int[] g = switch (layer) {
            case "conv0" -> new int[] {224, 224, 3, 8, 3, 2, 0};
            case "pw112" -> new int[] {112, 112, 8, 16, 1, 1, 0};
            case "pw56" -> new int[] {56, 56, 32, 32, 1, 1, 0};
            case "pw14" -> new int[] {14, 14, 128, 128, 1, 1, 0};
            case "pw7" -> new int[] {7, 7, 256, 256, 1, 1, 0};
            case "dw112" -> new int[] {112, 112, 8, 8, 3, 1, 1};
            case "dw56" -> new int[] {112, 112, 16, 16, 3, 2, 1};
            case "dw14" -> new int[] {14, 14, 128, 128, 3, 1, 1};
            default -> throw new IllegalArgumentException(layer);
        };
        String before = System.getProperty(KernelPath.PROPERTY);
        System.setProperty(KernelPath.PROPERTY, path);
        CompiledModel compiled;
        try {
            compiled = CompiledModel.compile(model(g));
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
        SplittableRandom r = new SplittableRandom(3);
        int n = g[0] * g[1] * g[2];
        ByteBuffer x = ByteBuffer.allocate(n * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < n; i++) {
            x.putFloat(i * 4, (float) r.nextDouble(-1, 1));
        }
        context.setInput(0, new TensorData(TensorType.FLOAT32, new int[] {1, g[0], g[1], g[2]}, x));
        int oh = (g[0] + g[5] - 1) / g[5];
        int ow = (g[1] + g[5] - 1) / g[5];
        double macs = (double) oh * ow * g[3] * g[4] * g[4] * (g[6] == 1 ? 1 : g[2]);
        gflopPerInvoke = 2 * macs / 1e9;
    }

    /**
     * The whole {@code mobilenet_v1_0.25_224_float.tflite} (shared folder, see SharedModels) on
     * {@code threads} intra-op threads: about 41 M multiply-adds (0.082 GFLOP) per invoke.
     */
    private void setUpModel() {
        Model m = dev.whittle.model.io.ModelReader.read(SharedModels.read("mobilenet_v1_0.25_224_float.tflite"));
        String before = System.getProperty(KernelPath.PROPERTY);
        System.setProperty(KernelPath.PROPERTY, path);
        CompiledModel compiled;
        try {
            compiled = CompiledModel.compile(m);
        } finally {
            if (before == null) {
                System.clearProperty(KernelPath.PROPERTY);
            } else {
                System.setProperty(KernelPath.PROPERTY, before);
            }
        }
        kernel = OpProfile.kernelNames(compiled).get(0);
        System.out.println("# first kernel " + kernel);
        context = compiled.newContext(threads);
        SplittableRandom r = new SplittableRandom(3);
        int n = 224 * 224 * 3;
        ByteBuffer x = ByteBuffer.allocate(n * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < n; i++) {
            x.putFloat(i * 4, (float) r.nextDouble(-1, 1));
        }
        context.setInput(0, new TensorData(TensorType.FLOAT32, new int[] {1, 224, 224, 3}, x));
        gflopPerInvoke = 2 * 41e6 / 1e9;
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        context.close();
    }

    static Model model(int[] g) {
        boolean dw = g[6] == 1;
        SplittableRandom r = new SplittableRandom(1);
        int outC = g[3];
        int k = g[4];
        float[] w = new float[outC * k * k * (dw ? 1 : g[2])];
        for (int i = 0; i < w.length; i++) {
            w[i] = (float) r.nextDouble(-0.5, 0.5);
        }
        float[] bias = new float[outC];
        ModelBuilder b = new ModelBuilder("f32conv_bench");
        int x = b.input("x", TensorType.FLOAT32, 1, g[0], g[1], g[2]);
        int wt = dw ? b.constant("w", w, 1, k, k, outC) : b.constant("w", w, outC, k, k, g[2]);
        int bt = b.constant("b", bias, outC);
        BuiltinOptions o = BuiltinOptions.of(dw ? "DepthwiseConv2DOptions" : "Conv2DOptions").set("padding", 0)
                .set("stride_h", g[5]).set("stride_w", g[5]).set("dilation_h_factor", 1)
                .set("dilation_w_factor", 1).set("fused_activation_function", 3);
        if (dw) {
            o.set("depth_multiplier", 1);
        }
        int oh = (g[0] + g[5] - 1) / g[5];
        int ow = (g[1] + g[5] - 1) / g[5];
        b.output(b.op(dw ? BuiltinOperator.DEPTHWISE_CONV_2D : BuiltinOperator.CONV_2D, 1, o, new int[] {x, wt, bt},
                TensorSpec.of("y", TensorType.FLOAT32, 1, oh, ow, outC))[0]);
        return b.build();
    }

    /** Counts FLOPs so JMH reports them as a rate: {@code gflop} in "ops/s" is GFLOP/s. */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    public static class Flops {
        public double gflop;

        @Setup(Level.Iteration)
        public void reset() {
            gflop = 0;
        }
    }

    @Benchmark
    public ExecutionContext invoke(Flops counter) {
        context.invoke();
        counter.gflop += gflopPerInvoke;
        return context;
    }
}
