package dev.whittle.model;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * A tensor of a subgraph: shape, element type, the index of its buffer in the model's buffer
 * table (0 = none: an activation), name, quantization and sparsity. Mirrors the schema's
 * {@code Tensor} table field by field.
 */
public final class Tensor {
    /** The nested type of a VARIANT tensor (schema {@code VariantSubType}). */
    public record VariantSubType(int[] shape, TensorType type, boolean hasRank) {
        public VariantSubType {
            shape = shape == null ? null : shape.clone();
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof VariantSubType v && Arrays.equals(v.shape, shape) && v.type == type && v.hasRank == hasRank;
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(shape) * 31 + Objects.hashCode(type);
        }
    }

    private int[] shape;
    private TensorType type;
    private int buffer;
    private String name;
    private Quantization quantization;
    private boolean variable;
    private Sparsity sparsity;
    private int[] shapeSignature;
    private boolean hasRank;
    private List<VariantSubType> variantTensors = new ArrayList<>();

    public Tensor(String name, TensorType type, int... shape) {
        this.name = name;
        this.type = Objects.requireNonNull(type, "type");
        this.shape = shape.clone();
        this.hasRank = true;
    }

    /** The static shape ({@code shape}); dynamic dimensions appear as 1 here and -1 in the signature. */
    public int[] shape() {
        return shape.clone();
    }

    public int rank() {
        return shape.length;
    }

    public int dim(int i) {
        return shape[i];
    }

    /** Product of the static shape. */
    public long elementCount() {
        long n = 1;
        for (int d : shape) {
            n *= d;
        }
        return n;
    }

    public TensorType type() {
        return type;
    }

    /** Index into {@link Model#buffers()}; 0 means the tensor has no constant data. */
    public int buffer() {
        return buffer;
    }

    public String name() {
        return name;
    }

    /** Null when the tensor has no quantization table. */
    public Quantization quantization() {
        return quantization;
    }

    /** Whether the tensor is quantized with usable affine parameters. */
    public boolean isQuantized() {
        return quantization != null && quantization.isAffine();
    }

    public boolean isVariable() {
        return variable;
    }

    public Sparsity sparsity() {
        return sparsity;
    }

    /** Null when the file had no {@code shape_signature}. */
    public int[] shapeSignature() {
        return shapeSignature == null ? null : shapeSignature.clone();
    }

    public boolean hasRank() {
        return hasRank;
    }

    public List<VariantSubType> variantTensors() {
        return List.copyOf(variantTensors);
    }

    public Tensor setShape(int... shape) {
        this.shape = shape.clone();
        return this;
    }

    public Tensor setType(TensorType type) {
        this.type = Objects.requireNonNull(type, "type");
        return this;
    }

    public Tensor setBuffer(int buffer) {
        if (buffer < 0) {
            throw new IllegalArgumentException("buffer index must be >= 0, got " + buffer);
        }
        this.buffer = buffer;
        return this;
    }

    public Tensor setName(String name) {
        this.name = name;
        return this;
    }

    public Tensor setQuantization(Quantization q) {
        this.quantization = q;
        return this;
    }

    public Tensor setVariable(boolean variable) {
        this.variable = variable;
        return this;
    }

    public Tensor setSparsity(Sparsity sparsity) {
        this.sparsity = sparsity;
        return this;
    }

    public Tensor setShapeSignature(int[] signature) {
        this.shapeSignature = signature == null ? null : signature.clone();
        return this;
    }

    public Tensor setHasRank(boolean hasRank) {
        this.hasRank = hasRank;
        return this;
    }

    public Tensor setVariantTensors(List<VariantSubType> v) {
        this.variantTensors = new ArrayList<>(v);
        return this;
    }

    /** A deep copy (same buffer index). */
    public Tensor copy() {
        Tensor t = new Tensor(name, type, shape);
        t.buffer = buffer;
        t.quantization = quantization == null ? null : quantization.copy();
        t.variable = variable;
        t.sparsity = sparsity == null ? null : sparsity.copy();
        t.shapeSignature = shapeSignature == null ? null : shapeSignature.clone();
        t.hasRank = hasRank;
        t.variantTensors = new ArrayList<>(variantTensors);
        return t;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Tensor t && Arrays.equals(shape, t.shape) && type == t.type && buffer == t.buffer
                && Objects.equals(name, t.name) && Objects.equals(quantization, t.quantization)
                && variable == t.variable && Objects.equals(sparsity, t.sparsity)
                && Arrays.equals(shapeSignature, t.shapeSignature) && hasRank == t.hasRank
                && variantTensors.equals(t.variantTensors);
    }

    @Override
    public int hashCode() {
        return Objects.hash(name, type, buffer, Arrays.hashCode(shape));
    }

    @Override
    public String toString() {
        return name + ":" + type + Arrays.toString(shape);
    }
}
