package dev.whittle.runtime;

import dev.whittle.TensorData;
import dev.whittle.model.Model;
import dev.whittle.model.io.ModelReader;
import dev.whittle.model.io.ModelWriter;
import dev.whittle.optimize.ClusterOptions;
import dev.whittle.optimize.Clusterer;
import dev.whittle.optimize.PruneOptions;
import dev.whittle.optimize.Pruner;
import dev.whittle.optimize.WeightSelection;
import dev.whittle.quantize.CalibrationData;
import dev.whittle.quantize.Calibrator;
import dev.whittle.quantize.QuantizeOptions;
import dev.whittle.quantize.Quantizer;
import dev.whittle.quantize.RangeMethod;
import dev.whittle.runtime.kernels.KernelFamily;
import dev.whittle.runtime.kernels.KernelRegistry;
import dev.whittle.runtime.kernels.WeightFormat;
import dev.whittle.testing.SharedData;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Whole pruned and clustered models, made by Whittle's own pruner, clusterer and quantizer from
 * the shared models, run with each weight format: bit-exact to Whittle's dense run and to
 * TFLite's builtin kernels (every tensor, through {@link Differential}); where this machine
 * has kernels of the format, the test also asserts they were chosen for some layers, so it
 * cannot compare the dense path with itself.
 */
class WeightFormatModelsTest {
    private static final String QUANT = "mobilenet_v1_0.25_224_quant.tflite";
    private static final String FLOAT = "mobilenet_v1_0.25_224_float.tflite";
    /** The first convolution has 3 input channels: no M:N pattern divides them. */
    private static final WeightSelection SKIP_FIRST = new WeightSelection(null, "Conv2d_0/", false);

    @AfterEach
    void clear() {
        System.clearProperty(WeightFormat.PROPERTY);
    }

    record Variant(String name, java.util.function.Supplier<Model> model, WeightFormat format, String tag,
            List<KernelFamily<?>> families) {
    }

    @TestFactory
    Stream<DynamicTest> prunedAndClusteredModels() {
        SharedData.assumeAvailable();
        List<KernelFamily<?>> sp24 = List.of(KernelRegistry.CONV2D_SP24, KernelRegistry.FULLY_CONNECTED_SP24);
        List<KernelFamily<?>> sparse = List.of(KernelRegistry.CONV2D_SPARSE, KernelRegistry.FULLY_CONNECTED_SPARSE);
        List<KernelFamily<?>> lut = List.of(KernelRegistry.CONV2D_LUT, KernelRegistry.FULLY_CONNECTED_LUT);
        return Stream.of(
                new Variant("uint8 pruned 2:4", () -> prune(read(QUANT), PruneOptions.pattern(2, 4)), WeightFormat.SPARSE,
                        "_sp24_", sp24),
                new Variant("uint8 pruned 2:4, auto", () -> prune(read(QUANT), PruneOptions.pattern(2, 4)),
                        WeightFormat.AUTO, null, sp24),
                new Variant("uint8 pruned 85%", () -> prune(read(QUANT), PruneOptions.sparsity(0.85)), WeightFormat.SPARSE,
                        "_sparse_", sparse),
                new Variant("uint8 clustered 16 per channel", () -> new Clusterer(ClusterOptions.of(16)
                        .withPerChannel(true), null).apply(read(QUANT)).model(), WeightFormat.LUT, "_lut", lut),
                new Variant("float pruned 2:4 then int8", () -> int8(prune(read(FLOAT), PruneOptions.pattern(2, 4))),
                        WeightFormat.SPARSE, "_sp24_", sp24),
                new Variant("float clustered 16 per channel then int8", () -> int8(new Clusterer(ClusterOptions.of(16)
                        .withPerChannel(true), null).apply(read(FLOAT)).model()), WeightFormat.LUT, "_lut", lut))
                .map(v -> DynamicTest.dynamicTest(v.name(), () -> check(v)));
    }

    private static void check(Variant v) {
        Model m = ModelReader.read(ModelWriter.toBytes(v.model().get()));
        System.setProperty(WeightFormat.PROPERTY, "dense");
        CompiledModel dense = CompiledModel.compile(m);
        System.setProperty(WeightFormat.PROPERTY, v.format().label());
        CompiledModel formatted = CompiledModel.compile(m);
        List<String> kernels = OpProfile.kernelNames(formatted);
        boolean available = v.families().stream().anyMatch(f -> !KernelRegistry.available(f).isEmpty());
        if (v.tag() != null && available) {
            assertTrue(kernels.stream().anyMatch(k -> k.contains(v.tag())), v.name() + ": no " + v.tag()
                    + " kernel chosen: " + OpProfile.kernelChoices(formatted));
        }
        // 12-byte LUT tables (issue 9, table bytes) wherever the VBMI2 kernel can run
        if (v.format() == WeightFormat.LUT && dev.whittle.CpuFeatures.detect().has(dev.whittle.CpuFeatures.Feature.AVX512_VBMI2)
                && dev.whittle.CpuFeatures.detect().has(dev.whittle.CpuFeatures.Feature.AVX512_VNNI)
                && dev.whittle.runtime.kernels.NativeKernels.has("whittle_qu8_conv2d_lut4vbmi2_16x16c4__avx512vnni")) {
            assertTrue(kernels.stream().anyMatch(k -> k.contains("_lut4vbmi2_")), v.name() + ": "
                    + OpProfile.kernelChoices(formatted));
        }
        // the optimizer made what the format needs (measured by the runtime at prepare)
        List<OpProfile.KernelChoice> choices = OpProfile.kernelChoices(dense);
        if (v.name().contains("2:4")) {
            List<OpProfile.KernelChoice> convs = choices.stream().filter(c -> c.op().equals("Conv2D")).toList();
            assertTrue(convs.size() > 10 && convs.stream().skip(1).allMatch(c -> c.why().contains(", 2:4")),
                    choices.toString());
        }
        if (v.name().contains("clustered 16")) {
            assertTrue(choices.stream().filter(c -> c.op().equals("Conv2D")).allMatch(
                    c -> c.why().matches(".*\\((\\d|1[0-6])/channel\\)")), choices.toString());
        }
        for (long seed = 1; seed <= 2; seed++) {
            List<TensorData> inputs = Differential.randomInputs(dense, seed);
            assertArrayEquals(run(dense, inputs), run(formatted, inputs), v.name() + " differs from dense, seed " + seed);
        }
        // every tensor against TFLite's builtin kernels, with the property still in force
        Differential.Result r = Differential.compare(v.name(), m, 3);
        assertEquals(0, r.maxLsb(), v.name() + ": integer tensors differ from TFLite");
    }

    private static byte[] run(CompiledModel m, List<TensorData> inputs) {
        try (ExecutionContext ctx = m.newContext(2)) {
            for (int i = 0; i < inputs.size(); i++) {
                ctx.setInput(i, inputs.get(i));
            }
            ctx.invoke();
            return ctx.output(0).bytes();
        }
    }

    private static Model read(String name) {
        return ModelReader.read(SharedData.model(name));
    }

    private static Model prune(Model m, PruneOptions o) {
        return new Pruner(o.withSelection(SKIP_FIRST), null).apply(m).model();
    }

    /** int8 with random calibration (MINMAX: no histogram pass). */
    private static Model int8(Model m) {
        int[] shape = m.mainGraph().tensor(m.mainGraph().inputs()[0]).shape();
        CalibrationData d = CalibrationData.open("random", shape,
                CalibrationData.Options.defaults().withSamples(3).withSeed(5));
        Calibrator.ActivationStats stats = Calibrator.collect(m, d, shape, false, Calibrator.Progress.NONE);
        return Quantizer.quantize(m, QuantizeOptions.of(QuantizeOptions.Mode.INT8).withMethod(RangeMethod.MINMAX), stats)
                .model();
    }
}
