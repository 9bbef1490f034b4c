package dev.whittle.bench;

import dev.whittle.TensorData;
import dev.whittle.model.Model;
import dev.whittle.model.TensorType;
import dev.whittle.model.io.ModelReader;
import dev.whittle.model.io.ModelRepair;
import dev.whittle.model.io.ModelWriter;
import dev.whittle.tflite.TensorInfo;
import dev.whittle.tflite.TfliteInterpreter;
import dev.whittle.tflite.TfliteOptions;
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
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * The reference side of later comparisons: latency of one TFLite {@code invoke()} on real
 * models, through {@link TfliteInterpreter} (bytedeco's TFLite 2.20).
 *
 * <p>Swept over XNNPACK on/off (the delegate TFLite applies by default, against its builtin
 * kernels) and 1 or 2 threads. Every model goes through {@link ModelRepair} first, because
 * TFLite refuses person_detect's out-of-range quantized dimension; for the other models the
 * repair changes nothing and the original file bytes are fed unchanged, so the reference runs
 * exactly the published file.
 *
 * <p>The input is filled once, deterministically (seeded), in the trial setup: convolution
 * cost does not depend on the values, and refilling per call would add a copy to the number.
 * The benchmark returns the first byte of output 0; reading it copies the output tensor
 * (at most a few KB for these classifiers), microseconds against milliseconds of invoke, and
 * it makes the measured call produce a value that the harness consumes.
 *
 * <p>Average-time mode in ms; run with {@code -bm sample} to get percentiles (p0.50 is the
 * median) from the same code.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
@State(Scope.Benchmark)
public class TfliteInvokeBenchmark {
    @Param({
            "mobilenet_v2_1.0_224_quant.tflite",
            "mobilenet_v1_0.25_224_quant.tflite",
            "mobilenet_v1_0.25_224_float.tflite",
            "person_detect_int8.tflite"})
    public String model;

    @Param({"true", "false"})
    public boolean xnnpack;

    @Param({"1", "2"})
    public int threads;

    /** Not final: JMH's rule for inputs, though here the work happens in native code. */
    private TfliteInterpreter interpreter;

    @Setup(Level.Trial)
    public void create() {
        byte[] bytes = SharedModels.read(model);
        Model parsed = ModelReader.read(bytes);
        List<String> changes = ModelRepair.repair(parsed);
        if (!changes.isEmpty()) {
            bytes = ModelWriter.toBytes(parsed);
            // One line in the fork's output, so that a reader of the results knows the
            // reference ran on a repaired model.
            System.out.println("# " + model + ": repaired before loading (" + changes.size() + " change(s)): "
                    + changes.getFirst());
        }
        interpreter = TfliteInterpreter.create(bytes,
                TfliteOptions.defaults().useXnnpack(xnnpack).threads(threads));
        SplittableRandom random = new SplittableRandom(42);
        for (int i = 0; i < interpreter.inputCount(); i++) {
            interpreter.setInput(i, fill(interpreter.inputInfo(i), random));
        }
        // The first invoke prepares delegate state and touches the arena; keep it out of warmup noise.
        interpreter.invoke();
    }

    @TearDown(Level.Trial)
    public void close() {
        interpreter.close();
    }

    @Benchmark
    public byte invoke() {
        interpreter.invoke();
        return interpreter.output(0).data().get(0);
    }

    /**
     * A tensor of the input's type and shape with seeded values: uniform bytes for 8-bit
     * inputs, and floats in [-1, 1) (the range MobileNet's float preprocessing produces) so
     * that no NaN or denormal changes the float kernels' speed.
     */
    static TensorData fill(TensorInfo info, SplittableRandom random) {
        ByteBuffer data = ByteBuffer.allocate(Math.toIntExact(info.bytes())).order(ByteOrder.LITTLE_ENDIAN);
        TensorType type = info.type();
        switch (type) {
            case UINT8, INT8 -> {
                while (data.hasRemaining()) {
                    data.put((byte) random.nextInt(256));
                }
            }
            case FLOAT32 -> {
                while (data.hasRemaining()) {
                    data.putFloat((float) random.nextDouble(-1.0, 1.0));
                }
            }
            default -> throw new IllegalStateException("input '" + info.name() + "' has type " + type
                    + "; this benchmark fills only uint8, int8 and float32 inputs");
        }
        data.flip();
        return new TensorData(type, info.shape(), data);
    }
}
