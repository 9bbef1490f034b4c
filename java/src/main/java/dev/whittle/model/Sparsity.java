package dev.whittle.model;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * TFLite's sparse tensor encoding ({@code SparsityParameters}): a traversal order over the
 * dense dimensions (plus block dimensions), the block map, and per traversed dimension either
 * its dense size or CSR-style segments and indices.
 */
public final class Sparsity {
    /** Element type of an index vector: the schema's {@code SparseIndexVector} union members. */
    public enum IndexType {
        INT32(1), UINT16(2), UINT8(3);

        private final int unionType;

        IndexType(int unionType) {
            this.unionType = unionType;
        }

        public int unionType() {
            return unionType;
        }

        public static IndexType fromUnionType(int t) {
            for (IndexType v : values()) {
                if (v.unionType == t) {
                    return v;
                }
            }
            return null;
        }
    }

    /** An index vector of one of the three widths, values widened to int. */
    public record IndexVector(IndexType type, int[] values) {
        public IndexVector {
            values = values.clone();
        }

        @Override
        public int[] values() {
            return values.clone();
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof IndexVector v && v.type == type && Arrays.equals(v.values, values);
        }

        @Override
        public int hashCode() {
            return type.hashCode() * 31 + Arrays.hashCode(values);
        }
    }

    /** Per-dimension metadata: {@code format} 0 = DENSE (uses denseSize), 1 = SPARSE_CSR. */
    public record DimensionMetadata(int format, int denseSize, IndexVector arraySegments, IndexVector arrayIndices) {
        public static final int DENSE = 0;
        public static final int SPARSE_CSR = 1;
    }

    private int[] traversalOrder;
    private int[] blockMap;
    private final List<DimensionMetadata> dimMetadata = new ArrayList<>();

    public Sparsity(int[] traversalOrder, int[] blockMap, List<DimensionMetadata> dimMetadata) {
        this.traversalOrder = traversalOrder == null ? null : traversalOrder.clone();
        this.blockMap = blockMap == null ? null : blockMap.clone();
        this.dimMetadata.addAll(dimMetadata);
    }

    public int[] traversalOrder() {
        return traversalOrder == null ? null : traversalOrder.clone();
    }

    public int[] blockMap() {
        return blockMap == null ? null : blockMap.clone();
    }

    public List<DimensionMetadata> dimMetadata() {
        return List.copyOf(dimMetadata);
    }

    public Sparsity copy() {
        return new Sparsity(traversalOrder, blockMap, dimMetadata);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Sparsity s && Arrays.equals(traversalOrder, s.traversalOrder)
                && Arrays.equals(blockMap, s.blockMap) && dimMetadata.equals(s.dimMetadata);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(traversalOrder) * 31 + dimMetadata.hashCode();
    }
}
