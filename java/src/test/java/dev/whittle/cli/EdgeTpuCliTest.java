package dev.whittle.cli;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.whittle.testing.SharedData;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code whittle edgetpu check}, {@code inspect} and {@code run} on Edge TPU models. */
class EdgeTpuCliTest {

    @Test
    void checkTextNamesTheFirstCpuOpAndTheHandoff() {
        Path m = SharedData.model("deeplabv3_mnv2_dm05_pascal_quant.tflite");
        CliTest.Result r = CliTest.run("edgetpu", "check", m.toString());
        assertEquals(0, r.status(), r.err());
        assertTrue(r.out().contains("edgetpu     64 of 72 operators"), r.out());
        assertTrue(r.out().contains("first cpu   operator 64 RESIZE_BILINEAR"), r.out());
        assertTrue(r.out().contains("handoff"), r.out());
        assertTrue(r.out().contains("verdict     partly"), r.out());
    }

    @Test
    void checkJsonListsEveryOperatorInOrder() {
        Path m = SharedData.model("deeplabv3_mnv2_dm05_pascal_quant.tflite");
        CliTest.Result r = CliTest.run("edgetpu", "check", "--json", m.toString());
        assertEquals(0, r.status(), r.err());
        JsonObject o = JsonParser.parseString(r.out()).getAsJsonObject();
        JsonArray ops = o.getAsJsonArray("ops");
        assertEquals(72, ops.size());
        for (int i = 0; i < ops.size(); i++) {
            JsonObject e = ops.get(i).getAsJsonObject();
            assertEquals(i, e.get("index").getAsInt());
            assertTrue(e.has("op") && e.has("reason"));
            assertEquals(i < 64 ? "edgetpu" : "cpu", e.get("target").getAsString(), e.toString());
        }
        assertEquals("CONV_2D", ops.get(0).getAsJsonObject().get("op").getAsString());
        JsonObject s = o.getAsJsonObject("summary");
        assertEquals(64, s.get("edgetpu").getAsInt());
        assertEquals(64, s.getAsJsonObject("first_cpu").get("index").getAsInt());
        assertEquals(2, s.getAsJsonArray("edgetpu_outputs").size());
    }

    @Test
    void checkOnAFloatModelNamesTheQuantizeFix() {
        Path m = SharedData.model("mobilenet_v1_0.25_224_float.tflite");
        CliTest.Result r = CliTest.run("edgetpu", "check", m.toString());
        assertEquals(0, r.status(), r.err());
        assertTrue(r.out().contains("float32"), r.out());
        assertTrue(r.out().contains("fix         quantize it to 8 bits") && r.out().contains("whittle quantize " + m
                + " --mode int8 --io uint8 --strict"), r.out());
        assertTrue(r.out().contains("30 more operator(s) (1 to 30) also compute on tensors that are not 8-bit"), r.out());
    }

    @Test
    void checkAndInspectOnACompiledModel() {
        Path m = SharedData.model("deeplabv3_mnv2_dm05_pascal_quant_edgetpu.tflite");
        CliTest.Result r = CliTest.run("edgetpu", "check", m.toString());
        assertEquals(0, r.status(), r.err());
        assertTrue(r.out().contains("custom op   0 edgetpu-custom-op"), r.out());
        assertTrue(r.out().contains("in  MobilenetV2/MobilenetV2/input uint8[1, 513, 513, 3]"), r.out());
        assertTrue(r.out().contains("8 operator(s) left on the CPU"), r.out());
        CliTest.Result j = CliTest.run("edgetpu", "check", "--json", m.toString());
        JsonObject o = JsonParser.parseString(j.out()).getAsJsonObject();
        assertTrue(o.get("compiled").getAsBoolean());
        assertEquals("edgetpu", o.getAsJsonArray("ops").get(0).getAsJsonObject().get("target").getAsString());
        assertEquals(2, o.getAsJsonArray("custom_ops").get(0).getAsJsonObject().getAsJsonArray("outputs").size());
        CliTest.Result i = CliTest.run("inspect", m.toString());
        assertTrue(i.out().contains("custom op   edgetpu-custom-op") && i.out().contains("run outside the custom op(s),"
                + " on the CPU"), i.out());
    }

    @Test
    void runOnTheWhittleBackendRefusesACompiledModel() {
        Path m = SharedData.model("mobilenet_v1_0.25_128_quant_edgetpu.tflite");
        // The refusal comes before the input is read: the input file need not even exist.
        CliTest.Result r = CliTest.run("run", m.toString(), "--input", "no_such_input.npy");
        assertEquals(1, r.status());
        assertTrue(r.err().contains("mobilenet_v1_0.25_128_quant_edgetpu.tflite: Whittle's runtime cannot run a compiled"),
                r.err());
        assertTrue(r.err().contains("requires the Edge TPU delegate (libedgetpu); run with --backend tflite --delegate"
                + " edgetpu"), r.err());
        assertFalse(r.err().contains("internal error"), r.err());
    }

    @Test
    void edgetpuWithoutSubcommandPrintsUsage() {
        CliTest.Result r = CliTest.run("edgetpu");
        assertEquals(0, r.status());
        assertTrue(r.out().contains("check"), r.out());
    }
}
