package dev.whittle.edgetpu;

import dev.whittle.model.BuiltinOperator;
import dev.whittle.model.Model;
import dev.whittle.model.Operator;
import dev.whittle.model.OperatorCode;
import dev.whittle.model.Subgraph;
import dev.whittle.model.Tensor;
import dev.whittle.model.TensorType;
import dev.whittle.UnsupportedModelException;
import dev.whittle.edgetpu.EdgeTpuReport.CustomOp;
import dev.whittle.edgetpu.EdgeTpuReport.OpVerdict;
import dev.whittle.edgetpu.EdgeTpuReport.Target;
import dev.whittle.edgetpu.EdgeTpuReport.TensorRef;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Whether a model would map to the Edge TPU, predicted before the Edge TPU compiler runs, and
 * what an already compiled model runs where.
 *
 * <p>The partition follows the compiler's documented default mode: it makes one Edge TPU
 * subgraph (one {@code edgetpu-custom-op}). An operator maps when it passes
 * {@link EdgeTpuRules} and every tensor it reads is a constant, a graph input or the result
 * of another mapped operator. As soon as an operator fails a rule, it and everything computed
 * from its result run on the CPU, even operators that the Edge TPU supports ("the compiler
 * cannot partition the model more than once"). Branches that do not depend on it still map,
 * since they belong to the same single subgraph. One exception, which the compiler makes too: a
 * {@code QUANTIZE} from a float graph input to 8 bits (the float-I/O converter output) runs on
 * the CPU in front of the Edge TPU part without cutting the graph.
 */
public final class EdgeTpuCheck {
    /** The custom code of the operators the Edge TPU compiler writes. */
    public static final String CUSTOM_OP = "edgetpu-custom-op";

    /** About 8 MB of on-chip memory caches parameters; the rest streams from the host each inference. */
    static final long PARAMETER_CACHE_BYTES = 8L << 20;

    /** The message of a compiled model given to a runtime without the delegate. */
    public static final String NEEDS_DELEGATE = "requires the Edge TPU delegate (libedgetpu); run with --backend tflite"
            + " --delegate edgetpu";

    private EdgeTpuCheck() {
    }

    /** Whether the model was made by the Edge TPU compiler (holds an {@value #CUSTOM_OP}). */
    public static boolean isCompiled(Model m) {
        for (OperatorCode c : m.operatorCodes()) {
            if (c.isCustom() && CUSTOM_OP.equals(c.customCode())) {
                return true;
            }
        }
        return false;
    }

    /**
     * Refuses a compiled Edge TPU model before any work, for runtimes that have no Edge TPU
     * delegate (Whittle's own runtime).
     *
     * @throws UnsupportedModelException naming the custom operator(s) and the way to run it
     */
    public static void requireNotCompiled(Model m) {
        if (m.subgraphs().isEmpty() || !isCompiled(m)) {
            return;
        }
        List<Integer> where = new ArrayList<>();
        for (int s = 0; s < m.subgraphs().size(); s++) {
            Subgraph g = m.subgraph(s);
            for (int i = 0; i < g.operatorCount(); i++) {
                OperatorCode c = m.operatorCodeOf(g.operator(i));
                if (c.isCustom() && CUSTOM_OP.equals(c.customCode())) {
                    where.add(i);
                }
            }
        }
        throw new UnsupportedModelException("Whittle's runtime cannot run a compiled Edge TPU model: operator" + (where.size() == 1 ? " " : "s ")
                + where.toString().replaceAll("[\\[\\]]", "") + " (" + CUSTOM_OP + ") " + NEEDS_DELEGATE);
    }

    /** Checks subgraph 0 of {@code m}. */
    public static EdgeTpuReport check(Model m) {
        if (m.subgraphs().isEmpty()) {
            throw new UnsupportedModelException("model has no subgraph");
        }
        return isCompiled(m) ? compiled(m) : predict(m);
    }

    private static EdgeTpuReport predict(Model m) {
        Subgraph g = m.mainGraph();
        int n = g.operatorCount();
        boolean[] cpuValue = new boolean[g.tensorCount()];
        Set<Integer> graphInputs = new LinkedHashSet<>();
        for (int t : g.inputs()) {
            graphInputs.add(t);
        }
        List<OpVerdict> ops = new ArrayList<>();
        OpVerdict first = null;
        boolean floatModel = false;
        boolean[] mapped = new boolean[n];
        for (int i = 0; i < n; i++) {
            Operator op = g.operator(i);
            OperatorCode code = m.operatorCodeOf(op);
            String name = code.name();
            if (isEntryQuantize(m, g, op, code, graphInputs)) {
                ops.add(new OpVerdict(i, name, Target.CPU, "converts the float input "
                        + EdgeTpuRules.describe(g.tensor(op.input(0))) + " to 8 bits in front of the Edge TPU part;"
                        + " the compiler leaves it on the CPU without cutting the graph", false));
                continue;
            }
            String reason = EdgeTpuRules.reason(m, g, i);
            if (reason != null) {
                floatModel |= touchesFloat(m, g, op);
                OpVerdict v = new OpVerdict(i, name, Target.CPU, reason, true);
                ops.add(v);
                if (first == null) {
                    first = v;
                }
                markCpu(op, cpuValue);
                continue;
            }
            int from = cpuInput(op, cpuValue);
            if (from >= 0) {
                Tensor t = g.tensor(from);
                int producer = g.producerOf(from);
                ops.add(new OpVerdict(i, name, Target.CPU, "supported, but reads '" + t.name() + "' computed on the CPU"
                        + (producer >= 0 ? " by operator " + producer : "") + "; the compiler makes a single Edge TPU"
                        + " subgraph, so everything after the first unsupported operator"
                        + (first != null ? " (" + first.index() + ")" : "") + " runs on the CPU", false));
                markCpu(op, cpuValue);
                continue;
            }
            mapped[i] = true;
            ops.add(new OpVerdict(i, name, Target.EDGETPU, "supported", false));
        }

        // The boundary: what the Edge TPU part reads and hands on.
        Set<Integer> tpuIn = new LinkedHashSet<>();
        Set<Integer> tpuOut = new LinkedHashSet<>();
        Set<Integer> graphOutputs = new LinkedHashSet<>();
        for (int t : g.outputs()) {
            graphOutputs.add(t);
        }
        long paramBytes = 0;
        Set<Integer> seenConst = new LinkedHashSet<>();
        for (int i = 0; i < n; i++) {
            Operator op = g.operator(i);
            if (mapped[i]) {
                for (int t : op.inputs()) {
                    if (t < 0) {
                        continue;
                    }
                    ByteBuffer d = m.constantData(g.tensor(t));
                    if (d != null) {
                        if (seenConst.add(t)) {
                            paramBytes += d.remaining();
                        }
                    } else {
                        int p = g.producerOf(t);
                        if (p < 0 || !mapped[p]) {
                            tpuIn.add(t);
                        }
                    }
                }
                for (int t : op.outputs()) {
                    if (graphOutputs.contains(t)) {
                        tpuOut.add(t);
                    }
                }
            } else {
                for (int t : op.inputs()) {
                    if (t >= 0) {
                        int p = g.producerOf(t);
                        if (p >= 0 && mapped[p]) {
                            tpuOut.add(t);
                        }
                    }
                }
            }
        }
        List<String> notes = new ArrayList<>();
        List<String> fixes = new ArrayList<>();
        if (floatModel) {
            notes.add("the model computes in float32; the Edge TPU runs only fully 8-bit quantized models");
            fixes.add("quantize it to 8 bits with uint8 input and output, refusing any operator left float:"
                    + " whittle quantize MODEL --mode int8 --io uint8 --strict --calibration IMAGES -o MODEL_int8.tflite,"
                    + " then compile it: edgetpu_compiler MODEL_int8.tflite");
        } else if (ops.stream().anyMatch(o -> o.reason().startsWith("converts the float input"))
                || ops.stream().anyMatch(o -> o.op().equals("DEQUANTIZE"))) {
            notes.add("the model's inputs or outputs are float: the QUANTIZE/DEQUANTIZE at its edges run on the CPU");
            fixes.add("for uint8 input and output, quantize the float original again: whittle quantize FLOAT_MODEL"
                    + " --mode int8 --io uint8 --strict --calibration IMAGES -o MODEL_int8.tflite");
        }
        if (paramBytes > PARAMETER_CACHE_BYTES) {
            notes.add(String.format("%.1f MiB of parameters on the Edge TPU: about 8 MB fit in its on-chip cache; the rest"
                    + " streams from host memory on every inference (slower, still correct)", paramBytes / 1048576.0));
        }
        if (first != null && !floatModel) {
            fixes.add("no Whittle fix for operator " + first.index() + " (" + first.op() + "): change the model there, or"
                    + " move it towards the end of the graph so that more of it maps");
        }
        return new EdgeTpuReport(false, ops, first, refs(g, tpuIn), refs(g, tpuOut), List.of(), paramBytes, notes, fixes);
    }

    private static EdgeTpuReport compiled(Model m) {
        Subgraph g = m.mainGraph();
        List<OpVerdict> ops = new ArrayList<>();
        List<CustomOp> custom = new ArrayList<>();
        Set<Integer> ins = new LinkedHashSet<>();
        Set<Integer> outs = new LinkedHashSet<>();
        for (int i = 0; i < g.operatorCount(); i++) {
            Operator op = g.operator(i);
            OperatorCode c = m.operatorCodeOf(op);
            if (c.isCustom() && CUSTOM_OP.equals(c.customCode())) {
                List<Integer> in = new ArrayList<>();
                for (int t : op.inputs()) {
                    if (t >= 0) {
                        in.add(t);
                    }
                }
                List<Integer> out = new ArrayList<>();
                for (int t : op.outputs()) {
                    out.add(t);
                }
                ins.addAll(in);
                outs.addAll(out);
                byte[] opts = op.customOptions();
                custom.add(new CustomOp(i, refs(g, in), refs(g, out), opts == null ? 0 : opts.length));
                ops.add(new OpVerdict(i, c.name(), Target.EDGETPU, "compiled Edge TPU subgraph (runs through the Edge"
                        + " TPU delegate)", false));
            } else {
                ops.add(new OpVerdict(i, c.name(), Target.CPU, "left outside the Edge TPU custom op by the compiler;"
                        + " runs on the CPU", false));
            }
        }
        List<String> notes = new ArrayList<>();
        notes.add("compiled by the Edge TPU compiler: " + custom.size() + " " + CUSTOM_OP + (custom.size() == 1 ? "" : "s")
                + "; " + NEEDS_DELEGATE);
        return new EdgeTpuReport(true, ops, null, refs(g, ins), refs(g, outs), custom, 0, notes, List.of());
    }

    private static boolean isEntryQuantize(Model m, Subgraph g, Operator op, OperatorCode code, Set<Integer> graphInputs) {
        if (code.isCustom() || code.builtin() != BuiltinOperator.QUANTIZE || op.inputCount() < 1) {
            return false;
        }
        Tensor in = g.tensor(op.input(0));
        Tensor out = g.tensor(op.output(0));
        return graphInputs.contains(op.input(0)) && (in.type() == TensorType.FLOAT32 || in.type() == TensorType.FLOAT16)
                && (out.type() == TensorType.UINT8 || out.type() == TensorType.INT8);
    }

    /** Whether the operator computes in float (reads or writes a float32 tensor); DEQUANTIZE is an edge, and a custom op is refused for itself. */
    private static boolean touchesFloat(Model m, Subgraph g, Operator op) {
        OperatorCode c = m.operatorCodeOf(op);
        if (c.isCustom() || c.builtin() == BuiltinOperator.DEQUANTIZE) {
            return false;
        }
        for (int[] ts : new int[][] {op.inputs(), op.outputs()}) {
            for (int t : ts) {
                if (t >= 0 && g.tensor(t).type() == TensorType.FLOAT32) {
                    return true;
                }
            }
        }
        return false;
    }

    private static int cpuInput(Operator op, boolean[] cpuValue) {
        for (int t : op.inputs()) {
            if (t >= 0 && cpuValue[t]) {
                return t;
            }
        }
        return -1;
    }

    private static void markCpu(Operator op, boolean[] cpuValue) {
        for (int t : op.outputs()) {
            if (t >= 0) {
                cpuValue[t] = true;
            }
        }
    }

    private static List<TensorRef> refs(Subgraph g, Iterable<Integer> tensors) {
        List<TensorRef> r = new ArrayList<>();
        for (int t : tensors) {
            Tensor x = g.tensor(t);
            r.add(new TensorRef(t, x.name() == null ? "" : x.name(), x.type(), x.shape()));
        }
        return r;
    }
}
