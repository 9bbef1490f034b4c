/**
 * Post-training quantization of float32 TFLite models, in TFLite's own schemes: float16
 * weights, dynamic range (int8 weights for the hybrid kernels), full-integer int8, and 16x8
 * (int16 activations, int8 weights).
 *
 * <p>The pieces, in the order a run uses them: {@link dev.whittle.quantize.CalibrationData}
 * (images, {@code .npy}, MNIST IDX or random samples, fed to a model input);
 * {@link dev.whittle.quantize.Calibrator} (runs the float model with every tensor kept and
 * collects each float tensor's statistics); {@link dev.whittle.quantize.RangeMethod}
 * (min/max, moving average, percentile, MSE clip search);
 * {@link dev.whittle.quantize.Quantizer} (rewrites the graph); and
 * {@link dev.whittle.quantize.QuantizationReport} / {@link dev.whittle.quantize.Evaluator}
 * (how close the result is to the float model).
 */
package dev.whittle.quantize;
