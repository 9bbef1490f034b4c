package dev.whittle.optimize;

/**
 * What {@link Pruner} does. Exactly one kind: unstructured {@code sparsity} (per layer, or
 * one threshold over all layers with {@code global}), an M:N {@code pattern}, or
 * {@code block} sparsity (R x C blocks, to {@code sparsity}).
 *
 * @param sparsity   fraction of weights set to zero, in [0, 1) (unstructured and block)
 * @param patternM   M of an M:N pattern (0: no pattern)
 * @param patternN   N of an M:N pattern
 * @param blockRows  R of R x C blocks (0: no blocks): output channels per block
 * @param blockCols  C of R x C blocks: consecutive weights along the input channel per block
 * @param global     one magnitude threshold over all selected layers instead of per layer
 * @param method     how weights are ranked
 * @param selection  which weights
 */
public record PruneOptions(double sparsity, int patternM, int patternN, int blockRows, int blockCols, boolean global,
                           Method method, WeightSelection selection) {

    /** How weights are ranked for removal. */
    public enum Method {
        /** |w| (real value for quantized weights): needs no data. */
        MAGNITUDE,
        /**
         * |w| times the root mean square of the input it multiplies over calibration data (as
         * in Sun et al., "A Simple and Effective Pruning Approach for Large Language Models",
         * 2023), compared within each output channel; then the kept weights are refit to the
         * calibration data and each layer's bias corrected so its mean output is kept.
         */
        DATA_AWARE;

        public static Method parse(String s) {
            return switch (s.toLowerCase()) {
                case "magnitude" -> MAGNITUDE;
                case "data-aware", "data_aware", "dataaware" -> DATA_AWARE;
                default -> throw new BadParameterException("--method '" + s + "': use magnitude or data-aware");
            };
        }
    }

    /** Checks every value that does not depend on the model. */
    public PruneOptions {
        if (method == null) {
            method = Method.MAGNITUDE;
        }
        if (selection == null) {
            selection = WeightSelection.DEFAULT;
        }
        boolean pattern = patternM != 0 || patternN != 0;
        boolean block = blockRows != 0 || blockCols != 0;
        if (pattern && block) {
            throw new BadParameterException("--pattern and --block cannot be combined");
        }
        if (pattern) {
            if (patternN < 2 || patternM < 1 || patternM >= patternN) {
                throw new BadParameterException("--pattern " + patternM + ":" + patternN
                        + ": needs 1 <= M < N and N >= 2 (e.g. 2:4)");
            }
            if (global) {
                throw new BadParameterException("--global applies to unstructured --sparsity, not to --pattern");
            }
        } else if (!(sparsity >= 0 && sparsity < 1)) {
            throw new BadParameterException("--sparsity must be in [0, 1), got " + sparsity);
        }
        if (block) {
            if (blockRows < 1 || blockCols < 1) {
                throw new BadParameterException("--block " + blockRows + "x" + blockCols + ": both sides must be >= 1");
            }
            if (global) {
                throw new BadParameterException("--global applies to unstructured --sparsity, not to --block");
            }
        }
    }

    /** Unstructured sparsity per layer by magnitude. */
    public static PruneOptions sparsity(double s) {
        return new PruneOptions(s, 0, 0, 0, 0, false, Method.MAGNITUDE, WeightSelection.DEFAULT);
    }

    /** M:N pattern by magnitude. */
    public static PruneOptions pattern(int m, int n) {
        return new PruneOptions(0, m, n, 0, 0, false, Method.MAGNITUDE, WeightSelection.DEFAULT);
    }

    /** R x C blocks to sparsity {@code s} by magnitude. */
    public static PruneOptions block(int rows, int cols, double s) {
        return new PruneOptions(s, 0, 0, rows, cols, false, Method.MAGNITUDE, WeightSelection.DEFAULT);
    }

    public PruneOptions withMethod(Method m) {
        return new PruneOptions(sparsity, patternM, patternN, blockRows, blockCols, global, m, selection);
    }

    public PruneOptions withGlobal(boolean g) {
        return new PruneOptions(sparsity, patternM, patternN, blockRows, blockCols, g, method, selection);
    }

    public PruneOptions withSelection(WeightSelection s) {
        return new PruneOptions(sparsity, patternM, patternN, blockRows, blockCols, global, method, s);
    }

    public boolean isPattern() {
        return patternN != 0;
    }

    public boolean isBlock() {
        return blockRows != 0;
    }

    public String describe() {
        String kind = isPattern() ? "pattern " + patternM + ":" + patternN
                : isBlock() ? String.format("block %dx%d sparsity %.2f", blockRows, blockCols, sparsity)
                : String.format("sparsity %.2f%s", sparsity, global ? " global" : " per layer");
        return "prune " + method.name().toLowerCase().replace('_', '-') + ", " + kind;
    }
}
