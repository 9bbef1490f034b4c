package dev.whittle.runtime.kernels;

import dev.whittle.runtime.Kernel;
import dev.whittle.runtime.kernels.reference.ConvKernels;
import dev.whittle.runtime.kernels.reference.ConvParams;

import java.nio.ByteBuffer;

/**
 * CONV_2D for {@code qs8}, {@code qs8_qc8w} and {@code qu8} (ungrouped, any kernel size,
 * stride, dilation, padding and batch) on libwhittle's GEMM kernels ({@link Q8Gemm}), bit-exact
 * with {@link ConvKernels}: int8 requantizes with ruy's rounding, uint8 with TFLite's
 * ({@code gemmlowp}) as the reference kernels do. Where the tensors are not in native memory
 * (compile-time folding) it runs the reference kernel.
 */
public final class Q8GemmConv extends NativeGemmKernel<ConvParams> {
    private Q8GemmConv(Q8Gemm gemm, Kernel<ConvParams> reference) {
        super(gemm, reference, ConvParams::input, ConvParams::output);
    }

    /** The registry factory of {@code family} on {@code isa}. */
    static ConvKernelFactory factory(KernelFamily<ConvKernelFactory> family, Q8Gemm.Isa isa) {
        return (p, filter, bias) -> create(family, isa, p, filter, bias);
    }

    static Q8GemmConv create(KernelFamily<ConvKernelFactory> family, Q8Gemm.Isa isa, ConvParams p, ByteBuffer filter,
            ByteBuffer bias) {
        Kernel<ConvParams> reference = Q8Gemm.convReference(family);
        Q8Gemm gemm = reference == null ? null : gemm(family, isa, p, filter, bias, true);
        return gemm == null ? null : new Q8GemmConv(gemm, reference);
    }

    /**
     * The node's packed GEMM, or null where this kernel declines it; {@code bind = false}: see
     * {@link Q8Gemm#create(String, Q8Gemm.Isa, Q8Gemm.Spec, ByteBuffer, ByteBuffer, boolean)}.
     */
    static Q8Gemm gemm(KernelFamily<ConvKernelFactory> family, Q8Gemm.Isa isa, ConvParams p, ByteBuffer filter,
            ByteBuffer bias, boolean bind) {
        if (p.filterInC() != p.inC() || (p.bias() >= 0 && bias == null)) {
            return null;
        }
        return Q8Gemm.create(family.name() + "_" + isa.suffix, isa, Q8Gemm.Spec.ofConv(family, p), filter,
                p.bias() >= 0 ? bias : null, bind);
    }
}
