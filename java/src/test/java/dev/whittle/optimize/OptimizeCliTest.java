package dev.whittle.optimize;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.whittle.cli.Main;
import dev.whittle.model.DemoModels;
import dev.whittle.model.io.ModelReader;
import dev.whittle.model.io.ModelWriter;
import dev.whittle.testing.SharedData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class OptimizeCliTest {
    record Result(int status, String out, String err) {
    }

    static Result run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int status = Main.execute(new PrintWriter(out, true), new PrintWriter(err, true), args);
        return new Result(status, out.toString(), err.toString());
    }

    private static Path demo(Path tmp) {
        Path p = tmp.resolve("demo.tflite");
        ModelWriter.write(DemoModels.smallCnn(21), p);
        return p;
    }

    @Test
    void pruneWritesTheModelAndPrintsSizes(@TempDir Path tmp) {
        Path in = demo(tmp);
        Path out = tmp.resolve("p.tflite");
        Result r = run("prune", in.toString(), "--out", out.toString(), "--sparsity", "0.5");
        assertEquals(0, r.status(), r.err());
        assertTrue(r.out().contains("gzip") && r.out().contains("raw") && r.out().contains("x smaller"), r.out());
        assertTrue(r.out().contains("pw1/weights"), r.out());
        assertTrue(Files.exists(out));
        ModelReader.read(out);
    }

    @Test
    void clusterWritesTheModelAndPrintsSizes(@TempDir Path tmp) {
        Path in = demo(tmp);
        Path out = tmp.resolve("c.tflite");
        Result r = run("cluster", in.toString(), "--clusters", "4", "--out", out.toString(), "--per-channel",
                "--init", "linear", "--include-depthwise");
        assertEquals(0, r.status(), r.err());
        assertTrue(r.out().contains("gzip"), r.out());
        for (WeightStats w : WeightStats.of(ModelReader.read(out))) {
            assertTrue(w.maxDistinctPerChannel() <= 4, w.name());
        }
    }

    @Test
    void badParametersAreUsageErrorsAndWriteNothing(@TempDir Path tmp) {
        Path in = demo(tmp);
        Path out = tmp.resolve("x.tflite");
        String m = in.toString();
        String o = out.toString();
        String[][] bad = {
                {"prune", m, "--out", o, "--sparsity", "1"},
                {"prune", m, "--out", o, "--sparsity", "-0.5"},
                {"prune", m, "--out", o, "--pattern", "2:4"},            // conv1 has 3 input channels
                {"prune", m, "--out", o, "--pattern", "2-4"},
                {"prune", m, "--out", o, "--pattern", "4:4", "--skip", "conv1"},
                {"prune", m, "--out", o, "--sparsity", "0.5", "--layers", "nope"},
                {"prune", m, "--out", o, "--sparsity", "0.5", "--skip", "["},
                {"prune", m, "--out", o, "--block", "1x4"},
                {"prune", m, "--out", o, "--block", "3x4", "--sparsity", "0.5", "--skip", "conv1"},
                {"prune", m, "--out", o},
                {"prune", m, "--out", o, "--sparsity", "0.5", "--method", "data-aware"},
                {"prune", m, "--out", o, "--sparsity", "0.5", "--calibration", tmp.resolve("none").toString()},
                {"prune", m, "--out", o, "--sparsity", "0.5", "--sparse-format"},
                {"cluster", m, "--out", o, "--clusters", "1"},
                {"cluster", m, "--out", o, "--clusters", "8", "--init", "best"},
                {"cluster", m, "--out", o, "--clusters", "8", "--layers", "nope"},
        };
        for (String[] args : bad) {
            Result r = run(args);
            assertEquals(2, r.status(), String.join(" ", args) + "\n" + r.err());
            assertFalse(r.err().isBlank());
            assertFalse(Files.exists(out), String.join(" ", args));
        }
        Result r = run("prune", m, "--out", o, "--pattern", "2:4");
        assertTrue(r.err().contains("conv1/weights") && r.err().contains("--skip"), r.err());
    }

    @Test
    void inspectWeightsShowsSparsityPatternAndDistinctValues(@TempDir Path tmp) {
        Path in = demo(tmp);
        Path out = tmp.resolve("p.tflite");
        assertEquals(0, run("prune", in.toString(), "--out", out.toString(), "--pattern", "2:4", "--skip", "conv1").status());
        Result r = run("inspect", "--weights", out.toString());
        assertEquals(0, r.status(), r.err());
        assertTrue(r.out().contains("pw1/weights") && r.out().contains("2:4") && r.out().contains("50.0%"), r.out());
        Result j = run("inspect", "--weights", "--json", out.toString());
        JsonObject o = JsonParser.parseString(j.out()).getAsJsonObject();
        JsonObject pw = o.getAsJsonArray("weights").asList().stream().map(e -> e.getAsJsonObject())
                .filter(e -> e.get("name").getAsString().equals("pw1/weights")).findFirst().orElseThrow();
        assertTrue(pw.get("pattern_2_4").getAsBoolean());
        assertEquals(0.5, pw.get("sparsity").getAsDouble(), 1e-12);
        // without --weights the output is what it was
        assertFalse(run("inspect", out.toString()).out().contains("weights     "));
    }

    @Test
    void dataAwarePruneFromTheCommandLine(@TempDir Path tmp) throws Exception {
        Path model = SharedData.model("mobilenet_v1_0.25_224_float.tflite");
        Path images = tmp.resolve("cal");
        Files.createDirectories(images);
        Files.createSymbolicLink(images.resolve("bird.bmp"), SharedData.image("bird.bmp"));
        Path out = tmp.resolve("p.tflite");
        Result r = run("prune", model.toString(), "--out", out.toString(), "--sparsity", "0.3", "--calibration",
                images.toString(), "--samples", "2", "--layers", "Conv2d_1[23]_pointwise");
        assertEquals(0, r.status(), r.err());
        assertTrue(r.out().contains("prune data-aware") && r.out().contains("bias corrected"), r.out());
    }
}
