package dev.whittle.cli;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.whittle.TensorData;
import dev.whittle.io.Npy;
import dev.whittle.model.TensorType;
import dev.whittle.testing.SharedData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CliTest {
    record Result(int status, String out, String err) {
    }

    static Result run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int status = Main.execute(new PrintWriter(out, true), new PrintWriter(err, true), args);
        return new Result(status, out.toString(), err.toString());
    }

    @Test
    void inspectPrintsSummaryAndGoesOnAfterABadFile(@TempDir Path tmp) throws Exception {
        Path good = SharedData.model("mobilenet_v2_1.0_224_quant.tflite");
        Path bad = tmp.resolve("bad.tflite");
        Files.write(bad, new byte[] {1, 2, 3, 4, 5, 6, 7, 8, 9});
        Path edgetpu = SharedData.model("mobilenet_v1_0.25_128_quant_edgetpu.tflite");
        Result r = run("inspect", bad.toString(), good.toString(), edgetpu.toString());
        assertEquals(1, r.status(), "a bad file makes the exit status non-zero");
        assertTrue(r.err().contains("bad.tflite") && r.err().contains("not a TFLite model"), r.err());
        assertTrue(r.out().contains("CONV_2D x36"), r.out());
        assertTrue(r.out().contains("DEPTHWISE_CONV_2D x17"), r.out());
        assertTrue(r.out().contains("uint8    [1, 224, 224, 3]"), r.out());
        assertTrue(r.out().contains("custom op   edgetpu-custom-op"), r.out());
        assertTrue(r.out().contains("everything is inside the custom op"), r.out());
    }

    @Test
    void inspectJsonIsMachineReadable() {
        Path a = SharedData.model("mobilenet_v2_1.0_224_quant.tflite");
        Path b = SharedData.model("deeplabv3_mnv2_dm05_pascal_quant_edgetpu.tflite");
        Result r = run("inspect", "--json", a.toString(), b.toString());
        assertEquals(0, r.status(), r.err());
        JsonArray arr = JsonParser.parseString(r.out()).getAsJsonArray();
        assertEquals(2, arr.size());
        JsonObject m = arr.get(0).getAsJsonObject();
        assertEquals(36, m.getAsJsonObject("operator_counts").get("CONV_2D").getAsInt());
        assertEquals("uint8", m.getAsJsonArray("inputs").get(0).getAsJsonObject().get("type").getAsString());
        assertEquals(3_489_099, m.get("parameters").getAsLong());
        JsonObject d = arr.get(1).getAsJsonObject();
        assertEquals("edgetpu-custom-op", d.getAsJsonArray("custom_ops").get(0).getAsJsonObject().get("name").getAsString());
        assertEquals(3, d.getAsJsonObject("operator_counts").get("RESIZE_BILINEAR").getAsInt());
        Result single = run("inspect", "--json", a.toString());
        assertTrue(JsonParser.parseString(single.out()).isJsonObject(), "one file gives one object");
    }

    @Test
    void runWritesNpyOutputs(@TempDir Path tmp) throws Exception {
        Path model = SharedData.model("hello_world_float.tflite");
        Path in = tmp.resolve("x.npy");
        ByteBuffer b = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putFloat((float) (Math.PI / 2));
        Npy.write(in, new TensorData(TensorType.FLOAT32, new int[] {1, 1}, b.flip()));
        Result r = run("run", model.toString(), "--input", in.toString(), "--output-dir", tmp.resolve("out").toString());
        assertEquals(0, r.status(), r.err());
        TensorData y = Npy.read(tmp.resolve("out/output_0.npy"));
        assertEquals(TensorType.FLOAT32, y.type());
        assertEquals(1.0, y.getDouble(0), 0.15, "the sine model at pi/2");
    }

    @Test
    void runClassifiesAnImage() {
        Path model = SharedData.model("mobilenet_v2_1.0_224_quant.tflite");
        Path img = SharedData.image("grace_hopper.bmp");
        Path labels = SharedData.image("imagenet_labels.txt");
        Result r = run("run", model.toString(), "--input", img.toString(), "--top", "3", "--labels", labels.toString());
        assertEquals(0, r.status(), r.err());
        assertTrue(r.out().contains("military uniform"), r.out());
    }

    @Test
    void whittleBackendRunsFloatModelsAndNamesWhatItLacks(@TempDir Path tmp) {
        Path model = SharedData.model("mobilenet_v1_0.25_224_float.tflite");
        Path img = SharedData.image("grace_hopper.bmp");
        Result w = run("run", model.toString(), "--input", img.toString(), "--backend", "whittle",
                "--output-dir", tmp.resolve("w").toString());
        assertEquals(0, w.status(), w.err());
        Result t = run("run", model.toString(), "--input", img.toString(), "--no-xnnpack",
                "--output-dir", tmp.resolve("t").toString());
        assertEquals(0, t.status(), t.err());
        double[] a = Npy.read(tmp.resolve("w/output_0.npy")).toDoubleArray();
        double[] b = Npy.read(tmp.resolve("t/output_0.npy")).toDoubleArray();
        for (int i = 0; i < a.length; i++) {
            // float summation order differs between the two runtimes
            assertEquals(b[i], a[i], 1e-5, "class " + i);
        }
        Result q = run("run", SharedData.model("mobilenet_v2_1.0_224_quant.tflite").toString(), "--input", img.toString(),
                "--backend", "whittle");
        assertEquals(1, q.status());
        assertTrue(q.err().contains("operator 0 (CONV_2D)") && q.err().contains("not supported"), q.err());
    }

    @Test
    void runRepairsPersonDetectInMemory() {
        Path model = SharedData.model("person_detect_int8.tflite");
        Path img = SharedData.image("grace_hopper.bmp");
        Result r = run("run", model.toString(), "--input", img.toString());
        assertEquals(0, r.status(), r.err());
        assertTrue(r.err().contains("repaired in memory"), r.err());
        Result refused = run("run", model.toString(), "--input", img.toString(), "--no-repair");
        assertEquals(1, refused.status());
        assertTrue(refused.err().contains("--no-repair"), refused.err());
    }

    @Test
    void runReportsBadInputsClearly(@TempDir Path tmp) throws Exception {
        Path model = SharedData.model("hello_world_float.tflite");
        Path wrongType = tmp.resolve("i.npy");
        Npy.write(wrongType, new TensorData(TensorType.INT32, new int[] {1, 1}, ByteBuffer.allocate(4)));
        Result r = run("run", model.toString(), "--input", wrongType.toString());
        assertEquals(1, r.status());
        assertTrue(r.err().contains("float32") && r.err().contains("int32"), r.err());

        Path truncated = tmp.resolve("t.npy");
        byte[] full = Npy.toBytes(new TensorData(TensorType.FLOAT32, new int[] {1, 1}, ByteBuffer.allocate(4)));
        Files.write(truncated, java.util.Arrays.copyOf(full, full.length - 2));
        r = run("run", model.toString(), "--input", truncated.toString());
        assertEquals(1, r.status());
        assertTrue(r.err().contains("t.npy"), r.err());

        r = run("run", model.toString(), "--input", wrongType.toString(), "--input", wrongType.toString());
        assertEquals(1, r.status());
        assertTrue(r.err().contains("has 1 input(s), 2 --input given"), r.err());

        r = run("run", tmp.resolve("missing.tflite").toString(), "--input", wrongType.toString());
        assertEquals(1, r.status());
        assertTrue(r.err().contains("not found"), r.err());

        r = run("run", model.toString(), "--input", wrongType.toString(), "--backend", "onnx");
        assertEquals(1, r.status());
        assertTrue(r.err().contains("unknown backend"), r.err());
    }

    @Test
    void runOnEdgeTpuModelWithoutDelegateFailsWithTfliteMessage() {
        Path model = SharedData.model("mobilenet_v1_0.25_128_quant_edgetpu.tflite");
        Path img = SharedData.image("grace_hopper.bmp");
        Result r = run("run", model.toString(), "--input", img.toString());
        assertEquals(1, r.status());
        assertTrue(r.err().contains("edgetpu-custom-op"), r.err());
    }

    @Test
    void demoBuildsWritesInspectsAndRuns(@TempDir Path tmp) throws Exception {
        Result r = run("demo", "--out-dir", tmp.toString(), "--seed", "7");
        assertEquals(0, r.status(), r.err());
        assertTrue(r.out().contains("status      valid"), r.out());
        assertTrue(r.out().contains("probabilities sum to 1.0000"), r.out());
        byte[] first = Files.readAllBytes(tmp.resolve("demo_cnn.tflite"));
        assertEquals(0, run("demo", "--out-dir", tmp.toString(), "--seed", "7").status());
        assertTrue(java.util.Arrays.equals(first, Files.readAllBytes(tmp.resolve("demo_cnn.tflite"))),
                "the demo model is deterministic for a seed");
        TensorData probs = Npy.read(tmp.resolve("output_0.npy"));
        assertEquals(10, probs.elementCount());
    }

    @Test
    void usageErrorsExitWithTwo() {
        assertEquals(2, run("inspect").status());
        assertEquals(2, run("no-such-command").status());
        assertEquals(0, run("--version").status());
        Result info = run("info");
        assertEquals(0, info.status());
        assertTrue(info.out().contains("cpu"), info.out());
    }
}
