package dev.whittle.cli;

import dev.whittle.InvalidInputException;
import dev.whittle.io.Preprocessing;
import dev.whittle.quantize.Calibrator;
import picocli.CommandLine.Option;

import java.io.PrintWriter;
import java.util.Arrays;
import java.util.Locale;

/** Options shared by {@code quantize} and {@code evaluate}: how samples are read and normalized. */
final class DataOptions {
    @Option(names = "--samples", paramLabel = "N", description = "use at most N samples (default: all; random: 16)")
    Integer samples;

    @Option(names = "--seed", defaultValue = "0", description = "seed for random data (default: ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--augment", description = "add, for every image, its mirror image and crops (10 variants per image)")
    boolean augment;

    @Option(names = "--preset", paramLabel = "NAME",
            description = "float image inputs: mobilenet ((x-127.5)/127.5), unit (x/255), raw (x), imagenet")
    String preset;

    @Option(names = "--mean", split = ",", description = "float image inputs: per-channel mean (with --std)")
    double[] mean;

    @Option(names = "--std", split = ",", description = "float image inputs: per-channel std (with --mean)")
    double[] std;

    @Option(names = "--input-shape", split = ",", paramLabel = "DIMS",
            description = "feed input 0 with this shape (models with a dynamic input), e.g. 1,32,32,3")
    int[] inputShape;

    Preprocessing preprocessing() {
        if (mean != null || std != null) {
            if (mean == null || std == null || std.length != mean.length) {
                throw new InvalidInputException("--mean and --std must be given together with the same number of values");
            }
            return Preprocessing.perChannel(mean, std);
        }
        return preset == null ? null : Preprocessing.preset(preset);
    }

    int samplesOrZero() {
        if (samples != null && samples < 1) {
            throw new InvalidInputException("--samples must be at least 1, got " + samples);
        }
        return samples == null ? 0 : samples;
    }

    int[] inputShape() {
        if (inputShape != null) {
            for (int d : inputShape) {
                if (d < 1) {
                    throw new InvalidInputException("--input-shape needs positive dimensions, got " + Arrays.toString(inputShape));
                }
            }
        }
        return inputShape;
    }

    /** A one-line progress bar on stderr, redrawn in place, ended with a newline at the end of each phase. */
    static Calibrator.Progress progressBar(PrintWriter err) {
        return (phase, done, total) -> {
            int width = 30;
            int filled = total == 0 ? width : (int) ((long) done * width / total);
            err.print(String.format(Locale.ROOT, "\r%-12s [%s%s] %d/%d", phase, "#".repeat(filled), " ".repeat(width - filled),
                    done, total));
            if (done == total) {
                err.println();
            }
            err.flush();
        };
    }
}
