package dev.whittle.optimize;

import dev.whittle.TensorData;
import dev.whittle.io.Preprocessing;
import dev.whittle.model.Model;
import dev.whittle.model.io.ModelReader;
import dev.whittle.model.io.ModelWriter;
import dev.whittle.quantize.CalibrationData;
import dev.whittle.quantize.Calibrator;
import dev.whittle.quantize.QuantizeOptions;
import dev.whittle.testing.SharedData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * The README's numbers for MobileNet v1 0.25 float: gzip size ratio and top-1 agreement with
 * the float model, calibrated and evaluated on disjoint photos of ../shared/images (and fixed
 * crops of them). Slow (about two minutes); runs only with {@code -Dwhittle.measure=true}
 * ({@code -Dwhittle.measure.quick=true}: prune 10/30/50% only).
 */
@EnabledIfSystemProperty(named = "whittle.measure", matches = "true")
class OptimizeMeasurement {
    static final String[] CALIBRATION = {"bird.bmp", "dragonfly.bmp", "hot_dog.jpg", "owl.jpg", "pets.jpg", "sunflower.bmp"};
    static final String[] HELD_OUT = {"cat.bmp", "grace_hopper.bmp", "mnist_nine.bmp", "parrot.jpg", "squat.bmp"};

    @Test
    void table() {
        Path path = SharedData.model("mobilenet_v1_0.25_224_float.tflite");
        Model base = ModelReader.read(path);
        CalibrationSet cal = CalibrationSet.of(images(CALIBRATION), Integer.getInteger("whittle.samples", 64),
                Preprocessing.MOBILENET);
        List<TensorData> eval = CalibrationSet.of(images(HELD_OUT), HELD_OUT.length * 31, Preprocessing.MOBILENET)
                .inputs(base);
        int[] ref = Agreement.top1(base, eval);
        ModelSizes refSize = ModelSizes.of(ModelWriter.toBytes(base));
        System.out.printf("%-44s %10s %8s %10s%n", "variant", "gzip", "ratio", "top-1 agr");
        List<Object[]> rows = new ArrayList<>();
        WeightSelection no0 = new WeightSelection(null, "Conv2d_0/", false);
        if (Boolean.getBoolean("whittle.measure.int8")) {
            // the quantized rows, on the same split as the others (int8 calibrated on the same
            // six photos, through a folder of links to them)
            Path dir = calibrationFolder();
            QuantizeStep int8 = new QuantizeStep(QuantizeOptions.of(QuantizeOptions.Mode.INT8),
                    CalibrationData.open(dir.toString(), base.mainGraph().tensor(base.mainGraph().inputs()[0]).shape(),
                            CalibrationData.Options.defaults()
                            .withPreprocessing(Preprocessing.MOBILENET).withSamples(64).withAugment(true)),
                    null, Calibrator.Progress.NONE);
            row("int8", () -> int8, base, eval, ref, refSize);
            row("prune 50% data-aware + int8", () -> then(new Pruner(PruneOptions.sparsity(0.5)
                    .withMethod(PruneOptions.Method.DATA_AWARE), cal), int8), base, eval, ref, refSize);
            row("prune 2:4 data-aware + int8", () -> then(new Pruner(PruneOptions.pattern(2, 4).withSelection(no0)
                    .withMethod(PruneOptions.Method.DATA_AWARE), cal), int8), base, eval, ref, refSize);
            for (boolean pc : new boolean[] {false, true}) {
                ClusterOptions o = ClusterOptions.of(16).withPerChannel(pc).withDataAware(true);
                row("cluster 16 " + (pc ? "per channel" : "per layer") + " data-aware + int8",
                        () -> then(new Clusterer(o, cal), int8), base, eval, ref, refSize);
            }
            return;
        }
        if (Boolean.getBoolean("whittle.measure.quick")) {
            for (double sp : new double[] {0.1, 0.3, 0.5}) {
                row("prune " + sp + " magnitude", () -> new Pruner(PruneOptions.sparsity(sp), null), base, eval, ref, refSize);
                row("prune " + sp + " data-aware", () -> new Pruner(PruneOptions.sparsity(sp).withMethod(PruneOptions.Method.DATA_AWARE), cal), base, eval, ref, refSize);
            }
            return;
        }
        row("prune 50% magnitude", () -> new Pruner(PruneOptions.sparsity(0.5), null), base, eval, ref, refSize);
        row("prune 50% data-aware", () -> new Pruner(PruneOptions.sparsity(0.5).withMethod(PruneOptions.Method.DATA_AWARE), cal), base, eval, ref, refSize);
        row("prune 50% global magnitude", () -> new Pruner(PruneOptions.sparsity(0.5).withGlobal(true), null), base, eval, ref, refSize);
        row("prune 2:4 magnitude (skip Conv2d_0)", () -> new Pruner(PruneOptions.pattern(2, 4).withSelection(no0), null), base, eval, ref, refSize);
        row("prune 2:4 data-aware (skip Conv2d_0)", () -> new Pruner(PruneOptions.pattern(2, 4).withSelection(no0).withMethod(PruneOptions.Method.DATA_AWARE), cal), base, eval, ref, refSize);
        row("prune block 1x4 50% magnitude (skip Conv2d_0)", () -> new Pruner(PruneOptions.block(1, 4, 0.5).withSelection(no0), null), base, eval, ref, refSize);
        row("prune block 1x4 50% data-aware (skip Conv2d_0)", () -> new Pruner(PruneOptions.block(1, 4, 0.5).withSelection(no0).withMethod(PruneOptions.Method.DATA_AWARE), cal), base, eval, ref, refSize);
        for (int n : new int[] {16, 32}) {
            for (boolean pc : new boolean[] {false, true}) {
                String k = "cluster " + n + (pc ? " per channel" : " per layer");
                ClusterOptions o = ClusterOptions.of(n).withPerChannel(pc);
                row(k, () -> new Clusterer(o, null), base, eval, ref, refSize);
                row(k + " data-aware", () -> new Clusterer(o.withDataAware(true), cal), base, eval, ref, refSize);
            }
        }
        row("cluster 16 per layer, init linear", () -> new Clusterer(ClusterOptions.of(16).withInit("linear"), null), base, eval, ref, refSize);
        row("cluster 16 per layer, init density", () -> new Clusterer(ClusterOptions.of(16).withInit("density"), null), base, eval, ref, refSize);
    }

    private static void row(String name, Supplier<ModelStep> step, Model base, List<TensorData> eval, int[] ref,
                            ModelSizes refSize) {
        long t0 = System.nanoTime();
        StepResult r = step.get().apply(base);
        long t1 = System.nanoTime();
        ModelSizes s = ModelSizes.of(ModelWriter.toBytes(r.model()));
        double agr = Agreement.agreement(ref, Agreement.top1(r.model(), eval));
        System.out.printf("%-48s %10d %7.2fx %9.1f%%   (%d inputs, step %.1f s)%n", name, s.gzip(), s.gzipRatioTo(refSize),
                100 * agr, ref.length, (t1 - t0) / 1e9);
    }

    /** {@code first}, then {@code second} on its output, as one step. */
    private static ModelStep then(ModelStep first, ModelStep second) {
        return new ModelStep() {
            @Override
            public String describe() {
                return first.describe() + " + " + second.describe();
            }

            @Override
            public StepResult apply(Model m) {
                return second.apply(first.apply(m).model());
            }
        };
    }

    /** A temporary folder of links to the calibration photos (the shared files stay in place). */
    private static Path calibrationFolder() {
        try {
            Path dir = java.nio.file.Files.createTempDirectory("whittle-cal");
            for (Path p : images(CALIBRATION)) {
                java.nio.file.Files.createSymbolicLink(dir.resolve(p.getFileName()), p.toAbsolutePath());
            }
            return dir;
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    static List<Path> images(String[] names) {
        List<Path> p = new ArrayList<>();
        for (String n : names) {
            p.add(SharedData.image(n));
        }
        return p;
    }
}
