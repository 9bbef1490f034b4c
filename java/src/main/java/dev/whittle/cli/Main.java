package dev.whittle.cli;

import dev.whittle.WhittleException;
import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.io.PrintWriter;
import java.io.UncheckedIOException;

/**
 * The {@code whittle} command line. Only this package writes to the terminal; the library
 * logs through {@link System.Logger} and reports failures as {@link WhittleException}s.
 *
 * <p>Exit status: 0 success, 1 a command failed (the message names why), 2 bad usage.
 */
@Command(name = "whittle", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "Make TensorFlow Lite models smaller and faster, and run them, from the JVM.",
        subcommands = {InspectCommand.class, RunCommand.class, QuantizeCommand.class, EvaluateCommand.class,
                PruneCommand.class, ClusterCommand.class, OptimizeCommand.class, BenchCommand.class,
                DemoCommand.class, InfoCommand.class, EdgeTpuCommand.class, DevicesCommand.class,
                CommandLine.HelpCommand.class})
public final class Main implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        System.exit(execute(args));
    }

    /** Runs the command line and returns the exit status (used by tests). */
    public static int execute(String... args) {
        return execute(new PrintWriter(System.out, true), new PrintWriter(System.err, true), args);
    }

    /** Runs the command line with the given streams and returns the exit status. */
    public static int execute(PrintWriter out, PrintWriter err, String... args) {
        CommandLine cl = new CommandLine(new Main());
        cl.setOut(out);
        cl.setErr(err);
        cl.setExecutionExceptionHandler((ex, cmd, parsed) -> {
            if (ex instanceof WhittleException || ex instanceof UncheckedIOException) {
                cmd.getErr().println("whittle: error: " + ex.getMessage());
            } else {
                cmd.getErr().println("whittle: internal error: " + ex);
                ex.printStackTrace(cmd.getErr());
            }
            return 1;
        });
        return cl.execute(args);
    }

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** Version from the jar manifest when packaged. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = Main.class.getPackage().getImplementationVersion();
            return new String[] {"whittle " + (v == null ? "development build" : v)};
        }
    }
}
