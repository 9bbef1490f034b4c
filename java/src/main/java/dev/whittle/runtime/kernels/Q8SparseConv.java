package dev.whittle.runtime.kernels;

import dev.whittle.runtime.Kernel;
import dev.whittle.runtime.kernels.reference.ConvKernels;
import dev.whittle.runtime.kernels.reference.ConvParams;

import java.nio.ByteBuffer;

/**
 * CONV_2D for {@code qs8}, {@code qs8_qc8w} and {@code qu8} on blocked unstructured sparse
 * weights ({@link Q8SparseGemm}; family {@link KernelRegistry#CONV2D_SPARSE}), bit-exact with
 * the dense family's reference kernel ({@link ConvKernels}): ungrouped, any kernel size,
 * stride, dilation, padding and batch. Where the tensors are not in native memory it runs the
 * reference kernel.
 */
public final class Q8SparseConv extends NativeGemmKernel<ConvParams> {
    private Q8SparseConv(Q8SparseGemm gemm, Kernel<ConvParams> reference) {
        super(gemm, reference, ConvParams::input, ConvParams::output);
    }

    /** The registry factory for the AVX2 kernels. */
    static WeightFormatConvFactory avx2() {
        return (dense, p, filter, bias, stats) -> create(dense, Q8SparseGemm.Isa.AVX2, p, filter, bias);
    }

    /** The registry factory for the NEON DotProd kernels (AArch64). */
    static WeightFormatConvFactory neon() {
        return (dense, p, filter, bias, stats) -> create(dense, Q8SparseGemm.Isa.NEONDOT, p, filter, bias);
    }

    /** The registry factory for the AVX-512 VNNI kernels. */
    static WeightFormatConvFactory vnni() {
        return (dense, p, filter, bias, stats) -> create(dense, null, p, filter, bias);
    }

    /** {@code isa} null: the VNNI kernel for the layer ({@link Q8SparseGemm#vnniIsa}). */
    static Q8SparseConv create(KernelFamily<ConvKernelFactory> dense, Q8SparseGemm.Isa isa, ConvParams p,
            ByteBuffer filter, ByteBuffer bias) {
        boolean unsigned = dense == KernelRegistry.QU8_CONV2D;
        Kernel<ConvParams> reference = Q8Gemm.convReference(dense);
        if (reference == null || p.groups() != 1 || p.filterInC() != p.inC() || (p.bias() >= 0 && bias == null)) {
            return null;
        }
        int k = p.kh() * p.kw() * p.inC();
        long pixels = (long) p.batches() * p.outH() * p.outW();
        if (filter.capacity() < (long) p.outC() * k) {
            return null;
        }
        Q8Gemm.Spec spec = Q8Gemm.Spec.ofConv(dense, p);
        isa = isa != null ? isa : Q8SparseGemm.vnniIsa(spec, filter, unsigned ? -p.filterOffset() : 0);
        if (!Q8SparseGemm.pays(isa, dense, filter, p.outC(), k, unsigned ? -p.filterOffset() : 0, pixels)) {
            return null;
        }
        Q8SparseGemm gemm = Q8SparseGemm.create(dense.name() + "_" + isa.suffix, isa, spec, filter,
                p.bias() >= 0 ? bias : null);
        return gemm == null ? null : new Q8SparseConv(gemm, reference);
    }
}
