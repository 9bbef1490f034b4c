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
 * FULLY_CONNECTED int8/uint8 kernels per path, on the classifier shapes of the MobileNets
 * (batch 1): {@code 256x1001} (v1 0.25), {@code 1024x1001} (v1 1.0), {@code 1280x1001} (v2
 * 1.0). One single-operator model per trial, run through the real dispatch
 * ({@code -Dwhittle.kernels=path} before compile), so the number includes the op's whole
 * invoke: input copy, dot products, output stage.
 *
 * <p>At batch 1 a fully connected layer reads every weight once per invoke, so it is bound by
 * how fast the weights stream from cache or memory (1 MB for 1024x1001: about L2 size here),
 * not by the multipliers. GMAC/s is the aux counter {@code gmac}: JMH prints it as
 * {@code ops/s}; read it as GMAC/s.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
@State(Scope.Thread)
public class FullyConnectedKernelBenchmark {
    /** {@code KxN}: input features x output features. */
    @Param({"256x1001", "1024x1001", "1280x1001"})
    public String shape;

    /** {@code qs8_qc8w} (int8, per-channel weights) or {@code qu8} (uint8, the quant MobileNets). */
    @Param({"qs8_qc8w", "qu8"})
    public String dtype;

    @Param({"reference", "java"})
    public String path;

    /** Not final: JMH's rule against constant folding of benchmark inputs. */
    private ExecutionContext context;
    private CompiledModel compiled;
    private double gmacPerInvoke;
    /** The kernel dispatch chose, printed once per trial. */
    public String kernel;

    @Setup(Level.Trial)
    public void setUp() {
        String[] kn = shape.split("x");
        int k = Integer.parseInt(kn[0]);
        int n = Integer.parseInt(kn[1]);
        boolean u8 = dtype.equals("qu8");
        String before = System.getProperty(KernelPath.PROPERTY);
        System.setProperty(KernelPath.PROPERTY, path);
        try {
            compiled = CompiledModel.compile(model(k, n, u8));
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
        byte[] x = new byte[k];
        new SplittableRandom(2).nextBytes(x);
        context.setInput(0, new TensorData(type, new int[] {1, k}, ByteBuffer.wrap(x).order(ByteOrder.LITTLE_ENDIAN)));
        gmacPerInvoke = (double) k * n / 1e9;
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        context.close();
    }

    static Model model(int k, int n, boolean u8) {
        ModelBuilder b = new ModelBuilder("fc_bench");
        TensorType type = u8 ? TensorType.UINT8 : TensorType.INT8;
        int x = b.input("x", type, Quantization.perTensor(0.02f, u8 ? 128 : 0), 1, k);
        byte[] w = new byte[k * n];
        new SplittableRandom(1).nextBytes(w);
        int wt;
        if (u8) {
            wt = b.constant("w", TensorType.UINT8, Quantization.perTensor(0.01f, 120), ByteBuffer.wrap(w), n, k);
        } else {
            for (int i = 0; i < w.length; i++) {
                w[i] = w[i] == -128 ? -127 : w[i];
            }
            float[] s = new float[n];
            Arrays.fill(s, 0.01f);
            wt = b.constant("w", w, Quantization.perAxis(s, new long[n], 0), n, k);
        }
        int[] bias = new int[n];
        int bt = b.constant("b", bias, Quantization.perTensor(0.0002f, 0), n);
        b.output(b.op(BuiltinOperator.FULLY_CONNECTED, 11, BuiltinOptions.of("FullyConnectedOptions"),
                new int[] {x, wt, bt}, TensorSpec.quantized("y", type, Quantization.perTensor(0.1f, u8 ? 128 : 0),
                        1, n))[0]);
        return b.build();
    }


    @Benchmark
    public ExecutionContext invoke(Macs counter) {
        context.invoke();
        counter.gmac += gmacPerInvoke;
        return context;
    }
}
