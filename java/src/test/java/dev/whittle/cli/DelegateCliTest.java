package dev.whittle.cli;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.whittle.edgetpu.EdgeTpuRuntime;
import dev.whittle.testing.FakeEdgeTpu;
import dev.whittle.testing.SharedData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code whittle devices} and {@code --delegate} on {@code run} and {@code bench}. */
class DelegateCliTest {
    @Test
    void devicesWithoutLibedgetpuSaysHowToInstallAndSucceeds() {
        String old = System.getProperty(EdgeTpuRuntime.PROPERTY);
        System.setProperty(EdgeTpuRuntime.PROPERTY, "/nonexistent/libedgetpu.so.1");
        try {
            CliTest.Result r = CliTest.run("devices");
            assertEquals(0, r.status(), r.err());
            assertTrue(r.out().contains("/nonexistent/libedgetpu.so.1") && r.out().contains("libedgetpu1-std"), r.out());
            assertTrue(r.out().contains("cpu "), r.out());
        } finally {
            restore(old);
        }
    }

    @Test
    void devicesListsTheFakeDevicesAndVersion() throws Exception {
        FakeEdgeTpu fake = FakeEdgeTpu.get();
        fake.reset();
        fake.configure("devices", "2");
        fake.with(() -> {
            CliTest.Result r = CliTest.run("devices");
            assertEquals(0, r.status(), r.err());
            assertTrue(r.out().contains("RuntimeVersion(14)"), r.out());
            assertTrue(r.out().contains("usb  /dev/fake_edgetpu_0") && r.out().contains("pci  /dev/fake_edgetpu_1"),
                    r.out());
            JsonObject o = JsonParser.parseString(CliTest.run("devices", "--json").out()).getAsJsonObject();
            assertEquals(2, o.getAsJsonObject("edgetpu").getAsJsonArray("devices").size());
            assertTrue(o.getAsJsonObject("cpu").has("features"));
        });
        fake.reset();
    }

    @Test
    void runCompiledModelWithTheEdgeTpuDelegate(@TempDir Path dir) throws Exception {
        Path m = SharedData.model("mobilenet_v1_0.25_128_quant_edgetpu.tflite");
        FakeEdgeTpu fake = FakeEdgeTpu.get();
        fake.reset();
        Path in = dir.resolve("in.npy");
        byte[] pixels = new byte[128 * 128 * 3];
        java.util.Arrays.fill(pixels, (byte) 1);
        dev.whittle.io.Npy.write(in, new dev.whittle.TensorData(dev.whittle.model.TensorType.UINT8,
                new int[] {1, 128, 128, 3}, java.nio.ByteBuffer.wrap(pixels)));
        fake.with(() -> {
            // --delegate implies --backend tflite
            CliTest.Result r = CliTest.run("run", m.toString(), "--delegate", "edgetpu,Performance=high", "--input",
                    in.toString(), "--output-dir", dir.toString());
            assertEquals(0, r.status(), r.err());
            assertTrue(r.out().contains("delegate edgetpu usb /dev/fake_edgetpu_0 {Performance=High}"), r.out());
            byte[] out = dev.whittle.io.Npy.read(dir.resolve("output_0.npy")).bytes();
            org.junit.jupiter.api.Assertions.assertArrayEquals(FakeEdgeTpu.predict(pixels, 0, 0, 1001), out);
            // no device: the clear error, exit 1
            fake.configure("devices", "0");
            CliTest.Result none = CliTest.run("run", m.toString(), "--delegate", "edgetpu", "--input", in.toString());
            assertEquals(1, none.status());
            assertTrue(none.err().contains("no Edge TPU found"), none.err());
        });
        fake.reset();
        CliTest.Result whittle = CliTest.run("run", m.toString(), "--backend", "whittle", "--delegate", "edgetpu",
                "--input", in.toString());
        assertEquals(1, whittle.status());
        assertTrue(whittle.err().contains("--delegate applies to --backend tflite"), whittle.err());
        CliTest.Result bad = CliTest.run("run", m.toString(), "--delegate", "edgetpu:usb:pci", "--input", in.toString());
        assertEquals(1, bad.status());
        assertTrue(bad.err().contains("bad delegate spec"), bad.err());
        CliTest.Result plain = CliTest.run("run", m.toString(), "--input", in.toString());
        assertEquals(1, plain.status());
        assertTrue(plain.err().contains("--backend tflite --delegate edgetpu"), plain.err());
    }

    @Test
    void benchAddsADelegateContender() throws Exception {
        Path m = SharedData.model("mobilenet_v1_0.25_128_quant.tflite");
        CliTest.Result r = CliTest.run("bench", m.toString(), "--delegate", "xnnpack,threads=1", "--iterations", "3",
                "--warmup", "1", "--warmup-ms", "0", "--json");
        assertEquals(0, r.status(), r.err());
        JsonObject o = JsonParser.parseString(r.out()).getAsJsonObject();
        assertTrue(o.has("tflite+xnnpack,threads=1_p50_ms"), r.out());
        assertEquals(o.get("output_vs_tflite").getAsString(), o.get("output_vs_tflite+xnnpack,threads=1").getAsString());
        Path compiled = SharedData.model("mobilenet_v1_0.25_128_quant_edgetpu.tflite");
        CliTest.Result no = CliTest.run("bench", compiled.toString(), "--iterations", "1");
        assertEquals(1, no.status());
        assertTrue(no.err().contains("--delegate edgetpu"), no.err());
        FakeEdgeTpu fake = FakeEdgeTpu.get();
        fake.reset();
        fake.with(() -> {
            CliTest.Result tpu = CliTest.run("bench", compiled.toString(), "--delegate", "edgetpu", "--iterations", "3",
                    "--warmup", "1", "--warmup-ms", "0");
            assertEquals(0, tpu.status(), tpu.err());
            assertTrue(tpu.out().contains("tflite+edgetpu"), tpu.out());
        });
        assertTrue(Files.isRegularFile(compiled));
    }

    private static void restore(String old) {
        if (old == null) {
            System.clearProperty(EdgeTpuRuntime.PROPERTY);
        } else {
            System.setProperty(EdgeTpuRuntime.PROPERTY, old);
        }
    }
}
