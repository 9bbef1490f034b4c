package dev.whittle.cli;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import dev.whittle.WhittleException;
import dev.whittle.model.Model;
import dev.whittle.model.ModelSummary;
import dev.whittle.model.TensorType;
import dev.whittle.model.io.ModelReader;
import dev.whittle.model.io.ModelValidator;
import dev.whittle.optimize.WeightStats;
import dev.whittle.runtime.CompiledModel;
import dev.whittle.runtime.OpProfile;
import dev.whittle.runtime.kernels.WeightFormat;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code whittle inspect MODEL...}: a readable (or JSON) summary of each model. */
@Command(name = "inspect", mixinStandardHelpOptions = true,
        description = {"Summarize .tflite models.", "",
                "Per model: inputs and outputs, operators, tensor types, parameters, how each operator",
                "is quantized, custom operators, and what validation found.",
                "A file that cannot be read is reported and the others still go through;",
                "the exit status is 1 if any file failed."})
final class InspectCommand implements Callable<Integer> {
    @Parameters(arity = "1..*", paramLabel = "MODEL", description = "model files")
    List<Path> models;

    @Option(names = "--json", description = "print JSON: one object per model, an array when several")
    boolean json;

    @Option(names = "--weights", description = {"also list the weights of conv, depthwise and fully-connected operators:",
            "sparsity, M:N pattern along the input channel, distinct values per layer and per channel"})
    boolean weights;

    @Option(names = "--runtime", description = {"also compile each model for Whittle's runtime and list, per operator,",
            "the kernel dispatch chose, the bytes of weights it keeps resident, and why (weight format)"})
    boolean runtime;

    @Option(names = "--kernels", paramLabel = "WHAT", split = ",",
            description = "with --runtime: weight format (dense, sparse, lut, auto) and/or kernel path, as for bench")
    List<String> kernels;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        JsonArray all = new JsonArray();
        int failed = 0;
        if (runtime) {
            BenchCommand.applyKernels(kernels);
        }
        for (Path p : models) {
            try {
                Model m = ModelReader.readUnvalidated(p);
                ModelSummary s = ModelSummary.of(m, Files.size(p));
                boolean valid = m.version() == Model.SCHEMA_VERSION && ModelValidator.validate(m).isValid();
                if (!valid) {
                    failed++;
                }
                List<WeightStats> ws = weights && valid ? WeightStats.of(m) : List.of();
                CompiledModel compiled = null;
                String runtimeError = null;
                if (runtime && valid) {
                    try {
                        compiled = CompiledModel.compile(m);
                    } catch (WhittleException e) {
                        runtimeError = e.getMessage();
                    }
                }
                if (json) {
                    JsonObject o = toJson(p, s);
                    o.addProperty("valid", valid);
                    if (weights) {
                        o.add("weights", weightsJson(ws));
                    }
                    if (compiled != null) {
                        o.add("runtime", runtimeJson(compiled));
                    } else if (runtimeError != null) {
                        o.addProperty("runtime_error", runtimeError);
                    }
                    all.add(o);
                } else {
                    printText(out, p, s, valid);
                    if (weights) {
                        printWeights(out, ws);
                    }
                    if (compiled != null) {
                        printRuntime(out, compiled);
                    } else if (runtimeError != null) {
                        out.println("  runtime: " + runtimeError);
                    }
                }
            } catch (WhittleException | java.io.IOException | java.io.UncheckedIOException e) {
                failed++;
                if (json) {
                    JsonObject o = new JsonObject();
                    o.addProperty("path", p.toString());
                    o.addProperty("error", e.getMessage());
                    all.add(o);
                } else {
                    err.println("whittle: error: " + p + ": " + e.getMessage());
                }
            }
        }
        if (json) {
            var gson = new GsonBuilder().setPrettyPrinting().disableHtmlEscaping().create();
            out.println(gson.toJson(all.size() == 1 ? all.get(0) : all));
        }
        out.flush();
        return failed == 0 ? 0 : 1;
    }

    static void printText(PrintWriter out, Path p, ModelSummary s, boolean valid) {
        out.printf("%s%n", p);
        out.printf("  size        %s (%,d bytes), schema v%d, %d subgraph(s), %d tensors, %d operators%n",
                Format.bytes(s.fileBytes()), s.fileBytes(), s.schemaVersion(), s.subgraphCount(), s.tensorCount(),
                s.operatorCount());
        if (s.description() != null && !s.description().isBlank()) {
            out.printf("  description %s%n", s.description());
        }
        out.printf("  parameters  %,d in constant tensors (%s)%n", s.parameterCount(), Format.bytes(s.constantBytes()));
        for (ModelSummary.TensorInfo t : s.inputs()) {
            out.printf("  input       %s%n", tensor(t));
        }
        for (ModelSummary.TensorInfo t : s.outputs()) {
            out.printf("  output      %s%n", tensor(t));
        }
        out.printf("  operators   ");
        StringBuilder ops = new StringBuilder();
        for (Map.Entry<String, Integer> e : s.operatorCounts().entrySet()) {
            ops.append(ops.length() == 0 ? "" : ", ").append(e.getKey()).append(" x").append(e.getValue());
        }
        out.println(ops);
        StringBuilder types = new StringBuilder();
        for (Map.Entry<TensorType, Integer> e : s.tensorTypes().entrySet()) {
            types.append(types.length() == 0 ? "" : ", ").append(e.getKey().name().toLowerCase()).append(" x").append(e.getValue());
        }
        out.printf("  tensors     %s%n", types);
        out.printf("  quantization%n");
        for (ModelSummary.QuantizationGroup g : s.quantization()) {
            out.printf("    %-28s %3d  %-22s %s%n", g.operator(), g.count(), g.kind(), g.scheme());
        }
        for (ModelSummary.CustomOp c : s.customOps()) {
            out.printf("  custom op   %s (subgraph %d, operator %d, %s of custom options)%n", c.name(), c.subgraph(),
                    c.operatorIndex(), Format.bytes(c.customOptionsBytes()));
            c.inputs().forEach(i -> out.printf("                in  %s%n", i));
            c.outputs().forEach(o -> out.printf("                out %s%n", o));
        }
        if (!s.customOps().isEmpty()) {
            List<String> cpu = s.operatorCounts().keySet().stream()
                    .filter(k -> s.customOps().stream().noneMatch(c -> c.name().equals(k))).toList();
            out.printf("  other ops   %s%n", cpu.isEmpty() ? "none (everything is inside the custom op(s))"
                    : String.join(", ", cpu) + " (run outside the custom op(s), on the CPU)");
        }
        if (!s.metadataNames().isEmpty()) {
            out.printf("  metadata    %s%n", String.join(", ", s.metadataNames()));
        }
        if (!s.signatureKeys().isEmpty()) {
            out.printf("  signatures  %s%n", String.join(", ", s.signatureKeys()));
        }
        // Files with a systematic defect repeat one finding per tensor; show a few.
        int shown = s.findings().size() > 4 ? 3 : s.findings().size();
        s.findings().stream().limit(shown).forEach(f -> out.printf("  %s%n", f));
        if (shown < s.findings().size()) {
            out.printf("  ... and %d more findings (--json lists all)%n", s.findings().size() - shown);
        }
        boolean repairable = s.findings().stream().anyMatch(f -> f.startsWith("warning"));
        out.printf("  status      %s%n", !valid ? "INVALID"
                : repairable ? "valid, but TFLite refuses it as is; 'whittle run' repairs it in memory (ModelRepair)" : "valid");
    }

    static void printWeights(PrintWriter out, List<WeightStats> ws) {
        out.printf("  weights     %d tensor(s) of conv, depthwise and fully-connected operators%n", ws.size());
        for (WeightStats w : ws) {
            out.printf("    %-46s %-17s %-6s %-18s sparsity %5.1f%%  %-5s distinct %6d (per channel <= %d)%n",
                    w.name() == null ? "" : w.name(), w.op(), w.type(), Arrays.toString(w.shape()), 100 * w.sparsity(),
                    w.bestPattern().isEmpty() ? "-" : w.bestPattern(), w.distinct(), w.maxDistinctPerChannel());
        }
    }

    private static JsonArray weightsJson(List<WeightStats> ws) {
        JsonArray a = new JsonArray();
        for (WeightStats w : ws) {
            JsonObject e = new JsonObject();
            e.addProperty("name", w.name());
            e.addProperty("operator", w.op());
            e.addProperty("type", w.type());
            JsonArray shape = new JsonArray();
            for (int d : w.shape()) {
                shape.add(d);
            }
            e.add("shape", shape);
            e.addProperty("elements", w.elements());
            e.addProperty("zeros", w.zeros());
            e.addProperty("sparsity", w.sparsity());
            e.addProperty("pattern_2_4", w.pattern24());
            e.addProperty("pattern", w.bestPattern());
            e.addProperty("distinct", w.distinct());
            e.addProperty("max_distinct_per_channel", w.maxDistinctPerChannel());
            a.add(e);
        }
        return a;
    }

    private static String tensor(ModelSummary.TensorInfo t) {
        String sig = t.shapeSignature() != null && !Arrays.equals(t.shapeSignature(), t.shape())
                ? " signature " + Arrays.toString(t.shapeSignature()) : "";
        return String.format("%-28s %-8s %-18s %s%s", t.name(), t.type().name().toLowerCase(), Arrays.toString(t.shape()),
                t.quantization(), sig);
    }

    static JsonObject toJson(Path p, ModelSummary s) {
        JsonObject o = new JsonObject();
        o.addProperty("path", p.toString());
        o.addProperty("file_bytes", s.fileBytes());
        o.addProperty("schema_version", s.schemaVersion());
        if (s.description() != null) {
            o.addProperty("description", s.description());
        }
        o.addProperty("subgraphs", s.subgraphCount());
        o.addProperty("tensors", s.tensorCount());
        o.addProperty("operators", s.operatorCount());
        o.addProperty("parameters", s.parameterCount());
        o.addProperty("constant_bytes", s.constantBytes());
        o.add("inputs", tensors(s.inputs()));
        o.add("outputs", tensors(s.outputs()));
        JsonObject ops = new JsonObject();
        s.operatorCounts().forEach(ops::addProperty);
        o.add("operator_counts", ops);
        JsonObject types = new JsonObject();
        s.tensorTypes().forEach((k, v) -> types.addProperty(k.name().toLowerCase(), v));
        o.add("tensor_types", types);
        JsonArray q = new JsonArray();
        for (ModelSummary.QuantizationGroup g : s.quantization()) {
            JsonObject e = new JsonObject();
            e.addProperty("operator", g.operator());
            e.addProperty("count", g.count());
            e.addProperty("kind", g.kind());
            e.addProperty("scheme", g.scheme());
            q.add(e);
        }
        o.add("quantization", q);
        JsonArray custom = new JsonArray();
        for (ModelSummary.CustomOp c : s.customOps()) {
            JsonObject e = new JsonObject();
            e.addProperty("name", c.name());
            e.addProperty("subgraph", c.subgraph());
            e.addProperty("operator_index", c.operatorIndex());
            e.addProperty("custom_options_bytes", c.customOptionsBytes());
            JsonArray in = new JsonArray();
            c.inputs().forEach(in::add);
            JsonArray out = new JsonArray();
            c.outputs().forEach(out::add);
            e.add("inputs", in);
            e.add("outputs", out);
            custom.add(e);
        }
        o.add("custom_ops", custom);
        JsonArray md = new JsonArray();
        s.metadataNames().forEach(md::add);
        o.add("metadata", md);
        JsonArray sig = new JsonArray();
        s.signatureKeys().forEach(sig::add);
        o.add("signatures", sig);
        JsonArray f = new JsonArray();
        s.findings().forEach(f::add);
        o.add("findings", f);
        return o;
    }

    private static JsonArray tensors(List<ModelSummary.TensorInfo> ts) {
        JsonArray a = new JsonArray();
        for (ModelSummary.TensorInfo t : ts) {
            JsonObject e = new JsonObject();
            e.addProperty("index", t.index());
            e.addProperty("name", t.name());
            e.addProperty("type", t.type().name().toLowerCase());
            JsonArray shape = new JsonArray();
            for (int d : t.shape()) {
                shape.add(d);
            }
            e.add("shape", shape);
            if (t.shapeSignature() != null) {
                JsonArray sig = new JsonArray();
                for (int d : t.shapeSignature()) {
                    sig.add(d);
                }
                e.add("shape_signature", sig);
            }
            e.addProperty("quantization", t.quantization());
            a.add(e);
        }
        return a;
    }

    /** Per operator that runs per invoke: kernel, resident weight bytes, and why. */
    static void printRuntime(PrintWriter out, CompiledModel compiled) {
        out.printf(java.util.Locale.ROOT, "  runtime (weights %s, kernels %s): %,d bytes of weights resident%n",
                WeightFormat.current().label(), BenchCommand.describeKernels(compiled), compiled.residentWeightBytes());
        for (OpProfile.KernelChoice c : OpProfile.kernelChoices(compiled)) {
            out.printf(java.util.Locale.ROOT, "    %4d %-22s %-44s %10s  %s%n", c.node(), c.op(), c.kernel(),
                    c.weightBytes() < 0 ? "" : Long.toString(c.weightBytes()), c.why());
        }
    }

    static JsonObject runtimeJson(CompiledModel compiled) {
        JsonObject o = new JsonObject();
        o.addProperty("weights_format", WeightFormat.current().label());
        o.addProperty("kernel_path", BenchCommand.describeKernels(compiled));
        o.addProperty("weight_bytes", compiled.residentWeightBytes());
        JsonArray ops = new JsonArray();
        for (OpProfile.KernelChoice c : OpProfile.kernelChoices(compiled)) {
            JsonObject e = new JsonObject();
            e.addProperty("node", c.node());
            e.addProperty("op", c.op());
            e.addProperty("kernel", c.kernel());
            if (c.weightBytes() >= 0) {
                e.addProperty("weight_bytes", c.weightBytes());
                e.addProperty("why", c.why());
            }
            ops.add(e);
        }
        o.add("ops", ops);
        return o;
    }
}
