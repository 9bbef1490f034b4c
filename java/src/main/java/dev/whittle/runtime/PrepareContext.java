package dev.whittle.runtime;

import dev.whittle.UnsupportedModelException;
import dev.whittle.model.BuiltinOptions;
import dev.whittle.model.Operator;
import dev.whittle.model.Quantization;
import dev.whittle.model.Tensor;
import dev.whittle.model.TensorType;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.List;

/**
 * What an {@link Op#prepare} sees of the operator being compiled: its tensors, options and
 * constant inputs, and a way to refuse it with a message naming the operator.
 */
public final class PrepareContext {
    private final Tensor[] tensors;
    private final ByteBuffer[] known;
    private final int index;
    private final Operator op;
    private final String opName;
    private final List<ScratchRequest> scratch;
    private String kernelNote = "";
    private long weightBytes = -1;

    /** One {@link #requestScratch} call: the operator that made it and the bytes it asked for. */
    record ScratchRequest(int operator, long bytes, boolean perWorker) {
    }

    /**
     * @param tensors the compiled model's own tensor descriptions, whose shapes prepare sets
     * @param known for every tensor its value when it is known at compile time (a constant of
     *     the model, or the output of an operator folded at compile time), else null
     * @param scratch the model's scratch requests so far, to which {@link #requestScratch} appends
     */
    PrepareContext(Tensor[] tensors, ByteBuffer[] known, int index, Operator op, String opName,
            List<ScratchRequest> scratch) {
        this.tensors = tensors;
        this.known = known;
        this.index = index;
        this.op = op;
        this.opName = opName;
        this.scratch = scratch;
    }

    /** Position of the operator in subgraph 0. */
    public int operatorIndex() {
        return index;
    }

    /** The operator's name, e.g. {@code CONV_2D}. */
    public String operatorName() {
        return opName;
    }

    /** The operator's builtin options, or null. */
    public BuiltinOptions options() {
        return op.options();
    }

    public int inputCount() {
        return op.inputCount();
    }

    public int outputCount() {
        return op.outputCount();
    }

    /** Tensor index of input {@code i}, or -1 when the optional input is omitted or absent. */
    public int input(int i) {
        return i < op.inputCount() ? op.input(i) : -1;
    }

    public int output(int i) {
        return op.output(i);
    }

    /** Input {@code i}'s description, with the shape computed so far (after any input resize). */
    public Tensor inputTensor(int i) {
        return tensors[op.input(i)];
    }

    public Tensor outputTensor(int i) {
        return tensors[op.output(i)];
    }

    /** Scale of input {@code i}, which must be per-tensor quantized. */
    public double inputScale(int i) {
        return perTensor(inputTensor(i), "input " + i).scalarScale();
    }

    /** Zero point of input {@code i}, which must be per-tensor quantized. */
    public int inputZeroPoint(int i) {
        return Math.toIntExact(perTensor(inputTensor(i), "input " + i).scalarZeroPoint());
    }

    /** Scale of output {@code o}, which must be per-tensor quantized. */
    public double outputScale(int o) {
        return perTensor(outputTensor(o), "output " + o).scalarScale();
    }

    /** Zero point of output {@code o}, which must be per-tensor quantized. */
    public int outputZeroPoint(int o) {
        return Math.toIntExact(perTensor(outputTensor(o), "output " + o).scalarZeroPoint());
    }

    private Quantization perTensor(Tensor t, String what) {
        Quantization q = t.quantization();
        if (q == null || q.scaleCount() != 1) {
            throw unsupported(what + " (" + t.name() + ") must be quantized per tensor, has "
                    + (q == null || q.scaleCount() == 0 ? "no quantization" : q.scaleCount() + " scales"));
        }
        return q;
    }

    public int[] inputShape(int i) {
        return inputTensor(i).shape();
    }

    /** Whether input {@code i} has constant data in the model. */
    public boolean isConstant(int i) {
        return input(i) >= 0 && known[op.input(i)] != null;
    }

    /**
     * The little-endian bytes of constant input {@code i} (a fresh view: position 0, the
     * tensor's bytes), or null when the input is omitted or not known at compile time.
     */
    public ByteBuffer constantData(int i) {
        if (input(i) < 0 || known[op.input(i)] == null) {
            return null;
        }
        return known[op.input(i)].duplicate().order(ByteOrder.LITTLE_ENDIAN);
    }

    /** The values of constant input {@code i}, an INT32 or INT64 tensor, as ints. */
    public int[] constantInts(int i) {
        Tensor t = inputTensor(i);
        ByteBuffer b = constantData(i);
        if (b == null) {
            throw unsupported("input " + i + " (" + t.name() + ") must be a constant");
        }
        int n = Math.toIntExact(t.elementCount());
        int[] r = new int[n];
        for (int k = 0; k < n; k++) {
            if (t.type() == TensorType.INT32) {
                r[k] = b.getInt(k * 4);
            } else if (t.type() == TensorType.INT64) {
                r[k] = Math.toIntExact(b.getLong(k * 8));
            } else {
                throw unsupported("input " + i + " (" + t.name() + ") must be INT32 or INT64");
            }
        }
        return r;
    }

    /** Requires the given inputs (those present) and every output to be {@code type}. */
    public void requireTypes(TensorType type, int... inputs) {
        for (int i : inputs) {
            if (input(i) >= 0 && inputTensor(i).type() != type) {
                throw unsupported("input " + i + " must be " + type);
            }
        }
        for (int o = 0; o < outputCount(); o++) {
            if (outputTensor(o).type() != type) {
                throw unsupported("output " + o + " must be " + type);
            }
        }
    }

    /** Requires every present input and every output to be {@code type}. */
    public void requireAllTypes(TensorType type) {
        int[] all = new int[inputCount()];
        for (int i = 0; i < all.length; i++) {
            all[i] = i;
        }
        requireTypes(type, all);
    }

    /** Requires between {@code min} and {@code max} inputs and exactly {@code outputs} outputs. */
    public void requireArity(int min, int max, int outputs) {
        if (inputCount() < min || inputCount() > max || outputCount() != outputs) {
            throw unsupported("expects " + (min == max ? min : min + ".." + max) + " inputs and " + outputs
                    + " outputs");
        }
    }

    /** Requires input {@code i} to have rank {@code rank}. */
    public int[] requireRank(int i, int rank) {
        int[] s = inputShape(i);
        if (s.length != rank) {
            throw unsupported("input " + i + " must have rank " + rank + ", has shape " + Arrays.toString(s));
        }
        return s;
    }

    /**
     * Sets output {@code o}'s shape to the one this implementation computed from its inputs.
     * As in TFLite's interpreter, the shape a model declares for an activation is only a hint:
     * the computed shape wins, and the arena is planned from computed shapes, so inputs may be
     * resized at compile time. Every op's prepare must call this for each of its outputs.
     */
    public void setOutputShape(int o, int[] computed) {
        for (int d : computed) {
            if (d < 0) {
                throw unsupported("computed a negative output dimension " + Arrays.toString(computed));
            }
        }
        outputTensor(o).setShape(computed.clone());
    }

    /**
     * The typed refusal for this operator: names its index, its name and the types and shapes
     * of its inputs and outputs, then the reason.
     */
    public UnsupportedModelException unsupported(String why) {
        return new UnsupportedModelException(describe() + " is not supported: " + why);
    }

    String describe() {
        StringBuilder sb = new StringBuilder("operator ").append(index).append(" (").append(opName).append(") with inputs [");
        for (int i = 0; i < op.inputCount(); i++) {
            sb.append(i == 0 ? "" : ", ").append(op.input(i) < 0 ? "omitted" : describe(tensors[op.input(i)]));
        }
        sb.append("] and outputs [");
        for (int i = 0; i < op.outputCount(); i++) {
            sb.append(i == 0 ? "" : ", ").append(describe(tensors[op.output(i)]));
        }
        return sb.append(']').toString();
    }

    private static String describe(Tensor t) {
        return t.type() + Arrays.toString(t.shape());
    }

    /**
     * Reserves {@code bytes} of scratch memory for this operator's {@link Op#eval} and returns
     * its id, to be kept in the prepared record and passed to
     * {@link ExecutionState#scratchBuffer(int)}, {@link ExecutionState#scratchOffset(int)} or
     * the typed {@code getScratch...}/{@code putScratch...} accessors.
     *
     * <p>Use it for per-invoke working memory that is not a tensor of the graph: the
     * quantized activations of a hybrid kernel, the int32 accumulators of a transpose
     * convolution, an im2col buffer. Never allocate such memory in {@code eval}, and never keep
     * it in the prepared record: the record is shared by every context and thread.
     *
     * <p>The memory is planned into each {@link ExecutionContext}'s arena like a tensor that is
     * alive only while this operator runs, so it shares bytes with tensors that are dead then
     * and with the scratch of other operators. Consequently:
     * <ul>
     *   <li>its content is undefined when {@code eval} starts (not zeroed, not what the previous
     *       invoke left): initialize what you read;
     *   <li>it is valid only during this operator's {@code eval}; do not hand it to another op;
     *   <li>it never overlaps this operator's own inputs and outputs;
     *   <li>each context has its own, so kernels need no locking.
     * </ul>
     * The start is aligned to 64 bytes. An operator may make several requests; each gets its own
     * non-overlapping area. When the operator is folded at compile time (all inputs known), the
     * scratch is given for that one run and takes no arena memory afterwards.
     *
     * @param bytes size in bytes, 0 or more (0 gives a valid id with no memory)
     * @return the scratch id, an index unique within the compiled model
     * @throws UnsupportedModelException (naming this operator) when {@code bytes} is negative or
     *     above 2 GiB
     */
    public int requestScratch(long bytes) {
        if (bytes < 0 || bytes > Integer.MAX_VALUE) {
            throw unsupported("cannot reserve " + bytes + " bytes of scratch memory");
        }
        scratch.add(new ScratchRequest(index, bytes, false));
        return scratch.size() - 1;
    }

    /**
     * Reserves {@code bytes} of native scratch memory for each intra-op worker of a context
     * ({@link ExecutionState#workerScratchAddress(int)}), for kernels that split their work
     * with {@link ExecutionState#parallelFor} and need private working memory per worker (an
     * im2col panel, packed activations). Operators run one at a time, so all operators share
     * one area per worker, sized by the largest request; its content is undefined when a task
     * starts. When the operator is folded at compile time there is none (address 0).
     *
     * @throws UnsupportedModelException when {@code bytes} is negative or above 2 GiB
     */
    public void requestWorkerScratch(long bytes) {
        if (bytes < 0 || bytes > Integer.MAX_VALUE) {
            throw unsupported("cannot reserve " + bytes + " bytes of worker scratch memory");
        }
        scratch.add(new ScratchRequest(index, bytes, true));
    }

    /**
     * Records why this operator got its kernel (shown by {@code bench --profile} and
     * {@code inspect --runtime}) and how many bytes of weights that kernel keeps resident
     * (packed panels, sparse values and indices, LUT codes and tables; for a kernel that reads
     * the model's constant in place, that constant's size).
     *
     * @param why one short line, e.g. {@code "2:4 along K (K=96)"}
     * @param residentWeightBytes bytes, 0 or more
     */
    public void describeKernel(String why, long residentWeightBytes) {
        this.kernelNote = java.util.Objects.requireNonNull(why, "why");
        this.weightBytes = Math.max(0, residentWeightBytes);
    }

    String kernelNote() {
        return kernelNote;
    }

    /** The bytes {@link #describeKernel} recorded, or -1 when the operator recorded none. */
    long residentWeightBytes() {
        return weightBytes;
    }
}
