package dev.whittle.cli;

import dev.whittle.InvalidInputException;
import dev.whittle.model.Model;
import dev.whittle.model.io.ModelReader;
import dev.whittle.model.io.ModelWriter;
import dev.whittle.quantize.CalibrationData;
import dev.whittle.quantize.Calibrator;
import dev.whittle.quantize.QuantizationReport;
import dev.whittle.quantize.QuantizeOptions;
import dev.whittle.quantize.Quantizer;
import dev.whittle.quantize.RangeMethod;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/** {@code whittle quantize MODEL --mode ... --out OUT}: post-training quantization. */
@Command(name = "quantize", mixinStandardHelpOptions = true,
        description = {"Post-training quantization of a float32 model, in TFLite's schemes.", "",
                "float16: float16 weights with DEQUANTIZE ops; dynamic: int8 weights for TFLite's hybrid kernels;",
                "int8: int8 weights and activations (needs --calibration); int16x8: int16 activations, int8 weights.",
                "Prints a report: per-layer weight and activation SQNR, sizes, and the operators left float."})
final class QuantizeCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "MODEL")
    Path model;

    @Option(names = "--mode", required = true, paramLabel = "MODE", description = "float16, dynamic, int8 or int16x8")
    String mode;

    @Option(names = {"-o", "--out"}, required = true, paramLabel = "OUT", description = "the quantized .tflite to write")
    Path out;

    @Option(names = "--calibration", paramLabel = "SOURCE",
            description = {"int8/int16x8: a folder, image, .npy or IDX file (comma-separated for several), or random"})
    String calibration;

    @Option(names = "--method", defaultValue = "mse", paramLabel = "NAME",
            description = "activation ranges: minmax, ema, percentile or mse (default: ${DEFAULT-VALUE})")
    String method;

    @Option(names = "--io", defaultValue = "float", paramLabel = "TYPE",
            description = "int8 mode: input/output type float (QUANTIZE/DEQUANTIZE added), int8 or uint8 (default: ${DEFAULT-VALUE})")
    String io;

    @Option(names = "--strict", description = "refuse operators that cannot be quantized instead of leaving them float")
    boolean strict;

    @Option(names = "--fc-per-channel", description = "FULLY_CONNECTED weights per output channel (default: per tensor)")
    boolean fcPerChannel;

    @Option(names = "--dynamic-min-elements", defaultValue = "0", paramLabel = "N",
            description = "dynamic mode: weights with fewer elements stay float; TensorFlow's converter uses 1024,"
                    + " which costs size (default: ${DEFAULT-VALUE}, every weight quantized)")
    int dynamicMinElements;

    @Option(names = "--report-samples", defaultValue = "4", paramLabel = "N",
            description = "calibration samples the activation SQNR is measured on (default: ${DEFAULT-VALUE})")
    int reportSamples;

    @Mixin
    DataOptions data;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        PrintWriter outw = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        QuantizeOptions.Mode m = QuantizeOptions.Mode.parse(mode);
        QuantizeOptions opts = new QuantizeOptions(m, QuantizeOptions.IoType.parse(io), RangeMethod.parse(method),
                fcPerChannel, strict, dynamicMinElements);
        int samples = data.samplesOrZero();
        if (reportSamples < 0) {
            throw new InvalidInputException("--report-samples must be >= 0, got " + reportSamples);
        }
        if (!Files.isRegularFile(model)) {
            throw new InvalidInputException(model + ": no such model file");
        }
        byte[] floatFile = Files.readAllBytes(model);
        Model floatModel = ModelReader.read(floatFile);
        Quantizer.checkFloatModel(floatModel);
        int[] shape = inputShape(floatModel);
        CalibrationData cal = null;
        Calibrator.ActivationStats stats = null;
        if (m.needsCalibration()) {
            if (calibration == null) {
                throw new InvalidInputException("--mode " + m.cliName() + " needs --calibration SOURCE (a folder of images, "
                        + ".npy or IDX files, or random)");
            }
            cal = CalibrationData.open(calibration, shape, new CalibrationData.Options(data.preprocessing(), samples, data.seed, data.augment));
            cal.warnings().forEach(w -> err.println("whittle: warning: " + w));
            stats = Calibrator.collect(floatModel, cal, shape, opts.method().needsHistogram(), DataOptions.progressBar(err));
        } else if (calibration != null) {
            cal = CalibrationData.open(calibration, shape, new CalibrationData.Options(data.preprocessing(), samples, data.seed, data.augment));
        }
        Quantizer.Result result = Quantizer.quantize(floatModel, opts, stats);
        byte[] bytes = ModelWriter.toBytes(result.model());
        if (out.toAbsolutePath().getParent() != null) {
            Files.createDirectories(out.toAbsolutePath().getParent());
        }
        Files.write(out, bytes);
        QuantizationReport report = QuantizationReport.build(floatModel, floatFile, opts, result, bytes, cal, shape,
                reportSamples, stats == null ? null : stats.backend(), stats == null ? 0 : stats.samples());
        outw.println(model.getFileName() + " -> " + out);
        outw.print(report.toText());
        outw.flush();
        return 0;
    }

    private int[] inputShape(Model m) {
        int[] given = data.inputShape();
        if (given != null) {
            return given;
        }
        var g = m.mainGraph();
        if (g.inputs().length == 0) {
            throw new InvalidInputException("the model has no input");
        }
        return g.tensor(g.inputs()[0]).shape();
    }
}
