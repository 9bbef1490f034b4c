package dev.whittle.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class BuiltinOptionsTest {

    @Test
    void absentFieldsReadAsDefaults() {
        BuiltinOptions conv = BuiltinOptions.of("Conv2DOptions");
        assertEquals(0, conv.getInt("stride_w"));
        assertEquals(1, conv.getInt("dilation_w_factor"));
        assertEquals(1L, conv.getLong("dilation_h_factor"));
        assertFalse(conv.isPresent("dilation_w_factor"));
        assertTrue(BuiltinOptions.of("AddOptions").getBool("pot_scale_int16"));
        assertTrue(BuiltinOptions.of("BidirectionalSequenceLSTMOptions").getBool("time_major"));
        assertEquals(2, BuiltinOptions.of("UniqueOptions").getInt("idx_out_type"));
        assertNull(BuiltinOptions.of("ReshapeOptions").getIntArray("new_shape"));
        assertNull(BuiltinOptions.of("VarHandleOptions").getString("container"));
        assertEquals(0f, BuiltinOptions.of("SoftmaxOptions").getFloat("beta"));
        assertEquals(0L, BuiltinOptions.of("CallOptions").getLong("subgraph"));
    }

    @Test
    void setAndGet() {
        BuiltinOptions o = BuiltinOptions.of("Conv2DOptions")
                .set("padding", 1).set("stride_w", 2).set("stride_h", 2).set("dilation_w_factor", 1);
        assertEquals(2, o.getInt("stride_w"));
        assertTrue(o.isPresent("dilation_w_factor"));
        assertFalse(o.isPresent("dilation_h_factor"));
        assertEquals("Conv2DOptions{padding=1, stride_w=2, stride_h=2, dilation_w_factor=1}", o.toString());
        o.clear("padding");
        assertFalse(o.isPresent("padding"));

        BuiltinOptions call = BuiltinOptions.of("CallOptions").set("subgraph", 4_000_000_000L);
        assertEquals(4_000_000_000L, call.getLong("subgraph"));
        call.set("subgraph", 3);
        assertEquals(3L, call.get("subgraph"));

        BuiltinOptions cc = BuiltinOptions.of("StablehloCustomCallOptions")
                .set("call_target_name", "foo").set("custom_attributes", new byte[] {1, -1})
                .set("called_computations", new int[] {3, 4});
        assertEquals("StablehloCustomCallOptions{call_target_name=\"foo\", called_computations=[3, 4],"
                + " custom_attributes=[1, -1]}", cc.toString());
        assertArrayEquals(new byte[] {1, -1}, cc.getBytes("custom_attributes"));

        BuiltinOptions cmp = BuiltinOptions.of("StablehloDotGeneralOptions")
                .set("precision_config", new long[] {0, 2, 0xFFFF_FFFFL});
        assertArrayEquals(new long[] {0, 2, 0xFFFF_FFFFL}, cmp.getLongArray("precision_config"));
    }

    @Test
    void arraysAreCopied() {
        int[] shape = {1, 2, 3};
        BuiltinOptions o = BuiltinOptions.of("ReshapeOptions").set("new_shape", shape);
        shape[0] = 99;
        assertArrayEquals(new int[] {1, 2, 3}, o.getIntArray("new_shape"));
        o.getIntArray("new_shape")[1] = 99;
        assertArrayEquals(new int[] {1, 2, 3}, o.getIntArray("new_shape"));
        BuiltinOptions c = o.copy();
        assertEquals(o, c);
        assertEquals(o.hashCode(), c.hashCode());
        c.set("new_shape", new int[] {1});
        assertNotEquals(o, c);
        assertArrayEquals(new int[] {1, 2, 3}, o.getIntArray("new_shape"));
    }

    @Test
    void equalityIncludesPresence() {
        BuiltinOptions a = BuiltinOptions.of("Conv2DOptions");
        BuiltinOptions b = BuiltinOptions.of("Conv2DOptions").set("dilation_w_factor", 1);
        assertEquals(a.getInt("dilation_w_factor"), b.getInt("dilation_w_factor"));
        assertNotEquals(a, b);
        assertNotEquals(BuiltinOptions.of("AddOptions"), BuiltinOptions.of("SubOptions"));
        assertEquals(BuiltinOptions.of("PadOptions"), BuiltinOptions.of("PadOptions"));
    }

    @Test
    void wrongNamesAndTypesAreRejectedWithClearMessages() {
        BuiltinOptions o = BuiltinOptions.of("Conv2DOptions");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> o.getInt("stride"));
        assertTrue(e.getMessage().contains("Conv2DOptions") && e.getMessage().contains("stride"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> o.set("stride_w", "2"));
        assertTrue(e.getMessage().contains("Conv2DOptions.stride_w"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> o.set("stride_w", 2.0f));
        assertTrue(e.getMessage().contains("Conv2DOptions.stride_w"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> o.set("padding", 200));
        assertTrue(e.getMessage().contains("Conv2DOptions.padding") && e.getMessage().contains("range"),
                e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> o.set("stride_w", 1L << 40));
        assertTrue(e.getMessage().contains("range"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> o.getFloat("stride_w"));
        assertTrue(e.getMessage().contains("Conv2DOptions.stride_w"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> o.set("stride_w", null));
        assertTrue(e.getMessage().contains("Conv2DOptions.stride_w"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> o.set("nope", 1));
        assertThrows(IllegalArgumentException.class, () -> o.getBool("padding"));
        assertThrows(IllegalArgumentException.class,
                () -> BuiltinOptions.of("ReshapeOptions").set("new_shape", new long[] {1}));
        assertThrows(IllegalArgumentException.class,
                () -> BuiltinOptions.of("CallOptions").set("subgraph", -1));
        assertThrows(IllegalArgumentException.class,
                () -> BuiltinOptions.of("StablehloDotGeneralOptions").set("precision_config", new long[] {-1}));
        assertThrows(IllegalArgumentException.class, () -> BuiltinOptions.of("NoSuchOptions"));
    }
}
