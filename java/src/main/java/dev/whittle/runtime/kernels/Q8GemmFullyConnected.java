package dev.whittle.runtime.kernels;

import dev.whittle.runtime.Kernel;
import dev.whittle.runtime.kernels.reference.FullyConnectedReference;
import dev.whittle.runtime.kernels.reference.FullyConnectedReference.QuantParams;

import java.nio.ByteBuffer;

/**
 * FULLY_CONNECTED for {@code qs8}, {@code qs8_qc8w} and {@code qu8} on libwhittle's GEMM
 * kernels ({@link Q8Gemm}: the 1x1 convolution of a 1x1 image, one pixel per batch row),
 * bit-exact with {@link FullyConnectedReference} (ruy's rounding for all three). The factory
 * returns null for a bias that is not constant or not int32; where the tensors are not in
 * native memory it runs the reference kernel.
 */
public final class Q8GemmFullyConnected extends NativeGemmKernel<QuantParams> {
    private Q8GemmFullyConnected(Q8Gemm gemm, Kernel<QuantParams> reference) {
        super(gemm, reference, QuantParams::input, QuantParams::output);
    }

    /** The registry factory of {@code family} on {@code isa}. */
    static QuantizedFullyConnectedFactory factory(KernelFamily<QuantizedFullyConnectedFactory> family,
            Q8Gemm.Isa isa) {
        return (p, weights, bias) -> create(family, isa, p, weights, bias);
    }

    static Q8GemmFullyConnected create(KernelFamily<QuantizedFullyConnectedFactory> family, Q8Gemm.Isa isa,
            QuantParams p, ByteBuffer weights, ByteBuffer bias) {
        Kernel<QuantParams> reference = Q8Gemm.fullyConnectedReference(family);
        Q8Gemm gemm = reference == null ? null : gemm(family, isa, p, weights, bias, true);
        return gemm == null ? null : new Q8GemmFullyConnected(gemm, reference);
    }

    /**
     * The node's packed GEMM, or null where this kernel declines it; {@code bind = false}: see
     * {@link Q8Gemm#create(String, Q8Gemm.Isa, Q8Gemm.Spec, ByteBuffer, ByteBuffer, boolean)}.
     */
    static Q8Gemm gemm(KernelFamily<QuantizedFullyConnectedFactory> family, Q8Gemm.Isa isa, QuantParams p,
            ByteBuffer weights, ByteBuffer bias, boolean bind) {
        if (p.biasIs64() || (p.bias() >= 0 && bias == null)) {
            return null;
        }
        return Q8Gemm.create(family.name() + "_" + isa.suffix, isa, Q8Gemm.Spec.ofFullyConnected(family, p),
                weights, p.bias() >= 0 ? bias : null, bind);
    }
}
