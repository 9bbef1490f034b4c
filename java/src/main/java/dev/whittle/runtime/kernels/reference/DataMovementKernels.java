package dev.whittle.runtime.kernels.reference;

import dev.whittle.model.TensorType;
import dev.whittle.runtime.ExecutionState;
import dev.whittle.runtime.Kernel;
import dev.whittle.runtime.quant.CppMath;

/**
 * CONCATENATION and PAD/PADV2: copies by element size ({@code x8}, {@code x16}, {@code x32},
 * {@code x64}, XNNPACK's names for type-agnostic moves), and
 * {@code qu8_concatenation__reference}, TFLite's {@code ConcatenationWithScaling}: an input
 * whose scale or zero point differs from the output's is requantized element by element in
 * float32, {@code round(v * (in_scale * (1 / out_scale)) + (-in_zp * scale)) + out_zp}
 * (halves away from zero), clamped to [0, 255]; the others are copied.
 */
public final class DataMovementKernels {
    private DataMovementKernels() {
    }

    /**
     * A concatenation: {@code outer} blocks, to each of which input k contributes
     * {@code chunks[k]} consecutive elements; per input its float scale and zero point
     * (uint8 only) and whether it must be requantized.
     */
    public record ConcatParams(TensorType type, int[] inputs, int[] chunks, int output, int outer, int outChunk,
            float[] inScales, int[] inZeroPoints, boolean[] rescale, float outScale, int outZeroPoint) {
    }

    /** A padding: shapes, the leading pad of each dimension, and where the pad value comes from. */
    public record PadParams(TensorType type, int input, int output, int[] inShape, int[] outShape, int[] before,
            int outCount, int valueTensor, long intValue) {
    }

    public static final Kernel<ConcatParams> X8_CONCAT = concat("x8_concatenation__reference");
    public static final Kernel<ConcatParams> X16_CONCAT = concat("x16_concatenation__reference");
    public static final Kernel<ConcatParams> X32_CONCAT = concat("x32_concatenation__reference");
    public static final Kernel<ConcatParams> X64_CONCAT = concat("x64_concatenation__reference");
    public static final Kernel<ConcatParams> QU8_CONCAT = new ReferenceKernel<>("qu8_concatenation__reference",
            DataMovementKernels::concatScaled);
    public static final Kernel<PadParams> X8_PAD = pad("x8_pad__reference");
    public static final Kernel<PadParams> X16_PAD = pad("x16_pad__reference");
    public static final Kernel<PadParams> X32_PAD = pad("x32_pad__reference");
    public static final Kernel<PadParams> X64_PAD = pad("x64_pad__reference");

    /** The plain copy kernel for a type's element size. */
    public static Kernel<ConcatParams> concatFor(TensorType type) {
        return switch (Elements.size(type)) {
            case 1 -> X8_CONCAT;
            case 2 -> X16_CONCAT;
            case 4 -> X32_CONCAT;
            default -> X64_CONCAT;
        };
    }

    /** The pad kernel for a type's element size. */
    public static Kernel<PadParams> padFor(TensorType type) {
        return switch (Elements.size(type)) {
            case 1 -> X8_PAD;
            case 2 -> X16_PAD;
            case 4 -> X32_PAD;
            default -> X64_PAD;
        };
    }

    private static Kernel<ConcatParams> concat(String name) {
        return new ReferenceKernel<>(name, DataMovementKernels::concatCopy);
    }

    private static Kernel<PadParams> pad(String name) {
        return new ReferenceKernel<>(name, DataMovementKernels::padCopy);
    }

    private static void concatCopy(ConcatParams p, ExecutionState s) {
        int size = Elements.size(p.type());
        for (int o = 0; o < p.outer(); o++) {
            int at = o * p.outChunk();
            for (int k = 0; k < p.inputs().length; k++) {
                int chunk = p.chunks()[k];
                Elements.copy(s, p.inputs()[k], o * chunk, p.output(), at, chunk, size);
                at += chunk;
            }
        }
    }

    private static void concatScaled(ConcatParams p, ExecutionState s) {
        float inverseOutScale = 1.f / p.outScale();
        for (int o = 0; o < p.outer(); o++) {
            int at = o * p.outChunk();
            for (int k = 0; k < p.inputs().length; k++) {
                int chunk = p.chunks()[k];
                if (!p.rescale()[k]) {
                    Elements.copy(s, p.inputs()[k], o * chunk, p.output(), at, chunk, 1);
                } else {
                    float scale = p.inScales()[k] * inverseOutScale;
                    float bias = (float) -p.inZeroPoints()[k] * scale;
                    for (int j = 0; j < chunk; j++) {
                        int v = s.getUnsignedByte(p.inputs()[k], o * chunk + j);
                        int r = (int) CppMath.round((float) v * scale + bias) + p.outZeroPoint();
                        s.putByte(p.output(), at + j, (byte) Math.max(Math.min(255, r), 0));
                    }
                }
                at += chunk;
            }
        }
    }

    private static void padCopy(PadParams p, ExecutionState s) {
        int[] out = p.outShape();
        int[] in = p.inShape();
        int size = Elements.size(p.type());
        boolean isFloat = p.type() == TensorType.FLOAT32;
        float floatValue = 0f;
        long intValue = p.intValue();
        if (p.valueTensor() >= 0) {
            if (isFloat) {
                floatValue = s.getFloat(p.valueTensor(), 0);
            } else {
                intValue = Elements.get(s, p.type(), p.valueTensor(), 0);
            }
        }
        for (int o = 0; o < p.outCount(); o++) {
            int rem = o;
            int idx = 0;
            int stride = 1;
            boolean inside = true;
            for (int d = out.length - 1; d >= 0; d--) {
                int c = rem % out[d] - p.before()[d];
                rem /= out[d];
                if (c < 0 || c >= in[d]) {
                    inside = false;
                    break;
                }
                idx += c * stride;
                stride *= in[d];
            }
            if (inside) {
                Elements.copy(s, p.input(), idx, p.output(), o, 1, size);
            } else if (isFloat) {
                s.putFloat(p.output(), o, floatValue);
            } else {
                Elements.put(s, p.type(), p.output(), o, intValue);
            }
        }
    }
}
