package dev.whittle.model.io;

import dev.whittle.model.Model;
import dev.whittle.model.Quantization;
import dev.whittle.model.Subgraph;
import dev.whittle.model.Tensor;

import java.util.ArrayList;
import java.util.List;

/**
 * Fixes, in place, the harmless inconsistencies that TFLite's interpreter refuses although
 * the model is meaningful (the {@link ModelValidator.Severity#WARNING} findings).
 *
 * <p>Known case: TFLite Micro models such as {@code person_detect_int8.tflite} carry
 * {@code quantized_dimension = 3} (copied from the depthwise filter) on 1-D bias tensors
 * whose per-channel scales run along their only dimension. With one scale, or with one
 * dimension whose size equals the scale count, only dimension 0 can be meant, so setting it
 * to 0 changes no value; TFLite then loads the model ("quantized_dimension must be in range
 * [0, 1)" otherwise).
 */
public final class ModelRepair {
    private ModelRepair() {
    }

    /**
     * Applies every repair and returns one line per change (empty when nothing was needed).
     */
    public static List<String> repair(Model model) {
        List<String> changes = new ArrayList<>();
        for (int s = 0; s < model.subgraphs().size(); s++) {
            Subgraph sg = model.subgraph(s);
            for (int i = 0; i < sg.tensorCount(); i++) {
                Tensor t = sg.tensor(i);
                Quantization q = t.quantization();
                int qd = q == null ? 0 : q.quantizedDimension();
                if (quantizedDimensionRepairable(t) && (qd < 0 || (t.rank() > 0 && qd >= t.rank()))) {
                    q.setQuantizedDimension(0);
                    changes.add("subgraph " + s + " tensor " + i + " ('" + t.name() + "'): quantized_dimension "
                            + qd + " -> 0 (" + q.scaleCount() + " scale(s), shape " + java.util.Arrays.toString(t.shape()) + ")");
                }
            }
        }
        return changes;
    }

    /** Whether only dimension 0 can be meant by the tensor's quantization, whatever it says. */
    static boolean quantizedDimensionRepairable(Tensor t) {
        Quantization q = t.quantization();
        if (q == null || q.scale() == null || q.zeroPoint() == null || q.scaleCount() != q.zeroPoint().length) {
            return false;
        }
        return q.scaleCount() == 1 || (t.rank() == 1 && t.dim(0) == q.scaleCount());
    }

    /** Whether {@link #repair} would change anything. */
    public static boolean needsRepair(Model model) {
        return !ModelValidator.validate(model).warnings().isEmpty();
    }
}
