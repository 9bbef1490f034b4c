package dev.whittle.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class BuiltinOperatorTest {

    @Test
    void codesMatchTheSchema() {
        assertEquals(0, BuiltinOperator.ADD.code());
        assertEquals(3, BuiltinOperator.CONV_2D.code());
        assertEquals(4, BuiltinOperator.DEPTHWISE_CONV_2D.code());
        assertEquals(32, BuiltinOperator.CUSTOM.code());
        assertEquals(74, BuiltinOperator.SUM.code());
        assertEquals(126, BuiltinOperator.BATCH_MATMUL.code());
        assertEquals(127, BuiltinOperator.PLACEHOLDER_FOR_GREATER_OP_CODES.code());
        assertEquals(128, BuiltinOperator.CUMSUM.code());
        assertEquals(161, BuiltinOperator.RIGHT_SHIFT.code());
        assertEquals(162, BuiltinOperator.STABLEHLO_LOGISTIC.code());
        assertEquals(190, BuiltinOperator.STABLEHLO_SCATTER.code());
        assertEquals(203, BuiltinOperator.DILATE.code());
        assertEquals(205, BuiltinOperator.REDUCE_WINDOW.code());
        assertTrue(BuiltinOperator.REDUCE_WINDOW.isDeprecated());
        assertEquals(206, BuiltinOperator.STABLEHLO_COMPOSITE.code());
        assertEquals(207, BuiltinOperator.COMPLEX.code());
    }

    @Test
    void codesAreDenseAndUnique() {
        Set<Integer> codes = new HashSet<>();
        for (BuiltinOperator op : BuiltinOperator.values()) {
            assertTrue(codes.add(op.code()), op.name());
            assertSame(op, BuiltinOperator.fromCode(op.code()));
            assertSame(op, BuiltinOperator.fromName(op.name()));
        }
        assertEquals(208, codes.size());
        assertEquals(207, codes.stream().mapToInt(Integer::intValue).max().orElseThrow());
    }

    @Test
    void unknownCodesAndNamesGiveNull() {
        assertNull(BuiltinOperator.fromCode(-1));
        assertNull(BuiltinOperator.fromCode(208));
        assertNull(BuiltinOperator.fromCode(Integer.MAX_VALUE));
        assertNull(BuiltinOperator.fromName("conv_2d"));
        assertNull(BuiltinOperator.fromName(null));
    }
}
