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
 * DEPTHWISE_CONV_2D int8/uint8 kernels per path on MobileNet v2's and person_detect's depthwise
 * shapes (3x3, SAME, batch 1): {@code HxWxC/stride}, or {@code HxWxCxM/stride} with depth
 * multiplier M (person_detect's first layer: 96x96x1x8/2). On avx2 and avx512vnni the row
 * kernels ({@code *_rows16c2__avx2}, {@code *_rows64c4__avx512vnni}) run where dispatch picks
 * them, and 96x96x1x8/2 (one input channel) runs {@code *_c1x8__avx2} / {@code *_c1x8__avx512vnni}
 * (the kernel is printed per trial); path {@code java} is the Java path's Vector API kernel
 * ({@code *_dwconv2d_minmax_16c__panama512}). One single-operator model per trial through the real dispatch
 * ({@code -Dwhittle.kernels=path} before compile), one intra-op thread. GMAC/s is the aux
 * counter {@code gmac} (JMH prints it as {@code ops/s}).
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
@State(Scope.Thread)
public class DepthwiseConvBenchmark {
    @Param({"112x112x32/1", "112x112x96/2", "56x56x144/1", "28x28x192/1", "14x14x576/1", "7x7x960/1",
        "96x96x1x8/2", "48x48x8/1", "48x48x16/2", "24x24x32/1", "12x12x64/1", "6x6x128/1"})
    public String shape;

    /** {@code qs8_qc8w} (int8, per-channel weights) or {@code qu8} (uint8, the quant MobileNets). */
    @Param({"qs8_qc8w", "qu8"})
    public String dtype;

    @Param({"reference", "java", "avx2", "avx512vnni"})
    public String path;

    private ExecutionContext context;
    private double gmacPerInvoke;
    /** The kernel dispatch chose, printed once per trial. */
    public String kernel;

    @Setup(Level.Trial)
    public void setUp() {
        String[] sp = shape.split("/");
        String[] hwc = sp[0].split("x");
        int h = Integer.parseInt(hwc[0]);
        int w = Integer.parseInt(hwc[1]);
        int c = Integer.parseInt(hwc[2]);
        int mult = hwc.length > 3 ? Integer.parseInt(hwc[3]) : 1;
        int stride = Integer.parseInt(sp[1]);
        boolean u8 = dtype.equals("qu8");
        String before = System.getProperty(KernelPath.PROPERTY);
        System.setProperty(KernelPath.PROPERTY, path);
        CompiledModel compiled;
        try {
            compiled = CompiledModel.compile(model(h, w, c, mult, stride, u8));
        } finally {
            if (before == null) {
                System.clearProperty(KernelPath.PROPERTY);
            } else {
                System.setProperty(KernelPath.PROPERTY, before);
            }
        }
        kernel = OpProfile.kernelNames(compiled).get(0);
        System.out.println("# kernel " + kernel);
        context = compiled.newContext();
        TensorType type = u8 ? TensorType.UINT8 : TensorType.INT8;
        byte[] x = new byte[h * w * c];
        new SplittableRandom(2).nextBytes(x);
        context.setInput(0, new TensorData(type, new int[] {1, h, w, c},
                ByteBuffer.wrap(x).order(ByteOrder.LITTLE_ENDIAN)));
        int oh = (h + stride - 1) / stride;
        int ow = (w + stride - 1) / stride;
        gmacPerInvoke = (double) oh * ow * c * mult * 9 / 1e9;
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        context.close();
    }

    static Model model(int h, int w, int c, int mult, int stride, boolean u8) {
        int inC = c;
        c = inC * mult;
        ModelBuilder b = new ModelBuilder("dw_bench");
        TensorType type = u8 ? TensorType.UINT8 : TensorType.INT8;
        int x = b.input("x", type, Quantization.perTensor(0.02f, u8 ? 128 : -3), 1, h, w, inC);
        byte[] wv = new byte[9 * c];
        new SplittableRandom(1).nextBytes(wv);
        int wt;
        if (u8) {
            wt = b.constant("w", TensorType.UINT8, Quantization.perTensor(0.01f, 120), ByteBuffer.wrap(wv), 1, 3, 3,
                    c);
        } else {
            for (int i = 0; i < wv.length; i++) {
                wv[i] = wv[i] == -128 ? -127 : wv[i];
            }
            float[] s = new float[c];
            Arrays.fill(s, 0.01f);
            wt = b.constant("w", wv, Quantization.perAxis(s, new long[c], 3), 1, 3, 3, c);
        }
        int[] bias = new int[c];
        int bt = b.constant("b", bias, Quantization.perTensor(0.0002f, 0), c);
        int oh = (h + stride - 1) / stride;
        int ow = (w + stride - 1) / stride;
        BuiltinOptions o = BuiltinOptions.of("DepthwiseConv2DOptions").set("padding", 0).set("stride_h", stride)
                .set("stride_w", stride).set("depth_multiplier", mult).set("fused_activation_function", 3)
                .set("dilation_h_factor", 1).set("dilation_w_factor", 1);
        b.output(b.op(BuiltinOperator.DEPTHWISE_CONV_2D, 2, o, new int[] {x, wt, bt},
                TensorSpec.quantized("y", type, Quantization.perTensor(0.05f, u8 ? 0 : -128), 1, oh, ow, c))[0]);
        return b.build();
    }


    @Benchmark
    public ExecutionContext invoke(Macs counter) {
        context.invoke();
        counter.gmac += gmacPerInvoke;
        return context;
    }
}
