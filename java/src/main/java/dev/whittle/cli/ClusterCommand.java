package dev.whittle.cli;

import dev.whittle.model.Model;
import dev.whittle.optimize.BadParameterException;
import dev.whittle.optimize.CalibrationSet;
import dev.whittle.optimize.ClusterOptions;
import dev.whittle.optimize.Clusterer;
import dev.whittle.optimize.StepResult;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.concurrent.Callable;

/** {@code whittle cluster MODEL --clusters N --out OUT ...}: weight clustering. */
@Command(name = "cluster", mixinStandardHelpOptions = true,
        description = {"Share weights: at most N distinct values per layer (or per output channel), by k-means.", "",
                "Conv and fully-connected weights by default, never biases; depthwise with --include-depthwise.",
                "Float32 models (float centroids) and int8/uint8 models (integer centroids: valid codes).",
                "With --calibration, weights count by the mean square of their input and biases are corrected.",
                "Prints what changed per layer and the sizes, raw and gzip-compressed."})
final class ClusterCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "MODEL")
    Path model;

    @Option(names = {"-o", "--out"}, required = true, paramLabel = "OUT", description = "the clustered .tflite")
    Path out;

    @Option(names = {"-n", "--clusters"}, required = true, paramLabel = "N", description = "centroids per layer (or per channel), >= 2")
    int clusters;

    @Option(names = "--per-channel", description = "cluster each output channel on its own")
    boolean perChannel;

    @Option(names = "--init", defaultValue = "kmeans++", paramLabel = "NAME",
            description = "kmeans++, linear, density or random; default: ${DEFAULT-VALUE}")
    String init;

    @Option(names = "--seed", defaultValue = "0", description = "seed of kmeans++ and random initialization; default: ${DEFAULT-VALUE}")
    long seed;

    @Option(names = "--restarts", defaultValue = "5", paramLabel = "K",
            description = "initializations tried for kmeans++ and random (least inertia wins); default: ${DEFAULT-VALUE}")
    int restarts;

    @Option(names = "--preserve-sparsity", description = "zeros stay exactly zero and do not move centroids (zero is one of the N values)")
    boolean preserveSparsity;

    @Mixin
    OptimizeSupport.SelectionOptions selectionOptions;

    @Mixin
    OptimizeSupport.CalibrationOptions calibrationOptions;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        Model m;
        Clusterer clusterer;
        try {
            CalibrationSet cal = calibrationOptions.load();
            ClusterOptions opts = new ClusterOptions(clusters, perChannel, init, seed, restarts, preserveSparsity,
                    cal != null, selectionOptions.selection());
            m = OptimizeSupport.read(model);
            opts.selection().select(m);
            clusterer = new Clusterer(opts, cal);
        } catch (BadParameterException e) {
            throw OptimizeSupport.usage(spec.commandLine(), e);
        }
        StepResult r = clusterer.apply(m);
        OptimizeSupport.writeAndReport(spec.commandLine().getOut(), model, out, r, OptimizeSupport.bytes(r.model()));
        return 0;
    }
}
