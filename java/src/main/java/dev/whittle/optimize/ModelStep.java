package dev.whittle.optimize;

import dev.whittle.model.Model;

/**
 * One step of an optimization pipeline: a new model from a model (the input is not changed)
 * with a report of what changed. Pruning, clustering and (later) quantization are steps, so
 * {@code prune -> cluster -> quantize} is function composition.
 */
public interface ModelStep {
    /**
     * @throws BadParameterException when the step's parameters do not fit this model; raised
     *     before any weight is changed
     */
    StepResult apply(Model model);

    /** A short description, e.g. {@code prune magnitude sparsity=0.50}. */
    String describe();
}
