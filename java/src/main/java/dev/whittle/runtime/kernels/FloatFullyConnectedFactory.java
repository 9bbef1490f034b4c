package dev.whittle.runtime.kernels;

import dev.whittle.runtime.Kernel;
import dev.whittle.runtime.kernels.reference.FullyConnectedReference.FloatParams;

import java.nio.ByteBuffer;

/** How the float32 FULLY_CONNECTED family builds a kernel for one node at prepare time. */
@FunctionalInterface
public interface FloatFullyConnectedFactory {
    /**
     * A kernel for one node, its weights packed now, or null when this kernel cannot run the
     * node; dispatch then tries the next slower path.
     *
     * @param p the node's parameters
     * @param weights the constant weights {@code [outFeatures, inFeatures]}, little-endian float32
     *     from position 0
     * @param bias the constant float32 bias, or null when there is none ({@code p.bias() < 0});
     *     kernels return null when the node has a bias that is not constant
     */
    Kernel<FloatParams> create(FloatParams p, ByteBuffer weights, ByteBuffer bias);
}
