package dev.whittle.runtime;

/**
 * A node's kernel that can run as one step of a {@link NodeChain} (one parallel region for a run
 * of operators): besides the range calls of {@link ParallelTask}, it says how many tasks the node
 * has in a chain.
 *
 * @param <P> the node's prepared parameters
 */
public interface ChainableTask<P> extends ParallelTask<P> {
    /**
     * The tasks this node hands the pool as a chain step: those its own {@code run} would hand it
     * (1: one call), or 0 where it would run the reference kernel (it cannot be a step then).
     */
    int chainTasks(P params, ExecutionState s);
}
