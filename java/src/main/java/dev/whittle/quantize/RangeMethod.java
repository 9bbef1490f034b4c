package dev.whittle.quantize;

import dev.whittle.InvalidInputException;

import java.util.Locale;

/**
 * How an activation's quantization range is estimated from calibration statistics.
 *
 * <p>The default, {@link #DEFAULT}, is {@link #MSE}, chosen by measurement: MobileNet v1 0.25
 * (float) quantized to int8, calibrated on 5 photos of {@code shared/images} and evaluated
 * against the float model on the 5 others with 10 crops/flips each (50 samples), gave output
 * SQNR / top-1 agreement of
 * <pre>
 *               5 calibration images      the same with crops/flips (50)
 *   minmax      14.21 dB / 0.96           14.11 dB / 0.98
 *   ema         14.16 dB / 0.98            5.16 dB / 0.78
 *   percentile  14.40 dB / 0.96           13.93 dB / 0.96
 *   mse         14.47 dB / 0.96           14.61 dB / 0.98
 * </pre>
 * MSE was best on SQNR in both settings and never worse on top-1; it also equals min/max on
 * 16x8 (15.60 dB), where the int16 grid makes clipping pointless. Its cost is a second pass
 * over the calibration data (a histogram per tensor). The moving average follows the
 * last samples' ranges ({@link Calibrator#EMA_CONSTANT}), which undershoots the extremes
 * of a varied set, as the 50-sample row shows.
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

    /** The default: {@link #MSE} (see the class comment for the measurement). */
    public static final RangeMethod DEFAULT = MSE;

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

    /** Whether the method needs the second calibration pass (a histogram per tensor). */
    public boolean needsHistogram() {
        return this == PERCENTILE || this == MSE;
    }
}
