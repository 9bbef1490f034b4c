package dev.whittle.runtime.kernels;

import dev.whittle.CpuFeatures;
import dev.whittle.internal.vectorization.Float32Vectorization;
import dev.whittle.internal.vectorization.VectorizationProvider;
import dev.whittle.runtime.kernels.elementwise.ArgMinMaxJava;
import dev.whittle.runtime.kernels.elementwise.ElementwiseFamilies;
import dev.whittle.runtime.kernels.elementwise.F32BinaryKernels;
import dev.whittle.runtime.kernels.elementwise.PadJava;
import dev.whittle.runtime.kernels.elementwise.Pool2DJava;
import dev.whittle.runtime.kernels.elementwise.PreparedKernelFactory;
import dev.whittle.runtime.kernels.elementwise.QuantizeKernels;
import dev.whittle.runtime.kernels.elementwise.QuantizedBinaryKernels;
import dev.whittle.runtime.kernels.elementwise.ReduceJava;
import dev.whittle.runtime.kernels.elementwise.ReduceKernelFactory;
import dev.whittle.runtime.kernels.elementwise.ResizeBilinearKernels;
import dev.whittle.runtime.kernels.elementwise.UnaryLutKernels;
import dev.whittle.runtime.kernels.reference.ArgMinMaxKernels;
import dev.whittle.runtime.kernels.reference.BinaryParams;
import dev.whittle.runtime.kernels.reference.DataMovementKernels.PadParams;
import dev.whittle.runtime.kernels.reference.ConvKernels;
import dev.whittle.runtime.kernels.reference.DepthwiseConvKernels;
import dev.whittle.runtime.kernels.reference.FullyConnectedReference;
import dev.whittle.runtime.kernels.reference.Pool2DKernels;
import dev.whittle.runtime.kernels.reference.ResizeKernels;
import dev.whittle.runtime.kernels.reference.UnaryParams;
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
    /**
     * int16 activations, int8 weights: the reference is {@code QS16_QC8W} (int64 bias) or
     * {@code QS16_QC8W_GEMM} (int32 or no bias), as the node's parameters say.
     */
    public static final KernelFamily<QuantizedFullyConnectedFactory> QS16_QC8W_FULLY_CONNECTED =
            new KernelFamily<>("qs16_qc8w_fully_connected", QuantizedFullyConnectedFactory.class);

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

    // Weight-format families (issue 9): kernels for pruned and clustered 8-bit layers, tried by
    // WeightKernels before the dense family of the node; no reference kernel of their own (the
    // dense family's reference is their oracle).
    /** CONV_2D on 2:4 structured sparse weights (2 of every 4 along the input channels). */
    public static final KernelFamily<WeightFormatConvFactory> CONV2D_SP24 =
            new KernelFamily<>("conv2d_sp24", WeightFormatConvFactory.class);
    /** CONV_2D on blocked unstructured sparse weights. */
    public static final KernelFamily<WeightFormatConvFactory> CONV2D_SPARSE =
            new KernelFamily<>("conv2d_sparse", WeightFormatConvFactory.class);
    /** CONV_2D on LUT-coded clustered weights. */
    public static final KernelFamily<WeightFormatConvFactory> CONV2D_LUT =
            new KernelFamily<>("conv2d_lut", WeightFormatConvFactory.class);
    /** FULLY_CONNECTED on 2:4 structured sparse weights. */
    public static final KernelFamily<WeightFormatFcFactory> FULLY_CONNECTED_SP24 =
            new KernelFamily<>("fully_connected_sp24", WeightFormatFcFactory.class);
    /** FULLY_CONNECTED on blocked unstructured sparse weights. */
    public static final KernelFamily<WeightFormatFcFactory> FULLY_CONNECTED_SPARSE =
            new KernelFamily<>("fully_connected_sparse", WeightFormatFcFactory.class);
    /** FULLY_CONNECTED on LUT-coded clustered weights. */
    public static final KernelFamily<WeightFormatFcFactory> FULLY_CONNECTED_LUT =
            new KernelFamily<>("fully_connected_lut", WeightFormatFcFactory.class);

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
            // 16x8 (int16 activations, int8 weights): CONV_2D, DEPTHWISE_CONV_2D, FULLY_CONNECTED.
            new KernelEntry<>(QS16_QC8W_CONV2D, KernelPath.AVX2,
                    (ConvKernelFactory) (p, w, b) -> Qs16NativeConv.create(Qs16Gemm.Isa.AVX2, p, w, b),
                    NativeKernels.exported("whittle_qs16_qc8w_conv2d_gemm_4x16c2__avx2")),
            new KernelEntry<>(QS16_QC8W_CONV2D, KernelPath.AVX512VNNI,
                    (ConvKernelFactory) (p, w, b) -> Qs16NativeConv.create(Qs16Gemm.Isa.AVX512VNNI, p, w, b),
                    NativeKernels.exported("whittle_qs16_qc8w_conv2d_gemm_8x32c2__avx512vnni")),
            new KernelEntry<>(QS16_QC8W_DWCONV2D, KernelPath.AVX2,
                    (DepthwiseConvKernelFactory) Qs16NativeDepthwiseConv::create,
                    NativeKernels.exported("whittle_qs16_qc8w_dwconv2d_16c__avx2")),
            new KernelEntry<>(QS16_QC8W_FULLY_CONNECTED, KernelPath.REFERENCE,
                    (QuantizedFullyConnectedFactory) (p, w, b) -> p.realScales() != null
                            ? FullyConnectedReference.QS16_QC8W : FullyConnectedReference.QS16_QC8W_GEMM, ALWAYS),
            new KernelEntry<>(QS16_QC8W_FULLY_CONNECTED, KernelPath.AVX2,
                    (QuantizedFullyConnectedFactory) (p, w, b) -> Qs16NativeFullyConnected.create(Qs16Gemm.Isa.AVX2,
                            p, w, b),
                    NativeKernels.exported("whittle_qs16_qc8w_fully_connected_gemm_4x16c2__avx2")),
            new KernelEntry<>(QS16_QC8W_FULLY_CONNECTED, KernelPath.AVX512VNNI,
                    (QuantizedFullyConnectedFactory) (p, w, b) -> Qs16NativeFullyConnected.create(
                            Qs16Gemm.Isa.AVX512VNNI, p, w, b),
                    NativeKernels.exported("whittle_qs16_qc8w_fully_connected_gemm_8x32c2__avx512vnni")),
            // Java path, 16x8 (issue 6): Vector API kernels (internal/vectorization/PanamaInt16Kernels, plain twin
            // ScalarInt16Kernels): Qs16JavaConv (1x1 direct, im2col), Qs16JavaFullyConnected, Qs16JavaDepthwiseConv.
            new KernelEntry<>(QS16_QC8W_CONV2D, KernelPath.JAVA,
                    (ConvKernelFactory) (p, w, b) -> Qs16JavaConv.create(VectorizationProvider.get(), p, w, b), ALWAYS),
            new KernelEntry<>(QS16_QC8W_FULLY_CONNECTED, KernelPath.JAVA,
                    (QuantizedFullyConnectedFactory) (p, w, b) -> Qs16JavaFullyConnected.create(
                            VectorizationProvider.get(), p, w, b), ALWAYS),
            new KernelEntry<>(QS16_QC8W_DWCONV2D, KernelPath.JAVA,
                    (DepthwiseConvKernelFactory) (p, w, b) -> Qs16JavaDepthwiseConv.create(VectorizationProvider.get(),
                            p, w, b), ALWAYS),
            // DEPTHWISE_CONV_2D int8/uint8: JavaDepthwiseConv, NativeDepthwiseConv (kernels/q8_dwconv2d_*).
            dwReference(QS8_DWCONV2D), dwJava(QS8_DWCONV2D), dwNative(QS8_DWCONV2D, KernelPath.AVX2, "16c__avx2"),
            dwNative(QS8_DWCONV2D, KernelPath.AVX512VNNI, "32c__avx512"),
            dwReference(QS8_QC8W_DWCONV2D), dwJava(QS8_QC8W_DWCONV2D),
            dwNative(QS8_QC8W_DWCONV2D, KernelPath.AVX2, "16c__avx2"),
            dwNative(QS8_QC8W_DWCONV2D, KernelPath.AVX512VNNI, "32c__avx512"),
            dwReference(QU8_DWCONV2D), dwJava(QU8_DWCONV2D), dwNative(QU8_DWCONV2D, KernelPath.AVX2, "16c__avx2"),
            dwNative(QU8_DWCONV2D, KernelPath.AVX512VNNI, "32c__avx512"),
            // Row-staged depthwise (NativeDepthwiseConvRows, kernels/q8_dwconv2d_minmax_rows*): listed after
            // the kernels above on the same path, so dispatch tries it first; where it declines (null) a node,
            // the kernels above take it.
            dwRows(QS8_DWCONV2D, KernelPath.AVX2), dwRows(QS8_DWCONV2D, KernelPath.AVX512VNNI),
            dwRows(QS8_QC8W_DWCONV2D, KernelPath.AVX2), dwRows(QS8_QC8W_DWCONV2D, KernelPath.AVX512VNNI),
            dwRows(QU8_DWCONV2D, KernelPath.AVX2),
            // uint8 on the AVX-512 path: the AVX2 rows kernel where it measured faster than 64l / 32c
            // (NativeDepthwiseConvRows.prefersAvx2OnAvx512; the VNNI rows kernel needs int8 weights).
            avx2RowsOnAvx512(QU8_DWCONV2D),
            // and listed after it (tried first): the VNNI rows kernel for uint8 where its weights pack
            // (NativeDepthwiseConvRows.vnniFixGroups: minus the zero point, outside int8 in fix groups).
            dwRows(QU8_DWCONV2D, KernelPath.AVX512VNNI),
            // int8 on the AVX-512 path: the AVX2 rows kernel where the VNNI rows kernel's steps leave
            // lanes idle (NativeDepthwiseConvRows.prefersAvx2OverVnniRows); listed after, tried first.
            avx2RowsOnAvx512(QS8_DWCONV2D), avx2RowsOnAvx512(QS8_QC8W_DWCONV2D),
            // Depthwise with one input channel, multiplier >= 8 (issue 6, NativeDepthwiseConvC1,
            // kernels/q8_dwconv2d_minmax_c1x8__avx2.cc): listed last, so dispatch tries it first.
            dwC1(QS8_DWCONV2D, KernelPath.AVX2), dwC1(QS8_DWCONV2D, KernelPath.AVX512VNNI),
            dwC1(QS8_QC8W_DWCONV2D, KernelPath.AVX2), dwC1(QS8_QC8W_DWCONV2D, KernelPath.AVX512VNNI),
            dwC1(QU8_DWCONV2D, KernelPath.AVX2), dwC1(QU8_DWCONV2D, KernelPath.AVX512VNNI),
            // element-wise, pooling and data-movement ops (kernels/elementwise)
            new KernelEntry<>(ElementwiseFamilies.QUANTIZED_BINARY, KernelPath.JAVA,
                    (PreparedKernelFactory<BinaryParams>) QuantizedBinaryKernels::create, ALWAYS),
            // int16 ADD/SUB native (issue 6, small 16x8 models; kernels/qs16_add_*): QuantizedBinaryKernels.Int16.
            new KernelEntry<>(ElementwiseFamilies.QUANTIZED_BINARY, KernelPath.AVX2,
                    (PreparedKernelFactory<BinaryParams>) QuantizedBinaryKernels::createAvx2,
                    NativeKernels.exported("whittle_qs16_add_8__avx2")),
            new KernelEntry<>(ElementwiseFamilies.QUANTIZED_BINARY, KernelPath.AVX512VNNI,
                    (PreparedKernelFactory<BinaryParams>) QuantizedBinaryKernels::createAvx512,
                    NativeKernels.exported("whittle_qs16_add_16__avx512vnni")),
            // int8/uint8 ADD/SUB native (kernels/q8_add_*; QuantizedBinaryKernels.Q8Native): listed after the
            // table kernel, so dispatch tries it first on these paths; strided runs stay on the table.
            new KernelEntry<>(ElementwiseFamilies.QUANTIZED_BINARY, KernelPath.AVX2,
                    (PreparedKernelFactory<BinaryParams>) QuantizedBinaryKernels::createQ8Avx2,
                    NativeKernels.exported("whittle_qs8_add_16__avx2")),
            new KernelEntry<>(ElementwiseFamilies.QUANTIZED_BINARY, KernelPath.AVX512VNNI,
                    (PreparedKernelFactory<BinaryParams>) QuantizedBinaryKernels::createQ8Avx512,
                    NativeKernels.exported("whittle_qs8_add_16__avx512vnni")),
            new KernelEntry<>(ElementwiseFamilies.F32_BINARY, KernelPath.JAVA,
                    (PreparedKernelFactory<BinaryParams>) F32BinaryKernels::create, ALWAYS),
            new KernelEntry<>(ElementwiseFamilies.RESIZE_BILINEAR, KernelPath.JAVA,
                    (PreparedKernelFactory<ResizeKernels.Params>) ResizeBilinearKernels::create, ALWAYS),
            new KernelEntry<>(ElementwiseFamilies.RESIZE_BILINEAR, KernelPath.AVX2,
                    (PreparedKernelFactory<ResizeKernels.Params>) ResizeBilinearKernels::createAvx2,
                    NativeKernels.exported("whittle_qu8_resize_bilinear__avx2")),
            new KernelEntry<>(ElementwiseFamilies.ARG_MIN_MAX, KernelPath.JAVA,
                    (PreparedKernelFactory<ArgMinMaxKernels.Params>) ArgMinMaxJava::create, ALWAYS),
            new KernelEntry<>(ElementwiseFamilies.QUANTIZED_UNARY, KernelPath.JAVA,
                    (PreparedKernelFactory<UnaryParams>) UnaryLutKernels::create, ALWAYS),
            // QUANTIZE float32 -> int8/uint8/int16 (elementwise/QuantizeKernels, kernels/f32_q_quantize_*)
            new KernelEntry<>(ElementwiseFamilies.QUANTIZED_UNARY, KernelPath.JAVA,
                    (PreparedKernelFactory<UnaryParams>) QuantizeKernels::create, ALWAYS),
            new KernelEntry<>(ElementwiseFamilies.QUANTIZED_UNARY, KernelPath.AVX2,
                    (PreparedKernelFactory<UnaryParams>) QuantizeKernels::createAvx2,
                    NativeKernels.exported("whittle_f32_qs16_quantize__avx2")),
            new KernelEntry<>(ElementwiseFamilies.QUANTIZED_UNARY, KernelPath.AVX512VNNI,
                    (PreparedKernelFactory<UnaryParams>) QuantizeKernels::createAvx512,
                    NativeKernels.exported("whittle_f32_qs16_quantize__avx512vnni")),
            new KernelEntry<>(ElementwiseFamilies.AVERAGE_POOL2D, KernelPath.JAVA,
                    (PreparedKernelFactory<Pool2DKernels.Params>) Pool2DJava::average, ALWAYS),
            new KernelEntry<>(ElementwiseFamilies.MAX_POOL2D, KernelPath.JAVA,
                    (PreparedKernelFactory<Pool2DKernels.Params>) Pool2DJava::max, ALWAYS),
            new KernelEntry<>(ElementwiseFamilies.PAD, KernelPath.JAVA,
                    (PreparedKernelFactory<PadParams>) PadJava::create, ALWAYS),
            new KernelEntry<>(ElementwiseFamilies.REDUCE, KernelPath.JAVA, (ReduceKernelFactory) ReduceJava::create,
                    ALWAYS),
            // Java path, int8/uint8 CONV_2D: im2col + the int8 GEMM micro-kernel (Int8Conv2D).
            new KernelEntry<>(QS8_CONV2D, KernelPath.JAVA, javaConv(QS8_CONV2D), ALWAYS),
            new KernelEntry<>(QS8_QC8W_CONV2D, KernelPath.JAVA, javaConv(QS8_QC8W_CONV2D), ALWAYS),
            new KernelEntry<>(QU8_CONV2D, KernelPath.JAVA, javaConv(QU8_CONV2D), ALWAYS),
            // int8/uint8 GEMM kernels (Q8Gemm): CONV_2D and FULLY_CONNECTED, AVX2 and AVX-512 VNNI.
            q8Fc(QS8_FULLY_CONNECTED, KernelPath.AVX2), q8Fc(QS8_FULLY_CONNECTED, KernelPath.AVX512VNNI),
            q8Fc(QS8_QC8W_FULLY_CONNECTED, KernelPath.AVX2), q8Fc(QS8_QC8W_FULLY_CONNECTED, KernelPath.AVX512VNNI),
            q8Fc(QU8_FULLY_CONNECTED, KernelPath.AVX2), q8Fc(QU8_FULLY_CONNECTED, KernelPath.AVX512VNNI),
            q8Conv(QS8_CONV2D, KernelPath.AVX2), q8Conv(QS8_CONV2D, KernelPath.AVX512VNNI),
            q8Conv(QS8_QC8W_CONV2D, KernelPath.AVX2), q8Conv(QS8_QC8W_CONV2D, KernelPath.AVX512VNNI),
            q8Conv(QU8_CONV2D, KernelPath.AVX2), q8Conv(QU8_CONV2D, KernelPath.AVX512VNNI),
            // NEON DotProd (AArch64) int8/uint8 GEMM, CONV_2D and FULLY_CONNECTED
            // (kernels/q8_conv2d_gemm_4x16c4__neondot.cc; tested under qemu: NeonGemmVectorsTest).
            q8Fc(QS8_FULLY_CONNECTED, KernelPath.NEON), q8Fc(QS8_QC8W_FULLY_CONNECTED, KernelPath.NEON),
            q8Fc(QU8_FULLY_CONNECTED, KernelPath.NEON),
            q8Conv(QS8_CONV2D, KernelPath.NEON), q8Conv(QS8_QC8W_CONV2D, KernelPath.NEON),
            q8Conv(QU8_CONV2D, KernelPath.NEON),
            // NEON 16x8 CONV_2D and FULLY_CONNECTED (kernels/qs16_qc8w_gemm_4x16c2__neon.cc, the AVX2 panels).
            new KernelEntry<>(QS16_QC8W_CONV2D, KernelPath.NEON,
                    (ConvKernelFactory) (p, w, b) -> Qs16NativeConv.create(Qs16Gemm.Isa.NEON, p, w, b),
                    NativeKernels.exported("whittle_qs16_qc8w_conv2d_gemm_4x16c2__neon")),
            new KernelEntry<>(QS16_QC8W_FULLY_CONNECTED, KernelPath.NEON,
                    (QuantizedFullyConnectedFactory) (p, w, b) -> Qs16NativeFullyConnected.create(Qs16Gemm.Isa.NEON,
                            p, w, b),
                    NativeKernels.exported("whittle_qs16_qc8w_fully_connected_gemm_4x16c2__neon")),
            // NEON (AArch64 baseline) int8/uint8 depthwise, depth multiplier 1
            // (kernels/q8_dwconv2d_minmax_16c__neon.cc, the AVX2 16c block).
            dwNative(QS8_DWCONV2D, KernelPath.NEON, "16c__neon"),
            dwNative(QS8_QC8W_DWCONV2D, KernelPath.NEON, "16c__neon"),
            dwNative(QU8_DWCONV2D, KernelPath.NEON, "16c__neon"),
            // NEON 16x8 depthwise (issue 6, NEON gaps; kernels/qs16_qc8w_dwconv2d_16c__neon.cc, the AVX2 block;
            // tested under qemu: NeonDepthwiseVectorsTest).
            new KernelEntry<>(QS16_QC8W_DWCONV2D, KernelPath.NEON,
                    (DepthwiseConvKernelFactory) Qs16NativeDepthwiseConv::neon,
                    NativeKernels.exported("whittle_" + Qs16NativeDepthwiseConv.NEON_NAME)),
            // --- c1x8 NEON (issue 6, Arm): one input channel, multiplier >= 8 (NativeDepthwiseConvC1,
            // kernels/q8_dwconv2d_minmax_c1x8__neon.cc; tested under qemu: NeonDepthwiseC1VectorsTest). Listed
            // after the NEON depthwise entries above, so dispatch tries it first; it declines other nodes.
            new KernelEntry<>(QS8_DWCONV2D, KernelPath.NEON, NativeDepthwiseConvC1.neonFactory(QS8_DWCONV2D),
                    NativeDepthwiseConvC1.neonExported(QS8_DWCONV2D)),
            new KernelEntry<>(QS8_QC8W_DWCONV2D, KernelPath.NEON, NativeDepthwiseConvC1.neonFactory(QS8_QC8W_DWCONV2D),
                    NativeDepthwiseConvC1.neonExported(QS8_QC8W_DWCONV2D)),
            new KernelEntry<>(QU8_DWCONV2D, KernelPath.NEON, NativeDepthwiseConvC1.neonFactory(QU8_DWCONV2D),
                    NativeDepthwiseConvC1.neonExported(QU8_DWCONV2D)),
            // --- end c1x8 NEON
            // NEON I8MM int8/uint8 GEMM (issue 6, NEON gaps; kernels/q8_conv2d_gemm_4x16c8__neoni8mm.cc; tested under
            // qemu: NeonGemmVectorsTest). Same path as the DotProd entries above, listed after them so fastestOr tries
            // these first; the factory declines on a CPU without I8MM (HWCAP2_I8MM), and the DotProd kernel runs.
            q8FcI8mm(QS8_FULLY_CONNECTED), q8FcI8mm(QS8_QC8W_FULLY_CONNECTED), q8FcI8mm(QU8_FULLY_CONNECTED),
            q8ConvI8mm(QS8_CONV2D), q8ConvI8mm(QS8_QC8W_CONV2D), q8ConvI8mm(QU8_CONV2D),
            // NEON DotProd (AArch64) weight-format kernels (issue 9, NEON; tested under qemu:
            // NeonFormatVectorsTest): LUT-16, the VNNI panel format decoded with TBL
            // (kernels/q8_gemm_lut4_4x16c4__neondot.cc). Same factories and WeightKernels cost model as x86.
            new KernelEntry<>(CONV2D_LUT, KernelPath.NEON, Q8LutGemm.convFactory(Q8LutGemm.Layout.PANEL_NEON),
                    NativeKernels.exported("whittle_qs8_conv2d_" + Q8LutGemm.Layout.PANEL_NEON.suffix)),
            new KernelEntry<>(FULLY_CONNECTED_LUT, KernelPath.NEON, Q8LutGemm.fcFactory(Q8LutGemm.Layout.PANEL_NEON),
                    NativeKernels.exported("whittle_qs8_fully_connected_" + Q8LutGemm.Layout.PANEL_NEON.suffix)),
            // ... blocked unstructured sparse, the VNNI 1x4 tile format (kernels/q8_conv2d_sparse_64x1c4__neondot.cc).
            new KernelEntry<>(CONV2D_SPARSE, KernelPath.NEON, Q8SparseConv.neon(),
                    NativeKernels.exported("whittle_qs8_conv2d_" + Q8SparseGemm.NEON_SUFFIX)),
            new KernelEntry<>(FULLY_CONNECTED_SPARSE, KernelPath.NEON, Q8SparseFullyConnected.neon(),
                    NativeKernels.exported("whittle_qs8_fully_connected_" + Q8SparseGemm.NEON_SUFFIX)),
            // ... 2:4, lanes = pixels on the 36 pattern-pair combinations (kernels/q8_conv2d_sp24_16x1c8__neondot.cc).
            new KernelEntry<>(CONV2D_SP24, KernelPath.NEON, Q8Sp24Conv.factory(Q8Sp24Gemm.Isa.NEONDOT),
                    NativeKernels.exported("whittle_qs8_conv2d_" + Q8Sp24Gemm.Isa.NEONDOT.suffix)),
            new KernelEntry<>(FULLY_CONNECTED_SP24, KernelPath.NEON, Q8Sp24FullyConnected.factory(Q8Sp24Gemm.Isa.NEONDOT),
                    NativeKernels.exported("whittle_qs8_fully_connected_" + Q8Sp24Gemm.Isa.NEONDOT.suffix)),
            // Blocked unstructured sparse int8/uint8 (issue 9; Q8SparseGemm, kernels/q8_conv2d_sparse_*):
            // 1x2 blocks along K, AVX2.
            new KernelEntry<>(CONV2D_SPARSE, KernelPath.AVX2, Q8SparseConv.avx2(),
                    NativeKernels.exported("whittle_qs8_conv2d_" + Q8SparseGemm.AVX2_SUFFIX)),
            new KernelEntry<>(FULLY_CONNECTED_SPARSE, KernelPath.AVX2, Q8SparseFullyConnected.avx2(),
                    NativeKernels.exported("whittle_qs8_fully_connected_" + Q8SparseGemm.AVX2_SUFFIX)),
            // ... and 1x4 blocks along K, AVX-512 VNNI (vpdpbusd).
            new KernelEntry<>(CONV2D_SPARSE, KernelPath.AVX512VNNI, Q8SparseConv.vnni(),
                    NativeKernels.exported("whittle_qs8_conv2d_" + Q8SparseGemm.VNNI_SUFFIX)),
            new KernelEntry<>(FULLY_CONNECTED_SPARSE, KernelPath.AVX512VNNI, Q8SparseFullyConnected.vnni(),
                    NativeKernels.exported("whittle_qs8_fully_connected_" + Q8SparseGemm.VNNI_SUFFIX)),
            // LUT-decoded clustered int8/uint8 weights (Q8LutGemm, kernels/q8_gemm_lut4_*): one entry
            // per family and path; the kernel name is the dense family's + the layout's suffix (AVX2:
            // "_lut4_8x2c8__avx2" below Q8LutGemm.AVX2_PANEL_MIN_M pixels, "_lut4_4x16c2__avx2" from it;
            // "_lut4_4x2c16__avx2", the same format, up to Q8LutGemm.AVX2_SPLIT_MAX_M pixels).
            new KernelEntry<>(CONV2D_LUT, KernelPath.AVX2, Q8LutGemm.convFactory(Q8LutGemm.Layout.C8_AVX2),
                    NativeKernels.exported("whittle_qs8_conv2d_" + Q8LutGemm.AVX2_SUFFIX)),
            new KernelEntry<>(FULLY_CONNECTED_LUT, KernelPath.AVX2, Q8LutGemm.fcFactory(Q8LutGemm.Layout.C8_AVX2),
                    NativeKernels.exported("whittle_qs8_fully_connected_" + Q8LutGemm.AVX2_SUFFIX)),
            new KernelEntry<>(CONV2D_LUT, KernelPath.AVX512VNNI, Q8LutGemm.convFactory(Q8LutGemm.Layout.PANEL_VNNI),
                    NativeKernels.exported("whittle_qs8_conv2d_" + Q8LutGemm.Layout.PANEL_VNNI.suffix)),
            new KernelEntry<>(FULLY_CONNECTED_LUT, KernelPath.AVX512VNNI,
                    Q8LutGemm.fcFactory(Q8LutGemm.Layout.PANEL_VNNI),
                    NativeKernels.exported("whittle_qs8_fully_connected_" + Q8LutGemm.Layout.PANEL_VNNI.suffix)),
            // LUT-decoded clustered 16x8 weights (issue 9, "and 16x8"; Qs16LutGemm,
            // kernels/qs16_qc8w_gemm_lut4_4x16c2__avx2.cc): 16x8 nodes only (the q8 entries decline them).
            new KernelEntry<>(CONV2D_LUT, KernelPath.AVX2, Qs16LutGemm.convFactory(),
                    NativeKernels.exported("whittle_qs16_qc8w_conv2d_" + Qs16LutGemm.SUFFIX)),
            new KernelEntry<>(FULLY_CONNECTED_LUT, KernelPath.AVX2, Qs16LutGemm.fcFactory(),
                    NativeKernels.exported("whittle_qs16_qc8w_fully_connected_" + Qs16LutGemm.SUFFIX)),
            // Blocked sparse 16x8 weights (issue 9; Qs16SparseGemm, kernels/qs16_qc8w_conv2d_sparse_32x1c2__avx2.cc):
            // 16x8 nodes only (the q8 entries decline them).
            new KernelEntry<>(CONV2D_SPARSE, KernelPath.AVX2, Qs16SparseGemm.convFactory(),
                    NativeKernels.exported("whittle_qs16_qc8w_conv2d_" + Qs16SparseGemm.SUFFIX)),
            new KernelEntry<>(FULLY_CONNECTED_SPARSE, KernelPath.AVX2, Qs16SparseGemm.fcFactory(),
                    NativeKernels.exported("whittle_qs16_qc8w_fully_connected_" + Qs16SparseGemm.SUFFIX)),
            // 2:4 structured sparse 16x8 weights (issue 9; Qs16Sp24Gemm,
            // kernels/qs16_qc8w_conv2d_sp24_32x1c4__avx2.cc): 16x8 dense families only.
            new KernelEntry<>(CONV2D_SP24, KernelPath.AVX2, Qs16Sp24Gemm.convFactory(),
                    NativeKernels.exported("whittle_qs16_qc8w_conv2d_" + Qs16Sp24Gemm.SUFFIX)),
            new KernelEntry<>(FULLY_CONNECTED_SP24, KernelPath.AVX2, Qs16Sp24Gemm.fcFactory(),
                    NativeKernels.exported("whittle_qs16_qc8w_fully_connected_" + Qs16Sp24Gemm.SUFFIX)),
            // 2:4 structured sparse int8/uint8 CONV_2D and FULLY_CONNECTED (issue 9; Q8Sp24Gemm):
            // one entry per path serves qs8, qs8_qc8w and qu8 (the dense family picks the symbol).
            new KernelEntry<>(CONV2D_SP24, KernelPath.AVX2, Q8Sp24Conv.factory(Q8Sp24Gemm.Isa.AVX2),
                    NativeKernels.exported("whittle_qs8_conv2d_sp24_24x4__avx2")),
            new KernelEntry<>(FULLY_CONNECTED_SP24, KernelPath.AVX2, Q8Sp24FullyConnected.factory(Q8Sp24Gemm.Isa.AVX2),
                    NativeKernels.exported("whittle_qs8_fully_connected_sp24_24x4__avx2")),
            new KernelEntry<>(CONV2D_SP24, KernelPath.AVX512VNNI, Q8Sp24Conv.factory(Q8Sp24Gemm.Isa.AVX512VNNI),
                    NativeKernels.exported("whittle_qs8_conv2d_sp24_8x16__avx512vnni")),
            new KernelEntry<>(FULLY_CONNECTED_SP24, KernelPath.AVX512VNNI,
                    Q8Sp24FullyConnected.factory(Q8Sp24Gemm.Isa.AVX512VNNI),
                    NativeKernels.exported("whittle_qs8_fully_connected_sp24_8x16__avx512vnni")),
            // Java path weight-format kernels (issue 9, Java Vector API versions; JavaWeightKernels):
            // accepted only where the node's dense family runs on the Java path.
            javaFormat(CONV2D_LUT,
                    JavaWeightKernels.conv(JavaWeightKernels.Format.LUT, VectorizationProvider.get(), true)),
            javaFormat(FULLY_CONNECTED_LUT,
                    JavaWeightKernels.fc(JavaWeightKernels.Format.LUT, VectorizationProvider.get(), true)),
            javaFormat(CONV2D_SPARSE,
                    JavaWeightKernels.conv(JavaWeightKernels.Format.SPARSE, VectorizationProvider.get(), true)),
            javaFormat(FULLY_CONNECTED_SPARSE,
                    JavaWeightKernels.fc(JavaWeightKernels.Format.SPARSE, VectorizationProvider.get(), true)),
            javaFormat(CONV2D_SP24,
                    JavaWeightKernels.conv(JavaWeightKernels.Format.SP24, VectorizationProvider.get(), true)),
            javaFormat(FULLY_CONNECTED_SP24,
                    JavaWeightKernels.fc(JavaWeightKernels.Format.SP24, VectorizationProvider.get(), true)),
            // Java path 16x8 sparse, 2:4 and LUT-16 kernels (issue 9; Qs16JavaFormatGemm): 16x8 nodes whose dense
            // family runs on the Java path.
            javaFormat(CONV2D_SPARSE,
                    Qs16JavaFormatGemm.conv(Qs16JavaFormatGemm.Format.SPARSE, VectorizationProvider.get(), true)),
            javaFormat(FULLY_CONNECTED_SPARSE,
                    Qs16JavaFormatGemm.fc(Qs16JavaFormatGemm.Format.SPARSE, VectorizationProvider.get(), true)),
            javaFormat(CONV2D_SP24,
                    Qs16JavaFormatGemm.conv(Qs16JavaFormatGemm.Format.SP24, VectorizationProvider.get(), true)),
            javaFormat(FULLY_CONNECTED_SP24,
                    Qs16JavaFormatGemm.fc(Qs16JavaFormatGemm.Format.SP24, VectorizationProvider.get(), true)),
            javaFormat(CONV2D_LUT,
                    Qs16JavaFormatGemm.conv(Qs16JavaFormatGemm.Format.LUT, VectorizationProvider.get(), true)),
            javaFormat(FULLY_CONNECTED_LUT,
                    Qs16JavaFormatGemm.fc(Qs16JavaFormatGemm.Format.LUT, VectorizationProvider.get(), true)),
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

    private static KernelEntry<DepthwiseConvKernelFactory> dwReference(KernelFamily<DepthwiseConvKernelFactory> f) {
        dev.whittle.runtime.Kernel<dev.whittle.runtime.kernels.reference.DepthwiseConvParams> k =
                NativeDepthwiseConv.referenceOf(f);
        return new KernelEntry<>(f, KernelPath.REFERENCE, (DepthwiseConvKernelFactory) (p, w, b) -> k, ALWAYS);
    }

    private static KernelEntry<DepthwiseConvKernelFactory> dwJava(KernelFamily<DepthwiseConvKernelFactory> f) {
        return new KernelEntry<>(f, KernelPath.JAVA, JavaDepthwiseConv.factory(f), ALWAYS);
    }

    // The AVX-512 kernel needs only F/BW/VL; it is listed on the AVX512VNNI path, the one AVX-512 path.
    private static KernelEntry<DepthwiseConvKernelFactory> dwNative(KernelFamily<DepthwiseConvKernelFactory> f,
            KernelPath path, String tileIsa) {
        return new KernelEntry<>(f, path, NativeDepthwiseConv.factory(f, tileIsa),
                NativeDepthwiseConv.exported(f, tileIsa));
    }

    /** The AVX2 rows kernel on the AVX-512 path (NativeDepthwiseConvRows.avx2OnAvx512Factory). */
    private static KernelEntry<DepthwiseConvKernelFactory> avx2RowsOnAvx512(KernelFamily<DepthwiseConvKernelFactory> f) {
        return new KernelEntry<>(f, KernelPath.AVX512VNNI, NativeDepthwiseConvRows.avx2OnAvx512Factory(f),
                NativeDepthwiseConvRows.exported(f, NativeDepthwiseConvRows.Isa.AVX2));
    }

    private static KernelEntry<DepthwiseConvKernelFactory> dwRows(KernelFamily<DepthwiseConvKernelFactory> f,
            KernelPath path) {
        NativeDepthwiseConvRows.Isa isa = path == KernelPath.AVX2 ? NativeDepthwiseConvRows.Isa.AVX2
                : NativeDepthwiseConvRows.Isa.AVX512VNNI;
        return new KernelEntry<>(f, path, NativeDepthwiseConvRows.factory(f, isa),
                NativeDepthwiseConvRows.exported(f, isa));
    }

    /** A one-input-channel depthwise entry (NativeDepthwiseConvC1: __avx2, or __avx512vnni on the AVX-512 path). */
    private static KernelEntry<DepthwiseConvKernelFactory> dwC1(KernelFamily<DepthwiseConvKernelFactory> f,
            KernelPath path) {
        boolean vnni = path == KernelPath.AVX512VNNI;
        return new KernelEntry<>(f, path, NativeDepthwiseConvC1.factory(f, vnni), NativeDepthwiseConvC1.exported(f, vnni));
    }

    private static ConvKernelFactory javaConv(KernelFamily<ConvKernelFactory> family) {
        return (p, f, b) -> Int8Conv2D.create(family, VectorizationProvider.get(), p, f, b);
    }

    private static Q8Gemm.Isa q8Isa(KernelPath path) {
        return path == KernelPath.AVX2 ? Q8Gemm.Isa.AVX2
                : path == KernelPath.NEON ? Q8Gemm.Isa.NEONDOT : Q8Gemm.Isa.AVX512VNNI;
    }

    /** A Java-path weight-format entry (issue 9, JavaWeightKernels). */
    private static <F> KernelEntry<F> javaFormat(KernelFamily<F> family, F factory) {
        return new KernelEntry<>(family, KernelPath.JAVA, factory, ALWAYS);
    }

    /** A native GEMM FULLY_CONNECTED entry: symbol {@code whittle_<family>_gemm_<tile>__<isa>}. */
    private static KernelEntry<QuantizedFullyConnectedFactory> q8Fc(
            KernelFamily<QuantizedFullyConnectedFactory> family, KernelPath path) {
        Q8Gemm.Isa isa = q8Isa(path);
        return new KernelEntry<>(family, path, Q8GemmFullyConnected.factory(family, isa),
                NativeKernels.exported("whittle_" + family.name() + "_" + isa.suffix));
    }

    /** Whether the CPU has Arm's int8 matrix multiply (smmla): the I8MM GEMM entries' factories require it. */
    private static boolean hasI8mm() {
        return CpuFeatures.detect().has(CpuFeatures.Feature.I8MM);
    }

    /**
     * A NEON I8MM GEMM FULLY_CONNECTED entry (NEON gaps): on {@link KernelPath#NEON}, declining without
     * I8MM, and at batch 1, where smmla's second pixel row would be a discarded copy (16 useful MACs
     * per instruction, as sdot, plus the row zips): the DotProd kernel takes those.
     */
    private static KernelEntry<QuantizedFullyConnectedFactory> q8FcI8mm(
            KernelFamily<QuantizedFullyConnectedFactory> family) {
        QuantizedFullyConnectedFactory f = Q8GemmFullyConnected.factory(family, Q8Gemm.Isa.NEONI8MM);
        return new KernelEntry<>(family, KernelPath.NEON,
                (QuantizedFullyConnectedFactory) (p, w, b) -> hasI8mm() && p.batches() > 1 ? f.create(p, w, b) : null,
                NativeKernels.exported("whittle_" + family.name() + "_" + Q8Gemm.Isa.NEONI8MM.suffix));
    }

    /** A NEON I8MM GEMM CONV_2D entry (NEON gaps): as {@link #q8FcI8mm}. */
    private static KernelEntry<ConvKernelFactory> q8ConvI8mm(KernelFamily<ConvKernelFactory> family) {
        ConvKernelFactory f = Q8GemmConv.factory(family, Q8Gemm.Isa.NEONI8MM);
        return new KernelEntry<>(family, KernelPath.NEON,
                (ConvKernelFactory) (p, w, b) -> hasI8mm() ? f.create(p, w, b) : null,
                NativeKernels.exported("whittle_" + family.name() + "_" + Q8Gemm.Isa.NEONI8MM.suffix));
    }

    /** A native GEMM CONV_2D entry. */
    private static KernelEntry<ConvKernelFactory> q8Conv(KernelFamily<ConvKernelFactory> family, KernelPath path) {
        Q8Gemm.Isa isa = q8Isa(path);
        return new KernelEntry<>(family, path, Q8GemmConv.factory(family, isa),
                NativeKernels.exported("whittle_" + family.name() + "_" + isa.suffix));
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
