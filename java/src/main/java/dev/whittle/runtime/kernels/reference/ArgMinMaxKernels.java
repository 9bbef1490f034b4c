package dev.whittle.runtime.kernels.reference;

import dev.whittle.model.TensorType;
import dev.whittle.runtime.ExecutionState;
import dev.whittle.runtime.Kernel;

/**
 * ARG_MAX and ARG_MIN along one axis: the index of the first element that no later one
 * beats strictly ({@code >} for max, {@code <} for min), so ties go to the lowest index, as
 * in TFLite's reference and optimized kernels. The index is written as int32 or int64.
 */
public final class ArgMinMaxKernels {
    private ArgMinMaxKernels() {
    }

    /** {@code outer} x {@code axisSize} x {@code inner} input, {@code outer} x {@code inner} output. */
    public record Params(TensorType type, TensorType outType, int input, int output, int outer, int axisSize,
            int inner, boolean max) {
    }

    public static final Kernel<Params> F32 = new ReferenceKernel<>("f32_argminmax__reference", ArgMinMaxKernels::run);
    public static final Kernel<Params> QS8 = new ReferenceKernel<>("qs8_argminmax__reference", ArgMinMaxKernels::run);
    public static final Kernel<Params> QU8 = new ReferenceKernel<>("qu8_argminmax__reference", ArgMinMaxKernels::run);
    public static final Kernel<Params> S32 = new ReferenceKernel<>("s32_argminmax__reference", ArgMinMaxKernels::run);

    private static void run(Params p, ExecutionState s) {
        boolean isFloat = p.type() == TensorType.FLOAT32;
        for (int o = 0; o < p.outer(); o++) {
            for (int i = 0; i < p.inner(); i++) {
                int best = 0;
                float bestF = 0f;
                long bestI = 0;
                for (int a = 0; a < p.axisSize(); a++) {
                    int at = (o * p.axisSize() + a) * p.inner() + i;
                    if (isFloat) {
                        float v = s.getFloat(p.input(), at);
                        if (a == 0 || (p.max() ? v > bestF : v < bestF)) {
                            bestF = v;
                            best = a;
                        }
                    } else {
                        long v = Elements.get(s, p.type(), p.input(), at);
                        if (a == 0 || (p.max() ? v > bestI : v < bestI)) {
                            bestI = v;
                            best = a;
                        }
                    }
                }
                Elements.put(s, p.outType(), p.output(), o * p.inner() + i, best);
            }
        }
    }
}
