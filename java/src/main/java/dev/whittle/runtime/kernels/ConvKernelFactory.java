package dev.whittle.runtime.kernels;

import dev.whittle.runtime.Kernel;
import dev.whittle.runtime.kernels.reference.ConvParams;

import java.nio.ByteBuffer;

/**
 * How the CONV_2D families build a kernel for one node at prepare time (ungrouped
 * convolutions with a constant filter only; the others run the reference kernels).
 */
@FunctionalInterface
public interface ConvKernelFactory {
    /**
     * A kernel for one node, its filter packed now, or null when this kernel cannot run the
     * node (a shape it has no code for); dispatch then tries the next slower path.
     *
     * @param p the node's parameters (the same object is passed to every {@code run})
     * @param filter the constant filter {@code [outC, kh, kw, inC]}, little-endian, from position 0
     * @param bias the constant bias (int32, or int64 for 16x8, or float32), or null when there is
     *     none or it is not constant (then {@code p.bias()} says which, and the kernel reads it per
     *     invoke)
     */
    Kernel<ConvParams> create(ConvParams p, ByteBuffer filter, ByteBuffer bias);
}
