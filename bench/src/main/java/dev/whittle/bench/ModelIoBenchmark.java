package dev.whittle.bench;

import dev.whittle.model.Model;
import dev.whittle.model.io.ModelReader;
import dev.whittle.model.io.ModelWriter;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.util.concurrent.TimeUnit;

/**
 * Cost of turning {@code .tflite} bytes into a {@link Model} and back, on real models from
 * the shared folder: a few KB (hello_world) up to 3.6 MB (MobileNet v2), int8, uint8 and
 * float.
 *
 * <p>{@code read} is {@link ModelReader#read(byte[])}, the validating entry point every
 * tool uses, so graph validation is part of the number. {@code write} is
 * {@link ModelWriter#toBytes(Model)}, which validates too, then builds the flatbuffer with
 * the constants inline.
 *
 * <p>Throughput mode, so each row reads as models per second; the auxiliary counter
 * {@code megabytes} adds the same rate in MB/s (10^6 bytes of the {@code .tflite} file per
 * second) so that models of different size compare directly.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
@State(Scope.Benchmark)
public class ModelIoBenchmark {
    @Param({
            "mobilenet_v2_1.0_224_quant.tflite",
            "mobilenet_v1_0.25_224_float.tflite",
            "person_detect_int8.tflite",
            "hello_world_int8.tflite"})
    public String model;

    /** The file's bytes; not final, so the JIT cannot treat the input as a constant. */
    private byte[] bytes;
    /** The parsed model that {@code write} serializes. */
    private Model parsed;

    @Setup(Level.Trial)
    public void load() {
        bytes = SharedModels.read(model);
        // person_detect's per-tensor quantization names a dimension out of range: read() only
        // warns about it (ModelRepair fixes it), and the writer accepts it unchanged.
        parsed = ModelReader.read(bytes);
    }

    /**
     * Counts the bytes processed, per thread and per iteration, so that JMH reports them as a
     * rate next to the operations. Incrementing a double costs a nanosecond against
     * microseconds of parsing, so it does not distort the primary result.
     */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    public static class Bytes {
        /** MB (10^6 bytes) of model file read or written; reported as MB per second. */
        public double megabytes;

        @Setup(Level.Iteration)
        public void reset() {
            megabytes = 0;
        }
    }

    @Benchmark
    public Model read(Bytes counter) {
        counter.megabytes += bytes.length / 1e6;
        return ModelReader.read(bytes);
    }

    @Benchmark
    public byte[] write(Bytes counter) {
        byte[] out = ModelWriter.toBytes(parsed);
        counter.megabytes += out.length / 1e6;
        return out;
    }
}
