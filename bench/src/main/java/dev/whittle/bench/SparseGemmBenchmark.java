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
 * Blocked unstructured sparse int8/uint8 GEMM ({@code *_sparse_64x1c2__avx2},
 * {@code *_sparse_64x1c4__avx512vnni}) against the dense GEMM of the same ISA
 * ({@code *_gemm_4x16c2__avx2}, {@code *_gemm_8x16c4__avx512vnni}) on the SAME pruned weights, one thread, through the
 * real dispatch: {@code weights=dense} compiles with {@code -Dwhittle.weights=dense},
 * {@code weights=sparse} with {@code sparse}. Shapes: MobileNet v2 1x1 convolutions
 * ({@code HxWxINxOUT}) and its classifier ({@code fcBxINxOUT}). Pruning: {@code random} zeroes
 * each weight with probability {@code sparsity} (what magnitude pruning of real weights gives:
 * a 1xB block is all zero with probability ~s^B, measured on `whittle prune` output),
 * {@code block4} zeroes aligned 1x4 runs along K with that probability. The aux counter
 * {@code gmac} counts dense-equivalent MACs (all of H*W*IN*OUT), so the ratio of the two
 * rows is the speedup.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
@State(Scope.Thread)
public class SparseGemmBenchmark {
    @Param({"56x56x24x144", "28x28x32x192", "14x14x96x576", "7x7x320x1280", "fc1x1280x1001"})
    public String shape;

    @Param({"qu8", "qs8_qc8w"})
    public String dtype;

    @Param({"0.5", "0.7", "0.8", "0.9"})
    public double sparsity;

    @Param({"random", "block4"})
    public String pattern;

    @Param({"dense", "sparse"})
    public String weights;

    /**
     * The kernel path both formats are compiled for: {@code avx2} (sparse {@code *_sparse_64x1c2__avx2}
     * against dense {@code *_gemm_4x16c2__avx2}) or {@code avx512vnni} ({@code *_sparse_64x1c4__avx512vnni}
     * against {@code *_gemm_8x16c4__avx512vnni}).
     */
    @Param({"avx2", "avx512vnni"})
    public String path;

    private ExecutionContext context;
    private double gmacPerInvoke;
    public String kernel;

    @Setup(Level.Trial)
    public void setUp() {
        boolean fc = shape.startsWith("fc");
        int[] s = Arrays.stream(shape.replace("fc", "").split("x")).mapToInt(Integer::parseInt).toArray();
        boolean u8 = dtype.equals("qu8");
        String beforePath = System.getProperty(KernelPath.PROPERTY);
        String beforeWeights = System.getProperty(WeightFormat.PROPERTY);
        System.setProperty(KernelPath.PROPERTY, path);
        System.setProperty(WeightFormat.PROPERTY, weights);
        CompiledModel compiled;
        try {
            compiled = CompiledModel.compile(fc ? fcModel(s[0], s[1], s[2], u8) : convModel(s[0], s[1], s[2], s[3], u8));
        } finally {
            WeightFormatModels.restore(KernelPath.PROPERTY, beforePath);
            WeightFormatModels.restore(WeightFormat.PROPERTY, beforeWeights);
        }
        kernel = OpProfile.kernelNames(compiled).get(0);
        System.out.println("# kernel " + kernel + ": " + OpProfile.kernelChoices(compiled).get(0).why());
        if (!kernel.contains(weights.equals("sparse") ? "_sparse_" : "_gemm_")) {
            throw new IllegalStateException(weights + " dispatched " + kernel);
        }
        context = compiled.newContext(1);
        TensorType type = u8 ? TensorType.UINT8 : TensorType.INT8;
        int[] inShape = fc ? new int[] {s[0], s[1]} : new int[] {1, s[0], s[1], s[2]};
        byte[] x = new byte[fc ? s[0] * s[1] : s[0] * s[1] * s[2]];
        new SplittableRandom(2).nextBytes(x);
        context.setInput(0, new TensorData(type, inShape, ByteBuffer.wrap(x).order(ByteOrder.LITTLE_ENDIAN)));
        gmacPerInvoke = (fc ? (double) s[0] * s[1] * s[2] : (double) s[0] * s[1] * s[2] * s[3]) / 1e9;
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        context.close();
    }

    /** Random weights [outC][k], pruned: each weight or each aligned 1x4 run to the zero byte. */
    private byte[] weights(int outC, int k, boolean u8, int zero) {
        byte[] wv = new byte[outC * k];
        SplittableRandom r = new SplittableRandom(1);
        r.nextBytes(wv);
        for (int i = 0; i < wv.length; i++) {
            wv[i] = !u8 && wv[i] == -128 ? -127 : wv[i];
        }
        int block = pattern.equals("block4") ? 4 : 1;
        for (int o = 0; o < outC; o++) {
            for (int j = 0; j < k; j += block) {
                if (r.nextDouble() < sparsity) {
                    for (int i = j; i < Math.min(k, j + block); i++) {
                        wv[o * k + i] = (byte) zero;
                    }
                }
            }
        }
        return wv;
    }

    private Model convModel(int h, int w, int inC, int outC, boolean u8) {
        return WeightFormatModels.conv("sparse_conv_bench", h, w, inC, outC, u8, weights(outC, inC, u8, u8 ? 120 : 0));
    }

    private Model fcModel(int batches, int k, int n, boolean u8) {
        return WeightFormatModels.fc("sparse_fc_bench", batches, k, n, u8, weights(n, k, u8, u8 ? 120 : 0));
    }

    @Benchmark
    public ExecutionContext invoke(Macs counter) {
        context.invoke();
        counter.gmac += gmacPerInvoke;
        return context;
    }
}
