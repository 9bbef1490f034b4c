package dev.whittle.model.io;

import dev.whittle.ModelFormatException;
import dev.whittle.UnsupportedModelException;
import dev.whittle.model.BuiltinOptions;
import dev.whittle.model.Buffer;
import dev.whittle.model.Metadata;
import dev.whittle.model.Model;
import dev.whittle.model.Operator;
import dev.whittle.model.OptionField;
import dev.whittle.model.Quantization;
import dev.whittle.model.SignatureDef;
import dev.whittle.model.Subgraph;
import dev.whittle.model.Tensor;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.List;

/**
 * Checks a {@link Model} for what makes it unusable: indices out of range, constant data of
 * the wrong size, tensors written twice, operators out of order or in a cycle, subgraph calls
 * that recurse, inconsistent quantization.
 *
 * <p>Findings come in two severities. {@link Severity#ERROR} means the graph is not
 * meaningful. {@link Severity#WARNING} means the graph is meaningful but TFLite's interpreter
 * would refuse it; such files exist (TFLite Micro tolerates them), and
 * {@link ModelRepair} can fix them.
 */
public final class ModelValidator {
    /** How bad a finding is. */
    public enum Severity { ERROR, WARNING }

    /** One finding, with the place it refers to. */
    public record Finding(Severity severity, String where, String message) {
        @Override
        public String toString() {
            return where + ": " + message;
        }
    }

    /** Everything found in one model. */
    public record Report(List<Finding> findings) {
        public Report {
            findings = List.copyOf(findings);
        }

        public List<Finding> errors() {
            return findings.stream().filter(f -> f.severity() == Severity.ERROR).toList();
        }

        public List<Finding> warnings() {
            return findings.stream().filter(f -> f.severity() == Severity.WARNING).toList();
        }

        public boolean isValid() {
            return errors().isEmpty();
        }
    }

    /** Largest element count Whittle accepts for one tensor (its bytes must fit a Java array). */
    static final long MAX_ELEMENTS = Integer.MAX_VALUE;

    private final Model model;
    private final List<Finding> findings = new ArrayList<>();

    private ModelValidator(Model model) {
        this.model = model;
    }

    /** Validates and returns every finding. */
    public static Report validate(Model model) {
        ModelValidator v = new ModelValidator(model);
        v.run();
        return new Report(v.findings);
    }

    /**
     * Returns the model if it has no errors.
     *
     * @throws UnsupportedModelException for a schema version other than 3
     * @throws ModelFormatException listing the errors otherwise
     */
    public static Model validated(Model model, String source) {
        if (model.version() != Model.SCHEMA_VERSION) {
            throw new UnsupportedModelException(source + ": schema version " + model.version()
                    + "; TFLite and Whittle read version " + Model.SCHEMA_VERSION);
        }
        Report r = validate(model);
        List<Finding> errors = r.errors();
        if (!errors.isEmpty()) {
            StringBuilder b = new StringBuilder(source).append(": invalid model: ").append(errors.get(0));
            if (errors.size() > 1) {
                b.append(" (and ").append(errors.size() - 1).append(" more: ");
                for (int i = 1; i < Math.min(errors.size(), 4); i++) {
                    b.append(i > 1 ? "; " : "").append(errors.get(i));
                }
                b.append(errors.size() > 4 ? "; ...)" : ")");
            }
            throw new ModelFormatException(b.toString());
        }
        return model;
    }

    private void error(String where, String msg) {
        findings.add(new Finding(Severity.ERROR, where, msg));
    }

    private void warn(String where, String msg) {
        findings.add(new Finding(Severity.WARNING, where, msg));
    }

    private void run() {
        if (model.subgraphs().isEmpty()) {
            error("model", "has no subgraphs");
        }
        int nBuffers = model.buffers().size();
        int[] mb = model.metadataBuffer();
        if (mb != null) {
            for (int b : mb) {
                if (b < 0 || b >= nBuffers) {
                    error("metadata_buffer", "buffer index " + b + " out of range [0, " + nBuffers + ")");
                }
            }
        }
        for (Metadata m : model.metadata()) {
            if (m.buffer() < 0 || m.buffer() >= nBuffers) {
                error("metadata '" + m.name() + "'", "buffer index " + m.buffer() + " out of range [0, " + nBuffers + ")");
            }
        }
        for (int i = 0; i < model.subgraphs().size(); i++) {
            checkSubgraph(i, model.subgraph(i));
        }
        for (int i = 0; i < model.signatureDefs().size(); i++) {
            SignatureDef s = model.signatureDefs().get(i);
            String where = "signature " + i + " ('" + s.signatureKey() + "')";
            if (s.subgraphIndex() < 0 || s.subgraphIndex() >= model.subgraphs().size()) {
                error(where, "subgraph index " + s.subgraphIndex() + " out of range");
                continue;
            }
            int nt = model.subgraph(s.subgraphIndex()).tensorCount();
            for (SignatureDef.TensorMap m : concat(s.inputs(), s.outputs())) {
                if (m.tensorIndex() < 0 || m.tensorIndex() >= nt) {
                    error(where, "'" + m.name() + "' refers to tensor " + m.tensorIndex() + " out of range [0, " + nt + ")");
                }
            }
        }
        checkCallGraph();
    }

    private static <T> List<T> concat(List<T> a, List<T> b) {
        List<T> r = new ArrayList<>(a);
        r.addAll(b);
        return r;
    }

    private void checkSubgraph(int sgi, Subgraph sg) {
        String sgw = "subgraph " + sgi;
        int nt = sg.tensorCount();
        int nBuffers = model.buffers().size();
        for (int ti = 0; ti < nt; ti++) {
            checkTensor(sgw + " tensor " + ti, sg.tensor(ti), nBuffers);
        }
        for (int in : sg.inputs()) {
            if (in < 0 || in >= nt) {
                error(sgw + " inputs", "tensor index " + in + " out of range [0, " + nt + ")");
            }
        }
        for (int out : sg.outputs()) {
            if (out < 0 || out >= nt) {
                error(sgw + " outputs", "tensor index " + out + " out of range [0, " + nt + ")");
            }
        }
        // Operators must come in execution order: a tensor is written once, before any read.
        int[] producer = new int[nt];
        Arrays.fill(producer, -1);
        int nCodes = model.operatorCodes().size();
        for (int oi = 0; oi < sg.operatorCount(); oi++) {
            Operator op = sg.operator(oi);
            String where = sgw + " operator " + oi;
            if (op.opcodeIndex() < 0 || op.opcodeIndex() >= nCodes) {
                error(where, "opcode index " + op.opcodeIndex() + " out of range [0, " + nCodes + ")");
            }
            for (int out : op.outputs()) {
                if (out < 0 || out >= nt) {
                    error(where, "output tensor index " + out + " out of range [0, " + nt + ")");
                } else if (producer[out] >= 0) {
                    error(where, "writes tensor " + out + " already written by operator " + producer[out]);
                } else {
                    producer[out] = oi;
                }
            }
            int[] inter = op.intermediates();
            if (inter != null) {
                for (int t : inter) {
                    if (t < 0 || t >= nt) {
                        error(where, "intermediate tensor index " + t + " out of range [0, " + nt + ")");
                    }
                }
            }
            boolean[] mut = op.mutatingVariableInputs();
            if (mut != null && mut.length != 0 && mut.length != op.inputCount()) {
                error(where, "mutating_variable_inputs has " + mut.length + " entries for " + op.inputCount() + " inputs");
            }
        }
        for (int oi = 0; oi < sg.operatorCount(); oi++) {
            for (int in : sg.operator(oi).inputs()) {
                if (in == -1) {
                    continue;
                }
                if (in < -1 || in >= nt) {
                    error(sgw + " operator " + oi, "input tensor index " + in + " out of range [0, " + nt + ")");
                } else if (producer[in] >= oi) {
                    error(sgw + " operator " + oi, producer[in] == oi
                            ? "reads its own output tensor " + in + " (cycle)"
                            : "reads tensor " + in + " before operator " + producer[in] + " writes it (cycle or operators out of order)");
                }
            }
        }
    }

    private void checkTensor(String where, Tensor t, int nBuffers) {
        where = where + " ('" + t.name() + "')";
        long elements = 1;
        for (int d : t.shape()) {
            if (d < 0) {
                error(where, "negative dimension in shape " + Arrays.toString(t.shape()));
                return;
            }
            elements *= d;
            if (elements > MAX_ELEMENTS) {
                error(where, "shape " + Arrays.toString(t.shape()) + " has more than " + MAX_ELEMENTS + " elements");
                return;
            }
        }
        int[] sig = t.shapeSignature();
        if (sig != null && sig.length != t.rank() && sig.length != 0) {
            error(where, "shape_signature " + Arrays.toString(sig) + " has a different rank than shape " + Arrays.toString(t.shape()));
        }
        if (sig != null) {
            for (int d : sig) {
                if (d < -1) {
                    error(where, "shape_signature " + Arrays.toString(sig) + " has a dimension below -1");
                    break;
                }
            }
        }
        // Index 0 means "no data" even in a file without a buffer table (TFLite loads those).
        if (t.buffer() == 0 && nBuffers == 0) {
            return;
        }
        if (t.buffer() < 0 || t.buffer() >= nBuffers) {
            error(where, "buffer index " + t.buffer() + " out of range [0, " + nBuffers + ")");
            return;
        }
        Buffer b = model.buffer(t.buffer());
        if (!b.isEmpty() && t.sparsity() == null && t.type().hasFixedSize()) {
            long expected = t.type().bytesFor(elements);
            if (expected != b.size()) {
                error(where, "constant of type " + t.type() + " and shape " + Arrays.toString(t.shape()) + " needs "
                        + expected + " bytes, its buffer " + t.buffer() + " holds " + b.size());
            }
        }
        Quantization q = t.quantization();
        if (q != null && q.scale() != null && q.zeroPoint() != null) {
            int ns = q.scale().length;
            int nz = q.zeroPoint().length;
            int qd = q.quantizedDimension();
            if (ns != nz) {
                error(where, "quantization has " + ns + " scales but " + nz + " zero points");
            } else if (qd < 0 || (t.rank() > 0 && qd >= t.rank())) {
                if (ModelRepair.quantizedDimensionRepairable(t)) {
                    warn(where, "quantized_dimension " + qd + " out of range [0, " + t.rank() + ") with " + ns
                            + (ns == 1 ? " scale" : " scales along the only dimension")
                            + ": the values are unambiguous (TFLite Micro accepts this), but TFLite's interpreter refuses it; "
                            + "ModelRepair sets it to 0");
                } else {
                    error(where, "quantized_dimension " + qd + " out of range [0, " + t.rank() + ") for " + ns + " scales");
                }
            } else if (ns > 1 && t.rank() == 0) {
                error(where, ns + " scales on a scalar tensor");
            } else if (ns > 1 && t.dim(qd) != ns) {
                error(where, ns + " scales for dimension " + qd + " of size " + t.dim(qd));
            }
        }
    }

    /**
     * Control-flow operators name other subgraphs in their options (any field called
     * {@code *subgraph_index} or {@code subgraph}); those indices must exist and the calls must
     * not recurse, or an interpreter would loop forever preparing them.
     */
    private void checkCallGraph() {
        int n = model.subgraphs().size();
        List<List<Integer>> calls = new ArrayList<>();
        for (int s = 0; s < n; s++) {
            List<Integer> callees = new ArrayList<>();
            Subgraph sg = model.subgraph(s);
            for (int oi = 0; oi < sg.operatorCount(); oi++) {
                Operator op = sg.operator(oi);
                for (BuiltinOptions o : new BuiltinOptions[] {op.builtinOptions(), op.builtinOptions2()}) {
                    if (o == null) {
                        continue;
                    }
                    for (OptionField f : o.schema().fields()) {
                        if (!(f.name().endsWith("subgraph_index") || f.name().equals("subgraph")) || !o.isPresent(f.name())) {
                            continue;
                        }
                        long target = ((Number) o.get(f.name())).longValue();
                        if (target < 0 || target >= n) {
                            error("subgraph " + s + " operator " + oi, o.schema().name() + "." + f.name() + " = " + target
                                    + " is not a subgraph index [0, " + n + ")");
                        } else {
                            callees.add((int) target);
                        }
                    }
                }
            }
            // IF with then == else, or WHILE with cond == body, names one callee twice: one edge.
            calls.add(callees.stream().distinct().toList());
        }
        // Iterative DFS with colors: 0 = unseen, 1 = on the stack, 2 = done.
        int[] color = new int[n];
        for (int start = 0; start < n; start++) {
            if (color[start] != 0) {
                continue;
            }
            Deque<int[]> stack = new ArrayDeque<>();
            stack.push(new int[] {start, 0});
            color[start] = 1;
            while (!stack.isEmpty()) {
                int[] top = stack.peek();
                List<Integer> callees = calls.get(top[0]);
                if (top[1] < callees.size()) {
                    int next = callees.get(top[1]++);
                    if (color[next] == 1) {
                        error("subgraph " + top[0], "calls subgraph " + next + ", which is already on the call chain (recursion)");
                    } else if (color[next] == 0) {
                        color[next] = 1;
                        stack.push(new int[] {next, 0});
                    }
                } else {
                    color[top[0]] = 2;
                    stack.pop();
                }
            }
        }
    }
}
