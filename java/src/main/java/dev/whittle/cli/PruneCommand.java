package dev.whittle.cli;

import dev.whittle.model.Model;
import dev.whittle.optimize.BadParameterException;
import dev.whittle.optimize.CalibrationSet;
import dev.whittle.optimize.PruneOptions;
import dev.whittle.optimize.Pruner;
import dev.whittle.optimize.SparseFormat;
import dev.whittle.optimize.StepResult;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.concurrent.Callable;

/** {@code whittle prune MODEL --out OUT ...}: one-shot pruning. */
@Command(name = "prune", mixinStandardHelpOptions = true,
        description = {"Set the least important weights to zero (post-training, one shot).", "",
                "Conv and fully-connected weights by default, never biases; depthwise with --include-depthwise.",
                "Float32 models and int8/uint8 models (zero = the weights' zero point).",
                "With --calibration the default method is data-aware: |w| times the RMS of the input it multiplies,",
                "then bias correction so each layer's mean output over the calibration data is kept.",
                "Prints what changed per layer and the sizes, raw and gzip-compressed."})
final class PruneCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "MODEL")
    Path model;

    @Option(names = {"-o", "--out"}, required = true, paramLabel = "OUT", description = "the pruned .tflite")
    Path out;

    @Option(names = "--sparsity", paramLabel = "S", description = "fraction of weights set to zero, in [0, 1) (per layer unless --global; with --block, of blocks)")
    Double sparsity;

    @Option(names = "--pattern", paramLabel = "M:N", description = "in every N consecutive weights along the input channel, at least M are zero (e.g. 2:4)")
    String pattern;

    @Option(names = "--block", paramLabel = "RxC", description = "zero whole blocks of R output channels x C input channels (with --sparsity)")
    String block;

    @Option(names = "--global", description = "one threshold over all selected layers instead of the same sparsity per layer")
    boolean global;

    @Option(names = "--method", paramLabel = "NAME", description = "magnitude or data-aware (default: data-aware with --calibration, else magnitude)")
    String method;

    @Option(names = "--sparse-format", description = {"store pruned FULLY_CONNECTED float32 weights in TFLite's sparse encoding (CSR);",
            "TFLite's builtin kernels read it, its XNNPACK delegate does not (run with --no-xnnpack)"})
    boolean sparseFormat;

    @Mixin
    OptimizeSupport.SelectionOptions selectionOptions;

    @Mixin
    OptimizeSupport.CalibrationOptions calibrationOptions;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        Model m;
        Pruner pruner;
        try {
            PruneOptions opts = options();
            CalibrationSet cal = calibrationOptions.load();
            if (method == null && cal != null) {
                opts = opts.withMethod(PruneOptions.Method.DATA_AWARE);
            }
            if (opts.method() == PruneOptions.Method.DATA_AWARE && cal == null) {
                throw new BadParameterException("--method data-aware needs --calibration DIR");
            }
            m = OptimizeSupport.read(model);
            pruner = new Pruner(opts, cal);
            pruner.check(m);
            if (sparseFormat) {
                SparseFormat.check(m, opts.selection());
            }
        } catch (BadParameterException e) {
            throw OptimizeSupport.usage(spec.commandLine(), e);
        }
        StepResult r = pruner.apply(m);
        Model result = sparseFormat ? SparseFormat.encode(r.model(), r.layers()) : r.model();
        OptimizeSupport.writeAndReport(spec.commandLine().getOut(), model, out, r, OptimizeSupport.bytes(result));
        if (sparseFormat) {
            spec.commandLine().getOut().println("  note  sparse weights: run with TFLite's builtin kernels "
                    + "(whittle run --no-xnnpack); TFLite 2.20's XNNPACK delegate misreads them");
        }
        return 0;
    }

    private PruneOptions options() {
        int kinds = (pattern != null ? 1 : 0) + (sparsity != null && block == null ? 1 : 0) + (block != null ? 1 : 0);
        if (kinds != 1 || (pattern != null && sparsity != null)) {
            throw new BadParameterException("give exactly one of --sparsity S, --pattern M:N, or --block RxC with --sparsity S");
        }
        if (block != null && sparsity == null) {
            throw new BadParameterException("--block needs --sparsity S (the fraction of blocks set to zero)");
        }
        int m = 0;
        int n = 0;
        int r = 0;
        int c = 0;
        if (pattern != null) {
            int[] p = pair(pattern, ":", "--pattern", "M:N, e.g. 2:4");
            m = p[0];
            n = p[1];
        }
        if (block != null) {
            int[] p = pair(block.toLowerCase(), "x", "--block", "RxC, e.g. 1x4");
            r = p[0];
            c = p[1];
        }
        PruneOptions.Method meth = method == null ? PruneOptions.Method.MAGNITUDE : PruneOptions.Method.parse(method);
        return new PruneOptions(sparsity == null ? 0 : sparsity, m, n, r, c, global, meth, selectionOptions.selection());
    }

    private static int[] pair(String s, String sep, String option, String form) {
        String[] parts = s.split(sep, -1);
        try {
            if (parts.length == 2) {
                return new int[] {Integer.parseInt(parts[0].trim()), Integer.parseInt(parts[1].trim())};
            }
        } catch (NumberFormatException e) {
            // fall through
        }
        throw new BadParameterException(option + " '" + s + "': expected " + form);
    }
}
