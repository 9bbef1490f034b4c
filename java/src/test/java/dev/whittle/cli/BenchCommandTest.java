package dev.whittle.cli;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.whittle.model.BuiltinOperator;
import dev.whittle.model.BuiltinOptions;
import dev.whittle.model.ModelBuilder;
import dev.whittle.model.ModelBuilder.TensorSpec;
import dev.whittle.model.Quantization;
import dev.whittle.model.TensorType;
import dev.whittle.model.io.ModelWriter;
import dev.whittle.runtime.kernels.KernelPath;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code whittle bench} on a small int8 FULLY_CONNECTED model, with few rounds. */
class BenchCommandTest {
    record Result(int status, String out, String err) {
    }

    static Result run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int status = Main.execute(new PrintWriter(out, true), new PrintWriter(err, true), args);
        return new Result(status, out.toString(), err.toString());
    }

    @AfterEach
    void clearProperty() {
        System.clearProperty(KernelPath.PROPERTY);
        System.clearProperty(dev.whittle.runtime.kernels.WeightFormat.PROPERTY);
    }

    static Path fcModel(Path dir) throws Exception {
        ModelBuilder b = new ModelBuilder("bench_fc");
        int x = b.input("x", TensorType.INT8, Quantization.perTensor(0.05f, -3), 1, 64);
        byte[] w = new byte[33 * 64];
        new SplittableRandom(1).nextBytes(w);
        for (int i = 0; i < w.length; i++) {
            w[i] = w[i] == -128 ? 0 : w[i];
        }
        float[] scales = new float[33];
        java.util.Arrays.fill(scales, 0.02f);
        int wt = b.constant("w", w, Quantization.perAxis(scales, new long[33], 0), 33, 64);
        b.output(b.op(BuiltinOperator.FULLY_CONNECTED, 11, BuiltinOptions.of("FullyConnectedOptions"),
                new int[] {x, wt, -1}, TensorSpec.quantized("y", TensorType.INT8, Quantization.perTensor(0.5f, 2), 1, 33))[0]);
        Path p = dir.resolve("fc.tflite");
        ModelWriter.write(b.build(), p);
        return p;
    }

    @Test
    void textWithProfile(@TempDir Path tmp) throws Exception {
        Result r = run("bench", fcModel(tmp).toString(), "--warmup", "2", "--warmup-ms", "0", "--iterations", "5", "--profile",
                "--compare", "both");
        assertEquals(0, r.status(), r.err());
        assertTrue(r.out().contains("whittle") && r.out().contains("tflite-builtin") && r.out().contains("p99 ms"),
                r.out());
        assertTrue(r.out().contains("output 0 vs tflite-builtin: identical (33 elements)"), r.out());
        assertTrue(r.out().contains("FullyConnected") && r.out().contains("qs8_qc8w_fully_connected_gemm_"), r.out());
    }

    @Test
    void compareDenseReportsBothRunsAndTheirWeights(@TempDir Path tmp) throws Exception {
        Result r = run("bench", fcModel(tmp).toString(), "--warmup", "1", "--warmup-ms", "0", "--iterations", "3", "--json",
                "--kernels", "auto", "--compare", "dense");
        assertEquals(0, r.status(), r.err());
        JsonObject o = JsonParser.parseString(r.out()).getAsJsonObject();
        for (String key : new String[] {"auto_p50_ms", "dense_p50_ms", "ratio", "auto_weight_bytes",
                "dense_weight_bytes", "layers", "peak_rss_bytes"}) {
            assertTrue(o.has(key), key + " missing from " + r.out());
        }
        assertEquals("identical (33 elements)", o.get("output_vs_dense").getAsString());
        JsonObject layer = o.getAsJsonArray("layers").get(0).getAsJsonObject();
        assertEquals("FullyConnected", layer.get("op").getAsString());
        assertTrue(layer.get("why").getAsString().contains("zeros"), layer.toString());
        assertTrue(layer.get("dense_kernel").getAsString().contains("fully_connected"), layer.toString());
        assertTrue(o.get("dense_weight_bytes").getAsLong() >= 33 * 64, r.out());

        Result text = run("bench", fcModel(tmp).toString(), "--warmup", "1", "--warmup-ms", "0", "--iterations", "3",
                "--kernels", "dense,reference", "--compare", "dense");
        assertEquals(0, text.status(), text.err());
        assertTrue(text.out().contains("weights (dense): 2,112 bytes resident (dense: 2,112 bytes, 100.0%)"), text.out());
        assertTrue(text.out().contains("fully_connected__reference") || text.out().contains("qs8_qc8w_fully_connected"),
                text.out());

        Result bad = run("bench", fcModel(tmp).toString(), "--kernels", "sparse24");
        assertEquals(1, bad.status(), bad.out() + bad.err());
        assertTrue(bad.err().contains("sparse24"), bad.err());
    }

    @Test
    void tfliteIsaCapIsReportedAndBadValuesRefused(@TempDir Path tmp) throws Exception {
        // native: no cap (the cap itself, which changes the process for good, is
        // TfliteCpuFeaturesTest's, in a child JVM)
        Result r = run("bench", fcModel(tmp).toString(), "--warmup", "1", "--warmup-ms", "0", "--iterations", "3", "--json",
                "--tflite-isa", "native");
        assertEquals(0, r.status(), r.err());
        assertEquals("native", JsonParser.parseString(r.out()).getAsJsonObject().get("tflite_isa").getAsString());
        Result bad = run("bench", fcModel(tmp).toString(), "--tflite-isa", "avx512");
        assertEquals(1, bad.status(), bad.out() + bad.err());
        assertTrue(bad.err().contains("--tflite-isa") && bad.err().contains("avx512"), bad.err());
    }

    @Test
    void vectorApiKernelsWarmUpLongerUnlessTold() {
        BenchCommand b = new BenchCommand();
        b.warmupMs = -1; // not given
        assertEquals(BenchCommand.VECTOR_API_WARMUP_MS * 1_000_000L, b.warmupNanos("panama512 x28, reference x2, java x1"));
        assertEquals(BenchCommand.DEFAULT_WARMUP_MS * 1_000_000L, b.warmupNanos("avx512vnni x28, reference x2, java x1"));
        b.warmupMs = 300;
        assertEquals(300_000_000L, b.warmupNanos("panama512 x28"));
        b.warmupMs = 0;
        assertEquals(0, b.warmupNanos("panama256 x5"));
    }

    @Test
    void multiThreadBlocksLastAboutTenMillisecondsAndTakeTurns() {
        // 0.1 ms invokes: 100 per block, but at most a quarter of the rounds.
        assertEquals(100, BenchCommand.blockSize(1000, 100_000));
        assertEquals(50, BenchCommand.blockSize(200, 100_000));
        // Slow invokes and unknown times: the floor of 10.
        assertEquals(10, BenchCommand.blockSize(1000, 5_000_000));
        assertEquals(10, BenchCommand.blockSize(1000, 0));
        // Few rounds: never more than the rounds.
        assertEquals(3, BenchCommand.blockSize(3, 100_000));
        assertEquals(10, BenchCommand.blockSize(20, 1_000));
    }

    @Test
    void jsonOnTheReferencePath(@TempDir Path tmp) throws Exception {
        Result r = run("bench", fcModel(tmp).toString(), "--warmup", "1", "--warmup-ms", "0", "--iterations", "3", "--json",
                "--kernels", "reference", "--threads", "2");
        assertEquals(0, r.status(), r.err());
        JsonObject o = JsonParser.parseString(r.out()).getAsJsonObject();
        for (String key : new String[] {"whittle_p50_ms", "tflite_p50_ms", "ratio", "threads", "kernel_path"}) {
            assertTrue(o.has(key), key + " missing from " + r.out());
        }
        assertEquals(2, o.get("threads").getAsInt());
        assertEquals(2, o.get("whittle_threads").getAsInt());
        assertEquals("reference x1", o.get("kernel_path").getAsString());
        assertTrue(o.get("ratio").getAsDouble() > 0);
    }

    @Test
    void inspectRuntimeListsKernelsBytesAndWhy(@TempDir Path tmp) throws Exception {
        Result r = run("inspect", "--runtime", "--kernels", "dense", fcModel(tmp).toString());
        assertEquals(0, r.status(), r.err());
        assertTrue(r.out().contains("runtime (weights dense"), r.out());
        assertTrue(r.out().contains("FullyConnected") && r.out().contains("dense (--kernels dense)"), r.out());
        Result j = run("inspect", "--runtime", "--json", fcModel(tmp).toString());
        assertEquals(0, j.status(), j.err());
        JsonObject rt = JsonParser.parseString(j.out()).getAsJsonObject().getAsJsonObject("runtime");
        assertTrue(rt.get("weight_bytes").getAsLong() >= 33 * 64, j.out());
        assertTrue(rt.getAsJsonArray("ops").get(0).getAsJsonObject().has("why"), j.out());
    }

    @Test
    void badOptionsAreUsageErrors(@TempDir Path tmp) throws Exception {
        Path m = fcModel(tmp);
        Result r = run("bench", m.toString(), "--compare", "onnx");
        assertEquals(1, r.status());
        assertTrue(r.err().contains("--compare onnx"), r.err());
        r = run("bench", m.toString(), "--kernels", "sse9");
        assertEquals(1, r.status());
        assertTrue(r.err().contains("whittle.kernels=sse9"), r.err());
    }
}
