package dev.whittle.tflite;

import dev.whittle.BackendException;
import dev.whittle.InvalidInputException;
import dev.whittle.ModelFormatException;
import dev.whittle.TensorData;
import dev.whittle.model.TensorType;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.IntPointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.tensorflowlite.BuiltinOpResolver;
import org.bytedeco.tensorflowlite.BuiltinOpResolverWithoutDefaultDelegates;
import org.bytedeco.tensorflowlite.ErrorReporter;
import org.bytedeco.tensorflowlite.FlatBufferModel;
import org.bytedeco.tensorflowlite.Interpreter;
import org.bytedeco.tensorflowlite.InterpreterBuilder;
import org.bytedeco.tensorflowlite.InterpreterOptions;
import org.bytedeco.tensorflowlite.TfLiteAffineQuantization;
import org.bytedeco.tensorflowlite.TfLiteDelegate;
import org.bytedeco.tensorflowlite.TfLiteFloatArray;
import org.bytedeco.tensorflowlite.TfLiteIntArray;
import org.bytedeco.tensorflowlite.TfLiteQuantization;
import org.bytedeco.tensorflowlite.TfLiteTensor;
import org.bytedeco.tensorflowlite.global.tensorflowlite;

import java.io.IOException;
import java.lang.ref.Cleaner;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * The real TensorFlow Lite interpreter (bytedeco's build of TFLite 2.20), driven from Java.
 *
 * <pre>{@code
 * try (TfliteInterpreter tfl = TfliteInterpreter.create(Path.of("model.tflite"), TfliteOptions.defaults())) {
 *     tfl.setInput(0, input);
 *     tfl.invoke();
 *     TensorData out = tfl.output(0);
 * }
 * }</pre>
 *
 * <p>Every TFLite failure becomes a typed exception whose message carries TFLite's own text,
 * which TFLite would otherwise print to the process's standard error:
 * {@link ModelFormatException} when the bytes are not a valid {@code .tflite} flatbuffer,
 * {@link BackendException} when TFLite cannot build, allocate or run the graph (unresolved
 * ops, invalid quantization parameters, kernel errors), {@link InvalidInputException} for
 * inputs of the wrong type or size.
 *
 * <p><b>Not thread-safe.</b> TFLite interpreters must not be used from two threads at once;
 * give each thread its own instance. Different instances are independent, also in the error
 * messages they report.
 *
 * <p>Delegates ({@link TfliteOptions#withDelegate(Delegate)}, {@link TfliteOptions#withDelegate(String)})
 * are applied when the interpreter is built; it holds a reference on each until it is closed,
 * and frees itself before it releases them, as TFLite requires. A compiled Edge TPU model
 * without the Edge TPU delegate fails with a {@link DelegateException} that says so.
 *
 * <p>The interpreter owns native memory (a copy of the model bytes, the model, the op
 * resolver and the interpreter itself); {@link #close()} frees it. Instances that become
 * unreachable without being closed are freed by a cleaner, but callers should close them.
 */
public final class TfliteInterpreter implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger("dev.whittle.tflite");
    private static final Cleaner CLEANER = Cleaner.create();
    private static final byte[] IDENTIFIER = "TFL3".getBytes(StandardCharsets.US_ASCII);

    private final NativeState state;
    private final Cleaner.Cleanable cleanable;
    private final TfliteOptions options;
    private final int[] inputIndices;
    private final int[] outputIndices;
    private boolean closed;

    /**
     * Native objects, freed in dependency order: the interpreter points into the resolver (op
     * registrations) and into the model and its buffer (constant tensors), and all of them
     * report through the error reporter.
     */
    private static final class NativeState implements Runnable {
        BytePointer buffer;
        CapturingErrorReporter reporter;
        FlatBufferModel model;
        BuiltinOpResolver resolver;
        InterpreterOptions interpreterOptions;
        Interpreter interpreter;
        /** Delegates applied to this interpreter: released only after it is freed. */
        final List<Delegate> delegates = new ArrayList<>();

        @Override
        public void run() {
            interpreter = release(interpreter);
            for (Delegate d : delegates) {
                d.release();
            }
            delegates.clear();
            interpreterOptions = release(interpreterOptions);
            resolver = release(resolver);
            model = release(model);
            buffer = release(buffer);
            if (reporter != null) {
                reporter.close();
                reporter = null;
            }
        }

        private static <P extends Pointer> P release(P p) {
            if (p != null) {
                p.close();
            }
            return null;
        }
    }

    private TfliteInterpreter(NativeState state, TfliteOptions options) {
        this.state = state;
        this.options = options;
        this.cleanable = CLEANER.register(this, state);
        this.inputIndices = indices(state.interpreter.inputs());
        this.outputIndices = indices(state.interpreter.outputs());
    }

    private static volatile boolean createdAny;

    /** Whether this process has started to create a TFLite interpreter (see {@link TfliteCpuFeatures}). */
    static boolean createdAny() {
        return createdAny;
    }

    /** The version string of the TFLite runtime behind this bridge, e.g. {@code 2.20.0}. */
    public static String version() {
        TfliteNative.ensureLoaded();
        return org.bytedeco.tensorflowlite.global.tensorflowlite.TfLiteVersion().getString();
    }

    /** Loads a model file. */
    public static TfliteInterpreter create(Path model, TfliteOptions options) throws IOException {
        return create(ByteBuffer.wrap(Files.readAllBytes(model)), options);
    }

    /** Builds an interpreter from the bytes of a {@code .tflite} file; the array is copied. */
    public static TfliteInterpreter create(byte[] model, TfliteOptions options) {
        return create(ByteBuffer.wrap(model), options);
    }

    /**
     * Builds an interpreter from the remaining bytes of {@code model}, which are copied (the
     * buffer's position is not changed), and allocates its tensors.
     *
     * @throws ModelFormatException the bytes are not a TFLite flatbuffer or fail its verifier
     * @throws BackendException TFLite cannot build the interpreter or allocate its tensors
     * @throws dev.whittle.NativeLibraryException the TFLite natives cannot be loaded
     */
    public static TfliteInterpreter create(ByteBuffer model, TfliteOptions options) {
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(options, "options");
        int size = model.remaining();
        checkIdentifier(model.duplicate(), size);
        TfliteNative.ensureLoaded();
        createdAny = true;
        NativeState st = new NativeState();
        try {
            st.reporter = CapturingErrorReporter.create();
            ErrorReporter reporterPointer = st.reporter == null ? null : st.reporter.pointer();
            // FlatBufferModel does not copy: the bytes must stay at this address until close.
            st.buffer = new BytePointer(size);
            st.buffer.asByteBuffer().put(model.duplicate());
            clear(st);
            st.model = FlatBufferModel.VerifyAndBuildFromBuffer(st.buffer, size, null, reporterPointer);
            if (st.model == null || st.model.isNull()) {
                st.model = null;
                throw new ModelFormatException("TFLite rejected the model bytes: " + messages(st));
            }
            // An explicit xnnpack delegate replaces the default one rather than stacking on it.
            boolean defaultXnnpack = options.useXnnpack() && !options.hasExplicitXnnpack();
            st.resolver = defaultXnnpack ? new BuiltinOpResolver() : new BuiltinOpResolverWithoutDefaultDelegates();
            st.interpreterOptions = new InterpreterOptions();
            st.interpreterOptions.SetPreserveAllTensors(options.preserveAllTensors());
            st.interpreter = new Interpreter((Pointer) null);
            List<TfLiteDelegate> applied = acquireDelegates(st, options);
            try (InterpreterBuilder builder = new InterpreterBuilder(st.model, st.resolver, st.interpreterOptions)) {
                check(st, builder.SetNumThreads(options.threads()), "could not set " + options.threads() + " threads");
                // The builder applies these in order once the graph is built (ModifyGraphWithDelegate).
                for (TfLiteDelegate d : applied) {
                    builder.AddDelegate(d);
                }
                int status = builder.apply(st.interpreter);
                if (status != tensorflowlite.kTfLiteOk || st.interpreter.isNull()) {
                    String text = messages(st);
                    if (!applied.isEmpty()) {
                        throw new DelegateException(DelegateException.Reason.APPLY_FAILED, "TFLite could not apply "
                                + delegateNames(st) + " to the model: " + text);
                    }
                    throw new BackendException("TFLite could not build an interpreter for the model: " + text);
                }
            }
            // The default XNNPACK delegate is applied here, with the builder's thread count.
            int status = st.interpreter.AllocateTensors();
            if (status != tensorflowlite.kTfLiteOk) {
                String text = messages(st);
                if (text.contains("unresolved custom op: " + EDGETPU_CUSTOM_OP)) {
                    throw new DelegateException(DelegateException.Reason.DELEGATE_REQUIRED, "the model was compiled"
                            + " for the Edge TPU: its " + EDGETPU_CUSTOM_OP + " custom op runs only on the Edge TPU"
                            + " delegate. Run it with --backend tflite --delegate edgetpu (library:"
                            + " TfliteOptions.withDelegate(\"edgetpu\")), or run the CPU model it was compiled from."
                            + " TFLite said: " + text);
                }
                throw new BackendException("TFLite could not allocate tensors (status " + status + "): " + text);
            }
            TfliteInterpreter result = new TfliteInterpreter(st, options);
            LOG.log(System.Logger.Level.DEBUG, "TFLite interpreter ready: {0} inputs, {1} outputs, {2}",
                    result.inputCount(), result.outputCount(), options);
            return result;
        } catch (RuntimeException | Error e) {
            st.run();
            throw e;
        }
    }

    private static final String EDGETPU_CUSTOM_OP = "edgetpu-custom-op";

    /**
     * Takes a reference on every shared delegate and creates the per-interpreter ones, recording
     * each in {@code st} so that a failure later in {@code create} (or {@link #close()}) releases
     * them after the interpreter is gone.
     */
    private static List<TfLiteDelegate> acquireDelegates(NativeState st, TfliteOptions options) {
        List<TfLiteDelegate> out = new ArrayList<>();
        for (Delegate d : options.delegates()) {
            out.add(d.acquire());
            st.delegates.add(d);
        }
        int threads = options.threads() == TfliteOptions.DEFAULT_THREADS ? 1 : options.threads();
        for (DelegateSpec spec : options.delegateSpecs()) {
            Delegate own = Delegate.create(spec, threads);
            try {
                out.add(own.acquire());
                st.delegates.add(own);
            } finally {
                own.close(); // the interpreter's reference is now the only one
            }
        }
        return out;
    }

    private static String delegateNames(NativeState st) {
        return st.delegates.size() == 1 ? "the delegate " + st.delegates.get(0).description()
                : "the delegates " + st.delegates.stream().map(Delegate::description).toList();
    }

    private static void checkIdentifier(ByteBuffer b, int size) {
        if (size < 8) {
            throw new ModelFormatException("not a TFLite model: " + size + " bytes, a flatbuffer needs at least 8");
        }
        byte[] id = new byte[4];
        b.position(b.position() + 4);
        b.get(id);
        if (!Arrays.equals(id, IDENTIFIER)) {
            throw new ModelFormatException("not a TFLite model: file identifier (bytes 4..8) is "
                    + describeIdentifier(id) + ", expected \"TFL3\"");
        }
    }

    private static String describeIdentifier(byte[] id) {
        StringBuilder sb = new StringBuilder();
        for (byte x : id) {
            sb.append(x >= 0x20 && x < 0x7f ? String.valueOf((char) x) : String.format("\\x%02x", x & 0xff));
        }
        return "\"" + sb + "\"";
    }

    private static void clear(NativeState st) {
        if (st.reporter != null) {
            st.reporter.clear();
        }
    }

    private static String messages(NativeState st) {
        String text = st.reporter == null ? "" : st.reporter.drain();
        if (!text.isEmpty()) {
            return text;
        }
        String reason = CapturingErrorReporter.unavailableReason();
        return reason == null ? "(TFLite gave no message)"
                : "(TFLite's message went to standard error: capture unavailable, " + reason + ")";
    }

    private static void check(NativeState st, int status, String what) {
        if (status != tensorflowlite.kTfLiteOk) {
            throw new BackendException(what + " (status " + status + "): " + messages(st));
        }
        if (st.reporter != null) {
            String extra = st.reporter.drain();
            if (!extra.isEmpty()) {
                LOG.log(System.Logger.Level.DEBUG, "TFLite reported while succeeding: {0}", extra);
            }
        }
    }

    private static int[] indices(IntPointer vector) {
        int n = Math.toIntExact(vector.limit() - vector.position());
        int[] out = new int[n];
        vector.get(out);
        return out;
    }

    private Interpreter live() {
        if (closed) {
            throw new IllegalStateException("this TfliteInterpreter has been closed");
        }
        clear(state);
        return state.interpreter;
    }

    /** The delegates applied to this interpreter, described: {@code [xnnpack (2 threads, flags 0x3)]}. */
    public List<String> delegates() {
        live();
        return state.delegates.stream().map(Delegate::description).toList();
    }

    /**
     * Number of nodes TFLite executes: each delegate partition counts as one node, so this shows
     * how much of the graph the delegates took (a fully delegated graph has 1 per partition).
     */
    public int executionPlanSize() {
        IntPointer plan = live().execution_plan();
        return plan == null || plan.isNull() ? 0 : Math.toIntExact(plan.limit() - plan.position());
    }

    /** The options this interpreter was built with. */
    public TfliteOptions options() {
        return options;
    }

    public int inputCount() {
        live();
        return inputIndices.length;
    }

    public int outputCount() {
        live();
        return outputIndices.length;
    }

    /** Number of tensors in the primary subgraph; valid indices for {@link #tensor(int)}. */
    public int tensorCount() {
        return Math.toIntExact(live().tensors_size());
    }

    /** The tensor index of input {@code i}. */
    public int inputTensorIndex(int i) {
        live();
        return inputIndices[Objects.checkIndex(i, inputIndices.length)];
    }

    /** The tensor index of output {@code i}. */
    public int outputTensorIndex(int i) {
        live();
        return outputIndices[Objects.checkIndex(i, outputIndices.length)];
    }

    public TensorInfo inputInfo(int i) {
        return tensorInfo(inputTensorIndex(i));
    }

    public TensorInfo outputInfo(int i) {
        return tensorInfo(outputTensorIndex(i));
    }

    /** Describes any tensor of the primary subgraph. */
    public TensorInfo tensorInfo(int index) {
        TfLiteTensor t = nativeTensor(index);
        BytePointer name = t.name();
        String n = name == null || name.isNull() ? "" : name.getString(StandardCharsets.UTF_8);
        TensorType type = t.type() == tensorflowlite.kTfLiteNoType ? null : TfliteNative.fromTfLiteType(t.type(), index);
        return new TensorInfo(index, n, type, shapeOf(t.dims()), t.bytes(), quantizationOf(t));
    }

    private TfLiteTensor nativeTensor(int index) {
        Interpreter in = live();
        Objects.checkIndex(index, Math.toIntExact(in.tensors_size()));
        TfLiteTensor t = in.tensor(index);
        if (t == null || t.isNull()) {
            throw new BackendException("TFLite has no tensor " + index);
        }
        return t;
    }

    private static int[] shapeOf(TfLiteIntArray dims) {
        if (dims == null || dims.isNull()) {
            return new int[0];
        }
        int[] shape = new int[dims.size()];
        for (int d = 0; d < shape.length; d++) {
            shape[d] = dims.data(d);
        }
        return shape;
    }

    private static TensorInfo.Quantization quantizationOf(TfLiteTensor t) {
        TfLiteQuantization q = t.quantization();
        if (q != null && !q.isNull() && q.type() == tensorflowlite.kTfLiteAffineQuantization
                && q.params() != null && !q.params().isNull()) {
            TfLiteAffineQuantization affine = new TfLiteAffineQuantization(q.params());
            TfLiteFloatArray scales = affine.scale();
            TfLiteIntArray zeros = affine.zero_point();
            float[] s = new float[scales == null || scales.isNull() ? 0 : scales.size()];
            for (int i = 0; i < s.length; i++) {
                s[i] = scales.data(i);
            }
            int[] z = shapeOf(zeros);
            if (s.length > 0) {
                return new TensorInfo.Quantization(s, z, affine.quantized_dimension());
            }
        }
        float scale = t.params().scale();
        if (scale != 0f) {
            return new TensorInfo.Quantization(new float[] {scale}, new int[] {t.params().zero_point()}, 0);
        }
        return null;
    }

    /**
     * Changes the shape of input {@code i} and re-allocates all tensors; other inputs keep
     * their shapes. Data written before is lost.
     *
     * @throws InvalidInputException for a negative dimension
     * @throws BackendException when TFLite refuses the shape or cannot re-allocate
     */
    public void resizeInput(int i, int... shape) {
        int index = inputTensorIndex(i);
        for (int d : shape) {
            if (d < 0) {
                throw new InvalidInputException("input " + i + " cannot take shape " + Arrays.toString(shape));
            }
        }
        Interpreter in = live();
        check(state, in.ResizeInputTensor(index, shape.clone()),
                "TFLite cannot resize input " + i + " to " + Arrays.toString(shape));
        check(state, in.AllocateTensors(), "TFLite could not allocate tensors after resizing input " + i
                + " to " + Arrays.toString(shape));
    }

    /**
     * Copies {@code value} into input {@code i}. The type must match, and so must the byte size;
     * call {@link #resizeInput} first to feed a different shape.
     *
     * @throws InvalidInputException on a type or size mismatch, naming the input
     */
    public void setInput(int i, TensorData value) {
        Objects.requireNonNull(value, "value");
        TensorInfo info = inputInfo(i);
        String label = "input " + i + (info.name().isEmpty() ? "" : " '" + info.name() + "'");
        if (value.type() != info.type()) {
            throw new InvalidInputException(label + " expects " + info.type() + Arrays.toString(info.shape())
                    + ", got " + value.type() + Arrays.toString(value.shape()));
        }
        if (!info.type().hasFixedSize()) {
            throw new InvalidInputException(label + " has type " + info.type()
                    + ", which this bridge cannot write");
        }
        ByteBuffer src = value.data();
        if (src.remaining() != info.bytes()) {
            throw new InvalidInputException(label + " expects " + info.type() + Arrays.toString(info.shape())
                    + " (" + info.bytes() + " bytes), got " + value.type() + Arrays.toString(value.shape()) + " ("
                    + src.remaining() + " bytes); resize the input first to change its shape");
        }
        if (!Arrays.equals(value.shape(), info.shape())) {
            LOG.log(System.Logger.Level.DEBUG, "{0}: shape {1} fed into {2} of the same size", label,
                    Arrays.toString(value.shape()), Arrays.toString(info.shape()));
        }
        dataOf(info).put(src);
    }

    private ByteBuffer dataOf(TensorInfo info) {
        TfLiteTensor t = nativeTensor(info.index());
        Pointer raw = t.data().raw();
        if (info.bytes() > 0 && (raw == null || raw.isNull())) {
            throw new BackendException("tensor " + info.index() + " '" + info.name() + "' has no data allocated");
        }
        if (info.bytes() == 0) {
            return ByteBuffer.allocate(0);
        }
        return new BytePointer(raw).capacity(info.bytes()).asByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
    }

    /**
     * Runs the graph.
     *
     * @throws BackendException with TFLite's message when a kernel or delegate fails
     */
    public void invoke() {
        check(state, live().Invoke(), "TFLite invoke failed");
    }

    /** A copy of output {@code i}, as computed by the last {@link #invoke()}. */
    public TensorData output(int i) {
        return tensor(outputTensorIndex(i));
    }

    /**
     * A copy of any tensor of the primary subgraph. Intermediate tensors only hold their own
     * values after {@link #invoke()} when the interpreter was built with
     * {@link TfliteOptions#preserveAllTensors(boolean)}, and tensors computed inside the XNNPACK
     * delegate are never written back.
     *
     * @throws BackendException for an untyped placeholder tensor ({@link TensorInfo#type()} null)
     */
    public TensorData tensor(int index) {
        Interpreter in = live();
        TensorInfo info = tensorInfo(index);
        if (info.type() == null) {
            throw new BackendException("tensor " + index + " '" + info.name() + "' has no type (kTfLiteNoType)");
        }
        check(state, in.EnsureTensorDataIsReadable(index), "TFLite cannot make tensor " + index + " readable");
        ByteBuffer src = dataOf(info);
        ByteBuffer copy = ByteBuffer.allocate(src.remaining()).order(ByteOrder.LITTLE_ENDIAN);
        copy.put(src).flip();
        return new TensorData(info.type(), info.shape(), copy);
    }

    /**
     * Feeds all inputs (resizing those whose shape differs), invokes, and returns copies of all
     * outputs.
     *
     * @throws InvalidInputException when the number of inputs or an input's type or size is wrong
     */
    public List<TensorData> run(List<TensorData> inputs) {
        live();
        if (inputs.size() != inputIndices.length) {
            throw new InvalidInputException("the model has " + inputIndices.length + " inputs, got " + inputs.size());
        }
        for (int i = 0; i < inputs.size(); i++) {
            TensorData value = Objects.requireNonNull(inputs.get(i), "input " + i);
            if (!Arrays.equals(value.shape(), inputInfo(i).shape())) {
                resizeInput(i, value.shape());
            }
            setInput(i, value);
        }
        invoke();
        List<TensorData> out = new ArrayList<>(outputIndices.length);
        for (int i = 0; i < outputIndices.length; i++) {
            out.add(output(i));
        }
        return out;
    }

    /** Frees the native interpreter, resolver, model and model bytes; later calls are no-ops. */
    @Override
    public void close() {
        if (!closed) {
            closed = true;
            cleanable.clean();
        }
    }
}
