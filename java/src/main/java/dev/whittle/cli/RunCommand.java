package dev.whittle.cli;

import dev.whittle.InvalidInputException;
import dev.whittle.TensorData;
import dev.whittle.UnsupportedModelException;
import dev.whittle.edgetpu.EdgeTpuCheck;
import dev.whittle.io.ImageInput;
import dev.whittle.io.Npy;
import dev.whittle.io.Preprocessing;
import dev.whittle.model.Model;
import dev.whittle.model.TensorType;
import dev.whittle.model.io.ModelReader;
import dev.whittle.model.io.ModelRepair;
import dev.whittle.model.io.ModelWriter;
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
        description = {"Run a model on .npy or image inputs, on Whittle's runtime (default) or TFLite.", "",
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

    @Option(names = "--backend", defaultValue = "whittle", paramLabel = "NAME",
            description = "whittle (Whittle's own runtime: float32, int8, uint8 and 16x8 models) or tflite"
                    + " (the TFLite interpreter, for operators Whittle lacks); default: ${DEFAULT-VALUE}")
    String backend;

    @Option(names = "--threads", defaultValue = "1", paramLabel = "N",
            description = "intra-op threads of either backend (default: ${DEFAULT-VALUE})")
    int threads;

    @Option(names = "--kernels", paramLabel = "WHAT", split = ",",
            description = {"whittle backend: weight format (dense, sparse, lut, auto) and/or kernel path",
                    "(reference, java, native or an ISA); default: auto"})
    List<String> kernels;

    @Option(names = "--no-xnnpack", description = "tflite backend: TFLite's builtin kernels without the XNNPACK delegate")
    boolean noXnnpack;

    @Option(names = "--delegate", paramLabel = "SPEC",
            description = {"tflite backend (implied): a TFLite delegate, repeatable, applied in order:",
                    "xnnpack[,threads=N,qs8=B,qu8=B,fp16=B,dynamic_fc=B,flags=0xHEX],",
                    "external:PATH[,key=value...] (a delegate plugin library), or",
                    "edgetpu[:usb|:pci][:N][,Performance=Low|Medium|High|Max,...] (libedgetpu)"})
    List<String> delegates = new ArrayList<>();

    @Option(names = "--preprocess", defaultValue = "mobilenet", paramLabel = "PRESET",
            description = "float image inputs: mobilenet ((x-127.5)/127.5), unit (x/255), raw (x), imagenet; default: ${DEFAULT-VALUE}")
    String preprocess;

    @Option(names = "--mean", split = ",", description = "float image inputs: per-channel mean (overrides --preprocess)")
    double[] mean;

    @Option(names = "--std", split = ",", description = "float image inputs: per-channel std (with --mean)")
    double[] std;

    @Option(names = "--top", defaultValue = "0", paramLabel = "K",
            description = "print the K highest scores of output 0 (5 when only --labels is given)")
    int top;

    @Option(names = "--labels", paramLabel = "FILE",
            description = "class names, one per line in class order (line 1 = class 0), for --top")
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
        if (!delegates.isEmpty()) {
            if (spec.commandLine().getParseResult().hasMatchedOption("--backend") && !backend.equals("tflite")) {
                throw new InvalidInputException("--delegate applies to --backend tflite (the TFLite interpreter runs"
                        + " delegates; Whittle's runtime has its own kernels)");
            }
            backend = "tflite";
            for (String d : delegates) {
                dev.whittle.tflite.DelegateSpec.parse(d); // bad specs fail here, before any work
            }
        }
        if (!backend.equals("tflite") && !backend.equals("whittle")) {
            throw new InvalidInputException("unknown backend '" + backend + "': use whittle or tflite");
        }
        if (top < 0) {
            throw new InvalidInputException("--top must be 0 or more, got " + top);
        }
        if (labels != null && !Files.isRegularFile(labels)) {
            throw new InvalidInputException("labels file not found: " + labels);
        }
        if (labels != null && top == 0) {
            top = 5;
        }
        BenchCommand.applyKernels(kernels);
        Model m = readModel(err);
        List<TensorData> outputs = new ArrayList<>();
        try (Backend be = backend.equals("whittle") ? whittle(m) : Backend.tflite(modelBytes(m), threads, !noXnnpack, delegates)) {
            if (inputs.size() != be.inputCount()) {
                throw new InvalidInputException(model + " has " + be.inputCount() + " input(s), "
                        + inputs.size() + " --input given");
            }
            for (int i = 0; i < inputs.size(); i++) {
                be.setInput(i, loadInput(inputs.get(i), be.inputPort(i), i));
            }
            long t0 = System.nanoTime();
            be.invoke();
            long t1 = System.nanoTime();
            for (int i = 0; i < be.outputCount(); i++) {
                outputs.add(be.output(i));
            }
            out.printf("%s: ran on %s in %.2f ms%n", model.getFileName(), be.description(), (t1 - t0) / 1e6);
            for (int i = 0; i < outputs.size(); i++) {
                TensorData o = outputs.get(i);
                String file = "";
                if (outputDir != null) {
                    Files.createDirectories(outputDir);
                    Path f = outputDir.resolve("output_" + i + ".npy");
                    Npy.write(f, o);
                    file = " -> " + f;
                }
                out.printf("  output %d %-24s %s%s%s%n", i, be.outputPort(i).name(), o.type().name().toLowerCase(),
                        Arrays.toString(o.shape()), file);
            }
            if (top > 0 && !outputs.isEmpty()) {
                printTop(out, outputs.get(0), be.outputPort(0));
            }
        }
        return 0;
    }

    /** Whittle's runtime, or a refusal that names what it lacks and the way out. */
    private Backend whittle(Model m) {
        if (noXnnpack) {
            throw new InvalidInputException("--no-xnnpack applies to --backend tflite");
        }
        if (EdgeTpuCheck.isCompiled(m)) {
            try {
                EdgeTpuCheck.requireNotCompiled(m);
            } catch (UnsupportedModelException e) {
                throw new UnsupportedModelException(model.getFileName() + ": " + e.getMessage());
            }
        }
        try {
            return Backend.whittle(m, threads);
        } catch (UnsupportedModelException e) {
            throw new UnsupportedModelException(model.getFileName() + ": Whittle's runtime cannot run this model: "
                    + e.getMessage() + ". Run it on the TFLite interpreter with --backend tflite");
        }
    }

    /** The model as TFLite gets it: the original file unless it was repaired. */
    private byte[] modelBytes(Model m) throws IOException {
        return repaired ? ModelWriter.toBytes(m) : Files.readAllBytes(model);
    }

    private boolean repaired;

    private Model readModel(PrintWriter err) {
        if (!Files.isRegularFile(model)) {
            throw new InvalidInputException("model file not found: " + model);
        }
        Model m = ModelReader.read(model);
        if (ModelRepair.needsRepair(m)) {
            if (noRepair) {
                throw new UnsupportedModelException(model + " needs a repair before TFLite loads it (see whittle inspect) "
                        + "and --no-repair was given");
            }
            List<String> changes = ModelRepair.repair(m);
            repaired = true;
            err.println("whittle: repaired in memory (TFLite refuses the file as is): " + changes.get(0)
                    + (changes.size() > 1 ? " and " + (changes.size() - 1) + " more like it" : ""));
        }
        return m;
    }

    private TensorData loadInput(Path file, Backend.Port info, int index) {
        if (!Files.isRegularFile(file)) {
            throw new InvalidInputException("input file not found: " + file);
        }
        if (ImageInput.isImageFile(file)) {
            Preprocessing p = mean != null ? preprocessingFromMeanStd() : Preprocessing.preset(preprocess);
            if (info.type() == TensorType.INT8 && info.quantized()) {
                return ImageInput.load(file, info.type(), info.shape(), p, info.scale(), info.zeroPoint());
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

    private void printTop(PrintWriter out, TensorData scores, Backend.Port info) throws IOException {
        List<String> names = labels == null ? List.of() : Files.readAllLines(labels);
        double[] v = scores.toDoubleArray();
        double scale = info.quantized() ? info.scale() : 1;
        double zero = info.quantized() ? info.zeroPoint() : 0;
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
