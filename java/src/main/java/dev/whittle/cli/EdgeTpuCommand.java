package dev.whittle.cli;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import dev.whittle.InvalidInputException;
import dev.whittle.edgetpu.EdgeTpuCheck;
import dev.whittle.edgetpu.EdgeTpuReport;
import dev.whittle.edgetpu.EdgeTpuReport.OpVerdict;
import dev.whittle.edgetpu.EdgeTpuReport.TensorRef;
import dev.whittle.model.Model;
import dev.whittle.model.io.ModelReader;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code whittle edgetpu ...}: the Coral Edge TPU. */
@Command(name = "edgetpu", mixinStandardHelpOptions = true,
        description = "Coral Edge TPU tools.",
        subcommands = {EdgeTpuCommand.Check.class})
final class EdgeTpuCommand implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** {@code whittle edgetpu check MODEL [--json]}. */
    @Command(name = "check", mixinStandardHelpOptions = true,
            description = {"Predict, before the Edge TPU compiler runs, which operators map to the Edge TPU:",
                    "the compiler's documented rules per operator (8-bit tensors, static shapes, constant",
                    "parameters, at most 3 dimensions above 1, the supported operations and their limits) and its",
                    "single-subgraph partition (the first unsupported operator and everything after it run on the",
                    "CPU). For a compiled model (_edgetpu.tflite): the custom op(s), their tensors, the CPU ops.",
                    "Exit status 0 when the check ran, whatever it found."})
    static final class Check implements Callable<Integer> {
        @Parameters(index = "0", paramLabel = "MODEL")
        Path model;

        @Option(names = "--json", description = "print one JSON object")
        boolean json;

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            if (!Files.isRegularFile(model)) {
                throw new InvalidInputException(model + ": no such model file");
            }
            Model m = ModelReader.read(model);
            EdgeTpuReport r = EdgeTpuCheck.check(m);
            PrintWriter out = spec.commandLine().getOut();
            if (json) {
                out.println(new GsonBuilder().setPrettyPrinting().disableHtmlEscaping().create().toJson(toJson(model, r)));
            } else {
                printText(out, model, r);
            }
            out.flush();
            return 0;
        }
    }

    static void printText(PrintWriter out, Path model, EdgeTpuReport r) {
        List<OpVerdict> tpu = r.edgeTpuOps();
        List<OpVerdict> cpu = r.cpuOps();
        out.printf("%s: Edge TPU %s%n", model, r.compiled() ? "compiled model" : "check (the compiler's documented rules,"
                + " default single-subgraph mode)");
        if (r.compiled()) {
            for (EdgeTpuReport.CustomOp c : r.customOps()) {
                out.printf("  custom op   %d %s (%s of compiled Edge TPU code and parameters)%n", c.index(),
                        EdgeTpuCheck.CUSTOM_OP, Format.bytes(c.customOptionsBytes()));
                c.inputs().forEach(t -> out.printf("                in  %s%n", t));
                c.outputs().forEach(t -> out.printf("                out %s%n", t));
            }
            out.printf("  cpu         %s%n", cpu.isEmpty() ? "none: everything runs inside the custom op"
                    : cpu.size() + " operator(s) left on the CPU: " + list(cpu));
            cpu.forEach(o -> out.printf("    %3d %s%n", o.index(), o.op()));
        } else {
            out.printf("  edgetpu     %d of %d operators%s%n", tpu.size(), r.ops().size(),
                    tpu.isEmpty() ? "" : ": " + counts(tpu));
            if (r.firstCpu() == null) {
                out.printf("  cpu         %s%n", cpu.isEmpty() ? "none: every operator maps to the Edge TPU"
                        : cpu.size() + " operator(s) at the float edges: " + list(cpu));
            } else {
                OpVerdict f = r.firstCpu();
                out.printf("  first cpu   operator %d %s: %s%n", f.index(), f.op(), f.reason());
                out.printf("  cpu         %d operator(s): %s%n", cpu.size(), counts(cpu));
            }
            // A float model breaks the 8-bit rule on every operator: one line says so.
            List<OpVerdict> not8bit = cpu.stream().filter(o -> o != r.firstCpu() && o.cause()
                    && o.reason().contains(EIGHT_BIT)).toList();
            if (not8bit.size() > 1) {
                out.printf("    %d more operator(s) (%d to %d) also compute on tensors that are not 8-bit%n", not8bit.size(),
                        not8bit.get(0).index(), not8bit.get(not8bit.size() - 1).index());
            }
            int shown = 0;
            for (OpVerdict o : cpu) {
                if (o != r.firstCpu() && !(not8bit.size() > 1 && not8bit.contains(o)) && shown++ < MAX_LINES) {
                    out.printf("    %3d %-24s %s%n", o.index(), o.op(), o.cause() ? o.reason()
                            : o.reason().startsWith("supported, but") ? "after the cut (reads a CPU result)" : o.reason());
                }
            }
            if (shown > MAX_LINES) {
                out.printf("    ... and %d more on the CPU (--json lists every operator)%n", shown - MAX_LINES);
            }
            if (!tpu.isEmpty() && !cpu.isEmpty()) {
                r.tpuOutputs().forEach(t -> out.printf("  handoff     %s (Edge TPU -> CPU)%n", t));
            }
            if (r.tpuParameterBytes() > 0) {
                out.printf("  parameters  %s on the Edge TPU%n", Format.bytes(r.tpuParameterBytes()));
            }
        }
        r.notes().forEach(n -> out.printf("  note        %s%n", n));
        String name = model.toString();
        r.fixes().forEach(f -> out.printf("  fix         %s%n", f.replace("MODEL_int8", stem(model) + "_int8")
                .replace("FLOAT_MODEL", "FLOAT_" + stem(model)).replace(" MODEL ", " " + name + " ")));
        out.printf("  verdict     %s%n", verdict(r));
    }

    /** The phrase of the 8-bit rule's reasons (EdgeTpuRules). */
    private static final String EIGHT_BIT = "the Edge TPU computes only 8-bit quantized";

    /** Operators listed one per line before the rest is summed up. */
    private static final int MAX_LINES = 12;

    private static String stem(Path model) {
        String f = model.getFileName().toString();
        return f.endsWith(".tflite") ? f.substring(0, f.length() - ".tflite".length()) : f;
    }

    private static String verdict(EdgeTpuReport r) {
        if (r.compiled()) {
            return "compiled; run it with --backend tflite --delegate edgetpu";
        }
        if (r.edgeTpuOps().isEmpty()) {
            return "nothing would run on the Edge TPU";
        }
        if (r.firstCpu() == null) {
            return r.cpuOps().isEmpty() ? "every operator maps to the Edge TPU" : "maps, apart from the float edges";
        }
        return "partly: " + r.edgeTpuOps().size() + " operator(s) on the Edge TPU, " + r.cpuOps().size() + " on the CPU";
    }

    private static String counts(List<OpVerdict> ops) {
        StringBuilder b = new StringBuilder();
        for (Map.Entry<String, Integer> e : EdgeTpuReport.counts(ops).entrySet()) {
            b.append(b.length() == 0 ? "" : ", ").append(e.getKey()).append(" x").append(e.getValue());
        }
        return b.toString();
    }

    private static String list(List<OpVerdict> ops) {
        StringBuilder b = new StringBuilder();
        for (OpVerdict o : ops) {
            b.append(b.length() == 0 ? "" : ", ").append(o.index()).append(' ').append(o.op());
        }
        return b.toString();
    }

    static JsonObject toJson(Path model, EdgeTpuReport r) {
        JsonObject o = new JsonObject();
        o.addProperty("path", model.toString());
        o.addProperty("compiled", r.compiled());
        JsonArray ops = new JsonArray();
        for (OpVerdict v : r.ops()) {
            JsonObject e = new JsonObject();
            e.addProperty("index", v.index());
            e.addProperty("op", v.op());
            e.addProperty("target", v.target().label());
            e.addProperty("reason", v.reason());
            ops.add(e);
        }
        o.add("ops", ops);
        JsonObject s = new JsonObject();
        s.addProperty("operators", r.ops().size());
        s.addProperty("edgetpu", r.edgeTpuOps().size());
        s.addProperty("cpu", r.cpuOps().size());
        s.addProperty("all_on_edgetpu", r.allOnEdgeTpu());
        s.addProperty("verdict", verdict(r));
        if (r.firstCpu() != null) {
            JsonObject f = new JsonObject();
            f.addProperty("index", r.firstCpu().index());
            f.addProperty("op", r.firstCpu().op());
            f.addProperty("reason", r.firstCpu().reason());
            s.add("first_cpu", f);
        }
        s.add("edgetpu_inputs", tensors(r.tpuInputs()));
        s.add("edgetpu_outputs", tensors(r.tpuOutputs()));
        s.addProperty("edgetpu_parameter_bytes", r.tpuParameterBytes());
        JsonArray notes = new JsonArray();
        r.notes().forEach(notes::add);
        s.add("notes", notes);
        JsonArray fixes = new JsonArray();
        r.fixes().forEach(fixes::add);
        s.add("fixes", fixes);
        o.add("summary", s);
        if (r.compiled()) {
            JsonArray cs = new JsonArray();
            for (EdgeTpuReport.CustomOp c : r.customOps()) {
                JsonObject e = new JsonObject();
                e.addProperty("index", c.index());
                e.addProperty("name", EdgeTpuCheck.CUSTOM_OP);
                e.add("inputs", tensors(c.inputs()));
                e.add("outputs", tensors(c.outputs()));
                e.addProperty("custom_options_bytes", c.customOptionsBytes());
                cs.add(e);
            }
            o.add("custom_ops", cs);
        }
        return o;
    }

    private static JsonArray tensors(List<TensorRef> ts) {
        JsonArray a = new JsonArray();
        for (TensorRef t : ts) {
            JsonObject e = new JsonObject();
            e.addProperty("index", t.index());
            e.addProperty("name", t.name());
            e.addProperty("type", t.type().name().toLowerCase());
            JsonArray shape = new JsonArray();
            for (int d : t.shape()) {
                shape.add(d);
            }
            e.add("shape", shape);
            a.add(e);
        }
        return a;
    }
}
