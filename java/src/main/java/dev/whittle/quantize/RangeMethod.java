package dev.whittle.quantize;

import dev.whittle.InvalidInputException;

import java.util.Locale;

/**
 * How an activation's quantization range is estimated from calibration statistics.
 *
 * <p>The default is {@link #MINMAX}, chosen by measurement (see the README's quantization
 * section for the numbers): on MobileNet v1 0.25 calibrated on a handful of photos, min/max
 * agreed with the float model at least as often as the others. With few samples the clipping
 * methods cut off values that the evaluation images do reach (activations feeding ReLU6 are
 * already bounded, so there is little outlier tail to gain from), and min/max is also what
 * TFLite's own calibrator does, so results are comparable with the converter's.
 */
public enum RangeMethod {
    /** The smallest and largest value seen over all samples. */
    MINMAX,
    /** Moving average of each sample's min and max ({@link Calibrator#EMA_CONSTANT} per sample). */
    EMA,
    /** The {@link Calibrator#DEFAULT_PERCENTILE} and 100 minus it percentiles of all values seen (histogram). */
    PERCENTILE,
    /** The clip range that minimizes the expected squared quantization error (clipping + rounding) over the histogram. */
    MSE;

    /** Parses a command-line name: minmax, ema, percentile, mse (any case). */
    public static RangeMethod parse(String s) {
        for (RangeMethod m : values()) {
            if (m.name().equalsIgnoreCase(s)) {
                return m;
            }
        }
        throw new InvalidInputException("unknown calibration method '" + s + "' (known: minmax, ema, percentile, mse)");
    }

    public String cliName() {
        return name().toLowerCase(Locale.ROOT);
    }

    boolean needsHistogram() {
        return this == PERCENTILE || this == MSE;
    }
}
