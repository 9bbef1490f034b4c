package dev.whittle.runtime;

import dev.whittle.InvalidInputException;
import dev.whittle.UnsupportedModelException;
import dev.whittle.edgetpu.EdgeTpuCheck;
import dev.whittle.model.BuiltinOperator;
import dev.whittle.model.Model;
import dev.whittle.model.Operator;
import dev.whittle.model.OperatorCode;
import dev.whittle.model.Subgraph;
import dev.whittle.model.Tensor;
import dev.whittle.runtime.kernels.FusedDwConvGemm;
import dev.whittle.runtime.ops.OpRegistry;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;

/**
 * A model prepared for Whittle's own runtime: every operator resolved to an {@link Op} and
 * prepared, constants copied into the compiled model's own read-only storage, and the
 * activation arena planned. Nothing is left to decide at invoke time.
 *
 * <p><b>Thread safety:</b> immutable after {@link #compile}; one instance may be shared by
 * any number of threads without synchronization, each running its own
 * {@link ExecutionContext} from {@link #newContext()} (which may itself be called from any
 * thread). Every per-invoke mutable byte lives in a context; the prepared nodes, kernels and
 * constants here are only read. The source {@link Model} is not referenced after compile, so
 * later edits to it do not change this compiled model.
 *
 * <p><b>Memory:</b> constants (folded results included) are held here, on the heap, once for
 * all contexts; activations and scratch areas are planned into an arena of
 * {@link #arenaBytes()} that each context allocates natively. See the package documentation.
 */
public final class CompiledModel {
    /**
     * One prepared operator; {@code opName} is what a profile calls it (null: the class of
     * {@code op}).
     */
    private record Node(Op<Object> op, Object prepared, String kernelNote, long weightBytes, String opName) {
        Node(Op<Object> op, Object prepared, String kernelNote, long weightBytes) {
            this(op, prepared, kernelNote, weightBytes, null);
        }
    }

    private final Node[] nodes;
    private final Tensor[] tensors;
    private final int[] inputs;
    private final int[] outputs;
    private final ByteBuffer constants;
    private final int[] constantOffsets;
    private final ArenaPlan shared;
    private final ArenaPlan separate;
    private final int foldedCount;
    /** Bytes of each scratch id; the plans place scratch {@code s} at entry {@code tensors.length + s}. */
    private final int[] scratchBytes;
    /** The largest per-worker scratch request of a live operator (chains' sync words included). */
    private final long workerScratchBytes;
    /** At a live node's position: the chain of parallel operators starting there, or null ({@link NodeChain}). */
    private final NodeChain[] chains;

    private CompiledModel(Node[] nodes, Tensor[] tensors, int[] inputs, int[] outputs, ByteBuffer constants,
            int[] constantOffsets, ArenaPlan shared, ArenaPlan separate, int foldedCount, int[] scratchBytes,
            long workerScratchBytes, NodeChain[] chains) {
        this.workerScratchBytes = workerScratchBytes;
        this.chains = chains;
        this.nodes = nodes;
        this.tensors = tensors;
        this.inputs = inputs;
        this.outputs = outputs;
        this.constants = constants;
        this.constantOffsets = constantOffsets;
        this.shared = shared;
        this.separate = separate;
        this.foldedCount = foldedCount;
        this.scratchBytes = scratchBytes;
    }

    /**
     * Prepares subgraph 0 of {@code model} with the input shapes the model declares.
     *
     * @throws UnsupportedModelException naming the operator index, its name and its tensor types
     *     when an operator, a type or a shape is not supported (control flow included)
     */
    public static CompiledModel compile(Model model) {
        return compile(model, Map.of());
    }

    /**
     * Prepares subgraph 0 of {@code model}, with graph input {@code i} given the shape
     * {@code inputShapes.get(i)} where present (TFLite's {@code ResizeInputTensor}); every
     * other shape is computed from the inputs, as TFLite's prepare does.
     *
     * <p>Operators whose inputs are all known at compile time (constants, the result of
     * {@code SHAPE} on a static shape, or outputs of other such operators) are run once here
     * and their outputs stored as constants: float16 weights behind a {@code DEQUANTIZE} are
     * dequantized once, and shape arithmetic costs nothing per invoke.
     *
     * @throws InvalidInputException when an input index does not exist or a shape has a
     *     negative dimension or a different rank than the model's input
     * @throws UnsupportedModelException naming the operator index, its name and its tensor types
     *     when an operator, a type or a shape is not supported (control flow included)
     */
    public static CompiledModel compile(Model model, Map<Integer, int[]> inputShapes) {
        return compile(model, inputShapes, CompiledModel::builtinOp);
    }

    /** The runtime's own implementation of an operator code, or null: {@link OpRegistry}'s. */
    private static Op<?> builtinOp(OperatorCode code) {
        return code.isCustom() ? null : OpRegistry.lookup(code.builtin());
    }

    /**
     * As {@link #compile(Model, Map)} with the operator implementations {@code resolver} gives
     * (null: none). For tests that need an operator the registry does not have.
     */
    static CompiledModel compile(Model model, Map<Integer, int[]> inputShapes, Function<OperatorCode, Op<?>> resolver) {
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(inputShapes, "inputShapes");
        if (model.subgraphs().isEmpty()) {
            throw new UnsupportedModelException("model has no subgraph");
        }
        // A compiled Edge TPU model is a custom op only the Edge TPU delegate runs: say so
        // before preparing anything.
        EdgeTpuCheck.requireNotCompiled(model);
        Subgraph g = model.mainGraph();
        int nt = g.tensorCount();
        int nOps = g.operatorCount();
        Tensor[] tensors = new Tensor[nt];
        ByteBuffer[] known = new ByteBuffer[nt];
        boolean[] produced = producedTensors(g);
        for (int t = 0; t < nt; t++) {
            tensors[t] = g.tensor(t).copy();
            ByteBuffer data = model.constantData(tensors[t]);
            if (data != null) {
                known[t] = data.duplicate().order(ByteOrder.LITTLE_ENDIAN).slice().order(ByteOrder.LITTLE_ENDIAN);
            } else if (isEmptyConstant(model, tensors[t], produced[t])) {
                known[t] = ByteBuffer.allocate(0).order(ByteOrder.LITTLE_ENDIAN);
            }
        }
        for (Map.Entry<Integer, int[]> e : inputShapes.entrySet()) {
            int i = e.getKey();
            if (i < 0 || i >= g.inputs().length) {
                throw new InvalidInputException("input " + i + " does not exist; the model has " + g.inputs().length
                        + " inputs");
            }
            Tensor t = tensors[g.inputs()[i]];
            int[] shape = e.getValue();
            if (shape.length != t.rank()) {
                throw new InvalidInputException("input " + i + " '" + t.name() + "' has rank " + t.rank()
                        + "; cannot resize it to " + Arrays.toString(shape));
            }
            for (int d : shape) {
                if (d < 0) {
                    throw new InvalidInputException("input " + i + " '" + t.name() + "' cannot take the shape "
                            + Arrays.toString(shape));
                }
            }
            t.setShape(shape.clone());
        }

        List<Node> live = new ArrayList<>();
        List<Operator> liveOps = new ArrayList<>();
        List<String> liveNames = new ArrayList<>();
        List<PrepareContext.ScratchRequest> scratch = new ArrayList<>();
        int[] livePosition = new int[nOps];
        for (int i = 0; i < nOps; i++) {
            Operator op = g.operator(i);
            OperatorCode code = model.operatorCodeOf(op);
            BuiltinOperator builtin = code.isCustom() ? null : code.builtin();
            PrepareContext ctx = new PrepareContext(tensors, known, i, op, code.name(), scratch);
            Op<?> impl = resolver.apply(code);
            if (impl == null) {
                throw ctx.unsupported("Whittle's runtime has no kernel for this operator");
            }
            if (op.intermediates() != null && op.intermediates().length > 0) {
                throw ctx.unsupported("operators with intermediate tensors are not supported");
            }
            @SuppressWarnings("unchecked")
            Op<Object> typed = (Op<Object>) impl;
            Object prepared = typed.prepare(ctx);
            if (foldable(op, builtin, known, tensors)) {
                fold(typed, prepared, op, tensors, known, scratch, i);
                livePosition[i] = -1;
            } else {
                livePosition[i] = live.size();
                live.add(new Node(typed, prepared, ctx.kernelNote(), ctx.residentWeightBytes()));
                liveOps.add(op);
                liveNames.add(i + " (" + code.name() + ")");
            }
        }
        Node[] nodes = live.toArray(new Node[0]);
        // Fused pairs (depthwise + its 1x1) run at the first position: both nodes' tensors and
        // scratch areas are alive over both positions.
        boolean[] fusedHead = FusedDwConvGemm.enabled() ? fuse(nodes, liveOps, g.outputs())
                : new boolean[nodes.length];

        // Constants, folded ones included: one read-only block owned by the compiled model.
        int[] constantOffsets = new int[nt];
        Arrays.fill(constantOffsets, -1);
        long constBytes = 0;
        for (int t = 0; t < nt; t++) {
            if (known[t] != null) {
                constantOffsets[t] = Math.toIntExact(constBytes);
                constBytes += ArenaPlan.align(known[t].remaining());
            }
        }
        ByteBuffer constants = ByteBuffer.allocate(Math.toIntExact(constBytes)).order(ByteOrder.LITTLE_ENDIAN);
        for (int t = 0; t < nt; t++) {
            if (constantOffsets[t] >= 0) {
                constants.put(constantOffsets[t], known[t], 0, known[t].remaining());
            }
        }

        // Lifetimes of the activations, in operator positions; entries nt.. are the scratch areas.
        int ns = scratch.size();
        int[] first = new int[nt + ns];
        int[] last = new int[nt + ns];
        Arrays.fill(first, ArenaPlan.NOT_PLANNED);
        Arrays.fill(last, ArenaPlan.NOT_PLANNED);
        for (int t : g.inputs()) {
            if (constantOffsets[t] < 0) {
                first[t] = -1;
                last[t] = -1;
            }
        }
        int nLive = nodes.length;
        for (int i = 0; i < nLive; i++) {
            Operator op = liveOps.get(i);
            int lo = i > 0 && fusedHead[i - 1] ? i - 1 : i;
            int hi = fusedHead[i] ? i + 1 : i;
            for (int t : op.outputs()) {
                if (constantOffsets[t] >= 0) {
                    throw new UnsupportedModelException("operator " + liveNames.get(i) + " writes constant tensor "
                            + t + " '" + tensors[t].name() + "'");
                }
                if (first[t] == ArenaPlan.NOT_PLANNED) {
                    first[t] = lo;
                }
                last[t] = Math.max(last[t], hi);
            }
            for (int t : op.inputs()) {
                if (t < 0 || constantOffsets[t] >= 0) {
                    continue;
                }
                if (first[t] == ArenaPlan.NOT_PLANNED) {
                    throw new UnsupportedModelException("operator " + liveNames.get(i) + " reads tensor " + t + " '" + tensors[t].name()
                            + "', which is neither constant, a graph input nor written by an earlier operator");
                }
                last[t] = Math.max(last[t], hi);
            }
        }
        // Graph inputs stay intact for the whole invoke, as in TFLite: a second invoke without a
        // new setInput must see the same input, so no later tensor may reuse their memory.
        for (int t : g.inputs()) {
            if (constantOffsets[t] < 0) {
                last[t] = nLive;
            }
        }
        for (int t : g.outputs()) {
            if (constantOffsets[t] < 0) {
                if (first[t] == ArenaPlan.NOT_PLANNED) {
                    throw new UnsupportedModelException("graph output " + t + " '" + tensors[t].name()
                            + "' is never written");
                }
                last[t] = nLive;
            }
        }
        long[] sizes = new long[nt + ns];
        int[] scratchBytes = new int[ns];
        long workerScratch = 0;
        for (int s = 0; s < ns; s++) {
            PrepareContext.ScratchRequest r = scratch.get(s);
            int p = livePosition[r.operator()];
            if (r.perWorker()) {
                if (p >= 0) {
                    workerScratch = Math.max(workerScratch, r.bytes());
                }
                continue;
            }
            scratchBytes[s] = (int) r.bytes();
            if (p >= 0) {
                // Alive only while its operator runs (both positions of a fused pair): shares
                // bytes with every tensor dead then.
                first[nt + s] = p > 0 && fusedHead[p - 1] ? p - 1 : p;
                last[nt + s] = fusedHead[p] ? p + 1 : p;
                sizes[nt + s] = r.bytes();
            }
        }
        for (Node n : nodes) {
            if (n.op() instanceof FusedPairOp f && f.pair() != null) {
                // a fused pair's depthwise copy beside the kernels' scratch
                workerScratch = Math.max(workerScratch, f.pair().workerScratchBytes());
            }
        }
        for (int t = 0; t < nt; t++) {
            if (first[t] != ArenaPlan.NOT_PLANNED) {
                if (!tensors[t].type().hasFixedSize()) {
                    throw new UnsupportedModelException("tensor " + t + " '" + tensors[t].name() + "' of type "
                            + tensors[t].type() + " has no fixed element size");
                }
                sizes[t] = tensors[t].type().bytesFor(tensors[t].elementCount());
            }
        }
        // Chains of parallel operators: their sync words go after every operator's worker scratch.
        NodeChain[] chains = new NodeChain[nodes.length];
        if (NodeChain.enabled()) {
            long syncOffset = ArenaPlan.align(workerScratch);
            for (NodeChain c : chains(nodes, syncOffset)) {
                chains[c.first()] = c;
                workerScratch = Math.max(workerScratch, syncOffset + NodeChain.syncBytes(c.steps()));
            }
        }
        ArenaPlan shared = ArenaPlan.plan(sizes, first, last, true);
        ArenaPlan separate = ArenaPlan.plan(sizes, first, last, false);
        return new CompiledModel(nodes, tensors, g.inputs(), g.outputs(), constants.asReadOnlyBuffer()
                .order(ByteOrder.LITTLE_ENDIAN), constantOffsets, shared, separate, nOps - nLive, scratchBytes, workerScratch,
                chains);
    }

    /**
     * The runs of at least two consecutive parallel operators that can be chain steps (fused
     * pairs, each head followed by its tail, and depthwise convolutions on the native rows
     * kernel), as chains: every chain's sync words at {@code syncOffset} of the worker scratch (chains never
     * run at the same time).
     */
    private static List<NodeChain> chains(Node[] nodes, long syncOffset) {
        List<NodeChain> chains = new ArrayList<>();
        int i = 0;
        while (i < nodes.length) {
            int start = i;
            List<NodeChain.Step> steps = new ArrayList<>();
            while (i < nodes.length) {
                if (i + 1 < nodes.length && nodes[i].op() instanceof FusedPairOp f && f.pair() != null
                        && nodes[i + 1].op() == FusedPairOp.TAIL) {
                    steps.add(f);
                    i += 2;
                } else if ((Object) nodes[i].op() instanceof dev.whittle.runtime.ops.DepthwiseConv2D
                        && nodes[i].prepared() instanceof dev.whittle.runtime.kernels.reference.DepthwiseConvParams p
                        && p.kernel() instanceof ChainableTask<?> k) {
                    // the native rows kernel, and the one-input-channel kernel (issue 6, session 11)
                    @SuppressWarnings("unchecked")
                    ChainableTask<dev.whittle.runtime.kernels.reference.DepthwiseConvParams> kernel =
                            (ChainableTask<dev.whittle.runtime.kernels.reference.DepthwiseConvParams>) k;
                    steps.add(new NodeChain.KernelStep<>(kernel, p));
                    i++;
                } else {
                    break;
                }
            }
            if (steps.size() >= 2) {
                chains.add(new NodeChain(steps.toArray(new NodeChain.Step[0]), start, i, syncOffset));
            }
            if (i == start) {
                i++;
            }
        }
        return chains;
    }

    /**
     * Fuses each DEPTHWISE_CONV_2D whose output only the next live operator reads (not a graph
     * output), when that is a 1x1 CONV_2D {@link FusedDwConvGemm} takes: the depthwise node then
     * runs both ({@link FusedPairOp}) and the 1x1 node nothing. Both nodes keep their prepared
     * records (so a profile names both kernels as unfused); the first is called
     * {@code DepthwiseConv2D+Conv2D}, and the kernel notes say which is which.
     *
     * @return for each live node, whether it heads a fused pair
     */
    private static boolean[] fuse(Node[] nodes, List<Operator> ops, int[] graphOutputs) {
        boolean[] head = new boolean[nodes.length];
        for (int i = 0; i + 1 < nodes.length; i++) {
            if (!(nodes[i].prepared() instanceof dev.whittle.runtime.kernels.reference.DepthwiseConvParams dw)
                    || !(nodes[i + 1].prepared() instanceof dev.whittle.runtime.kernels.reference.ConvParams pw)
                    || !onlyReader(dw.output(), i + 1, ops, graphOutputs)) {
                continue;
            }
            FusedDwConvGemm pair = FusedDwConvGemm.create(dw, pw);
            if (pair == null) {
                continue;
            }
            Node a = nodes[i];
            Node b = nodes[i + 1];
            nodes[i] = new Node(new FusedPairOp(pair), a.prepared(), join(a.kernelNote(),
                    "fused with the next 1x1 CONV_2D: time of both"), a.weightBytes(), "DepthwiseConv2D+Conv2D");
            nodes[i + 1] = new Node(FusedPairOp.TAIL, b.prepared(), join(b.kernelNote(),
                    "fused into the previous DEPTHWISE_CONV_2D"), b.weightBytes(), "Conv2D");
            head[i] = true;
            i++;
        }
        return head;
    }

    /** {@code more}, then the kernel's own note (which tests and tools read from its end). */
    private static String join(String note, String more) {
        return note == null || note.isEmpty() ? more : more + "; " + note;
    }

    /** Whether live operator {@code reader} is the only operator reading tensor {@code t}, and {@code t} no graph output. */
    private static boolean onlyReader(int t, int reader, List<Operator> ops, int[] graphOutputs) {
        for (int o : graphOutputs) {
            if (o == t) {
                return false;
            }
        }
        for (int j = 0; j < ops.size(); j++) {
            if (j == reader) {
                continue;
            }
            for (int in : ops.get(j).inputs()) {
                if (in == t) {
                    return false;
                }
            }
        }
        int uses = 0;
        for (int in : ops.get(reader).inputs()) {
            uses += in == t ? 1 : 0;
        }
        return uses == 1;
    }

    /** For each tensor of {@code g}: whether it is a graph input or some operator's output. */
    private static boolean[] producedTensors(Subgraph g) {
        boolean[] produced = new boolean[g.tensorCount()];
        for (int t : g.inputs()) {
            if (t >= 0) {
                produced[t] = true;
            }
        }
        for (int i = 0; i < g.operatorCount(); i++) {
            for (int t : g.operator(i).outputs()) {
                if (t >= 0) {
                    produced[t] = true;
                }
            }
        }
        return produced;
    }

    /**
     * Whether a tensor without data is a constant with zero elements, e.g. the shape {@code []}
     * of a RESHAPE to a scalar. A buffer holds no bytes for it, so {@link Model#constantData}
     * returns null; TFLite takes it as an (empty) constant. It must name a real buffer (index
     * above 0, the empty sentinel), have a static shape with a zero dimension, and be neither a
     * graph input nor written by an operator nor a variable: older converters give every
     * activation its own empty buffer, so the buffer alone does not make a constant.
     */
    private static boolean isEmptyConstant(Model model, Tensor t, boolean produced) {
        if (produced || t.isVariable() || t.buffer() <= 0 || t.buffer() >= model.buffers().size()
                || !model.buffer(t.buffer()).isEmpty()) {
            return false;
        }
        int[] signature = t.shapeSignature();
        if (signature != null) {
            for (int d : signature) {
                if (d < 0) {
                    return false;
                }
            }
        }
        for (int d : t.shape()) {
            if (d == 0) {
                return true;
            }
        }
        return false;
    }

    /** Larger folded results are left to run per invoke rather than grow the constant block. */
    private static final long FOLD_LIMIT_BYTES = 64L << 20;

    /**
     * Whether an operator can run once at compile time: every present input known (or, for
     * {@code SHAPE}, a static input shape), no graph input among them, and outputs of a fixed
     * size not above {@link #FOLD_LIMIT_BYTES}.
     */
    private static boolean foldable(Operator op, BuiltinOperator builtin, ByteBuffer[] known, Tensor[] tensors) {
        if (builtin != BuiltinOperator.SHAPE) {
            for (int t : op.inputs()) {
                if (t >= 0 && known[t] == null) {
                    return false;
                }
            }
        }
        long bytes = 0;
        for (int t : op.outputs()) {
            if (!tensors[t].type().hasFixedSize()) {
                return false;
            }
            bytes += tensors[t].type().bytesFor(tensors[t].elementCount());
        }
        return bytes <= FOLD_LIMIT_BYTES;
    }

    /**
     * Runs one prepared operator on known inputs and records its outputs as known. Its scratch
     * requests, if any, get heap buffers for this one run.
     */
    private static void fold(Op<Object> impl, Object prepared, Operator op, Tensor[] tensors, ByteBuffer[] known,
            List<PrepareContext.ScratchRequest> scratch, int opIndex) {
        int nt = tensors.length;
        ByteBuffer[] buffers = new ByteBuffer[nt];
        int[] offsets = new int[nt];
        for (int t : op.inputs()) {
            if (t >= 0 && known[t] != null) {
                buffers[t] = known[t].duplicate().order(ByteOrder.LITTLE_ENDIAN);
            }
        }
        for (int t : op.outputs()) {
            int bytes = Math.toIntExact(tensors[t].type().bytesFor(tensors[t].elementCount()));
            buffers[t] = ByteBuffer.allocate(bytes).order(ByteOrder.LITTLE_ENDIAN);
        }
        int ns = scratch.size();
        ByteBuffer[] scratchBuffers = new ByteBuffer[ns];
        int[] scratchOffsets = new int[ns];
        int[] scratchBytes = new int[ns];
        for (int s = 0; s < ns; s++) {
            if (scratch.get(s).operator() == opIndex && !scratch.get(s).perWorker()) {
                scratchBytes[s] = (int) scratch.get(s).bytes();
                scratchBuffers[s] = ByteBuffer.allocate(scratchBytes[s]).order(ByteOrder.LITTLE_ENDIAN);
            }
        }
        impl.eval(prepared, new ExecutionState(buffers, offsets, scratchBuffers, scratchOffsets, scratchBytes));
        for (int t : op.outputs()) {
            known[t] = buffers[t].asReadOnlyBuffer().order(ByteOrder.LITTLE_ENDIAN);
        }
    }

    /** Number of operators computed at compile time rather than per invoke. */
    public int foldedOperatorCount() {
        return foldedCount;
    }

    /**
     * A new execution context whose arena reuses memory between tensors that are never alive
     * together; intermediate tensors may hold later values after {@code invoke()}.
     */
    public ExecutionContext newContext() {
        return new ExecutionContext(this, shared, 1);
    }

    /**
     * A new execution context in which every tensor has its own memory, so that
     * {@link ExecutionContext#tensor(int)} returns each intermediate's own value after invoke,
     * as TFLite's {@code preserve_all_tensors} does. Uses {@link #activationBytes()} of memory.
     */
    public ExecutionContext newContext(boolean preserveAllTensors) {
        return new ExecutionContext(this, preserveAllTensors ? separate : shared, 1);
    }

    /**
     * A new execution context ({@link #newContext()}) whose operators split their work over
     * {@code threads} threads: the invoking thread and {@code threads - 1} workers the context
     * owns until it is closed. Kernels without a parallel version run on the invoking thread.
     *
     * @throws IllegalArgumentException when {@code threads} is below 1
     */
    public ExecutionContext newContext(int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be at least 1, got " + threads);
        }
        return new ExecutionContext(this, shared, threads);
    }

    /** Bytes of native scratch each intra-op worker of a context gets. */
    public long workerScratchBytes() {
        return workerScratchBytes;
    }

    /** Bytes of the planned arena of {@link #newContext()}. */
    public long arenaBytes() {
        return shared.arenaBytes;
    }

    /**
     * Sum of the (aligned) sizes of all activation tensors and scratch areas: the arena without
     * any sharing, as {@link #newContext(boolean) newContext(true)} allocates it.
     */
    public long activationBytes() {
        return separate.arenaBytes;
    }

    /** Number of graph inputs. */
    public int inputCount() {
        return inputs.length;
    }

    /** Number of graph outputs. */
    public int outputCount() {
        return outputs.length;
    }

    /** Tensor index of graph input {@code i}. */
    public int inputTensorIndex(int i) {
        return inputs[i];
    }

    /** Tensor index of graph output {@code i}. */
    public int outputTensorIndex(int i) {
        return outputs[i];
    }

    /** Number of tensors of the graph. */
    public int tensorCount() {
        return tensors.length;
    }

    /**
     * A copy of tensor {@code index}'s description (name, type, quantization, and the shape
     * computed at compile, which differs from the model's where an input was resized).
     */
    public Tensor tensorInfo(int index) {
        return tensors[index].copy();
    }

    /** Number of operators that run on every invoke (those not folded at compile time). */
    public int operatorCount() {
        return nodes.length;
    }

    /** Number of scratch areas operators requested at prepare ({@link PrepareContext#requestScratch}). */
    public int scratchCount() {
        return scratchBytes.length;
    }

    Tensor tensor(int index) {
        return tensors[index];
    }

    int scratchBytes(int id) {
        return scratchBytes[id];
    }

    int constantOffset(int tensor) {
        return constantOffsets[tensor];
    }

    /** A per-context view: its own position state, the same read-only bytes. */
    ByteBuffer constantsView() {
        return constants.duplicate().order(ByteOrder.LITTLE_ENDIAN);
    }

    void run(ExecutionState state) {
        for (int i = 0; i < nodes.length; i++) {
            NodeChain c = chains[i];
            if (c != null && c.run(state)) {
                i = c.end() - 1;
                continue;
            }
            Node n = nodes[i];
            n.op().eval(n.prepared(), state);
        }
    }

    /** Steps of all chains of parallel operators (tests). */
    int chainSteps() {
        int k = 0;
        for (NodeChain c : chains) {
            k += c != null ? c.steps() : 0;
        }
        return k;
    }

    /** Number of chains of parallel operators that run as one region at 2 threads and more (tests). */
    int chainCount() {
        int k = 0;
        for (NodeChain c : chains) {
            k += c != null ? 1 : 0;
        }
        return k;
    }
    // ---- profiling hooks (additive; used by OpProfile, never by invoke())

    /** The implementation class of live operator {@code node}, e.g. {@code FullyConnected}. */
    String nodeOpName(int node) {
        Node n = nodes[node];
        return n.opName() != null ? n.opName() : n.op().getClass().getSimpleName();
    }

    /** Why live operator {@code node} got its kernel, or the empty string when it did not say. */
    String nodeKernelNote(int node) {
        return nodes[node].kernelNote();
    }

    /**
     * Bytes of weights the kernels of this model keep resident: what the weight-carrying
     * operators (CONV_2D, DEPTHWISE_CONV_2D, FULLY_CONNECTED) recorded at prepare, packed
     * panels or compressed formats included.
     */
    public long residentWeightBytes() {
        long sum = 0;
        for (Node n : nodes) {
            sum += Math.max(0, n.weightBytes());
        }
        return sum;
    }

    /** Resident weight bytes of live operator {@code node}, or -1 when it recorded none. */
    long nodeWeightBytes(int node) {
        return nodes[node].weightBytes();
    }

    /** The prepared record of live operator {@code node}. */
    Object nodePrepared(int node) {
        return nodes[node].prepared();
    }

    /** {@link #run} with each operator timed into {@code profile}. */
    void runProfiled(ExecutionState state, OpProfile profile) {
        for (int i = 0; i < nodes.length; i++) {
            Node n = nodes[i];
            long t0 = System.nanoTime();
            n.op().eval(n.prepared(), state);
            profile.add(i, System.nanoTime() - t0);
        }
        profile.finishInvoke();
    }
}
