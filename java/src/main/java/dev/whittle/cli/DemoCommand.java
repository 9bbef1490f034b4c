package dev.whittle.cli;

import dev.whittle.TensorData;
import dev.whittle.io.Npy;
import dev.whittle.model.DemoModels;
import dev.whittle.model.Model;
import dev.whittle.model.ModelSummary;
import dev.whittle.model.TensorType;
import dev.whittle.model.io.ModelReader;
import dev.whittle.model.io.ModelWriter;
import dev.whittle.tflite.TfliteInterpreter;
import dev.whittle.tflite.TfliteOptions;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.Callable;

/**
 * {@code whittle demo}: the main job end to end on a model the project makes itself, so it
 * needs no download: build a small CNN with deterministic weights, write it as .tflite,
 * read it back, inspect it and run it.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = {"Build, write, inspect and run a small CNN made by Whittle's model builder.", "",
                "Everything it makes goes to --out-dir: the model, the input and the output as .npy."})
final class DemoCommand implements Callable<Integer> {
    @Option(names = "--out-dir", defaultValue = "out/demo", paramLabel = "DIR", description = "default: ${DEFAULT-VALUE}")
    Path outDir;

    @Option(names = "--seed", defaultValue = "42", description = "seed of the weights (default: ${DEFAULT-VALUE})")
    long seed;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        PrintWriter out = spec.commandLine().getOut();
        Files.createDirectories(outDir);

        out.println("== 1. build: a small CNN with Whittle's ModelBuilder (seed " + seed + ")");
        Model model = DemoModels.smallCnn(seed);
        Path file = outDir.resolve("demo_cnn.tflite");
        ModelWriter.write(model, file);
        out.printf("   wrote %s (%s)%n", file, Format.bytes(Files.size(file)));

        out.println("== 2. read it back and inspect it");
        Model read = ModelReader.read(file);
        if (!read.equals(model)) {
            throw new IllegalStateException("the model read back differs from the model written");
        }
        InspectCommand.printText(out, file, ModelSummary.of(read, Files.size(file)), true);

        out.println("== 3. run it in TFLite on a deterministic input");
        int[] shape = DemoModels.smallCnnInputShape();
        TensorData input = syntheticImage(shape);
        Npy.write(outDir.resolve("input.npy"), input);
        byte[] bytes = Files.readAllBytes(file);
        TensorData withXnnpack = runOnce(bytes, input, true);
        TensorData reference = runOnce(bytes, input, false);
        Npy.write(outDir.resolve("output_0.npy"), withXnnpack);
        double[] p = withXnnpack.toDoubleArray();
        double[] r = reference.toDoubleArray();
        double sum = 0;
        double maxDiff = 0;
        int best = 0;
        for (int i = 0; i < p.length; i++) {
            sum += p[i];
            maxDiff = Math.max(maxDiff, Math.abs(p[i] - r[i]));
            if (p[i] > p[best]) {
                best = i;
            }
        }
        out.printf("   input  %s -> %s%n", Arrays.toString(shape), outDir.resolve("input.npy"));
        out.printf("   output %s -> %s%n", Arrays.toString(withXnnpack.shape()), outDir.resolve("output_0.npy"));
        StringBuilder probs = new StringBuilder();
        for (double v : p) {
            probs.append(String.format(" %.4f", v));
        }
        out.printf("   probabilities%s%n", probs);
        out.printf("   class %d (p=%.4f); probabilities sum to %.6f; XNNPACK vs builtin kernels differ by at most %.2e%n",
                best, p[best], sum, maxDiff);
        out.println("== done. Next: ./whittle inspect " + file + " --json, or ./whittle run on the models in ../shared/models");
        return 0;
    }

    private static TensorData runOnce(byte[] model, TensorData input, boolean xnnpack) {
        try (TfliteInterpreter t = TfliteInterpreter.create(model, TfliteOptions.defaults().useXnnpack(xnnpack))) {
            t.setInput(0, input);
            t.invoke();
            return t.output(0);
        }
    }

    /** A smooth colour pattern in [-1, 1], the same on every machine. */
    static TensorData syntheticImage(int[] shape) {
        int h = shape[1];
        int w = shape[2];
        int c = shape[3];
        ByteBuffer b = ByteBuffer.allocate(4 * h * w * c).order(ByteOrder.LITTLE_ENDIAN);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                for (int k = 0; k < c; k++) {
                    double v = Math.sin(0.3 * x + 0.7 * k) * Math.cos(0.2 * y - 0.5 * k);
                    b.putFloat((float) v);
                }
            }
        }
        return new TensorData(TensorType.FLOAT32, shape, b.flip());
    }
}
