package dev.whittle.optimize;

import dev.whittle.model.Model;
import dev.whittle.model.Quantization;
import dev.whittle.model.Tensor;
import dev.whittle.model.TensorType;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * The weights of one {@link Layer} in a working form shared by pruning and clustering:
 * {@link #values} are the float32 weights themselves, or for int8/uint8 weights the integer
 * {@code q - zero_point} (so that "zero" is always 0: for a quantized tensor the value equal
 * to its zero point, which is 0 for TFLite's symmetric int8 weights). {@link #scale(int)}
 * turns a working value into a real one (1 for float).
 */
final class WeightData {
    final Layer layer;
    final TensorType type;
    final int[] shape;
    final float[] values;
    /** Per-slice scale along {@link #quantAxis} (one entry for per-tensor), or null for float. */
    private final float[] scales;
    private final long[] zeroPoints;
    private final int quantAxis;
    private final int quantStride;
    /** Channels of the activation input (for depthwise, output channels / depth multiplier). */
    final int inputChannels;

    private WeightData(Layer layer, TensorType type, int[] shape, float[] values, float[] scales, long[] zeroPoints,
                       int quantAxis, int inputChannels) {
        this.layer = layer;
        this.inputChannels = inputChannels;
        this.type = type;
        this.shape = shape;
        this.values = values;
        this.scales = scales;
        this.zeroPoints = zeroPoints;
        this.quantAxis = quantAxis;
        int stride = 1;
        for (int d = quantAxis + 1; d < shape.length; d++) {
            stride *= shape[d];
        }
        this.quantStride = stride;
    }

    static WeightData read(Model model, Layer layer) {
        Tensor t = model.subgraph(layer.subgraph()).tensor(layer.weight());
        ByteBuffer b = model.constantData(t);
        int n = Math.toIntExact(t.elementCount());
        float[] v = new float[n];
        int[] inShape = model.subgraph(layer.subgraph()).tensor(layer.input()).shape();
        int inC = inShape.length == 0 ? 1 : inShape[inShape.length - 1];
        if (layer.depthwise() && (inC <= 0 || t.dim(3) % inC != 0)) {
            inC = t.dim(3);
        }
        if (t.type() == TensorType.FLOAT32) {
            b.asFloatBuffer().get(v);
            return new WeightData(layer, t.type(), t.shape(), v, null, null, 0, inC);
        }
        Quantization q = t.quantization();
        if (q == null || !q.isAffine()) {
            throw new dev.whittle.UnsupportedModelException("weight tensor '" + t.name() + "' is "
                    + t.type().name().toLowerCase() + " without quantization parameters");
        }
        float[] scales = q.scale();
        long[] zps = q.zeroPoint();
        int axis = scales.length > 1 ? q.quantizedDimension() : 0;
        WeightData w = new WeightData(layer, t.type(), t.shape(), v, scales, zps, axis, inC);
        for (int i = 0; i < n; i++) {
            int raw = t.type() == TensorType.INT8 ? b.get(i) : (b.get(i) & 0xff);
            v[i] = raw - w.zeroPoint(i);
        }
        return w;
    }

    boolean quantized() {
        return scales != null;
    }

    int size() {
        return values.length;
    }

    /** Real value per working unit for element {@code i}. */
    double scale(int i) {
        if (scales == null) {
            return 1;
        }
        return scales.length == 1 ? scales[0] : scales[(i / quantStride) % shape[quantAxis]];
    }

    private long zeroPoint(int i) {
        return zeroPoints.length == 1 ? zeroPoints[0] : zeroPoints[(i / quantStride) % shape[quantAxis]];
    }

    /** Smallest and largest working value a quantized element {@code i} can hold. */
    int minValue(int i) {
        return (type == TensorType.INT8 ? -128 : 0) - (int) zeroPoint(i);
    }

    int maxValue(int i) {
        return (type == TensorType.INT8 ? 127 : 255) - (int) zeroPoint(i);
    }

    /** Length of the last dimension: the input channels of conv and fully-connected weights. */
    int lastDim() {
        return shape[shape.length - 1];
    }

    /** Number of output channels. */
    int outputChannels() {
        return shape[layer.outputChannelAxis()];
    }

    /** The output channel of element {@code i}. */
    int outputChannel(int i) {
        return layer.depthwise() ? i % lastDim() : i / (values.length / shape[0]);
    }

    /** Elements per output channel. */
    int perChannel() {
        return values.length / outputChannels();
    }

    /** Indices of the elements of output channel {@code o}. */
    int[] channelIndices(int o) {
        int[] idx = new int[perChannel()];
        if (layer.depthwise()) {
            int c = lastDim();
            for (int k = 0; k < idx.length; k++) {
                idx[k] = k * c + o;
            }
        } else {
            int base = o * idx.length;
            for (int k = 0; k < idx.length; k++) {
                idx[k] = base + k;
            }
        }
        return idx;
    }

    /** Number of taps: kernel positions times input channels. */
    int taps() {
        return layer.depthwise() ? values.length / lastDim() * inputChannels : values.length / shape[0];
    }

    /** Index of the tap (kernel position and input channel) of element {@code i}, for activation statistics. */
    int tap(int i) {
        if (layer.depthwise()) {
            int c = lastDim();
            int kpos = i / c;
            int o = i % c;
            int mult = c / inputChannels;
            return kpos * inputChannels + o / mult;
        }
        return i % (values.length / shape[0]);
    }

    long zeros() {
        long z = 0;
        for (float x : values) {
            if (x == 0) {
                z++;
            }
        }
        return z;
    }

    int distinct() {
        float[] s = values.clone();
        Arrays.sort(s);
        int d = 0;
        for (int i = 0; i < s.length; i++) {
            if (i == 0 || Float.compare(s[i], s[i - 1]) != 0) {
                d++;
            }
        }
        return d;
    }

    /** The tensor bytes of the working values (quantized values are already integers). */
    ByteBuffer toBytes() {
        ByteBuffer b = ByteBuffer.allocate(values.length * (type == TensorType.FLOAT32 ? 4 : 1))
                .order(ByteOrder.LITTLE_ENDIAN);
        if (type == TensorType.FLOAT32) {
            b.asFloatBuffer().put(values);
            return b;
        }
        for (int i = 0; i < values.length; i++) {
            long q = Math.round(values[i]) + zeroPoint(i);
            q = Math.max(type == TensorType.INT8 ? -128 : 0, Math.min(type == TensorType.INT8 ? 127 : 255, q));
            b.put(i, (byte) q);
        }
        return b;
    }

    WeightData copy() {
        return new WeightData(layer, type, shape, values.clone(), scales, zeroPoints, quantAxis, inputChannels);
    }

    /** Writes the values back into the model's buffer of this weight (a fresh buffer, never shared). */
    void writeTo(Model model) {
        Tensor t = model.subgraph(layer.subgraph()).tensor(layer.weight());
        if (sharedBuffer(model, t.buffer())) {
            t.setBuffer(model.addBuffer(new dev.whittle.model.Buffer(toBytes())));
        } else {
            model.setBufferData(t.buffer(), toBytes());
        }
    }

    /** Whether more than one tensor points at buffer {@code b} (converters deduplicate equal constants). */
    static boolean sharedBuffer(Model model, int b) {
        int users = 0;
        for (var sg : model.subgraphs()) {
            for (Tensor x : sg.tensors()) {
                if (x.buffer() == b) {
                    users++;
                }
            }
        }
        return users > 1;
    }
}
