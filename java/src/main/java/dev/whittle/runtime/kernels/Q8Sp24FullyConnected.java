package dev.whittle.runtime.kernels;

import dev.whittle.runtime.Kernel;
import dev.whittle.runtime.kernels.reference.FullyConnectedReference;
import dev.whittle.runtime.kernels.reference.FullyConnectedReference.QuantParams;

import java.nio.ByteBuffer;

/**
 * FULLY_CONNECTED on 2:4 structured sparse weights ({@link KernelRegistry#FULLY_CONNECTED_SP24})
 * for {@code qs8}, {@code qs8_qc8w} and {@code qu8} ({@code inFeatures % 4 == 0}) on
 * libwhittle's {@code *_fully_connected_sp24_*} kernels ({@link Q8Sp24Gemm}: the 1x1
 * convolution of a 1x1 image), bit-exact with {@link FullyConnectedReference} (ruy's rounding),
 * as {@link Q8GemmFullyConnected}.
 */
public final class Q8Sp24FullyConnected extends NativeGemmKernel<QuantParams> {
    private Q8Sp24FullyConnected(Q8Sp24Gemm gemm, Kernel<QuantParams> reference) {
        super(gemm, reference, QuantParams::input, QuantParams::output);
    }

    /** The registry factory on {@code isa}. */
    static WeightFormatFcFactory factory(Q8Sp24Gemm.Isa isa) {
        return (dense, p, weights, bias, stats) -> create(dense, isa, p, weights, bias, stats);
    }

    static Q8Sp24FullyConnected create(KernelFamily<QuantizedFullyConnectedFactory> dense, Q8Sp24Gemm.Isa isa,
            QuantParams p, ByteBuffer weights, ByteBuffer bias, WeightStats stats) {
        Kernel<QuantParams> reference = Q8Gemm.fullyConnectedReference(dense);
        if (reference == null || !stats.conforms24() || p.biasIs64() || (p.bias() >= 0 && bias == null)
                || Q8Sp24Gemm.denseIsFaster(dense, isa, p.batches())) {
            return null;
        }
        Q8Gemm.Spec spec = Q8Gemm.Spec.ofFullyConnected(dense, p);
        Q8Sp24Gemm gemm = Q8Sp24Gemm.create(dense.name() + "_" + isa.suffix, isa, spec, weights,
                p.bias() >= 0 ? bias : null);
        return gemm == null ? null : new Q8Sp24FullyConnected(gemm, reference);
    }
}
