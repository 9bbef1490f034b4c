package dev.whittle.runtime;

import dev.whittle.UnsupportedModelException;
import dev.whittle.model.DemoModels;
import dev.whittle.model.Model;
import dev.whittle.model.io.ModelReader;
import dev.whittle.testing.SharedData;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Whole models, every tensor compared with TFLite's builtin kernels. */
class ModelDifferentialTest {
    @Test
    void demoCnn() {
        Differential.compare("demo smallCnn(42)", DemoModels.smallCnn(42), 1);
    }

    @Test
    void mobilenetV1() {
        Model m = ModelReader.read(SharedData.model("mobilenet_v1_0.25_224_float.tflite"));
        // 28 layers deep: intermediates compound each earlier layer's reordering (seen: 1.1e-5
        // of the range at layer 27); the outputs still meet 1e-5.
        Differential.compare("mobilenet_v1_0.25_224_float", m, 2, 5e-5);
    }

    @Test
    void dilatedConvThroughShapeOps() {
        // The converter expressed this dilation as SHAPE, STRIDED_SLICE, PACK and int32
        // ADD/SUB/FLOOR_MOD computing the paddings, then SPACE_TO_BATCH_ND, CONV_2D,
        // BATCH_TO_SPACE_ND. The shape arithmetic folds at compile time once every operator of
        // it exists; until the int32 arithmetic is in, compile stops there and this test says so.
        Model m = ModelReader.read(SharedData.model("dilated_conv_float.tflite"));
        int[] shape = {1, 32, 32, 3};
        CompiledModel compiled;
        try {
            compiled = CompiledModel.compile(m, java.util.Map.of(0, shape));
        } catch (UnsupportedModelException e) {
            assertTrue(e.getMessage().matches("(?s).*\\((ADD|SUB|FLOOR_MOD)\\).*INT32.*"), e.getMessage());
            org.junit.jupiter.api.Assumptions.abort("int32 shape arithmetic not in this build: " + e.getMessage());
            return;
        }
        dev.whittle.TensorData in = Differential.randomFloat(shape, 7, -1, 1);
        try (dev.whittle.tflite.TfliteInterpreter tflite = dev.whittle.tflite.TfliteInterpreter.create(
                dev.whittle.model.io.ModelWriter.toBytes(m),
                dev.whittle.tflite.TfliteOptions.defaults().useXnnpack(false).threads(1));
                ExecutionContext ctx = compiled.newContext()) {
            tflite.resizeInput(0, shape);
            tflite.setInput(0, in);
            tflite.invoke();
            ctx.setInput(0, in);
            ctx.invoke();
            Differential.relativeDiff("dilated_conv_float resized", tflite.output(0), ctx.output(0),
                    Differential.TOLERANCE);
        }
    }

    @Test
    void helloWorld() {
        Model m = ModelReader.read(SharedData.model("hello_world_float.tflite"));
        Differential.compare("hello_world_float", m, 4);
    }

    @Test
    void arenaSharesMemoryOnMobilenet() {
        CompiledModel c = CompiledModel.compile(ModelReader.read(SharedData.model("mobilenet_v1_0.25_224_float.tflite")));
        System.out.printf("mobilenet_v1_0.25_224_float arena %d bytes, sum of activations %d bytes%n", c.arenaBytes(),
                c.activationBytes());
        assertTrue(c.arenaBytes() < c.activationBytes() / 4, c.arenaBytes() + " vs " + c.activationBytes());
    }
}
