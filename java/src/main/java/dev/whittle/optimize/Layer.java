package dev.whittle.optimize;

import dev.whittle.model.BuiltinOperator;

/**
 * One weight tensor chosen for pruning or clustering, with the operator that reads it.
 *
 * @param subgraph        subgraph index
 * @param operatorIndex   index of the consuming operator in the subgraph
 * @param op              CONV_2D, DEPTHWISE_CONV_2D or FULLY_CONNECTED
 * @param weight          tensor index of the weights ([O,H,W,I], [1,H,W,O] or [O,I])
 * @param bias            tensor index of the bias, or -1 when the operator has none
 * @param input           tensor index of the activation input
 * @param output          tensor index of the output
 * @param name            the weight tensor's name
 */
public record Layer(int subgraph, int operatorIndex, BuiltinOperator op, int weight, int bias, int input, int output,
                    String name) {

    /** Whether the last weight dimension is the output channel (depthwise) rather than the input channel. */
    public boolean depthwise() {
        return op == BuiltinOperator.DEPTHWISE_CONV_2D;
    }

    /** The dimension of the weights that indexes output channels: 3 for depthwise, 0 otherwise. */
    public int outputChannelAxis() {
        return depthwise() ? 3 : 0;
    }
}
