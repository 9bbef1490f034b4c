package dev.whittle.runtime.kernels.reference;

import dev.whittle.runtime.ExecutionState;
import dev.whittle.runtime.Kernel;
import dev.whittle.runtime.quant.CppMath;
import dev.whittle.runtime.quant.FixedPoint;

/**
 * FULLY_CONNECTED reference kernels, one per data type, written as the plain loops TFLite's
 * kernels are equivalent to. The input is read as {@code [batches, inFeatures]} (row-major,
 * whatever its rank), the weights as {@code [outFeatures, inFeatures]}, the output written as
 * {@code [batches, outFeatures]}.
 *
 * <p>Which arithmetic each kernel reproduces (TFLite 2.20, builtin kernels, kGenericOptimized):
 * <ul>
 * <li>{@link #F32}: float products summed in input order, plus bias, clamped. TFLite sums
 *     in its GEMM's order, so floats agree to a few ulps, not bit for bit.</li>
 * <li>{@link #QS8}, {@link #QS8_QC8W}, {@link #QU8}: int32 accumulation of
 *     {@code (w + wOffset) * (x + xOffset)} (wrapping, as the C++ and the GEMM do: integer
 *     addition is associative, so the GEMM's order gives the same bits), plus the int32 bias,
 *     then the output stage of the GEMM library TFLite calls, ruy's
 *     {@link #ruyMultiply single-rounding multiplier}, plus the output zero point, clamped.</li>
 * <li>{@link #QS16_QC8W_GEMM}: the int16 path TFLite takes when every zero point is 0 and the
 *     bias is int32 or absent (not int64): the same int32 GEMM and ruy output stage.</li>
 * <li>{@link #QS16_QC8W}: the int16 path TFLite takes with an int64 bias (or an int64
 *     {@code quantized_bias_type}): its reference kernel, int64 accumulation, then a
 *     floating-point requantization {@code (int32) round((double) acc * effectiveScale)}.</li>
 * <li>{@link #QD8_F32_QC8W}: hybrid, float input quantized per batch row at run time.</li>
 * </ul>
 */
public final class FullyConnectedReference {

    private FullyConnectedReference() {
    }

    /**
     * Float and hybrid parameters.
     *
     * @param bias tensor index, or -1
     * @param actMin lower clamp (float activation range)
     * @param actMax upper clamp
     * @param activation the fused activation code (hybrid applies TANH and SIGN_BIT too)
     * @param weightScales hybrid only: one weight scale per output feature (a per-tensor scale
     *     repeated), else null
     * @param perChannel hybrid only: whether the weights are quantized per channel
     * @param asymmetric hybrid only: {@code asymmetric_quantize_inputs}
     * @param scratch hybrid only: the scratch ids of the run-time quantized input and the
     *     weights' row sums (see {@link HybridScratch}), else null
     */
    public record FloatParams(int input, int weights, int bias, int output, int batches, int inFeatures,
            int outFeatures, float actMin, float actMax, int activation, float[] weightScales, boolean perChannel,
            boolean asymmetric, HybridScratch scratch) {
    }

    /**
     * Quantized parameters.
     *
     * @param bias tensor index, or -1
     * @param biasIs64 whether the bias tensor is INT64
     * @param inputOffset minus the input zero point
     * @param weightsOffset minus the weights zero point (0 for per-channel weights)
     * @param outputOffset the output zero point
     * @param multipliers per output feature (a per-tensor multiplier repeated)
     * @param shifts per output feature, exponents (positive = left)
     * @param realScales per output feature, {@code (double) in * (double) w / (double) out}, for
     *     {@link #QS16_QC8W}'s floating-point requantization; else null
     * @param actMin lower clamp, in output units
     * @param actMax upper clamp
     */
    public record QuantParams(int input, int weights, int bias, boolean biasIs64, int output, int batches,
            int inFeatures, int outFeatures, int inputOffset, int weightsOffset, int outputOffset, int[] multipliers,
            int[] shifts, double[] realScales, int actMin, int actMax) {
    }

    /** {@code f32_fully_connected__reference}. */
    public static final Kernel<FloatParams> F32 = new Kernel<>() {
        @Override
        public String name() {
            return "f32_fully_connected__reference";
        }

        @Override
        public void run(FloatParams p, ExecutionState s) {
            for (int b = 0; b < p.batches(); b++) {
                for (int o = 0; o < p.outFeatures(); o++) {
                    float total = 0f;
                    for (int i = 0; i < p.inFeatures(); i++) {
                        total += s.getFloat(p.input(), b * p.inFeatures() + i)
                                * s.getFloat(p.weights(), o * p.inFeatures() + i);
                    }
                    float bias = p.bias() >= 0 ? s.getFloat(p.bias(), o) : 0f;
                    s.putFloat(p.output(), b * p.outFeatures() + o,
                            Math.min(Math.max(total + bias, p.actMin()), p.actMax()));
                }
            }
        }
    };

    /** {@code qs8_fully_connected__reference}: int8 activations, per-tensor int8 weights. */
    public static final Kernel<QuantParams> QS8 = new Int32Kernel("qs8_fully_connected__reference", Elem.INT8,
            Elem.INT8);

    /** {@code qs8_qc8w_fully_connected__reference}: int8 activations, per-channel int8 weights. */
    public static final Kernel<QuantParams> QS8_QC8W = new Int32Kernel("qs8_qc8w_fully_connected__reference",
            Elem.INT8, Elem.INT8);

    /** {@code qu8_fully_connected__reference}: uint8 activations and weights, per tensor. */
    public static final Kernel<QuantParams> QU8 = new Int32Kernel("qu8_fully_connected__reference", Elem.UINT8,
            Elem.UINT8);

    /**
     * {@code qs16_qc8w_fully_connected_gemm__reference}: int16 activations (zero points 0), int8
     * weights, int32 or no bias: TFLite's int32 GEMM path.
     */
    public static final Kernel<QuantParams> QS16_QC8W_GEMM = new Int32Kernel(
            "qs16_qc8w_fully_connected_gemm__reference", Elem.INT16, Elem.INT8);

    /**
     * {@code qs16_qc8w_fully_connected__reference}: int16 activations, int8 weights, int64
     * accumulation (int64 bias): TFLite's reference kernel with its floating-point
     * requantization.
     */
    public static final Kernel<QuantParams> QS16_QC8W = new Kernel<>() {
        @Override
        public String name() {
            return "qs16_qc8w_fully_connected__reference";
        }

        @Override
        public void run(QuantParams p, ExecutionState s) {
            for (int b = 0; b < p.batches(); b++) {
                for (int o = 0; o < p.outFeatures(); o++) {
                    long acc = 0;
                    for (int i = 0; i < p.inFeatures(); i++) {
                        int x = s.getShort(p.input(), b * p.inFeatures() + i);
                        int w = s.getByte(p.weights(), o * p.inFeatures() + i);
                        // (int32) (w + wOffset) * (x + xOffset): both factors fit 17 bits.
                        acc += (w + p.weightsOffset()) * (x + p.inputOffset());
                    }
                    if (p.bias() >= 0) {
                        acc += p.biasIs64() ? s.getLong(p.bias(), o) : s.getInt(p.bias(), o);
                    }
                    int scaled = castToInt32(CppMath.round((double) acc * p.realScales()[o]));
                    scaled += p.outputOffset();
                    scaled = Math.min(Math.max(scaled, p.actMin()), p.actMax());
                    s.putShort(p.output(), b * p.outFeatures() + o, (short) scaled);
                }
            }
        }
    };

    /**
     * {@code qd8_f32_qc8w_fully_connected__reference}: hybrid. Each batch row of the float
     * input is quantized to int8 on the fly (symmetric: scale {@code max|x| / 127}; or, with
     * {@code asymmetric_quantize_inputs}, asymmetric over [min(0, x), max(0, x)] with a zero
     * point), the int8 dot products are taken exactly in int32, and each result is scaled back
     * to float: {@code out = bias + (float) (dot - zp * rowSum) * (rowScale * weightScale)},
     * then the fused activation (any of TFLite's, TANH and SIGN_BIT included). TFLite's SIMD
     * versions may fuse the last multiply-add, so floats agree within rounding, not bit for bit.
     */
    public static final Kernel<FloatParams> QD8_F32_QC8W = new Kernel<>() {
        @Override
        public String name() {
            return "qd8_f32_qc8w_fully_connected__reference";
        }

        @Override
        public void run(FloatParams p, ExecutionState s) {
            int rows = p.batches();
            int cols = p.inFeatures();
            int units = p.outFeatures();
            for (int b = 0; b < rows; b++) {
                for (int o = 0; o < units; o++) {
                    s.putFloat(p.output(), b * units + o, p.bias() >= 0 ? s.getFloat(p.bias(), o) : 0f);
                }
            }
            boolean allZero = true;
            for (int i = 0; i < rows * cols && allZero; i++) {
                allZero = s.getFloat(p.input(), i) == 0f;
            }
            if (!allZero) {
                HybridScratch scratch = p.scratch();
                for (int b = 0; b < rows; b++) {
                    if (p.asymmetric()) {
                        DynamicQuantization.asymmetric(s, p.input(), b * cols, cols, scratch, b);
                    } else {
                        s.putScratchFloat(scratch.scalingFactors(), b,
                                DynamicQuantization.symmetric(s, p.input(), b * cols, cols, scratch.quantized()));
                    }
                    if (!p.perChannel()) {
                        s.putScratchFloat(scratch.scalingFactors(), b,
                                scratch.scalingFactor(s, b) * p.weightScales()[0]);
                    }
                }
                if (p.asymmetric()) {
                    for (int o = 0; o < units; o++) {
                        int sum = 0;
                        for (int i = 0; i < cols; i++) {
                            sum += s.getByte(p.weights(), o * cols + i);
                        }
                        s.putScratchInt(scratch.rowSums(), o, sum);
                    }
                }
                for (int b = 0; b < rows; b++) {
                    float batchScale = scratch.scalingFactor(s, b);
                    int zeroPoint = p.asymmetric() ? scratch.offset(s, b) : 0;
                    for (int o = 0; o < units; o++) {
                        float scale = p.perChannel() ? p.weightScales()[o] * batchScale : batchScale;
                        int dot = 0;
                        for (int i = 0; i < cols; i++) {
                            dot += s.getByte(p.weights(), o * cols + i) * scratch.quantized(s, b * cols + i);
                        }
                        if (zeroPoint != 0) {
                            dot -= zeroPoint * scratch.rowSum(s, o);
                        }
                        int at = b * units + o;
                        s.putFloat(p.output(), at, s.getFloat(p.output(), at) + (float) dot * scale);
                    }
                }
            }
            for (int i = 0; i < rows * units; i++) {
                s.putFloat(p.output(), i, activate(s.getFloat(p.output(), i), p.activation(), p.actMin(),
                        p.actMax()));
            }
        }
    };

    /** TFLite's {@code ApplyActivationToVector}: the clamps, and TANH and SIGN_BIT. */
    static float activate(float v, int activation, float min, float max) {
        return switch (activation) {
            case 4 -> (float) Math.tanh(v);
            case 5 -> (Float.floatToRawIntBits(v) < 0) ? 1f : 0f;
            default -> Math.min(Math.max(v, min), max);
        };
    }

    /**
     * The output stage of ruy's x86 (AVX2/AVX-512) GEMM kernels, which TFLite's optimized
     * FULLY_CONNECTED calls on x86: a wrapping left shift by {@code max(shift, 0)}, the
     * fixed-point multiply rounded half up, {@code (x * m + 2^30) >> 31} in 64 bits (the same
     * value as gemmlowp's {@code SaturatingRoundingDoublingHighMul}), then a right shift by
     * {@code max(-shift, 0)} that also rounds half UP, {@code (v + 2^(rs - 1)) >> rs}, computed
     * so that it cannot overflow. TFLite's reference ({@link
     * FixedPoint#multiplyByQuantizedMultiplier(int, int, int)}) rounds that last step half
     * away from zero instead, so the two differ by one unit on negative ties of the right
     * shift (e.g. an accumulator of -8321 at a 2^-8 scale: TFLite's x86 kernel gives -32, the
     * reference -33). ruy's portable reference path rounds once instead; none of the three
     * agree on every input, and this is the one TFLite 2.20 runs on x86.
     */
    public static int ruyMultiply(int x, int multiplier, int shift) {
        return RuyMath.multiplyByQuantizedMultiplier(x, multiplier, shift);
    }

    /**
     * {@code static_cast<int32_t>(double)} as x86 computes it ({@code cvttsd2si}): truncation,
     * and the "integer indefinite" value INT32_MIN for NaN or anything outside the int32
     * range (Java would saturate instead).
     */
    static int castToInt32(double v) {
        if (!(v > -2147483649.0 && v < 2147483648.0)) {
            return Integer.MIN_VALUE;
        }
        return (int) v;
    }

    /** How a kernel reads one element of a quantized tensor. */
    enum Elem {
        INT8, UINT8, INT16;

        int get(ExecutionState s, int tensor, int i) {
            return switch (this) {
                case INT8 -> s.getByte(tensor, i);
                case UINT8 -> s.getUnsignedByte(tensor, i);
                case INT16 -> s.getShort(tensor, i);
            };
        }

        void put(ExecutionState s, int tensor, int i, int v) {
            switch (this) {
                case INT8, UINT8 -> s.putByte(tensor, i, (byte) v);
                case INT16 -> s.putShort(tensor, i, (short) v);
            }
        }
    }

    /** The int32-accumulating kernels: one loop, element types as parameters. */
    private record Int32Kernel(String name, Elem activations, Elem weights) implements Kernel<QuantParams> {
        @Override
        public void run(QuantParams p, ExecutionState s) {
            for (int b = 0; b < p.batches(); b++) {
                for (int o = 0; o < p.outFeatures(); o++) {
                    int acc = 0;
                    for (int i = 0; i < p.inFeatures(); i++) {
                        int x = activations.get(s, p.input(), b * p.inFeatures() + i);
                        int w = weights.get(s, p.weights(), o * p.inFeatures() + i);
                        acc += (w + p.weightsOffset()) * (x + p.inputOffset());
                    }
                    if (p.bias() >= 0) {
                        acc += s.getInt(p.bias(), o);
                    }
                    int scaled = ruyMultiply(acc, p.multipliers()[o], p.shifts()[o]);
                    scaled += p.outputOffset();
                    scaled = Math.min(Math.max(scaled, p.actMin()), p.actMax());
                    activations.put(s, p.output(), b * p.outFeatures() + o, scaled);
                }
            }
        }
    }
}
