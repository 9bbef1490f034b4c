package dev.whittle.cli;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonObject;
import dev.whittle.InvalidInputException;
import dev.whittle.model.Model;
import dev.whittle.model.io.ModelReader;
import dev.whittle.quantize.CalibrationData;
import dev.whittle.quantize.Calibrator;
import dev.whittle.quantize.Evaluator;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;

/** {@code whittle evaluate CANDIDATE --reference FLOAT --data SOURCE}: agreement of a model with its reference. */
@Command(name = "evaluate", mixinStandardHelpOptions = true,
        description = {"Compare a (quantized) model with its reference on the same data, both run by TFLite.", "",
                "top-1 agreement: the candidate's top class equals the reference's; top-5: the reference's top class is",
                "among the candidate's 5 best; SQNR of output 0; accuracy with --labels. For outputs that are not one",
                "score vector, agreement is per element of the argmax over the last axis."})
final class EvaluateCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "CANDIDATE")
    Path candidate;

    @Option(names = "--reference", required = true, paramLabel = "MODEL", description = "the model to compare with (the float original)")
    Path reference;

    @Option(names = "--data", required = true, paramLabel = "SOURCE",
            description = "a folder, image, .npy or IDX file (comma-separated for several), or random")
    String dataSource;

    @Option(names = "--labels", paramLabel = "FILE", description = "one class index per sample (text, or an IDX label file)")
    Path labels;

    @Option(names = "--no-xnnpack", description = "run TFLite's builtin kernels without the XNNPACK delegate")
    boolean noXnnpack;

    @Option(names = "--json", description = "print one JSON object")
    boolean json;

    @Mixin
    DataOptions data;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        for (Path p : new Path[] {candidate, reference}) {
            if (!Files.isRegularFile(p)) {
                throw new InvalidInputException(p + ": no such model file");
            }
        }
        Model cand = ModelReader.read(candidate);
        Model ref = ModelReader.read(reference);
        int[] shape = data.inputShape();
        int[] refShape = shape != null ? shape : ref.mainGraph().tensor(ref.mainGraph().inputs()[0]).shape();
        CalibrationData d = CalibrationData.open(dataSource, refShape,
                new CalibrationData.Options(data.preprocessing(), data.samplesOrZero(), data.seed, data.augment));
        d.warnings().forEach(w -> err.println("whittle: warning: " + w.replace("calibrating", "evaluating")));
        int[] lab = labels == null ? null : Evaluator.readLabels(labels);
        Calibrator.Progress progress = json ? Calibrator.Progress.NONE : DataOptions.progressBar(err);
        Evaluator.Result r = Evaluator.evaluate(cand, ref, d, lab, shape, !noXnnpack, progress);
        if (json) {
            JsonObject o = new JsonObject();
            o.addProperty("candidate", candidate.toString());
            o.addProperty("reference", reference.toString());
            o.addProperty("samples", r.samples());
            o.addProperty("positions_per_sample", r.positions());
            o.addProperty("top1_agreement", r.top1Agreement());
            o.addProperty("top5_agreement", r.top5Agreement());
            o.addProperty("sqnr_db", Double.isFinite(r.sqnrDb()) ? r.sqnrDb() : null);
            o.addProperty("outputs_identical", r.sqnrDb() == Double.POSITIVE_INFINITY);
            o.addProperty("max_relative_error", r.maxRelativeError());
            if (r.accuracy() != null) {
                o.addProperty("accuracy", r.accuracy());
                o.addProperty("reference_accuracy", r.referenceAccuracy());
            }
            out.println(new GsonBuilder().serializeNulls().disableHtmlEscaping().create().toJson(o));
        } else {
            out.println(candidate.getFileName() + " vs " + reference.getFileName() + " on " + r.samples() + " samples"
                    + (r.positions() > 1 ? " (" + r.positions() + " argmax positions each)" : ""));
            out.println(String.format(Locale.ROOT, "  top-1 agreement  %.4f", r.top1Agreement()));
            out.println(String.format(Locale.ROOT, "  top-5 agreement  %.4f", r.top5Agreement()));
            out.println(String.format(Locale.ROOT, "  output SQNR      %s dB", Double.isInfinite(r.sqnrDb()) ? "inf (identical)"
                    : String.format(Locale.ROOT, "%.2f", r.sqnrDb())));
            out.println(String.format(Locale.ROOT, "  max rel. error   %.3g (L2, worst sample)", r.maxRelativeError()));
            if (r.accuracy() != null) {
                out.println(String.format(Locale.ROOT, "  accuracy         %.4f (reference %.4f)", r.accuracy(), r.referenceAccuracy()));
            }
        }
        out.flush();
        return 0;
    }
}
