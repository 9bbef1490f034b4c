package dev.whittle.runtime.ops;

import dev.whittle.runtime.PrepareContext;

/** Helpers shared by the reference kernels: fused activations, padding, shapes. */
final class OpSupport {
    static final int PADDING_SAME = 0;
    static final int PADDING_VALID = 1;

    private OpSupport() {
    }

    /**
     * The clamp bounds of a fused activation ({@code {min, max}}), as TFLite's
     * {@code CalculateActivationRange} gives them for float. TANH and SIGN_BIT are not
     * fusable in TFLite's float kernels either, so they are refused.
     */
    static float[] activationRange(PrepareContext ctx, int code) {
        return switch (code) {
            case 0 -> new float[] {Float.NEGATIVE_INFINITY, Float.POSITIVE_INFINITY};
            case 1 -> new float[] {0f, Float.POSITIVE_INFINITY};
            case 2 -> new float[] {-1f, 1f};
            case 3 -> new float[] {0f, 6f};
            default -> throw ctx.unsupported("fused activation " + code + " is not supported");
        };
    }

    /** TFLite's {@code ActivationFunctionWithMinMax}: max first, then min. */
    static float clamp(float v, float min, float max) {
        return Math.min(Math.max(v, min), max);
    }

    /** TFLite's {@code ComputeOutSize}. */
    static int outSize(PrepareContext ctx, int padding, int in, int filter, int stride, int dilation) {
        if (stride < 1 || dilation < 1 || filter < 1) {
            throw ctx.unsupported("stride " + stride + ", dilation " + dilation + " and filter " + filter
                    + " must be at least 1");
        }
        int effective = (filter - 1) * dilation + 1;
        return switch (padding) {
            case PADDING_SAME -> (in + stride - 1) / stride;
            case PADDING_VALID -> Math.max(0, (in + stride - effective) / stride);
            default -> throw ctx.unsupported("padding " + padding + " is neither SAME nor VALID");
        };
    }

    /**
     * TFLite's {@code ComputePaddingWithOffset}: the padding before the input. When the total
     * padding is odd (even kernels under SAME) the extra row or column goes after the input;
     * a bounds-checked reference loop needs only the leading amount.
     */
    static int padBefore(int in, int out, int filter, int stride, int dilation) {
        int effective = (filter - 1) * dilation + 1;
        int total = (out - 1) * stride + effective - in;
        return total > 0 ? total / 2 : 0;
    }

    static int product(int[] shape) {
        int n = 1;
        for (int d : shape) {
            n = Math.multiplyExact(n, d);
        }
        return n;
    }

    /** Row-major strides of {@code shape}, in elements. */
    static int[] strides(int[] shape) {
        int[] s = new int[shape.length];
        int acc = 1;
        for (int d = shape.length - 1; d >= 0; d--) {
            s[d] = acc;
            acc *= shape[d];
        }
        return s;
    }
}
