package dev.whittle.bench;

import dev.whittle.TensorData;
import dev.whittle.model.Model;
import dev.whittle.model.TensorType;
import dev.whittle.model.io.ModelReader;
import dev.whittle.runtime.CompiledModel;
import dev.whittle.runtime.ExecutionContext;
import dev.whittle.runtime.OpProfile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.TreeMap;

/**
 * A whole model compiled four times in one process: two weight formats ({@code
 * -Dwhittle.weights}, e.g. {@code dense,sparse} or {@code dense,lut}) x depthwise + 1x1 fusion on
 * and off ({@code -Dwhittle.fuse}), all invoked alternately on contexts of {@code THREADS}
 * threads: the min time over the invokes of each (wall at 2+ threads, where the workers' time
 * counts; thread CPU time at 1, as {@link Sparse24ModelInterleaved}, for a shared machine), the format ratios fused and unfused, and the min per
 * operator over separately profiled invokes summed per operator type (a fused pair counts as
 * {@code DepthwiseConv2D+Conv2D}). Usage: {@code java --add-modules jdk.incubator.vector
 * --enable-native-access=ALL-UNNAMED -cp bench/target/benchmarks.jar
 * dev.whittle.bench.FormatFusionInterleaved MODEL.tflite u8|s8 1x224x224x3 PATH N THREADS
 * dense,sparse}.
 */
public final class FormatFusionInterleaved {
    private FormatFusionInterleaved() {
    }

    /** Arguments: model, input type, input shape, path, invokes per variant, threads, two formats. */
    public static void main(String[] a) {
        Model model = ModelReader.read(Path.of(a[0]));
        TensorType type = a[1].equals("u8") ? TensorType.UINT8 : TensorType.INT8;
        int[] shape = Arrays.stream(a[2].split("x")).mapToInt(Integer::parseInt).toArray();
        String path = a[3];
        int n = Integer.parseInt(a[4]);
        int threads = Integer.parseInt(a[5]);
        String[] formats = a[6].split(",");
        List<String> labels = new ArrayList<>();
        List<ExecutionContext> ctx = new ArrayList<>();
        List<OpProfile> prof = new ArrayList<>();
        List<List<String>> names = new ArrayList<>();
        for (String fuse : new String[] {"true", "false"}) {
            for (String f : formats) {
                System.setProperty("whittle.kernels", path);
                System.setProperty("whittle.weights", f);
                System.setProperty("whittle.fuse", fuse);
                CompiledModel cm = CompiledModel.compile(model);
                labels.add(f + (fuse.equals("true") ? " fused" : " unfused"));
                prof.add(OpProfile.of(cm));
                names.add(OpProfile.kernelNames(cm));
                ExecutionContext c = cm.newContext(threads);
                byte[] x = new byte[Arrays.stream(shape).reduce(1, (p, q) -> p * q)];
                new SplittableRandom(2).nextBytes(x);
                c.setInput(0, new TensorData(type, shape, ByteBuffer.wrap(x).order(ByteOrder.LITTLE_ENDIAN)));
                ctx.add(c);
            }
        }
        int v = ctx.size();
        var bean = java.lang.management.ManagementFactory.getThreadMXBean();
        for (int w = 0; w < 10; w++) for (ExecutionContext c : ctx) c.invoke();
        long[] best = new long[v];
        Arrays.fill(best, Long.MAX_VALUE);
        List<TreeMap<String, Long>> byOp = new ArrayList<>();
        long[][] nodeBest = new long[v][];
        for (int i = 0; i < v; i++) {
            nodeBest[i] = new long[prof.get(i).entries().size()];
            Arrays.fill(nodeBest[i], Long.MAX_VALUE);
        }
        for (int r = 0; r < n; r++) {
            for (int i = 0; i < v; i++) {
                long t0 = threads == 1 ? bean.getCurrentThreadCpuTime() : System.nanoTime();
                ctx.get(i).invoke();
                long t1 = threads == 1 ? bean.getCurrentThreadCpuTime() : System.nanoTime();
                best[i] = Math.min(best[i], t1 - t0);
                prof.get(i).reset();
                ctx.get(i).invoke(prof.get(i));
                List<OpProfile.Entry> e = prof.get(i).entries();
                for (int k = 0; k < e.size(); k++) nodeBest[i][k] = Math.min(nodeBest[i][k], e.get(k).nanos());
            }
        }
        System.out.printf("%s %s, %d threads, min of %d (%s):%n", a[0], path, threads, n,
                threads == 1 ? "thread CPU time" : "wall");
        for (int i = 0; i < v; i++) {
            System.out.printf("  %-16s %7.3f ms%n", labels.get(i), best[i] / 1e6);
            TreeMap<String, Long> ops = new TreeMap<>();
            List<OpProfile.Entry> e = prof.get(i).entries();
            for (int k = 0; k < e.size(); k++) ops.merge(e.get(k).op(), nodeBest[i][k], Long::sum);
            byOp.add(ops);
        }
        int nf = formats.length;
        for (int g = 0; g < 2; g++) {
            System.out.printf("  %s / %s %s: %.3fx%n", formats[0], formats[1], g == 0 ? "fused" : "unfused",
                    (double) best[g * nf] / best[g * nf + 1]);
        }
        for (int f = 0; f < nf; f++) {
            System.out.printf("  %s unfused / fused: %.3fx%n", formats[f], (double) best[nf + f] / best[f]);
        }
        TreeMap<String, Boolean> all = new TreeMap<>();
        byOp.forEach(m -> m.keySet().forEach(k -> all.put(k, true)));
        System.out.printf("  per op (sum of per-node mins, ms): %s%n", labels);
        for (String op : all.keySet()) {
            StringBuilder sb = new StringBuilder(String.format("  %-24s", op));
            for (TreeMap<String, Long> m : byOp) sb.append(String.format(" %8.3f", m.getOrDefault(op, 0L) / 1e6));
            System.out.println(sb);
        }
        if (Boolean.getBoolean("layers")) {
            // per node where the formats' kernels differ, unfused (-Dlayers=true)
            for (int k = 0; k < nodeBest[nf].length; k++) {
                if (!names.get(nf).get(k).equals(names.get(nf + 1).get(k))) {
                    System.out.printf("  %3d %-40s %7.3f ms -> %-40s %7.3f ms  %.2fx%n", k, names.get(nf).get(k),
                            nodeBest[nf][k] / 1e6, names.get(nf + 1).get(k), nodeBest[nf + 1][k] / 1e6,
                            (double) nodeBest[nf][k] / nodeBest[nf + 1][k]);
                }
            }
        }
        for (ExecutionContext c : ctx) c.close();
    }
}
