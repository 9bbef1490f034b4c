package dev.whittle.model;

import java.util.Arrays;
import java.util.Objects;

/**
 * An operator of a subgraph: an index into the model's operator codes, input and output
 * tensor indices (-1 marks an omitted optional input), builtin options from either of the
 * schema's two option unions, custom options bytes, and the rarer fields kept for a faithful
 * round trip.
 */
public final class Operator {
    private int opcodeIndex;
    private int[] inputs;
    private int[] outputs;
    private BuiltinOptions builtinOptions;
    private BuiltinOptions builtinOptions2;
    private byte[] customOptions;
    private int customOptionsFormat;
    private boolean[] mutatingVariableInputs;
    private int[] intermediates;

    public Operator(int opcodeIndex, int[] inputs, int[] outputs) {
        this.opcodeIndex = opcodeIndex;
        this.inputs = inputs.clone();
        this.outputs = outputs.clone();
    }

    public int opcodeIndex() {
        return opcodeIndex;
    }

    public int[] inputs() {
        return inputs.clone();
    }

    public int inputCount() {
        return inputs.length;
    }

    /** Tensor index of input {@code i}, or -1 for an omitted optional input. */
    public int input(int i) {
        return inputs[i];
    }

    public int[] outputs() {
        return outputs.clone();
    }

    public int outputCount() {
        return outputs.length;
    }

    public int output(int i) {
        return outputs[i];
    }

    /** Options of the first union ({@code BuiltinOptions}), or null. */
    public BuiltinOptions builtinOptions() {
        return builtinOptions;
    }

    /** Options of the second union ({@code BuiltinOptions2}, e.g. StableHLO ops), or null. */
    public BuiltinOptions builtinOptions2() {
        return builtinOptions2;
    }

    /** Whichever builtin options are set, or null. */
    public BuiltinOptions options() {
        return builtinOptions != null ? builtinOptions : builtinOptions2;
    }

    public byte[] customOptions() {
        return customOptions == null ? null : customOptions.clone();
    }

    public int customOptionsFormat() {
        return customOptionsFormat;
    }

    public boolean[] mutatingVariableInputs() {
        return mutatingVariableInputs == null ? null : mutatingVariableInputs.clone();
    }

    /** Null when the file had none. */
    public int[] intermediates() {
        return intermediates == null ? null : intermediates.clone();
    }

    public Operator setOpcodeIndex(int i) {
        this.opcodeIndex = i;
        return this;
    }

    public Operator setInputs(int... inputs) {
        this.inputs = inputs.clone();
        return this;
    }

    public Operator setInput(int i, int tensor) {
        this.inputs[i] = tensor;
        return this;
    }

    public Operator setOutputs(int... outputs) {
        this.outputs = outputs.clone();
        return this;
    }

    public Operator setOutput(int i, int tensor) {
        this.outputs[i] = tensor;
        return this;
    }

    public Operator setBuiltinOptions(BuiltinOptions o) {
        this.builtinOptions = o;
        return this;
    }

    public Operator setBuiltinOptions2(BuiltinOptions o) {
        this.builtinOptions2 = o;
        return this;
    }

    public Operator setCustomOptions(byte[] options, int format) {
        this.customOptions = options == null ? null : options.clone();
        this.customOptionsFormat = format;
        return this;
    }

    public Operator setMutatingVariableInputs(boolean[] v) {
        this.mutatingVariableInputs = v == null ? null : v.clone();
        return this;
    }

    public Operator setIntermediates(int[] v) {
        this.intermediates = v == null ? null : v.clone();
        return this;
    }

    public Operator copy() {
        Operator o = new Operator(opcodeIndex, inputs, outputs);
        o.builtinOptions = builtinOptions == null ? null : builtinOptions.copy();
        o.builtinOptions2 = builtinOptions2 == null ? null : builtinOptions2.copy();
        o.customOptions = customOptions == null ? null : customOptions.clone();
        o.customOptionsFormat = customOptionsFormat;
        o.mutatingVariableInputs = mutatingVariableInputs == null ? null : mutatingVariableInputs.clone();
        o.intermediates = intermediates == null ? null : intermediates.clone();
        return o;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Operator p && p.opcodeIndex == opcodeIndex && Arrays.equals(p.inputs, inputs)
                && Arrays.equals(p.outputs, outputs) && Objects.equals(p.builtinOptions, builtinOptions)
                && Objects.equals(p.builtinOptions2, builtinOptions2) && Arrays.equals(p.customOptions, customOptions)
                && p.customOptionsFormat == customOptionsFormat
                && Arrays.equals(p.mutatingVariableInputs, mutatingVariableInputs)
                && Arrays.equals(p.intermediates, intermediates);
    }

    @Override
    public int hashCode() {
        return Objects.hash(opcodeIndex, Arrays.hashCode(inputs), Arrays.hashCode(outputs));
    }

    @Override
    public String toString() {
        return "Operator[opcode " + opcodeIndex + ", in " + Arrays.toString(inputs) + ", out " + Arrays.toString(outputs) + "]";
    }
}
