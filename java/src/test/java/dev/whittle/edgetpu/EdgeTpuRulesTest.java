package dev.whittle.edgetpu;

import dev.whittle.UnsupportedModelException;
import dev.whittle.edgetpu.EdgeTpuReport.OpVerdict;
import dev.whittle.edgetpu.EdgeTpuReport.Target;
import dev.whittle.model.BuiltinOperator;
import dev.whittle.model.BuiltinOptions;
import dev.whittle.model.Model;
import dev.whittle.model.ModelBuilder;
import dev.whittle.model.ModelBuilder.TensorSpec;
import dev.whittle.model.Quantization;
import dev.whittle.model.TensorType;
import dev.whittle.runtime.CompiledModel;
import dev.whittle.testing.SharedData;
import dev.whittle.model.io.ModelReader;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The documented rules one at a time, on small uint8 graphs built here. */
class EdgeTpuRulesTest {
    private static final Quantization Q = Quantization.perTensor(0.05, 128);

    private static TensorSpec u8(String name, int... shape) {
        return TensorSpec.quantized(name, TensorType.UINT8, Q, shape);
    }

    private static List<Target> targets(EdgeTpuReport r) {
        return r.ops().stream().map(OpVerdict::target).toList();
    }

    @Test
    void anUnsupportedOpCutsWhatDependsOnItButNotAnIndependentBranch() {
        ModelBuilder b = new ModelBuilder("branches");
        int x = b.input("x", TensorType.UINT8, Q, 1, 8, 8, 4);
        int a = b.op(BuiltinOperator.RELU, null, new int[] {x}, u8("a", 1, 8, 8, 4));
        int n = b.op(BuiltinOperator.NEG, null, new int[] {a}, u8("neg", 1, 8, 8, 4));
        int c = b.op(BuiltinOperator.RELU6, null, new int[] {a}, u8("c", 1, 8, 8, 4));
        int d = b.op(BuiltinOperator.ADD, null, new int[] {n, c}, u8("d", 1, 8, 8, 4));
        b.output(d);
        EdgeTpuReport r = EdgeTpuCheck.check(b.build());
        assertEquals(List.of(Target.EDGETPU, Target.CPU, Target.EDGETPU, Target.CPU), targets(r));
        assertEquals(1, r.firstCpu().index());
        assertTrue(r.firstCpu().reason().contains("NEG is not in the Edge TPU's supported operations"), r.firstCpu().reason());
        assertFalse(r.ops().get(3).cause());
        assertTrue(r.ops().get(3).reason().contains("computed on the CPU"), r.ops().get(3).reason());
        assertEquals(List.of("a", "c"), r.tpuOutputs().stream().map(EdgeTpuReport.TensorRef::name).sorted().toList());
    }

    @Test
    void floatEdgesRunOnTheCpuWithoutCuttingTheGraph() {
        ModelBuilder b = new ModelBuilder("float_io");
        int x = b.input("x", TensorType.FLOAT32, 1, 8, 8, 4);
        int q = b.op(BuiltinOperator.QUANTIZE, null, new int[] {x}, u8("q", 1, 8, 8, 4));
        int a = b.op(BuiltinOperator.RELU, null, new int[] {q}, u8("a", 1, 8, 8, 4));
        int y = b.op(BuiltinOperator.DEQUANTIZE, null, new int[] {a}, TensorSpec.of("y", TensorType.FLOAT32, 1, 8, 8, 4));
        b.output(y);
        EdgeTpuReport r = EdgeTpuCheck.check(b.build());
        assertEquals(List.of(Target.CPU, Target.EDGETPU, Target.CPU), targets(r));
        assertEquals(2, r.firstCpu().index(), "the entry QUANTIZE is not a cut");
        assertTrue(r.fixes().stream().anyMatch(f -> f.contains("--io uint8")), r.fixes().toString());
    }

    @Test
    void onlyTheInnermostThreeDimensionsMayExceedOne() {
        ModelBuilder b = new ModelBuilder("batch2");
        int x = b.input("x", TensorType.UINT8, Q, 2, 8, 8, 4);
        b.output(b.op(BuiltinOperator.RELU, null, new int[] {x}, u8("a", 2, 8, 8, 4)));
        EdgeTpuReport r = EdgeTpuCheck.check(b.build());
        assertTrue(r.firstCpu().reason().contains("more than three dimensions larger than 1"), r.firstCpu().reason());
    }

    @Test
    void shapesMustBeStatic() {
        ModelBuilder b = new ModelBuilder("dynamic");
        int x = b.input("x", TensorType.UINT8, Q, 1, 8, 8, 4);
        b.output(b.op(BuiltinOperator.RELU, null, new int[] {x}, u8("a", 1, 8, 8, 4)));
        Model m = b.build();
        // A free batch (Keras' None) compiles as batch 1; a free height does not.
        m.mainGraph().tensor(x).setShapeSignature(new int[] {-1, 8, 8, 4});
        assertTrue(EdgeTpuCheck.check(m).allOnEdgeTpu());
        m.mainGraph().tensor(x).setShapeSignature(new int[] {1, -1, 8, 4});
        EdgeTpuReport r = EdgeTpuCheck.check(m);
        assertTrue(r.firstCpu().reason().contains("dynamic dimension"), r.firstCpu().reason());
    }

    @Test
    void weightsMustBeConstant() {
        ModelBuilder b = new ModelBuilder("dynamic_weights");
        int x = b.input("x", TensorType.UINT8, Q, 1, 4, 4, 4);
        int w = b.input("w", TensorType.UINT8, Q, 2, 1, 1, 4);
        int bias = b.constant("bias", new int[] {0, 0}, 2);
        b.output(b.op(BuiltinOperator.CONV_2D, BuiltinOptions.of("Conv2DOptions").set("stride_w", 1).set("stride_h", 1),
                new int[] {x, w, bias}, u8("y", 1, 4, 4, 2)));
        EdgeTpuReport r = EdgeTpuCheck.check(b.build());
        assertTrue(r.firstCpu().reason().contains("weights and biases as constants"), r.firstCpu().reason());
    }

    @Test
    void tableRestrictions() {
        // CONCATENATION: a constant input only as zero padding of two inputs.
        assertEquals(Target.CPU, concatWithConstant(7).ops().get(0).target());
        assertEquals(Target.EDGETPU, concatWithConstant(128).ops().get(0).target());
        // MAX_POOL_2D: no fused activation.
        ModelBuilder b = new ModelBuilder("pool");
        int x = b.input("x", TensorType.UINT8, Q, 1, 4, 4, 4);
        b.output(b.op(BuiltinOperator.MAX_POOL_2D, BuiltinOptions.of("Pool2DOptions").set("filter_width", 2)
                .set("filter_height", 2).set("stride_w", 2).set("stride_h", 2).set("fused_activation_function", 1),
                new int[] {x}, u8("y", 1, 2, 2, 4)));
        assertTrue(EdgeTpuCheck.check(b.build()).firstCpu().reason().contains("fused activation"));
        // MEAN over the batch dimension.
        ModelBuilder m = new ModelBuilder("mean");
        int y = m.input("x", TensorType.UINT8, Q, 1, 4, 4, 4);
        int axes = m.constant("axes", new int[] {0}, 1);
        m.output(m.op(BuiltinOperator.MEAN, null, new int[] {y, axes}, u8("y", 4, 4, 4)));
        assertTrue(EdgeTpuCheck.check(m.build()).firstCpu().reason().contains("batch"));
    }

    private static EdgeTpuReport concatWithConstant(int value) {
        ModelBuilder b = new ModelBuilder("concat");
        int x = b.input("x", TensorType.UINT8, Q, 1, 4, 4, 4);
        byte[] v = new byte[64];
        java.util.Arrays.fill(v, (byte) value);
        int k = b.constant("k", TensorType.UINT8, Q, java.nio.ByteBuffer.wrap(v), 1, 4, 4, 4);
        b.output(b.op(BuiltinOperator.CONCATENATION, BuiltinOptions.of("ConcatenationOptions").set("axis", 3),
                new int[] {x, k}, u8("y", 1, 4, 4, 8)));
        return EdgeTpuCheck.check(b.build());
    }

    @Test
    void resizeMapsOnAnExactSamplingGrid() {
        assertEquals(Target.EDGETPU, resize(4, 8, false));   // x2
        assertEquals(Target.EDGETPU, resize(4, 7, true));    // align_corners (7-1)/(4-1) = 2
        assertEquals(Target.EDGETPU, resize(4, 4, true));    // identity
        assertEquals(Target.CPU, resize(4, 6, false));       // x1.5
        assertEquals(Target.CPU, resize(1, 33, true));       // one sample spread over the output
    }

    private static Target resize(int in, int out, boolean align) {
        ModelBuilder b = new ModelBuilder("resize");
        int x = b.input("x", TensorType.UINT8, Q, 1, in, in, 8);
        int size = b.constant("size", new int[] {out, out}, 2);
        b.output(b.op(BuiltinOperator.RESIZE_BILINEAR, BuiltinOptions.of("ResizeBilinearOptions")
                .set("align_corners", align), new int[] {x, size}, u8("y", 1, out, out, 8)));
        return EdgeTpuCheck.check(b.build()).ops().get(0).target();
    }

    @Test
    void whittlesRuntimeRefusesACompiledModelBeforeAnyWork() {
        Model m = ModelReader.read(SharedData.model("mobilenet_v1_0.25_128_quant_edgetpu.tflite"));
        UnsupportedModelException e = assertThrows(UnsupportedModelException.class, () -> CompiledModel.compile(m));
        assertTrue(e.getMessage().contains("edgetpu-custom-op"), e.getMessage());
        assertTrue(e.getMessage().contains("requires the Edge TPU delegate (libedgetpu); run with --backend tflite"
                + " --delegate edgetpu"), e.getMessage());
    }
}
