package dev.whittle.optimize;

import dev.whittle.TensorData;
import dev.whittle.model.Model;
import dev.whittle.tflite.TfliteInterpreter;
import dev.whittle.tflite.TfliteOptions;

import java.util.List;

/**
 * Top-1 agreement between two classifiers on the same inputs, run in TFLite: the fraction of
 * inputs whose highest-scoring class (output 0) is the same. A stand-in for the quantization
 * work's {@code evaluate} command, which will replace it.
 */
public final class Agreement {
    private Agreement() {
    }

    /** The class with the highest score of output 0 for each input (ties: the lower class). */
    public static int[] top1(Model model, List<TensorData> inputs) {
        int[] r = new int[inputs.size()];
        try (TfliteInterpreter tfl = TfliteInterpreter.create(ActivationStats.tfliteBytes(model), TfliteOptions.defaults())) {
            for (int k = 0; k < r.length; k++) {
                tfl.setInput(0, inputs.get(k));
                tfl.invoke();
                r[k] = argmax(tfl.output(0));
            }
        }
        return r;
    }

    /** Fraction of equal entries. */
    public static double agreement(int[] a, int[] b) {
        if (a.length != b.length || a.length == 0) {
            throw new IllegalArgumentException("need two equally long, non-empty label lists");
        }
        int same = 0;
        for (int i = 0; i < a.length; i++) {
            if (a[i] == b[i]) {
                same++;
            }
        }
        return (double) same / a.length;
    }

    static int argmax(TensorData t) {
        int best = 0;
        double bv = Double.NEGATIVE_INFINITY;
        long n = t.elementCount();
        for (int i = 0; i < n; i++) {
            double v = t.getDouble(i);
            if (v > bv) {
                bv = v;
                best = i;
            }
        }
        return best;
    }
}
