package dev.whittle.runtime.kernels.reference;

import dev.whittle.runtime.ExecutionState;
import dev.whittle.runtime.Kernel;
import dev.whittle.runtime.quant.FixedPoint;

/**
 * PRELU reference kernels: {@code x >= 0 ? x : x * alpha}, alpha broadcast to the input's
 * shape.
 *
 * <p>Sources (TFLite 2.20, {@code kernels/activations.cc} {@code PreluEval}): float32 is
 * {@code ApplyPrelu} (the optimized element-wise and broadcast kernels select between
 * {@code x} and one float product, so they agree bit for bit); the integer types run
 * {@code reference_ops::Prelu} / {@code BroadcastPrelu4DSlow} in every build (2.20 has no int16
 * PRELU):
 * {@code v = x - inZp}; {@code v >= 0}: {@code MultiplyByQuantizedMultiplier(v, identity)};
 * else {@code MultiplyByQuantizedMultiplier(v * (alpha - alphaZp), alphaMultiplier)} (the
 * int32 double-rounding one); plus the output zero point, clamped to the type's range.
 */
public final class PreluKernels {
    private PreluKernels() {
    }

    /** How a kernel reads and writes one element. */
    private enum Elem {
        INT8, UINT8;

        int get(ExecutionState s, int tensor, int i) {
            return switch (this) {
                case INT8 -> s.getByte(tensor, i);
                case UINT8 -> s.getUnsignedByte(tensor, i);
            };
        }

        void put(ExecutionState s, int tensor, int i, int v) {
            switch (this) {
                case INT8, UINT8 -> s.putByte(tensor, i, (byte) v);
            }
        }

        int min() {
            return switch (this) {
                case INT8 -> -128;
                case UINT8 -> 0;
            };
        }

        int max() {
            return switch (this) {
                case INT8 -> 127;
                case UINT8 -> 255;
            };
        }
    }

    /** {@code f32_prelu__reference}. */
    public static final Kernel<PreluParams> F32 = new Kernel<>() {
        @Override
        public String name() {
            return "f32_prelu__reference";
        }

        @Override
        public void run(PreluParams p, ExecutionState s) {
            for (int i = 0; i < p.count(); i++) {
                float x = s.getFloat(p.input(), i);
                s.putFloat(p.output(), i, x >= 0f ? x : x * s.getFloat(p.alpha(), p.alphaIndex(i)));
            }
        }
    };

    /** {@code qs8_prelu__reference}: int8 input, alpha and output, per tensor. */
    public static final Kernel<PreluParams> QS8 = new Quantized("qs8_prelu__reference", Elem.INT8);

    /** {@code qu8_prelu__reference}: uint8 input, alpha and output, per tensor. */
    public static final Kernel<PreluParams> QU8 = new Quantized("qu8_prelu__reference", Elem.UINT8);

    private record Quantized(String name, Elem act) implements Kernel<PreluParams> {
        @Override
        public void run(PreluParams p, ExecutionState s) {
            for (int i = 0; i < p.count(); i++) {
                int v = act.get(s, p.input(), i) + p.inputOffset();
                int out;
                if (v >= 0) {
                    out = FixedPoint.multiplyByQuantizedMultiplier(v, p.identityMultiplier(), p.identityShift());
                } else {
                    int a = act.get(s, p.alpha(), p.alphaIndex(i)) + p.alphaOffset();
                    out = FixedPoint.multiplyByQuantizedMultiplier(v * a, p.alphaMultiplier(), p.alphaShift());
                }
                out += p.outputOffset();
                act.put(s, p.output(), i, Math.min(act.max(), Math.max(act.min(), out)));
            }
        }
    }
}
