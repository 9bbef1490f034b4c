package dev.whittle.model;

import java.util.List;

/**
 * A signature (schema {@code SignatureDef}): named inputs and outputs mapped to tensor
 * indices of one subgraph.
 */
public record SignatureDef(List<TensorMap> inputs, List<TensorMap> outputs, String signatureKey, int subgraphIndex) {
    /** An alias for a tensor of the signature's subgraph. */
    public record TensorMap(String name, int tensorIndex) {
    }

    public SignatureDef {
        inputs = List.copyOf(inputs);
        outputs = List.copyOf(outputs);
    }
}
