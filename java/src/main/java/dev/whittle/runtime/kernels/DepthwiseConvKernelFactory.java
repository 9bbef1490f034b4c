package dev.whittle.runtime.kernels;

import dev.whittle.runtime.Kernel;
import dev.whittle.runtime.kernels.reference.DepthwiseConvParams;

import java.nio.ByteBuffer;

/** How the DEPTHWISE_CONV_2D families build a kernel for one node at prepare time. */
@FunctionalInterface
public interface DepthwiseConvKernelFactory {
    /**
     * A kernel for one node, its filter packed now, or null when this kernel cannot run the
     * node; dispatch then tries the next slower path.
     *
     * @param p the node's parameters
     * @param filter the constant filter {@code [1, kh, kw, outC]}, little-endian, from position 0
     * @param bias the constant bias or null ({@link ConvKernelFactory#create}'s rules)
     */
    Kernel<DepthwiseConvParams> create(DepthwiseConvParams p, ByteBuffer filter, ByteBuffer bias);
}
