package dev.whittle.bench;

import dev.whittle.TensorData;
import dev.whittle.model.BuiltinOperator;
import dev.whittle.model.BuiltinOptions;
import dev.whittle.model.Model;
import dev.whittle.model.ModelBuilder.TensorSpec;
import dev.whittle.model.ModelBuilder;
import dev.whittle.model.Quantization;
import dev.whittle.model.Tensor;
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
 * The element-wise, resize and pooling kernels (runtime/kernels/elementwise) per path, on
 * node shapes of the real models: MobileNet v2's largest residual ADD (56x56x24, uint8),
 * DeepLab v3's final RESIZE_BILINEAR (65x65x21 to 513x513, uint8, align_corners), its ARG_MAX
 * over 21 classes and its requantizing QUANTIZE, MobileNet v2's global AVERAGE_POOL (7x7x1280)
 * and SEANet's int16 ADD (320 elements). One single-operator model per trial through the real
 * dispatch. The aux counter {@code gelem} (printed as ops/s) is output elements per second, in
 * billions.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
@State(Scope.Thread)
public class ElementwiseKernelBenchmark {
    @Param({"qu8_add_56x56x24", "qu8_resize_bilinear_65to513x21", "qu8_argmax_513x513x21",
        "qu8_requantize_65x65x256", "qu8_average_pool2d_7x7x1280", "qs16_add_320"})
    public String node;

    @Param({"reference", "java", "avx2"})
    public String path;

    private ExecutionContext context;
    private double gelemPerInvoke;
    /** The kernel dispatch chose, printed once per trial. */
    public String kernel;

    @Setup(Level.Trial)
    public void setUp() {
        Model m = model(node);
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
        System.out.println("# kernel " + kernel);
        context = compiled.newContext();
        SplittableRandom r = new SplittableRandom(3);
        for (int i = 0; i < compiled.inputCount(); i++) {
            Tensor t = compiled.tensorInfo(compiled.inputTensorIndex(i));
            long n = 1;
            for (int d : t.shape()) {
                n *= d;
            }
            byte[] bytes = new byte[(int) (n * t.type().bits() / 8)];
            r.nextBytes(bytes);
            context.setInput(i, new TensorData(t.type(), t.shape(), ByteBuffer.wrap(bytes)
                    .order(ByteOrder.LITTLE_ENDIAN)));
        }
        Tensor out = compiled.tensorInfo(compiled.outputTensorIndex(0));
        long n = 1;
        for (int d : out.shape()) {
            n *= d;
        }
        gelemPerInvoke = n / 1e9;
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        context.close();
    }

    private static Model unary(BuiltinOperator op, BuiltinOptions o, TensorType t, Quantization qi, int[] si,
            Quantization qo, TensorType to, int[] so, int[] constant) {
        ModelBuilder b = new ModelBuilder(op.name().toLowerCase());
        int x = b.input("x", t, qi, si);
        int[] ins = constant == null ? new int[] {x} : new int[] {x, b.constant("c", constant, constant.length)};
        TensorSpec out = qo == null ? TensorSpec.of("y", to, so) : TensorSpec.quantized("y", to, qo, so);
        b.output(b.op(op, 1, o, ins, out)[0]);
        return b.build();
    }

    private static Model add(TensorType t, int[] s, Quantization qa, Quantization qb, Quantization qo) {
        ModelBuilder b = new ModelBuilder("add");
        int x = b.input("x", t, qa, s);
        int y = b.input("y", t, qb, s);
        b.output(b.op(BuiltinOperator.ADD, 1, BuiltinOptions.of("AddOptions").set("fused_activation_function", 0)
                .set("pot_scale_int16", false), new int[] {x, y}, TensorSpec.quantized("z", t, qo, s))[0]);
        return b.build();
    }

    static Model model(String node) {
        Quantization q = Quantization.perTensor(0.05, 128);
        return switch (node) {
            case "qu8_add_56x56x24" -> add(TensorType.UINT8, new int[] {1, 56, 56, 24}, q,
                    Quantization.perTensor(0.07, 120), Quantization.perTensor(0.1, 100));
            case "qs16_add_320" -> add(TensorType.INT16, new int[] {1, 320}, Quantization.perTensor(0.001, 0),
                    Quantization.perTensor(0.0007, 0), Quantization.perTensor(0.002, 0));
            case "qu8_resize_bilinear_65to513x21" -> unary(BuiltinOperator.RESIZE_BILINEAR,
                    BuiltinOptions.of("ResizeBilinearOptions").set("align_corners", true), TensorType.UINT8, q,
                    new int[] {1, 65, 65, 21}, q, TensorType.UINT8, new int[] {1, 513, 513, 21}, new int[] {513, 513});
            case "qu8_argmax_513x513x21" -> unary(BuiltinOperator.ARG_MAX,
                    BuiltinOptions.of("ArgMaxOptions").set("output_type", 2), TensorType.UINT8, q,
                    new int[] {1, 513, 513, 21}, null, TensorType.INT32, new int[] {1, 513, 513}, new int[] {3});
            case "qu8_requantize_65x65x256" -> unary(BuiltinOperator.QUANTIZE, null, TensorType.UINT8, q,
                    new int[] {1, 65, 65, 256}, Quantization.perTensor(0.07, 120), TensorType.UINT8,
                    new int[] {1, 65, 65, 256}, null);
            case "qu8_average_pool2d_7x7x1280" -> unary(BuiltinOperator.AVERAGE_POOL_2D,
                    BuiltinOptions.of("Pool2DOptions").set("padding", 1).set("stride_w", 2).set("stride_h", 2)
                            .set("filter_width", 7).set("filter_height", 7), TensorType.UINT8, q,
                    new int[] {1, 7, 7, 1280}, q, TensorType.UINT8, new int[] {1, 1, 1, 1280}, null);
            default -> throw new IllegalArgumentException(node);
        };
    }

    /** Counts output elements so JMH reports them as a rate: {@code gelem} in "ops/s" is Gelem/s. */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    public static class Elements {
        public double gelem;

        @Setup(Level.Iteration)
        public void reset() {
            gelem = 0;
        }
    }

    @Benchmark
    public ExecutionContext invoke(Elements counter) {
        context.invoke();
        counter.gelem += gelemPerInvoke;
        return context;
    }
}
