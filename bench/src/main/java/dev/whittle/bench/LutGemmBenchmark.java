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
    /**
     * {@code HxWxINxOUT} 1x1 convolution, {@code k3s2HxWxINxOUT} 3x3 stride-2 convolution (im2col;
     * MobileNet v2's first layer), or {@code fcBxINxOUT} fully-connected at batch B.
     */
    @Param({"56x56x24x144", "28x28x32x192", "14x14x96x576", "7x7x320x1280", "56x56x144x24", "k3s2224x224x3x32",
        "fc1x1280x1001", "fc4x1280x1001"})
    public String shape;

    @Param({"qu8", "qs8_qc8w"})
    public String dtype;

    @Param({"dense", "lut"})
    public String weights;

    /** Values per output channel: 16 (4-bit indices), 32 (5-bit, AVX-512 VNNI only). */
    @Param({"16"})
    public int clusters;

    /** Both paths compare against the dense kernel of the same ISA. */
    @Param({"avx2", "avx512vnni"})
    public String path;

    private ExecutionContext context;
    private double gmacPerInvoke;
    /** Intra-op threads (1 in the JMH trials; {@link #main}'s 6th argument). */
    private int threads = 1;

    @Setup(Level.Trial)
    public void setUp() {
        boolean fc = shape.startsWith("fc");
        boolean k3 = shape.startsWith("k3s2");
        int[] s = Arrays.stream(shape.replace("fc", "").replace("k3s2", "").split("x")).mapToInt(Integer::parseInt)
                .toArray();
        boolean u8 = dtype.equals("qu8");
        CompiledModel compiled;
        try {
            System.setProperty(KernelPath.PROPERTY, path);
            System.setProperty(WeightFormat.PROPERTY, weights);
            compiled = CompiledModel.compile(fc ? fcModel(s[0], s[1], s[2], u8, clusters)
                    : k3 ? WeightFormatModels.convKxK("conv3_lut_bench", s[0], s[1], s[2], s[3], 3, 2, u8,
                            clustered(s[3], 9 * s[2], u8, u8 ? 120 : 0, clusters))
                    : convModel(s[0], s[1], s[2], s[3], u8, clusters));
        } finally {
            System.clearProperty(KernelPath.PROPERTY);
            System.clearProperty(WeightFormat.PROPERTY);
        }
        OpProfile.KernelChoice k = OpProfile.kernelChoices(compiled).get(0);
        System.out.println("# kernel " + k.kernel() + ", weight bytes " + k.weightBytes() + " (" + k.why() + ")");
        if (weights.equals("lut") != k.kernel().contains(clusters > 16 ? "_lut5_" : "_lut4") || !k.kernel().endsWith("__" + path)) {
            throw new IllegalStateException(weights + " on " + path + " dispatched " + k.kernel());
        }
        context = compiled.newContext(threads);
        TensorType type = u8 ? TensorType.UINT8 : TensorType.INT8;
        int[] inShape = fc ? new int[] {s[0], s[1]} : new int[] {1, s[0], s[1], s[2]};
        byte[] x = new byte[Arrays.stream(inShape).reduce(1, (a, b) -> a * b)];
        new SplittableRandom(2).nextBytes(x);
        context.setInput(0, new TensorData(type, inShape, ByteBuffer.wrap(x).order(ByteOrder.LITTLE_ENDIAN)));
        gmacPerInvoke = (fc ? (double) s[0] * s[1] * s[2]
                : k3 ? (double) (s[0] / 2) * (s[1] / 2) * 9 * s[2] * s[3] : (double) s[0] * s[1] * s[2] * s[3]) / 1e9;
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        context.close();
    }

    /** outC x inC weights with {@code n} values per output channel (n - 1 random values + the zero). */
    static byte[] clustered(int outC, int inC, boolean u8, int zero, int n) {
        SplittableRandom r = new SplittableRandom(1);
        byte[] w = new byte[outC * inC];
        for (int o = 0; o < outC; o++) {
            int[] table = new int[n];
            table[0] = zero;
            for (int i = 1; i < n; i++) {
                table[i] = u8 ? r.nextInt(256) : r.nextInt(-127, 128);
            }
            for (int i = 0; i < inC; i++) {
                w[o * inC + i] = (byte) table[r.nextInt(n)];
            }
        }
        return w;
    }

    static Model convModel(int h, int w, int inC, int outC, boolean u8, int n) {
        return WeightFormatModels.conv("conv_lut_bench", h, w, inC, outC, u8, clustered(outC, inC, u8, u8 ? 120 : 0, n));
    }

    static Model fcModel(int batches, int in, int out, boolean u8, int n) {
        return WeightFormatModels.fc("fc_lut_bench", batches, in, out, u8, clustered(out, in, u8, u8 ? 120 : 0, n));
    }

    /**
     * The same comparison without JMH, for a shared, noisy machine: per shape and path, the dense
     * and the LUT layer in one process, invoked alternately {@code rounds} times (one thread);
     * prints the minimum and median time of each, the ratio dense / lut of the minimums (above 1:
     * the LUT kernel is faster), dense-equivalent GMAC/s and the weight bytes ratio.
     * {@code java -cp bench/target/benchmarks.jar dev.whittle.bench.LutGemmBenchmark [rounds] [dtype] [paths] [shapes]
     * [clusters] [threads]}
     */
    public static void main(String[] args) {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 200;
        String dtype = args.length > 1 ? args[1] : "qu8";
        String[] paths = (args.length > 2 ? args[2] : "avx2,avx512vnni").split(",");
        String[] shapes = (args.length > 3 ? args[3]
                : "56x56x24x144,28x28x32x192,14x14x96x576,7x7x320x1280,56x56x144x24,k3s2224x224x3x32,fc1x1280x1001,"
                        + "fc4x1280x1001").split(",");
        for (String shape : shapes) {
            for (String path : paths) {
                // -Dwhittle.bench.lutOld=true: a third layer, LUT with -Dwhittle.lut.split=false (the
                // AVX2 lut4_8x2c8 kernel at 1..7 pixels), interleaved with the other two
                int count = Boolean.getBoolean("whittle.bench.lutOld") ? 3 : 2;
                LutGemmBenchmark[] b = new LutGemmBenchmark[count];
                String[] formats = {"dense", "lut", "lut"};
                for (int i = 0; i < count; i++) {
                    b[i] = new LutGemmBenchmark();
                    b[i].shape = shape;
                    b[i].dtype = dtype;
                    b[i].path = path;
                    b[i].weights = formats[i];
                    b[i].clusters = args.length > 4 ? Integer.parseInt(args[4]) : 16;
                    b[i].threads = args.length > 5 ? Integer.parseInt(args[5]) : 1;
                    if (i == 2) {
                        System.setProperty("whittle.lut.split", "false");
                    }
                    try {
                        b[i].setUp();
                    } finally {
                        System.clearProperty("whittle.lut.split");
                    }
                }
                long[][] t = new long[count][rounds];
                for (int warm = 0; warm < Math.max(20, rounds / 10); warm++) {
                    for (int i = 0; i < count; i++) {
                        b[i].context.invoke();
                    }
                }
                // -Dwhittle.bench.evictMb=N: N MB read between invokes (not timed; read, not
                // written, so no write-backs run into the timed invoke), so every invoke finds its
                // weights evicted from the caches, as inside a whole model
                int evictMb = Integer.getInteger("whittle.bench.evictMb", 0);
                byte[] evict = new byte[evictMb << 20];
                java.util.Arrays.fill(evict, (byte) 1);
                long sink = 0;
                for (int r = 0; r < rounds; r++) {
                    for (int i = 0; i < count; i++) {
                        for (int e = 0; e < evict.length; e += 64) {
                            sink += evict[e];
                        }
                        long t0 = System.nanoTime();
                        b[i].context.invoke();
                        t[i][r] = System.nanoTime() - t0;
                    }
                }
                if (sink == 42) {
                    System.out.println("#");
                }
                double[] min = new double[count];
                double[] med = new double[count];
                for (int i = 0; i < count; i++) {
                    Arrays.sort(t[i]);
                    min[i] = t[i][0] / 1e3;
                    med[i] = t[i][rounds / 2] / 1e3;
                    b[i].tearDown();
                }
                System.out.printf(java.util.Locale.ROOT,
                        "RESULT %s c%d %-18s %-10s dense %9.1f us (med %9.1f) %6.1f GMAC/s | lut %9.1f us (med %9.1f) %6.1f"
                                + " GMAC/s | dense/lut min %.2f med %.2f%s%n",
                        dtype, b[1].clusters, shape, path, min[0], med[0], b[0].gmacPerInvoke / min[0] * 1e6, min[1], med[1],
                        b[1].gmacPerInvoke / min[1] * 1e6, min[0] / min[1], med[0] / med[1],
                        count == 3 ? String.format(java.util.Locale.ROOT, " | split=false %9.1f us dense/old min %.2f",
                                min[2], min[0] / min[2]) : "");
            }
        }
    }

    @Benchmark
    public ExecutionContext run(Macs counter) {
        context.invoke();
        counter.gmac += gmacPerInvoke;
        return context;
    }
}
