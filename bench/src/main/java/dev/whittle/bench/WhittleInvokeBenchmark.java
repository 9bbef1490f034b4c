package dev.whittle.bench;

import dev.whittle.model.Model;
import dev.whittle.model.io.ModelReader;
import dev.whittle.model.io.ModelRepair;
import dev.whittle.runtime.CompiledModel;
import dev.whittle.runtime.ExecutionContext;
import dev.whittle.runtime.kernels.KernelPath;
import dev.whittle.TensorData;
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
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * Whittle's side of {@link TfliteInvokeBenchmark}: latency of one {@code invoke()} of the
 * compiled model on the same models, per kernel path ({@code auto} = what dispatch picks,
 * {@code java} = the Java path only) and intra-op thread count.
 *
 * <p>Run with {@code -prof gc} to see that an invoke allocates nothing
 * ({@code gc.alloc.rate.norm} near 0 B/op): the context's arena, the workers' scratch and
 * the thread pool are all created in the trial setup, and the benchmark returns a byte read
 * straight from the output tensor's memory instead of a copy of the output.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
@State(Scope.Benchmark)
public class WhittleInvokeBenchmark {
    @Param({
            "mobilenet_v2_1.0_224_quant.tflite",
            "mobilenet_v1_0.25_224_quant.tflite",
            "mobilenet_v1_0.25_224_float.tflite",
            "person_detect_int8.tflite"})
    public String model;

    /** {@code auto}, {@code java}, {@code avx2}, ... ({@code -Dwhittle.kernels}). */
    @Param({"auto", "java"})
    public String kernels;

    @Param({"1", "2"})
    public int threads;

    private ExecutionContext context;
    private CompiledModel compiled;

    @Setup(Level.Trial)
    public void create() {
        Model parsed = ModelReader.read(SharedModels.read(model));
        ModelRepair.repair(parsed);
        System.setProperty(KernelPath.PROPERTY, kernels);
        try {
            compiled = CompiledModel.compile(parsed);
        } finally {
            System.clearProperty(KernelPath.PROPERTY);
        }
        context = compiled.newContext(threads);
        SplittableRandom random = new SplittableRandom(42);
        for (int i = 0; i < compiled.inputCount(); i++) {
            var t = compiled.tensorInfo(compiled.inputTensorIndex(i));
            ByteBuffer data = ByteBuffer.allocate(Math.toIntExact(t.type().bytesFor(t.elementCount())))
                    .order(ByteOrder.LITTLE_ENDIAN);
            switch (t.type()) {
                case FLOAT32 -> {
                    while (data.hasRemaining()) {
                        data.putFloat((float) (random.nextDouble() * 2 - 1));
                    }
                }
                default -> {
                    while (data.hasRemaining()) {
                        data.put((byte) random.nextInt(256));
                    }
                }
            }
            data.flip();
            context.setInput(i, new TensorData(t.type(), t.shape(), data));
        }
        context.invoke();
        System.out.println("# " + model + " kernels " + kernels + ": "
                + dev.whittle.runtime.OpProfile.kernelNames(compiled).stream().distinct().toList());
    }

    @TearDown(Level.Trial)
    public void close() {
        context.close();
    }

    @Benchmark
    public int invoke() {
        context.invoke();
        return context.outputByte(0, 0);
    }
}
