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

    /**
     * Runs tasks {@code from..to-1} on worker {@code worker}, in order; the pool hands a worker
     * consecutive tasks at once. Kernels whose tasks are consecutive ranges of rows or pixels
     * override it to cover them in one call, with the results of the tasks one by one.
     */
    default void run(P params, ExecutionState state, int from, int to, int worker) {
        for (int i = from; i < to; i++) {
            run(params, state, i, worker);
        }
    }
}
