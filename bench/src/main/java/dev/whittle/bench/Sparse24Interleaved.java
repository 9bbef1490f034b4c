package dev.whittle.bench;

import dev.whittle.TensorData;
import dev.whittle.model.Model;
import dev.whittle.model.TensorType;
import dev.whittle.runtime.CompiledModel;
import dev.whittle.runtime.ExecutionContext;
import dev.whittle.runtime.OpProfile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * {@link Sparse24Benchmark}'s single-layer models, dense against 2:4 per path, timed as the min of
 * interleaved invokes in per-thread CPU time: on a machine shared with other jobs JMH's means
 * carry error bars larger than the scores, while the fastest invoke of each kernel, measured
 * alternately under the same load, stays reproducible (kernels/README.md "2:4"). Usage:
 * {@code java --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -cp
 * bench/target/benchmarks.jar dev.whittle.bench.Sparse24Interleaved SHAPES qu8|qs8_qc8w PATHS N},
 * e.g. {@code 7x7x320x1280,fc1280x1001 qu8 avx2,avx512vnni 100}. Prints dense-equivalent GMAC/s
 * and dense time / 2:4 time per path.
 */
public final class Sparse24Interleaved {
    private Sparse24Interleaved() {
    }

    /** Arguments: shapes (comma-separated), dtype, paths (comma-separated), invokes per kernel. */
    public static void main(String[] a) {
        String[] shapes = a[0].split(",");
        String dtype = a[1];
        String[] paths = a[2].split(",");
        int n = Integer.parseInt(a[3]);
        boolean u8 = dtype.equals("qu8");
        var bean = java.lang.management.ManagementFactory.getThreadMXBean();
        for (String shape : shapes) {
            boolean fc = shape.startsWith("fc");
            int[] s = Arrays.stream(shape.replace("fc", "1x1x").split("x")).mapToInt(Integer::parseInt).toArray();
            Model model = fc ? Sparse24Benchmark.fcModel(s[2], s[3], u8) : Sparse24Benchmark.convModel(s[0], s[1], s[2], s[3], u8);
            StringBuilder line = new StringBuilder(String.format("%-14s %-8s", shape, dtype));
            for (String path : paths) {
                ExecutionContext[] ctx = new ExecutionContext[2];
                String[] names = new String[2];
                String[] formats = {"dense", "sparse"};
                for (int i = 0; i < 2; i++) {
                    System.setProperty("whittle.kernels", path);
                    System.setProperty("whittle.weights", formats[i]);
                    CompiledModel cm = CompiledModel.compile(model);
                    names[i] = OpProfile.kernelNames(cm).get(0);
                    ctx[i] = cm.newContext(1);
                    byte[] x = new byte[s[0] * s[1] * s[2]];
                    new SplittableRandom(2).nextBytes(x);
                    int[] inShape = fc ? new int[] {1, s[2]} : new int[] {1, s[0], s[1], s[2]};
                    ctx[i].setInput(0, new TensorData(u8 ? TensorType.UINT8 : TensorType.INT8, inShape,
                            ByteBuffer.wrap(x).order(ByteOrder.LITTLE_ENDIAN)));
                }
                long[][] t = new long[2][n];
                for (int w = 0; w < 20; w++) for (ExecutionContext c : ctx) c.invoke();
                // -Dwhittle.bench.evictMb=N: N MB read between invokes (untimed), so every invoke
                // finds its weights in DRAM, as a layer inside a whole model (LutGemmBenchmark's)
                byte[] evict = new byte[Integer.getInteger("whittle.bench.evictMb", 0) << 20];
                Arrays.fill(evict, (byte) 1);
                long sink = 0;
                for (int r = 0; r < n; r++) {
                    for (int i = 0; i < 2; i++) {
                        for (int e = 0; e < evict.length; e += 64) {
                            sink += evict[e];
                        }
                        long t0 = bean.getCurrentThreadCpuTime();
                        ctx[i].invoke();
                        t[i][r] = bean.getCurrentThreadCpuTime() - t0;
                    }
                }
                if (sink == 42) {
                    System.out.println("#");
                }
                for (int i = 0; i < 2; i++) Arrays.sort(t[i]);
                double gmac = (double) s[0] * s[1] * s[2] * s[3];
                line.append(String.format(" | %s: dense %.1f %s %.1f GMAC/s %.2fx", path, gmac / t[0][0], names[1].contains("sp24") ? "sp24" : "(dense)", gmac / t[1][0], (double) t[0][0] / t[1][0]));
                for (ExecutionContext c : ctx) c.close();
            }
            System.out.println(line);
        }
    }
}
