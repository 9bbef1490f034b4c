package dev.whittle.optimize;

import dev.whittle.model.Model;

import java.util.List;

/**
 * The model a {@link ModelStep} made and what it did to each layer.
 *
 * @param model  the new model (the step's input is untouched)
 * @param step   the step's description
 * @param layers one entry per changed weight tensor, in operator order
 */
public record StepResult(Model model, String step, List<LayerReport> layers) {
    public StepResult {
        layers = List.copyOf(layers);
    }

    /**
     * One weight tensor before and after a step.
     *
     * @param name           the tensor's name
     * @param op             the consuming operator, e.g. CONV_2D
     * @param shape          the weight shape
     * @param zerosBefore    elements equal to zero (quantized: to the zero point) before
     * @param zerosAfter     ... and after
     * @param distinctBefore distinct values before
     * @param distinctAfter  ... and after
     * @param biasCorrected  whether the layer's bias was corrected from calibration data
     */
    public record LayerReport(String name, String op, int[] shape, long elements, long zerosBefore, long zerosAfter,
                              int distinctBefore, int distinctAfter, boolean biasCorrected) {
        public double sparsityAfter() {
            return elements == 0 ? 0 : (double) zerosAfter / elements;
        }
    }

    /** Zeros over all changed tensors divided by their elements. */
    public double overallSparsity() {
        long z = 0;
        long n = 0;
        for (LayerReport l : layers) {
            z += l.zerosAfter();
            n += l.elements();
        }
        return n == 0 ? 0 : (double) z / n;
    }
}
