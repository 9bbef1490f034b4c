package dev.whittle.runtime.kernels.elementwise;

import dev.whittle.runtime.kernels.KernelFamily;
import dev.whittle.runtime.kernels.reference.ArgMinMaxKernels;
import dev.whittle.runtime.kernels.reference.BinaryParams;
import dev.whittle.runtime.kernels.reference.DataMovementKernels.PadParams;
import dev.whittle.runtime.kernels.reference.Pool2DKernels;
import dev.whittle.runtime.kernels.reference.ResizeKernels;
import dev.whittle.runtime.kernels.reference.UnaryParams;

/**
 * The kernel families of the ops besides convolution and fully-connected (registered in
 * {@link dev.whittle.runtime.kernels.KernelRegistry}). Each family's factory receives the
 * parameters prepared for the op's reference kernel and returns a faster kernel computing the
 * same integers, or null.
 */
public final class ElementwiseFamilies {
    private ElementwiseFamilies() {
    }

    /** ADD, SUB and MUL on int8, uint8 and int16 (every quantized binary reference kernel). */
    public static final KernelFamily<PreparedKernelFactory<BinaryParams>> QUANTIZED_BINARY = family("quantized_binary");

    /** RESIZE_BILINEAR, every type (the factory reads the type from the parameters). */
    public static final KernelFamily<PreparedKernelFactory<ResizeKernels.Params>> RESIZE_BILINEAR =
            family("resize_bilinear");

    /** ARG_MAX and ARG_MIN, every type. */
    public static final KernelFamily<PreparedKernelFactory<ArgMinMaxKernels.Params>> ARG_MIN_MAX =
            family("argminmax");

    /** QUANTIZE (requantization), DEQUANTIZE and the LOGISTIC/TANH tables on 8-bit inputs. */
    public static final KernelFamily<PreparedKernelFactory<UnaryParams>> QUANTIZED_UNARY = family("quantized_unary");

    /** AVERAGE_POOL_2D, every type. */
    public static final KernelFamily<PreparedKernelFactory<Pool2DKernels.Params>> AVERAGE_POOL2D =
            family("average_pool2d");

    /** MAX_POOL_2D, every type. */
    public static final KernelFamily<PreparedKernelFactory<Pool2DKernels.Params>> MAX_POOL2D = family("max_pool2d");

    /** ADD, SUB and MUL on float32. */
    public static final KernelFamily<PreparedKernelFactory<BinaryParams>> F32_BINARY = family("f32_binary");

    /** PAD and PADV2, every element size. */
    public static final KernelFamily<PreparedKernelFactory<PadParams>> PAD = family("pad");

    /** MEAN and SUM, every path of {@code ReduceKernels} (the factory gets the reference kernel). */
    public static final KernelFamily<ReduceKernelFactory> REDUCE = new KernelFamily<>("reduce",
            ReduceKernelFactory.class);

    @SuppressWarnings({"unchecked", "rawtypes"})
    static <P> KernelFamily<PreparedKernelFactory<P>> family(String name) {
        return new KernelFamily<>(name, (Class) PreparedKernelFactory.class);
    }
}
