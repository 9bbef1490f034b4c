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
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.TreeMap;

/**
 * A whole model compiled twice in one process, {@code -Dwhittle.weights=dense} and {@code auto},
 * invoked alternately on one thread: the min over the invokes of each, in per-thread CPU time
 * (as {@link Sparse24Interleaved}, for a machine shared with other jobs), then the min per
 * operator over separately profiled invokes, summed per operator type, and per weight layer
 * the dense / auto ratio. Usage: {@code java --add-modules jdk.incubator.vector
 * --enable-native-access=ALL-UNNAMED -cp bench/target/benchmarks.jar
 * dev.whittle.bench.Sparse24ModelInterleaved MODEL.tflite u8|s8|f32 1x224x224x3 PATHS N [FORMAT]}: f32 for
 * models with a float32 input (the 16x8 MobileNets made by {@code optimize --quantize int16x8}); FORMAT
 * (auto, sparse or lut; default {@code -Dwhittle.bench.format}, else auto) is compared with dense.
 */
public final class Sparse24ModelInterleaved {
    private Sparse24ModelInterleaved() {
    }

    /** Arguments: model, input type, input shape, paths (comma-separated), invokes per model, [format]. */
    public static void main(String[] a) {
        Model model = ModelReader.read(Path.of(a[0]));
        TensorType type = a[1].equals("f32") ? TensorType.FLOAT32 : a[1].equals("u8") ? TensorType.UINT8
                : TensorType.INT8;
        int[] shape = Arrays.stream(a[2].split("x")).mapToInt(Integer::parseInt).toArray();
        int n = Integer.parseInt(a[4]);
        var bean = java.lang.management.ManagementFactory.getThreadMXBean();
        for (String path : a[3].split(",")) {
            // -Dwhittle.bench.format=lut compares the LUT kernels instead of auto (issue 9, session 9)
            String[] formats = {"dense", a.length > 5 ? a[5] : System.getProperty("whittle.bench.format", "auto")};
            ExecutionContext[] ctx = new ExecutionContext[2];
            OpProfile[] prof = new OpProfile[2];
            List<String>[] names = new List[2];
            for (int i = 0; i < 2; i++) {
                System.setProperty("whittle.kernels", path);
                System.setProperty("whittle.weights", formats[i]);
                CompiledModel cm = CompiledModel.compile(model);
                names[i] = OpProfile.kernelNames(cm);
                prof[i] = OpProfile.of(cm);
                ctx[i] = cm.newContext(1);
                int count = Arrays.stream(shape).reduce(1, (p, q) -> p * q);
                byte[] x = new byte[type == TensorType.FLOAT32 ? 4 * count : count];
                if (type == TensorType.FLOAT32) {
                    SplittableRandom rnd = new SplittableRandom(2);
                    ByteBuffer fb = ByteBuffer.wrap(x).order(ByteOrder.LITTLE_ENDIAN);
                    for (int j = 0; j < count; j++) {
                        fb.putFloat(4 * j, (float) rnd.nextDouble(-1, 1));
                    }
                } else {
                    new SplittableRandom(2).nextBytes(x);
                }
                ctx[i].setInput(0, new TensorData(type, shape, ByteBuffer.wrap(x).order(ByteOrder.LITTLE_ENDIAN)));
            }
            for (int w = 0; w < 10; w++) for (ExecutionContext c : ctx) c.invoke();
            long[] best = {Long.MAX_VALUE, Long.MAX_VALUE};
            int nodes = prof[0].entries().size();
            long[][] nodeBest = new long[2][nodes];
            for (long[] b : nodeBest) Arrays.fill(b, Long.MAX_VALUE);
            for (int r = 0; r < n; r++) {
                for (int i = 0; i < 2; i++) {
                    long t0 = bean.getCurrentThreadCpuTime();
                    ctx[i].invoke();
                    best[i] = Math.min(best[i], bean.getCurrentThreadCpuTime() - t0);
                    prof[i].reset();
                    ctx[i].invoke(prof[i]);
                    List<OpProfile.Entry> e = prof[i].entries();
                    for (int k = 0; k < nodes; k++) nodeBest[i][k] = Math.min(nodeBest[i][k], e.get(k).nanos());
                }
            }
            System.out.printf("%s %s: dense %.3f ms, %s %.3f ms (min of %d, thread CPU): %.3fx%n", a[0], path,
                    best[0] / 1e6, formats[1], best[1] / 1e6, n, (double) best[0] / best[1]);
            TreeMap<String, long[]> byOp = new TreeMap<>();
            List<OpProfile.Entry> e = prof[0].entries();
            for (int k = 0; k < nodes; k++) {
                long[] s = byOp.computeIfAbsent(e.get(k).op(), o -> new long[2]);
                s[0] += nodeBest[0][k];
                s[1] += nodeBest[1][k];
                if (!names[0].get(k).equals(names[1].get(k))) {
                    System.out.printf("  %3d %-36s %7.3f ms -> %-36s %7.3f ms  %.2fx%n", k, names[0].get(k),
                            nodeBest[0][k] / 1e6, names[1].get(k), nodeBest[1][k] / 1e6,
                            (double) nodeBest[0][k] / nodeBest[1][k]);
                }
            }
            byOp.forEach((op, s) -> System.out.printf("  %-16s dense %7.3f ms  %s %7.3f ms  %.2fx%n", op, s[0] / 1e6,
                    formats[1], s[1] / 1e6, (double) s[0] / s[1]));
            for (ExecutionContext c : ctx) c.close();
        }
    }
}
