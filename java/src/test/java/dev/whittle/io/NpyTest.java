package dev.whittle.io;

import dev.whittle.InvalidInputException;
import dev.whittle.TensorData;
import dev.whittle.model.TensorType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class NpyTest {
    /** Shapes every type is round-tripped through: 0-d, empty, vector, matrix, an image batch. */
    private static final int[][] SHAPES = {{}, {0}, {3}, {2, 3}, {2, 0, 4}, {1, 224, 224, 3}};

    /** Random bytes of the right length; every bit pattern is a valid element for these types. */
    static TensorData random(TensorType type, int[] shape, long seed) {
        long n = 1;
        for (int d : shape) {
            n *= d;
        }
        byte[] b = new byte[Math.toIntExact(type.bytesFor(n))];
        new Random(seed).nextBytes(b);
        return new TensorData(type, shape, ByteBuffer.wrap(b));
    }

    @ParameterizedTest
    @EnumSource(value = TensorType.class, names = {"FLOAT16", "FLOAT32", "FLOAT64", "INT8", "UINT8", "BOOL",
            "INT16", "UINT16", "INT32", "UINT32", "INT64", "UINT64", "COMPLEX64", "COMPLEX128"})
    void roundTripsEveryTypeAndShape(TensorType type, @TempDir Path dir) {
        for (int[] shape : SHAPES) {
            TensorData t = random(type, shape, 31L * type.ordinal() + shape.length);
            byte[] bytes = Npy.toBytes(t);
            assertEquals(0, (bytes.length - t.bytes().length) % 64, "data starts 64-byte aligned");
            assertEquals(t, Npy.read(bytes), type + " " + Arrays.toString(shape));
            Path file = dir.resolve(type + "_" + shape.length + ".npy");
            Npy.write(file, t);
            assertEquals(t, Npy.read(file));
        }
    }

    @Test
    void headerMatchesNumpyByteForByte() {
        // np.save(f, np.zeros((2, 3), np.float32)): 10-byte prefix, dict, spaces, '\n' = 128 bytes
        byte[] bytes = Npy.toBytes(TensorData.zeros(TensorType.FLOAT32, 2, 3));
        String dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }";
        ByteArrayOutputStream expected = new ByteArrayOutputStream();
        expected.write(0x93);
        expected.writeBytes("NUMPY".getBytes(StandardCharsets.US_ASCII));
        expected.write(1);
        expected.write(0);
        expected.write(118); // header length, uint16 little-endian
        expected.write(0);
        expected.writeBytes(dict.getBytes(StandardCharsets.US_ASCII));
        expected.writeBytes(" ".repeat(128 - 10 - dict.length() - 1).getBytes(StandardCharsets.US_ASCII));
        expected.write('\n');
        expected.writeBytes(new byte[24]);
        assertArrayEquals(expected.toByteArray(), bytes);
    }

    @Test
    void oneDimensionalShapeIsWrittenAsPythonTuple() {
        String header = headerText(Npy.toBytes(TensorData.zeros(TensorType.UINT8, 3)));
        assertTrue(header.startsWith("{'descr': '|u1', 'fortran_order': False, 'shape': (3,), }"), header);
        assertTrue(headerText(Npy.toBytes(TensorData.zeros(TensorType.FLOAT64))).contains("'shape': (), }"));
        assertTrue(headerText(Npy.toBytes(TensorData.zeros(TensorType.INT8, 1, 224, 224, 3)))
                .contains("'descr': '|i1', 'fortran_order': False, 'shape': (1, 224, 224, 3), }"));
    }

    @Test
    void writesVersion2WhenTheHeaderOutgrows16Bits() {
        // NumPy caps rank at 64, so only a huge rank reaches this; the writer still must not truncate.
        int[] shape = new int[30_000];
        Arrays.fill(shape, 1);
        TensorData t = new TensorData(TensorType.INT16, shape, ByteBuffer.wrap(new byte[] {7, 1}));
        byte[] bytes = Npy.toBytes(t);
        assertEquals(2, bytes[6]);
        int headerLength = ByteBuffer.wrap(bytes, 8, 4).order(ByteOrder.LITTLE_ENDIAN).getInt();
        assertEquals(0, (12 + headerLength) % 64);
        assertEquals(t, Npy.read(bytes));
    }

    @Test
    void readsVersion2And3Headers() {
        float[] values = {1.5f, -2f, 3.25f};
        byte[] data = floatsLe(values);
        String dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }";
        for (int major = 2; major <= 3; major++) {
            TensorData t = Npy.read(npy(major, dict, data));
            assertEquals(TensorType.FLOAT32, t.type());
            assertArrayEquals(new int[] {3}, t.shape());
            assertArrayEquals(new double[] {1.5, -2, 3.25}, t.toDoubleArray());
        }
    }

    @Test
    void readsBigEndianData() {
        ByteBuffer be = ByteBuffer.allocate(12).order(ByteOrder.BIG_ENDIAN);
        be.putInt(1).putInt(-2).putInt(0x01020304);
        TensorData t = Npy.read(npy(1, "{'descr': '>i4', 'fortran_order': False, 'shape': (3,), }", be.array()));
        assertEquals(TensorType.INT32, t.type());
        assertArrayEquals(new double[] {1, -2, 0x01020304}, t.toDoubleArray());

        ByteBuffer bf = ByteBuffer.allocate(16).order(ByteOrder.BIG_ENDIAN).putDouble(0.5).putDouble(-7e10);
        TensorData d = Npy.read(npy(1, "{'descr': '>f8', 'fortran_order': False, 'shape': (2,), }", bf.array()));
        assertArrayEquals(new double[] {0.5, -7e10}, d.toDoubleArray());

        ByteBuffer bh = ByteBuffer.allocate(4).order(ByteOrder.BIG_ENDIAN)
                .putShort(Float.floatToFloat16(1.5f)).putShort(Float.floatToFloat16(-3f));
        TensorData h = Npy.read(npy(1, "{'descr': '>f2', 'fortran_order': False, 'shape': (2,), }", bh.array()));
        assertArrayEquals(new double[] {1.5, -3}, h.toDoubleArray());

        // complex: each of the two float32 parts is swapped on its own, not the 8 bytes as one
        ByteBuffer bc = ByteBuffer.allocate(8).order(ByteOrder.BIG_ENDIAN).putFloat(1f).putFloat(-2f);
        TensorData c = Npy.read(npy(1, "{'descr': '>c8', 'fortran_order': False, 'shape': (), }", bc.array()));
        assertEquals(1f, c.data().getFloat(0));
        assertEquals(-2f, c.data().getFloat(4));
    }

    @Test
    void transposesFortranOrderToCOrder() {
        // C-order values of a (2, 3, 4) array are 0..23; Fortran order stores index (i, j, k)
        // at i + 2 j + 6 k.
        int[] shape = {2, 3, 4};
        int[] fortran = new int[24];
        for (int i = 0; i < 2; i++) {
            for (int j = 0; j < 3; j++) {
                for (int k = 0; k < 4; k++) {
                    fortran[i + 2 * j + 6 * k] = i * 12 + j * 4 + k;
                }
            }
        }
        ByteBuffer b = ByteBuffer.allocate(24 * 2).order(ByteOrder.LITTLE_ENDIAN);
        for (int v : fortran) {
            b.putShort((short) v);
        }
        TensorData t = Npy.read(npy(1, "{'descr': '<i2', 'fortran_order': True, 'shape': (2, 3, 4), }", b.array()));
        assertArrayEquals(shape, t.shape());
        double[] expected = new double[24];
        Arrays.setAll(expected, i -> i);
        assertArrayEquals(expected, t.toDoubleArray());

        // big-endian and Fortran order together
        ByteBuffer be = ByteBuffer.allocate(4 * 4).order(ByteOrder.BIG_ENDIAN).putFloat(1).putFloat(3).putFloat(2).putFloat(4);
        TensorData m = Npy.read(npy(1, "{'descr': '>f4', 'fortran_order': True, 'shape': (2, 2), }", be.array()));
        assertArrayEquals(new double[] {1, 2, 3, 4}, m.toDoubleArray());
    }

    @Test
    void acceptsHeaderVariantsNumpyAccepts() {
        byte[] one = {5};
        // keys in another order, double quotes, no trailing comma, Python 2 long, native-order descr
        assertEquals(5, Npy.read(npy(1, "{\"shape\": (1L,), \"fortran_order\": False, \"descr\": \"|u1\"}", one)).getDouble(0));
        assertEquals(TensorType.UINT8, Npy.read(npy(1, "{'descr': 'u1', 'fortran_order': False, 'shape': (1,)}", one)).type());
        assertEquals(TensorType.BOOL, Npy.read(npy(1, "{'descr': '|b1', 'fortran_order': False, 'shape': (1,)}", one)).type());
        assertEquals(TensorType.INT8, Npy.read(npy(1, "{'descr': '|i1', 'fortran_order': False, 'shape': ()}", one)).type());
    }

    @Test
    void readsFromStream() throws Exception {
        TensorData t = random(TensorType.INT64, new int[] {4, 5}, 9);
        assertEquals(t, Npy.read(new ByteArrayInputStream(Npy.toBytes(t))));
        assertEquals(t, Npy.read(new ByteArrayInputStream(Npy.toBytes(t)), "x.npy"));
    }

    @Test
    void refusesToWriteTypesWithoutNumpyDtype() {
        TensorData int4 = new TensorData(TensorType.INT4, new int[] {2}, ByteBuffer.wrap(new byte[1]));
        InvalidInputException e = assertThrows(InvalidInputException.class, () -> Npy.toBytes(int4));
        assertTrue(e.getMessage().contains("INT4"), e.getMessage());
    }

    // -------------------------------------------------------------------------------------
    // helpers shared with NpyMalformedTest

    static String headerText(byte[] npy) {
        int len = (npy[8] & 0xFF) | (npy[9] & 0xFF) << 8;
        return new String(npy, 10, len, StandardCharsets.ISO_8859_1);
    }

    /** A .npy file with the given version and header dict, padded like NumPy, then {@code data}. */
    static byte[] npy(int major, String dict, byte[] data) {
        byte[] text = dict.getBytes(major == 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1);
        int prefix = major == 1 ? 10 : 12;
        int pad = 64 - (prefix + text.length + 1) % 64;
        int headerLength = text.length + pad + 1;
        ByteBuffer b = ByteBuffer.allocate(prefix + headerLength + data.length).order(ByteOrder.LITTLE_ENDIAN);
        b.put((byte) 0x93).put("NUMPY".getBytes(StandardCharsets.US_ASCII)).put((byte) major).put((byte) 0);
        if (major == 1) {
            b.putShort((short) headerLength);
        } else {
            b.putInt(headerLength);
        }
        b.put(text).put(" ".repeat(pad).getBytes(StandardCharsets.US_ASCII)).put((byte) '\n').put(data);
        return b.array();
    }

    static byte[] floatsLe(float... values) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : values) {
            b.putFloat(v);
        }
        return b.array();
    }
}
