package dev.whittle.model;

import java.util.Arrays;

/**
 * A tensor's quantization parameters, as in the schema's {@code QuantizationParameters}:
 * {@code real = scale * (q - zero_point)}, per tensor (one scale) or per axis (one scale per
 * index of {@link #quantizedDimension()}). Arrays are null when the file left them out, so a
 * round trip keeps the difference between "absent" and "empty".
 */
public final class Quantization {
    private float[] min;
    private float[] max;
    private float[] scale;
    private long[] zeroPoint;
    private int quantizedDimension;
    /** Union type of {@code details} (0 = none, 1 = CustomQuantization). */
    private int detailsType;
    private byte[] customDetails;

    public Quantization() {
    }

    /** Per-tensor parameters. */
    public static Quantization perTensor(double scale, long zeroPoint) {
        Quantization q = new Quantization();
        q.scale = new float[] {(float) scale};
        q.zeroPoint = new long[] {zeroPoint};
        return q;
    }

    /** Per-axis parameters along {@code dimension}. */
    public static Quantization perAxis(float[] scales, long[] zeroPoints, int dimension) {
        if (scales.length != zeroPoints.length) {
            throw new IllegalArgumentException("scales and zero points differ in length: "
                    + scales.length + " vs " + zeroPoints.length);
        }
        Quantization q = new Quantization();
        q.scale = scales.clone();
        q.zeroPoint = zeroPoints.clone();
        q.quantizedDimension = dimension;
        return q;
    }

    public float[] min() {
        return min == null ? null : min.clone();
    }

    public float[] max() {
        return max == null ? null : max.clone();
    }

    public float[] scale() {
        return scale == null ? null : scale.clone();
    }

    public long[] zeroPoint() {
        return zeroPoint == null ? null : zeroPoint.clone();
    }

    public int quantizedDimension() {
        return quantizedDimension;
    }

    public int detailsType() {
        return detailsType;
    }

    public byte[] customDetails() {
        return customDetails == null ? null : customDetails.clone();
    }

    public Quantization setMin(float[] v) {
        this.min = v == null ? null : v.clone();
        return this;
    }

    public Quantization setMax(float[] v) {
        this.max = v == null ? null : v.clone();
        return this;
    }

    public Quantization setScale(float[] v) {
        this.scale = v == null ? null : v.clone();
        return this;
    }

    public Quantization setZeroPoint(long[] v) {
        this.zeroPoint = v == null ? null : v.clone();
        return this;
    }

    public Quantization setQuantizedDimension(int d) {
        this.quantizedDimension = d;
        return this;
    }

    public Quantization setCustomDetails(int type, byte[] custom) {
        this.detailsType = type;
        this.customDetails = custom == null ? null : custom.clone();
        return this;
    }

    /** Number of scales (0 when there are none). */
    public int scaleCount() {
        return scale == null ? 0 : scale.length;
    }

    /**
     * Whether this holds usable affine parameters: TFLite treats a tensor as quantized only
     * when both scale and zero_point are present and non-empty.
     */
    public boolean isAffine() {
        return scale != null && zeroPoint != null && scale.length > 0 && zeroPoint.length > 0;
    }

    public boolean isPerAxis() {
        return isAffine() && scale.length > 1;
    }

    /** The single scale of a per-tensor quantization. */
    public float scalarScale() {
        return scale[0];
    }

    /** The single zero point of a per-tensor quantization. */
    public long scalarZeroPoint() {
        return zeroPoint[0];
    }

    public Quantization copy() {
        Quantization q = new Quantization();
        q.min = min == null ? null : min.clone();
        q.max = max == null ? null : max.clone();
        q.scale = scale == null ? null : scale.clone();
        q.zeroPoint = zeroPoint == null ? null : zeroPoint.clone();
        q.quantizedDimension = quantizedDimension;
        q.detailsType = detailsType;
        q.customDetails = customDetails == null ? null : customDetails.clone();
        return q;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Quantization q && Arrays.equals(min, q.min) && Arrays.equals(max, q.max)
                && Arrays.equals(scale, q.scale) && Arrays.equals(zeroPoint, q.zeroPoint)
                && quantizedDimension == q.quantizedDimension && detailsType == q.detailsType
                && Arrays.equals(customDetails, q.customDetails);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(scale) * 31 + Arrays.hashCode(zeroPoint) + quantizedDimension;
    }

    @Override
    public String toString() {
        if (!isAffine()) {
            return detailsType != 0 ? "custom quantization" : "none";
        }
        if (scale.length == 1) {
            return "scale=" + scale[0] + " zero_point=" + zeroPoint[0];
        }
        return "per-axis(dim " + quantizedDimension + ", " + scale.length + " scales)";
    }
}
