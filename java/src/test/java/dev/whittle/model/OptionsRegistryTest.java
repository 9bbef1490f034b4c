package dev.whittle.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class OptionsRegistryTest {

    @Test
    void unionSizes() {
        assertEquals(126, OptionsRegistry.union(1).size());
        assertEquals(21, OptionsRegistry.union(2).size());
        assertEquals(147, OptionsRegistry.all().size());
    }

    @Test
    void typeIndexesFollowUnionDeclarationOrder() {
        assertType(1, 1, "Conv2DOptions");
        assertType(1, 2, "DepthwiseConv2DOptions");
        assertType(1, 5, "Pool2DOptions");
        assertType(1, 9, "SoftmaxOptions");
        assertType(1, 11, "AddOptions");
        assertType(1, 17, "ReshapeOptions");
        assertType(1, 27, "ReducerOptions");
        assertType(1, 39, "MaximumMinimumOptions");
        assertType(1, 71, "UnidirectionalSequenceLSTMOptions");
        assertType(1, 101, "BatchMatMulOptions");
        assertType(1, 106, "Conv3DOptions");
        assertType(1, 117, "DynamicUpdateSliceOptions");
        assertType(1, 120, "UnsortedSegmentMinOptions");
        assertType(1, 121, "UnsortedSegmentSumOptions");
        assertType(1, 126, "RightShiftOptions");
        assertType(2, 1, "StablehloConcatenateOptions");
        assertType(2, 4, "StablehloConvolutionOptions");
        assertType(2, 18, "DilateOptions");
        assertType(2, 20, "ReduceWindowOptions");
        assertType(2, 21, "StableHLOCompositeOptions");
        assertTrue(OptionsRegistry.byName("ReduceWindowOptions").isDeprecated());
        assertNull(OptionsRegistry.forUnion(1, 0));
        assertNull(OptionsRegistry.forUnion(1, 127));
        assertNull(OptionsRegistry.forUnion(2, 22));
        assertNull(OptionsRegistry.forUnion(3, 1));
        assertNull(OptionsRegistry.byName("NoSuchOptions"));
    }

    private static void assertType(int union, int type, String name) {
        OptionsSchema s = OptionsRegistry.byName(name);
        assertNotNull(s, name);
        assertEquals(union, s.union(), name);
        assertEquals(type, s.typeIndex(), name);
        assertSame(s, OptionsRegistry.forUnion(union, type));
    }

    @Test
    void fieldsIdsKindsAndDefaults() {
        OptionsSchema conv = OptionsRegistry.byName("Conv2DOptions");
        assertEquals(List.of("padding", "stride_w", "stride_h", "fused_activation_function", "dilation_w_factor",
                "dilation_h_factor", "quantized_bias_type"), conv.fields().stream().map(OptionField::name).toList());
        assertField(conv, "stride_w", 1, FieldKind.INT32, 0);
        assertField(conv, "fused_activation_function", 3, FieldKind.INT8, 0);
        assertField(conv, "dilation_w_factor", 4, FieldKind.INT32, 1);
        assertEquals(12, conv.field("dilation_w_factor").vtableOffset());
        assertField(OptionsRegistry.byName("AddOptions"), "pot_scale_int16", 1, FieldKind.BOOL, true);
        assertField(OptionsRegistry.byName("SubOptions"), "pot_scale_int16", 1, FieldKind.BOOL, true);
        assertField(OptionsRegistry.byName("BidirectionalSequenceLSTMOptions"), "time_major", 4, FieldKind.BOOL, true);
        assertField(OptionsRegistry.byName("UnidirectionalSequenceLSTMOptions"), "time_major", 3, FieldKind.BOOL,
                false);
        assertField(OptionsRegistry.byName("UniqueOptions"), "idx_out_type", 0, FieldKind.INT8,
                2);
        assertField(OptionsRegistry.byName("Conv3DOptions"), "dilation_d_factor", 5, FieldKind.INT32, 1);
        assertField(OptionsRegistry.byName("CallOptions"), "subgraph", 0, FieldKind.UINT32, 0L);
        assertField(OptionsRegistry.byName("RandomOptions"), "seed2", 1, FieldKind.INT64, 0L);
        assertField(OptionsRegistry.byName("SoftmaxOptions"), "beta", 0, FieldKind.FLOAT32, 0f);
        assertField(OptionsRegistry.byName("ReduceWindowOptions"), "reduce_function", 0, FieldKind.INT32, 0);
        assertField(OptionsRegistry.byName("StablehloCompareOptions"), "compare_type", 1, FieldKind.UINT32, 0L);
        assertField(OptionsRegistry.byName("StablehloRngBitGeneratorOptions"), "algorithm", 0, FieldKind.INT8, 0);

        OptionsSchema resize = OptionsRegistry.byName("ResizeBilinearOptions");
        assertTrue(resize.field("new_height").deprecated());
        assertTrue(resize.field("new_width").deprecated());
        assertEquals(2, resize.field("align_corners").id());
        assertFalse(resize.field("half_pixel_centers").deprecated());

        OptionsSchema conv3 = OptionsRegistry.byName("StablehloConvolutionOptions");
        assertEquals(17, conv3.fields().size());
        assertEquals(FieldKind.VEC_BOOL, conv3.field("window_reversal").kind());
        assertEquals(FieldKind.VEC_UINT32, conv3.field("precision_config").kind());
        assertEquals(16, conv3.field("precision_config").id());
        OptionsSchema call = OptionsRegistry.byName("StablehloCustomCallOptions");
        assertEquals(FieldKind.STRING, call.field("backend_config").kind());
        assertEquals(FieldKind.VEC_UINT8, call.field("custom_attributes").kind());
        assertNull(call.field("custom_attributes").defaultValue());
        OptionsSchema composite = OptionsRegistry.byName("StableHLOCompositeOptions");
        assertEquals(List.of("name", "decomposition_subgraph_index", "composite_attributes",
                "composite_attributes_format", "version"), composite.fields().stream().map(OptionField::name).toList());
        assertEquals(0, OptionsRegistry.byName("PadOptions").fields().size());
    }

    private static void assertField(OptionsSchema s, String name, int id, FieldKind kind, Object def) {
        OptionField f = s.field(name);
        assertNotNull(f, s.name() + "." + name);
        assertEquals(id, f.id(), name);
        assertEquals(kind, f.kind(), name);
        assertEquals(def, f.defaultValue(), name);
    }

    @Test
    void operatorMappings() {
        assertOp(BuiltinOperator.CONV_2D, "Conv2DOptions");
        assertOp(BuiltinOperator.DEPTHWISE_CONV_2D, "DepthwiseConv2DOptions");
        assertOp(BuiltinOperator.ADD, "AddOptions");
        assertOp(BuiltinOperator.AVERAGE_POOL_2D, "Pool2DOptions");
        assertOp(BuiltinOperator.MAX_POOL_2D, "Pool2DOptions");
        assertOp(BuiltinOperator.L2_POOL_2D, "Pool2DOptions");
        assertOp(BuiltinOperator.FULLY_CONNECTED, "FullyConnectedOptions");
        assertOp(BuiltinOperator.RESHAPE, "ReshapeOptions");
        assertOp(BuiltinOperator.SOFTMAX, "SoftmaxOptions");
        assertOp(BuiltinOperator.MEAN, "ReducerOptions");
        assertOp(BuiltinOperator.SUM, "ReducerOptions");
        assertOp(BuiltinOperator.REDUCE_MAX, "ReducerOptions");
        assertOp(BuiltinOperator.REDUCE_MIN, "ReducerOptions");
        assertOp(BuiltinOperator.REDUCE_PROD, "ReducerOptions");
        assertOp(BuiltinOperator.REDUCE_ANY, "ReducerOptions");
        assertOp(BuiltinOperator.REDUCE_ALL, "ReducerOptions");
        assertOp(BuiltinOperator.MAXIMUM, "MaximumMinimumOptions");
        assertOp(BuiltinOperator.MINIMUM, "MaximumMinimumOptions");
        assertOp(BuiltinOperator.LSTM, "LSTMOptions");
        assertOp(BuiltinOperator.UNIDIRECTIONAL_SEQUENCE_LSTM, "UnidirectionalSequenceLSTMOptions");
        assertOp(BuiltinOperator.BIDIRECTIONAL_SEQUENCE_LSTM, "BidirectionalSequenceLSTMOptions");
        assertOp(BuiltinOperator.UNIDIRECTIONAL_SEQUENCE_RNN, "SequenceRNNOptions");
        assertOp(BuiltinOperator.L2_NORMALIZATION, "L2NormOptions");
        assertOp(BuiltinOperator.CONV_3D, "Conv3DOptions");
        assertOp(BuiltinOperator.CONV_3D_TRANSPOSE, "Conv3DOptions");
        assertOp(BuiltinOperator.RANDOM_UNIFORM, "RandomOptions");
        assertOp(BuiltinOperator.MULTINOMIAL, "RandomOptions");
        assertOp(BuiltinOperator.ATAN2, "ATan2Options");
        assertOp(BuiltinOperator.RFFT2D, "Rfft2dOptions");
        assertOp(BuiltinOperator.GATHER_ND, "GatherNdOptions");
        assertOp(BuiltinOperator.STABLEHLO_CONVOLUTION, "StablehloConvolutionOptions");
        assertOp(BuiltinOperator.STABLEHLO_SCATTER, "StablehloScatterOptions");
        assertOp(BuiltinOperator.STABLEHLO_COMPOSITE, "StableHLOCompositeOptions");
        assertOp(BuiltinOperator.STABLEHLO_RNG_BIT_GENERATOR, "StablehloRngBitGeneratorOptions");
        assertOp(BuiltinOperator.DILATE, "DilateOptions");
        assertOp(BuiltinOperator.REDUCE_WINDOW, "ReduceWindowOptions");
        assertEquals(2, OptionsRegistry.forOperator(BuiltinOperator.STABLEHLO_GATHER).union());

        for (BuiltinOperator none : new BuiltinOperator[] {BuiltinOperator.RELU, BuiltinOperator.RELU6,
                BuiltinOperator.LOGISTIC, BuiltinOperator.TANH, BuiltinOperator.CUSTOM, BuiltinOperator.DELEGATE,
                BuiltinOperator.PRELU, BuiltinOperator.BROADCAST_ARGS, BuiltinOperator.STABLEHLO_ADD,
                BuiltinOperator.STABLEHLO_LOGISTIC, BuiltinOperator.COMPLEX,
                BuiltinOperator.PLACEHOLDER_FOR_GREATER_OP_CODES}) {
            assertNull(OptionsRegistry.forOperator(none), none.name());
        }
        assertNull(OptionsRegistry.forOperator(null));
    }

    @Test
    void everyTableIsUsedByAnOperator() {
        long mapped = OptionsRegistry.all().stream()
                .filter(s -> java.util.Arrays.stream(BuiltinOperator.values())
                        .anyMatch(op -> OptionsRegistry.forOperator(op) == s))
                .count();
        assertEquals(OptionsRegistry.all().size(), mapped);
    }

    private static void assertOp(BuiltinOperator op, String schema) {
        assertSame(OptionsRegistry.byName(schema), OptionsRegistry.forOperator(op), op.name());
    }
}
