package dev.whittle.optimize;

import dev.whittle.model.BuiltinOperator;
import dev.whittle.model.Model;
import dev.whittle.model.Operator;
import dev.whittle.model.OperatorCode;
import dev.whittle.model.Subgraph;
import dev.whittle.model.Tensor;
import dev.whittle.model.TensorType;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * Which weights a pruning or clustering step touches. By default, as the TensorFlow Model
 * Optimization Toolkit does: the constant weights of CONV_2D and FULLY_CONNECTED, never biases;
 * DEPTHWISE_CONV_2D only on request (its few weights per channel carry much of the accuracy).
 * {@code layers} keeps only weight tensors whose name the pattern finds, {@code skip} drops
 * those it finds (both {@link java.util.regex.Matcher#find()}). Float32 weights, and int8 or
 * uint8 weights of quantized models; other types (float16, int4, ...) are left alone.
 *
 * @param layers           keep only weights whose tensor name matches (null: all)
 * @param skip             drop weights whose tensor name matches (null: none)
 * @param includeDepthwise also select DEPTHWISE_CONV_2D weights
 */
public record WeightSelection(String layers, String skip, boolean includeDepthwise) {
    /** Conv and fully-connected weights, all names. */
    public static final WeightSelection DEFAULT = new WeightSelection(null, null, false);

    /**
     * Checks the regular expressions (before any work).
     *
     * @throws BadParameterException when a pattern does not compile
     */
    public WeightSelection {
        compile("--layers", layers);
        compile("--skip", skip);
    }

    /**
     * The selected layers in operator order. A weight read by several operators is selected
     * once (at its first consumer); bias correction then skips it.
     *
     * @throws BadParameterException when {@code layers} or {@code skip} leaves nothing, or the
     *     model has no eligible weights at all
     */
    public List<Layer> select(Model model) {
        Pattern keep = compile("--layers", layers);
        Pattern drop = compile("--skip", skip);
        List<Layer> eligible = new ArrayList<>();
        Set<Long> seen = new HashSet<>();
        for (int s = 0; s < model.subgraphs().size(); s++) {
            Subgraph sg = model.subgraph(s);
            for (int i = 0; i < sg.operatorCount(); i++) {
                Operator op = sg.operator(i);
                OperatorCode code = model.operatorCodeOf(op);
                BuiltinOperator b = code.isCustom() ? null : code.builtin();
                if (b != BuiltinOperator.CONV_2D && b != BuiltinOperator.FULLY_CONNECTED
                        && !(includeDepthwise && b == BuiltinOperator.DEPTHWISE_CONV_2D)) {
                    continue;
                }
                if (op.inputCount() < 2 || op.input(1) < 0) {
                    continue;
                }
                Tensor w = sg.tensor(op.input(1));
                if (!model.isConstant(w) || !supported(w.type()) || w.sparsity() != null) {
                    continue;
                }
                if (!seen.add(((long) s << 32) | op.input(1))) {
                    continue;
                }
                int bias = op.inputCount() > 2 ? op.input(2) : -1;
                if (bias >= 0 && !model.isConstant(sg.tensor(bias))) {
                    bias = -1;
                }
                eligible.add(new Layer(s, i, b, op.input(1), bias, op.input(0), op.output(0), w.name()));
            }
        }
        if (eligible.isEmpty()) {
            throw new BadParameterException("the model has no constant float32/int8/uint8 weights of CONV_2D or "
                    + "FULLY_CONNECTED" + (includeDepthwise ? " or DEPTHWISE_CONV_2D" : "") + " operators");
        }
        List<Layer> chosen = new ArrayList<>();
        for (Layer l : eligible) {
            String name = l.name() == null ? "" : l.name();
            if ((keep == null || keep.matcher(name).find()) && (drop == null || !drop.matcher(name).find())) {
                chosen.add(l);
            }
        }
        if (keep != null && eligible.stream().noneMatch(l -> keep.matcher(nameOf(l)).find())) {
            throw new BadParameterException("--layers '" + layers + "' matches none of the " + eligible.size()
                    + " eligible weight tensors (e.g. '" + nameOf(eligible.get(0)) + "')");
        }
        if (drop != null && eligible.stream().noneMatch(l -> drop.matcher(nameOf(l)).find())) {
            throw new BadParameterException("--skip '" + skip + "' matches none of the " + eligible.size()
                    + " eligible weight tensors (e.g. '" + nameOf(eligible.get(0)) + "')");
        }
        if (chosen.isEmpty()) {
            throw new BadParameterException("--layers/--skip leave no weight tensor to change");
        }
        return chosen;
    }

    static boolean supported(TensorType t) {
        return t == TensorType.FLOAT32 || t == TensorType.INT8 || t == TensorType.UINT8;
    }

    private static String nameOf(Layer l) {
        return l.name() == null ? "" : l.name();
    }

    private static Pattern compile(String option, String regex) {
        if (regex == null) {
            return null;
        }
        try {
            return Pattern.compile(regex);
        } catch (PatternSyntaxException e) {
            throw new BadParameterException(option + " '" + regex + "' is not a valid regular expression: "
                    + e.getDescription());
        }
    }
}
