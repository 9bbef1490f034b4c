package dev.whittle.runtime;

import dev.whittle.TensorData;
import dev.whittle.model.Model;
import dev.whittle.model.Operator;
import dev.whittle.model.Subgraph;
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
import java.util.Map;
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
        return compare(label, model, Map.of(), seed, intermediateTolerance);
    }

    /**
     * As {@link #compare(String, Model, long, double)} with graph input {@code i} resized to
     * {@code inputShapes.get(i)} in both runtimes (TFLite's {@code ResizeInputTensor}).
     */
    static Result compare(String label, Model model, Map<Integer, int[]> inputShapes, long seed,
            double intermediateTolerance) {
        try (Session s = new Session(label, model, inputShapes, false)) {
            return s.compare(label, randomInputs(s.compiled(), seed), intermediateTolerance, 0);
        }
    }

    /** Deterministic random inputs for every graph input of {@code compiled}, seeds {@code seed + i}. */
    static List<TensorData> randomInputs(CompiledModel compiled, long seed) {
        List<TensorData> inputs = new ArrayList<>();
        for (int i = 0; i < compiled.inputCount(); i++) {
            Tensor t = compiled.tensorInfo(compiled.inputTensorIndex(i));
            inputs.add(randomInput(t.type(), t.shape(), seed + i));
        }
        return inputs;
    }

    /**
     * Runs {@code model} on {@code inputs} in both runtimes and compares every tensor both
     * computed: float tensors within {@code intermediateTolerance} of their range (outputs
     * within {@link #TOLERANCE}), integer tensors to at most {@code lsbTolerance} units (0:
     * bit-exact). Prints one line with the counts.
     */
    static Result compare(String label, Model model, List<TensorData> inputs, double intermediateTolerance,
            long lsbTolerance) {
        return compare(label, model, Map.of(), inputs, intermediateTolerance, lsbTolerance);
    }

    /** As {@link #compare(String, Model, List, double, long)} with inputs resized as {@code inputShapes} says. */
    static Result compare(String label, Model model, Map<Integer, int[]> inputShapes, List<TensorData> inputs,
            double intermediateTolerance, long lsbTolerance) {
        try (Session s = new Session(label, model, inputShapes, false)) {
            return s.compare(label, inputs, intermediateTolerance, lsbTolerance);
        }
    }

    /** Differences of Whittle's outputs from TFLite's with XNNPACK: reported, never asserted. */
    record XnnpackDiff(long elements, long differing, long maxUnits, double maxRelative) {
        XnnpackDiff plus(XnnpackDiff o) {
            return new XnnpackDiff(elements + o.elements, differing + o.differing, Math.max(maxUnits, o.maxUnits),
                    Math.max(maxRelative, o.maxRelative));
        }
    }

    /**
     * One model compiled once on Whittle and loaded once in TFLite (builtin kernels, no
     * XNNPACK, every tensor preserved; optionally a second TFLite with XNNPACK), compared on
     * as many inputs as the caller feeds it.
     */
    static final class Session implements AutoCloseable {
        private final CompiledModel compiled;
        private final TfliteInterpreter tflite;
        private final TfliteInterpreter xnnpack;
        /** Why there is no XNNPACK interpreter, or null. */
        private final String xnnpackUnavailable;
        private final ExecutionContext all;
        private final ExecutionContext planned;
        /** Tensors in the order the graph computes them (graph inputs first), for naming the first difference. */
        private final int[] order;
        /** For each tensor, the operator that writes it, e.g. "12 (CONV_2D)", or "graph input". */
        private final String[] producer;
        private int compared;

        Session(String label, Model model, Map<Integer, int[]> inputShapes, boolean withXnnpack) {
            this.compiled = CompiledModel.compile(model, inputShapes);
            byte[] bytes = ModelWriter.toBytes(model);
            TfliteOptions options = TfliteOptions.defaults().useXnnpack(false).preserveAllTensors(true).threads(1);
            this.tflite = TfliteInterpreter.create(bytes, options);
            for (Map.Entry<Integer, int[]> e : inputShapes.entrySet()) {
                tflite.resizeInput(e.getKey(), e.getValue());
            }
            TfliteInterpreter x = null;
            String why = withXnnpack ? null : "not requested";
            if (withXnnpack) {
                // Only ever reported: a model XNNPACK cannot take must not fail the comparison.
                try {
                    x = TfliteInterpreter.create(bytes, TfliteOptions.defaults().useXnnpack(true).threads(1));
                    for (Map.Entry<Integer, int[]> e : inputShapes.entrySet()) {
                        x.resizeInput(e.getKey(), e.getValue());
                    }
                } catch (RuntimeException e) {
                    if (x != null) {
                        x.close();
                        x = null;
                    }
                    why = e.getMessage();
                }
            }
            this.xnnpack = x;
            this.xnnpackUnavailable = why;
            this.all = compiled.newContext(true);
            this.planned = compiled.newContext();
            Subgraph g = model.mainGraph();
            int nt = compiled.tensorCount();
            producer = new String[nt];
            List<Integer> ord = new ArrayList<>();
            for (int t : g.inputs()) {
                producer[t] = "graph input";
                ord.add(t);
            }
            for (int i = 0; i < g.operatorCount(); i++) {
                Operator op = g.operator(i);
                for (int t : op.outputs()) {
                    if (producer[t] == null) {
                        producer[t] = "operator " + i + " (" + model.operatorCodeOf(op).name() + ")";
                        ord.add(t);
                    }
                }
            }
            for (int t = 0; t < nt; t++) {
                if (producer[t] == null) {
                    producer[t] = "constant";
                    ord.add(t);
                }
            }
            order = ord.stream().mapToInt(Integer::intValue).toArray();
        }

        /** Why {@link #againstXnnpack} cannot run, or null when it can. */
        String xnnpackUnavailable() {
            return xnnpack == null ? xnnpackUnavailable : null;
        }

        CompiledModel compiled() {
            return compiled;
        }

        /** Shape graph input {@code i} has after any resize. */
        int[] inputShape(int i) {
            return compiled.tensorInfo(compiled.inputTensorIndex(i)).shape();
        }

        /** As {@link Differential#compare(String, Model, List, double, long)}, on this session's model. */
        Result compare(String label, List<TensorData> inputs, double intermediateTolerance, long lsbTolerance) {
            long elements = 0;
            double worst = 0;
            int tensors = 0;
            long differing = 0;
            long maxLsb = 0;
            String firstDiff = null;
            // The shared arena is checked on a session's first input only: it is the same plan for
            // every input, and the reference kernels are slow.
            boolean checkPlanned = compared++ == 0;
            for (int i = 0; i < compiled.inputCount(); i++) {
                TensorData in = inputs.get(i);
                tflite.setInput(i, in);
                all.setInput(i, in);
                if (checkPlanned) {
                    planned.setInput(i, in);
                }
            }
            tflite.invoke();
            all.invoke();
            if (checkPlanned) {
                planned.invoke();
            }
            for (int t : order) {
                TensorInfo info = tflite.tensorInfo(t);
                if (info.type() == null || !info.type().hasFixedSize()) {
                    continue;
                }
                TensorData actual;
                try {
                    actual = all.tensor(t);
                } catch (IllegalArgumentException unused) {
                    continue; // no operator touches it
                }
                TensorData expected = tflite.tensor(t);
                if (expected == null) {
                    continue;
                }
                boolean output = false;
                for (int o = 0; o < compiled.outputCount(); o++) {
                    output |= compiled.outputTensorIndex(o) == t;
                }
                String what = label + " tensor " + t + " '" + info.name() + "' from " + producer[t];
                if (info.type() == TensorType.FLOAT32 || info.type() == TensorType.FLOAT16) {
                    double rel = relativeDiff(what, expected, actual, output ? TOLERANCE : intermediateTolerance);
                    worst = Math.max(worst, rel);
                } else {
                    assertArrayEquals(expected.shape(), actual.shape(), what + ": shape");
                    double[] e = expected.toDoubleArray();
                    double[] a = actual.toDoubleArray();
                    for (int k = 0; k < e.length; k++) {
                        if (e[k] != a[k]) {
                            differing++;
                            maxLsb = Math.max(maxLsb, (long) Math.abs(e[k] - a[k]));
                            if (firstDiff == null) {
                                firstDiff = "tensor " + t + " '" + info.name() + "' from " + producer[t] + ", element "
                                        + k + " of " + Arrays.toString(expected.shape()) + ": TFLite " + (long) e[k]
                                        + ", Whittle " + (long) a[k];
                            }
                        }
                    }
                }
                elements += expected.elementCount();
                tensors++;
            }
            // The shared arena must give the same outputs as the one with separate memory.
            for (int o = 0; checkPlanned && o < compiled.outputCount(); o++) {
                assertEquals(all.output(o), planned.output(o), label + ": output " + o
                        + " differs with the shared arena");
            }
            System.out.printf("runtime differential %-40s tensors %4d elements %9d max relative diff %.3e"
                    + " integer elements differing %d (max %d LSB)%n", label, tensors, elements, worst, differing,
                    maxLsb);
            assertTrue(worst < Math.max(TOLERANCE, intermediateTolerance), label + ": max relative diff " + worst);
            assertTrue(maxLsb <= lsbTolerance, label + ": " + differing + " integer elements differ, by up to "
                    + maxLsb + " LSB (allowed " + lsbTolerance + "); first in graph order: " + firstDiff);
            return new Result(elements, worst, tensors, differing, maxLsb);
        }

        /**
         * Runs TFLite with XNNPACK on {@code inputs} and compares its outputs with Whittle's
         * outputs of the last {@link #compare} (which must have had the same inputs).
         */
        XnnpackDiff againstXnnpack(List<TensorData> inputs) {
            if (xnnpack == null) {
                throw new IllegalStateException("no XNNPACK interpreter: " + xnnpackUnavailable);
            }
            for (int i = 0; i < inputs.size(); i++) {
                xnnpack.setInput(i, inputs.get(i));
            }
            xnnpack.invoke();
            long elements = 0;
            long differing = 0;
            long maxUnits = 0;
            double maxRelative = 0;
            for (int o = 0; o < compiled.outputCount(); o++) {
                TensorData x = xnnpack.output(o);
                TensorData w = all.output(o);
                double[] e = x.toDoubleArray();
                double[] a = w.toDoubleArray();
                double lo = Double.POSITIVE_INFINITY;
                double hi = Double.NEGATIVE_INFINITY;
                for (double v : e) {
                    lo = Math.min(lo, v);
                    hi = Math.max(hi, v);
                }
                double range = hi > lo ? hi - lo : Math.max(1, Math.abs(hi));
                boolean isFloat = x.type() == TensorType.FLOAT32 || x.type() == TensorType.FLOAT16;
                for (int k = 0; k < e.length; k++) {
                    double d = Math.abs(e[k] - a[k]);
                    if (isFloat) {
                        maxRelative = Math.max(maxRelative, d / range);
                    } else if (d != 0) {
                        differing++;
                        maxUnits = Math.max(maxUnits, (long) d);
                    }
                }
                elements += e.length;
            }
            return new XnnpackDiff(elements, differing, maxUnits, maxRelative);
        }

        @Override
        public void close() {
            planned.close();
            all.close();
            tflite.close();
            if (xnnpack != null) {
                xnnpack.close();
            }
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
