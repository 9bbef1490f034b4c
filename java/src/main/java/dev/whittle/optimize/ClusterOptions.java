package dev.whittle.optimize;

/**
 * What {@link Clusterer} does.
 *
 * @param clusters         N: at most N distinct values per layer (or per output channel), >= 2
 * @param perChannel       cluster each output channel on its own
 * @param init             centroid initialization: kmeans++, linear, density or random
 * @param seed             seed of the random initializations
 * @param restarts         initializations tried for kmeans++ and random (the least inertia wins)
 * @param preserveSparsity zeros stay exactly zero, take no part in clustering and count as one of the N values
 * @param dataAware        weight each weight by the mean square of its input over calibration
 *                         data, then correct biases (needs calibration data)
 * @param selection        which weights
 */
public record ClusterOptions(int clusters, boolean perChannel, String init, long seed, int restarts,
                             boolean preserveSparsity, boolean dataAware, WeightSelection selection) {
    /** Checks every value that does not depend on the model. */
    public ClusterOptions {
        if (clusters < 2) {
            throw new BadParameterException("--clusters must be at least 2, got " + clusters);
        }
        if (restarts < 1) {
            throw new BadParameterException("restarts must be at least 1, got " + restarts);
        }
        if (init == null) {
            init = "kmeans++";
        }
        KMeans1D.Init.parse(init);
        if (selection == null) {
            selection = WeightSelection.DEFAULT;
        }
    }

    /** N clusters per layer, kmeans++ with 5 restarts, seed 0. */
    public static ClusterOptions of(int clusters) {
        return new ClusterOptions(clusters, false, "kmeans++", 0, 5, false, false, WeightSelection.DEFAULT);
    }

    public ClusterOptions withPerChannel(boolean v) {
        return new ClusterOptions(clusters, v, init, seed, restarts, preserveSparsity, dataAware, selection);
    }

    public ClusterOptions withInit(String v) {
        return new ClusterOptions(clusters, perChannel, v, seed, restarts, preserveSparsity, dataAware, selection);
    }

    public ClusterOptions withSeed(long v) {
        return new ClusterOptions(clusters, perChannel, init, v, restarts, preserveSparsity, dataAware, selection);
    }

    public ClusterOptions withPreserveSparsity(boolean v) {
        return new ClusterOptions(clusters, perChannel, init, seed, restarts, v, dataAware, selection);
    }

    public ClusterOptions withDataAware(boolean v) {
        return new ClusterOptions(clusters, perChannel, init, seed, restarts, preserveSparsity, v, selection);
    }

    public ClusterOptions withSelection(WeightSelection v) {
        return new ClusterOptions(clusters, perChannel, init, seed, restarts, preserveSparsity, dataAware, v);
    }

    public String describe() {
        return "cluster " + clusters + (perChannel ? " per channel" : " per layer") + ", init " + init
                + (preserveSparsity ? ", zeros kept" : "") + (dataAware ? ", data-aware" : "");
    }
}
