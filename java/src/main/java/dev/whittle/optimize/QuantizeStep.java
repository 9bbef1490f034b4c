package dev.whittle.optimize;

import dev.whittle.model.Model;
import dev.whittle.quantize.CalibrationData;
import dev.whittle.quantize.Calibrator;
import dev.whittle.quantize.QuantizeOptions;
import dev.whittle.quantize.Quantizer;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Post-training quantization as the last {@link ModelStep} of a pipeline: calibrates on the
 * model it is given (the pruned or clustered one, so activation ranges match the weights that
 * run) and quantizes it. Zeros stay zero and per-layer or per-channel shared values stay
 * shared (see the quantizer's weight rules); the report shows both per weight tensor.
 */
public final class QuantizeStep implements ModelStep {
    private final QuantizeOptions options;
    private final CalibrationData data;
    private final int[] inputShape;
    private final Calibrator.Progress progress;

    /**
     * @param data       calibration samples (int8 and 16x8; may be null for float16 and dynamic)
     * @param inputShape the shape samples are fed with, or null for the model's input shape
     */
    public QuantizeStep(QuantizeOptions options, CalibrationData data, int[] inputShape, Calibrator.Progress progress) {
        this.options = options;
        this.data = data;
        this.inputShape = inputShape;
        this.progress = progress == null ? Calibrator.Progress.NONE : progress;
        if (options.mode().needsCalibration() && data == null) {
            throw new BadParameterException("--quantize " + options.mode().cliName() + " needs --calibration SOURCE "
                    + "(a folder, image, .npy or IDX file, or random)");
        }
    }

    @Override
    public String describe() {
        return "quantize " + options.mode().cliName();
    }

    @Override
    public StepResult apply(Model model) {
        Quantizer.checkFloatModel(model);
        Calibrator.ActivationStats stats = null;
        if (options.mode().needsCalibration()) {
            int[] shape = inputShape != null ? inputShape : model.mainGraph().tensor(model.mainGraph().inputs()[0]).shape();
            stats = Calibrator.collect(model, data, shape, options.method().needsHistogram(), progress);
        }
        Model q = Quantizer.quantize(model, options, stats).model();
        return new StepResult(q, describe(), reports(model, q));
    }

    /** Weight tensors found under the same name before and after (float16 weights are not listed). */
    private static List<StepResult.LayerReport> reports(Model before, Model after) {
        WeightSelection all = new WeightSelection(null, null, true);
        Map<String, WeightData> quantized = new HashMap<>();
        try {
            for (Layer l : all.select(after)) {
                quantized.putIfAbsent(l.name(), WeightData.read(after, l));
            }
        } catch (BadParameterException e) {
            return List.of();
        }
        List<StepResult.LayerReport> out = new ArrayList<>();
        for (Layer l : all.select(before)) {
            WeightData a = quantized.get(l.name());
            WeightData b = WeightData.read(before, l);
            if (a != null && a.size() == b.size()) {
                out.add(Pruner.report(b, a, false));
            }
        }
        return out;
    }
}
