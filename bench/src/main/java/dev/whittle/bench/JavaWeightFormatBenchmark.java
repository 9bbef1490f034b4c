package dev.whittle.bench;

import dev.whittle.TensorData;
import dev.whittle.model.Model;
import dev.whittle.model.TensorType;
import dev.whittle.runtime.CompiledModel;
import dev.whittle.runtime.ExecutionContext;
import dev.whittle.runtime.OpProfile;
import dev.whittle.runtime.kernels.KernelPath;
import dev.whittle.runtime.kernels.WeightFormat;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * The Java path's weight-format kernels ({@code JavaWeightKernels}) against the dense Java int8
 * GEMM on the same weights, without JMH, for a shared, noisy machine: per shape, both layers
 * compiled with {@code -Dwhittle.kernels=java} in one process, invoked alternately
 * {@code rounds} times on one thread; prints min and median of each, dense-equivalent GMAC/s,
 * and dense / format of the minimums (above 1: the format kernel is faster).
 * {@code java --add-modules jdk.incubator.vector -cp bench/target/benchmarks.jar
 * dev.whittle.bench.JavaWeightFormatBenchmark [rounds] [dtype] [format] [shapes]}; format
 * {@code lut} (16 values per layer), {@code lut16pc} / {@code lut32} / {@code lut32pc} (16 per channel,
 * 32 per layer, 32 per channel: the panel LUT kernels).
 */
public final class JavaWeightFormatBenchmark {
    private JavaWeightFormatBenchmark() {
    }

    /**
     * outC x inC weights: {@code lut}: 16 values for the whole layer (15 random + the zero point);
     * {@code sparseNN}: NN% of them the zero point at random, the rest random; {@code sp24}: 2 of
     * every 4 along K the zero point.
     */
    static byte[] weights(String format, int outC, int inC, boolean u8, int zero) {
        SplittableRandom r = new SplittableRandom(1);
        byte[] w = new byte[outC * inC];
        if (format.startsWith("lut") && !format.equals("lut")) {
            // issue 9, session 14: lutNN (NN values per layer) and lutNNpc (NN per channel), NN <= 32
            boolean pc = format.endsWith("pc");
            int values = Integer.parseInt(format.substring(3, format.length() - (pc ? 2 : 0)));
            int[] table = new int[values];
            for (int o = 0; o < outC; o++) {
                if (o == 0 || pc) {
                    table[0] = zero;
                    for (int i = 1; i < values; i++) {
                        table[i] = u8 ? r.nextInt(256) : r.nextInt(-127, 128);
                    }
                }
                for (int i = 0; i < inC; i++) {
                    w[o * inC + i] = (byte) table[r.nextInt(values)];
                }
            }
            return w;
        }
        if (format.equals("lut")) {
            int[] table = new int[16];
            table[0] = zero;
            for (int i = 1; i < 16; i++) {
                table[i] = u8 ? r.nextInt(256) : r.nextInt(-127, 128);
            }
            for (int i = 0; i < w.length; i++) {
                w[i] = (byte) table[r.nextInt(16)];
            }
            return w;
        }
        double zeros = format.equals("sp24") ? 0 : Integer.parseInt(format.substring("sparse".length())) / 100.0;
        for (int i = 0; i < w.length; i++) {
            int v;
            do {
                v = u8 ? r.nextInt(256) : r.nextInt(-127, 128);
            } while (v == zero);
            boolean pruned = format.equals("sp24") ? (i % inC) % 4 >= 2 : r.nextDouble() < zeros;
            w[i] = (byte) (pruned ? zero : v);
        }
        return w;
    }

    private static CompiledModel compile(String shape, String dtype, String format, String weights) {
        boolean fc = shape.startsWith("fc");
        int[] s = Arrays.stream(shape.replace("fc", "").split("x")).mapToInt(Integer::parseInt).toArray();
        boolean u8 = dtype.equals("qu8");
        int zero = u8 ? 120 : 0;
        Model m = fc ? WeightFormatModels.fc("fc_java_fmt", s[0], s[1], s[2], u8, weights(format, s[2], s[1], u8, zero))
                : WeightFormatModels.conv("conv_java_fmt", s[0], s[1], s[2], s[3], u8,
                        weights(format, s[3], s[2], u8, zero));
        try {
            System.setProperty(KernelPath.PROPERTY, "java");
            System.setProperty(WeightFormat.PROPERTY, weights);
            return CompiledModel.compile(m);
        } finally {
            System.clearProperty(KernelPath.PROPERTY);
            System.clearProperty(WeightFormat.PROPERTY);
        }
    }

    public static void main(String[] args) {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 200;
        String dtype = args.length > 1 ? args[1] : "qu8";
        String format = args.length > 2 ? args[2] : "lut";
        String[] shapes = (args.length > 3 ? args[3]
                : "56x56x24x144,56x56x144x24,28x28x32x192,28x28x192x32,14x14x96x576,14x14x576x96,7x7x320x1280,"
                        + "fc1x1280x1001,fc4x1280x1001").split(",");
        String weights = format.startsWith("sparse") ? "sparse" : format.startsWith("sp24") ? "sparse"
                : format.startsWith("lut") ? "lut" : format;
        for (String shape : shapes) {
            CompiledModel[] c = {compile(shape, dtype, format, "dense"), compile(shape, dtype, format, weights)};
            ExecutionContext[] ctx = new ExecutionContext[2];
            String[] names = new String[2];
            long[] bytes = new long[2];
            boolean fc = shape.startsWith("fc");
            int[] s = Arrays.stream(shape.replace("fc", "").split("x")).mapToInt(Integer::parseInt).toArray();
            int[] inShape = fc ? new int[] {s[0], s[1]} : new int[] {1, s[0], s[1], s[2]};
            byte[] x = new byte[Arrays.stream(inShape).reduce(1, (a, b) -> a * b)];
            new SplittableRandom(2).nextBytes(x);
            double gmac = (double) s[0] * s[1] * s[2] * (fc ? 1 : s[3]) / 1e9;
            for (int i = 0; i < 2; i++) {
                OpProfile.KernelChoice k = OpProfile.kernelChoices(c[i]).get(0);
                names[i] = k.kernel();
                bytes[i] = k.weightBytes();
                ctx[i] = c[i].newContext(1);
                ctx[i].setInput(0, new TensorData(dtype.equals("qu8") ? TensorType.UINT8 : TensorType.INT8, inShape,
                        ByteBuffer.wrap(x).order(ByteOrder.LITTLE_ENDIAN)));
            }
            long[][] t = new long[2][rounds];
            // at least 2 s of warm-up: a short first shape was timed (and allocated) before C2 had
            // compiled the Vector API loops (session 14)
            long warmEnd = System.nanoTime() + 2_000_000_000L;
            for (int warm = 0; warm < Math.max(30, rounds / 5) || System.nanoTime() < warmEnd; warm++) {
                ctx[0].invoke();
                ctx[1].invoke();
            }
            for (int r = 0; r < rounds; r++) {
                for (int i = 0; i < 2; i++) {
                    long t0 = System.nanoTime();
                    ctx[i].invoke();
                    t[i][r] = System.nanoTime() - t0;
                }
            }
            // bytes allocated per invoke (0 when C2 kept every vector in registers)
            com.sun.management.ThreadMXBean mx =
                    (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
            long[] alloc = new long[2];
            for (int i = 0; i < 2; i++) {
                long before = mx.getThreadAllocatedBytes(Thread.currentThread().threadId());
                for (int r = 0; r < 10; r++) {
                    ctx[i].invoke();
                }
                alloc[i] = (mx.getThreadAllocatedBytes(Thread.currentThread().threadId()) - before) / 10;
            }
            double[] min = new double[2];
            double[] med = new double[2];
            for (int i = 0; i < 2; i++) {
                Arrays.sort(t[i]);
                min[i] = t[i][0] / 1e3;
                med[i] = t[i][rounds / 2] / 1e3;
                ctx[i].close();
            }
            System.out.printf(Locale.ROOT,
                    "RESULT %s %-6s %-15s dense %8.1f us (med %8.1f) %5.1f GMAC/s | %s %8.1f us (med %8.1f) %5.1f"
                            + " GMAC/s | dense/fmt min %.2f med %.2f | bytes %.2f | alloc/invoke %d %d | %s vs %s%n",
                    dtype, format, shape, min[0], med[0], gmac / min[0] * 1e6, format, min[1], med[1],
                    gmac / min[1] * 1e6, min[0] / min[1], med[0] / med[1], (double) bytes[1] / bytes[0], alloc[0],
                    alloc[1],
                    names[1],
                    names[0]);
        }
    }
}
