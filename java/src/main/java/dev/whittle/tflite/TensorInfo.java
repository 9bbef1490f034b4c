package dev.whittle.tflite;

import dev.whittle.model.TensorType;

/**
 * Static description of one interpreter tensor as TFLite currently sees it.
 *
 * @param index the tensor's index in the primary subgraph
 * @param name the tensor's name, or an empty string when the model gives none
 * @param type element type, or {@code null} for a placeholder that TFLite has not typed
 *     ({@code kTfLiteNoType}, such as a tensor a kernel reserved but never used)
 * @param shape current shape (after any resize)
 * @param bytes size of the tensor's data in bytes as allocated by TFLite
 * @param quantization affine quantization, or {@code null} when the tensor is not quantized
 */
public record TensorInfo(int index, String name, TensorType type, int[] shape, long bytes, Quantization quantization) {
    public TensorInfo {
        shape = shape.clone();
    }

    @Override
    public int[] shape() {
        return shape.clone();
    }

    /** Whether the tensor carries affine quantization parameters. */
    public boolean isQuantized() {
        return quantization != null;
    }

    @Override
    public String toString() {
        return "TensorInfo[" + index + " '" + name + "' " + type + java.util.Arrays.toString(shape)
                + (quantization == null ? "" : " " + quantization) + "]";
    }

    /**
     * Affine quantization: {@code real = scale * (q - zeroPoint)}. Per-tensor quantization has
     * one scale and one zero point; per-channel quantization has one per slice along
     * {@code quantizedDimension}.
     */
    public record Quantization(float[] scales, int[] zeroPoints, int quantizedDimension) {
        public Quantization {
            scales = scales.clone();
            zeroPoints = zeroPoints.clone();
        }

        @Override
        public float[] scales() {
            return scales.clone();
        }

        @Override
        public int[] zeroPoints() {
            return zeroPoints.clone();
        }

        /** The first (for per-tensor quantization the only) scale, or 0 when there is none. */
        public float scale() {
            return scales.length == 0 ? 0f : scales[0];
        }

        /** The first (for per-tensor quantization the only) zero point, or 0 when there is none. */
        public int zeroPoint() {
            return zeroPoints.length == 0 ? 0 : zeroPoints[0];
        }

        public boolean isPerChannel() {
            return scales.length > 1;
        }

        @Override
        public String toString() {
            return scales.length == 1
                    ? "scale=" + scales[0] + " zp=" + zeroPoint()
                    : "per-channel(" + scales.length + ", dim " + quantizedDimension + ")";
        }
    }
}
