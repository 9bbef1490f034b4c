package dev.whittle.model;

import dev.whittle.model.io.ModelValidator;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.StringJoiner;

/**
 * What a person wants to know about a model at a glance: its inputs and outputs, operator
 * counts, tensor types, parameter count, how each operator is quantized, custom operators
 * (such as the Edge TPU's) and what the validator found. {@code whittle inspect} prints it.
 */
public record ModelSummary(
        long fileBytes,
        long schemaVersion,
        String description,
        int subgraphCount,
        int tensorCount,
        int operatorCount,
        List<TensorInfo> inputs,
        List<TensorInfo> outputs,
        Map<String, Integer> operatorCounts,
        Map<TensorType, Integer> tensorTypes,
        long parameterCount,
        long constantBytes,
        List<QuantizationGroup> quantization,
        List<CustomOp> customOps,
        List<String> metadataNames,
        List<String> signatureKeys,
        List<String> findings) {

    /** A graph input or output. */
    public record TensorInfo(int index, String name, TensorType type, int[] shape, int[] shapeSignature, String quantization) {
        @Override
        public String toString() {
            return name + " " + type.name().toLowerCase() + Arrays.toString(shape)
                    + (quantization.equals("none") ? "" : " " + quantization);
        }
    }

    /** Operators of one type that share a quantization scheme. */
    public record QuantizationGroup(String operator, String kind, String scheme, int count) {
    }

    /** One occurrence of a custom operator, with the tensors it consumes and produces. */
    public record CustomOp(int subgraph, int operatorIndex, String name, int customOptionsBytes, List<String> inputs,
                           List<String> outputs) {
    }

    /** Summarizes {@code model}; {@code fileBytes} is the size of the file it came from (or -1). */
    public static ModelSummary of(Model model, long fileBytes) {
        Subgraph main = model.subgraphs().isEmpty() ? new Subgraph() : model.mainGraph();
        List<TensorInfo> inputs = new ArrayList<>();
        for (int i : main.inputs()) {
            inputs.add(info(main, i));
        }
        List<TensorInfo> outputs = new ArrayList<>();
        for (int i : main.outputs()) {
            outputs.add(info(main, i));
        }
        Map<String, Integer> opCounts = new LinkedHashMap<>();
        Map<TensorType, Integer> types = new EnumMap<>(TensorType.class);
        Map<String, QuantizationGroup> groups = new LinkedHashMap<>();
        List<CustomOp> custom = new ArrayList<>();
        long params = 0;
        long constBytes = 0;
        int tensors = 0;
        int ops = 0;
        for (int s = 0; s < model.subgraphs().size(); s++) {
            Subgraph sg = model.subgraph(s);
            tensors += sg.tensorCount();
            ops += sg.operatorCount();
            for (Tensor t : sg.tensors()) {
                types.merge(t.type(), 1, Integer::sum);
                if (model.isConstant(t)) {
                    params += t.elementCount();
                    constBytes += model.constantData(t).remaining();
                }
            }
            for (int oi = 0; oi < sg.operatorCount(); oi++) {
                Operator op = sg.operator(oi);
                String name = opName(model, op);
                opCounts.merge(name, 1, Integer::sum);
                String[] ks = scheme(model, sg, op);
                groups.merge(name + "|" + ks[1], new QuantizationGroup(name, ks[0], ks[1], 1),
                        (a, b) -> new QuantizationGroup(a.operator(), a.kind(), a.scheme(), a.count() + 1));
                if (op.opcodeIndex() >= 0 && op.opcodeIndex() < model.operatorCodes().size()
                        && model.operatorCodeOf(op).isCustom()) {
                    byte[] co = op.customOptions();
                    custom.add(new CustomOp(s, oi, name, co == null ? 0 : co.length, tensorNames(sg, op.inputs()), tensorNames(sg, op.outputs())));
                }
            }
        }
        List<String> findings = new ArrayList<>();
        for (ModelValidator.Finding f : ModelValidator.validate(model).findings()) {
            findings.add(f.severity().name().toLowerCase() + ": " + f);
        }
        return new ModelSummary(fileBytes, model.version(), model.description(), model.subgraphs().size(), tensors, ops,
                inputs, outputs, opCounts, types, params, constBytes, new ArrayList<>(groups.values()), custom,
                model.metadata().stream().map(Metadata::name).toList(),
                model.signatureDefs().stream().map(SignatureDef::signatureKey).toList(), findings);
    }

    private static String opName(Model model, Operator op) {
        if (op.opcodeIndex() < 0 || op.opcodeIndex() >= model.operatorCodes().size()) {
            return "INVALID_OPCODE(" + op.opcodeIndex() + ")";
        }
        return model.operatorCodeOf(op).name();
    }

    private static List<String> tensorNames(Subgraph sg, int[] idx) {
        List<String> r = new ArrayList<>();
        for (int i : idx) {
            if (i >= 0 && i < sg.tensorCount()) {
                Tensor t = sg.tensor(i);
                r.add(t.name() + " " + t.type().name().toLowerCase() + Arrays.toString(t.shape()));
            }
        }
        return r;
    }

    private static TensorInfo info(Subgraph sg, int index) {
        if (index < 0 || index >= sg.tensorCount()) {
            return new TensorInfo(index, "<invalid index " + index + ">", TensorType.FLOAT32, new int[0], null, "none");
        }
        Tensor t = sg.tensor(index);
        return new TensorInfo(index, t.name(), t.type(), t.shape(), t.shapeSignature(), describe(t.quantization()));
    }

    /** A short description of a quantization: none, per-tensor (scale, zero point) or per-axis. */
    public static String describe(Quantization q) {
        if (q == null || !q.isAffine()) {
            return "none";
        }
        if (q.scaleCount() == 1) {
            return String.format("scale=%.6g zero_point=%d", q.scalarScale(), q.scalarZeroPoint());
        }
        return "per-axis(dim " + q.quantizedDimension() + ", " + q.scaleCount() + " scales)";
    }

    /**
     * {kind, scheme} for one operator: the scheme lists the types of its variable inputs, its
     * constant inputs (with per-tensor / per-axis granularity) and its outputs; the kind names
     * the TFLite quantization mode this corresponds to.
     */
    private static String[] scheme(Model model, Subgraph sg, Operator op) {
        Set<String> acts = new LinkedHashSet<>();
        Set<String> consts = new LinkedHashSet<>();
        Set<String> outs = new LinkedHashSet<>();
        Set<TensorType> actTypes = new LinkedHashSet<>();
        Set<TensorType> constTypes = new LinkedHashSet<>();
        for (int i : op.inputs()) {
            if (i < 0 || i >= sg.tensorCount()) {
                continue;
            }
            Tensor t = sg.tensor(i);
            if (model.isConstant(t)) {
                consts.add(typeWithGranularity(t));
                constTypes.add(t.type());
            } else {
                acts.add(t.type().name().toLowerCase());
                actTypes.add(t.type());
            }
        }
        for (int o : op.outputs()) {
            if (o >= 0 && o < sg.tensorCount()) {
                outs.add(sg.tensor(o).type().name().toLowerCase());
            }
        }
        StringJoiner j = new StringJoiner("; ");
        j.add("in " + (acts.isEmpty() ? "-" : String.join(",", acts)));
        if (!consts.isEmpty()) {
            j.add("const " + String.join(",", consts));
        }
        j.add("out " + (outs.isEmpty() ? "-" : String.join(",", outs)));
        return new String[] {kind(actTypes, constTypes), j.toString()};
    }

    private static String typeWithGranularity(Tensor t) {
        String s = t.type().name().toLowerCase();
        Quantization q = t.quantization();
        if (q != null && q.isAffine()) {
            s += q.scaleCount() > 1 ? " per-axis(" + q.quantizedDimension() + ")" : " per-tensor";
        }
        return s;
    }

    private static String kind(Set<TensorType> acts, Set<TensorType> consts) {
        boolean floatActs = acts.contains(TensorType.FLOAT32);
        if (acts.contains(TensorType.INT16) && (consts.contains(TensorType.INT8) || consts.isEmpty())) {
            return "16x8";
        }
        if (floatActs && (consts.contains(TensorType.INT8) || consts.contains(TensorType.UINT8))) {
            return "hybrid (dynamic range)";
        }
        if (floatActs && consts.contains(TensorType.FLOAT16)) {
            return "float16 weights";
        }
        if (acts.contains(TensorType.INT8) && !floatActs) {
            return "int8";
        }
        if (acts.contains(TensorType.UINT8) && !floatActs) {
            return "uint8";
        }
        if (floatActs) {
            return acts.size() == 1 ? "float" : "mixed (quantize/dequantize)";
        }
        if (acts.isEmpty() && consts.isEmpty()) {
            return "none";
        }
        return "other";
    }
}
