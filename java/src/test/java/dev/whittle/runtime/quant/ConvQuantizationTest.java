package dev.whittle.runtime.quant;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.assertFalse;

import org.junit.jupiter.api.Test;

class ConvQuantizationTest {

    @Test
    void perChannelMultipliersAndShifts() {
        ConvQuantization.PerChannel p = ConvQuantization.perChannel(
                0.5f, new float[] {0.5f, 0.25f, 0.375f}, 0.125f, 3);
        // Effective scales 2.0, 1.0, 1.5.
        assertArrayEquals(new int[] {1 << 30, 1 << 30, 3 << 29}, p.multipliers());
        assertArrayEquals(new int[] {2, 1, 1}, p.shifts());
    }

    @Test
    void aSingleFilterScaleIsBroadcast() {
        ConvQuantization.PerChannel p = ConvQuantization.perChannel(
                0.5f, new float[] {0.25f}, 1.0f, 4);
        assertArrayEquals(new int[] {1 << 30, 1 << 30, 1 << 30, 1 << 30}, p.multipliers());
        assertArrayEquals(new int[] {-2, -2, -2, -2}, p.shifts());
    }

    @Test
    void scaleCountMustMatchChannels() {
        assertThrows(IllegalArgumentException.class,
                () -> ConvQuantization.perChannel(1f, new float[] {1f, 2f}, 1f, 3));
        assertThrows(IllegalArgumentException.class,
                () -> ConvQuantization.perChannel(1f, new float[0], 1f, 3));
    }

    @Test
    void perChannelWidensEachScaleToDouble() {
        float in = 0.1f;
        float filter = 0.3f;
        float out = 0.7f;
        double expected = (double) in * (double) filter / (double) out;
        QuantizedMultiplier q = QuantizedMultiplier.of(expected);
        ConvQuantization.PerChannel p = ConvQuantization.perChannel(in, new float[] {filter}, out, 1);
        assertEquals(q.multiplier(), p.multipliers()[0]);
        assertEquals(q.shift(), p.shifts()[0]);
    }

    @Test
    void perTensorMultipliesTheScalesInFloat() {
        float in = 0.1f;
        float filter = 0.3f;
        float out = 0.7f;
        assertEquals((double) (in * filter) / (double) out,
                ConvQuantization.perTensorRealMultiplier(in, filter, out));
        // The float product loses bits, which shows in the 31-bit multiplier.
        assertNotEquals((double) in * (double) filter, (double) (in * filter));
        QuantizedMultiplier perTensor = ConvQuantization.perTensor(in, filter, out);
        int perChannel = ConvQuantization.perChannel(in, new float[] {filter}, out, 1).multipliers()[0];
        assertNotEquals(perChannel, perTensor.multiplier());
        assertEquals(new QuantizedMultiplier(1 << 30, 0), ConvQuantization.perTensor(0.5f, 0.5f, 0.5f));
        assertThrows(IllegalArgumentException.class, () -> ConvQuantization.perTensor(-0.5f, 0.5f, 0.5f));
    }

    @Test
    void biasScaleCheck() {
        assertTrue(ConvQuantization.biasScaleCompatible(0.5f, 0.25f, 0.125f, 1f));
        assertTrue(ConvQuantization.biasScaleCompatible(0.5f, 0.25f, 0.145f, 1f));
        assertFalse(ConvQuantization.biasScaleCompatible(0.5f, 0.25f, 0.15f, 1f));
    }
}
