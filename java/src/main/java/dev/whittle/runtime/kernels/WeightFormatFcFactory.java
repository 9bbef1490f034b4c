package dev.whittle.runtime.kernels;

import dev.whittle.runtime.Kernel;
import dev.whittle.runtime.kernels.reference.FullyConnectedReference.QuantParams;

import java.nio.ByteBuffer;

/**
 * How a weight-format family (2:4, blocked sparse, LUT) builds a quantized FULLY_CONNECTED
 * kernel for one node; as {@link WeightFormatConvFactory}, null when it cannot run the node.
 */
@FunctionalInterface
public interface WeightFormatFcFactory {
    /**
     * @param dense the node's dense family ({@code qs8_fully_connected}, {@code qs8_qc8w_...},
     *     {@code qu8_...} or {@code qs16_qc8w_...})
     * @param p the node's parameters
     * @param weights the constant weights {@code [outFeatures, inFeatures]} from position 0
     * @param bias the constant bias, or null when there is none
     * @param stats the weights' measured sparsity, 2:4 conformance and distinct values
     */
    Kernel<QuantParams> create(KernelFamily<QuantizedFullyConnectedFactory> dense, QuantParams p, ByteBuffer weights,
            ByteBuffer bias, WeightStats stats);
}
