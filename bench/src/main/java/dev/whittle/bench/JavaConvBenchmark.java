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
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * CONV_2D int8/uint8 on the Java path ({@code Int8Conv2D}: im2col + the Vector API int8 GEMM)
 * against the reference kernel, on MobileNet v2 1.0 layer shapes: the 1x1 expansions and
 * projections ({@code 56x56x24x144}, {@code 14x14x96x576}, {@code 7x7x320x1280},
 * {@code 28x28x192x32}) and the 3x3 stride-2 first layer ({@code 224x224x3x32k3s2}). One
 * single-operator model per trial through the real dispatch ({@code -Dwhittle.kernels=path}
 * before compile). GMAC/s is the aux counter {@code gmac} (JMH prints it as ops/s).
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
@State(Scope.Thread)
public class JavaConvBenchmark {
    /** {@code HxWxInCxOutC}, then {@code kK} (filter size, default 1) and {@code sS} (stride, default 1). */
    @Param({"56x56x24x144", "28x28x192x32", "14x14x96x576", "7x7x320x1280", "224x224x3x32k3s2"})
    public String shape;

    /** {@code qs8_qc8w} (int8, per-channel weights) or {@code qu8} (uint8, the quant MobileNets). */
    @Param({"qs8_qc8w", "qu8"})
    public String dtype;

    @Param({"reference", "java"})
    public String path;

    /** Intra-op threads of the context. */
    @Param({"1"})
    public int threads;

    private ExecutionContext context;
    private double gmacPerInvoke;
    /** The kernel dispatch chose, printed once per trial. */
    public String kernel;

    @Setup(Level.Trial)
    public void setUp() {
        String[] parts = shape.split("k|s");
        String[] dims = parts[0].split("x");
        int h = Integer.parseInt(dims[0]);
        int w = Integer.parseInt(dims[1]);
        int inC = Integer.parseInt(dims[2]);
        int outC = Integer.parseInt(dims[3]);
        int k = shape.contains("k") ? Integer.parseInt(shape.replaceAll(".*k(\\d+).*", "$1")) : 1;
        int stride = shape.contains("s") ? Integer.parseInt(shape.replaceAll(".*s(\\d+).*", "$1")) : 1;
        boolean u8 = dtype.equals("qu8");
        String before = System.getProperty(KernelPath.PROPERTY);
        System.setProperty(KernelPath.PROPERTY, path);
        CompiledModel compiled;
        try {
            compiled = CompiledModel.compile(model(h, w, inC, outC, k, stride, u8));
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
        byte[] x = new byte[h * w * inC];
        new SplittableRandom(2).nextBytes(x);
        context.setInput(0, new TensorData(u8 ? TensorType.UINT8 : TensorType.INT8, new int[] {1, h, w, inC},
                ByteBuffer.wrap(x).order(ByteOrder.LITTLE_ENDIAN)));
        int oh = (h + stride - 1) / stride;
        int ow = (w + stride - 1) / stride;
        gmacPerInvoke = (double) oh * ow * outC * k * k * inC / 1e9;
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        context.close();
    }

    static Model model(int h, int w, int inC, int outC, int k, int stride, boolean u8) {
        ModelBuilder b = new ModelBuilder("conv_bench");
        TensorType type = u8 ? TensorType.UINT8 : TensorType.INT8;
        int x = b.input("x", type, Quantization.perTensor(0.02f, u8 ? 128 : -1), 1, h, w, inC);
        byte[] wv = new byte[outC * k * k * inC];
        new SplittableRandom(1).nextBytes(wv);
        int wt;
        float[] bs;
        if (u8) {
            wt = b.constant("w", TensorType.UINT8, Quantization.perTensor(0.01f, 120), ByteBuffer.wrap(wv), outC, k, k,
                    inC);
            bs = new float[] {0.0002f};
        } else {
            for (int i = 0; i < wv.length; i++) {
                wv[i] = wv[i] == -128 ? -127 : wv[i];
            }
            float[] s = new float[outC];
            Arrays.fill(s, 0.01f);
            wt = b.constant("w", wv, Quantization.perAxis(s, new long[outC], 0), outC, k, k, inC);
            bs = new float[outC];
            Arrays.fill(bs, 0.0002f);
        }
        int[] bias = new SplittableRandom(3).ints(outC, -1000, 1000).toArray();
        int bt = b.constant("b", bias, u8 ? Quantization.perTensor(bs[0], 0)
                : Quantization.perAxis(bs, new long[outC], 0), outC);
        int oh = (h + stride - 1) / stride;
        int ow = (w + stride - 1) / stride;
        BuiltinOptions o = BuiltinOptions.of("Conv2DOptions").set("padding", 0).set("stride_h", stride)
                .set("stride_w", stride).set("fused_activation_function", 3);
        b.output(b.op(BuiltinOperator.CONV_2D, 1, o, new int[] {x, wt, bt}, TensorSpec.quantized("y", type,
                Quantization.perTensor(0.05f, u8 ? 0 : -128), 1, oh, ow, outC))[0]);
        return b.build();
    }


    @Benchmark
    public ExecutionContext invoke(Macs counter) {
        context.invoke();
        counter.gmac += gmacPerInvoke;
        return context;
    }
}
