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
 * 2:4 structured sparse kernels ({@code *_sp24_*}) against the dense GEMM kernel of the same
 * path on the SAME 2:4 weights, one thread: MobileNet v2 1.0's 1x1 convolution shapes
 * ({@code HxWxINxOUT}) and its classifier ({@code fc1280x1001}, FULLY_CONNECTED at batch 1).
 * {@code format} is {@code -Dwhittle.weights} at compile: {@code dense} runs the dense kernel,
 * {@code sparse} the 2:4 one (the trial fails if it does not dispatch). The aux counter
 * {@code gmac} counts dense-equivalent MACs (H * W * IN * OUT), so the ratio of the two
 * formats' {@code gmac} is the speed-up. The {@code qu8 / avx512vnni / sparse} trials run the VNNI
 * 2:4 kernel with its residual blocks for the few kept weights outside int8 (kernels/README.md
 * "2:4").
 * On a shared machine the means are noisy; the README's numbers are the min of interleaved
 * invokes of both formats.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
@State(Scope.Thread)
public class Sparse24Benchmark {
    @Param({"56x56x24x144", "28x28x32x192", "14x14x96x576", "7x7x320x1280", "56x56x144x24", "fc1280x1001"})
    public String shape;

    /** {@code qu8} (the quantized MobileNets) or {@code qs8_qc8w}. */
    @Param({"qu8", "qs8_qc8w"})
    public String dtype;

    @Param({"avx2", "avx512vnni"})
    public String path;

    @Param({"dense", "sparse"})
    public String format;

    private ExecutionContext context;
    private double gmacPerInvoke;

    @Setup(Level.Trial)
    public void setUp() {
        boolean u8 = dtype.equals("qu8");
        boolean fc = shape.startsWith("fc");
        int[] s = Arrays.stream(shape.replace("fc", "1x1x").split("x")).mapToInt(Integer::parseInt).toArray();
        Model model = fc ? fcModel(s[2], s[3], u8) : convModel(s[0], s[1], s[2], s[3], u8);
        String beforePath = System.getProperty(KernelPath.PROPERTY);
        String beforeFormat = System.getProperty(WeightFormat.PROPERTY);
        System.setProperty(KernelPath.PROPERTY, path);
        System.setProperty(WeightFormat.PROPERTY, format);
        CompiledModel compiled;
        try {
            compiled = CompiledModel.compile(model);
        } finally {
            WeightFormatModels.restore(KernelPath.PROPERTY, beforePath);
            WeightFormatModels.restore(WeightFormat.PROPERTY, beforeFormat);
        }
        String kernel = OpProfile.kernelNames(compiled).get(0);
        System.out.println("# kernel " + kernel);
        String expected = format.equals("sparse") ? "_sp24_" : "_gemm_";
        if (!kernel.contains(expected) || !kernel.endsWith("__" + path)) {
            throw new IllegalStateException(path + "/" + format + " dispatched " + kernel);
        }
        context = compiled.newContext(1);
        TensorType type = u8 ? TensorType.UINT8 : TensorType.INT8;
        byte[] x = new byte[s[0] * s[1] * s[2]];
        new SplittableRandom(2).nextBytes(x);
        int[] inShape = fc ? new int[] {1, s[2]} : new int[] {1, s[0], s[1], s[2]};
        context.setInput(0, new TensorData(type, inShape, ByteBuffer.wrap(x).order(ByteOrder.LITTLE_ENDIAN)));
        gmacPerInvoke = (double) s[0] * s[1] * s[2] * s[3] / 1e9;
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        context.close();
    }

    /**
     * Random {@code [outC][inC]} weights pruned to 2:4: the 2 largest |w - zero| of each group of 4
     * kept. uint8: zero + N(0, 30) clamped to [0, 255], like a quantized MobileNet's bell-shaped
     * layers (a kept w - zero outside int8 in ~0.3% of the VNNI kernel's 16 x 8 blocks; the real
     * mobilenet_v2_1.0_224_quant pruned 2:4: 0.1%); int8: uniform.
     */
    static byte[] weights24(int outC, int inC, boolean u8, int zero) {
        byte[] w = new byte[outC * inC];
        SplittableRandom random = new SplittableRandom(1);
        random.nextBytes(w);
        if (u8) {
            java.util.Random gaussian = new java.util.Random(1);
            for (int i = 0; i < w.length; i++) {
                w[i] = (byte) Math.max(0, Math.min(255, zero + (int) Math.round(30 * gaussian.nextGaussian())));
            }
        }
        for (int i = 0; i < w.length; i += 4) {
            int[] mag = new int[4];
            for (int j = 0; j < 4; j++) {
                if (!u8 && w[i + j] == -128) {
                    w[i + j] = -127;
                }
                mag[j] = Math.abs((u8 ? w[i + j] & 0xff : w[i + j]) - zero);
            }
            for (int drop = 0; drop < 2; drop++) {
                int min = -1;
                for (int j = 0; j < 4; j++) {
                    if (mag[j] >= 0 && (min < 0 || mag[j] < mag[min])) {
                        min = j;
                    }
                }
                w[i + min] = (byte) zero;
                mag[min] = -1;
            }
        }
        return w;
    }

    static Model convModel(int h, int w, int inC, int outC, boolean u8) {
        return WeightFormatModels.conv("sp24_conv_bench", h, w, inC, outC, u8, weights24(outC, inC, u8, u8 ? 120 : 0));
    }

    static Model fcModel(int k, int n, boolean u8) {
        return WeightFormatModels.fc("sp24_fc_bench", 1, k, n, u8, weights24(n, k, u8, u8 ? 120 : 0));
    }

    @Benchmark
    public ExecutionContext invoke(Macs counter) {
        context.invoke();
        counter.gmac += gmacPerInvoke;
        return context;
    }
}
