package dev.whittle.runtime.kernels;

import dev.whittle.runtime.Kernel;
import dev.whittle.runtime.kernels.reference.FullyConnectedReference;
import dev.whittle.runtime.kernels.reference.FullyConnectedReference.QuantParams;

import java.nio.ByteBuffer;

/**
 * FULLY_CONNECTED for {@code qs8}, {@code qs8_qc8w} and {@code qu8} on blocked unstructured
 * sparse weights ({@link Q8SparseGemm}: the 1x1 convolution of a 1x1 image, one pixel per
 * batch row; family {@link KernelRegistry#FULLY_CONNECTED_SPARSE}), bit-exact with
 * {@link FullyConnectedReference} (ruy's rounding for all three). Where the tensors are not in
 * native memory it runs the reference kernel.
 */
public final class Q8SparseFullyConnected extends NativeGemmKernel<QuantParams> {
    private Q8SparseFullyConnected(Q8SparseGemm gemm, Kernel<QuantParams> reference) {
        super(gemm, reference, QuantParams::input, QuantParams::output);
    }

    /** The registry factory for the AVX2 kernels. */
    static WeightFormatFcFactory avx2() {
        return (dense, p, weights, bias, stats) -> create(dense, Q8SparseGemm.Isa.AVX2, p, weights, bias);
    }

    /** The registry factory for the NEON DotProd kernels (AArch64). */
    static WeightFormatFcFactory neon() {
        return (dense, p, weights, bias, stats) -> create(dense, Q8SparseGemm.Isa.NEONDOT, p, weights, bias);
    }

    /** The registry factory for the AVX-512 VNNI kernels. */
    static WeightFormatFcFactory vnni() {
        return (dense, p, weights, bias, stats) -> create(dense, null, p, weights, bias);
    }

    /** {@code isa} null: the VNNI kernel for the layer ({@link Q8SparseGemm#vnniIsa}). */
    static Q8SparseFullyConnected create(KernelFamily<QuantizedFullyConnectedFactory> dense, Q8SparseGemm.Isa isa,
            QuantParams p, ByteBuffer weights, ByteBuffer bias) {
        Kernel<QuantParams> reference = Q8Gemm.fullyConnectedReference(dense);
        if (reference == null || p.biasIs64() || (p.bias() >= 0 && bias == null) || p.inFeatures() < 1
                || p.outFeatures() < 1 || weights.capacity() < (long) p.inFeatures() * p.outFeatures()) {
            return null;
        }
        // The byte whose real value is zero (w + weightsOffset = 0).
        int zero = -p.weightsOffset() & 0xFF;
        Q8Gemm.Spec spec = Q8Gemm.Spec.ofFullyConnected(dense, p);
        isa = isa != null ? isa : Q8SparseGemm.vnniIsa(spec, weights, zero);
        if (!Q8SparseGemm.pays(isa, dense, weights, p.outFeatures(), p.inFeatures(), zero, p.batches())) {
            return null;
        }
        Q8SparseGemm gemm = Q8SparseGemm.create(dense.name() + "_" + isa.suffix, isa, spec, weights,
                p.bias() >= 0 ? bias : null);
        return gemm == null ? null : new Q8SparseFullyConnected(gemm, reference);
    }
}
