package dev.whittle.edgetpu;

import dev.whittle.io.Preprocessing;
import dev.whittle.model.Model;
import dev.whittle.model.TensorType;
import dev.whittle.model.io.ModelReader;
import dev.whittle.model.io.ModelWriter;
import dev.whittle.quantize.CalibrationData;
import dev.whittle.quantize.Calibrator;
import dev.whittle.quantize.QuantizeOptions;
import dev.whittle.quantize.Quantizer;
import dev.whittle.quantize.RangeMethod;
import dev.whittle.testing.SharedData;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A float model fails the check for its float tensors and the check names Whittle's fix; the
 * model that fix makes (int8, uint8 input and output, strict) passes with every operator on the
 * Edge TPU.
 */
class EdgeTpuQuantizeTest {
    private static final String FLOAT = "mobilenet_v1_0.25_224_float.tflite";

    @Test
    void floatModelSaysWhyAndNamesTheFix() {
        EdgeTpuReport r = EdgeTpuCheck.check(ModelReader.read(SharedData.model(FLOAT)));
        assertTrue(r.edgeTpuOps().isEmpty(), "nothing of a float model maps");
        assertNotNull(r.firstCpu());
        assertEquals(0, r.firstCpu().index());
        assertTrue(r.firstCpu().reason().contains("float32") && r.firstCpu().reason().contains("8-bit"),
                r.firstCpu().reason());
        assertTrue(r.notes().stream().anyMatch(n -> n.contains("float32")), r.notes().toString());
        assertTrue(r.fixes().stream().anyMatch(f -> f.contains("whittle quantize") && f.contains("--mode int8")
                && f.contains("--io uint8") && f.contains("--strict")), r.fixes().toString());
    }

    @Test
    void theQuantizedModelPasses() {
        Model f = ModelReader.read(SharedData.model(FLOAT));
        int[] shape = f.mainGraph().tensor(f.mainGraph().inputs()[0]).shape();
        String images = SharedData.image("bird.bmp") + "," + SharedData.image("cat.bmp");
        CalibrationData cal = CalibrationData.open(images, shape,
                CalibrationData.Options.defaults().withPreprocessing(Preprocessing.MOBILENET));
        Calibrator.ActivationStats stats = Calibrator.collect(f, cal, shape, false, Calibrator.Progress.NONE);
        QuantizeOptions opts = new QuantizeOptions(QuantizeOptions.Mode.INT8, QuantizeOptions.IoType.UINT8,
                RangeMethod.MINMAX, false, true);
        Model q = ModelReader.read(ModelWriter.toBytes(Quantizer.quantize(f, opts, stats).model()));
        assertEquals(TensorType.UINT8, q.mainGraph().tensor(q.mainGraph().inputs()[0]).type());

        EdgeTpuReport r = EdgeTpuCheck.check(q);
        assertTrue(r.allOnEdgeTpu(), "every operator maps: " + r.cpuOps());
        assertEquals(q.mainGraph().operatorCount(), r.edgeTpuOps().size());
        assertTrue(r.fixes().isEmpty(), r.fixes().toString());
    }
}
