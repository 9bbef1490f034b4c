package dev.whittle.cli;

import dev.whittle.InvalidInputException;
import dev.whittle.io.Preprocessing;
import dev.whittle.model.Model;
import dev.whittle.optimize.BadParameterException;
import dev.whittle.optimize.CalibrationSet;
import dev.whittle.optimize.ClusterOptions;
import dev.whittle.optimize.Clusterer;
import dev.whittle.optimize.ModelSizes;
import dev.whittle.optimize.ModelStep;
import dev.whittle.optimize.PruneOptions;
import dev.whittle.optimize.Pruner;
import dev.whittle.optimize.QuantizeStep;
import dev.whittle.optimize.StepResult;
import dev.whittle.quantize.CalibrationData;
import dev.whittle.quantize.QuantizeOptions;
import dev.whittle.quantize.Quantizer;
import dev.whittle.quantize.RangeMethod;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/** {@code whittle optimize MODEL --out OUT [--prune S | --pattern M:N] [--cluster N] [--quantize MODE]}: a pipeline. */
@Command(name = "optimize", mixinStandardHelpOptions = true,
        description = {"Prune, cluster and quantize in one call, always in that order; each step keeps what the one",
                "before made: pruned zeros stay zero (clustering keeps them when pruning ran, quantization maps 0.0",
                "to code 0), and N shared values per layer or channel stay at most N int8 codes.", "",
                "With --calibration images (a folder or image files), pruning and clustering are data-aware (as in",
                "prune and cluster; --no-data-aware turns it off), and the same images calibrate quantization. Prints each step's sizes (raw and gzip) and the final ratio."})
final class OptimizeCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "MODEL")
    Path model;

    @Option(names = {"-o", "--out"}, required = true, paramLabel = "OUT", description = "the optimized .tflite")
    Path out;

    @Option(names = "--prune", paramLabel = "S", description = "prune this fraction of weights per layer, in [0, 1)")
    Double prune;

    @Option(names = "--pattern", paramLabel = "M:N", description = "prune to an M:N pattern along the input channel (e.g. 2:4)")
    String pattern;

    @Option(names = "--global", description = "pruning: one threshold over all selected layers")
    boolean global;

    @Option(names = "--prune-method", paramLabel = "NAME",
            description = "magnitude or data-aware (default: data-aware with a --calibration folder, else magnitude)")
    String pruneMethod;

    @Option(names = "--cluster", paramLabel = "N", description = "share at most N values per layer (or per channel)")
    Integer cluster;

    @Option(names = "--per-channel", description = "clustering: N values per output channel")
    boolean perChannel;

    @Option(names = "--init", defaultValue = "kmeans++", paramLabel = "NAME",
            description = "clustering: kmeans++, linear, density or random; default: ${DEFAULT-VALUE}")
    String init;

    @Option(names = "--preserve-sparsity", description = "clustering: zeros stay zero (on whenever pruning runs first)")
    boolean preserveSparsity;

    @Option(names = "--no-data-aware", description = "plain magnitude pruning and k-means even with a --calibration folder")
    boolean noDataAware;

    @Option(names = "--quantize", paramLabel = "MODE", description = "int8, int16x8, dynamic or float16")
    String quantize;

    @Option(names = "--calibration", paramLabel = "SOURCE",
            description = {"images for data-aware pruning/clustering (a folder) and for int8/int16x8 calibration",
                    "(a folder, image, .npy or IDX file, comma-separated for several, or random)"})
    String calibration;

    @Option(names = "--range-method", defaultValue = "mse", paramLabel = "NAME",
            description = "quantization activation ranges: minmax, ema, percentile or mse (default: ${DEFAULT-VALUE})")
    String rangeMethod;

    @Option(names = "--io", defaultValue = "float", paramLabel = "TYPE",
            description = "int8: input/output type float, int8 or uint8 (default: ${DEFAULT-VALUE})")
    String io;

    @Option(names = "--fc-per-channel", description = "quantization: FULLY_CONNECTED weights per output channel")
    boolean fcPerChannel;

    @Mixin
    OptimizeSupport.SelectionOptions selectionOptions;

    @Mixin
    DataOptions data;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        PrintWriter o = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        Model m;
        List<ModelStep> steps = new ArrayList<>();
        try {
            if (prune == null && pattern == null && cluster == null && quantize == null) {
                throw new BadParameterException("nothing to do: give --prune S or --pattern M:N, --cluster N, and/or --quantize MODE");
            }
            if (prune != null && pattern != null) {
                throw new BadParameterException("give --prune S or --pattern M:N, not both");
            }
            if (cluster == null && (perChannel || preserveSparsity)) {
                throw new BadParameterException("--per-channel and --preserve-sparsity need --cluster N");
            }
            m = OptimizeSupport.read(model);
            CalibrationSet images = dataAwareImages();
            if (prune != null || pattern != null) {
                PruneOptions po = pattern != null ? pattern(pattern) : PruneOptions.sparsity(prune);
                po = po.withGlobal(global).withSelection(selectionOptions.selection());
                PruneOptions.Method meth = pruneMethod != null ? PruneOptions.Method.parse(pruneMethod)
                        : images != null ? PruneOptions.Method.DATA_AWARE : PruneOptions.Method.MAGNITUDE;
                if (meth == PruneOptions.Method.DATA_AWARE && images == null) {
                    throw new BadParameterException("--prune-method data-aware needs --calibration FOLDER");
                }
                Pruner p = new Pruner(po.withMethod(meth), meth == PruneOptions.Method.DATA_AWARE ? images : null);
                p.check(m);
                steps.add(p);
            }
            if (cluster != null) {
                boolean keepZeros = preserveSparsity || prune != null || pattern != null;
                ClusterOptions co = new ClusterOptions(cluster, perChannel, init, data.seed, 5, keepZeros,
                        images != null, selectionOptions.selection());
                co.selection().select(m);
                steps.add(new Clusterer(co, images));
            }
            if (quantize != null) {
                QuantizeOptions qo = new QuantizeOptions(QuantizeOptions.Mode.parse(quantize),
                        QuantizeOptions.IoType.parse(io), RangeMethod.parse(rangeMethod), fcPerChannel, false);
                Quantizer.checkFloatModel(m);
                CalibrationData cal = null;
                if (qo.mode().needsCalibration()) {
                    if (calibration == null) {
                        throw new BadParameterException("--quantize " + qo.mode().cliName()
                                + " needs --calibration SOURCE (a folder, image, .npy or IDX file, or random)");
                    }
                    int[] shape = data.inputShape() != null ? data.inputShape()
                            : m.mainGraph().tensor(m.mainGraph().inputs()[0]).shape();
                    cal = CalibrationData.open(calibration, shape, new CalibrationData.Options(data.preprocessing(),
                            data.samplesOrZero(), data.seed, data.augment));
                    cal.warnings().forEach(w -> err.println("whittle: warning: " + w));
                }
                steps.add(new QuantizeStep(qo, cal, data.inputShape(), DataOptions.progressBar(err)));
            }
        } catch (InvalidInputException | dev.whittle.UnsupportedModelException e) {
            // every parameter problem shows before any step runs, as picocli's usage error (status 2)
            throw OptimizeSupport.usage(spec.commandLine(),
                    e instanceof BadParameterException b ? b : new BadParameterException(e.getMessage()));
        }
        byte[] inBytes = Files.readAllBytes(model);
        ModelSizes input = ModelSizes.of(inBytes);
        o.printf("%s -> %s%n", model.getFileName(), out);
        o.printf("  input\n     raw %10s          gzip %10s%n", Format.bytes(input.raw()), Format.bytes(input.gzip()));
        Model current = m;
        byte[] bytes = inBytes;
        int k = 1;
        for (ModelStep s : steps) {
            StepResult r = s.apply(current);
            current = r.model();
            bytes = OptimizeSupport.bytes(current);
            ModelSizes sz = ModelSizes.of(bytes);
            o.printf(Locale.ROOT, "  %d. %s%n", k++, r.step());
            o.printf(Locale.ROOT, "     raw %10s (%5.2fx)  gzip %10s (%5.2fx)  %d weight tensor(s), %.1f%% zeros, "
                    + "at most %d distinct values in one%n", Format.bytes(sz.raw()), sz.rawRatioTo(input),
                    Format.bytes(sz.gzip()), sz.gzipRatioTo(input), r.layers().size(), 100 * r.overallSparsity(), maxDistinct(r));
        }
        Path parent = out.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        Files.write(out, bytes);
        ModelSizes fin = ModelSizes.of(bytes);
        o.printf(Locale.ROOT, "  final: raw %s -> %s (%.2fx smaller), gzip %s -> %s (%.2fx smaller)%n",
                Format.bytes(input.raw()), Format.bytes(fin.raw()), fin.rawRatioTo(input),
                Format.bytes(input.gzip()), Format.bytes(fin.gzip()), fin.gzipRatioTo(input));
        o.flush();
        return 0;
    }

    /** The calibration folder or image files as images for data-aware pruning and clustering, or null. */
    private CalibrationSet dataAwareImages() {
        if (calibration == null || noDataAware || (prune == null && pattern == null && cluster == null)) {
            return null;
        }
        Preprocessing p = data.preprocessing() != null ? data.preprocessing() : Preprocessing.MOBILENET;
        int samples = data.samples != null ? data.samples : 32;
        if (Files.isDirectory(Path.of(calibration))) {
            return CalibrationSet.fromDirectory(Path.of(calibration), samples, p);
        }
        List<Path> files = new ArrayList<>();
        for (String s : calibration.split(",")) {
            Path f = Path.of(s.trim());
            if (!Files.isRegularFile(f) || !dev.whittle.io.ImageInput.isImageFile(f)) {
                return null; // random, .npy or IDX: quantization only
            }
            files.add(f);
        }
        return CalibrationSet.of(files, samples, p);
    }

    private static PruneOptions pattern(String s) {
        String[] parts = s.split(":", -1);
        try {
            if (parts.length == 2) {
                return PruneOptions.pattern(Integer.parseInt(parts[0].trim()), Integer.parseInt(parts[1].trim()));
            }
        } catch (NumberFormatException e) {
            // fall through
        }
        throw new BadParameterException("--pattern '" + s + "': expected M:N, e.g. 2:4");
    }

    private static int maxDistinct(StepResult r) {
        int d = 0;
        for (StepResult.LayerReport l : r.layers()) {
            d = Math.max(d, l.distinctAfter());
        }
        return d;
    }
}
