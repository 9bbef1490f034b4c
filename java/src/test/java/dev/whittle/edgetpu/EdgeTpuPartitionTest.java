package dev.whittle.edgetpu;

import dev.whittle.edgetpu.EdgeTpuReport.OpVerdict;
import dev.whittle.edgetpu.EdgeTpuReport.TensorRef;
import dev.whittle.model.Model;
import dev.whittle.model.Operator;
import dev.whittle.model.OperatorCode;
import dev.whittle.model.Subgraph;
import dev.whittle.model.Tensor;
import dev.whittle.model.io.ModelReader;
import dev.whittle.testing.SharedData;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The acceptance test of the check: for each pair (a model and what the Edge TPU compiler made
 * of it) in the shared folder, the partition {@link EdgeTpuCheck} predicts from the uncompiled
 * model is exactly the compiler's.
 *
 * <p>The compiler's partition is read off the compiled file alone: every operator outside the
 * {@code edgetpu-custom-op} is matched to the original operator with the same code, output
 * tensors (name, type, shape) and input tensors; those are the CPU operators, and every other
 * original operator went into the custom op. The custom op's inputs and outputs must be the
 * tensors the check says cross the boundary. Nothing here names an operator of either model:
 * any further pair dropped into the folder is checked the same way by adding its name.
 */
class EdgeTpuPartitionTest {

    @ParameterizedTest
    @ValueSource(strings = {"mobilenet_v1_0.25_128_quant", "deeplabv3_mnv2_dm05_pascal_quant"})
    void checkPredictsTheCompilersPartition(String name) {
        Model original = ModelReader.read(SharedData.model(name + ".tflite"));
        Model compiled = ModelReader.read(SharedData.model(name + "_edgetpu.tflite"));
        assertFalse(EdgeTpuCheck.isCompiled(original));
        assertTrue(EdgeTpuCheck.isCompiled(compiled));

        EdgeTpuReport predicted = EdgeTpuCheck.check(original);
        EdgeTpuReport actual = EdgeTpuCheck.check(compiled);
        assertTrue(actual.compiled());
        assertEquals(1, actual.customOps().size(), "the default compiler mode makes one Edge TPU subgraph");

        Set<Integer> compilerCpu = cpuOpsOfCompiled(original, compiled);
        Set<Integer> predictedCpu = predicted.cpuOps().stream().map(OpVerdict::index)
                .collect(Collectors.toCollection(TreeSet::new));
        assertEquals(compilerCpu, predictedCpu, name + ": operators the compiler left on the CPU vs the check's");
        Set<Integer> predictedTpu = predicted.edgeTpuOps().stream().map(OpVerdict::index).collect(Collectors.toSet());
        assertEquals(original.mainGraph().operatorCount() - compilerCpu.size(), predictedTpu.size(),
                name + ": operators inside the custom op");

        EdgeTpuReport.CustomOp custom = actual.customOps().get(0);
        assertEquals(names(custom.inputs()), names(predicted.tpuInputs()), name + ": the custom op's inputs");
        assertEquals(names(custom.outputs()), names(predicted.tpuOutputs()), name + ": the custom op's outputs");
    }

    @ParameterizedTest
    @ValueSource(strings = {"mobilenet_v1_0.25_128_quant"})
    void everythingMapsOnMobileNet(String name) {
        EdgeTpuReport r = EdgeTpuCheck.check(ModelReader.read(SharedData.model(name + ".tflite")));
        assertTrue(r.allOnEdgeTpu(), r.cpuOps().toString());
        assertEquals(null, r.firstCpu());
    }

    @ParameterizedTest
    @ValueSource(strings = {"deeplabv3_mnv2_dm05_pascal_quant"})
    void deepLabKeepsItsBackboneOnTheEdgeTpuAndPartOfTheHeadOnTheCpu(String name) {
        Model m = ModelReader.read(SharedData.model(name + ".tflite"));
        EdgeTpuReport r = EdgeTpuCheck.check(m);
        OpVerdict first = r.firstCpu();
        assertNotNull(first);
        assertEquals("RESIZE_BILINEAR", first.op());
        assertTrue(first.reason().contains("precision"), first.reason());
        // Every operator before the first CPU one maps, the convolutions of the backbone included.
        for (OpVerdict v : r.ops()) {
            if (v.index() < first.index()) {
                assertEquals(EdgeTpuReport.Target.EDGETPU, v.target(), v.toString());
            }
        }
        // The supported operators after the cut are on the CPU because they read its results.
        assertTrue(r.cpuOps().stream().anyMatch(v -> v.op().equals("CONV_2D") && !v.cause()), r.cpuOps().toString());
    }

    /**
     * The original operators the compiled model runs outside its custom op, matched by operator
     * code and by the names, types and shapes of their input and output tensors (constants
     * included), in the same relative order.
     */
    static Set<Integer> cpuOpsOfCompiled(Model original, Model compiled) {
        Subgraph og = original.mainGraph();
        Subgraph cg = compiled.mainGraph();
        Set<Integer> cpu = new TreeSet<>();
        int last = -1;
        for (int j = 0; j < cg.operatorCount(); j++) {
            Operator cop = cg.operator(j);
            OperatorCode cc = compiled.operatorCodeOf(cop);
            if (cc.isCustom() && EdgeTpuCheck.CUSTOM_OP.equals(cc.customCode())) {
                continue;
            }
            List<Integer> matches = new ArrayList<>();
            for (int i = 0; i < og.operatorCount(); i++) {
                Operator oop = og.operator(i);
                if (original.operatorCodeOf(oop).name().equals(cc.name())
                        && sameTensors(og, oop.outputs(), cg, cop.outputs())
                        && sameTensors(og, oop.inputs(), cg, cop.inputs())) {
                    matches.add(i);
                }
            }
            if (matches.size() != 1) {
                fail("compiled CPU operator " + j + " " + cc.name() + " matches original operators " + matches);
            }
            int i = matches.get(0);
            assertTrue(i > last, "CPU operators keep their relative order");
            last = i;
            cpu.add(i);
        }
        return cpu;
    }

    private static boolean sameTensors(Subgraph a, int[] ta, Subgraph b, int[] tb) {
        if (ta.length != tb.length) {
            return false;
        }
        for (int k = 0; k < ta.length; k++) {
            if (ta[k] < 0 || tb[k] < 0) {
                if (ta[k] != tb[k]) {
                    return false;
                }
                continue;
            }
            Tensor x = a.tensor(ta[k]);
            Tensor y = b.tensor(tb[k]);
            if (!x.name().equals(y.name()) || x.type() != y.type() || !Arrays.equals(x.shape(), y.shape())) {
                return false;
            }
        }
        return true;
    }

    private static Set<String> names(List<TensorRef> ts) {
        return ts.stream().map(TensorRef::name).collect(Collectors.toCollection(TreeSet::new));
    }
}
