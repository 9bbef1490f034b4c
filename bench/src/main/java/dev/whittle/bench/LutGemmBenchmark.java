package dev.whittle.bench;

import dev.whittle.TensorData;
import dev.whittle.model.Model;
import dev.whittle.model.TensorType;
import dev.whittle.runtime.CompiledModel;
import dev.whittle.runtime.ExecutionContext;
import dev.whittle.runtime.OpProfile;
import dev.whittle.runtime.kernels.KernelPath;
import dev.whittle.runtime.kernels.WeightFormat;
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
 * LUT-decoded clustered kernels ({@code *_lut4_*}) against the dense GEMM on the SAME weights
 * (16 clusters per output channel), one thread, through the real dispatch
 * ({@code -Dwhittle.weights=dense|lut} and {@code -Dwhittle.kernels=path} at compile):
 * MobileNet v2's 1x1 convolutions ({@code HxWxINxOUT}) and its classifier (1280 -> 1001) at
 * batch 1 and 4. The aux counter {@code gmac} reads as dense-equivalent GMAC/s; the ratio is
 * lut / dense of the same shape, dtype and path. Each trial prints its kernel and the bytes of
 * weights it keeps ({@code PackedWeights}).
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
@State(Scope.Thread)
public class LutGemmBenchmark {
    /** {@code HxWxINxOUT} 1x1 convolution, or {@code fcBxINxOUT} fully-connected at batch B. */
    @Param({"56x56x24x144", "28x28x32x192", "14x14x96x576", "7x7x320x1280", "fc1x1280x1001", "fc4x1280x1001"})
    public String shape;

    @Param({"qu8", "qs8_qc8w"})
    public String dtype;

    @Param({"dense", "lut"})
    public String weights;

    @Param({"avx2"})
    public String path;

    private ExecutionContext context;
    private double gmacPerInvoke;

    @Setup(Level.Trial)
    public void setUp() {
        boolean fc = shape.startsWith("fc");
        int[] s = Arrays.stream(shape.replace("fc", "").split("x")).mapToInt(Integer::parseInt).toArray();
        boolean u8 = dtype.equals("qu8");
        CompiledModel compiled;
        try {
            System.setProperty(KernelPath.PROPERTY, path);
            System.setProperty(WeightFormat.PROPERTY, weights);
            compiled = CompiledModel.compile(fc ? fcModel(s[0], s[1], s[2], u8) : convModel(s[0], s[1], s[2], s[3], u8));
        } finally {
            System.clearProperty(KernelPath.PROPERTY);
            System.clearProperty(WeightFormat.PROPERTY);
        }
        OpProfile.KernelChoice k = OpProfile.kernelChoices(compiled).get(0);
        System.out.println("# kernel " + k.kernel() + ", weight bytes " + k.weightBytes() + " (" + k.why() + ")");
        if (weights.equals("lut") != k.kernel().contains("_lut4_") || !k.kernel().endsWith("__" + path)) {
            throw new IllegalStateException(weights + " on " + path + " dispatched " + k.kernel());
        }
        context = compiled.newContext(1);
        TensorType type = u8 ? TensorType.UINT8 : TensorType.INT8;
        int[] inShape = fc ? new int[] {s[0], s[1]} : new int[] {1, s[0], s[1], s[2]};
        byte[] x = new byte[Arrays.stream(inShape).reduce(1, (a, b) -> a * b)];
        new SplittableRandom(2).nextBytes(x);
        context.setInput(0, new TensorData(type, inShape, ByteBuffer.wrap(x).order(ByteOrder.LITTLE_ENDIAN)));
        gmacPerInvoke = (fc ? (double) s[0] * s[1] * s[2] : (double) s[0] * s[1] * s[2] * s[3]) / 1e9;
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        context.close();
    }

    /** outC x inC weights with 16 values per output channel (15 random values + the zero). */
    static byte[] clustered(int outC, int inC, boolean u8, int zero) {
        SplittableRandom r = new SplittableRandom(1);
        byte[] w = new byte[outC * inC];
        for (int o = 0; o < outC; o++) {
            int[] table = new int[16];
            table[0] = zero;
            for (int i = 1; i < 16; i++) {
                table[i] = u8 ? r.nextInt(256) : r.nextInt(-127, 128);
            }
            for (int i = 0; i < inC; i++) {
                w[o * inC + i] = (byte) table[r.nextInt(16)];
            }
        }
        return w;
    }

    static Model convModel(int h, int w, int inC, int outC, boolean u8) {
        return WeightFormatModels.conv("conv_lut_bench", h, w, inC, outC, u8, clustered(outC, inC, u8, u8 ? 120 : 0));
    }

    static Model fcModel(int batches, int in, int out, boolean u8) {
        return WeightFormatModels.fc("fc_lut_bench", batches, in, out, u8, clustered(out, in, u8, u8 ? 120 : 0));
    }

    @Benchmark
    public ExecutionContext run(Macs counter) {
        context.invoke();
        counter.gmac += gmacPerInvoke;
        return context;
    }
}
