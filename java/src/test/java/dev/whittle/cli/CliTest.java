package dev.whittle.cli;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.whittle.TensorData;
import dev.whittle.io.Npy;
import dev.whittle.model.BuiltinOperator;
import dev.whittle.model.ModelBuilder;
import dev.whittle.model.TensorType;
import dev.whittle.model.io.ModelWriter;
import dev.whittle.testing.SharedData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
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
        Result r = run("run", model.toString(), "--input", img.toString(), "--top", "3", "--labels", labels.toString(),
                "--backend", "tflite");
        assertEquals(0, r.status(), r.err());
        assertTrue(r.out().contains("military uniform"), r.out());
    }

    @Test
    void whittleIsTheDefaultBackendAndMatchesTfliteOnAFloatModel(@TempDir Path tmp) {
        Path model = SharedData.model("mobilenet_v1_0.25_224_float.tflite");
        Path img = SharedData.image("grace_hopper.bmp");
        Result w = run("run", model.toString(), "--input", img.toString(), "--output-dir", tmp.resolve("w").toString());
        assertEquals(0, w.status(), w.err());
        assertTrue(w.out().contains("ran on whittle runtime"), w.out());
        Result t = run("run", model.toString(), "--input", img.toString(), "--backend", "tflite", "--no-xnnpack",
                "--output-dir", tmp.resolve("t").toString());
        assertEquals(0, t.status(), t.err());
        assertTrue(t.out().contains("ran on tflite"), t.out());
        double[] a = Npy.read(tmp.resolve("w/output_0.npy")).toDoubleArray();
        double[] b = Npy.read(tmp.resolve("t/output_0.npy")).toDoubleArray();
        for (int i = 0; i < a.length; i++) {
            // float summation order differs between the two runtimes
            assertEquals(b[i], a[i], 1e-5, "class " + i);
        }
    }

    /** The lines of the top-K listing, class and name (the score column is left out). */
    private static List<String> topClasses(String out) {
        List<String> lines = new ArrayList<>();
        boolean in = false;
        for (String line : out.split("\\R")) {
            if (line.contains("top ") && line.contains("of output 0")) {
                in = true;
            } else if (in && line.startsWith("    ")) {
                String[] f = line.trim().split("\\s+", 3);
                lines.add(f[0] + " " + (f.length > 2 ? f[2] : ""));
            }
        }
        return lines;
    }

    @Test
    void quantizedMobilenetsClassifyPhotosOnBothBackendsAlike() {
        Path labels = SharedData.image("imagenet_labels.txt");
        for (String name : List.of("mobilenet_v2_1.0_224_quant.tflite", "mobilenet_v1_0.25_128_quant.tflite")) {
            Path model = SharedData.model(name);
            for (String image : List.of("grace_hopper.bmp", "cat.bmp")) {
                Path img = SharedData.image(image);
                Result w = run("run", model.toString(), "--input", img.toString(), "--top", "5", "--labels",
                        labels.toString());
                assertEquals(0, w.status(), name + " " + image + ": " + w.err());
                Result t = run("run", model.toString(), "--input", img.toString(), "--top", "5", "--labels",
                        labels.toString(), "--backend", "tflite", "--no-xnnpack");
                assertEquals(0, t.status(), t.err());
                List<String> top = topClasses(w.out());
                assertEquals(5, top.size(), w.out());
                assertEquals(topClasses(t.out()), top, name + " " + image);
                if (image.equals("grace_hopper.bmp") && name.startsWith("mobilenet_v2")) {
                    assertTrue(top.get(0).contains("military uniform"), w.out());
                }
            }
        }
    }

    @Test
    void int8ImageModelRunsOnWhittleAsOnTflite(@TempDir Path tmp) {
        Path model = SharedData.model("person_detect_int8.tflite");
        Path img = SharedData.image("grace_hopper.bmp");
        Result w = run("run", model.toString(), "--input", img.toString(), "--output-dir", tmp.resolve("w").toString());
        assertEquals(0, w.status(), w.err());
        Result t = run("run", model.toString(), "--input", img.toString(), "--backend", "tflite", "--no-xnnpack",
                "--output-dir", tmp.resolve("t").toString());
        assertEquals(0, t.status(), t.err());
        assertEquals(Npy.read(tmp.resolve("t/output_0.npy")), Npy.read(tmp.resolve("w/output_0.npy")));
    }

    @Test
    void anOperatorWhittleLacksSuggestsTheTfliteBackend(@TempDir Path tmp) throws Exception {
        ModelBuilder b = new ModelBuilder("cumsum");
        int x = b.input("x", TensorType.FLOAT32, 2, 3);
        int axis = b.constant("axis", new int[] {1});
        int y = b.op(BuiltinOperator.CUMSUM, null, new int[] {x, axis},
                ModelBuilder.TensorSpec.of("y", TensorType.FLOAT32, 2, 3));
        Path model = tmp.resolve("cumsum.tflite");
        Files.write(model, ModelWriter.toBytes(b.output(y).build()));
        Path in = tmp.resolve("x.npy");
        ByteBuffer data = ByteBuffer.allocate(24).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < 6; i++) {
            data.putFloat(i * 4, i + 1);
        }
        Npy.write(in, new TensorData(TensorType.FLOAT32, new int[] {2, 3}, data));

        Result r = run("run", model.toString(), "--input", in.toString());
        assertEquals(1, r.status(), "the exit status of the other typed errors");
        assertTrue(r.err().startsWith("whittle: error: cumsum.tflite: Whittle's runtime cannot run this model:"
                + " operator 0 (CUMSUM)"), r.err());
        assertTrue(r.err().contains("no kernel for this operator") && r.err().contains("--backend tflite"), r.err());
        assertTrue(r.out().isEmpty(), r.out());

        Result t = run("run", model.toString(), "--input", in.toString(), "--backend", "tflite",
                "--output-dir", tmp.resolve("t").toString());
        assertEquals(0, t.status(), t.err());
        assertEquals(15.0, Npy.read(tmp.resolve("t/output_0.npy")).getDouble(5), 0, "running sum along rows: 4 + 5 + 6");
    }

    @Test
    void whittleResizesInputsAndRefusesShapesTheModelCannotTake(@TempDir Path tmp) throws Exception {
        Path hello = SharedData.model("hello_world_float.tflite");
        Path three = tmp.resolve("three.npy");
        ByteBuffer b = ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN);
        b.putFloat(0, 0f).putFloat(4, (float) (Math.PI / 2)).putFloat(8, (float) Math.PI);
        Npy.write(three, new TensorData(TensorType.FLOAT32, new int[] {3, 1}, b));
        Result r = run("run", hello.toString(), "--input", three.toString(), "--output-dir", tmp.resolve("o").toString());
        assertEquals(0, r.status(), r.err());
        TensorData y = Npy.read(tmp.resolve("o/output_0.npy"));
        assertArrayEquals(new int[] {3, 1}, y.shape(), "a batch of three through the recompiled model");
        assertEquals(1.0, y.getDouble(1), 0.15, "the sine model at pi/2");

        Path rank3 = tmp.resolve("rank3.npy");
        Npy.write(rank3, TensorData.zeros(TensorType.FLOAT32, 1, 1, 1));
        r = run("run", hello.toString(), "--input", rank3.toString());
        assertEquals(1, r.status());
        assertTrue(r.err().contains("expects FLOAT32[1, 1], got FLOAT32[1, 1, 1]"), r.err());

        Path mobilenet = SharedData.model("mobilenet_v1_0.25_224_float.tflite");
        Path fourChannels = tmp.resolve("rgba.npy");
        Npy.write(fourChannels, TensorData.zeros(TensorType.FLOAT32, 1, 16, 16, 4));
        r = run("run", mobilenet.toString(), "--input", fourChannels.toString());
        assertEquals(1, r.status());
        assertTrue(r.err().contains("input 0 'input' is FLOAT32[1, 224, 224, 3]; the model cannot take the shape"
                + " [1, 16, 16, 4]"), r.err());
        assertTrue(r.err().contains("operator 0 (CONV_2D)"), r.err());
        assertTrue(!r.err().contains("internal error"), r.err());
    }

    @Test
    void runRepairsPersonDetectInMemory() {
        Path model = SharedData.model("person_detect_int8.tflite");
        Path img = SharedData.image("grace_hopper.bmp");
        Result r = run("run", model.toString(), "--input", img.toString(), "--backend", "tflite");
        assertEquals(0, r.status(), r.err());
        assertTrue(r.err().contains("repaired in memory"), r.err());
        Result refused = run("run", model.toString(), "--input", img.toString(), "--no-repair", "--backend", "tflite");
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
        assertTrue(r.err().contains("t.npy") && r.err().contains("truncated"), r.err());

        r = run("run", model.toString(), "--input", wrongType.toString(), "--input", wrongType.toString());
        assertEquals(1, r.status());
        assertTrue(r.err().contains("has 1 input(s), 2 --input given"), r.err());

        r = run("run", tmp.resolve("missing.tflite").toString(), "--input", wrongType.toString());
        assertEquals(1, r.status());
        assertTrue(r.err().contains("not found"), r.err());

        r = run("run", model.toString(), "--input", wrongType.toString(), "--backend", "onnx");
        assertEquals(1, r.status());
        assertTrue(r.err().contains("unknown backend"), r.err());

        // The same bad inputs on the TFLite backend: the same typed errors.
        r = run("run", model.toString(), "--input", wrongType.toString(), "--backend", "tflite");
        assertEquals(1, r.status());
        assertTrue(r.err().contains("float32") && r.err().contains("int32"), r.err());
        r = run("run", model.toString(), "--input", truncated.toString(), "--backend", "tflite");
        assertEquals(1, r.status());
        assertTrue(r.err().contains("t.npy") && r.err().contains("truncated"), r.err());

        Path image = SharedData.image("grace_hopper.bmp");
        r = run("run", model.toString(), "--input", image.toString());
        assertEquals(1, r.status());
        assertTrue(r.err().contains("image input needs an NHWC shape"), r.err());

        r = run("run", model.toString(), "--input", wrongType.toString(), "--labels", tmp.resolve("none.txt").toString());
        assertEquals(1, r.status());
        assertTrue(r.err().contains("labels file not found"), r.err());

        r = run("run", model.toString(), "--input", wrongType.toString(), "--threads", "0");
        assertEquals(1, r.status());
        assertTrue(r.err().contains("--threads must be at least 1"), r.err());
        r = run("run", model.toString(), "--input", wrongType.toString(), "--no-xnnpack");
        assertEquals(1, r.status());
        assertTrue(r.err().contains("--backend tflite"), r.err());
    }

    @Test
    void runOnEdgeTpuModelFailsNamingTheCustomOpOnBothBackends() {
        Path model = SharedData.model("mobilenet_v1_0.25_128_quant_edgetpu.tflite");
        Path img = SharedData.image("grace_hopper.bmp");
        Result r = run("run", model.toString(), "--input", img.toString(), "--backend", "tflite");
        assertEquals(1, r.status());
        assertTrue(r.err().contains("edgetpu-custom-op"), r.err());
        Result w = run("run", model.toString(), "--input", img.toString());
        assertEquals(1, w.status());
        assertTrue(w.err().contains("(edgetpu-custom-op)") && w.err().contains("Whittle's runtime cannot run"), w.err());
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
