package dev.whittle.optimize;

import dev.whittle.model.BuiltinOperator;
import dev.whittle.model.Model;
import dev.whittle.model.Sparsity;
import dev.whittle.model.Tensor;
import dev.whittle.model.TensorType;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;

/**
 * Stores pruned weights in TFLite's own sparse tensor encoding ({@code SparsityParameters}):
 * traversal order [0, 1], dimension 0 dense, dimension 1 CSR (row segments and column
 * indices), the buffer holding only the non-zero values.
 *
 * <p>Where TFLite 2.20 reads such tensors: its FULLY_CONNECTED kernel takes float32 weights in
 * exactly this form ({@code SupportedSparsityFormat}: dense then CSR; the optimized kernel's
 * random-sparse path) and int8 weights only in 1x16 blocks with symmetric quantization. Every
 * other operator needs the sparse constant to go through a DENSIFY operator first, which
 * Whittle's runtime does not run, so this class encodes float32 FULLY_CONNECTED weights and
 * refuses everything else.
 *
 * <p><b>XNNPACK:</b> with TFLite 2.20's default XNNPACK delegate the same file computes wrong
 * values (NaN in {@code PruneTest}): the delegate takes the FULLY_CONNECTED node without
 * looking at the weights' sparsity. Run such models with XNNPACK off
 * ({@code BuiltinOpResolverWithoutDefaultDelegates}, {@code whittle run --no-xnnpack}).
 * Whittle's own runtime does not read sparse tensors either.
 */
public final class SparseFormat {
    private SparseFormat() {
    }

    /**
     * Checks that every selected weight can be stored sparse.
     *
     * @throws BadParameterException naming the first layer TFLite could not read sparse
     */
    public static void check(Model model, WeightSelection selection) {
        for (Layer l : selection.select(model)) {
            Tensor w = model.subgraph(l.subgraph()).tensor(l.weight());
            if (l.op() != BuiltinOperator.FULLY_CONNECTED || w.type() != TensorType.FLOAT32 || w.rank() != 2) {
                throw new BadParameterException("--sparse-format: TFLite 2.20 reads sparse weights only for "
                        + "FULLY_CONNECTED (float32 in CSR; int8 only in 1x16 blocks, which Whittle does not write); '"
                        + l.name() + "' is " + w.type().name().toLowerCase() + " of " + l.op()
                        + ". Select fully-connected layers with --layers/--skip, or leave out --sparse-format");
            }
        }
    }

    /** A copy of {@code model} with the weights named in {@code layers} stored sparse (they must pass {@link #check}). */
    public static Model encode(Model model, List<StepResult.LayerReport> layers) {
        Model m = model.copy();
        for (var sg : m.subgraphs()) {
            for (Tensor t : sg.tensors()) {
                if (t.type() != TensorType.FLOAT32 || t.rank() != 2 || t.sparsity() != null || !m.isConstant(t)
                        || layers.stream().noneMatch(r -> r.name() != null && r.name().equals(t.name())
                        && r.op().equals("FULLY_CONNECTED"))) {
                    continue;
                }
                encodeTensor(m, t);
            }
        }
        return m;
    }

    private static void encodeTensor(Model m, Tensor t) {
        int rows = t.dim(0);
        int cols = t.dim(1);
        ByteBuffer src = m.constantData(t);
        int nnz = 0;
        for (int i = 0; i < rows * cols; i++) {
            if (src.getFloat(i * 4) != 0) {
                nnz++;
            }
        }
        int[] segments = new int[rows + 1];
        int[] indices = new int[nnz];
        ByteBuffer values = ByteBuffer.allocate(nnz * 4).order(ByteOrder.LITTLE_ENDIAN);
        int p = 0;
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                float v = src.getFloat((r * cols + c) * 4);
                if (v != 0) {
                    indices[p] = c;
                    values.putFloat(p * 4, v);
                    p++;
                }
            }
            segments[r + 1] = p;
        }
        Sparsity s = new Sparsity(new int[] {0, 1}, null, List.of(
                new Sparsity.DimensionMetadata(Sparsity.DimensionMetadata.DENSE, rows, null, null),
                new Sparsity.DimensionMetadata(Sparsity.DimensionMetadata.SPARSE_CSR, 0,
                        vector(segments, nnz), vector(indices, cols - 1))));
        t.setBuffer(m.addBuffer(new dev.whittle.model.Buffer(values)));
        t.setSparsity(s);
    }

    private static Sparsity.IndexVector vector(int[] v, int max) {
        Sparsity.IndexType type = max < 256 ? Sparsity.IndexType.UINT8
                : max < 65536 ? Sparsity.IndexType.UINT16 : Sparsity.IndexType.INT32;
        return new Sparsity.IndexVector(type, v);
    }
}
