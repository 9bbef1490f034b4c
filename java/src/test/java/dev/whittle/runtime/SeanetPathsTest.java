package dev.whittle.runtime;

import dev.whittle.TensorData;
import dev.whittle.model.Model;
import dev.whittle.model.io.ModelReader;
import dev.whittle.runtime.kernels.KernelPath;
import dev.whittle.runtime.kernels.KernelRegistry;
import dev.whittle.runtime.kernels.WeightFormat;
import dev.whittle.testing.SharedData;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The five seanet 16x8 models (issue 6's small-model speed target) on every kernel path this
 * CPU runs (reference, java, avx2, avx512vnni) and both weight choices (auto: the sparse
 * kernel for conv0 on AVX2; dense): identical to TFLite's builtin kernels on three seeded
 * inputs each (Differential: outputs and intermediates), 3 threads identical to 1, and the
 * node dispatched to the path's own kernel (so no path tests the reference against itself).
 */
class SeanetPathsTest {
    @AfterEach
    void clearProperties() {
        System.clearProperty(KernelPath.PROPERTY);
        System.clearProperty(WeightFormat.PROPERTY);
    }

    private static List<String> paths() {
        List<String> out = new ArrayList<>(List.of("reference", "java"));
        for (var e : KernelRegistry.available(KernelRegistry.QS16_QC8W_CONV2D)) {
            if (e.path().isNative() && !out.contains(e.path().label())) {
                out.add(e.path().label());
            }
        }
        return out;
    }

    @ParameterizedTest
    @ValueSource(strings = {"seanet_add0_16x8.tflite", "seanet_conv0_16x8.tflite", "seanet_conv5_16x8.tflite",
        "seanet_conv9_16x8.tflite", "seanet_conv10_16x8.tflite"})
    void everyPathMatchesTflite(String name) {
        SharedData.assumeAvailable();
        Model m = ModelReader.read(SharedData.model(name));
        int runs = 0;
        for (String path : paths()) {
            for (String weights : new String[] {"auto", "dense"}) {
                System.setProperty(KernelPath.PROPERTY, path);
                System.setProperty(WeightFormat.PROPERTY, weights);
                CompiledModel c = CompiledModel.compile(m);
                String kernel = OpProfile.kernelNames(c).get(0);
                String label = name + " on " + path + "/" + weights + " (" + kernel + ")";
                if (path.equals("java")) {
                    assertTrue(kernel.endsWith("__java") || kernel.contains("__panama"), label);
                } else {
                    assertTrue(kernel.endsWith("__" + path), label);
                }
                for (long seed : new long[] {1, 5, 9}) {
                    Differential.Result r = Differential.compare(label, m, seed);
                    assertTrue(r.elements() > 0, label);
                    assertEquals(0, r.differing(), label + " seed " + seed);
                }
                List<TensorData> in = Differential.randomInputs(c, 13);
                byte[] one = FastKernelHarness.run(m, in, path, 1, null);
                System.setProperty(WeightFormat.PROPERTY, weights);
                byte[] three = FastKernelHarness.run(m, in, path, 3, null);
                assertArrayEquals(one, three, label + " 3 threads");
                runs++;
            }
        }
        assertTrue(runs >= 4);
    }
}
