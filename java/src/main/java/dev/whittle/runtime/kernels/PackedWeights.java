package dev.whittle.runtime.kernels;

/**
 * A kernel that keeps its own copy of a layer's weights (packed panels, sparse values and
 * indices, LUT codes and tables), so that reports can show the resident weight bytes of each
 * format side by side.
 */
public interface PackedWeights {
    /** Bytes of weight data (values, indices, tables; not requantization constants) this kernel holds. */
    long packedWeightBytes();
}
