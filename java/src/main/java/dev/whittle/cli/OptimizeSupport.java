package dev.whittle.cli;

import dev.whittle.InvalidInputException;
import dev.whittle.io.Preprocessing;
import dev.whittle.model.Model;
import dev.whittle.model.io.ModelReader;
import dev.whittle.model.io.ModelWriter;
import dev.whittle.optimize.BadParameterException;
import dev.whittle.optimize.CalibrationSet;
import dev.whittle.optimize.ModelSizes;
import dev.whittle.optimize.StepResult;
import dev.whittle.optimize.WeightSelection;
import picocli.CommandLine;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/** Options and output shared by {@code prune} and {@code cluster}. */
final class OptimizeSupport {
    private OptimizeSupport() {
    }

    /** --layers, --skip, --include-depthwise. */
    static final class SelectionOptions {
        @Option(names = "--layers", paramLabel = "REGEX", description = "only weight tensors whose name matches (find)")
        String layers;

        @Option(names = "--skip", paramLabel = "REGEX", description = "leave out weight tensors whose name matches")
        String skip;

        @Option(names = "--include-depthwise", description = "also change DEPTHWISE_CONV_2D weights (left alone by default)")
        boolean includeDepthwise;

        WeightSelection selection() {
            return new WeightSelection(layers, skip, includeDepthwise);
        }
    }

    /** --calibration, --samples, --preprocess. */
    static final class CalibrationOptions {
        @Option(names = "--calibration", paramLabel = "DIR",
                description = "images to run the model on for the data-aware method (BMP, JPEG, PNG)")
        Path dir;

        @Option(names = "--samples", defaultValue = "32", paramLabel = "N",
                description = "calibration samples (images, then fixed crops and mirror images of them); default: ${DEFAULT-VALUE}")
        int samples;

        @Option(names = "--preprocess", defaultValue = "mobilenet", paramLabel = "PRESET",
                description = "float image inputs: mobilenet, unit, raw, imagenet; default: ${DEFAULT-VALUE}")
        String preprocess;

        CalibrationSet load() {
            if (dir == null) {
                if (samples != 32) {
                    throw new BadParameterException("--samples needs --calibration DIR");
                }
                return null;
            }
            Preprocessing p;
            try {
                p = Preprocessing.preset(preprocess);
            } catch (InvalidInputException e) {
                throw new BadParameterException(e.getMessage());
            }
            return CalibrationSet.fromDirectory(dir, samples, p);
        }
    }

    static Model read(Path model) {
        if (!Files.isRegularFile(model)) {
            throw new InvalidInputException("model file not found: " + model);
        }
        return ModelReader.read(model);
    }

    /** Turns a parameter problem into picocli's usage error (exit status 2). */
    static CommandLine.ParameterException usage(CommandLine cl, BadParameterException e) {
        return new CommandLine.ParameterException(cl, e.getMessage(), e);
    }

    /** Writes the result and prints what changed and the sizes. */
    static void writeAndReport(PrintWriter out, Path in, Path outFile, StepResult r, byte[] written) throws IOException {
        Path parent = outFile.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        Files.write(outFile, written);
        out.printf("%s -> %s: %s%n", in.getFileName(), outFile, r.step());
        for (StepResult.LayerReport l : r.layers()) {
            out.printf("  %-48s %-17s %-18s sparsity %5.1f%% -> %5.1f%%  distinct %6d -> %-6d%s%n", shorten(l.name(), 48),
                    l.op(), Arrays.toString(l.shape()), 100.0 * l.zerosBefore() / l.elements(), 100 * l.sparsityAfter(),
                    l.distinctBefore(), l.distinctAfter(), l.biasCorrected() ? "  bias corrected" : "");
        }
        out.printf("  %d layer(s), %.1f%% of their weights are zero%n", r.layers().size(), 100 * r.overallSparsity());
        printSizes(out, Files.readAllBytes(in), written);
    }

    static void printSizes(PrintWriter out, byte[] before, byte[] after) {
        ModelSizes a = ModelSizes.of(before);
        ModelSizes b = ModelSizes.of(after);
        out.printf("  size  raw  %s -> %s (%.2fx smaller)%n", Format.bytes(a.raw()), Format.bytes(b.raw()), b.rawRatioTo(a));
        out.printf("        gzip %s -> %s (%.2fx smaller)%n", Format.bytes(a.gzip()), Format.bytes(b.gzip()), b.gzipRatioTo(a));
    }

    private static String shorten(String s, int n) {
        if (s == null) {
            return "";
        }
        return s.length() <= n ? s : "..." + s.substring(s.length() - n + 3);
    }

    static byte[] bytes(Model m) {
        return ModelWriter.toBytes(m);
    }
}
