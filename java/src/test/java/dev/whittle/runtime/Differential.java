package dev.whittle.runtime;

import dev.whittle.TensorData;
import dev.whittle.model.Model;
import dev.whittle.model.Tensor;
import dev.whittle.model.TensorType;
import dev.whittle.model.io.ModelWriter;
import dev.whittle.tflite.TensorInfo;
import dev.whittle.tflite.TfliteInterpreter;
import dev.whittle.tflite.TfliteOptions;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Runs a model on Whittle's runtime and on TFLite's builtin kernels and compares every
 * tensor both compute.
 *
 * <p>Tolerance: {@code max |whittle - tflite| / range(tflite tensor) < 1e-5}. The two
 * runtimes add the same float products in different orders (TFLite's builtin kernels go
 * through im2col and a blocked GEMM, ours through the plain reference loop), and float
 * addition is not associative; each reordering costs at most a few ulps of the partial
 * sums, far below 1e-5 of a tensor's range but not zero. Through a deep network these
 * differences compound layer by layer (each layer's input already differs by the previous
 * layers' rounding), so {@link #compare(String, Model, long, double)} lets a deep model's
 * intermediates use a looser bound while its outputs keep 1e-5.
 */
final class Differential {
    static final double TOLERANCE = 1e-5;

    /**
     * What one comparison saw: elements of every compared tensor, the worst relative
     * difference of float tensors, and how many integer elements differ (and by at most how
     * many units).
     */
    record Result(long elements, double maxRelative, int tensors, long differing, long maxLsb) {
    }

    private Differential() {
    }

    /** A deterministic float input in [lo, hi]. */
    static TensorData randomFloat(int[] shape, long seed, double lo, double hi) {
        SplittableRandom r = new SplittableRandom(seed);
        int n = 1;
        for (int d : shape) {
            n *= d;
        }
        ByteBuffer b = ByteBuffer.allocate(n * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < n; i++) {
            b.putFloat(i * 4, (float) (lo + (hi - lo) * r.nextDouble()));
        }
        return new TensorData(TensorType.FLOAT32, shape, b);
    }

    /**
     * A deterministic input of any numeric type: floats in [-1, 1], integers over their whole
     * range (so both saturation ends are reached), INT32/INT64 in [-100, 100], BOOL 0/1.
     */
    static TensorData randomInput(TensorType type, int[] shape, long seed) {
        if (type == TensorType.FLOAT32) {
            return randomFloat(shape, seed, -1, 1);
        }
        SplittableRandom r = new SplittableRandom(seed);
        long n = 1;
        for (int dim : shape) {
            n *= dim;
        }
        ByteBuffer b = ByteBuffer.allocate(Math.toIntExact(type.bytesFor(n))).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < n; i++) {
            switch (type) {
                case INT8, UINT8 -> b.put(i, (byte) r.nextInt(256));
                case BOOL -> b.put(i, (byte) r.nextInt(2));
                case INT16 -> b.putShort(i * 2, (short) r.nextInt(65536));
                case INT32 -> b.putInt(i * 4, r.nextInt(-100, 101));
                case INT64 -> b.putLong(i * 8, r.nextInt(-100, 101));
                case FLOAT16 -> b.putShort(i * 2, Float.floatToFloat16((float) (r.nextDouble() * 2 - 1)));
                default -> throw new IllegalArgumentException("no random inputs of type " + type);
            }
        }
        return new TensorData(type, shape, b);
    }

    /** Compares outputs and every intermediate; prints and returns what it compared. */
    static Result compare(String label, Model model, long seed) {
        return compare(label, model, seed, TOLERANCE);
    }

    /** As {@link #compare(String, Model, long)}, intermediates held to {@code intermediateTolerance}. */
    static Result compare(String label, Model model, long seed, double intermediateTolerance) {
        CompiledModel compiled = CompiledModel.compile(model);
        List<TensorData> inputs = new ArrayList<>();
        for (int i = 0; i < compiled.inputCount(); i++) {
            Tensor t = compiled.tensorInfo(compiled.inputTensorIndex(i));
            inputs.add(randomInput(t.type(), t.shape(), seed + i));
        }
        return compare(label, model, inputs, intermediateTolerance, 0);
    }

    /**
     * Runs {@code model} on {@code inputs} in both runtimes and compares every tensor both
     * computed: float tensors within {@code intermediateTolerance} of their range (outputs
     * within {@link #TOLERANCE}), integer tensors to at most {@code lsbTolerance} units (0:
     * bit-exact). Prints one line with the counts.
     */
    static Result compare(String label, Model model, List<TensorData> inputs, double intermediateTolerance,
            long lsbTolerance) {
        CompiledModel compiled = CompiledModel.compile(model);
        byte[] bytes = ModelWriter.toBytes(model);
        TfliteOptions options = TfliteOptions.defaults().useXnnpack(false).preserveAllTensors(true).threads(1);
        long elements = 0;
        double worst = 0;
        int tensors = 0;
        long differing = 0;
        long maxLsb = 0;
        String firstDiff = null;
        try (TfliteInterpreter tflite = TfliteInterpreter.create(bytes, options);
                ExecutionContext all = compiled.newContext(true);
                ExecutionContext planned = compiled.newContext()) {
            for (int i = 0; i < compiled.inputCount(); i++) {
                TensorData in = inputs.get(i);
                tflite.setInput(i, in);
                all.setInput(i, in);
                planned.setInput(i, in);
            }
            tflite.invoke();
            all.invoke();
            planned.invoke();
            for (int t = 0; t < compiled.tensorCount(); t++) {
                TensorInfo info = tflite.tensorInfo(t);
                if (info.type() == null || !info.type().hasFixedSize() || !used(compiled, t)) {
                    continue;
                }
                TensorData expected = tflite.tensor(t);
                if (expected == null) {
                    continue;
                }
                boolean output = false;
                for (int o = 0; o < compiled.outputCount(); o++) {
                    output |= compiled.outputTensorIndex(o) == t;
                }
                TensorData actual = all.tensor(t);
                if (info.type() == TensorType.FLOAT32 || info.type() == TensorType.FLOAT16) {
                    double rel = relativeDiff(label + " tensor " + t, expected, actual,
                            output ? TOLERANCE : intermediateTolerance);
                    worst = Math.max(worst, rel);
                } else {
                    assertArrayEquals(expected.shape(), actual.shape(), label + " tensor " + t + ": shape");
                    double[] e = expected.toDoubleArray();
                    double[] a = actual.toDoubleArray();
                    for (int k = 0; k < e.length; k++) {
                        if (e[k] != a[k]) {
                            differing++;
                            maxLsb = Math.max(maxLsb, (long) Math.abs(e[k] - a[k]));
                            if (firstDiff == null) {
                                firstDiff = "tensor " + t + " '" + info.name() + "' element " + k + ": TFLite " + e[k]
                                        + ", Whittle " + a[k];
                            }
                        }
                    }
                }
                elements += expected.elementCount();
                tensors++;
            }
            // The shared arena must give the same outputs as the one with separate memory.
            for (int o = 0; o < compiled.outputCount(); o++) {
                assertEquals(all.output(o), planned.output(o), label + ": output " + o + " differs with the shared arena");
            }
        }
        System.out.printf("runtime differential %-40s tensors %4d elements %9d max relative diff %.3e"
                + " integer elements differing %d (max %d LSB)%n", label, tensors, elements, worst, differing, maxLsb);
        assertTrue(worst < Math.max(TOLERANCE, intermediateTolerance), label + ": max relative diff " + worst);
        assertTrue(maxLsb <= lsbTolerance, label + ": " + differing + " integer elements differ, by up to " + maxLsb
                + " LSB (allowed " + lsbTolerance + "); first: " + firstDiff);
        return new Result(elements, worst, tensors, differing, maxLsb);
    }

    private static boolean used(CompiledModel compiled, int t) {
        try (ExecutionContext c = compiled.newContext()) {
            c.tensor(t);
            return true;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    /** {@code max |a - b| / range(expected)}; a constant tensor divides by max(|value|, 1). */
    static double relativeDiff(String what, TensorData expected, TensorData actual, double tolerance) {
        assertArrayEquals(expected.shape(), actual.shape(), what + ": shape");
        double[] e = expected.toDoubleArray();
        double[] a = actual.toDoubleArray();
        double min = Double.POSITIVE_INFINITY;
        double max = Double.NEGATIVE_INFINITY;
        double diff = 0;
        for (int i = 0; i < e.length; i++) {
            min = Math.min(min, e[i]);
            max = Math.max(max, e[i]);
            if (Double.isNaN(a[i]) != Double.isNaN(e[i])) {
                throw new AssertionError(what + ": NaN mismatch at " + i);
            }
            diff = Math.max(diff, Math.abs(a[i] - e[i]));
        }
        double range = e.length == 0 ? 1 : max - min;
        if (range == 0) {
            range = Math.max(1, Math.abs(max));
        }
        double rel = diff / range;
        if (rel >= tolerance) {
            throw new AssertionError(what + ": max |diff| " + diff + " over range " + range + " = " + rel
                    + "; expected " + Arrays.toString(Arrays.copyOf(e, Math.min(8, e.length))) + " got "
                    + Arrays.toString(Arrays.copyOf(a, Math.min(8, a.length))));
        }
        return rel;
    }
}
