package dev.whittle.runtime.kernels;

import dev.whittle.CpuFeatures;
import dev.whittle.internal.vectorization.Float32Vectorization;
import dev.whittle.internal.vectorization.VectorizationProvider;
import dev.whittle.runtime.kernels.reference.ConvKernels;
import dev.whittle.runtime.kernels.reference.DepthwiseConvKernels;
import dev.whittle.runtime.kernels.reference.FullyConnectedReference;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.BooleanSupplier;

/**
 * The one list of kernels (XNNPACK's config tables, ruy's paths): for every op family and
 * data type, its kernels by {@link KernelPath}. Dispatch, tests and benchmarks all read it,
 * so adding a kernel is one line here plus its code.
 *
 * <p>Selection ({@link #select}): among the family's kernels that are compiled in AND
 * supported by this CPU AND allowed by {@code -Dwhittle.kernels} (read at each call, so a
 * test can switch it between compiles), the fastest path. The reference kernel is always
 * there, so selection never fails.
 */
public final class KernelRegistry {
    /** int8 activations, per-tensor int8 weights. */
    public static final KernelFamily<QuantizedFullyConnectedFactory> QS8_FULLY_CONNECTED =
            new KernelFamily<>("qs8_fully_connected", QuantizedFullyConnectedFactory.class);
    /** int8 activations, per-channel int8 weights. */
    public static final KernelFamily<QuantizedFullyConnectedFactory> QS8_QC8W_FULLY_CONNECTED =
            new KernelFamily<>("qs8_qc8w_fully_connected", QuantizedFullyConnectedFactory.class);
    /** uint8 activations and weights. */
    public static final KernelFamily<QuantizedFullyConnectedFactory> QU8_FULLY_CONNECTED =
            new KernelFamily<>("qu8_fully_connected", QuantizedFullyConnectedFactory.class);

    /** CONV_2D, float32. */
    public static final KernelFamily<ConvKernelFactory> F32_CONV2D =
            new KernelFamily<>("f32_conv2d", ConvKernelFactory.class);
    /** CONV_2D, int8 activations, per-tensor int8 weights. */
    public static final KernelFamily<ConvKernelFactory> QS8_CONV2D =
            new KernelFamily<>("qs8_conv2d", ConvKernelFactory.class);
    /** CONV_2D, int8 activations, per-channel int8 weights. */
    public static final KernelFamily<ConvKernelFactory> QS8_QC8W_CONV2D =
            new KernelFamily<>("qs8_qc8w_conv2d", ConvKernelFactory.class);
    /** CONV_2D, uint8 activations and weights. */
    public static final KernelFamily<ConvKernelFactory> QU8_CONV2D =
            new KernelFamily<>("qu8_conv2d", ConvKernelFactory.class);
    /** CONV_2D, int16 activations, int8 weights, int64 bias. */
    public static final KernelFamily<ConvKernelFactory> QS16_QC8W_CONV2D =
            new KernelFamily<>("qs16_qc8w_conv2d", ConvKernelFactory.class);
    /** DEPTHWISE_CONV_2D, float32. */
    public static final KernelFamily<DepthwiseConvKernelFactory> F32_DWCONV2D =
            new KernelFamily<>("f32_dwconv2d", DepthwiseConvKernelFactory.class);
    /** DEPTHWISE_CONV_2D, int8 activations, per-tensor int8 weights. */
    public static final KernelFamily<DepthwiseConvKernelFactory> QS8_DWCONV2D =
            new KernelFamily<>("qs8_dwconv2d", DepthwiseConvKernelFactory.class);
    /** DEPTHWISE_CONV_2D, int8 activations, per-channel int8 weights. */
    public static final KernelFamily<DepthwiseConvKernelFactory> QS8_QC8W_DWCONV2D =
            new KernelFamily<>("qs8_qc8w_dwconv2d", DepthwiseConvKernelFactory.class);
    /** DEPTHWISE_CONV_2D, uint8 activations and weights. */
    public static final KernelFamily<DepthwiseConvKernelFactory> QU8_DWCONV2D =
            new KernelFamily<>("qu8_dwconv2d", DepthwiseConvKernelFactory.class);
    /** DEPTHWISE_CONV_2D, int16 activations, int8 weights, int64 bias. */
    public static final KernelFamily<DepthwiseConvKernelFactory> QS16_QC8W_DWCONV2D =
            new KernelFamily<>("qs16_qc8w_dwconv2d", DepthwiseConvKernelFactory.class);

    /** FULLY_CONNECTED, float32. */
    public static final KernelFamily<FloatFullyConnectedFactory> F32_FULLY_CONNECTED =
            new KernelFamily<>("f32_fully_connected", FloatFullyConnectedFactory.class);

    private static final BooleanSupplier ALWAYS = () -> true;

    private static final List<KernelEntry<?>> ENTRIES = List.of(
            new KernelEntry<>(QS8_FULLY_CONNECTED, KernelPath.REFERENCE,
                    (QuantizedFullyConnectedFactory) (p, w, b) -> FullyConnectedReference.QS8, ALWAYS),
            new KernelEntry<>(QS8_FULLY_CONNECTED, KernelPath.JAVA, javaFc(QS8_FULLY_CONNECTED), ALWAYS),
            new KernelEntry<>(QS8_QC8W_FULLY_CONNECTED, KernelPath.REFERENCE,
                    (QuantizedFullyConnectedFactory) (p, w, b) -> FullyConnectedReference.QS8_QC8W, ALWAYS),
            new KernelEntry<>(QS8_QC8W_FULLY_CONNECTED, KernelPath.JAVA, javaFc(QS8_QC8W_FULLY_CONNECTED), ALWAYS),
            new KernelEntry<>(QU8_FULLY_CONNECTED, KernelPath.REFERENCE,
                    (QuantizedFullyConnectedFactory) (p, w, b) -> FullyConnectedReference.QU8, ALWAYS),
            new KernelEntry<>(QU8_FULLY_CONNECTED, KernelPath.JAVA, javaFc(QU8_FULLY_CONNECTED), ALWAYS),
            // float32 conv, depthwise, fully connected (F32NativeConv, F32NativeDepthwiseConv,
            // F32NativeFullyConnected)
            new KernelEntry<>(F32_CONV2D, KernelPath.REFERENCE,
                    (ConvKernelFactory) (p, w, b) -> ConvKernels.F32, ALWAYS),
            new KernelEntry<>(F32_CONV2D, KernelPath.JAVA, F32JavaConv.factory(Float32Vectorization.get()), ALWAYS),
            f32Native(F32_CONV2D, KernelPath.AVX2, "f32_conv2d_gemm_6x16__avx2", F32NativeConv::factory),
            new KernelEntry<>(F32_DWCONV2D, KernelPath.REFERENCE,
                    (DepthwiseConvKernelFactory) (p, w, b) -> DepthwiseConvKernels.F32, ALWAYS),
            new KernelEntry<>(F32_DWCONV2D, KernelPath.JAVA,
                    F32JavaDepthwiseConv.factory(Float32Vectorization.get()), ALWAYS),
            f32Native(F32_DWCONV2D, KernelPath.AVX2, "f32_dwconv2d_minmax_16c__avx2",
                    F32NativeDepthwiseConv::factory),
            new KernelEntry<>(F32_FULLY_CONNECTED, KernelPath.REFERENCE,
                    (FloatFullyConnectedFactory) (p, w, b) -> FullyConnectedReference.F32, ALWAYS),
            f32Native(F32_FULLY_CONNECTED, KernelPath.AVX2, "f32_fully_connected_gemm_6x16__avx2",
                    F32NativeFullyConnected::factory));

    private KernelRegistry() {
    }

    /** A native kernel's entry: compiled in when libwhittle exports {@code whittle_<name>}. */
    private static <F> KernelEntry<F> f32Native(KernelFamily<F> family, KernelPath path, String name,
            java.util.function.Function<String, F> factory) {
        return new KernelEntry<>(family, path, factory.apply(name), NativeKernels.exported("whittle_" + name));
    }

    private static QuantizedFullyConnectedFactory javaFc(KernelFamily<QuantizedFullyConnectedFactory> family) {
        return (p, w, b) -> Int8FullyConnected.create(family, VectorizationProvider.get(), p, w, b);
    }

    /** Every registered kernel of {@code family}, slowest path first, available or not. */
    public static <F> List<KernelEntry<F>> entries(KernelFamily<F> family) {
        List<KernelEntry<F>> out = new ArrayList<>();
        for (KernelEntry<?> e : ENTRIES) {
            if (e.family().equals(family)) {
                @SuppressWarnings("unchecked")
                KernelEntry<F> typed = (KernelEntry<F>) e;
                out.add(typed);
            }
        }
        out.sort((a, b) -> a.path().compareTo(b.path()));
        return out;
    }

    /** The kernels of {@code family} this process and CPU can run, slowest first (tests run them all). */
    public static <F> List<KernelEntry<F>> available(KernelFamily<F> family) {
        CpuFeatures cpu = CpuFeatures.detect();
        List<KernelEntry<F>> out = new ArrayList<>();
        for (KernelEntry<F> e : entries(family)) {
            if (e.availableOn(cpu)) {
                out.add(e);
            }
        }
        return out;
    }

    /**
     * The kernel dispatch picks for {@code family}: the fastest available one that
     * {@code -Dwhittle.kernels} allows.
     *
     * @throws dev.whittle.InvalidInputException when the property names no path
     */
    public static <F> KernelEntry<F> select(KernelFamily<F> family) {
        return select(family, KernelPath.allowed(System.getProperty(KernelPath.PROPERTY)));
    }

    /** As {@link #select(KernelFamily)}, with the allowed paths given. */
    public static <F> KernelEntry<F> select(KernelFamily<F> family, Set<KernelPath> allowed) {
        KernelEntry<F> best = null;
        for (KernelEntry<F> e : available(family)) {
            if (allowed.contains(e.path())) {
                best = e;
            }
        }
        if (best == null) {
            throw new IllegalStateException(family + " has no reference kernel registered");
        }
        return best;
    }

    /**
     * The kernel of the fastest allowed, available, non-reference path of {@code family} whose
     * factory accepts the node ({@code build} returns non-null), or {@code fallback} (the
     * reference kernel the op chose) when none does. For families whose reference kernel
     * depends on more than the family (grouped or 16x8 convolutions), so is not registered.
     */
    public static <F, K> K fastestOr(KernelFamily<F> family, java.util.function.Function<F, K> build, K fallback) {
        java.util.Set<KernelPath> allowed = KernelPath.allowed(System.getProperty(KernelPath.PROPERTY));
        List<KernelEntry<F>> entries = available(family);
        for (int i = entries.size() - 1; i >= 0; i--) {
            KernelEntry<F> e = entries.get(i);
            if (e.path() != KernelPath.REFERENCE && allowed.contains(e.path())) {
                K k = build.apply(e.factory());
                if (k != null) {
                    return k;
                }
            }
        }
        return fallback;
    }

    /**
     * The path {@link #select} takes for the families it has most kernels for, as one label
     * for reports ({@code java (panama512)}, {@code reference}).
     */
    public static String describeDefaultPath() {
        KernelEntry<?> e = select(QS8_QC8W_FULLY_CONNECTED);
        return e.path() == KernelPath.JAVA ? "java (" + VectorizationProvider.get().isa() + ")" : e.path().label();
    }
}
