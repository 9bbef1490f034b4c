package dev.whittle.runtime;

import dev.whittle.TensorData;
import dev.whittle.model.Model;
import dev.whittle.model.io.ModelReader;
import dev.whittle.model.io.ModelWriter;
import dev.whittle.optimize.PruneOptions;
import dev.whittle.optimize.Pruner;
import dev.whittle.optimize.WeightSelection;
import dev.whittle.quantize.CalibrationData;
import dev.whittle.quantize.Calibrator;
import dev.whittle.quantize.QuantizeOptions;
import dev.whittle.quantize.Quantizer;
import dev.whittle.quantize.RangeMethod;
import dev.whittle.runtime.kernels.KernelPath;
import dev.whittle.runtime.kernels.KernelRegistry;
import dev.whittle.runtime.kernels.WeightFormat;
import dev.whittle.testing.SharedData;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * A whole 16x8 2:4 model made by Whittle's own tools (MobileNet v1 0.25 float, pruned 2:4 with the
 * first convolution skipped, quantized int16x8 with random calibration) runs identically on the
 * 2:4 kernels ({@code --kernels sparse} and {@code auto}) and on the dense path, at 1 and 2
 * threads, and tensor by tensor like TFLite's builtin kernels.
 */
class Qs16Sp24ModelTest {
    private static Model model;

    @BeforeAll
    static void make() {
        SharedData.assumeAvailable();
        Model f = ModelReader.read(SharedData.model("mobilenet_v1_0.25_224_float.tflite"));
        Model pruned = new Pruner(PruneOptions.pattern(2, 4).withSelection(new WeightSelection(null, "Conv2d_0/", false)),
                null).apply(f).model();
        int[] shape = pruned.mainGraph().tensor(pruned.mainGraph().inputs()[0]).shape();
        CalibrationData d = CalibrationData.open("random", shape,
                CalibrationData.Options.defaults().withSamples(2).withSeed(7));
        Calibrator.ActivationStats stats = Calibrator.collect(pruned, d, shape, false, Calibrator.Progress.NONE);
        Model q = Quantizer.quantize(pruned, QuantizeOptions.of(QuantizeOptions.Mode.INT16X8)
                .withMethod(RangeMethod.MINMAX), stats).model();
        model = ModelReader.read(ModelWriter.toBytes(q));
    }

    @AfterEach
    void clear() {
        System.clearProperty(WeightFormat.PROPERTY);
        System.clearProperty(KernelPath.PROPERTY);
    }

    private static CompiledModel compile(String weights, String path) {
        System.setProperty(WeightFormat.PROPERTY, weights);
        if (path != null) {
            System.setProperty(KernelPath.PROPERTY, path);
        }
        try {
            return CompiledModel.compile(model);
        } finally {
            System.clearProperty(KernelPath.PROPERTY);
        }
    }

    private static byte[] run(CompiledModel m, List<TensorData> inputs, int threads) {
        try (ExecutionContext ctx = m.newContext(threads)) {
            for (int i = 0; i < inputs.size(); i++) {
                ctx.setInput(i, inputs.get(i));
            }
            ctx.invoke();
            return ctx.output(0).bytes();
        }
    }

    private static long count(CompiledModel m, String tag) {
        return OpProfile.kernelNames(m).stream().filter(k -> k.contains(tag)).count();
    }

    private static void sameAsDense(String weights, String path, String tag, long atLeast) {
        CompiledModel dense = compile("dense", path);
        CompiledModel fmt = compile(weights, path);
        assertTrue(count(fmt, tag) >= atLeast, weights + " " + path + ": " + OpProfile.kernelChoices(fmt));
        for (long seed = 1; seed <= 1; seed++) {
            List<TensorData> inputs = Differential.randomInputs(dense, seed);
            byte[] expected = run(dense, inputs, 1);
            for (int t : new int[] {1, 2}) {
                assertArrayEquals(expected, run(fmt, inputs, t), weights + " " + path + " seed " + seed + " threads " + t);
            }
        }
    }

    @Test
    void nativeSp24SameAsDense() {
        assumeTrue(KernelRegistry.available(KernelRegistry.CONV2D_SP24).stream().anyMatch(e -> e.path() == KernelPath.AVX2),
                "no AVX2");
        // every pruned 1x1 layer (13; the one-pixel classifier stays dense, Qs16Sp24Gemm.MIN_M)
        sameAsDense("sparse", "avx2", "qs16_qc8w_conv2d_sp24_", 13);
        // auto on AVX2: the layers with K >= 64 and >= 32 pixels (Qs16Sp24Gemm.AUTO_*)
        sameAsDense("auto", "avx2", "qs16_qc8w_conv2d_sp24_", 8);
        // the default path (dense on VNNI where the CPU has it)
        sameAsDense("sparse", null, "qs16_qc8w_conv2d_sp24_", 13);
        System.setProperty(WeightFormat.PROPERTY, "sparse");
        System.setProperty(KernelPath.PROPERTY, "avx2");
        Differential.Result r = Differential.compare("16x8 2:4", model, 3);
        assertEquals(0, r.maxLsb(), "16x8 2:4: integer tensors differ from TFLite");
    }

    @Test
    void javaSp24SameAsDense() {
        // --kernels java: every pruned 1x1 layer and the classifier on the Java 2:4 kernel
        sameAsDense("sparse", "java", "qs16_qc8w_conv2d_sp24_", 14);
    }
}
