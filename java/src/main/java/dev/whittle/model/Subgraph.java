package dev.whittle.model;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * A subgraph: its tensors, the indices of its inputs and outputs, and its operators in
 * execution order. Subgraph 0 is the main graph.
 *
 * <p>Editing keeps indices consistent: tensors are only appended here; removing tensors is
 * {@link Model#removeUnusedTensors(int)}, which remaps every reference (operators, inputs,
 * outputs, signatures) at once.
 */
public final class Subgraph {
    private final List<Tensor> tensors = new ArrayList<>();
    private int[] inputs = new int[0];
    private int[] outputs = new int[0];
    private final List<Operator> operators = new ArrayList<>();
    private String name;

    public Subgraph() {
    }

    public Subgraph(String name) {
        this.name = name;
    }

    public List<Tensor> tensors() {
        return java.util.Collections.unmodifiableList(tensors);
    }

    public Tensor tensor(int index) {
        return tensors.get(index);
    }

    public int tensorCount() {
        return tensors.size();
    }

    public int[] inputs() {
        return inputs.clone();
    }

    public int[] outputs() {
        return outputs.clone();
    }

    public List<Operator> operators() {
        return java.util.Collections.unmodifiableList(operators);
    }

    public Operator operator(int index) {
        return operators.get(index);
    }

    public int operatorCount() {
        return operators.size();
    }

    public String name() {
        return name;
    }

    public Subgraph setName(String name) {
        this.name = name;
        return this;
    }

    /** Appends a tensor and returns its index. */
    public int addTensor(Tensor t) {
        tensors.add(Objects.requireNonNull(t, "tensor"));
        return tensors.size() - 1;
    }

    public Subgraph setInputs(int... inputs) {
        checkTensorIndices("subgraph input", inputs, false);
        this.inputs = inputs.clone();
        return this;
    }

    public Subgraph setOutputs(int... outputs) {
        checkTensorIndices("subgraph output", outputs, false);
        this.outputs = outputs.clone();
        return this;
    }

    /** Appends an operator (after checking its tensor indices) and returns its position. */
    public int addOperator(Operator op) {
        insertOperator(operators.size(), op);
        return operators.size() - 1;
    }

    /** Inserts an operator at {@code position} in execution order. */
    public void insertOperator(int position, Operator op) {
        checkTensorIndices("operator input", op.inputs(), true);
        checkTensorIndices("operator output", op.outputs(), false);
        operators.add(position, op);
    }

    /** Removes and returns the operator at {@code position}; its tensors stay until compacted. */
    public Operator removeOperator(int position) {
        return operators.remove(position);
    }

    /** Position of the operator that writes {@code tensor}, or -1. */
    public int producerOf(int tensor) {
        for (int i = 0; i < operators.size(); i++) {
            for (int o : operators.get(i).outputs()) {
                if (o == tensor) {
                    return i;
                }
            }
        }
        return -1;
    }

    /** Positions of the operators that read {@code tensor}, in execution order. */
    public List<Integer> consumersOf(int tensor) {
        List<Integer> r = new ArrayList<>();
        for (int i = 0; i < operators.size(); i++) {
            for (int in : operators.get(i).inputs()) {
                if (in == tensor) {
                    r.add(i);
                    break;
                }
            }
        }
        return r;
    }

    /**
     * Makes every operator from {@code fromOperator} on, and the subgraph outputs, read
     * {@code replacement} where they read {@code original}: how a pass splices an op in.
     * Signatures live in the model: use {@link Model#replaceUses(int, int, int, int)} so that
     * signature outputs follow a replaced subgraph output.
     */
    public void replaceUses(int original, int replacement, int fromOperator) {
        checkTensorIndices("replacement", new int[] {replacement}, false);
        for (int i = fromOperator; i < operators.size(); i++) {
            Operator op = operators.get(i);
            int[] in = op.inputs();
            for (int k = 0; k < in.length; k++) {
                if (in[k] == original) {
                    op.setInput(k, replacement);
                }
            }
        }
        for (int k = 0; k < outputs.length; k++) {
            if (outputs[k] == original) {
                outputs[k] = replacement;
            }
        }
    }

    /** Replaces the whole tensor list; only the model's compaction uses it. */
    void replaceTensors(List<Tensor> newTensors) {
        tensors.clear();
        tensors.addAll(newTensors);
    }

    /**
     * Assembles a subgraph without checking indices: how the reader builds what a file says,
     * before {@link dev.whittle.model.io.ModelValidator} reports what is wrong with it.
     */
    public static Subgraph assemble(String name, List<Tensor> tensors, int[] inputs, int[] outputs, List<Operator> operators) {
        Subgraph s = new Subgraph(name);
        s.tensors.addAll(tensors);
        s.inputs = inputs.clone();
        s.outputs = outputs.clone();
        s.operators.addAll(operators);
        return s;
    }

    void setInputsUnchecked(int[] in) {
        inputs = in;
    }

    void setOutputsUnchecked(int[] out) {
        outputs = out;
    }

    private void checkTensorIndices(String what, int[] indices, boolean allowOmitted) {
        for (int i : indices) {
            if ((i < 0 && !(allowOmitted && i == -1)) || i >= tensors.size()) {
                throw new IllegalArgumentException(what + " tensor index " + i + " out of range [0, "
                        + tensors.size() + ") in " + Arrays.toString(indices));
            }
        }
    }

    public Subgraph copy() {
        Subgraph s = new Subgraph(name);
        for (Tensor t : tensors) {
            s.tensors.add(t.copy());
        }
        s.inputs = inputs.clone();
        s.outputs = outputs.clone();
        for (Operator o : operators) {
            s.operators.add(o.copy());
        }
        return s;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Subgraph s && tensors.equals(s.tensors) && Arrays.equals(inputs, s.inputs)
                && Arrays.equals(outputs, s.outputs) && operators.equals(s.operators) && Objects.equals(name, s.name);
    }

    @Override
    public int hashCode() {
        return Objects.hash(tensors.size(), operators.size(), name);
    }
}
