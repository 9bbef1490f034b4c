package dev.whittle.quantize;

import dev.whittle.InvalidInputException;
import dev.whittle.UnsupportedModelException;
import dev.whittle.model.BuiltinOperator;
import dev.whittle.model.Model;
import dev.whittle.model.ModelBuilder;
import dev.whittle.model.TensorType;
import dev.whittle.model.io.ModelWriter;
import dev.whittle.testing.SharedData;
import dev.whittle.tflite.TfliteInterpreter;
import dev.whittle.tflite.TfliteOptions;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Bad inputs give typed errors that say what is wrong. */
class QuantizeErrorsTest {
    @Test
    void alreadyQuantizedModelIsRefused() {
        for (String name : new String[] {"mobilenet_v1_0.25_224_quant.tflite", "seanet_conv0_16x8.tflite", "hello_world_int8.tflite"}) {
            Model m = QuantFixtures.model(name);
            UnsupportedModelException e = assertThrows(UnsupportedModelException.class,
                    () -> Quantizer.quantize(m, QuantizeOptions.of(QuantizeOptions.Mode.DYNAMIC), null));
            assertTrue(e.getMessage().contains("already quantized"), e.getMessage());
        }
    }

    @Test
    void float16ModelIsRefused() {
        Model f = QuantFixtures.smallCnn();
        Model f16 = Quantizer.quantize(f, QuantizeOptions.of(QuantizeOptions.Mode.FLOAT16), null).model();
        UnsupportedModelException e = assertThrows(UnsupportedModelException.class,
                () -> Quantizer.quantize(f16, QuantizeOptions.of(QuantizeOptions.Mode.DYNAMIC), null));
        assertTrue(e.getMessage().contains("float16"), e.getMessage());
    }

    @Test
    void modelWithoutFloatWeightsIsRefused() {
        ModelBuilder b = new ModelBuilder("no_weights");
        int x = b.input("x", TensorType.FLOAT32, 1, 4);
        int y = b.input("y", TensorType.FLOAT32, 1, 4);
        b.output(b.add("sum", x, y, ModelBuilder.Activation.NONE));
        UnsupportedModelException e = assertThrows(UnsupportedModelException.class,
                () -> Quantizer.quantize(b.build(), QuantizeOptions.of(QuantizeOptions.Mode.FLOAT16), null));
        assertTrue(e.getMessage().contains("no float32 weights"), e.getMessage());
    }

    @Test
    void badSampleCounts() {
        InvalidInputException e = assertThrows(InvalidInputException.class,
                () -> CalibrationData.Options.defaults().withSamples(0));
        assertTrue(e.getMessage().contains("--samples must be at least 1"), e.getMessage());
        assertThrows(InvalidInputException.class, () -> new CalibrationData.Options(null, -3, 0, false));
    }

    @Test
    void missingAndUnreadableCalibrationSources(@TempDir Path dir) throws Exception {
        int[] shape = {1, 8, 8, 3};
        InvalidInputException missing = assertThrows(InvalidInputException.class,
                () -> CalibrationData.open(dir.resolve("nope").toString(), shape, CalibrationData.Options.defaults()));
        assertTrue(missing.getMessage().contains("does not exist"), missing.getMessage());
        InvalidInputException empty = assertThrows(InvalidInputException.class,
                () -> CalibrationData.open(dir.toString(), shape, CalibrationData.Options.defaults()));
        assertTrue(empty.getMessage().contains("holds no image"), empty.getMessage());
        Path locked = Files.createDirectory(dir.resolve("locked"));
        Files.writeString(locked.resolve("a.npy"), "x");
        Files.setPosixFilePermissions(locked, PosixFilePermissions.fromString("---------"));
        try {
            Assumptions.assumeFalse(Files.isReadable(locked), "running as root: permissions are not enforced");
            InvalidInputException e = assertThrows(InvalidInputException.class,
                    () -> CalibrationData.open(locked.toString(), shape, CalibrationData.Options.defaults()));
            assertTrue(e.getMessage().contains("cannot read calibration folder"), e.getMessage());
        } finally {
            Files.setPosixFilePermissions(locked, PosixFilePermissions.fromString("rwx------"));
        }
    }

    @Test
    void imagesForAFloatInputNeedNormalization() {
        int[] shape = {1, 224, 224, 3};
        CalibrationData d = CalibrationData.open(SharedData.image("cat.bmp").toString(), shape, CalibrationData.Options.defaults());
        InvalidInputException e = assertThrows(InvalidInputException.class,
                () -> Calibrator.collect(QuantFixtures.model(QuantFixtures.MOBILENET), d, shape, false, Calibrator.Progress.NONE));
        assertTrue(e.getMessage().contains("--mean") && e.getMessage().contains("--preset"), e.getMessage());
    }

    @Test
    void npyOfTheWrongSizeIsRefused(@TempDir Path dir) {
        Path f = dir.resolve("x.npy");
        dev.whittle.io.Npy.write(f, Tensors.fromFloats(new float[5], new int[] {5}));
        InvalidInputException e = assertThrows(InvalidInputException.class,
                () -> CalibrationData.open(f.toString(), new int[] {1, 2, 2, 1}, CalibrationData.Options.defaults()));
        assertTrue(e.getMessage().contains("stacked"), e.getMessage());
    }

    @Test
    void opWithoutIntegerKernelStaysFloatOrIsRefusedWhenStrict() {
        Model lstm = QuantFixtures.model("mnist_lstm_float.tflite");
        int[] shape = lstm.mainGraph().tensor(lstm.mainGraph().inputs()[0]).shape();
        CalibrationData d = CalibrationData.open("random", shape, CalibrationData.Options.defaults().withSamples(3));
        Calibrator.ActivationStats st = Calibrator.collect(lstm, d, shape, false, Calibrator.Progress.NONE);
        Quantizer.Result r = Quantizer.quantize(lstm, QuantizeOptions.of(QuantizeOptions.Mode.INT8), st);
        assertEquals(1, r.leftFloat().size(), r.leftFloat().toString());
        assertTrue(r.leftFloat().get(0).contains("UNIDIRECTIONAL_SEQUENCE_LSTM"), r.leftFloat().toString());
        long dequantize = r.model().mainGraph().operators().stream()
                .filter(o -> r.model().operatorCodeOf(o).builtin() == BuiltinOperator.DEQUANTIZE).count();
        assertTrue(dequantize >= 1, "the float op reads a DEQUANTIZE output");
        try (TfliteInterpreter tfl = TfliteInterpreter.create(ModelWriter.toBytes(r.model()), TfliteOptions.defaults())) {
            tfl.run(java.util.List.of(d.samples().get(0).toTensor(TensorType.FLOAT32, shape, null)));
        }
        UnsupportedModelException e = assertThrows(UnsupportedModelException.class,
                () -> Quantizer.quantize(lstm, QuantizeOptions.of(QuantizeOptions.Mode.INT8).withStrict(true), st));
        assertTrue(e.getMessage().contains("--strict") && e.getMessage().contains("UNIDIRECTIONAL_SEQUENCE_LSTM"), e.getMessage());
    }

    @Test
    void ioTypesOnlyForInt8() {
        InvalidInputException e = assertThrows(InvalidInputException.class,
                () -> QuantizeOptions.of(QuantizeOptions.Mode.INT16X8).withIo(QuantizeOptions.IoType.UINT8));
        assertTrue(e.getMessage().contains("--mode int8 only"), e.getMessage());
    }
}
