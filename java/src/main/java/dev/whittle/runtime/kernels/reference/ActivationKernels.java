package dev.whittle.runtime.kernels.reference;

import dev.whittle.model.TensorType;
import dev.whittle.runtime.ExecutionState;
import dev.whittle.runtime.Kernel;
import dev.whittle.runtime.quant.FixedPoint;
import dev.whittle.runtime.quant.FixedPoint16;

/**
 * Reference kernels of the RELU family (RELU, RELU6, RELU_N1_TO_1, RELU_0_TO_1), LEAKY_RELU
 * and HARD_SWISH.
 *
 * <p>Sources (TFLite 2.20, {@code kernels/activations.cc} and what it calls on x86 without
 * NEON): quantized RELU* is {@code optimized_ops::ReluX}: requantize {@code x - inZeroPoint}
 * with {@code MultiplyByQuantizedMultiplier}, add the output zero point, clamp to the
 * quantized images of the bounds. LEAKY_RELU is {@code reference_ops::QuantizeLeakyRelu}
 * (the int16 AVX2 variant computes the same), with the identity multiplier for
 * {@code x - zp >= 0} and the alpha multiplier below. HARD_SWISH is
 * {@code reference_ops::HardSwish}'s int16 fixed-point arithmetic (the optimized kernel is
 * NEON only and falls back to it elsewhere); the float one is the optimized kernel's
 * {@code x * min(6, max(0, x + 3)) * (1 / 6)}.
 */
public final class ActivationKernels {
    private ActivationKernels() {
    }

    private interface Body {
        void run(ActivationParams p, ExecutionState s);
    }

    private record Named(String name, Body body) implements Kernel<ActivationParams> {
        @Override
        public void run(ActivationParams params, ExecutionState state) {
            body.run(params, state);
        }
    }

    /** {@code f32_relu__reference} and the other bounds: {@code min(max(x, floatMin), floatMax)}. */
    public static Kernel<ActivationParams> f32Clamp(String op) {
        return new Named("f32_" + op + "__reference", (p, s) -> {
            for (int i = 0; i < p.count(); i++) {
                s.putFloat(p.output(), i, Math.min(Math.max(s.getFloat(p.input(), i), p.floatMin()), p.floatMax()));
            }
        });
    }

    /** {@code qs8_relu6__reference} and its twins: requantize, then clamp to [min, max]. */
    public static Kernel<ActivationParams> requantizeClamp(TensorType type, String op) {
        return new Named(UnaryKernels.prefix(type) + "_" + op + "__reference", (p, s) -> {
            for (int i = 0; i < p.count(); i++) {
                int x = (int) Elements.get(s, p.type(), p.input(), i) - p.inZeroPoint();
                int q = p.outZeroPoint() + FixedPoint.multiplyByQuantizedMultiplier(x, p.multiplier(), p.shift());
                q = Math.min(p.max(), Math.max(p.min(), q));
                Elements.put(s, p.type(), p.output(), i, q);
            }
        });
    }

    /** {@code f32_leaky_relu__reference}: {@code x > 0 ? x : x * alpha}. */
    public static final Kernel<ActivationParams> F32_LEAKY_RELU = new Named("f32_leaky_relu__reference", (p, s) -> {
        for (int i = 0; i < p.count(); i++) {
            float x = s.getFloat(p.input(), i);
            s.putFloat(p.output(), i, x > 0 ? x : x * p.alpha());
        }
    });

    /** {@code qs8_leaky_relu__reference} and its uint8/int16 twins. */
    public static Kernel<ActivationParams> leakyRelu(TensorType type) {
        return new Named(UnaryKernels.prefix(type) + "_leaky_relu__reference", (p, s) -> {
            int lo = UnaryKernels.min(p.type());
            int hi = UnaryKernels.max(p.type());
            for (int i = 0; i < p.count(); i++) {
                int x = (int) Elements.get(s, p.type(), p.input(), i) - p.inZeroPoint();
                int scaled = x >= 0
                        ? FixedPoint.multiplyByQuantizedMultiplier(x, p.multiplier(), p.shift())
                        : FixedPoint.multiplyByQuantizedMultiplier(x, p.multiplier2(), p.shift2());
                Elements.put(s, p.type(), p.output(), i, FixedPoint.clamp(p.outZeroPoint() + scaled, lo, hi));
            }
        });
    }

    /** {@code f32_hard_swish__reference}, in float and in the optimized kernel's order. */
    public static final Kernel<ActivationParams> F32_HARD_SWISH = new Named("f32_hard_swish__reference", (p, s) -> {
        for (int i = 0; i < p.count(); i++) {
            float x = s.getFloat(p.input(), i);
            s.putFloat(p.output(), i, x * Math.min(6.0f, Math.max(0.0f, x + 3.0f)) * (1.0f / 6.0f));
        }
    });

    /**
     * {@code qs8_hard_swish__reference} and {@code qu8_hard_swish__reference}: TFLite's int16
     * fixed-point HardSwish. Every intermediate is an int16 as in the C++ (the casts below are
     * its implicit int16 conversions, including the wrap of the output zero point addition).
     */
    public static Kernel<ActivationParams> hardSwish(TensorType type) {
        return new Named(UnaryKernels.prefix(type) + "_hard_swish__reference", (p, s) -> {
            int lo = UnaryKernels.min(p.type());
            int hi = UnaryKernels.max(p.type());
            short outMultiplier = (short) p.multiplier();
            int outExponent = p.shift();
            short reluishMultiplier = (short) p.multiplier2();
            int reluishExponent = p.shift2();
            for (int i = 0; i < p.count(); i++) {
                short x = (short) (Elements.get(s, p.type(), p.input(), i) - p.inZeroPoint());
                short hires = (short) (x * (1 << 7));
                short preshiftOutput = FixedPoint16.saturatingRoundingDoublingHighMul(hires, outMultiplier);
                short reluish = hires;
                if (reluishExponent > 0) {
                    reluish = FixedPoint16.saturatingLeftShift(reluish, reluishExponent - 1);
                }
                reluish = FixedPoint16.saturatingRoundingDoublingHighMul(reluish, reluishMultiplier);
                if (reluishExponent > 0) {
                    reluish = FixedPoint16.saturatingLeftShift(reluish, 1);
                }
                if (reluishExponent < 0) {
                    reluish = FixedPoint16.roundingDivideByPOT(reluish, -reluishExponent);
                }
                // From [-1, 1] to [0, 1] in Q0.15.
                reluish = (short) ((reluish + (1 << 15)) >> 1);
                short preshift = FixedPoint16.saturatingDoublingHighMul(reluish, preshiftOutput);
                short out = FixedPoint16.roundingDivideByPOT(preshift, -outExponent);
                out = (short) (out + p.outZeroPoint());
                Elements.put(s, p.type(), p.output(), i, Math.max(Math.min(out, hi), lo));
            }
        });
    }
}
