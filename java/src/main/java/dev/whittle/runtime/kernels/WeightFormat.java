package dev.whittle.runtime.kernels;

import dev.whittle.InvalidInputException;

import java.util.Locale;

/**
 * Which weight formats CONV_2D and FULLY_CONNECTED kernels may use ({@code --kernels} on the
 * CLI, {@value #PROPERTY} for the library): the dense GEMM, the sparse formats (2:4 structured,
 * blocked unstructured) for pruned layers, the LUT-decoded format for clustered layers, or a
 * per-layer choice by the cost model of {@link WeightKernels}. Read at each compile, so one
 * process can compile a model both ways.
 */
public enum WeightFormat {
    /** The dense kernels only. */
    DENSE,
    /** 2:4 where the layer conforms, else blocked unstructured sparse, else dense. */
    SPARSE,
    /** LUT-decoded clustered weights where the layer has few enough distinct values, else dense. */
    LUT,
    /** Per layer, the format the cost model predicts fastest (the default). */
    AUTO;

    /** System property that selects the weight format: {@code dense|sparse|lut|auto}. */
    public static final String PROPERTY = "whittle.weights";

    /** The lower-case label used on the command line and in reports. */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * Parses a label.
     *
     * @throws InvalidInputException naming the accepted labels
     */
    public static WeightFormat parse(String label) {
        if (label == null || label.isBlank()) {
            return AUTO;
        }
        for (WeightFormat f : values()) {
            if (f.label().equals(label.trim().toLowerCase(Locale.ROOT))) {
                return f;
            }
        }
        throw new InvalidInputException("unknown weight format '" + label + "': expected dense, sparse, lut or auto");
    }

    /** Whether {@code label} names a weight format (and not, say, a kernel path). */
    public static boolean isLabel(String label) {
        for (WeightFormat f : values()) {
            if (f.label().equals(label.trim().toLowerCase(Locale.ROOT))) {
                return true;
            }
        }
        return false;
    }

    /** The format {@value #PROPERTY} selects now (default {@link #AUTO}). */
    public static WeightFormat current() {
        return parse(System.getProperty(PROPERTY));
    }
}
