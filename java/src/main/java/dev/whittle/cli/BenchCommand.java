package dev.whittle.cli;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import dev.whittle.InvalidInputException;
import dev.whittle.TensorData;
import dev.whittle.model.Model;
import dev.whittle.model.Tensor;
import dev.whittle.model.TensorType;
import dev.whittle.model.io.ModelReader;
import dev.whittle.model.io.ModelRepair;
import dev.whittle.model.io.ModelWriter;
import dev.whittle.runtime.CompiledModel;
import dev.whittle.runtime.ExecutionContext;
import dev.whittle.runtime.OpProfile;
import dev.whittle.runtime.kernels.KernelPath;
import dev.whittle.runtime.kernels.KernelRegistry;
import dev.whittle.runtime.kernels.WeightFormat;
import dev.whittle.tflite.TfliteCpuFeatures;
import dev.whittle.tflite.TfliteInterpreter;
import dev.whittle.tflite.TfliteOptions;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.PrintWriter;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;

/**
 * {@code whittle bench MODEL}: Whittle's runtime and TFLite side by side in one process, on the
 * same seeded inputs, runs interleaved (one invoke of each per round, so drift in the
 * machine's load hits both alike; with several threads, blocks of at least 10 invokes and
 * about 10 ms each, after a 2 ms pause and an untimed invoke, so that neither is timed against
 * the other's spinning workers and each is timed in its steady state);
 * median/p90/p99 of each and the ratio Whittle/TFLite.
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = {"Latency of Whittle's runtime and of TFLite on the same inputs, interleaved in one process.", "",
                "Prints median, p90 and p99 of each and the ratio Whittle/TFLite (below 1: Whittle is faster)."})
final class BenchCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "MODEL")
    Path model;

    @Option(names = "--threads", defaultValue = "1",
            description = "intra-op threads, for Whittle and for TFLite alike (default: ${DEFAULT-VALUE})")
    int threads;

    @Option(names = "--compare", split = ",", defaultValue = "tflite", paramLabel = "WHAT",
            description = {"tflite (with XNNPACK), tflite-builtin (TFLite's own kernels), both, none, and/or",
                    "dense (Whittle again with --kernels dense: what pruning/clustering buys); default: ${DEFAULT-VALUE}"})
    List<String> compare;

    /** Invokes in a row per contender when timing several threads (see the timed loop). */
    /** Invokes per block with several threads, at least. */
    private static final int BLOCK = 10;
    /** Time per block with several threads, about. */
    private static final long BLOCK_NANOS = 10_000_000L;
    /**
     * Pause before each block with several threads: longer than a runtime's workers spin after
     * an invoke (Whittle's about 0.4 ms on a Zen 4, XNNPACK's less), so they have parked.
     */
    private static final long PAUSE_MS = 2;

    @Option(names = "--warmup", defaultValue = "20", description = "untimed rounds first, at least (default: ${DEFAULT-VALUE})")
    int warmup;

    static final long DEFAULT_WARMUP_MS = 2000;

    @Option(names = "--warmup-ms", defaultValue = "-1", paramLabel = "MS",
            description = {"and warm up for at least this long, so the JIT has compiled Whittle's kernels",
                    "before timing (small models need many rounds; default: " + DEFAULT_WARMUP_MS + ", "
                            + VECTOR_API_WARMUP_MS + " where Vector API kernels run)"})
    long warmupMs;

    @Option(names = "--iterations", defaultValue = "100", description = "timed rounds (default: ${DEFAULT-VALUE})")
    int iterations;

    @Option(names = "--kernels", paramLabel = "WHAT", split = ",",
            description = {"Whittle's kernels, comma-separated: a weight format (dense, sparse, lut, auto:",
                    "sets -Dwhittle.weights) and/or a path (reference, java, native or an ISA: sets",
                    "-Dwhittle.kernels); default: auto"})
    List<String> kernels;

    @Option(names = "--profile", description = "time per operator of Whittle's runtime (a separate pass after the timed rounds)")
    boolean profile;

    @Option(names = "--json", description = "print one JSON object")
    boolean json;

    @Option(names = "--delegate", paramLabel = "SPEC",
            description = {"add a contender: TFLite with this delegate (repeatable; xnnpack[,threads=N,...],",
                    "external:PATH[,k=v...], edgetpu[:usb|:pci][:N][,k=v...]). A compiled Edge TPU model runs",
                    "only on its delegate contenders (Whittle's runtime and plain TFLite cannot run it)"})
    List<String> delegates = new ArrayList<>();

    @Option(names = "--seed", defaultValue = "1", description = "seed of the random inputs (default: ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--tflite-isa", defaultValue = "native", paramLabel = "ISA",
            description = {"cap the x86 instruction sets TFLite's kernels may use: native (default) or avx2",
                    "(XNNPACK and ruy then pick AVX2 kernels on an AVX-512 machine: compare with --kernels avx2",
                    "for AVX2-only machines such as Zen 3)"})
    String tfliteIsa;

    private int warmedUp;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    /** One contender's timings. */
    private record Series(String name, long[] nanos) {
        double percentileMs(double p) {
            long[] s = nanos.clone();
            Arrays.sort(s);
            int i = (int) Math.ceil(p * s.length) - 1;
            return s[Math.max(0, Math.min(s.length - 1, i))] / 1e6;
        }
    }

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        if (threads < 1) {
            throw new InvalidInputException("--threads must be at least 1, got " + threads);
        }
        if (iterations < 1 || warmup < 0) {
            throw new InvalidInputException("--iterations must be at least 1 and --warmup at least 0");
        }
        boolean xnnpack = false;
        boolean builtin = false;
        boolean dense = false;
        for (String c : compare) {
            switch (c.trim().toLowerCase(Locale.ROOT)) {
                case "tflite" -> xnnpack = true;
                case "tflite-builtin" -> builtin = true;
                case "both" -> {
                    xnnpack = true;
                    builtin = true;
                }
                case "dense" -> dense = true;
                case "none" -> { }
                default -> throw new InvalidInputException("--compare " + c
                        + " is not one of tflite, tflite-builtin, both, dense, none");
            }
        }
        WeightFormat format = applyKernels(kernels);
        if (!Files.isRegularFile(model)) {
            throw new InvalidInputException("model file not found: " + model);
        }
        try {
            // before any TFLite interpreter exists: XNNPACK reads the CPU features once
            TfliteCpuFeatures.limitTo(tfliteIsa);
        } catch (IllegalArgumentException e) {
            throw new InvalidInputException("--tflite-isa: " + e.getMessage());
        }
        Model m = ModelReader.read(model);
        boolean repaired = false;
        if (ModelRepair.needsRepair(m)) {
            ModelRepair.repair(m);
            repaired = true;
            err.println("whittle: repaired in memory (TFLite refuses the file as is; see whittle inspect)");
        }
        byte[] bytes = repaired ? ModelWriter.toBytes(m) : Files.readAllBytes(model);
        for (String d : delegates) {
            dev.whittle.tflite.DelegateSpec.parse(d); // bad specs fail before any work
        }
        // A compiled Edge TPU model: only TFLite with a delegate can run its custom op.
        boolean compiledForTpu = dev.whittle.edgetpu.EdgeTpuCheck.isCompiled(m);
        if (compiledForTpu) {
            if (delegates.isEmpty()) {
                throw new InvalidInputException(model.getFileName() + " was compiled for the Edge TPU: bench it with"
                        + " --delegate edgetpu (Whittle's runtime and TFLite without the delegate cannot run it)");
            }
            xnnpack = false;
            builtin = false;
        }
        CompiledModel compiled = compiledForTpu ? null : CompiledModel.compile(m);
        String kernelPath = compiled == null ? "none (compiled Edge TPU model)" : describeKernels(compiled);

        List<TfliteInterpreter> tfl = new ArrayList<>();
        List<String> names = new ArrayList<>();
        List<ExecutionContext> whittles = new ArrayList<>();
        CompiledModel denseModel = null;
        if (compiled != null) {
            names.add("whittle");
            whittles.add(compiled.newContext(threads));
            if (dense) {
                System.setProperty(WeightFormat.PROPERTY, WeightFormat.DENSE.label());
                try {
                    denseModel = CompiledModel.compile(m);
                } finally {
                    System.setProperty(WeightFormat.PROPERTY, format.label());
                }
                whittles.add(denseModel.newContext(threads));
                names.add("dense");
            }
        }
        ExecutionContext ctx = whittles.isEmpty() ? null : whittles.get(0);
        try {
            if (xnnpack) {
                tfl.add(TfliteInterpreter.create(bytes, TfliteOptions.defaults().threads(threads).useXnnpack(true)));
                names.add("tflite");
            }
            if (builtin) {
                tfl.add(TfliteInterpreter.create(bytes, TfliteOptions.defaults().threads(threads).useXnnpack(false)));
                names.add("tflite-builtin");
            }
            for (String d : delegates) {
                tfl.add(TfliteInterpreter.create(bytes, TfliteOptions.defaults().threads(threads).withDelegate(d)));
                names.add("tflite+" + d);
            }
            List<TensorData> inputs = new ArrayList<>();
            if (compiled != null) {
                for (int i = 0; i < compiled.inputCount(); i++) {
                    Tensor t = compiled.tensorInfo(compiled.inputTensorIndex(i));
                    inputs.add(randomInput(t.type(), t.shape(), seed + i));
                }
            } else {
                for (int i = 0; i < tfl.get(0).inputCount(); i++) {
                    inputs.add(randomInput(tfl.get(0).inputInfo(i).type(), tfl.get(0).inputInfo(i).shape(), seed + i));
                }
            }
            int w = whittles.size(); // contender index of the first TFLite interpreter
            int contenders = w + tfl.size();
            long[][] nanos = new long[contenders][iterations];
            // Warm-up: at least --warmup rounds and --warmup-ms of time, capped so a very slow
            // model still finishes; then the timed rounds.
            long warmStart = System.nanoTime();
            int warmRounds = 0;
            long warmNanos = warmupNanos(kernelPath);
            while (warmRounds < warmup || (System.nanoTime() - warmStart < warmNanos
                    && warmRounds < 100_000)) {
                setInputs(whittles, tfl, inputs);
                for (ExecutionContext x : whittles) {
                    x.invoke();
                }
                for (TfliteInterpreter t : tfl) {
                    t.invoke();
                }
                warmRounds++;
            }
            this.warmedUp = warmRounds;
            // With several threads, each contender runs a block of invokes in a row, after one
            // untimed invoke: both runtimes' workers spin a while after an invoke, so one invoke
            // each would time every runtime against the other's still-spinning workers (on a
            // 2-core machine that made either side up to 4x slower, depending on who went first).
            // Blocks of about 10 ms (at least 10 invokes, at most a quarter of the rounds, so the
            // contenders take turns at least 4 times): a block of 10 invokes of a 0.1 ms model
            // after the pause ran before the host had given the second vCPU back (person_detect
            // 2 threads: p50 of blocks 119 us, back to back 61 us), and the other runtime's
            // spinning workers took a core from the first invokes of each short block.
            long perRound = warmRounds == 0 ? 0 : (System.nanoTime() - warmStart) / warmRounds;
            int block = threads > 1 ? blockSize(iterations, perRound / Math.max(1, contenders)) : 1;
            for (int round = 0; round < iterations; round += block) {
                int n = Math.min(block, iterations - round);
                // Rotate who goes first, so that neither always runs on the other's warm caches.
                for (int j = 0; j < contenders; j++) {
                    int c = Math.floorMod(round / block + j, contenders);
                    if (block > 1) {
                        pause();
                    }
                    for (int k = block > 1 ? -1 : 0; k < n; k++) {
                        // Inputs again every invoke, untimed: Whittle's arena planner (as of this
                        // writing) lets later tensors reuse a graph input's memory, unlike
                        // TFLite's, so an input does not survive an invoke.
                        setInputs(whittles, tfl, inputs);
                        long t0 = System.nanoTime();
                        if (c < w) {
                            whittles.get(c).invoke();
                        } else {
                            tfl.get(c - w).invoke();
                        }
                        long dt = System.nanoTime() - t0;
                        if (k >= 0) {
                            nanos[c][round + k] = dt;
                        }
                    }
                }
            }
            List<Series> series = new ArrayList<>();
            for (int c = 0; c < contenders; c++) {
                series.add(new Series(names.get(c), nanos[c]));
            }
            // Output 0 of the first contender against each other's, so a fast wrong answer shows.
            List<String> agreement = new ArrayList<>();
            TensorData mine = ctx != null ? ctx.output(0) : tfl.get(0).output(0);
            for (int c = 1; c < w; c++) {
                agreement.add(compareOutputs(mine, whittles.get(c).output(0)));
            }
            for (int c = w == 0 ? 1 : 0; c < tfl.size(); c++) {
                agreement.add(compareOutputs(mine, tfl.get(c).output(0)));
            }

            OpProfile prof = null;
            if (profile && compiled != null) {
                prof = OpProfile.of(compiled);
                for (int i = -Math.max(1, warmup / 2); i < iterations; i++) {
                    if (i == 0) {
                        prof.reset();
                    }
                    setInputs(List.of(ctx), List.of(), inputs);
                    ctx.invoke(prof);
                }
            }
            Weights weights = compiled == null ? null : new Weights(format, OpProfile.kernelChoices(compiled),
                    compiled.residentWeightBytes(),
                    denseModel == null ? null : OpProfile.kernelChoices(denseModel),
                    denseModel == null ? -1 : denseModel.residentWeightBytes(), peakRssBytes());
            if (json) {
                printJson(out, series, agreement, kernelPath, prof, weights);
            } else {
                printText(out, series, agreement, kernelPath, prof, weights);
            }
        } finally {
            for (TfliteInterpreter t : tfl) {
                t.close();
            }
            for (ExecutionContext x : whittles) {
                x.close();
            }
        }
        return 0;
    }

    /** The weight formats chosen per layer, their resident bytes, and the dense comparison's. */
    private record Weights(WeightFormat format, List<OpProfile.KernelChoice> choices, long bytes,
            List<OpProfile.KernelChoice> denseChoices, long denseBytes, long peakRss) {
    }

    /**
     * Applies {@code --kernels}: weight-format labels set {@value WeightFormat#PROPERTY}, the
     * rest (paths) {@value KernelPath#PROPERTY}; returns the weight format in force.
     */
    static WeightFormat applyKernels(List<String> kernels) {
        WeightFormat format = WeightFormat.current();
        List<String> paths = new ArrayList<>();
        for (String k : kernels == null ? List.<String>of() : kernels) {
            if (k.isBlank()) {
                continue;
            }
            if (WeightFormat.isLabel(k)) {
                format = WeightFormat.parse(k);
            } else {
                paths.add(k.trim());
            }
        }
        if (!paths.isEmpty()) {
            String value = String.join(",", paths);
            KernelPath.allowed(value);
            System.setProperty(KernelPath.PROPERTY, value);
        }
        System.setProperty(WeightFormat.PROPERTY, format.label());
        return format;
    }

    /** The process's peak resident set (VmHWM on Linux), or -1 where the OS does not say. */
    static long peakRssBytes() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmHWM:")) {
                    String[] f = line.substring(6).trim().split("\\s+");
                    return Long.parseLong(f[0]) * 1024;
                }
            }
        } catch (java.io.IOException | RuntimeException e) {
            // not Linux, or no procfs
        }
        return -1;
    }

    private void printText(PrintWriter out, List<Series> series, List<String> agreement, String kernelPath,
            OpProfile prof, Weights w) {
        out.printf(Locale.ROOT, "%s: %d rounds after %d warm-up, interleaved, %d thread%s; whittle kernels %s;"
                + " tflite %s%s%n", model.getFileName(), iterations, warmedUp, threads, threads == 1 ? "" : "s",
                kernelPath, TfliteInterpreter.version(),
                TfliteCpuFeatures.limit().equals("native") ? "" : " (ISA capped at " + TfliteCpuFeatures.limit() + ")");
        out.printf(Locale.ROOT, "  %-16s %10s %10s %10s %14s%n", "", "p50 ms", "p90 ms", "p99 ms",
                series.get(0).name().equals("whittle") ? "whittle/this" : "first/this");
        double mine = series.get(0).percentileMs(0.5);
        for (Series s : series) {
            String ratio = s == series.get(0) ? "" : String.format(Locale.ROOT, "%.2fx", mine / s.percentileMs(0.5));
            out.printf(Locale.ROOT, "  %-16s %10.3f %10.3f %10.3f %14s%n", s.name(), s.percentileMs(0.5),
                    s.percentileMs(0.9), s.percentileMs(0.99), ratio);
        }
        for (int i = 0; i < agreement.size(); i++) {
            out.printf("  output 0 vs %s: %s%n", series.get(i + 1).name(), agreement.get(i));
        }
        if (series.stream().anyMatch(s -> s.name().startsWith("tflite")) && kernelPath.startsWith("avx2")
                && TfliteCpuFeatures.limit().equals("native") && dev.whittle.CpuFeatures.detect().avx512f()) {
            out.println("  note: TFLite ran its AVX-512 kernels; --tflite-isa avx2 compares AVX2 with AVX2");
        }
        if (w != null) {
            out.printf(Locale.ROOT, "  weights (%s): %,d bytes resident%s; peak RSS %s%n", w.format().label(), w.bytes(),
                    w.denseBytes() < 0 ? "" : String.format(Locale.ROOT, " (dense: %,d bytes, %.1f%%)", w.denseBytes(),
                            w.denseBytes() == 0 ? 0 : 100.0 * w.bytes() / w.denseBytes()),
                    w.peakRss() < 0 ? "unknown" : String.format(Locale.ROOT, "%.1f MiB", w.peakRss() / 1048576.0));
            if (prof != null || w.denseChoices() != null) {
                out.println("  weight layers (kernel, resident bytes, why):");
                for (OpProfile.KernelChoice c : w.choices()) {
                    if (c.weightBytes() >= 0) {
                        out.printf(Locale.ROOT, "    %4d %-44s %10d  %s%n", c.node(), c.kernel(), c.weightBytes(), c.why());
                    }
                }
            }
        }
        if (prof != null) {
            List<OpProfile.Entry> entries = prof.entries();
            double total = entries.stream().mapToDouble(OpProfile.Entry::meanMillis).sum();
            out.printf(Locale.ROOT, "  profile (whittle, mean of %d invokes, %.3f ms in operators):%n", iterations, total);
            out.printf(Locale.ROOT, "    %4s %-20s %-48s %9s %6s%n", "#", "op", "kernel", "ms", "%");
            for (OpProfile.Entry e : entries) {
                out.printf(Locale.ROOT, "    %4d %-20s %-48s %9.3f %5.1f%%%n", e.node(), e.op(), e.kernel(),
                        e.meanMillis(), total == 0 ? 0 : 100 * e.meanMillis() / total);
            }
            Map<String, double[]> byOp = new LinkedHashMap<>();
            for (OpProfile.Entry e : entries) {
                double[] v = byOp.computeIfAbsent(e.op(), k -> new double[2]);
                v[0] += e.meanMillis();
                v[1]++;
            }
            out.println("    by operator:");
            byOp.entrySet().stream().sorted((a, b) -> Double.compare(b.getValue()[0], a.getValue()[0]))
                    .forEach(en -> out.printf(Locale.ROOT, "      %-20s x%-4d %9.3f ms %5.1f%%%n", en.getKey(),
                            (int) en.getValue()[1], en.getValue()[0], total == 0 ? 0 : 100 * en.getValue()[0] / total));
        }
    }

    private void printJson(PrintWriter out, List<Series> series, List<String> agreement, String kernelPath,
            OpProfile prof, Weights w) {
        JsonObject o = new JsonObject();
        o.addProperty("model", model.getFileName().toString());
        o.addProperty("threads", threads);
        o.addProperty("whittle_threads", threads);
        o.addProperty("kernel_path", kernelPath);
        o.addProperty("iterations", iterations);
        o.addProperty("warmup", warmedUp);
        o.addProperty("tflite_version", TfliteInterpreter.version());
        o.addProperty("tflite_isa", TfliteCpuFeatures.limit());
        double mine = series.get(0).percentileMs(0.5);
        for (Series s : series) {
            String key = s.name().replace('-', '_');
            o.addProperty(key + "_p50_ms", round(s.percentileMs(0.5)));
            o.addProperty(key + "_p90_ms", round(s.percentileMs(0.9)));
            o.addProperty(key + "_p99_ms", round(s.percentileMs(0.99)));
        }
        for (int i = 1; i < series.size(); i++) {
            String key = series.get(i).name().equals("tflite") ? "ratio" : "ratio_" + series.get(i).name().replace('-', '_');
            o.addProperty(key, round(mine / series.get(i).percentileMs(0.5)));
            o.addProperty("output_vs_" + series.get(i).name().replace('-', '_'), agreement.get(i - 1));
        }
        if (w != null) {
            o.addProperty("weights_format", w.format().label());
            o.addProperty("weight_bytes", w.bytes());
            o.addProperty("peak_rss_bytes", w.peakRss());
            if (w.denseChoices() != null) {
                double dense = series.stream().filter(x -> x.name().equals("dense")).findFirst().orElseThrow()
                        .percentileMs(0.5);
                String label = w.format().label();
                o.addProperty(label + "_p50_ms", round(mine));
                o.addProperty(label + "_weight_bytes", w.bytes());
                o.addProperty("dense_weight_bytes", w.denseBytes());
                if (series.stream().noneMatch(x -> x.name().equals("tflite"))) {
                    o.addProperty("ratio", round(mine / dense));
                }
            }
            JsonArray layers = new JsonArray();
            for (int i = 0; i < w.choices().size(); i++) {
                OpProfile.KernelChoice c = w.choices().get(i);
                if (c.weightBytes() < 0) {
                    continue;
                }
                JsonObject l = new JsonObject();
                l.addProperty("node", c.node());
                l.addProperty("op", c.op());
                l.addProperty("kernel", c.kernel());
                l.addProperty("weight_bytes", c.weightBytes());
                l.addProperty("why", c.why());
                if (w.denseChoices() != null) {
                    l.addProperty("dense_kernel", w.denseChoices().get(i).kernel());
                    l.addProperty("dense_weight_bytes", w.denseChoices().get(i).weightBytes());
                }
                layers.add(l);
            }
            o.add("layers", layers);
        }
        if (prof != null) {
            JsonArray ops = new JsonArray();
            for (OpProfile.Entry e : prof.entries()) {
                JsonObject p = new JsonObject();
                p.addProperty("node", e.node());
                p.addProperty("op", e.op());
                p.addProperty("kernel", e.kernel());
                p.addProperty("ms", round(e.meanMillis()));
                ops.add(p);
            }
            o.add("profile", ops);
        }
        out.println(new GsonBuilder().setPrettyPrinting().disableHtmlEscaping().create().toJson(o));
    }

    /**
     * Which kernel paths the compiled model's operators run, from their kernel names' ISA
     * suffix ({@code __avx2}, {@code __java}, {@code __reference}), most used first:
     * {@code avx2 x52, reference x13}.
     */
    static String describeKernels(CompiledModel compiled) {
        Map<String, Integer> count = new LinkedHashMap<>();
        for (String k : OpProfile.kernelNames(compiled)) {
            int at = k.lastIndexOf("__");
            String path = at < 0 ? "other" : k.substring(at + 2);
            count.merge(path, 1, Integer::sum);
        }
        StringBuilder sb = new StringBuilder();
        count.entrySet().stream().sorted((a, b) -> b.getValue() - a.getValue()).forEach(e -> sb
                .append(sb.length() == 0 ? "" : ", ").append(e.getKey()).append(" x").append(e.getValue()));
        return sb.length() == 0 ? "none" : sb.toString();
    }

    /** Default warm-up where Vector API kernels run, whose C2 code takes seconds to appear. */
    static final long VECTOR_API_WARMUP_MS = 8000;

    /**
     * Warm-up time: {@code --warmup-ms}, or where the Java path's Vector API kernels run and
     * the option was not given, {@link #VECTOR_API_WARMUP_MS}: until C2 has compiled
     * them they run tens of times slower, and 2 s of warm-up left MobileNet v1 0.25 on the Java
     * path at 35 rounds with a p90 of 7 ms against a p50 of 2.5 ms.
     */
    long warmupNanos(String kernelPath) {
        long ms = warmupMs;
        if (ms < 0) {
            ms = kernelPath.contains("panama") ? VECTOR_API_WARMUP_MS : DEFAULT_WARMUP_MS;
        }
        return ms * 1_000_000L;
    }

    /**
     * Invokes per block with several threads: about {@link #BLOCK_NANOS} of invokes that take
     * {@code invokeNanos} each, at least {@link #BLOCK}, at most a quarter of the rounds (but
     * not under {@link #BLOCK}) and never more than the rounds.
     */
    static int blockSize(int iterations, long invokeNanos) {
        long byTime = invokeNanos <= 0 ? BLOCK : BLOCK_NANOS / invokeNanos;
        long b = Math.max(BLOCK, Math.min(byTime, Math.max(BLOCK, iterations / 4)));
        return (int) Math.max(1, Math.min(b, iterations));
    }

    private static void pause() {
        try {
            Thread.sleep(PAUSE_MS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void setInputs(List<ExecutionContext> ctxs, List<TfliteInterpreter> tfl, List<TensorData> inputs) {
        for (int i = 0; i < inputs.size(); i++) {
            for (ExecutionContext ctx : ctxs) {
                ctx.setInput(i, inputs.get(i));
            }
            for (TfliteInterpreter t : tfl) {
                t.setInput(i, inputs.get(i));
            }
        }
    }

    private static double round(double v) {
        return Math.round(v * 1e4) / 1e4;
    }

    /** How many elements of two outputs differ, and by how much at most (raw element units). */
    private static String compareOutputs(TensorData a, TensorData b) {
        if (a.type() != b.type() || !Arrays.equals(a.shape(), b.shape())) {
            return "not comparable (" + a.type() + Arrays.toString(a.shape()) + " vs " + b.type()
                    + Arrays.toString(b.shape()) + ")";
        }
        double[] x = a.toDoubleArray();
        double[] y = b.toDoubleArray();
        int differ = 0;
        double max = 0;
        for (int i = 0; i < x.length; i++) {
            double d = Math.abs(x[i] - y[i]);
            if (d != 0) {
                differ++;
                max = Math.max(max, d);
            }
        }
        return differ == 0 ? "identical (" + x.length + " elements)"
                : String.format(Locale.ROOT, "%d of %d elements differ, max %.4g", differ, x.length, max);
    }

    /** Uniform bytes for integer inputs, [-1, 1) for floats: the same for every contender. */
    static TensorData randomInput(TensorType type, int[] shape, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        long n = 1;
        for (int d : shape) {
            n *= d;
        }
        ByteBuffer b = ByteBuffer.allocate(Math.toIntExact(type.bytesFor(n))).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < n; i++) {
            switch (type) {
                case FLOAT32 -> b.putFloat(i * 4, (float) (r.nextDouble() * 2 - 1));
                case INT8, UINT8, BOOL -> b.put(i, (byte) r.nextInt(type == TensorType.BOOL ? 2 : 256));
                case INT16 -> b.putShort(i * 2, (short) r.nextInt(65536));
                case INT32 -> b.putInt(i * 4, r.nextInt(-100, 101));
                case INT64 -> b.putLong(i * 8, r.nextInt(-100, 101));
                default -> throw new InvalidInputException("bench has no random inputs of type " + type);
            }
        }
        return new TensorData(type, shape, b);
    }
}
