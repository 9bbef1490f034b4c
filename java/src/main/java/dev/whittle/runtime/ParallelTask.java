package dev.whittle.runtime;

/**
 * One operator's work cut into independent tasks for intra-op threading
 * ({@link ExecutionState#parallelFor}): task {@code task} of the count given there, run on
 * worker {@code worker} (0 is the invoking thread; each worker has its own
 * {@link ExecutionState#workerScratchAddress(int) scratch}). Tasks must write disjoint parts of
 * the output and may run in any order on any worker. Implementations are the stateless kernels
 * themselves, so handing one to the pool allocates nothing.
 *
 * @param <P> the operator's prepared parameters
 */
@FunctionalInterface
public interface ParallelTask<P> {
    /** Runs task {@code task} on worker {@code worker}. */
    void run(P params, ExecutionState state, int task, int worker);
}
