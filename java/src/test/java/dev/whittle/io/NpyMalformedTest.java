package dev.whittle.io;

import dev.whittle.InvalidInputException;
import dev.whittle.TensorData;
import dev.whittle.model.TensorType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static dev.whittle.io.NpyTest.npy;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

class NpyMalformedTest {
    private static final String F4_23 = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }";

    /** Asserts that reading fails with InvalidInputException whose message names the source and has {@code problem}. */
    private static void assertRejected(byte[] bytes, String problem) {
        InvalidInputException e = assertThrows(InvalidInputException.class, () -> Npy.read(bytes, "bad.npy"));
        assertTrue(e.getMessage().startsWith("bad.npy: "), e.getMessage());
        assertTrue(e.getMessage().contains(problem), "expected '" + problem + "' in: " + e.getMessage());
    }

    private static byte[] header(String dict, int dataBytes) {
        return npy(1, dict, new byte[dataBytes]);
    }

    @Test
    void rejectsBadMagicAndVersion() {
        byte[] good = Npy.toBytes(TensorData.zeros(TensorType.FLOAT32, 2, 3));
        byte[] magic = good.clone();
        magic[1] = 'n';
        assertRejected(magic, "bad magic");
        assertRejected(new byte[0], "truncated magic");
        assertRejected("PK\3\4 this is a zip".getBytes(), "bad magic");
        byte[] v4 = good.clone();
        v4[6] = 4;
        assertRejected(v4, "unsupported .npy format version 4.0");
        byte[] v11 = good.clone();
        v11[7] = 1;
        assertRejected(v11, "version 1.1");
    }

    @Test
    void rejectsTruncatedHeaders() {
        byte[] good = Npy.toBytes(TensorData.zeros(TensorType.FLOAT32, 2, 3));
        assertRejected(Arrays.copyOf(good, 9), "truncated header length");
        assertRejected(Arrays.copyOf(good, 60), "truncated header");
        // a v2 length field claiming 4 GiB of header
        byte[] huge = npy(2, F4_23, new byte[24]);
        ByteBuffer.wrap(huge).order(ByteOrder.LITTLE_ENDIAN).putInt(8, -1);
        assertRejected(huge, "header length 4294967295");
    }

    @Test
    void rejectsUnparsableOrIncompleteDicts() {
        assertRejected(header("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), ", 24), "cannot parse header");
        assertRejected(header("{'descr': '<f4' 'fortran_order': False, 'shape': (2, 3)}", 24), "cannot parse header");
        assertRejected(header("{'descr': '<f4', 'fortran_order': Maybe, 'shape': (2, 3)}", 24), "unknown name 'Maybe'");
        assertRejected(header("{'descr': '<f4, 'fortran_order': False, 'shape': (2, 3)}", 24), "cannot parse header");
        assertRejected(header("['descr', '<f4']", 24), "header is not a dict");
        assertRejected(header("{'descr': '<f4', 'shape': (2, 3)}", 24), "exactly the keys");
        assertRejected(header("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), 'extra': 1}", 24), "exactly the keys");
        assertRejected(header("{'descr': '<f4', 'fortran_order': 0, 'shape': (2, 3)}", 24), "'fortran_order' must be True or False");
        assertRejected(header("{'descr': '<f4', 'fortran_order': False, 'shape': [2, 3]}", 24), "'shape' must be a tuple");
        assertRejected(header("{'descr': '<f4', 'fortran_order': False, 'shape': (6)}", 24), "'shape' must be a tuple");
        assertRejected(header("{'descr': '<f4', 'fortran_order': False, 'shape': ('2', 3)}", 24), "'shape' must be a tuple of ints");
        assertRejected(header("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3)} x", 24), "after the dict");
        assertRejected(header("(".repeat(100), 0), "nesting deeper");
        byte[] badUtf8 = npy(3, F4_23, new byte[24]);
        badUtf8[15] = (byte) 0xC3; // lone UTF-8 lead byte inside the header
        assertRejected(badUtf8, "not valid UTF-8");
    }

    @Test
    void rejectsUnsupportedDtypes() {
        assertRejected(header("{'descr': '|O', 'fortran_order': False, 'shape': (2,)}", 16), "object arrays");
        assertRejected(header("{'descr': '<U5', 'fortran_order': False, 'shape': (2,)}", 40), "unsupported descr '<U5'");
        assertRejected(header("{'descr': '<f3', 'fortran_order': False, 'shape': (2,)}", 6), "unsupported descr");
        assertRejected(header("{'descr': '', 'fortran_order': False, 'shape': (2,)}", 6), "empty descr");
        assertRejected(header("{'descr': [('x', '<f4'), ('y', '<f4')], 'fortran_order': False, 'shape': (2,)}", 16),
                "structured");
    }

    @Test
    void rejectsBadShapesAndSizes() {
        assertRejected(header("{'descr': '<f4', 'fortran_order': False, 'shape': (-1, 3)}", 24), "negative dimension -1");
        assertRejected(header("{'descr': '<f4', 'fortran_order': False, 'shape': (3000000000,)}", 0), "larger than 2^31-1");
        assertRejected(header("{'descr': '<f4', 'fortran_order': False, 'shape': (65536, 65536)}", 0), "needs more than 2^31 bytes");
        assertRejected(header("{'descr': '<f8', 'fortran_order': False, 'shape': (268435456,)}", 0), "needs more than 2^31 bytes");
        assertRejected(header(F4_23, 23), "data truncated: shape (2, 3) of '<f4' needs 24 bytes, the file has 23");
        assertRejected(header(F4_23, 25), "trailing bytes");
        // zero-sized arrays with a large other dim are fine, as in NumPy
        TensorData empty = Npy.read(header("{'descr': '<f4', 'fortran_order': False, 'shape': (2000000000, 0)}", 0));
        assertEquals(0, empty.elementCount());
    }

    @Test
    void namesTheFileWhenReadingFromDisk(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("broken.npy");
        Files.write(file, header(F4_23, 10));
        InvalidInputException e = assertThrows(InvalidInputException.class, () -> Npy.read(file));
        assertTrue(e.getMessage().startsWith(file + ": data truncated"), e.getMessage());
        Path missing = dir.resolve("missing.npy");
        InvalidInputException m = assertThrows(InvalidInputException.class, () -> Npy.read(missing));
        assertTrue(m.getMessage().contains("missing.npy"), m.getMessage());
    }

    /**
     * Truncations and byte mutations of valid files: every case must give a tensor or an
     * InvalidInputException, never another exception (or an out-of-memory from a trusted size).
     */
    @Test
    void fuzzedFilesNeverThrowAnythingElse() {
        List<byte[]> seeds = new ArrayList<>();
        seeds.add(Npy.toBytes(NpyTest.random(TensorType.FLOAT32, new int[] {2, 3}, 1)));
        seeds.add(Npy.toBytes(NpyTest.random(TensorType.UINT8, new int[] {3}, 2)));
        seeds.add(Npy.toBytes(NpyTest.random(TensorType.INT64, new int[] {}, 3)));
        seeds.add(npy(2, "{'descr': '>i2', 'fortran_order': True, 'shape': (2, 2), }", new byte[8]));
        seeds.add(npy(3, "{'descr': '<c8', 'fortran_order': False, 'shape': (1,), }", new byte[8]));
        Random rnd = new Random(20240611L);
        int valid = 0;
        int rejected = 0;
        int cases = 0;
        for (byte[] seed : seeds) {
            for (int len = 0; len < seed.length; len++) { // every truncation
                cases++;
                if (outcome(Arrays.copyOf(seed, len))) {
                    valid++;
                } else {
                    rejected++;
                }
            }
        }
        // Bytes a mutation writes: structural characters of the dict and boundary values.
        byte[] interesting = "{}()[],:'\" -0123456789TFLO<>|=\n\0".getBytes();
        for (int i = 0; i < 4000; i++) {
            byte[] b = seeds.get(rnd.nextInt(seeds.size())).clone();
            int edits = 1 + rnd.nextInt(4);
            for (int e = 0; e < edits; e++) {
                int at = rnd.nextInt(Math.min(b.length, rnd.nextBoolean() ? 140 : b.length));
                b[at] = rnd.nextInt(3) == 0 ? (byte) rnd.nextInt(256) : interesting[rnd.nextInt(interesting.length)];
            }
            if (rnd.nextInt(4) == 0) {
                b = Arrays.copyOf(b, rnd.nextInt(b.length + 16)); // truncate or extend
            }
            cases++;
            if (outcome(b)) {
                valid++;
            } else {
                rejected++;
            }
        }
        System.out.printf("npy fuzz: %d cases, %d read as tensors, %d rejected with InvalidInputException%n",
                cases, valid, rejected);
        assertEquals(cases, valid + rejected);
        assertTrue(rejected > cases / 2, "most mutations should be caught");
    }

    /** True for a tensor, false for InvalidInputException; anything else fails the test. */
    private static boolean outcome(byte[] bytes) {
        try {
            TensorData t = Npy.read(bytes, "fuzz.npy");
            assertEquals(t.type().bytesFor(t.elementCount()), t.data().remaining());
            return true;
        } catch (InvalidInputException e) {
            assertTrue(e.getMessage().startsWith("fuzz.npy: "), e.getMessage());
            return false;
        } catch (RuntimeException | Error e) {
            fail("unexpected " + e + " for input " + Arrays.toString(Arrays.copyOf(bytes, Math.min(bytes.length, 140))), e);
            return false;
        }
    }
}
