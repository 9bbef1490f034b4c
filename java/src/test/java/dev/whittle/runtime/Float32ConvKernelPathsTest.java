package dev.whittle.runtime;

import dev.whittle.TensorData;
import dev.whittle.model.BuiltinOperator;
import dev.whittle.model.BuiltinOptions;
import dev.whittle.model.Model;
import dev.whittle.model.ModelBuilder;
import dev.whittle.model.ModelBuilder.TensorSpec;
import dev.whittle.model.TensorType;
import dev.whittle.runtime.kernels.KernelEntry;
import dev.whittle.runtime.kernels.KernelFamily;
import dev.whittle.runtime.kernels.KernelPath;
import dev.whittle.runtime.kernels.KernelRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Every available path of the float32 CONV_2D, DEPTHWISE_CONV_2D and FULLY_CONNECTED families
 * against the reference path, through whole single-op models in native memory on 1 and 3
 * threads, on sweeps of channels around the tiles (1..10, 15..17, 31..33, 64, 65), spatial
 * sizes (odd, 1, pixel counts around the 6-row tile), 1x1/3x3/5x5 filters, strides 1 and 2,
 * dilation, SAME and VALID, batch 2, RELU/RELU6/RELU_N1_TO_1, with and without bias.
 *
 * <p>Tolerance: the fast kernels sum the same terms in the same order as the reference but
 * with FMA (one rounding per product-and-add instead of two) and add exact zeros for padded
 * taps, so each output may differ by rounding only: we allow {@code 1e-5 * sum |terms|}
 * (terms = every product and the bias, summed in double here), far above the
 * {@code ~sqrt(K) * 2^-24} relative error such rounding gives, and far below any indexing
 * mistake (a wrong or missing term moves the result by about one term). The reference path
 * itself is checked against the double sums with the same bound.
 */
class Float32ConvKernelPathsTest {
    static final int[] SIZES = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 15, 16, 17, 31, 32, 33, 64, 65};
    static final double RELATIVE = 1e-5;
    static final int[] ACTIVATIONS = {0, 1, 2, 3};
    static final float[][] RANGES = {
        {-Float.MAX_VALUE, Float.MAX_VALUE}, {0f, Float.MAX_VALUE}, {-1f, 1f}, {0f, 6f}};

    @AfterEach
    void clearProperty() {
        System.clearProperty(KernelPath.PROPERTY);
    }

    /** A node and its inputs; {@code expected}/{@code sumAbs} from double sums. */
    record Case(String label, Model model, TensorData input, double[] expected, double[] sumAbs, float lo, float hi,
            float[] weights, float[] bias) {
    }

    record Geometry(int batch, int h, int w, int inC, int outC, int kh, int kw, int sh, int sw, int dh, int dw,
            int padding, int act, boolean bias) {
        int outH() {
            return outSize(h, kh, sh, dh);
        }

        int outW() {
            return outSize(w, kw, sw, dw);
        }

        int outSize(int in, int k, int s, int d) {
            int eff = (k - 1) * d + 1;
            return padding == 0 ? (in + s - 1) / s : Math.max(0, (in + s - eff) / s);
        }

        int pad(int in, int out, int k, int s, int d) {
            int eff = (k - 1) * d + 1;
            return padding == 0 ? Math.max(0, ((out - 1) * s + eff - in) / 2) : 0;
        }

        @Override
        public String toString() {
            return batch + "x" + h + "x" + w + "x" + inC + "->" + outC + " k" + kh + "x" + kw + " s" + sh + "," + sw
                    + " d" + dh + "," + dw + (padding == 0 ? " SAME" : " VALID") + " act" + act
                    + (bias ? "" : " nobias");
        }
    }

    static float[] randoms(SplittableRandom r, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) (r.nextDouble() * 2 - 1);
        }
        return v;
    }

    static float[] floats(TensorData t) {
        ByteBuffer b = t.data();
        float[] v = new float[b.remaining() / 4];
        for (int i = 0; i < v.length; i++) {
            v[i] = b.getFloat(i * 4);
        }
        return v;
    }

    /** CONV_2D (filter [outC, kh, kw, inC]) or DEPTHWISE_CONV_2D (filter [1, kh, kw, inC], multiplier 1). */
    static Case conv(Geometry g, boolean depthwise, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        int outC = depthwise ? g.inC() : g.outC();
        int oh = g.outH();
        int ow = g.outW();
        int ph = g.pad(g.h(), oh, g.kh(), g.sh(), g.dh());
        int pw = g.pad(g.w(), ow, g.kw(), g.sw(), g.dw());
        float[] x = randoms(r, g.batch() * g.h() * g.w() * g.inC());
        int filterInC = depthwise ? 1 : g.inC();
        float[] wv = randoms(r, outC * g.kh() * g.kw() * filterInC);
        float[] bv = randoms(r, outC);
        ModelBuilder b = new ModelBuilder("f32conv");
        int xi = b.input("x", TensorType.FLOAT32, g.batch(), g.h(), g.w(), g.inC());
        int wi = depthwise ? b.constant("w", wv, 1, g.kh(), g.kw(), outC)
                : b.constant("w", wv, outC, g.kh(), g.kw(), g.inC());
        int bi = g.bias() ? b.constant("b", bv, outC) : -1;
        BuiltinOptions o = BuiltinOptions.of(depthwise ? "DepthwiseConv2DOptions" : "Conv2DOptions")
                .set("padding", g.padding()).set("stride_h", g.sh()).set("stride_w", g.sw())
                .set("dilation_h_factor", g.dh()).set("dilation_w_factor", g.dw())
                .set("fused_activation_function", g.act());
        if (depthwise) {
            o.set("depth_multiplier", 1);
        }
        b.output(b.op(depthwise ? BuiltinOperator.DEPTHWISE_CONV_2D : BuiltinOperator.CONV_2D, 1, o,
                new int[] {xi, wi, bi}, TensorSpec.of("y", TensorType.FLOAT32, g.batch(), oh, ow, outC))[0]);
        int n = g.batch() * oh * ow * outC;
        double[] expected = new double[n];
        double[] sumAbs = new double[n];
        for (int bb = 0; bb < g.batch(); bb++) {
            for (int oy = 0; oy < oh; oy++) {
                for (int ox = 0; ox < ow; ox++) {
                    for (int oc = 0; oc < outC; oc++) {
                        double sum = 0;
                        double abs = 0;
                        for (int fy = 0; fy < g.kh(); fy++) {
                            int iy = oy * g.sh() - ph + fy * g.dh();
                            for (int fx = 0; fx < g.kw(); fx++) {
                                int ix = ox * g.sw() - pw + fx * g.dw();
                                if (iy < 0 || iy >= g.h() || ix < 0 || ix >= g.w()) {
                                    continue;
                                }
                                int inBase = ((bb * g.h() + iy) * g.w() + ix) * g.inC();
                                if (depthwise) {
                                    double t = (double) x[inBase + oc] * wv[(fy * g.kw() + fx) * outC + oc];
                                    sum += t;
                                    abs += Math.abs(t);
                                } else {
                                    for (int ic = 0; ic < g.inC(); ic++) {
                                        double t = (double) x[inBase + ic]
                                                * wv[((oc * g.kh() + fy) * g.kw() + fx) * g.inC() + ic];
                                        sum += t;
                                        abs += Math.abs(t);
                                    }
                                }
                            }
                        }
                        if (g.bias()) {
                            sum += bv[oc];
                            abs += Math.abs(bv[oc]);
                        }
                        int i = ((bb * oh + oy) * ow + ox) * outC + oc;
                        expected[i] = sum;
                        sumAbs[i] = abs;
                    }
                }
            }
        }
        float[] range = RANGES[g.act()];
        return new Case((depthwise ? "dwconv " : "conv ") + g + " seed " + seed, b.build(),
                tensor(x, g.batch(), g.h(), g.w(), g.inC()), expected, sumAbs, range[0], range[1], wv,
                g.bias() ? bv : null);
    }

    static Case fullyConnected(int batches, int k, int units, int act, boolean bias, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] x = randoms(r, batches * k);
        float[] wv = randoms(r, units * k);
        float[] bv = randoms(r, units);
        ModelBuilder b = new ModelBuilder("f32fc");
        int xi = b.input("x", TensorType.FLOAT32, batches, k);
        int wi = b.constant("w", wv, units, k);
        int bi = bias ? b.constant("b", bv, units) : -1;
        b.output(b.op(BuiltinOperator.FULLY_CONNECTED, 1,
                BuiltinOptions.of("FullyConnectedOptions").set("fused_activation_function", act),
                new int[] {xi, wi, bi}, TensorSpec.of("y", TensorType.FLOAT32, batches, units))[0]);
        double[] expected = new double[batches * units];
        double[] sumAbs = new double[batches * units];
        for (int m = 0; m < batches; m++) {
            for (int o = 0; o < units; o++) {
                double sum = bias ? bv[o] : 0;
                double abs = Math.abs(sum);
                for (int i = 0; i < k; i++) {
                    double t = (double) x[m * k + i] * wv[o * k + i];
                    sum += t;
                    abs += Math.abs(t);
                }
                expected[m * units + o] = sum;
                sumAbs[m * units + o] = abs;
            }
        }
        float[] range = RANGES[act];
        return new Case("fc " + batches + "x" + k + "->" + units + " act" + act + (bias ? "" : " nobias") + " seed "
                + seed, b.build(), tensor(x, batches, k), expected, sumAbs, range[0], range[1], wv, bias ? bv : null);
    }

    static TensorData tensor(float[] v, int... shape) {
        ByteBuffer b = ByteBuffer.allocate(v.length * 4).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < v.length; i++) {
            b.putFloat(i * 4, v[i]);
        }
        return new TensorData(TensorType.FLOAT32, shape, b);
    }

    /** Compiles under path {@code path}, checks the kernel chosen, runs on {@code threads}. */
    static float[] run(Case c, KernelPath path, int threads, String expectNameEnd) {
        System.setProperty(KernelPath.PROPERTY, path.label());
        try {
            CompiledModel compiled = CompiledModel.compile(c.model());
            String kernel = OpProfile.kernelNames(compiled).get(0);
            if (expectNameEnd != null) {
                assertTrue(kernel.endsWith(expectNameEnd), c.label() + ": path " + path.label() + " dispatched "
                        + kernel + ", expected *" + expectNameEnd);
            }
            try (ExecutionContext ctx = compiled.newContext(threads)) {
                ctx.setInput(0, c.input());
                ctx.invoke();
                float[] first = floats(ctx.output(0));
                // A second invoke on the same scratch gives the same floats.
                ctx.invoke();
                float[] second = floats(ctx.output(0));
                for (int i = 0; i < first.length; i++) {
                    if (Float.floatToIntBits(first[i]) != Float.floatToIntBits(second[i])) {
                        fail(c.label() + ": second invoke differs at " + i);
                    }
                }
                return first;
            }
        } finally {
            System.clearProperty(KernelPath.PROPERTY);
        }
    }

    static void within(Case c, String what, float[] actual, float[] other) {
        assertEquals(c.expected().length, actual.length, c.label());
        for (int i = 0; i < actual.length; i++) {
            double tol = RELATIVE * c.sumAbs()[i] + 1e-30;
            double want = Math.min(Math.max(c.expected()[i], c.lo()), c.hi());
            if (Double.isNaN(actual[i]) || Math.abs(actual[i] - want) > tol) {
                fail(c.label() + ": " + what + " output " + i + " = " + actual[i] + ", exact " + want + " (tolerance "
                        + tol + ")");
            }
            if (other != null && Math.abs(actual[i] - other[i]) > tol) {
                fail(c.label() + ": " + what + " output " + i + " = " + actual[i] + ", reference path " + other[i]
                        + " (tolerance " + tol + ")");
            }
        }
    }

    /** The reference path, then every other available path of {@code family} on 1 and 3 threads. */
    static int check(Case c, KernelFamily<?> family, boolean fastHandles) {
        float[] ref = run(c, KernelPath.REFERENCE, 1, "__reference");
        within(c, "reference", ref, null);
        int runs = 0;
        for (KernelEntry<?> e : KernelRegistry.available(family)) {
            if (e.path() == KernelPath.REFERENCE) {
                continue;
            }
            String end = !fastHandles ? "__reference" : e.path().isNative() ? "__" + e.path().label() : null;
            for (int threads : new int[] {1, 3}) {
                float[] out = run(c, e.path(), threads, end);
                if (e.path() == KernelPath.JAVA && fastHandles) {
                    String k = OpProfile.kernelNames(CompiledModel.compile(c.model())).get(0);
                    assertTrue(!k.endsWith("__reference"), c.label() + ": java path ran " + k);
                }
                within(c, e.path().label() + " x" + threads, out, ref);
                runs++;
            }
        }
        return runs;
    }

    static boolean fastPathsExist(KernelFamily<?> family) {
        return KernelRegistry.available(family).size() > 1;
    }

    @Test
    void convChannelSweeps() {
        int runs = 0;
        SplittableRandom r = new SplittableRandom(1);
        for (int i = 0; i < SIZES.length; i++) {
            int inC = SIZES[i];
            int outC = SIZES[(i * 7 + 3) % SIZES.length];
            int k = i % 3 == 0 ? 3 : 1;
            // 1x1 (in place), 3x3 SAME (im2col), pixel counts around multiples of 6.
            Geometry g = new Geometry(1 + i % 2, 3 + i % 5, 2 + i % 4, inC, outC, k, k, 1, 1, 1, 1, 0,
                    ACTIVATIONS[i % 4], i % 5 != 0);
            runs += check(conv(g, false, r.nextLong()), KernelRegistry.F32_CONV2D, true);
            Geometry g2 = new Geometry(1, 2 + i % 3, 3, outC, inC, 1, 1, 1, 1, 1, 1, 1, 0, true);
            runs += check(conv(g2, false, r.nextLong()), KernelRegistry.F32_CONV2D, true);
        }
        assertTrue(runs > 0 || !fastPathsExist(KernelRegistry.F32_CONV2D));
    }

    @Test
    void convGeometrySweeps() {
        SplittableRandom r = new SplittableRandom(2);
        int[] kernels = {1, 3, 5};
        int i = 0;
        for (int k : kernels) {
            for (int stride = 1; stride <= 2; stride++) {
                for (int padding = 0; padding < 2; padding++) {
                    for (int dil = 1; dil <= 2; dil++) {
                        int h = 5 + 2 * (i % 4) + (k - 1) * dil;
                        int w = 4 + (i % 3) + (k - 1) * dil;
                        Geometry g = new Geometry(1 + i % 2, h, w, SIZES[(i * 5) % SIZES.length],
                                SIZES[(i * 11 + 4) % SIZES.length], k, i % 4 == 3 ? 1 : k, stride, 3 - stride, dil,
                                dil, padding, ACTIVATIONS[i % 4], i % 3 != 0);
                        check(conv(g, false, r.nextLong()), KernelRegistry.F32_CONV2D, true);
                        i++;
                    }
                }
            }
        }
        // MobileNet's first layer (3 channels in, 8 out, 3x3 stride 2 SAME) on a small image, and
        // an odd image with one output pixel.
        check(conv(new Geometry(1, 17, 15, 3, 8, 3, 3, 2, 2, 1, 1, 0, 3, true), false, 5), KernelRegistry.F32_CONV2D,
                true);
        check(conv(new Geometry(2, 3, 3, 7, 17, 3, 3, 1, 1, 1, 1, 1, 0, true), false, 6), KernelRegistry.F32_CONV2D,
                true);
        check(conv(new Geometry(1, 1, 1, 65, 33, 1, 1, 1, 1, 1, 1, 0, 1, true), false, 7), KernelRegistry.F32_CONV2D,
                true);
    }

    @Test
    void depthwiseSweeps() {
        SplittableRandom r = new SplittableRandom(3);
        for (int i = 0; i < SIZES.length; i++) {
            int c = SIZES[i];
            Geometry g = new Geometry(1 + i % 2, 4 + i % 5, 3 + i % 4, c, c, 3, 3, 1 + i % 2, 1 + i % 2, 1, 1, i % 2,
                    ACTIVATIONS[i % 4], i % 5 != 0);
            check(conv(g, true, r.nextLong()), KernelRegistry.F32_DWCONV2D, true);
        }
        int i = 0;
        for (int k : new int[] {1, 3, 5}) {
            for (int stride = 1; stride <= 2; stride++) {
                for (int padding = 0; padding < 2; padding++) {
                    for (int dil = 1; dil <= 2; dil++) {
                        int h = 5 + 2 * (i % 3) + (k - 1) * dil;
                        int w = 6 + (i % 4) + (k - 1) * dil;
                        Geometry g = new Geometry(1 + i % 2, h, w, SIZES[(i * 5 + 2) % SIZES.length], 0, k,
                                i % 4 == 3 ? 3 : k, stride, 3 - stride, dil, 1 + (dil + i) % 2, padding,
                                ACTIVATIONS[i % 4], i % 3 != 0);
                        check(conv(new Geometry(g.batch(), g.h(), g.w(), g.inC(), g.inC(), g.kh(), g.kw(), g.sh(),
                                g.sw(), g.dh(), g.dw(), g.padding(), g.act(), g.bias()), true, r.nextLong()),
                                KernelRegistry.F32_DWCONV2D, true);
                        i++;
                    }
                }
            }
        }
    }

    @Test
    void fullyConnectedSweeps() {
        SplittableRandom r = new SplittableRandom(4);
        for (int i = 0; i < SIZES.length; i++) {
            for (int j = 0; j < SIZES.length; j += 3) {
                int k = SIZES[i];
                int units = SIZES[(i + j) % SIZES.length];
                int batches = 1 + (i + j) % 8;
                check(fullyConnected(batches, k, units, ACTIVATIONS[(i + j) % 4], (i + j) % 5 != 0, r.nextLong()),
                        KernelRegistry.F32_FULLY_CONNECTED, true);
            }
        }
        // MobileNet-sized classifier on one row: the threads split the output features.
        check(fullyConnected(1, 256, 1001, 0, true, 9), KernelRegistry.F32_FULLY_CONNECTED, true);
        check(fullyConnected(13, 100, 40, 3, true, 10), KernelRegistry.F32_FULLY_CONNECTED, true);
    }

    static ByteBuffer bytes(float[] v) {
        ByteBuffer b = ByteBuffer.allocate(v.length * 4).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < v.length; i++) {
            b.putFloat(i * 4, v[i]);
        }
        return b;
    }

    static float[] runHeap(Case c, java.util.function.BiConsumer<ExecutionState, ByteBuffer> run, int outFloats) {
        ByteBuffer out = ByteBuffer.allocate(outFloats * 4).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        ByteBuffer[] buffers = {c.input().data(), bytes(c.weights()), c.bias() == null ? null : bytes(c.bias()), out};
        run.accept(new ExecutionState(buffers, new int[4]), out);
        float[] v = new float[outFloats];
        for (int i = 0; i < outFloats; i++) {
            v[i] = out.getFloat(i * 4);
        }
        return v;
    }

    /**
     * The Java path's plain twin (and its Vector API kernels) called directly on heap buffers
     * (a state without native memory, where the native kernels defer to the reference), for
     * conv and depthwise geometries with padding, strides, dilation and channel tails.
     */
    @Test
    void javaKernelsAndPlainTwinOnHeapBuffers() {
        SplittableRandom r = new SplittableRandom(6);
        List<dev.whittle.internal.vectorization.Float32ConvKernels> impls = List.of(
                dev.whittle.internal.vectorization.Float32Vectorization.plain(),
                dev.whittle.internal.vectorization.Float32Vectorization.get());
        Geometry[] gs = {
            new Geometry(2, 7, 6, 5, 17, 3, 3, 2, 1, 1, 2, 0, 3, true),
            new Geometry(1, 5, 5, 33, 9, 1, 1, 1, 1, 1, 1, 1, 0, false),
            new Geometry(1, 9, 8, 3, 8, 5, 3, 1, 2, 2, 1, 0, 2, true),
            new Geometry(1, 6, 7, 16, 33, 3, 3, 1, 1, 1, 1, 0, 1, true)};
        for (Geometry g : gs) {
            for (boolean dw : new boolean[] {false, true}) {
                Geometry gg = dw ? new Geometry(g.batch(), g.h(), g.w(), g.inC(), g.inC(), g.kh(), g.kw(), g.sh(),
                        g.sw(), g.dh(), g.dw(), g.padding(), g.act(), g.bias()) : g;
                Case c = conv(gg, dw, r.nextLong());
                int oh = gg.outH();
                int ow = gg.outW();
                int ph = gg.pad(gg.h(), oh, gg.kh(), gg.sh(), gg.dh());
                int pw = gg.pad(gg.w(), ow, gg.kw(), gg.sw(), gg.dw());
                float[] range = RANGES[gg.act()];
                int outFloats = c.expected().length;
                for (var impl : impls) {
                    float[] got;
                    String name;
                    if (dw) {
                        var p = new dev.whittle.runtime.kernels.reference.DepthwiseConvParams(null, 0, 1,
                                gg.bias() ? 2 : -1, 3, gg.batch(), gg.h(), gg.w(), gg.inC(), 1, oh, ow, gg.kh(),
                                gg.kw(), gg.sh(), gg.sw(), gg.dh(), gg.dw(), ph, pw, 0, 0, 0, null, null, 0, 0,
                                range[0], range[1], null, null);
                        var k = dev.whittle.runtime.kernels.F32JavaDepthwiseConv.factory(impl).create(p,
                                bytes(c.weights()), c.bias() == null ? null : bytes(c.bias()));
                        name = k.name();
                        got = runHeap(c, (st, o) -> k.run(p, st), outFloats);
                    } else {
                        var p = new dev.whittle.runtime.kernels.reference.ConvParams(null, 0, 1, gg.bias() ? 2 : -1, 3,
                                gg.batch(), gg.h(), gg.w(), gg.inC(), oh, ow, gg.outC(), gg.kh(), gg.kw(), gg.inC(),
                                gg.sh(), gg.sw(), gg.dh(), gg.dw(), ph, pw, 0, 0, 0, null, null, 0, 0, range[0],
                                range[1], null, null);
                        var k = dev.whittle.runtime.kernels.F32JavaConv.factory(impl).create(p, bytes(c.weights()),
                                c.bias() == null ? null : bytes(c.bias()));
                        name = k.name();
                        got = runHeap(c, (st, o) -> k.run(p, st), outFloats);
                    }
                    assertTrue(name.endsWith("__" + impl.isa()), name);
                    within(c, name, got, null);
                }
            }
        }
    }

    /**
     * Nodes large enough that 3 threads split them into several tasks (the kernels keep small
     * nodes on one task): pixel blocks for conv and depthwise, and output-channel panels for a
     * fully connected layer on few rows.
     */
    @Test
    void nodesLargeEnoughToSplit() {
        check(conv(new Geometry(2, 20, 19, 32, 33, 3, 3, 1, 1, 1, 1, 0, 3, true), false, 11),
                KernelRegistry.F32_CONV2D, true);
        check(conv(new Geometry(1, 23, 21, 40, 17, 1, 1, 1, 1, 1, 1, 1, 1, true), false, 12),
                KernelRegistry.F32_CONV2D, true);
        check(conv(new Geometry(1, 6, 5, 129, 300, 3, 3, 1, 1, 1, 1, 0, 0, true), false, 13),
                KernelRegistry.F32_CONV2D, true);
        check(conv(new Geometry(2, 41, 37, 72, 72, 3, 3, 1, 1, 1, 1, 0, 3, true), true, 14),
                KernelRegistry.F32_DWCONV2D, true);
        check(fullyConnected(2, 700, 1001, 0, true, 15), KernelRegistry.F32_FULLY_CONNECTED, true);
    }

    /** Depth multiplier 2 is not handled by the fast kernels: the reference runs on every path. */
    @Test
    void depthMultiplierFallsBack() {
        SplittableRandom r = new SplittableRandom(5);
        float[] x = randoms(r, 5 * 5 * 3);
        float[] wv = randoms(r, 9 * 6);
        ModelBuilder b = new ModelBuilder("dwm2");
        int xi = b.input("x", TensorType.FLOAT32, 1, 5, 5, 3);
        int wi = b.constant("w", wv, 1, 3, 3, 6);
        b.output(b.op(BuiltinOperator.DEPTHWISE_CONV_2D, 1, BuiltinOptions.of("DepthwiseConv2DOptions")
                .set("padding", 0).set("stride_h", 1).set("stride_w", 1).set("depth_multiplier", 2)
                .set("dilation_h_factor", 1).set("dilation_w_factor", 1), new int[] {xi, wi, -1},
                TensorSpec.of("y", TensorType.FLOAT32, 1, 5, 5, 6))[0]);
        Model m = b.build();
        List<String> names = new ArrayList<>();
        for (KernelEntry<?> e : KernelRegistry.available(KernelRegistry.F32_DWCONV2D)) {
            System.setProperty(KernelPath.PROPERTY, e.path().label());
            names.add(OpProfile.kernelNames(CompiledModel.compile(m)).get(0));
            System.clearProperty(KernelPath.PROPERTY);
        }
        for (String n : names) {
            assertEquals("f32_dwconv2d__reference", n);
        }
    }
}
