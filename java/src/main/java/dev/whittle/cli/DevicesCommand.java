package dev.whittle.cli;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import dev.whittle.CpuFeatures;
import dev.whittle.edgetpu.EdgeTpuRuntime;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintWriter;
import java.util.concurrent.Callable;

/**
 * {@code whittle devices}: the Edge TPUs libedgetpu finds (type and path), its version, and
 * what the CPU supports. Without libedgetpu it says so in one line, with how to install it,
 * and still succeeds: having no accelerator is not an error.
 */
@Command(name = "devices", mixinStandardHelpOptions = true,
        description = {"Accelerators Whittle can use: Coral Edge TPUs (through libedgetpu) and the CPU's features.",
                "", "-Dwhittle.edgetpu.lib=PATH picks the libedgetpu to load (default: the platform's libedgetpu.so.1)."})
final class DevicesCommand implements Callable<Integer> {
    @Option(names = "--json", description = "print one JSON object")
    boolean json;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        EdgeTpuRuntime.Probe p = EdgeTpuRuntime.probe();
        CpuFeatures cpu = CpuFeatures.detect();
        String arch = System.getProperty("os.arch");
        int cores = Runtime.getRuntime().availableProcessors();
        if (json) {
            JsonObject o = new JsonObject();
            JsonObject tpu = new JsonObject();
            tpu.addProperty("library", p.library());
            tpu.addProperty("available", p.available());
            if (p.available()) {
                tpu.addProperty("version", p.version());
            } else {
                tpu.addProperty("problem", p.problem());
            }
            JsonArray devs = new JsonArray();
            for (EdgeTpuRuntime.Device d : p.devices()) {
                JsonObject dj = new JsonObject();
                dj.addProperty("type", d.type());
                dj.addProperty("path", d.path());
                devs.add(dj);
            }
            tpu.add("devices", devs);
            o.add("edgetpu", tpu);
            JsonObject c = new JsonObject();
            c.addProperty("arch", arch);
            c.addProperty("cores", cores);
            JsonArray feats = new JsonArray();
            cpu.supported().forEach(f -> feats.add(f.label()));
            c.add("features", feats);
            c.addProperty("source", cpu.source());
            o.add("cpu", c);
            out.println(new GsonBuilder().setPrettyPrinting().disableHtmlEscaping().create().toJson(o));
            return 0;
        }
        if (!p.available()) {
            out.printf("edgetpu   no Edge TPU runtime: %s%n", p.problem());
        } else {
            out.printf("edgetpu   %s: %s%n", p.library(), p.version());
            if (p.devices().isEmpty()) {
                out.println("          no Edge TPU found (connect a Coral USB Accelerator, or check the PCIe driver:"
                        + " /dev/apex_0)");
            }
            for (int i = 0; i < p.devices().size(); i++) {
                EdgeTpuRuntime.Device d = p.devices().get(i);
                out.printf("          %d  %-3s  %s   (--delegate edgetpu:%s:%d)%n", i, d.type(), d.path(), d.type(),
                        indexOfType(p, i));
            }
        }
        out.printf("cpu       %s, %d cores; %s (%s)%n", arch, cores, cpu, cpu.source());
        return 0;
    }

    /** Index of device {@code i} among the devices of its type, as edgetpu:TYPE:N counts. */
    private static int indexOfType(EdgeTpuRuntime.Probe p, int i) {
        int n = 0;
        for (int k = 0; k < i; k++) {
            if (p.devices().get(k).type().equals(p.devices().get(i).type())) {
                n++;
            }
        }
        return n;
    }
}
