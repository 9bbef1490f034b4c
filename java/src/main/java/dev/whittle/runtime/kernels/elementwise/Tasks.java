package dev.whittle.runtime.kernels.elementwise;

/** How the element-wise kernels cut a node into intra-op tasks. */
final class Tasks {
    private Tasks() {
    }

    /** Below this many elements a node runs on one thread: a hand-off costs more than it saves. */
    static final int PARALLEL_MIN = 1 << 16;

    /** Tasks for {@code work} elements on {@code threads} threads: 1 when small, else about 4 per thread. */
    static int count(long work, int threads) {
        if (threads <= 1 || work < PARALLEL_MIN) {
            return 1;
        }
        return (int) Math.min(threads * 4L, Math.max(1, work / (PARALLEL_MIN / 4)));
    }

    /** First element of task {@code task} of {@code tasks} over {@code work} elements. */
    static int start(long work, int task, int tasks) {
        return (int) (work * task / tasks);
    }
}
