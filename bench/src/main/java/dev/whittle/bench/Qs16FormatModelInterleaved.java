package dev.whittle.bench;

/**
 * {@link Sparse24ModelInterleaved} under the name the 16x8 measurements were taken with (models
 * with a float32 input, made by {@code optimize --quantize int16x8}, and a chosen format):
 * {@code ... MODEL f32 1x224x224x3 PATHS N [FORMAT]} (FORMAT auto, sparse or lut; default auto).
 */
public final class Qs16FormatModelInterleaved {
    private Qs16FormatModelInterleaved() {
    }

    /** Arguments: model, input type, input shape, paths (comma-separated), invokes per model, [format]. */
    public static void main(String[] a) {
        Sparse24ModelInterleaved.main(a);
    }
}
