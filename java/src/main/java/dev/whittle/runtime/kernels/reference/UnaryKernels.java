package dev.whittle.runtime.kernels.reference;

import dev.whittle.model.TensorType;
import dev.whittle.runtime.ExecutionState;
import dev.whittle.runtime.Kernel;
import dev.whittle.runtime.quant.CppMath;
import dev.whittle.runtime.quant.FixedPoint;

import java.util.function.DoubleUnaryOperator;

/**
 * Reference kernels of the one-input element-wise operators: QUANTIZE (float to integer, and
 * integer requantization), DEQUANTIZE, and activations through a 256-entry lookup table.
 *
 * <p>Sources (TFLite 2.20): {@code optimized_ops::AffineQuantize} (round half away from zero of
 * {@code double(x) / scale}, plus the zero point, clamped), {@code reference_ops::Requantize}
 * ({@code MultiplyByQuantizedMultiplier} of the offset input, plus the output zero point,
 * clamped), {@code Dequantize} ({@code float(scale * (q - zeroPoint))} with a double scale),
 * and {@code LUTPopulate}/{@code LookupTable} for the int8/uint8 LOGISTIC and TANH.
 */
public final class UnaryKernels {
    private UnaryKernels() {
    }

    private interface Body {
        void run(UnaryParams p, ExecutionState s);
    }

    private record Named(String name, Body body) implements Kernel<UnaryParams> {
        @Override
        public void run(UnaryParams params, ExecutionState state) {
            body.run(params, state);
        }
    }

    /** The XNNPACK-style prefix of a type: {@code f32}, {@code f16}, {@code qs8}, {@code qu8}, {@code qs16}, {@code s32}. */
    public static String prefix(TensorType t) {
        return switch (t) {
            case FLOAT32 -> "f32";
            case FLOAT16 -> "f16";
            case INT8 -> "qs8";
            case UINT8 -> "qu8";
            case INT16 -> "qs16";
            case INT32 -> "s32";
            default -> t.name().toLowerCase(java.util.Locale.ROOT);
        };
    }

    static int min(TensorType t) {
        return switch (t) {
            case INT8 -> Byte.MIN_VALUE;
            case UINT8 -> 0;
            case INT16 -> Short.MIN_VALUE;
            default -> Integer.MIN_VALUE;
        };
    }

    static int max(TensorType t) {
        return switch (t) {
            case INT8 -> Byte.MAX_VALUE;
            case UINT8 -> 255;
            case INT16 -> Short.MAX_VALUE;
            default -> Integer.MAX_VALUE;
        };
    }

    /** {@code f32_qs8_quantize__reference} and its uint8/int16 twins. */
    public static Kernel<UnaryParams> quantize(TensorType out) {
        return new Named("f32_" + prefix(out) + "_quantize__reference", (p, s) -> {
            int lo = min(p.outType());
            int hi = max(p.outType());
            for (int i = 0; i < p.count(); i++) {
                double v = (double) s.getFloat(p.input(), i) / p.scale();
                int q = (int) CppMath.round(v) + p.outZeroPoint();
                Elements.put(s, p.outType(), p.output(), i, FixedPoint.clamp(q, lo, hi));
            }
        });
    }

    /** {@code qs8_qu8_requantize__reference} and the other integer pairs. */
    public static Kernel<UnaryParams> requantize(TensorType in, TensorType out) {
        return new Named(prefix(in) + "_" + prefix(out) + "_requantize__reference", (p, s) -> {
            int lo = min(p.outType());
            int hi = max(p.outType());
            for (int i = 0; i < p.count(); i++) {
                int x = Elements.getInt(s, p.inType(), p.input(), i) - p.inZeroPoint();
                int q = FixedPoint.multiplyByQuantizedMultiplier(x, p.multiplier(), p.shift()) + p.outZeroPoint();
                Elements.put(s, p.outType(), p.output(), i, FixedPoint.clamp(q, lo, hi));
            }
        });
    }

    /** {@code qs8_f32_dequantize__reference}, its uint8/int16 twins and {@code f16_f32_dequantize__reference}. */
    public static Kernel<UnaryParams> dequantize(TensorType in) {
        if (in == TensorType.FLOAT16) {
            return new Named("f16_f32_dequantize__reference", (p, s) -> {
                for (int i = 0; i < p.count(); i++) {
                    s.putFloat(p.output(), i, Float.float16ToFloat(s.getShort(p.input(), i)));
                }
            });
        }
        return new Named(prefix(in) + "_f32_dequantize__reference", (p, s) -> {
            for (int i = 0; i < p.count(); i++) {
                int q = Elements.getInt(s, p.inType(), p.input(), i);
                s.putFloat(p.output(), i, (float) (p.scale() * (q - p.inZeroPoint())));
            }
        });
    }

    /** A table lookup kernel, e.g. {@code qs8_logistic__reference}. */
    public static Kernel<UnaryParams> lookup(String name) {
        return new Named(name, (p, s) -> {
            int base = min(p.inType());
            int[] t = p.table();
            for (int i = 0; i < p.count(); i++) {
                Elements.put(s, p.outType(), p.output(), i, t[Elements.getInt(s, p.inType(), p.input(), i) - base]);
            }
        });
    }

    /** A float32 function applied element by element, e.g. {@code f32_logistic__reference}. */
    public static Kernel<UnaryParams> f32(String name, DoubleUnaryOperator f) {
        return new Named(name, (p, s) -> {
            for (int i = 0; i < p.count(); i++) {
                s.putFloat(p.output(), i, (float) f.applyAsDouble(s.getFloat(p.input(), i)));
            }
        });
    }

    /**
     * TFLite's {@code LUTPopulate} for int8/uint8: for every input value, dequantize in float,
     * apply {@code transform} (a float function), multiply by the float inverse output scale,
     * round half away from zero, add the output zero point in float, convert to int32 and clamp.
     * A NaN or infinite transform gives the type's minimum. The table is indexed by
     * {@code value - min(type)}.
     */
    public static int[] populateLut(TensorType type, float inputScale, int inputZeroPoint, float outputScale,
            int outputZeroPoint, FloatFunction transform) {
        int lo = min(type);
        int hi = max(type);
        int[] table = new int[hi - lo + 1];
        float inverseScale = 1.0f / outputScale;
        for (int v = lo; v <= hi; v++) {
            float dequantized = inputScale * (float) (v - inputZeroPoint);
            float transformed = transform.apply(dequantized);
            int q = lo;
            if (!Float.isNaN(transformed) && !Float.isInfinite(transformed)) {
                float rescaled = CppMath.round(transformed * inverseScale);
                q = (int) (rescaled + (float) outputZeroPoint);
            }
            table[v - lo] = Math.max(Math.min(hi, q), lo);
        }
        return table;
    }

    /** A float-to-float function, evaluated in float as the C++ lambdas are. */
    @FunctionalInterface
    public interface FloatFunction {
        float apply(float x);
    }
}
