package dev.whittle.runtime.kernels.reference;

import dev.whittle.InvalidInputException;
import dev.whittle.runtime.ExecutionState;
import dev.whittle.runtime.Kernel;

import java.util.EnumMap;
import java.util.Map;

/**
 * Reference kernels of the layout and shape operators: they only move elements, so each is
 * written once per {@link ElementWidth} and named {@code xN_op__reference} (XNNPACK's naming
 * for type-agnostic kernels). Every kernel writes each output element exactly once, in
 * row-major order, and decomposes the flat output index into coordinates with divisions
 * instead of keeping an odometer, so eval holds no mutable state and allocates nothing.
 *
 * <p>Plain scalar loops, slow on purpose: these are the oracle for any faster kernel.
 */
public final class LayoutKernels {
    private LayoutKernels() {
    }

    // ---- parameters (built by the operators' prepare; arrays are never mutated afterwards) ----

    /** A byte copy of a whole tensor (RESHAPE, SQUEEZE, EXPAND_DIMS). */
    public record CopyParams(Kernel<CopyParams> kernel, int input, int output, int bytes) {
    }

    /**
     * An affine gather: output element {@code o}, whose coordinates over {@code dims}
     * (row-major) are {@code c}, is input element {@code base + sum(c[d] * steps[d])}.
     * TRANSPOSE, SLICE and STRIDED_SLICE are all of this form; {@code count} is the product of
     * {@code dims}.
     */
    public record StridedParams(Kernel<StridedParams> kernel, int input, int output, int count, int base, int[] dims,
            int[] steps) {
    }

    /**
     * PACK: output {@code [outer, inputs.length, inner]} from inputs {@code [outer, inner]}.
     */
    public record PackParams(Kernel<PackParams> kernel, int[] inputs, int output, int outer, int inner) {
    }

    /** UNPACK: outputs {@code [outer, inner]} from input {@code [outer, outputs.length, inner]}. */
    public record UnpackParams(Kernel<UnpackParams> kernel, int input, int[] outputs, int outer, int inner) {
    }

    /**
     * GATHER as TFLite's reference computes it: input {@code [batch, outer, axisSize, inner]},
     * positions {@code [batch, coords]}, output {@code [batch, outer, coords, inner]}. A
     * position outside {@code [0, axisSize)} fails the invoke, as it fails TFLite's.
     */
    public record GatherParams(Kernel<GatherParams> kernel, int input, int positions, ElementWidth positionWidth,
            int output, int batch, int outer, int axisSize, int coords, int inner) {
    }

    /**
     * SPACE_TO_BATCH_ND on shapes extended to 4-D ({@code NHC} becomes {@code NH1C}): padded
     * positions are written with {@code padBits} (the output zero point, 0 for float).
     */
    public record SpaceToBatchParams(Kernel<SpaceToBatchParams> kernel, int input, int output, int[] inShape,
            int[] outShape, int blockH, int blockW, int padTop, int padLeft, long padBits) {
    }

    /** BATCH_TO_SPACE_ND on shapes extended to 4-D. */
    public record BatchToSpaceParams(Kernel<BatchToSpaceParams> kernel, int input, int output, int[] inShape,
            int[] outShape, int blockH, int blockW, int cropTop, int cropLeft) {
    }

    /** DEPTH_TO_SPACE and SPACE_TO_DEPTH (NHWC, TensorFlow's DCR order). */
    public record BlockParams(Kernel<BlockParams> kernel, int input, int output, int[] inShape, int[] outShape,
            int block) {
    }

    // ---- kernels ----

    private static final Kernel<CopyParams> COPY = new Kernel<>() {
        @Override
        public String name() {
            return "x8_copy__reference";
        }

        @Override
        public void run(CopyParams p, ExecutionState s) {
            s.copyBytes(p.input(), p.output(), p.bytes());
        }
    };

    /** The byte copy of RESHAPE, SQUEEZE and EXPAND_DIMS, whatever the element type. */
    public static Kernel<CopyParams> copy() {
        return COPY;
    }

    private record Strided(ElementWidth width, String name) implements Kernel<StridedParams> {
        @Override
        public void run(StridedParams p, ExecutionState s) {
            int[] dims = p.dims();
            int[] steps = p.steps();
            for (int o = 0; o < p.count(); o++) {
                int rem = o;
                int src = p.base();
                for (int d = dims.length - 1; d >= 0; d--) {
                    src += (rem % dims[d]) * steps[d];
                    rem /= dims[d];
                }
                width.move(s, p.input(), src, p.output(), o);
            }
        }
    }

    private static final Map<ElementWidth, Kernel<StridedParams>> TRANSPOSE = strided("transpose");
    private static final Map<ElementWidth, Kernel<StridedParams>> SLICE = strided("slice");
    private static final Map<ElementWidth, Kernel<StridedParams>> STRIDED_SLICE = strided("strided_slice");

    private static Map<ElementWidth, Kernel<StridedParams>> strided(String op) {
        Map<ElementWidth, Kernel<StridedParams>> m = new EnumMap<>(ElementWidth.class);
        for (ElementWidth w : ElementWidth.values()) {
            m.put(w, new Strided(w, w.prefix() + "_" + op + "__reference"));
        }
        return m;
    }

    /** {@code xN_transpose__reference}. */
    public static Kernel<StridedParams> transpose(ElementWidth w) {
        return TRANSPOSE.get(w);
    }

    /** {@code xN_slice__reference}. */
    public static Kernel<StridedParams> slice(ElementWidth w) {
        return SLICE.get(w);
    }

    /** {@code xN_strided_slice__reference}. */
    public static Kernel<StridedParams> stridedSlice(ElementWidth w) {
        return STRIDED_SLICE.get(w);
    }

    private record Pack(ElementWidth width, String name) implements Kernel<PackParams> {
        @Override
        public void run(PackParams p, ExecutionState s) {
            int n = p.inputs().length;
            for (int o = 0; o < p.outer(); o++) {
                for (int k = 0; k < n; k++) {
                    for (int i = 0; i < p.inner(); i++) {
                        width.move(s, p.inputs()[k], o * p.inner() + i, p.output(), (o * n + k) * p.inner() + i);
                    }
                }
            }
        }
    }

    private record Unpack(ElementWidth width, String name) implements Kernel<UnpackParams> {
        @Override
        public void run(UnpackParams p, ExecutionState s) {
            int n = p.outputs().length;
            for (int o = 0; o < p.outer(); o++) {
                for (int k = 0; k < n; k++) {
                    for (int i = 0; i < p.inner(); i++) {
                        width.move(s, p.input(), (o * n + k) * p.inner() + i, p.outputs()[k], o * p.inner() + i);
                    }
                }
            }
        }
    }

    private record Gather(ElementWidth width, String name) implements Kernel<GatherParams> {
        @Override
        public void run(GatherParams p, ExecutionState s) {
            for (int b = 0; b < p.batch(); b++) {
                for (int o = 0; o < p.outer(); o++) {
                    for (int i = 0; i < p.coords(); i++) {
                        int at = b * p.coords() + i;
                        long coord = switch (p.positionWidth()) {
                            case X16 -> s.getShort(p.positions(), at);
                            case X32 -> s.getInt(p.positions(), at);
                            case X64 -> s.getLong(p.positions(), at);
                            case X8 -> throw new IllegalStateException("8-bit positions");
                        };
                        if (coord < 0 || coord >= p.axisSize()) {
                            throw new InvalidInputException("GATHER position " + coord + " (element " + at
                                    + " of the positions) is outside [0, " + p.axisSize() + ")");
                        }
                        int from = (int) (((long) (b * p.outer() + o) * p.axisSize() + coord) * p.inner());
                        int to = ((b * p.outer() + o) * p.coords() + i) * p.inner();
                        for (int k = 0; k < p.inner(); k++) {
                            width.move(s, p.input(), from + k, p.output(), to + k);
                        }
                    }
                }
            }
        }
    }

    private record SpaceToBatch(ElementWidth width, String name) implements Kernel<SpaceToBatchParams> {
        @Override
        public void run(SpaceToBatchParams p, ExecutionState s) {
            int[] in = p.inShape();
            int[] out = p.outShape();
            int depth = in[3];
            for (int ob = 0; ob < out[0]; ob++) {
                int inBatch = ob % in[0];
                int shiftW = (ob / in[0]) % p.blockW();
                int shiftH = (ob / in[0]) / p.blockW();
                for (int oh = 0; oh < out[1]; oh++) {
                    for (int ow = 0; ow < out[2]; ow++) {
                        int h = oh * p.blockH() + shiftH - p.padTop();
                        int w = ow * p.blockW() + shiftW - p.padLeft();
                        int to = ((ob * out[1] + oh) * out[2] + ow) * depth;
                        boolean inside = h >= 0 && h < in[1] && w >= 0 && w < in[2];
                        int from = ((inBatch * in[1] + h) * in[2] + w) * depth;
                        for (int c = 0; c < depth; c++) {
                            if (inside) {
                                width.move(s, p.input(), from + c, p.output(), to + c);
                            } else {
                                width.fill(s, p.output(), to + c, p.padBits());
                            }
                        }
                    }
                }
            }
        }
    }

    private record BatchToSpace(ElementWidth width, String name) implements Kernel<BatchToSpaceParams> {
        @Override
        public void run(BatchToSpaceParams p, ExecutionState s) {
            int[] in = p.inShape();
            int[] out = p.outShape();
            int depth = in[3];
            for (int ib = 0; ib < in[0]; ib++) {
                int ob = ib % out[0];
                int spatial = ib / out[0];
                for (int ih = 0; ih < in[1]; ih++) {
                    int oh = ih * p.blockH() + spatial / p.blockW() - p.cropTop();
                    if (oh < 0 || oh >= out[1]) {
                        continue;
                    }
                    for (int iw = 0; iw < in[2]; iw++) {
                        int ow = iw * p.blockW() + spatial % p.blockW() - p.cropLeft();
                        if (ow < 0 || ow >= out[2]) {
                            continue;
                        }
                        int from = ((ib * in[1] + ih) * in[2] + iw) * depth;
                        int to = ((ob * out[1] + oh) * out[2] + ow) * depth;
                        for (int c = 0; c < depth; c++) {
                            width.move(s, p.input(), from + c, p.output(), to + c);
                        }
                    }
                }
            }
        }
    }

    private record DepthToSpace(ElementWidth width, String name) implements Kernel<BlockParams> {
        @Override
        public void run(BlockParams p, ExecutionState s) {
            int[] in = p.inShape();
            int[] out = p.outShape();
            int bs = p.block();
            for (int b = 0; b < out[0]; b++) {
                for (int oh = 0; oh < out[1]; oh++) {
                    for (int ow = 0; ow < out[2]; ow++) {
                        for (int oc = 0; oc < out[3]; oc++) {
                            int ic = ((oh % bs) * bs + ow % bs) * out[3] + oc;
                            int from = ((b * in[1] + oh / bs) * in[2] + ow / bs) * in[3] + ic;
                            int to = ((b * out[1] + oh) * out[2] + ow) * out[3] + oc;
                            width.move(s, p.input(), from, p.output(), to);
                        }
                    }
                }
            }
        }
    }

    private record SpaceToDepth(ElementWidth width, String name) implements Kernel<BlockParams> {
        @Override
        public void run(BlockParams p, ExecutionState s) {
            int[] in = p.inShape();
            int[] out = p.outShape();
            int bs = p.block();
            for (int b = 0; b < in[0]; b++) {
                for (int ih = 0; ih < in[1]; ih++) {
                    for (int iw = 0; iw < in[2]; iw++) {
                        for (int ic = 0; ic < in[3]; ic++) {
                            int oc = ((ih % bs) * bs + iw % bs) * in[3] + ic;
                            int from = ((b * in[1] + ih) * in[2] + iw) * in[3] + ic;
                            int to = ((b * out[1] + ih / bs) * out[2] + iw / bs) * out[3] + oc;
                            width.move(s, p.input(), from, p.output(), to);
                        }
                    }
                }
            }
        }
    }

    private static final Map<ElementWidth, Kernel<PackParams>> PACK = new EnumMap<>(ElementWidth.class);
    private static final Map<ElementWidth, Kernel<UnpackParams>> UNPACK = new EnumMap<>(ElementWidth.class);
    private static final Map<ElementWidth, Kernel<GatherParams>> GATHER = new EnumMap<>(ElementWidth.class);
    private static final Map<ElementWidth, Kernel<SpaceToBatchParams>> SPACE_TO_BATCH = new EnumMap<>(ElementWidth.class);
    private static final Map<ElementWidth, Kernel<BatchToSpaceParams>> BATCH_TO_SPACE = new EnumMap<>(ElementWidth.class);
    private static final Map<ElementWidth, Kernel<BlockParams>> DEPTH_TO_SPACE = new EnumMap<>(ElementWidth.class);
    private static final Map<ElementWidth, Kernel<BlockParams>> SPACE_TO_DEPTH = new EnumMap<>(ElementWidth.class);

    static {
        for (ElementWidth w : ElementWidth.values()) {
            PACK.put(w, new Pack(w, w.prefix() + "_pack__reference"));
            UNPACK.put(w, new Unpack(w, w.prefix() + "_unpack__reference"));
            GATHER.put(w, new Gather(w, w.prefix() + "_gather__reference"));
            SPACE_TO_BATCH.put(w, new SpaceToBatch(w, w.prefix() + "_space_to_batch_nd__reference"));
            BATCH_TO_SPACE.put(w, new BatchToSpace(w, w.prefix() + "_batch_to_space_nd__reference"));
            DEPTH_TO_SPACE.put(w, new DepthToSpace(w, w.prefix() + "_depth_to_space__reference"));
            SPACE_TO_DEPTH.put(w, new SpaceToDepth(w, w.prefix() + "_space_to_depth__reference"));
        }
    }

    /** {@code xN_pack__reference}. */
    public static Kernel<PackParams> pack(ElementWidth w) {
        return PACK.get(w);
    }

    /** {@code xN_unpack__reference}. */
    public static Kernel<UnpackParams> unpack(ElementWidth w) {
        return UNPACK.get(w);
    }

    /** {@code xN_gather__reference}. */
    public static Kernel<GatherParams> gather(ElementWidth w) {
        return GATHER.get(w);
    }

    /** {@code xN_space_to_batch_nd__reference}. */
    public static Kernel<SpaceToBatchParams> spaceToBatch(ElementWidth w) {
        return SPACE_TO_BATCH.get(w);
    }

    /** {@code xN_batch_to_space_nd__reference}. */
    public static Kernel<BatchToSpaceParams> batchToSpace(ElementWidth w) {
        return BATCH_TO_SPACE.get(w);
    }

    /** {@code xN_depth_to_space__reference}. */
    public static Kernel<BlockParams> depthToSpace(ElementWidth w) {
        return DEPTH_TO_SPACE.get(w);
    }

    /** {@code xN_space_to_depth__reference}. */
    public static Kernel<BlockParams> spaceToDepth(ElementWidth w) {
        return SPACE_TO_DEPTH.get(w);
    }
}
