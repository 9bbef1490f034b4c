package dev.whittle.runtime.kernels;

import dev.whittle.runtime.Kernel;
import dev.whittle.runtime.kernels.reference.ConvKernels;
import dev.whittle.runtime.kernels.reference.ConvParams;

import java.nio.ByteBuffer;

/**
 * CONV_2D on 2:4 structured sparse weights ({@link KernelRegistry#CONV2D_SP24}) for
 * {@code qs8}, {@code qs8_qc8w} and {@code qu8} (ungrouped, any kernel size, stride, dilation,
 * padding and batch; {@code inC % 4 == 0}) on libwhittle's {@code *_conv2d_sp24_*} kernels
 * ({@link Q8Sp24Gemm}), bit-exact with the dense family's reference kernel ({@link ConvKernels}):
 * the same output stage as {@link Q8GemmConv}. Where the tensors are not in native memory it
 * runs the reference kernel.
 */
public final class Q8Sp24Conv extends NativeGemmKernel<ConvParams> {
    private Q8Sp24Conv(Q8Sp24Gemm gemm, Kernel<ConvParams> reference) {
        super(gemm, reference, ConvParams::input, ConvParams::output);
    }

    /** The registry factory on {@code isa}. */
    static WeightFormatConvFactory factory(Q8Sp24Gemm.Isa isa) {
        return (dense, p, filter, bias, stats) -> create(dense, isa, p, filter, bias, stats);
    }

    static Q8Sp24Conv create(KernelFamily<ConvKernelFactory> dense, Q8Sp24Gemm.Isa isa, ConvParams p,
            ByteBuffer filter, ByteBuffer bias, WeightStats stats) {
        Kernel<ConvParams> reference = Q8Gemm.convReference(dense);
        if (reference == null || !stats.conforms24() || p.filterInC() != p.inC() || p.groups() != 1
                || (p.bias() >= 0 && bias == null)
                || Q8Sp24Gemm.denseIsFaster(dense, isa, (long) p.batches() * p.outH() * p.outW())) {
            return null;
        }
        Q8Gemm.Spec spec = Q8Gemm.Spec.ofConv(dense, p);
        Q8Sp24Gemm gemm = Q8Sp24Gemm.create(dense.name() + "_" + isa.suffix, isa, spec, filter,
                p.bias() >= 0 ? bias : null);
        return gemm == null ? null : new Q8Sp24Conv(gemm, reference);
    }
}
