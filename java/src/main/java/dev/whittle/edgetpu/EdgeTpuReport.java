package dev.whittle.edgetpu;

import dev.whittle.model.TensorType;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What {@link EdgeTpuCheck} found: per operator, in the model's order, where it would run (or,
 * for a compiled model, where it runs) and why, plus the boundary between the Edge TPU part and
 * the CPU part.
 *
 * @param compiled whether the model already holds {@code edgetpu-custom-op} operators
 * @param ops one entry per operator of subgraph 0, in operator order
 * @param firstCpu the first operator that the rules send to the CPU itself (not as a
 *     consequence of an earlier one), or null when every operator maps; for a compiled model,
 *     null
 * @param tpuInputs tensors the Edge TPU part reads (for a compiled model: the custom op's inputs)
 * @param tpuOutputs tensors the Edge TPU part hands on, to CPU operators or as graph outputs
 * @param customOps the Edge TPU custom operators of a compiled model (empty otherwise)
 * @param tpuParameterBytes constant bytes the Edge TPU part reads (uncompiled models)
 * @param notes model-level findings (float tensors, parameter cache size, ...)
 * @param fixes what to run to fix what the rules found, where Whittle has a way
 */
public record EdgeTpuReport(boolean compiled, List<OpVerdict> ops, OpVerdict firstCpu, List<TensorRef> tpuInputs,
        List<TensorRef> tpuOutputs, List<CustomOp> customOps, long tpuParameterBytes, List<String> notes,
        List<String> fixes) {

    public EdgeTpuReport {
        ops = List.copyOf(ops);
        tpuInputs = List.copyOf(tpuInputs);
        tpuOutputs = List.copyOf(tpuOutputs);
        customOps = List.copyOf(customOps);
        notes = List.copyOf(notes);
        fixes = List.copyOf(fixes);
    }

    /** Where an operator runs. */
    public enum Target {
        EDGETPU, CPU;

        /** The name in text and JSON: {@code edgetpu} or {@code cpu}. */
        public String label() {
            return this == EDGETPU ? "edgetpu" : "cpu";
        }
    }

    /**
     * One operator.
     *
     * @param index operator index in subgraph 0
     * @param op TFLite's builtin name ({@code CONV_2D}) or the custom code
     * @param target where it runs
     * @param reason why: the rule that sends it to the CPU, or what maps it
     * @param cause true when this operator itself breaks a rule; false when it is on the CPU
     *     only because it reads a result computed on the CPU (or is mapped)
     */
    public record OpVerdict(int index, String op, Target target, String reason, boolean cause) {
    }

    /** A tensor of subgraph 0. */
    public record TensorRef(int index, String name, TensorType type, int[] shape) {
        public TensorRef {
            shape = shape.clone();
        }

        @Override
        public int[] shape() {
            return shape.clone();
        }

        @Override
        public String toString() {
            return name + " " + type.name().toLowerCase() + Arrays.toString(shape);
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof TensorRef r && r.index == index && r.name.equals(name) && r.type == type
                    && Arrays.equals(r.shape, shape);
        }

        @Override
        public int hashCode() {
            return index * 31 + name.hashCode();
        }
    }

    /** An {@code edgetpu-custom-op} of a compiled model. */
    public record CustomOp(int index, List<TensorRef> inputs, List<TensorRef> outputs, int customOptionsBytes) {
        public CustomOp {
            inputs = List.copyOf(inputs);
            outputs = List.copyOf(outputs);
        }
    }

    /** The operators that run on the Edge TPU. */
    public List<OpVerdict> edgeTpuOps() {
        return ops.stream().filter(o -> o.target() == Target.EDGETPU).toList();
    }

    /** The operators that run on the CPU. */
    public List<OpVerdict> cpuOps() {
        return ops.stream().filter(o -> o.target() == Target.CPU).toList();
    }

    /** Whether every operator runs on the Edge TPU. */
    public boolean allOnEdgeTpu() {
        return !ops.isEmpty() && cpuOps().isEmpty();
    }

    /** Operator name -> count, in first-seen order. */
    public static Map<String, Integer> counts(List<OpVerdict> ops) {
        Map<String, Integer> c = new LinkedHashMap<>();
        ops.forEach(o -> c.merge(o.op(), 1, Integer::sum));
        return c;
    }
}
