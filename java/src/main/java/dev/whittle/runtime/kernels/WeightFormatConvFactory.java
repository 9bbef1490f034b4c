package dev.whittle.runtime.kernels;

import dev.whittle.runtime.Kernel;
import dev.whittle.runtime.kernels.reference.ConvParams;

import java.nio.ByteBuffer;

/**
 * How a weight-format family (2:4, blocked sparse, LUT) builds a CONV_2D kernel for one node
 * at prepare time, from the same inputs as the dense family plus the measured
 * {@link WeightStats}. Returns null when the format cannot run the node (the layer does not
 * conform, a shape or data type it has no code for); dispatch then uses the dense kernels.
 */
@FunctionalInterface
public interface WeightFormatConvFactory {
    /**
     * @param dense the node's dense family ({@code qs8_conv2d}, {@code qs8_qc8w_conv2d},
     *     {@code qu8_conv2d} or {@code qs16_qc8w_conv2d}): its data type, its reference kernel, and
     *     the prefix of the kernel's name
     * @param p the node's parameters
     * @param filter the constant filter {@code [outC, kh, kw, inC]} from position 0
     * @param bias the constant bias, or null when there is none
     * @param stats the filter's measured sparsity, 2:4 conformance and distinct values
     */
    Kernel<ConvParams> create(KernelFamily<ConvKernelFactory> dense, ConvParams p, ByteBuffer filter, ByteBuffer bias,
            WeightStats stats);
}
