package dev.whittle.runtime;

import dev.whittle.model.DemoModels;
import dev.whittle.model.Model;
import dev.whittle.model.io.ModelReader;
import dev.whittle.testing.SharedData;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Whole built models, every tensor compared with TFLite's builtin kernels, and the arena
 * plan on a real model. The shared models are compared in {@link ModelSuiteTest}.
 */
class ModelDifferentialTest {
    @Test
    void demoCnn() {
        Differential.compare("demo smallCnn(42)", DemoModels.smallCnn(42), 1);
    }

    @Test
    void arenaSharesMemoryOnMobilenet() {
        CompiledModel c = CompiledModel.compile(ModelReader.read(SharedData.model("mobilenet_v1_0.25_224_float.tflite")));
        System.out.printf("mobilenet_v1_0.25_224_float arena %d bytes, sum of activations %d bytes%n", c.arenaBytes(),
                c.activationBytes());
        // The graph input (602 KB here) stays alive for the whole invoke, as in TFLite; the
        // rest shares memory: about a third of the unshared sum.
        assertTrue(c.arenaBytes() < c.activationBytes() / 2.5, c.arenaBytes() + " vs " + c.activationBytes());
    }
}
