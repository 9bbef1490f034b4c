package dev.whittle.optimize;

import dev.whittle.model.Model;

import java.util.ArrayList;
import java.util.List;

/**
 * What pruning and clustering leave visible in a model's weights, per layer: sparsity, M:N
 * conformance along the input channel, and distinct values (per layer and the most in any
 * output channel). Quantized weights count the zero point as zero.
 *
 * @param name                tensor name
 * @param op                  consuming operator
 * @param type                tensor type, lower case
 * @param shape               weight shape
 * @param elements            number of weights
 * @param zeros               weights equal to zero
 * @param distinct            distinct values in the tensor
 * @param maxDistinctPerChannel the most distinct values in one output channel
 * @param pattern24           whether every group of 4 along the last dimension has at least 2 zeros
 *                            (false when 4 does not divide it)
 * @param bestPattern         the densest M:N pattern (N in 4, 8, 16) every group satisfies with M >= 1, e.g. "2:4", or ""
 */
public record WeightStats(String name, String op, String type, int[] shape, long elements, long zeros, int distinct,
                          int maxDistinctPerChannel, boolean pattern24, String bestPattern) {

    public double sparsity() {
        return elements == 0 ? 0 : (double) zeros / elements;
    }

    /** Statistics of the weights of conv, depthwise and fully-connected operators (all of them). */
    public static List<WeightStats> of(Model model) {
        List<Layer> layers;
        try {
            layers = new WeightSelection(null, null, true).select(model);
        } catch (BadParameterException e) {
            return List.of();
        }
        List<WeightStats> out = new ArrayList<>();
        for (Layer l : layers) {
            WeightData w = WeightData.read(model, l);
            int maxPerChannel = 0;
            for (int o = 0; o < w.outputChannels(); o++) {
                maxPerChannel = Math.max(maxPerChannel, distinct(w, w.channelIndices(o)));
            }
            out.add(new WeightStats(l.name(), l.op().name(), w.type.name().toLowerCase(), w.shape, w.size(), w.zeros(),
                    w.distinct(), maxPerChannel, conforms(w, 2, 4), bestPattern(w)));
        }
        return out;
    }

    /** Whether every group of {@code n} consecutive weights along the last dimension has at least {@code m} zeros. */
    static boolean conforms(WeightData w, int m, int n) {
        if (w.lastDim() % n != 0) {
            return false;
        }
        for (int start = 0; start < w.size(); start += n) {
            int z = 0;
            for (int j = 0; j < n; j++) {
                if (w.values[start + j] == 0) {
                    z++;
                }
            }
            if (z < m) {
                return false;
            }
        }
        return true;
    }

    private static String bestPattern(WeightData w) {
        String best = "";
        double bestFraction = 0;
        for (int n : new int[] {4, 8, 16}) {
            if (w.lastDim() % n != 0) {
                continue;
            }
            int minZeros = n;
            for (int start = 0; start < w.size(); start += n) {
                int z = 0;
                for (int j = 0; j < n; j++) {
                    if (w.values[start + j] == 0) {
                        z++;
                    }
                }
                minZeros = Math.min(minZeros, z);
            }
            if (minZeros >= 1 && minZeros < n && (double) minZeros / n > bestFraction) {
                bestFraction = (double) minZeros / n;
                best = minZeros + ":" + n;
            }
        }
        return best;
    }

    private static int distinct(WeightData w, int[] idx) {
        float[] v = new float[idx.length];
        for (int k = 0; k < idx.length; k++) {
            v[k] = w.values[idx[k]];
        }
        java.util.Arrays.sort(v);
        int d = 0;
        for (int i = 0; i < v.length; i++) {
            if (i == 0 || Float.compare(v[i], v[i - 1]) != 0) {
                d++;
            }
        }
        return d;
    }
}
