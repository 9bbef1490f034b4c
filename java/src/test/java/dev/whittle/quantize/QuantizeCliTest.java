package dev.whittle.quantize;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.whittle.cli.Main;
import dev.whittle.model.io.ModelReader;
import dev.whittle.testing.SharedData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code whittle quantize} and {@code whittle evaluate} end to end. */
class QuantizeCliTest {
    private record Run(int status, String out, String err) {
    }

    private static Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int status = Main.execute(new PrintWriter(out, true), new PrintWriter(err, true), args);
        return new Run(status, out.toString(), err.toString());
    }

    @Test
    void quantizeDynamicThenEvaluateJson(@TempDir Path dir) {
        String model = SharedData.model(QuantFixtures.MOBILENET).toString();
        String cat = SharedData.image("cat.bmp").toString();
        Path out = dir.resolve("dyn.tflite");
        Run q = run("quantize", model, "--mode", "dynamic", "--out", out.toString(), "--calibration", cat, "--preset", "mobilenet");
        assertEquals(0, q.status(), q.err());
        assertTrue(q.out().contains("size ") && q.out().contains("gzip") && q.out().contains("left float  none"), q.out());
        assertTrue(q.out().contains("hybrid: int8 weights per channel"), q.out());
        ModelReader.read(out);
        Run e = run("evaluate", out.toString(), "--reference", model, "--data", cat, "--preset", "mobilenet", "--json",
                "--labels", writeLabel(dir, "283"));
        assertEquals(0, e.status(), e.err());
        JsonObject o = JsonParser.parseString(e.out()).getAsJsonObject();
        assertEquals(1, o.get("samples").getAsInt());
        for (String k : new String[] {"top1_agreement", "top5_agreement", "sqnr_db", "accuracy"}) {
            assertTrue(o.has(k), k + " in " + e.out());
        }
        assertTrue(o.get("sqnr_db").getAsDouble() > 5, e.out());
    }

    @Test
    void int8OnDilatedConvWithRandomCalibrationWarns(@TempDir Path dir) {
        String model = SharedData.model(QuantFixtures.DILATED).toString();
        Path out = dir.resolve("d8.tflite");
        Run q = run("quantize", model, "--mode", "int8", "--out", out.toString(), "--calibration", "random", "--samples", "4",
                "--input-shape", "1,16,16,3", "--method", "minmax");
        assertEquals(0, q.status(), q.err());
        assertTrue(q.err().contains("warning") && q.err().contains("random"), q.err());
        assertTrue(q.err().contains("calibrating") && q.err().contains("4/4"), "progress bar: " + q.err());
        Run e = run("evaluate", out.toString(), "--reference", model, "--data", "random", "--samples", "3",
                "--input-shape", "1,16,16,3", "--json");
        assertEquals(0, e.status(), e.err());
        JsonObject o = JsonParser.parseString(e.out()).getAsJsonObject();
        assertEquals(256, o.get("positions_per_sample").getAsInt(), "per-element argmax agreement on a 16x16 map");
    }

    @Test
    void badOptionsExitOneWithAMessage(@TempDir Path dir) {
        String model = SharedData.model(QuantFixtures.MOBILENET).toString();
        Run samples = run("quantize", model, "--mode", "int8", "--out", dir.resolve("x.tflite").toString(),
                "--calibration", "random", "--samples", "0");
        assertEquals(1, samples.status());
        assertTrue(samples.err().contains("--samples must be at least 1"), samples.err());
        Run quantized = run("quantize", SharedData.model("mobilenet_v1_0.25_224_quant.tflite").toString(), "--mode", "float16",
                "--out", dir.resolve("y.tflite").toString());
        assertEquals(1, quantized.status());
        assertTrue(quantized.err().contains("already quantized"), quantized.err());
        Run noCal = run("quantize", model, "--mode", "int16x8", "--out", dir.resolve("z.tflite").toString());
        assertEquals(1, noCal.status());
        assertTrue(noCal.err().contains("--calibration"), noCal.err());
        Run badMode = run("quantize", model, "--mode", "int4", "--out", dir.resolve("w.tflite").toString());
        assertEquals(1, badMode.status());
        assertTrue(badMode.err().contains("unknown mode"), badMode.err());
    }

    private static String writeLabel(Path dir, String label) {
        try {
            Path p = dir.resolve("labels.txt");
            java.nio.file.Files.writeString(p, label + "\n");
            return p.toString();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
