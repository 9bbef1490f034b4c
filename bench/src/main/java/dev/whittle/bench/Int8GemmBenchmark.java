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
import dev.whittle.runtime.kernels.NativeKernels;
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

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * The native int8/uint8 GEMM convolution ({@code q*_conv2d_gemm_*}) per path on MobileNet v2's
 * 1x1 convolution shapes (pixels x inC -> outC), one thread, through the real dispatch
 * ({@code -Dwhittle.kernels=path} at compile): the number includes the im2col/widening pack
 * and the fused requantization. {@link Peak} measures the multiply-add peak of each ISA's
 * inner instruction in registers ({@code whittle_qs16_peak__avx2}: vpmaddwd + vpaddd;
 * {@code whittle_qs8_peak__avx512vnni}: vpdpbusd), so a shape's GMAC/s over its ISA's peak
 * is the fraction of peak. The aux counter {@code gmac} ("ops/s") reads as GMAC/s.
 *
 * <p>On a shared machine, wall-clock rates understate both the kernel and the peak; their
 * ratio stays meaningful only when both are measured under the same load.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
@State(Scope.Thread)
public class Int8GemmBenchmark {
    /** {@code HxWxINxOUT}: MobileNet v2 1.0 224 expansion/projection 1x1 convolutions. */
    @Param({"56x56x24x144", "28x28x32x192", "14x14x96x576", "7x7x320x1280", "56x56x144x24"})
    public String shape;

    /** {@code qu8} (the quantized MobileNets) or {@code qs8_qc8w} (int8, per-channel weights). */
    @Param({"qu8", "qs8_qc8w"})
    public String dtype;

    @Param({"avx2", "avx512vnni"})
    public String path;

    private ExecutionContext context;
    private double gmacPerInvoke;
    public String kernel;

    @Setup(Level.Trial)
    public void setUp() {
        int[] s = Arrays.stream(shape.split("x")).mapToInt(Integer::parseInt).toArray();
        boolean u8 = dtype.equals("qu8");
        String before = System.getProperty(KernelPath.PROPERTY);
        System.setProperty(KernelPath.PROPERTY, path);
        CompiledModel compiled;
        try {
            compiled = CompiledModel.compile(model(s[0], s[1], s[2], s[3], u8));
        } finally {
            if (before == null) {
                System.clearProperty(KernelPath.PROPERTY);
            } else {
                System.setProperty(KernelPath.PROPERTY, before);
            }
        }
        kernel = OpProfile.kernelNames(compiled).get(0);
        System.out.println("# kernel " + kernel);
        if (!kernel.contains("_gemm_")) {
            // This machine lacks the path: fail the trial rather than time the reference.
            throw new IllegalStateException(path + " has no GEMM kernel here (dispatched " + kernel + ")");
        }
        context = compiled.newContext(1);
        TensorType type = u8 ? TensorType.UINT8 : TensorType.INT8;
        byte[] x = new byte[s[0] * s[1] * s[2]];
        new SplittableRandom(2).nextBytes(x);
        context.setInput(0, new TensorData(type, new int[] {1, s[0], s[1], s[2]},
                ByteBuffer.wrap(x).order(ByteOrder.LITTLE_ENDIAN)));
        gmacPerInvoke = (double) s[0] * s[1] * s[2] * s[3] / 1e9;
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        context.close();
    }

    static Model model(int h, int w, int inC, int outC, boolean u8) {
        ModelBuilder b = new ModelBuilder("conv_bench");
        TensorType type = u8 ? TensorType.UINT8 : TensorType.INT8;
        int x = b.input("x", type, Quantization.perTensor(0.02f, u8 ? 128 : 0), 1, h, w, inC);
        byte[] wv = new byte[outC * inC];
        new SplittableRandom(1).nextBytes(wv);
        int wt;
        float[] scales = new float[outC];
        Arrays.fill(scales, 0.01f);
        if (u8) {
            wt = b.constant("w", TensorType.UINT8, Quantization.perTensor(0.01f, 120), ByteBuffer.wrap(wv), outC, 1, 1,
                    inC);
        } else {
            for (int i = 0; i < wv.length; i++) {
                wv[i] = wv[i] == -128 ? -127 : wv[i];
            }
            wt = b.constant("w", wv, Quantization.perAxis(scales, new long[outC], 0), outC, 1, 1, inC);
        }
        int bt = b.constant("b", new int[outC], u8 ? Quantization.perTensor(0.0002f, 0)
                : Quantization.perAxis(scaled(scales, 0.02f), new long[outC], 0), outC);
        BuiltinOptions o = BuiltinOptions.of("Conv2DOptions").set("padding", 0).set("stride_h", 1).set("stride_w", 1)
                .set("dilation_h_factor", 1).set("dilation_w_factor", 1).set("fused_activation_function", 3);
        b.output(b.op(BuiltinOperator.CONV_2D, 1, o, new int[] {x, wt, bt},
                TensorSpec.quantized("y", type, Quantization.perTensor(0.1f, u8 ? 128 : 0), 1, h, w, outC))[0]);
        return b.build();
    }

    private static float[] scaled(float[] s, float by) {
        float[] out = new float[s.length];
        for (int i = 0; i < s.length; i++) {
            out[i] = s[i] * by;
        }
        return out;
    }


    @Benchmark
    public ExecutionContext conv(Macs counter) {
        context.invoke();
        counter.gmac += gmacPerInvoke;
        return context;
    }

    /** The in-register multiply-add peak of each ISA's GEMM instruction, one thread. */
    @State(Scope.Thread)
    public static class Peak {
        @Param({"avx2", "avx512vnni"})
        public String isa;

        private MethodHandle peak;
        private double gmacPerCall;
        private long iterations = 1_000_000;

        @Setup(Level.Trial)
        public void setUp() {
            String symbol = isa.equals("avx2") ? "whittle_qs16_peak__avx2" : "whittle_qs8_peak__avx512vnni";
            if (!NativeKernels.has(symbol)) {
                throw new IllegalStateException(symbol + " is not in libwhittle");
            }
            peak = NativeKernels.handle(symbol, FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG));
            // MACs per iteration: 8 vpmaddwd ymm (16 each) or 12 vpdpbusd zmm (64 each).
            gmacPerCall = iterations * (isa.equals("avx2") ? 8.0 * 16 : 12.0 * 64) / 1e9;
        }

        @Benchmark
        public int peak(Macs counter) throws Throwable {
            int r = (int) peak.invokeExact(iterations);
            counter.gmac += gmacPerCall;
            return r;
        }
    }
}
