package dev.whittle.runtime.kernels.reference;

import dev.whittle.model.TensorType;
import dev.whittle.runtime.ExecutionState;
import dev.whittle.runtime.Kernel;
import dev.whittle.runtime.quant.CppMath;
import dev.whittle.runtime.quant.FixedPoint;

/**
 * MEAN and SUM. Each output element is the reduction of the input elements that share its
 * kept coordinates; quantized kernels sum raw values in int32 and then rescale as the TFLite
 * 2.20 kernel that the builtin resolver runs does for that case:
 *
 * <ul>
 * <li>{@code q*_mean__reference}: {@code reference_ops::QuantizedMeanOrSum}, what
 *     {@code EvalMean} runs for every quantized MEAN but the one below: the multiplier of
 *     {@code in_scale / out_scale} (QuantizeMultiplier, in double) is divided by the count
 *     with {@code shift = min(floor(log2 count), 32, 31 + shift)} extra bits,
 *     {@code (multiplier << shift) / count}, and applied to {@code sum - in_zp * count} with
 *     the double-rounding MultiplyByQuantizedMultiplier, then the output zero point is added.</li>
 * <li>{@code q*_mean_hw__reference}: {@code optimized_integer_ops::Mean} (int8) and
 *     {@code optimized_ops::Mean} (uint8), taken for keep_dims, rank 4 and axes exactly
 *     {@code [1, 2]} or {@code [2, 1]}: float32 arithmetic throughout, a multiplier of
 *     {@code in_scale / (count * out_scale)} applied to the raw sum, then a bias of
 *     {@code out_zp - (int)(in_zp * in_scale / out_scale ± 0.5f)}.</li>
 * <li>{@code q*_sum__reference}: {@code optimized_ops::QuantizedMeanOrSum} with
 *     {@code compute_sum}: {@code roundf(sum * scale + bias)} in float32 with
 *     {@code scale = in_scale / out_scale} and {@code bias = -in_zp * scale * count}.</li>
 * </ul>
 */
public final class ReduceKernels {
    private ReduceKernels() {
    }

    /**
     * One node: the kept and reduced dimensions of the input (sizes and input strides, the
     * output being row-major over the kept ones), the count of reduced elements, and the
     * rescaling (multiplier and shift, zero points, or float scale and bias, as the kernel uses).
     */
    public record Params(TensorType type, int input, int output, int outCount, int[] keptSizes, int[] keptStrides,
            int[] reducedSizes, int[] reducedStrides, int count, int multiplier, int shift, int inZeroPoint,
            int outZeroPoint, int intBias, float scale, float bias) {
    }

    public static final Kernel<Params> F32_MEAN = new ReferenceKernel<>("f32_mean__reference", (p, s) -> floatReduce(p, s, true));
    public static final Kernel<Params> F32_SUM = new ReferenceKernel<>("f32_sum__reference", (p, s) -> floatReduce(p, s, false));
    public static final Kernel<Params> QS8_MEAN = new ReferenceKernel<>("qs8_mean__reference", ReduceKernels::mean);
    public static final Kernel<Params> QU8_MEAN = new ReferenceKernel<>("qu8_mean__reference", ReduceKernels::mean);
    public static final Kernel<Params> QS16_MEAN = new ReferenceKernel<>("qs16_mean__reference", ReduceKernels::mean);
    public static final Kernel<Params> QS8_MEAN_HW = new ReferenceKernel<>("qs8_mean_hw__reference", ReduceKernels::meanHw);
    public static final Kernel<Params> QU8_MEAN_HW = new ReferenceKernel<>("qu8_mean_hw__reference", ReduceKernels::meanHw);
    public static final Kernel<Params> QS8_SUM = new ReferenceKernel<>("qs8_sum__reference", ReduceKernels::sum);
    public static final Kernel<Params> QU8_SUM = new ReferenceKernel<>("qu8_sum__reference", ReduceKernels::sum);
    public static final Kernel<Params> QS16_SUM = new ReferenceKernel<>("qs16_sum__reference", ReduceKernels::sum);

    /** Offset in the input of the first element that output {@code o} reduces. */
    private static int base(Params p, int o) {
        int at = 0;
        for (int d = p.keptSizes().length - 1; d >= 0; d--) {
            at += (o % p.keptSizes()[d]) * p.keptStrides()[d];
            o /= p.keptSizes()[d];
        }
        return at;
    }

    /** Offset, from an output's base, of its {@code r}-th reduced element. */
    private static int reducedOffset(Params p, int r) {
        int at = 0;
        for (int d = p.reducedSizes().length - 1; d >= 0; d--) {
            at += (r % p.reducedSizes()[d]) * p.reducedStrides()[d];
            r /= p.reducedSizes()[d];
        }
        return at;
    }

    /** The int32 sum (wrapping, as TFLite's int32 accumulator) of the raw values output {@code o} reduces. */
    private static int rawSum(Params p, ExecutionState s, int o) {
        int base = base(p, o);
        int sum = 0;
        for (int r = 0; r < p.count(); r++) {
            sum += (int) Elements.get(s, p.type(), p.input(), base + reducedOffset(p, r));
        }
        return sum;
    }

    private static void floatReduce(Params p, ExecutionState s, boolean mean) {
        for (int o = 0; o < p.outCount(); o++) {
            int base = base(p, o);
            float sum = 0f;
            for (int r = 0; r < p.count(); r++) {
                sum += s.getFloat(p.input(), base + reducedOffset(p, r));
            }
            s.putFloat(p.output(), o, mean ? sum / p.count() : sum);
        }
    }

    private static void mean(Params p, ExecutionState s) {
        int min = Elements.min(p.type());
        int max = Elements.max(p.type());
        long count = p.count();
        // TFLite folds 1/count into the multiplier, keeping as many bits as it safely can.
        int shift = 63 - Long.numberOfLeadingZeros(count);
        shift = Math.min(shift, 32);
        shift = Math.min(shift, 31 + p.shift());
        int multiplier = (int) (((long) p.multiplier() << shift) / count);
        int outShift = p.shift() - shift;
        for (int o = 0; o < p.outCount(); o++) {
            int shifted = (int) (rawSum(p, s, o) - (long) p.inZeroPoint() * count);
            int v = FixedPoint.multiplyByQuantizedMultiplier(shifted, multiplier, outShift) + p.outZeroPoint();
            Elements.put(s, p.type(), p.output(), o, Math.min(Math.max(v, min), max));
        }
    }

    /** {@code intBias()} is {@code out_zp - (int)(in_zp * in_scale / out_scale ± 0.5f)}. */
    private static void meanHw(Params p, ExecutionState s) {
        int min = Elements.min(p.type());
        int max = Elements.max(p.type());
        int bias = p.intBias();
        for (int o = 0; o < p.outCount(); o++) {
            int v = FixedPoint.multiplyByQuantizedMultiplier(rawSum(p, s, o), p.multiplier(), p.shift()) + bias;
            Elements.put(s, p.type(), p.output(), o, Math.min(Math.max(v, min), max));
        }
    }

    private static void sum(Params p, ExecutionState s) {
        int min = Elements.min(p.type());
        int max = Elements.max(p.type());
        for (int o = 0; o < p.outCount(); o++) {
            float f = (float) rawSum(p, s, o) * p.scale() + p.bias();
            int v = (int) CppMath.round(f) + p.outZeroPoint();
            Elements.put(s, p.type(), p.output(), o, Math.min(Math.max(v, min), max));
        }
    }
}
