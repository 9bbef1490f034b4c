package dev.whittle.model;

import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Every options table of the TFLite schema's two operator-options unions, {@code BuiltinOptions}
 * and {@code BuiltinOptions2}, with their fields, and the table each builtin operator uses.
 *
 * <p>The tables are declared below in a compact notation rather than as one class each: a
 * union member's type index is its position in the list (NONE is 0), and a field's id is its
 * position in the table. Each field is written {@code name:kind[=default]}, prefixed with
 * {@code -} when deprecated. Kinds: {@code b i8 u8 i16 u16 i32 u32 i64 u64 f32 f64 str} and
 * {@code [x]} for a vector of {@code x}. Enum-typed fields appear as their underlying integer
 * type, with their default as that integer.
 */
public final class OptionsRegistry {

    private static final String[] UNION_1 = {
        "Conv2DOptions padding:i8 stride_w:i32 stride_h:i32 fused_activation_function:i8"
                + " dilation_w_factor:i32=1 dilation_h_factor:i32=1 quantized_bias_type:i8",
        "DepthwiseConv2DOptions padding:i8 stride_w:i32 stride_h:i32 depth_multiplier:i32"
                + " fused_activation_function:i8 dilation_w_factor:i32=1 dilation_h_factor:i32=1",
        "ConcatEmbeddingsOptions num_channels:i32 num_columns_per_channel:[i32] embedding_dim_per_channel:[i32]",
        "LSHProjectionOptions type:i8",
        "Pool2DOptions padding:i8 stride_w:i32 stride_h:i32 filter_width:i32 filter_height:i32"
                + " fused_activation_function:i8",
        "SVDFOptions rank:i32 fused_activation_function:i8 asymmetric_quantize_inputs:b",
        "RNNOptions fused_activation_function:i8 asymmetric_quantize_inputs:b",
        "FullyConnectedOptions fused_activation_function:i8 weights_format:i8 keep_num_dims:b"
                + " asymmetric_quantize_inputs:b quantized_bias_type:i8",
        "SoftmaxOptions beta:f32",
        "ConcatenationOptions axis:i32 fused_activation_function:i8",
        "AddOptions fused_activation_function:i8 pot_scale_int16:b=true",
        "L2NormOptions fused_activation_function:i8",
        "LocalResponseNormalizationOptions radius:i32 bias:f32 alpha:f32 beta:f32",
        "LSTMOptions fused_activation_function:i8 cell_clip:f32 proj_clip:f32 kernel_type:i8"
                + " asymmetric_quantize_inputs:b",
        "ResizeBilinearOptions -new_height:i32 -new_width:i32 align_corners:b half_pixel_centers:b",
        "CallOptions subgraph:u32",
        "ReshapeOptions new_shape:[i32]",
        "SkipGramOptions ngram_size:i32 max_skip_size:i32 include_all_ngrams:b",
        "SpaceToDepthOptions block_size:i32",
        "EmbeddingLookupSparseOptions combiner:i8",
        "MulOptions fused_activation_function:i8",
        "PadOptions",
        "GatherOptions axis:i32 batch_dims:i32",
        "BatchToSpaceNDOptions",
        "SpaceToBatchNDOptions",
        "TransposeOptions",
        "ReducerOptions keep_dims:b",
        "SubOptions fused_activation_function:i8 pot_scale_int16:b=true",
        "DivOptions fused_activation_function:i8",
        "SqueezeOptions squeeze_dims:[i32]",
        "SequenceRNNOptions time_major:b fused_activation_function:i8 asymmetric_quantize_inputs:b",
        "StridedSliceOptions begin_mask:i32 end_mask:i32 ellipsis_mask:i32 new_axis_mask:i32"
                + " shrink_axis_mask:i32 offset:b",
        "ExpOptions",
        "TopKV2Options",
        "SplitOptions num_splits:i32",
        "LogSoftmaxOptions",
        "CastOptions in_data_type:i8 out_data_type:i8",
        "DequantizeOptions",
        "MaximumMinimumOptions",
        "ArgMaxOptions output_type:i8",
        "LessOptions",
        "NegOptions",
        "PadV2Options",
        "GreaterOptions",
        "GreaterEqualOptions",
        "LessEqualOptions",
        "SelectOptions",
        "SliceOptions",
        "TransposeConvOptions padding:i8 stride_w:i32 stride_h:i32 fused_activation_function:i8"
                + " quantized_bias_type:i8",
        "SparseToDenseOptions validate_indices:b",
        "TileOptions",
        "ExpandDimsOptions",
        "EqualOptions",
        "NotEqualOptions",
        "ShapeOptions out_type:i8",
        "PowOptions",
        "ArgMinOptions output_type:i8",
        "FakeQuantOptions min:f32 max:f32 num_bits:i32 narrow_range:b",
        "PackOptions values_count:i32 axis:i32",
        "LogicalOrOptions",
        "OneHotOptions axis:i32",
        "LogicalAndOptions",
        "LogicalNotOptions",
        "UnpackOptions num:i32 axis:i32",
        "FloorDivOptions",
        "SquareOptions",
        "ZerosLikeOptions",
        "FillOptions",
        "BidirectionalSequenceLSTMOptions fused_activation_function:i8 cell_clip:f32 proj_clip:f32"
                + " merge_outputs:b time_major:b=true asymmetric_quantize_inputs:b",
        "BidirectionalSequenceRNNOptions time_major:b fused_activation_function:i8 merge_outputs:b"
                + " asymmetric_quantize_inputs:b",
        "UnidirectionalSequenceLSTMOptions fused_activation_function:i8 cell_clip:f32 proj_clip:f32"
                + " time_major:b asymmetric_quantize_inputs:b diagonal_recurrent_tensors:b",
        "FloorModOptions",
        "RangeOptions",
        "ResizeNearestNeighborOptions align_corners:b half_pixel_centers:b",
        "LeakyReluOptions alpha:f32",
        "SquaredDifferenceOptions",
        "MirrorPadOptions mode:i8",
        "AbsOptions",
        "SplitVOptions num_splits:i32",
        // TensorType INT32 is 2.
        "UniqueOptions idx_out_type:i8=2",
        "ReverseV2Options",
        "AddNOptions",
        "GatherNdOptions",
        "CosOptions",
        "WhereOptions",
        "RankOptions",
        "ReverseSequenceOptions seq_dim:i32 batch_dim:i32",
        "MatrixDiagOptions",
        "QuantizeOptions",
        "MatrixSetDiagOptions",
        "HardSwishOptions",
        "IfOptions then_subgraph_index:i32 else_subgraph_index:i32",
        "WhileOptions cond_subgraph_index:i32 body_subgraph_index:i32",
        "DepthToSpaceOptions block_size:i32",
        "NonMaxSuppressionV4Options",
        "NonMaxSuppressionV5Options",
        "ScatterNdOptions",
        "SelectV2Options",
        "DensifyOptions",
        "SegmentSumOptions",
        "BatchMatMulOptions adj_x:b adj_y:b asymmetric_quantize_inputs:b",
        "CumsumOptions exclusive:b reverse:b",
        "CallOnceOptions init_subgraph_index:i32",
        "BroadcastToOptions",
        "Rfft2dOptions",
        "Conv3DOptions padding:i8 stride_d:i32 stride_w:i32 stride_h:i32 fused_activation_function:i8"
                + " dilation_d_factor:i32=1 dilation_w_factor:i32=1 dilation_h_factor:i32=1",
        "HashtableOptions table_id:i32 key_dtype:i8 value_dtype:i8",
        "HashtableFindOptions",
        "HashtableImportOptions",
        "HashtableSizeOptions",
        "VarHandleOptions container:str shared_name:str",
        "ReadVariableOptions",
        "AssignVariableOptions",
        "RandomOptions seed:i64 seed2:i64",
        "BucketizeOptions boundaries:[f32]",
        "GeluOptions approximate:b",
        "DynamicUpdateSliceOptions",
        "UnsortedSegmentProdOptions",
        "UnsortedSegmentMaxOptions",
        "UnsortedSegmentMinOptions",
        "UnsortedSegmentSumOptions",
        "ATan2Options",
        "SignOptions",
        "BitcastOptions",
        "BitwiseXorOptions",
        "RightShiftOptions",
    };

    private static final String[] UNION_2 = {
        "StablehloConcatenateOptions dimension:i64",
        "StablehloBroadcastInDimOptions broadcast_dimensions:[i64]",
        "StablehloSliceOptions start_indices:[i64] limit_indices:[i64] strides:[i64]",
        "StablehloConvolutionOptions window_strides:[i64] padding:[i64] lhs_dilation:[i64] rhs_dilation:[i64]"
                + " window_reversal:[b] input_batch_dimension:i64 input_feature_dimension:i64"
                + " input_spatial_dimensions:[i64] kernel_input_feature_dimension:i64"
                + " kernel_output_feature_dimension:i64 kernel_spatial_dimensions:[i64]"
                + " output_batch_dimension:i64 output_feature_dimension:i64 output_spatial_dimensions:[i64]"
                + " feature_group_count:i64 batch_group_count:i64 precision_config:[u32]",
        "StablehloCustomCallOptions call_target_name:str has_side_effect:b backend_config:str api_version:i32"
                + " called_computations:[i32] custom_attributes:[u8]",
        "StablehloReduceOptions dimensions:[i64] body_subgraph_index:i32",
        "StablehloScatterOptions indices_are_sorted:b update_window_dims:[i64] inserted_window_dims:[i64]"
                + " scatter_dims_to_operand_dims:[i64] index_vector_dim:i64 unique_indices:b"
                + " update_computation_subgraph_index:i32",
        "StablehloCompareOptions comparison_direction:u32 compare_type:u32",
        "StablehloDynamicSliceOptions slice_sizes:[i64]",
        "StablehloPadOptions edge_padding_low:[i64] edge_padding_high:[i64] interior_padding:[i64]",
        "StablehloIotaOptions iota_dimension:i64",
        "StablehloDotGeneralOptions lhs_batching_dimensions:[i64] rhs_batching_dimensions:[i64]"
                + " lhs_contracting_dimensions:[i64] rhs_contracting_dimensions:[i64] precision_config:[u32]",
        "StablehloReduceWindowOptions window_dimensions:[i64] window_strides:[i64] base_dilations:[i64]"
                + " window_dilations:[i64] padding:[i64] body_subgraph_index:i32",
        "StablehloSortOptions dimension:i64 is_stable:b comparator_subgraph_index:i32",
        "StablehloWhileOptions cond_subgraph_index:i32 body_subgraph_index:i32",
        "StablehloGatherOptions offset_dims:[i64] collapsed_slice_dims:[i64] start_index_map:[i64]"
                + " index_vector_dim:i64 slice_sizes:[i64] indices_are_sorted:b",
        "StablehloTransposeOptions permutation:[i64]",
        "DilateOptions",
        "StablehloRngBitGeneratorOptions algorithm:i8",
        // The whole union member is deprecated but keeps its type index.
        "-ReduceWindowOptions reduce_function:i32",
        "StableHLOCompositeOptions name:str decomposition_subgraph_index:i32 composite_attributes:[u8]"
                + " composite_attributes_format:i8 version:i32",
    };

    /**
     * Operator to options table, as the TFLite converter writes them and the runtime reads them.
     * Operators with an options table of their own map to it even when it has no fields, since
     * converters write the empty table; operators absent here carry no options.
     */
    private static final String[] OPERATOR_OPTIONS = {
        "ADD=AddOptions",
        "AVERAGE_POOL_2D MAX_POOL_2D L2_POOL_2D=Pool2DOptions",
        "CONCATENATION=ConcatenationOptions",
        "CONV_2D=Conv2DOptions",
        "DEPTHWISE_CONV_2D=DepthwiseConv2DOptions",
        "DEPTH_TO_SPACE=DepthToSpaceOptions",
        "DEQUANTIZE=DequantizeOptions",
        "FULLY_CONNECTED=FullyConnectedOptions",
        "L2_NORMALIZATION=L2NormOptions",
        "LOCAL_RESPONSE_NORMALIZATION=LocalResponseNormalizationOptions",
        "LSH_PROJECTION=LSHProjectionOptions",
        "LSTM=LSTMOptions",
        "MUL=MulOptions",
        "RESHAPE=ReshapeOptions",
        "RESIZE_BILINEAR=ResizeBilinearOptions",
        "RNN=RNNOptions",
        "SOFTMAX=SoftmaxOptions",
        "SPACE_TO_DEPTH=SpaceToDepthOptions",
        "SVDF=SVDFOptions",
        "CONCAT_EMBEDDINGS=ConcatEmbeddingsOptions",
        "SKIP_GRAM=SkipGramOptions",
        "CALL=CallOptions",
        "EMBEDDING_LOOKUP_SPARSE=EmbeddingLookupSparseOptions",
        "PAD=PadOptions",
        "UNIDIRECTIONAL_SEQUENCE_RNN=SequenceRNNOptions",
        "GATHER=GatherOptions",
        "BATCH_TO_SPACE_ND=BatchToSpaceNDOptions",
        "SPACE_TO_BATCH_ND=SpaceToBatchNDOptions",
        "TRANSPOSE=TransposeOptions",
        "MEAN SUM REDUCE_PROD REDUCE_MAX REDUCE_MIN REDUCE_ANY REDUCE_ALL=ReducerOptions",
        "SUB=SubOptions",
        "DIV=DivOptions",
        "SQUEEZE=SqueezeOptions",
        "UNIDIRECTIONAL_SEQUENCE_LSTM=UnidirectionalSequenceLSTMOptions",
        "STRIDED_SLICE=StridedSliceOptions",
        "BIDIRECTIONAL_SEQUENCE_RNN=BidirectionalSequenceRNNOptions",
        "EXP=ExpOptions",
        "TOPK_V2=TopKV2Options",
        "SPLIT=SplitOptions",
        "LOG_SOFTMAX=LogSoftmaxOptions",
        "BIDIRECTIONAL_SEQUENCE_LSTM=BidirectionalSequenceLSTMOptions",
        "CAST=CastOptions",
        "MAXIMUM MINIMUM=MaximumMinimumOptions",
        "ARG_MAX=ArgMaxOptions",
        "LESS=LessOptions",
        "NEG=NegOptions",
        "PADV2=PadV2Options",
        "GREATER=GreaterOptions",
        "GREATER_EQUAL=GreaterEqualOptions",
        "LESS_EQUAL=LessEqualOptions",
        "SELECT=SelectOptions",
        "SLICE=SliceOptions",
        "TRANSPOSE_CONV=TransposeConvOptions",
        "SPARSE_TO_DENSE=SparseToDenseOptions",
        "TILE=TileOptions",
        "EXPAND_DIMS=ExpandDimsOptions",
        "EQUAL=EqualOptions",
        "NOT_EQUAL=NotEqualOptions",
        "SHAPE=ShapeOptions",
        "POW=PowOptions",
        "ARG_MIN=ArgMinOptions",
        "FAKE_QUANT=FakeQuantOptions",
        "PACK=PackOptions",
        "LOGICAL_OR=LogicalOrOptions",
        "ONE_HOT=OneHotOptions",
        "LOGICAL_AND=LogicalAndOptions",
        "LOGICAL_NOT=LogicalNotOptions",
        "UNPACK=UnpackOptions",
        "FLOOR_DIV=FloorDivOptions",
        "SQUARE=SquareOptions",
        "ZEROS_LIKE=ZerosLikeOptions",
        "FILL=FillOptions",
        "FLOOR_MOD=FloorModOptions",
        "RANGE=RangeOptions",
        "RESIZE_NEAREST_NEIGHBOR=ResizeNearestNeighborOptions",
        "LEAKY_RELU=LeakyReluOptions",
        "SQUARED_DIFFERENCE=SquaredDifferenceOptions",
        "MIRROR_PAD=MirrorPadOptions",
        "ABS=AbsOptions",
        "SPLIT_V=SplitVOptions",
        "UNIQUE=UniqueOptions",
        "REVERSE_V2=ReverseV2Options",
        "ADD_N=AddNOptions",
        "GATHER_ND=GatherNdOptions",
        "COS=CosOptions",
        "WHERE=WhereOptions",
        "RANK=RankOptions",
        "REVERSE_SEQUENCE=ReverseSequenceOptions",
        "MATRIX_DIAG=MatrixDiagOptions",
        "QUANTIZE=QuantizeOptions",
        "MATRIX_SET_DIAG=MatrixSetDiagOptions",
        "HARD_SWISH=HardSwishOptions",
        "IF=IfOptions",
        "WHILE=WhileOptions",
        "NON_MAX_SUPPRESSION_V4=NonMaxSuppressionV4Options",
        "NON_MAX_SUPPRESSION_V5=NonMaxSuppressionV5Options",
        "SCATTER_ND=ScatterNdOptions",
        "SELECT_V2=SelectV2Options",
        "DENSIFY=DensifyOptions",
        "SEGMENT_SUM=SegmentSumOptions",
        "BATCH_MATMUL=BatchMatMulOptions",
        "CUMSUM=CumsumOptions",
        "CALL_ONCE=CallOnceOptions",
        "BROADCAST_TO=BroadcastToOptions",
        "RFFT2D=Rfft2dOptions",
        "CONV_3D CONV_3D_TRANSPOSE=Conv3DOptions",
        "HASHTABLE=HashtableOptions",
        "HASHTABLE_FIND=HashtableFindOptions",
        "HASHTABLE_IMPORT=HashtableImportOptions",
        "HASHTABLE_SIZE=HashtableSizeOptions",
        "VAR_HANDLE=VarHandleOptions",
        "READ_VARIABLE=ReadVariableOptions",
        "ASSIGN_VARIABLE=AssignVariableOptions",
        "RANDOM_STANDARD_NORMAL RANDOM_UNIFORM MULTINOMIAL=RandomOptions",
        "BUCKETIZE=BucketizeOptions",
        "GELU=GeluOptions",
        "DYNAMIC_UPDATE_SLICE=DynamicUpdateSliceOptions",
        "UNSORTED_SEGMENT_PROD=UnsortedSegmentProdOptions",
        "UNSORTED_SEGMENT_MAX=UnsortedSegmentMaxOptions",
        "UNSORTED_SEGMENT_SUM=UnsortedSegmentSumOptions",
        "UNSORTED_SEGMENT_MIN=UnsortedSegmentMinOptions",
        "ATAN2=ATan2Options",
        "SIGN=SignOptions",
        "BITCAST=BitcastOptions",
        "BITWISE_XOR=BitwiseXorOptions",
        "RIGHT_SHIFT=RightShiftOptions",
        "STABLEHLO_CONCATENATE=StablehloConcatenateOptions",
        "STABLEHLO_BROADCAST_IN_DIM=StablehloBroadcastInDimOptions",
        "STABLEHLO_SLICE=StablehloSliceOptions",
        "STABLEHLO_CONVOLUTION=StablehloConvolutionOptions",
        "STABLEHLO_CUSTOM_CALL=StablehloCustomCallOptions",
        "STABLEHLO_REDUCE=StablehloReduceOptions",
        "STABLEHLO_SCATTER=StablehloScatterOptions",
        "STABLEHLO_COMPARE=StablehloCompareOptions",
        "STABLEHLO_DYNAMIC_SLICE=StablehloDynamicSliceOptions",
        "STABLEHLO_PAD=StablehloPadOptions",
        "STABLEHLO_IOTA=StablehloIotaOptions",
        "STABLEHLO_DOT_GENERAL=StablehloDotGeneralOptions",
        "STABLEHLO_REDUCE_WINDOW=StablehloReduceWindowOptions",
        "STABLEHLO_SORT=StablehloSortOptions",
        "STABLEHLO_WHILE=StablehloWhileOptions",
        "STABLEHLO_GATHER=StablehloGatherOptions",
        "STABLEHLO_TRANSPOSE=StablehloTransposeOptions",
        "DILATE=DilateOptions",
        "STABLEHLO_RNG_BIT_GENERATOR=StablehloRngBitGeneratorOptions",
        "REDUCE_WINDOW=ReduceWindowOptions",
        "STABLEHLO_COMPOSITE=StableHLOCompositeOptions",
    };

    private static final List<OptionsSchema> UNION_1_SCHEMAS = parseUnion(OptionsSchema.UNION_1, UNION_1);
    private static final List<OptionsSchema> UNION_2_SCHEMAS = parseUnion(OptionsSchema.UNION_2, UNION_2);
    private static final List<OptionsSchema> ALL;
    private static final Map<String, OptionsSchema> BY_NAME = new HashMap<>();
    private static final Map<BuiltinOperator, OptionsSchema> BY_OPERATOR = new EnumMap<>(BuiltinOperator.class);

    static {
        List<OptionsSchema> all = new ArrayList<>(UNION_1_SCHEMAS);
        all.addAll(UNION_2_SCHEMAS);
        ALL = Collections.unmodifiableList(all);
        for (OptionsSchema s : ALL) {
            if (BY_NAME.put(s.name(), s) != null) {
                throw new IllegalStateException("duplicate options table " + s.name());
            }
        }
        for (String entry : OPERATOR_OPTIONS) {
            int eq = entry.indexOf('=');
            OptionsSchema schema = BY_NAME.get(entry.substring(eq + 1));
            if (schema == null) {
                throw new IllegalStateException("unknown options table in " + entry);
            }
            for (String opName : entry.substring(0, eq).split(" ")) {
                BuiltinOperator op = BuiltinOperator.fromName(opName);
                if (op == null || BY_OPERATOR.put(op, schema) != null) {
                    throw new IllegalStateException("unknown or repeated operator " + opName);
                }
            }
        }
    }

    private OptionsRegistry() {
    }

    /**
     * The table selected by a union type value.
     *
     * @param union 1 for {@code BuiltinOptions}, 2 for {@code BuiltinOptions2}
     * @param type  the union type value read from the operator ({@code builtin_options_type})
     * @return the table, or {@code null} for NONE (0), an unknown union or an unknown type
     */
    public static OptionsSchema forUnion(int union, int type) {
        List<OptionsSchema> members = switch (union) {
            case OptionsSchema.UNION_1 -> UNION_1_SCHEMAS;
            case OptionsSchema.UNION_2 -> UNION_2_SCHEMAS;
            default -> List.of();
        };
        return type >= 1 && type <= members.size() ? members.get(type - 1) : null;
    }

    /** The table with the given schema name, e.g. {@code Conv2DOptions}, or {@code null}. */
    public static OptionsSchema byName(String name) {
        return name == null ? null : BY_NAME.get(name);
    }

    /**
     * The options table that operators of this kind carry.
     *
     * @return the table, or {@code null} when the operator has no options in the schema
     */
    public static OptionsSchema forOperator(BuiltinOperator op) {
        return op == null ? null : BY_OPERATOR.get(op);
    }

    /** Every table, those of {@code BuiltinOptions} first, each union in type order. */
    public static List<OptionsSchema> all() {
        return ALL;
    }

    /** The members of one union (1 or 2) in type order: element {@code i} has type {@code i + 1}. */
    public static List<OptionsSchema> union(int union) {
        return switch (union) {
            case OptionsSchema.UNION_1 -> UNION_1_SCHEMAS;
            case OptionsSchema.UNION_2 -> UNION_2_SCHEMAS;
            default -> throw new IllegalArgumentException("no options union " + union);
        };
    }

    private static List<OptionsSchema> parseUnion(int union, String[] specs) {
        List<OptionsSchema> out = new ArrayList<>(specs.length);
        for (int i = 0; i < specs.length; i++) {
            String[] parts = specs[i].trim().split("\\s+");
            boolean deprecated = parts[0].startsWith("-");
            String name = deprecated ? parts[0].substring(1) : parts[0];
            List<OptionField> fields = new ArrayList<>(parts.length - 1);
            for (int p = 1; p < parts.length; p++) {
                fields.add(parseField(name, p - 1, parts[p]));
            }
            out.add(new OptionsSchema(name, union, i + 1, deprecated, fields));
        }
        return Collections.unmodifiableList(out);
    }

    private static OptionField parseField(String table, int id, String spec) {
        boolean deprecated = spec.startsWith("-");
        String s = deprecated ? spec.substring(1) : spec;
        int colon = s.indexOf(':');
        int eq = s.indexOf('=');
        if (colon < 1) {
            throw new IllegalStateException(table + ": bad field spec " + spec);
        }
        String name = s.substring(0, colon);
        String kindToken = eq < 0 ? s.substring(colon + 1) : s.substring(colon + 1, eq);
        FieldKind kind = kind(kindToken);
        if (kind == null) {
            throw new IllegalStateException(table + ": unknown kind in " + spec);
        }
        Object def = eq < 0 ? zero(kind) : parseDefault(kind, s.substring(eq + 1));
        return new OptionField(id, name, kind, def, deprecated);
    }

    private static FieldKind kind(String token) {
        return switch (token) {
            case "b" -> FieldKind.BOOL;
            case "i8" -> FieldKind.INT8;
            case "u8" -> FieldKind.UINT8;
            case "i16" -> FieldKind.INT16;
            case "u16" -> FieldKind.UINT16;
            case "i32" -> FieldKind.INT32;
            case "u32" -> FieldKind.UINT32;
            case "i64" -> FieldKind.INT64;
            case "u64" -> FieldKind.UINT64;
            case "f32" -> FieldKind.FLOAT32;
            case "f64" -> FieldKind.FLOAT64;
            case "str" -> FieldKind.STRING;
            case "[b]" -> FieldKind.VEC_BOOL;
            case "[i8]" -> FieldKind.VEC_INT8;
            case "[u8]" -> FieldKind.VEC_UINT8;
            case "[i16]" -> FieldKind.VEC_INT16;
            case "[u16]" -> FieldKind.VEC_UINT16;
            case "[i32]" -> FieldKind.VEC_INT32;
            case "[u32]" -> FieldKind.VEC_UINT32;
            case "[i64]" -> FieldKind.VEC_INT64;
            case "[f32]" -> FieldKind.VEC_FLOAT32;
            case "[f64]" -> FieldKind.VEC_FLOAT64;
            default -> null;
        };
    }

    /** The schema's implicit default: zero / false for scalars, none for strings and vectors. */
    static Object zero(FieldKind kind) {
        return switch (kind) {
            case BOOL -> Boolean.FALSE;
            case INT8, UINT8, INT16, UINT16, INT32 -> 0;
            case UINT32, INT64, UINT64 -> 0L;
            case FLOAT32 -> 0f;
            case FLOAT64 -> 0d;
            default -> null;
        };
    }

    private static Object parseDefault(FieldKind kind, String text) {
        return switch (kind) {
            case BOOL -> Boolean.parseBoolean(text);
            case INT8, UINT8, INT16, UINT16, INT32 -> Integer.parseInt(text);
            case UINT32, INT64, UINT64 -> Long.parseLong(text);
            case FLOAT32 -> Float.parseFloat(text);
            case FLOAT64 -> Double.parseDouble(text);
            default -> throw new IllegalStateException("no default allowed for " + kind);
        };
    }
}
