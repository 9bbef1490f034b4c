package dev.whittle.bench;

import dev.whittle.TensorData;
import dev.whittle.model.Model;
import dev.whittle.model.io.ModelReader;
import dev.whittle.model.io.ModelRepair;
import dev.whittle.runtime.CompiledModel;
import dev.whittle.runtime.ExecutionContext;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Whole-model latency at 1 thread against N threads (intra-op), in one process and interleaved,
 * so that both see the same machine: per round, a block of {@code block} invokes on the 1-thread
 * context, then a block on each N-thread context; the time per invoke of each block is one
 * sample. Before each block the harness sleeps 3 ms (the previous context's workers park) and
 * runs one untimed invoke (this context's workers wake). Prints min, p10 and p50 of each contender and the ratios of min and p50 to 1 thread.
 *
 * <pre>
 * java --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED \
 *     -cp bench/target/benchmarks.jar dev.whittle.bench.ThreadScaling \
 *     [--rounds 100] [--block N (default: ~10 ms of invokes)] [--threads 2[,3..]] [--ab] MODEL.tflite [MODEL2.tflite ...]
 * </pre>
 *
 * {@code --ab} adds, per thread count, a context of the model compiled with
 * {@code -Dwhittle.threads.fewRowsSplit=true} ({@code --ab-prop NAME=VALUE}: with that property
 * instead, e.g. {@code whittle.fuse=false}; several: {@code A=x,B=y}) (nodes of few rows split by channels or vectors,
 * GEMMs of few uneven pixel tiles by channel groups), interleaved with the others. {@code --ops} then prints
 * each operator's least time per context (profiled invokes, same interleaving).
 *
 * A model is a path or a name in the shared models folder ({@link SharedModels}). Only numbers
 * taken on a quiet machine mean anything (the load average is printed first, and before and after
 * the rounds {@link CoreProbe}'s line: in how many windows two busy threads shared a core).
 */
public final class ThreadScaling {
    private static final String FEW_ROWS_SPLIT = "whittle.threads.fewRowsSplit";
    /** The property (and value) the {@code --ab} contexts are compiled with ({@code --ab-prop NAME=VALUE}). */
    private static String abName = FEW_ROWS_SPLIT;
    private static String abValue = "true";

    private ThreadScaling() {
    }

    public static void main(String[] args) throws Exception {
        int rounds = 100;
        int block = 0; // 0: about 10 ms of 1-thread invokes, at least 10
        int[] threads = {2};
        boolean ab = false;
        boolean ops = false;
        java.util.List<String> models = new java.util.ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--rounds" -> rounds = Integer.parseInt(args[++i]);
                case "--block" -> block = Integer.parseInt(args[++i]);
                case "--threads" -> threads = Arrays.stream(args[++i].split(",")).mapToInt(Integer::parseInt).toArray();
                case "--ab" -> ab = true;
                case "--ab-prop" -> {
                    ab = true;
                    String[] kv = args[++i].split("=", 2);
                    abName = kv[0];
                    abValue = kv.length > 1 ? kv[1] : "true";
                }
                case "--ops" -> ops = true;
                default -> models.add(args[i]);
            }
        }
        if (models.isEmpty()) {
            models = java.util.List.of("person_detect_int8.tflite", "mobilenet_v1_0.25_224_quant.tflite");
        }
        System.out.println("# load " + Files.readString(Path.of("/proc/loadavg")).trim() + ", "
                + Runtime.getRuntime().availableProcessors() + " CPUs, rounds " + rounds + " x block " + (block > 0 ? String.valueOf(block) : "of ~10 ms"));
        System.out.println(CoreProbe.summary(10, 50));
        for (String name : models) {
            measure(name, rounds, block, threads, ab, ops);
        }
        System.out.println(CoreProbe.summary(10, 50));
    }

    private static void measure(String name, int rounds, int block, int[] threads, boolean ab, boolean ops)
            throws Exception {
        Path path = Path.of(name);
        byte[] bytes = Files.isRegularFile(path) ? Files.readAllBytes(path) : SharedModels.read(name);
        Model parsed = ModelReader.read(bytes);
        ModelRepair.repair(parsed);
        CompiledModel compiled = CompiledModel.compile(parsed);
        CompiledModel old = null;
        if (ab) {
            // NAME=VALUE, or several joined by ',' (abValue then holds the rest of the list).
            String[] pairs = (abName + "=" + abValue).split(",");
            for (String pair : pairs) {
                String[] kv = pair.split("=", 2);
                System.setProperty(kv[0], kv.length > 1 ? kv[1] : "true");
            }
            try {
                old = CompiledModel.compile(parsed);
            } finally {
                for (String pair : pairs) {
                    System.clearProperty(pair.split("=", 2)[0]);
                }
            }
        }
        int n = threads.length * (ab ? 2 : 1) + 1;
        ExecutionContext[] contexts = new ExecutionContext[n];
        int[] counts = new int[n];
        String[] labels = new String[n];
        counts[0] = 1;
        labels[0] = "";
        for (int t = 0; t < threads.length; t++) {
            counts[1 + t] = threads[t];
            labels[1 + t] = "";
            if (ab) {
                counts[1 + threads.length + t] = threads[t];
                labels[1 + threads.length + t] = " (" + abName + "=" + abValue + ")";
            }
        }
        try {
            for (int c = 0; c < n; c++) {
                CompiledModel model = labels[c].isEmpty() ? compiled : old;
                contexts[c] = model.newContext(counts[c]);
                fillInputs(model, contexts[c]);
            }
            // Warm-up: the JIT, the caches, the workers.
            long warmEnd = System.nanoTime() + 3_000_000_000L;
            while (System.nanoTime() < warmEnd) {
                for (ExecutionContext c : contexts) {
                    for (int i = 0; i < block; i++) {
                        c.invoke();
                    }
                }
            }
            if (block <= 0) {
                // Blocks of about 10 ms: blocks of 10 invokes of person_detect (~1 ms) after the
                // pause ran before the host had given the second vCPU back (2 threads: p50 of
                // such blocks 119 us, back-to-back invokes 61 us).
                long per = Long.MAX_VALUE;
                for (int rep = 0; rep < 5; rep++) {
                    Thread.sleep(3); // as in the rounds: the other contexts' workers park
                    contexts[0].invoke();
                    long t0 = System.nanoTime();
                    for (int i = 0; i < 10; i++) {
                        contexts[0].invoke();
                    }
                    per = Math.min(per, Math.max(1, (System.nanoTime() - t0) / 10));
                }
                block = (int) Math.max(10, Math.min(10_000, 10_000_000L / per));
            }
            double[][] us = new double[n][rounds];
            for (int r = 0; r < rounds; r++) {
                for (int c = 0; c < n; c++) {
                    ExecutionContext ctx = contexts[c];
                    // The other contexts' workers spin for a while after their block
                    // (whittle.pool.idleSpins) and would take a core from this one: let them
                    // park, then wake this one's with an untimed invoke.
                    Thread.sleep(3);
                    ctx.invoke();
                    long t0 = System.nanoTime();
                    for (int i = 0; i < block; i++) {
                        ctx.invoke();
                    }
                    us[c][r] = (System.nanoTime() - t0) / 1e3 / block;
                }
            }
            for (double[] u : us) {
                Arrays.sort(u);
            }
            System.out.println(name + " (blocks of " + block + ")");
            for (int c = 0; c < n; c++) {
                double[] u = us[c];
                String ratio = c == 0 ? "" : String.format("  speed-up min %.2fx p50 %.2fx", us[0][0] / u[0],
                        us[0][rounds / 2] / u[rounds / 2]);
                System.out.printf("  %d thread%s: min %8.1f us  p10 %8.1f  p50 %8.1f  p90 %8.1f%s%s%n", counts[c],
                        counts[c] == 1 ? " " : "s", u[0], u[rounds / 10], u[rounds / 2], u[rounds * 9 / 10], ratio,
                        labels[c]);
            }
            if (ops) {
                perOp(contexts, labels, counts, rounds, block, compiled, old);
            }
        } finally {
            for (ExecutionContext c : contexts) {
                if (c != null) {
                    c.close();
                }
            }
        }
    }

    /**
     * Per operator, the least time of any profiled invoke (OpProfile, one invoke at a time),
     * same interleaving as the whole model; microseconds, one column per context.
     */
    private static void perOp(ExecutionContext[] contexts, String[] labels, int[] counts, int rounds, int block,
            CompiledModel compiled, CompiledModel old) throws InterruptedException {
        int n = contexts.length;
        dev.whittle.runtime.OpProfile[] profiles = new dev.whittle.runtime.OpProfile[n];
        for (int c = 0; c < n; c++) {
            profiles[c] = dev.whittle.runtime.OpProfile.of(labels[c].isEmpty() ? compiled : old);
        }
        int nops = profiles[0].entries().size();
        long[][] min = new long[n][nops];
        for (long[] m : min) {
            Arrays.fill(m, Long.MAX_VALUE);
        }
        for (int r = 0; r < rounds; r++) {
            for (int c = 0; c < n; c++) {
                Thread.sleep(3);
                contexts[c].invoke();
                for (int i = 0; i < block; i++) {
                    profiles[c].reset();
                    contexts[c].invoke(profiles[c]);
                    var e = profiles[c].entries();
                    for (int o = 0; o < nops; o++) {
                        min[c][o] = Math.min(min[c][o], e.get(o).nanos());
                    }
                }
            }
        }
        StringBuilder head = new StringBuilder("  op  kernel                                              ");
        for (int c = 0; c < n; c++) {
            head.append(String.format(" %7s", counts[c] + "t" + (labels[c].isEmpty() ? "" : "-ab")));
        }
        System.out.println(head + "   (min us per op)");
        long[] sums = new long[n];
        var entries = profiles[0].entries();
        for (int o = 0; o < nops; o++) {
            StringBuilder line = new StringBuilder(String.format("  %2d  %-52s", o, entries.get(o).kernel()));
            for (int c = 0; c < n; c++) {
                line.append(String.format(" %7.2f", min[c][o] / 1e3));
                sums[c] += min[c][o];
            }
            System.out.println(line);
        }
        StringBuilder line = new StringBuilder(String.format("  %-56s", "sum"));
        for (int c = 0; c < n; c++) {
            line.append(String.format(" %7.2f", sums[c] / 1e3));
        }
        System.out.println(line);
    }

    private static void fillInputs(CompiledModel compiled, ExecutionContext context) {
        SplittableRandom random = new SplittableRandom(42);
        for (int i = 0; i < compiled.inputCount(); i++) {
            var t = compiled.tensorInfo(compiled.inputTensorIndex(i));
            ByteBuffer data = ByteBuffer.allocate(Math.toIntExact(t.type().bytesFor(t.elementCount())))
                    .order(ByteOrder.LITTLE_ENDIAN);
            switch (t.type()) {
                case FLOAT32 -> {
                    while (data.hasRemaining()) {
                        data.putFloat((float) (random.nextDouble() * 2 - 1));
                    }
                }
                default -> {
                    while (data.hasRemaining()) {
                        data.put((byte) random.nextInt(256));
                    }
                }
            }
            data.flip();
            context.setInput(i, new TensorData(t.type(), t.shape(), data));
        }
    }
}
