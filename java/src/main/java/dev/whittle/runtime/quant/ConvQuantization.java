package dev.whittle.runtime.quant;

/**
 * Output multipliers for convolution and fully-connected kernels, as TFLite derives them in
 * {@code kernels/kernel_util.cc}.
 *
 * <p>TFLite has two formulas that differ in one rounding step, and kernels pick one or the
 * other, so both are here:
 * <ul>
 * <li>{@link #perChannel} ({@code PopulateConvolutionQuantizationParams}): every scale is
 *     widened to double first, {@code (double) in * (double) filter / (double) out};</li>
 * <li>{@link #perTensor} ({@code GetQuantizedConvolutionMultipler}): the product
 *     {@code in * filter} is taken in float and only then widened,
 *     {@code (double) (in * filter) / (double) out}.</li>
 * </ul>
 */
public final class ConvQuantization {

    private ConvQuantization() {
    }

    /**
     * Per-channel multipliers and shifts, index by output channel. Shifts are
     * {@link QuantizedMultiplier} exponents: positive = left shift.
     *
     * @param multipliers Q0.31 significands
     * @param shifts power-of-two exponents
     */
    public record PerChannel(int[] multipliers, int[] shifts) {
    }

    /**
     * The per-channel loop of {@code PopulateConvolutionQuantizationParams}: for each channel
     * {@code c}, {@code effective = (double) inputScale * (double) filterScale[c]
     * / (double) outputScale}, then {@link QuantizedMultiplier#of(double)}. A single filter
     * scale (per-tensor quantization) is broadcast to every channel, as TFLite does; with more
     * than one, there must be one per channel.
     *
     * @throws IllegalArgumentException if there is more than one filter scale and their
     *         count is not {@code numChannels}
     */
    public static PerChannel perChannel(float inputScale, float[] filterScales, float outputScale,
            int numChannels) {
        if (filterScales.length == 0) {
            throw new IllegalArgumentException("no filter scales");
        }
        boolean isPerChannel = filterScales.length > 1;
        if (isPerChannel && filterScales.length != numChannels) {
            throw new IllegalArgumentException(filterScales.length + " filter scales for "
                    + numChannels + " channels");
        }
        int[] multipliers = new int[numChannels];
        int[] shifts = new int[numChannels];
        for (int c = 0; c < numChannels; c++) {
            float scale = isPerChannel ? filterScales[c] : filterScales[0];
            double effective = (double) inputScale * (double) scale / (double) outputScale;
            QuantizedMultiplier q = QuantizedMultiplier.of(effective);
            multipliers[c] = q.multiplier();
            shifts[c] = q.shift();
        }
        return new PerChannel(multipliers, shifts);
    }

    /**
     * {@code GetQuantizedConvolutionMultipler} (the overload without the bias check): the real
     * multiplier {@code (double) (inputScale * filterScale) / (double) outputScale}, with the
     * product rounded to float before widening, exactly as TFLite writes it.
     *
     * @throws IllegalArgumentException if the product is negative (TFLite's ensure)
     */
    public static double perTensorRealMultiplier(float inputScale, float filterScale,
            float outputScale) {
        double inputProductScale = (double) (inputScale * filterScale);
        if (!(inputProductScale >= 0)) {
            throw new IllegalArgumentException("negative input * filter scale: "
                    + inputProductScale);
        }
        return inputProductScale / (double) outputScale;
    }

    /**
     * {@link #perTensorRealMultiplier} followed by {@link QuantizedMultiplier#of(double)}: the
     * per-tensor multiplier used by the fully-connected kernel and by the uint8 convolution
     * path. The returned shift is the exponent (positive = left); the uint8 convolution path
     * stores its negation as a right shift.
     */
    public static QuantizedMultiplier perTensor(float inputScale, float filterScale,
            float outputScale) {
        return QuantizedMultiplier.of(perTensorRealMultiplier(inputScale, filterScale,
                outputScale));
    }

    /**
     * The bias check of the {@code GetQuantizedConvolutionMultipler} overload that takes a
     * bias tensor: {@code |(double) in * (double) filter - (double) bias| / (double) out}
     * must be at most 0.02.
     */
    public static boolean biasScaleCompatible(float inputScale, float filterScale,
            float biasScale, float outputScale) {
        double inputProductScale = (double) inputScale * (double) filterScale;
        double scaleDiff = Math.abs(inputProductScale - (double) biasScale);
        return scaleDiff / (double) outputScale <= 0.02;
    }
}
