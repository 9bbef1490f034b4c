package dev.whittle.cli;

import dev.whittle.CpuFeatures;
import dev.whittle.WhittleException;
import dev.whittle.internal.nativelib.NativeLibrary;
import dev.whittle.tflite.TfliteInterpreter;
import picocli.CommandLine.Command;

import java.io.PrintWriter;
import java.util.concurrent.Callable;

/** {@code whittle info}: what this installation can use on this machine. */
@Command(name = "info", mixinStandardHelpOptions = true,
        description = {"Show what this installation uses on this machine.", "",
                "The Java runtime, the Vector API, Whittle's native library, CPU features and TFLite's version."})
final class InfoCommand implements Callable<Integer> {
    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        out.printf("java          %s (%s)%n", Runtime.version(), System.getProperty("java.vm.name"));
        boolean vector = ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent();
        out.printf("vector api    %s%n", vector ? "jdk.incubator.vector available"
                : "not enabled (run with --add-modules jdk.incubator.vector; the launcher does)");
        NativeLibrary lib = NativeLibrary.get();
        if (lib.isAvailable()) {
            out.printf("native        libwhittle loaded from %s%n", lib.origin().orElse("?"));
            lib.buildInfo().ifPresent(b -> out.printf("              %s%n", b));
        } else {
            out.printf("native        not available: %s (running on the Java path)%n", lib.unavailableReason().orElse("?"));
        }
        CpuFeatures cpu = CpuFeatures.detect();
        out.printf("cpu           %s, %d cores; features: %s (%s)%n", System.getProperty("os.arch"),
                Runtime.getRuntime().availableProcessors(), cpu, cpu.source());
        try {
            out.printf("tflite        %s (org.bytedeco:tensorflow-lite)%n", TfliteInterpreter.version());
        } catch (WhittleException | LinkageError e) {
            out.printf("tflite        not available: %s%n", e.getMessage());
        }
        return 0;
    }
}
