package dev.whittle.runtime;

import dev.whittle.InvalidInputException;
import dev.whittle.model.Model;
import dev.whittle.model.TensorType;
import dev.whittle.runtime.kernels.KernelPath;
import dev.whittle.runtime.kernels.KernelRegistry;
import dev.whittle.runtime.kernels.WeightFormat;
import dev.whittle.runtime.kernels.WeightStats;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The per-layer weight measurements and the weight-format choice, independent of any kernel. */
class WeightKernelsTest {
    @AfterEach
    void clear() {
        System.clearProperty(WeightFormat.PROPERTY);
    }

    @Test
    void statsOfAHandMadeLayer() {
        // 2 rows of k = 8 (inner 8): row 0 is 2:4 (groups [1,0,0,2] and [0,0,3,4]), row 1 all zero.
        byte[] w = {1, 0, 0, 2, 0, 0, 3, 4, 0, 0, 0, 0, 0, 0, 0, 0};
        WeightStats s = WeightStats.of(ByteBuffer.wrap(w), 2, 8, 8, true, 0);
        assertEquals(12, s.zeros());
        assertEquals(0.75, s.sparsity(), 1e-12);
        assertTrue(s.conforms24());
        assertEquals(0.5, s.zeroBlocks4(), 1e-12);   // 2 of 4 blocks of 4 are zero
        assertEquals(0.5, s.zeroBlocks16(), 1e-12);  // each row is one partial 16-block
        assertEquals(5, s.distinctLayer());          // 0, 1, 2, 3, 4
        assertEquals(5, s.distinctChannelMax());
        assertEquals(1, s.zeroRows());
        // a third non-zero in a group breaks 2:4
        w[1] = 7;
        assertFalse(WeightStats.of(ByteBuffer.wrap(w), 2, 8, 8, true, 0).conforms24());
    }

    @Test
    void groupsRestartWithEachInputChannelRun() {
        // a 1x2 kernel with 4 input channels: k = 8, inner 4; groups never straddle taps
        byte[] w = {0, 0, 5, 5, 5, 5, 0, 0};
        assertTrue(WeightStats.of(ByteBuffer.wrap(w), 1, 8, 4, true, 0).conforms24());
        // inner 6: not a multiple of 4, never 2:4
        assertFalse(WeightStats.of(ByteBuffer.wrap(new byte[12]), 1, 12, 6, true, 0).conforms24());
    }

    @Test
    void uint8ZerosAreTheZeroPoint() {
        byte[] w = {(byte) 128, (byte) 128, 3, (byte) 200};
        // filter offset -128: byte 128 is the real zero
        WeightStats s = WeightStats.of(ByteBuffer.wrap(w), 1, 4, 4, false, -128);
        assertEquals(2, s.zeros());
        assertTrue(s.conforms24());
        assertEquals(3, s.distinctLayer());
    }

    @Test
    void badLabelsAndShapesAreRefused() {
        assertThrows(InvalidInputException.class, () -> WeightFormat.parse("sparse24"));
        assertEquals(WeightFormat.LUT, WeightFormat.parse(" LUT "));
        assertTrue(WeightFormat.isLabel("dense"));
        assertFalse(WeightFormat.isLabel("avx2"));
        assertThrows(IllegalArgumentException.class, () -> WeightStats.of(ByteBuffer.wrap(new byte[7]), 2, 4, 4, true, 0));
    }

    @Test
    void everyWeightLayerSaysWhyAndHowManyBytes() {
        // batch 8: below 8 rows the 2:4 cost model prefers the dense AVX-512 VNNI kernel
        // (Q8Sp24Gemm.denseIsFaster)
        Model m = Q8GemmFullyConnectedTest.build(TensorType.INT8, true, 8, 64, 24, 0, 0, true, 0, 3,
                WeightFormatHarness.sparse24());
        System.setProperty(WeightFormat.PROPERTY, "dense");
        CompiledModel dense = CompiledModel.compile(m);
        List<OpProfile.KernelChoice> choices = OpProfile.kernelChoices(dense);
        assertEquals(1, choices.size());
        OpProfile.KernelChoice c = choices.get(0);
        assertTrue(c.why().startsWith("dense (--kernels dense)"), c.why());
        assertTrue(c.why().contains(", 2:4"), c.why());
        assertTrue(c.weightBytes() >= 64 * 24, c + " keeps fewer bytes than the weights");
        assertEquals(c.weightBytes(), dense.residentWeightBytes());

        System.setProperty(WeightFormat.PROPERTY, "auto");
        CompiledModel auto = CompiledModel.compile(m);
        OpProfile.KernelChoice a = OpProfile.kernelChoices(auto).get(0);
        boolean sp24Kernel = KernelRegistry.available(KernelRegistry.FULLY_CONNECTED_SP24).stream()
                .anyMatch(e -> e.path() != KernelPath.JAVA); // the Java 2:4 entry declines in auto
        assertTrue(sp24Kernel ? a.why().startsWith("2:4") : a.why().contains("no 2:4 kernel"), a.why());
        // whatever ran, the same bytes come out
        dev.whittle.TensorData in = Q8GemmConvTest.input(dense, 5, 0);
        org.junit.jupiter.api.Assertions.assertArrayEquals(Q8GemmConvTest.run(dense, in, 1),
                Q8GemmConvTest.run(auto, in, 2));
    }

    @Test
    void shapersDoWhatTheySay() {
        SplittableRandom r = new SplittableRandom(1);
        ByteBuffer w = ByteBuffer.allocate(40 * 64);
        for (int i = 0; i < w.capacity(); i++) {
            w.put(i, (byte) r.nextInt(1, 128));
        }
        WeightFormatHarness.sparse24().then(WeightFormatHarness.clustered(5, true)).shape(w, 40, 64, 16, 0, true, r);
        WeightStats s = WeightStats.of(w, 40, 64, 16, true, 0);
        assertTrue(s.conforms24());
        assertTrue(s.sparsity() >= 0.5, s.summary());
        assertTrue(s.distinctChannelMax() <= 5, s.summary());
    }
}
