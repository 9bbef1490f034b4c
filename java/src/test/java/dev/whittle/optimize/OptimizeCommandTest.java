package dev.whittle.optimize;

import dev.whittle.model.DemoModels;
import dev.whittle.model.Model;
import dev.whittle.model.TensorType;
import dev.whittle.model.io.ModelReader;
import dev.whittle.model.io.ModelWriter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static dev.whittle.optimize.OptimizeCliTest.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code whittle optimize}: prune -> cluster -> quantize in one call. */
class OptimizeCommandTest {
    private static Path demo(Path tmp) {
        Path p = tmp.resolve("demo.tflite");
        ModelWriter.write(DemoModels.smallCnn(41), p);
        return p;
    }

    @Test
    void pruneClusterInt8InOneCall(@TempDir Path tmp) {
        Path in = demo(tmp);
        Path out = tmp.resolve("o.tflite");
        OptimizeCliTest.Result r = run("optimize", in.toString(), "--out", out.toString(), "--prune", "0.5",
                "--cluster", "4", "--quantize", "int8", "--calibration", "random", "--samples", "4", "--range-method", "minmax");
        assertEquals(0, r.status(), r.err() + r.out());
        String o = r.out();
        int p = o.indexOf("1. prune");
        int c = o.indexOf("2. cluster 4");
        int q = o.indexOf("3. quantize int8");
        assertTrue(p > 0 && c > p && q > c, o);
        assertTrue(o.contains("zeros kept"), "clustering after pruning keeps zeros: " + o);
        assertTrue(o.contains("final: raw") && o.contains("gzip") && o.contains("x smaller"), o);
        Model m = ModelReader.read(out);
        for (WeightStats w : WeightStats.of(m)) {
            assertEquals("int8", w.type(), w.name());
            if (!w.name().startsWith("dw1")) {
                assertTrue(w.distinct() <= 4, w.name() + " " + w.distinct());
                assertTrue(w.sparsity() >= 0.5 - 1e-9, w.name() + " " + w.sparsity());
            }
        }
        CompositionTest.runsInTflite(m);
    }

    @Test
    void eachStepAlone(@TempDir Path tmp) {
        Path in = demo(tmp);
        String[][] variants = {
                {"--pattern", "2:4", "--skip", "conv1"},
                {"--cluster", "8", "--per-channel"},
                {"--quantize", "float16"},
                {"--quantize", "dynamic"},
        };
        for (String[] v : variants) {
            Path out = tmp.resolve("v.tflite");
            String[] args = new String[v.length + 4];
            args[0] = "optimize";
            args[1] = in.toString();
            args[2] = "--out";
            args[3] = out.toString();
            System.arraycopy(v, 0, args, 4, v.length);
            OptimizeCliTest.Result r = run(args);
            assertEquals(0, r.status(), String.join(" ", v) + ": " + r.err());
            assertTrue(r.out().contains("1. ") && !r.out().contains("2. "), r.out());
            CompositionTest.runsInTflite(ModelReader.read(out));
        }
    }

    @Test
    void badParametersFailBeforeAnyWork(@TempDir Path tmp) {
        Path in = demo(tmp);
        Path out = tmp.resolve("x.tflite");
        String m = in.toString();
        String o = out.toString();
        String[][] bad = {
                {"optimize", m, "--out", o},
                {"optimize", m, "--out", o, "--prune", "1"},
                {"optimize", m, "--out", o, "--prune", "0.5", "--pattern", "2:4"},
                {"optimize", m, "--out", o, "--pattern", "2:4"},                 // conv1 has 3 input channels
                {"optimize", m, "--out", o, "--cluster", "1"},
                {"optimize", m, "--out", o, "--per-channel"},
                {"optimize", m, "--out", o, "--quantize", "int8"},               // no calibration
                {"optimize", m, "--out", o, "--quantize", "int4"},
                {"optimize", m, "--out", o, "--cluster", "4", "--layers", "nope"},
                {"optimize", m, "--out", o, "--prune", "0.5", "--prune-method", "data-aware"},
        };
        for (String[] args : bad) {
            OptimizeCliTest.Result r = run(args);
            assertEquals(2, r.status(), String.join(" ", args) + ": " + r.out() + r.err());
            assertFalse(r.err().isBlank(), String.join(" ", args));
            assertFalse(Files.exists(out), String.join(" ", args));
        }
    }

    @Test
    void quantizedInputIsRefusedWhenAskedToQuantizeAgain(@TempDir Path tmp) {
        Path in = demo(tmp);
        Path q = tmp.resolve("q.tflite");
        assertEquals(0, run("optimize", in.toString(), "--out", q.toString(), "--quantize", "dynamic").status());
        OptimizeCliTest.Result r = run("optimize", q.toString(), "--out", tmp.resolve("x.tflite").toString(), "--quantize", "dynamic");
        assertEquals(2, r.status(), r.err());
        assertTrue(r.err().contains("already quantized"), r.err());
        assertTrue(ModelReader.read(q).mainGraph().tensors().stream().anyMatch(t -> t.type() == TensorType.INT8));
    }
}
