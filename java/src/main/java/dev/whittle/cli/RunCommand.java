package dev.whittle.cli;

import dev.whittle.InvalidInputException;
import dev.whittle.TensorData;
import dev.whittle.UnsupportedModelException;
import dev.whittle.io.ImageInput;
import dev.whittle.io.Npy;
import dev.whittle.io.Preprocessing;
import dev.whittle.model.Model;
import dev.whittle.model.TensorType;
import dev.whittle.model.io.ModelReader;
import dev.whittle.model.io.ModelRepair;
import dev.whittle.model.io.ModelWriter;
import dev.whittle.tflite.TensorInfo;
import dev.whittle.tflite.TfliteInterpreter;
import dev.whittle.tflite.TfliteOptions;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code whittle run MODEL --input ... --output-dir DIR}: runs a model on files. */
@Command(name = "run", mixinStandardHelpOptions = true,
        description = {"Run a model on .npy or image inputs.", "",
                "Images (BMP, JPEG, PNG) are resized and converted to the input's type and quantization;",
                "outputs are written as DIR/output_<i>.npy in the subgraph's output order."})
final class RunCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "MODEL")
    Path model;

    @Option(names = {"-i", "--input"}, required = true, paramLabel = "FILE",
            description = "one per model input, in the model's input order (.npy or an image)")
    List<Path> inputs;

    @Option(names = {"-o", "--output-dir"}, paramLabel = "DIR", description = "where output_<i>.npy go (not written if absent)")
    Path outputDir;

    @Option(names = "--backend", defaultValue = "tflite", paramLabel = "NAME",
            description = "tflite (the TFLite interpreter) or whittle (Whittle's runtime); default: ${DEFAULT-VALUE}")
    String backend;

    @Option(names = "--threads", defaultValue = "1", description = "threads for the backend (default: ${DEFAULT-VALUE})")
    int threads;

    @Option(names = "--no-xnnpack", description = "tflite backend: TFLite's builtin kernels without the XNNPACK delegate")
    boolean noXnnpack;

    @Option(names = "--preprocess", defaultValue = "mobilenet", paramLabel = "PRESET",
            description = "float image inputs: mobilenet ((x-127.5)/127.5), unit (x/255), raw (x), imagenet; default: ${DEFAULT-VALUE}")
    String preprocess;

    @Option(names = "--mean", split = ",", description = "float image inputs: per-channel mean (overrides --preprocess)")
    double[] mean;

    @Option(names = "--std", split = ",", description = "float image inputs: per-channel std (with --mean)")
    double[] std;

    @Option(names = "--top", defaultValue = "0", paramLabel = "K", description = "print the K highest scores of output 0")
    int top;

    @Option(names = "--labels", paramLabel = "FILE", description = "class names, one per line, for --top")
    Path labels;

    @Option(names = "--no-repair", description = "refuse models TFLite would reject instead of repairing them in memory")
    boolean noRepair;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        if (threads < 1) {
            throw new InvalidInputException("--threads must be at least 1, got " + threads);
        }
        if (!backend.equals("tflite") && !backend.equals("whittle")) {
            throw new InvalidInputException("unknown backend '" + backend + "': use tflite or whittle");
        }
        byte[] bytes = readModelBytes(err);
        if (backend.equals("whittle")) {
            throw new UnsupportedModelException("the Whittle runtime is not part of this build yet; use --backend tflite");
        }
        TfliteOptions options = TfliteOptions.defaults().threads(threads).useXnnpack(!noXnnpack);
        List<TensorData> outputs = new ArrayList<>();
        try (TfliteInterpreter interp = TfliteInterpreter.create(bytes, options)) {
            if (inputs.size() != interp.inputCount()) {
                throw new InvalidInputException(model + " has " + interp.inputCount() + " input(s), "
                        + inputs.size() + " --input given");
            }
            for (int i = 0; i < inputs.size(); i++) {
                TensorInfo info = interp.inputInfo(i);
                TensorData value = loadInput(inputs.get(i), info, i);
                if (!Arrays.equals(value.shape(), info.shape())) {
                    interp.resizeInput(i, value.shape());
                }
                interp.setInput(i, value);
            }
            long t0 = System.nanoTime();
            interp.invoke();
            long t1 = System.nanoTime();
            for (int i = 0; i < interp.outputCount(); i++) {
                outputs.add(interp.output(i));
            }
            out.printf("%s: ran on %s (%d thread%s%s) in %.2f ms%n", model.getFileName(), "tflite " + TfliteInterpreter.version(),
                    threads, threads == 1 ? "" : "s", noXnnpack ? ", no XNNPACK" : ", XNNPACK", (t1 - t0) / 1e6);
            for (int i = 0; i < outputs.size(); i++) {
                TensorInfo info = interp.outputInfo(i);
                TensorData o = outputs.get(i);
                String file = "";
                if (outputDir != null) {
                    Files.createDirectories(outputDir);
                    Path f = outputDir.resolve("output_" + i + ".npy");
                    Npy.write(f, o);
                    file = " -> " + f;
                }
                out.printf("  output %d %-24s %s%s%s%n", i, info.name(), o.type().name().toLowerCase(),
                        Arrays.toString(o.shape()), file);
            }
            if (top > 0 && !outputs.isEmpty()) {
                printTop(out, outputs.get(0), interp.outputInfo(0));
            }
        }
        return 0;
    }

    private byte[] readModelBytes(PrintWriter err) throws IOException {
        if (!Files.isRegularFile(model)) {
            throw new InvalidInputException("model file not found: " + model);
        }
        byte[] bytes = Files.readAllBytes(model);
        Model m = ModelReader.read(bytes);
        if (ModelRepair.needsRepair(m)) {
            if (noRepair) {
                throw new UnsupportedModelException(model + " needs a repair before TFLite loads it (see whittle inspect) "
                        + "and --no-repair was given");
            }
            List<String> changes = ModelRepair.repair(m);
            err.println("whittle: repaired in memory (TFLite refuses the file as is): " + changes.get(0)
                    + (changes.size() > 1 ? " and " + (changes.size() - 1) + " more like it" : ""));
            bytes = ModelWriter.toBytes(m);
        }
        return bytes;
    }

    private TensorData loadInput(Path file, TensorInfo info, int index) {
        if (!Files.isRegularFile(file)) {
            throw new InvalidInputException("input file not found: " + file);
        }
        if (ImageInput.isImageFile(file)) {
            Preprocessing p = mean != null ? preprocessingFromMeanStd() : Preprocessing.preset(preprocess);
            if (info.type() == TensorType.INT8 && info.isQuantized()) {
                return ImageInput.load(file, info.type(), info.shape(), p, info.quantization().scale(),
                        info.quantization().zeroPoint());
            }
            return ImageInput.load(file, info.type(), info.shape(), p);
        }
        TensorData t = Npy.read(file);
        if (t.type() != info.type()) {
            throw new InvalidInputException("input " + index + " ('" + info.name() + "') is "
                    + info.type().name().toLowerCase() + ", " + file + " holds " + t.type().name().toLowerCase());
        }
        return t;
    }

    private Preprocessing preprocessingFromMeanStd() {
        if (std == null || std.length != mean.length) {
            throw new InvalidInputException("--mean and --std must be given together with the same number of values");
        }
        return Preprocessing.perChannel(mean, std);
    }

    private void printTop(PrintWriter out, TensorData scores, TensorInfo info) throws IOException {
        List<String> names = labels == null ? List.of() : Files.readAllLines(labels);
        double[] v = scores.toDoubleArray();
        double scale = info.isQuantized() ? info.quantization().scale() : 1;
        double zero = info.isQuantized() ? info.quantization().zeroPoint() : 0;
        Integer[] idx = new Integer[v.length];
        for (int i = 0; i < v.length; i++) {
            idx[i] = i;
        }
        // stable: equal scores keep the lower class index first
        Arrays.sort(idx, (a, b) -> Double.compare(v[b], v[a]));
        out.printf("  top %d of output 0:%n", Math.min(top, v.length));
        for (int k = 0; k < Math.min(top, v.length); k++) {
            int c = idx[k];
            String name = c < names.size() ? names.get(c) : "";
            out.printf("    %5d  %.5f  %s%n", c, (v[c] - zero) * scale, name);
        }
    }
}
