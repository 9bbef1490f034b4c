package dev.whittle.runtime.kernels;

import dev.whittle.runtime.Kernel;
import dev.whittle.runtime.kernels.reference.FullyConnectedReference.QuantParams;

import java.nio.ByteBuffer;

/** How the quantized FULLY_CONNECTED families build a kernel for one node at prepare time. */
@FunctionalInterface
public interface QuantizedFullyConnectedFactory {
    /**
     * A kernel for one node, its weights packed now.
     *
     * @param p the node's parameters (the same object is passed to every {@code run})
     * @param weights the constant weights {@code [outFeatures, inFeatures]}, little-endian bytes
     *     from position 0
     * @param bias the constant int32 bias, or null when there is none or it is not constant
     *     (then {@code p.bias()} says which, and the kernel reads it per invoke)
     */
    Kernel<QuantParams> create(QuantParams p, ByteBuffer weights, ByteBuffer bias);
}
