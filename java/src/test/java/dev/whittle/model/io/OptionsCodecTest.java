package dev.whittle.model.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.google.flatbuffers.FlatBufferBuilder;
import dev.whittle.ModelFormatException;
import dev.whittle.model.BuiltinOperator;
import dev.whittle.model.BuiltinOptions;
import dev.whittle.model.FieldKind;
import dev.whittle.model.OptionField;
import dev.whittle.model.OptionsRegistry;
import dev.whittle.model.OptionsSchema;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

class OptionsCodecTest {

    /** Writes {@code o} as the root of a finished buffer and returns the bytes. */
    private static byte[] finished(BuiltinOptions o) {
        FlatBufferBuilder b = new FlatBufferBuilder(64);
        b.finish(OptionsCodec.write(b, o));
        return b.sizedByteArray();
    }

    private static ByteBuffer le(byte[] bytes) {
        return ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
    }

    private static BuiltinOptions readRoot(byte[] bytes, OptionsSchema schema) {
        ByteBuffer bb = le(bytes);
        return OptionsCodec.read(bb, bb.getInt(0), schema);
    }

    private static Object randomValue(FieldKind kind, Random rnd) {
        int n = rnd.nextInt(6);
        return switch (kind) {
            case BOOL -> rnd.nextBoolean();
            case INT8 -> rnd.nextInt(256) - 128;
            case UINT8 -> rnd.nextInt(256);
            case INT16 -> rnd.nextInt(65536) - 32768;
            case UINT16 -> rnd.nextInt(65536);
            case INT32 -> rnd.nextInt();
            case UINT32 -> rnd.nextInt() & 0xFFFF_FFFFL;
            case INT64, UINT64 -> rnd.nextLong();
            case FLOAT32 -> Float.intBitsToFloat(rnd.nextInt());
            case FLOAT64 -> Double.longBitsToDouble(rnd.nextLong());
            case STRING -> n == 0 ? "" : "s" + rnd.nextInt(1000) + "\u00e9\u2713".repeat(n - 1);
            case VEC_BOOL -> {
                boolean[] a = new boolean[n];
                for (int i = 0; i < n; i++) {
                    a[i] = rnd.nextBoolean();
                }
                yield a;
            }
            case VEC_INT8, VEC_UINT8 -> {
                byte[] a = new byte[n];
                rnd.nextBytes(a);
                yield a;
            }
            case VEC_INT16 -> {
                short[] a = new short[n];
                for (int i = 0; i < n; i++) {
                    a[i] = (short) rnd.nextInt();
                }
                yield a;
            }
            case VEC_UINT16 -> rnd.ints(n, 0, 65536).toArray();
            case VEC_INT32 -> rnd.ints(n).toArray();
            case VEC_UINT32 -> rnd.longs(n, 0, 1L << 32).toArray();
            case VEC_INT64 -> rnd.longs(n).toArray();
            case VEC_FLOAT32 -> {
                float[] a = new float[n];
                for (int i = 0; i < n; i++) {
                    a[i] = rnd.nextFloat() * 200 - 100;
                }
                yield a;
            }
            case VEC_FLOAT64 -> rnd.doubles(n, -100, 100).toArray();
        };
    }

    /** An empty string or zero-length vector of the kind's Java type. */
    private static Object empty(FieldKind kind) {
        return kind == FieldKind.STRING ? "" : java.lang.reflect.Array.newInstance(kind.javaType().getComponentType(), 0);
    }

    /** Each field is absent, present with its default (or empty), or present with a random value. */
    private static BuiltinOptions randomOptions(OptionsSchema schema, Random rnd) {
        BuiltinOptions o = new BuiltinOptions(schema);
        for (OptionField f : schema.fields()) {
            switch (rnd.nextInt(3)) {
                case 0 -> { }
                case 1 -> o.set(f.name(), f.defaultValue() != null ? f.defaultValue() : empty(f.kind()));
                default -> o.set(f.name(), randomValue(f.kind(), rnd));
            }
        }
        return o;
    }

    @Test
    void everySchemaRoundTrips() {
        int checked = 0;
        for (OptionsSchema schema : OptionsRegistry.all()) {
            Random rnd = new Random(schema.name().hashCode());
            for (int round = 0; round < 20; round++) {
                BuiltinOptions o = randomOptions(schema, rnd);
                BuiltinOptions back = readRoot(finished(o), schema);
                assertEquals(o, back, schema.name() + " round " + round);
                for (OptionField f : schema.fields()) {
                    assertEquals(o.isPresent(f.name()), back.isPresent(f.name()), schema.name() + "." + f.name());
                }
                checked++;
            }
            BuiltinOptions full = new BuiltinOptions(schema);
            for (OptionField f : schema.fields()) {
                full.set(f.name(), randomValue(f.kind(), rnd));
            }
            assertEquals(full, readRoot(finished(full), schema), schema.name() + " all present");
        }
        assertEquals(147 * 20, checked);
    }

    @Test
    void presentDefaultsAreWrittenAndAbsentFieldsAreNot() {
        OptionsSchema conv = OptionsRegistry.byName("Conv2DOptions");
        byte[] empty = finished(new BuiltinOptions(conv));
        ByteBuffer bb = le(empty);
        int root = bb.getInt(0);
        int vtable = root - bb.getInt(root);
        assertEquals(4, bb.getShort(vtable), "no field slots for an empty table");

        BuiltinOptions defaults = BuiltinOptions.of("Conv2DOptions").set("dilation_w_factor", 1).set("padding", 0);
        BuiltinOptions back = readRoot(finished(defaults), conv);
        assertTrue(back.isPresent("dilation_w_factor"));
        assertTrue(back.isPresent("padding"));
        assertFalse(back.isPresent("stride_w"));
        assertEquals(defaults, back);
    }

    @Test
    void readsAtAnAbsolutePositionInsideALargerBuffer() {
        BuiltinOptions o = BuiltinOptions.of("StridedSliceOptions").set("begin_mask", 5).set("offset", true);
        FlatBufferBuilder b = new FlatBufferBuilder(16);
        b.finish(OptionsCodec.write(b, o));
        ByteBuffer data = b.dataBuffer();
        // dataBuffer() starts at a non-zero position: positions are absolute.
        int root = data.position() + data.getInt(data.position());
        assertEquals(o, OptionsCodec.read(data, root, o.schema()));
        ByteBuffer bigEndianView = data.duplicate().order(ByteOrder.BIG_ENDIAN);
        assertEquals(o, OptionsCodec.read(bigEndianView, root, o.schema()));
    }

    /** Every outcome of reading damaged bytes must be a value or a ModelFormatException. */
    private static void readDamaged(byte[] bytes, int pos, OptionsSchema schema) {
        try {
            OptionsCodec.read(le(bytes), pos, schema);
        } catch (ModelFormatException expected) {
            assertTrue(expected.getMessage().startsWith(schema.name()), expected.getMessage());
        } catch (RuntimeException e) {
            fail("read of damaged " + schema.name() + " threw " + e, e);
        }
    }

    @Test
    void truncatedOrGarbledBuffersGiveModelFormatException() {
        Random rnd = new Random(42);
        int formatErrors = 0;
        for (String name : List.of("StablehloConvolutionOptions", "StablehloCustomCallOptions",
                "StableHLOCompositeOptions", "Conv2DOptions", "BucketizeOptions", "VarHandleOptions",
                "RandomOptions", "ConcatEmbeddingsOptions")) {
            OptionsSchema schema = OptionsRegistry.byName(name);
            BuiltinOptions o = new BuiltinOptions(schema);
            for (OptionField f : schema.fields()) {
                o.set(f.name(), randomValue(f.kind(), rnd));
            }
            byte[] bytes = finished(o);
            int root = le(bytes).getInt(0);
            for (int len = 0; len < bytes.length; len++) {
                readDamaged(Arrays.copyOf(bytes, len), root, schema);
            }
            for (int i = 0; i < bytes.length; i++) {
                for (int v : new int[] {0x00, 0xFF, 0x80, 0x7F, 0x40, 0x01}) {
                    byte[] g = bytes.clone();
                    g[i] = (byte) v;
                    readDamaged(g, root, schema);
                }
            }
            for (int round = 0; round < 2000; round++) {
                byte[] g = bytes.clone();
                for (int k = 1 + rnd.nextInt(4); k > 0; k--) {
                    g[rnd.nextInt(g.length)] = (byte) rnd.nextInt();
                }
                readDamaged(g, rnd.nextInt(8) == 0 ? rnd.nextInt(g.length + 8) - 4 : root, schema);
            }
            for (int pos : new int[] {-1, Integer.MIN_VALUE, bytes.length, bytes.length - 2, Integer.MAX_VALUE}) {
                assertThrows(ModelFormatException.class, () -> OptionsCodec.read(le(bytes), pos, schema));
                formatErrors++;
            }
        }
        assertTrue(formatErrors > 0);
    }

    @Test
    void specificCorruptionsNameTableAndField() {
        OptionsSchema schema = OptionsRegistry.byName("ReshapeOptions");
        byte[] bytes = finished(BuiltinOptions.of("ReshapeOptions").set("new_shape", new int[] {1, 224, 224, 3}));
        ByteBuffer bb = le(bytes);
        int root = bb.getInt(0);
        int vtable = root - bb.getInt(root);
        int fieldPos = root + bb.getShort(vtable + 4);
        int vector = fieldPos + bb.getInt(fieldPos);

        byte[] hugeLength = bytes.clone();
        le(hugeLength).putInt(vector, 0x4000_0000);
        ModelFormatException e = assertThrows(ModelFormatException.class,
                () -> OptionsCodec.read(le(hugeLength), root, schema));
        assertTrue(e.getMessage().contains("ReshapeOptions.new_shape"), e.getMessage());

        byte[] wildOffset = bytes.clone();
        le(wildOffset).putInt(fieldPos, -8);
        e = assertThrows(ModelFormatException.class, () -> OptionsCodec.read(le(wildOffset), root, schema));
        assertTrue(e.getMessage().contains("ReshapeOptions.new_shape"), e.getMessage());

        byte[] wildVtable = bytes.clone();
        le(wildVtable).putInt(root, root + 1000);
        e = assertThrows(ModelFormatException.class, () -> OptionsCodec.read(le(wildVtable), root, schema));
        assertTrue(e.getMessage().contains("ReshapeOptions"), e.getMessage());

        OptionsSchema names = OptionsRegistry.byName("VarHandleOptions");
        byte[] str = finished(BuiltinOptions.of("VarHandleOptions").set("container", "abc"));
        int at = indexOf(str, "abc".getBytes());
        str[at + 1] = (byte) 0xC3;
        e = assertThrows(ModelFormatException.class, () -> readRoot(str, names));
        assertTrue(e.getMessage().contains("VarHandleOptions.container"), e.getMessage());
    }

    private static int indexOf(byte[] hay, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= hay.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (hay[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        throw new AssertionError("not found");
    }

    // ---- real models -------------------------------------------------------------------------

    private static Path sharedModels() {
        Path dir = Path.of(System.getProperty("whittle.shared", "../shared")).resolve("models");
        Assumptions.assumeTrue(Files.isDirectory(dir), "shared models not found at " + dir.toAbsolutePath());
        return dir;
    }

    /** Just enough of the Model/SubGraph/Operator/OperatorCode tables to reach the options. */
    private record Walker(ByteBuffer bb) {

        int fieldOffset(int table, int id) {
            int vtable = table - bb.getInt(table);
            int slot = 4 + 2 * id;
            return slot < Short.toUnsignedInt(bb.getShort(vtable)) ? Short.toUnsignedInt(bb.getShort(vtable + slot)) : 0;
        }

        int table(int table, int id) {
            int fo = fieldOffset(table, id);
            return fo == 0 ? -1 : table + fo + bb.getInt(table + fo);
        }

        int vectorLength(int vector) {
            return vector < 0 ? 0 : bb.getInt(vector);
        }

        int tableAt(int vector, int i) {
            int slot = vector + 4 + 4 * i;
            return slot + bb.getInt(slot);
        }

        int intField(int table, int id, int def) {
            int fo = fieldOffset(table, id);
            return fo == 0 ? def : bb.getInt(table + fo);
        }

        int ubyteField(int table, int id) {
            int fo = fieldOffset(table, id);
            return fo == 0 ? 0 : Byte.toUnsignedInt(bb.get(table + fo));
        }

        int byteField(int table, int id) {
            int fo = fieldOffset(table, id);
            return fo == 0 ? 0 : bb.get(table + fo);
        }
    }

    private record DecodedOp(int code, OptionsSchema expected, BuiltinOptions options) {
    }

    private static List<DecodedOp> decodeAll(Path model) throws IOException {
        ByteBuffer bb = le(Files.readAllBytes(model));
        Walker w = new Walker(bb);
        int root = bb.getInt(0);
        int codes = w.table(root, 1);
        int[] builtin = new int[w.vectorLength(codes)];
        for (int i = 0; i < builtin.length; i++) {
            int oc = w.tableAt(codes, i);
            // Old writers fill only the byte field, new ones both; the larger is the real code.
            builtin[i] = Math.max(w.byteField(oc, 0), w.intField(oc, 3, 0));
        }
        List<DecodedOp> out = new ArrayList<>();
        int subgraphs = w.table(root, 2);
        for (int s = 0; s < w.vectorLength(subgraphs); s++) {
            int operators = w.table(w.tableAt(subgraphs, s), 3);
            for (int k = 0; k < w.vectorLength(operators); k++) {
                int op = w.tableAt(operators, k);
                int code = builtin[w.intField(op, 0, 0)];
                OptionsSchema expected = OptionsRegistry.forOperator(BuiltinOperator.fromCode(code));
                BuiltinOptions options = null;
                int type1 = w.ubyteField(op, 3);
                int type2 = w.ubyteField(op, 11);
                if (type1 != 0) {
                    OptionsSchema schema = OptionsRegistry.forUnion(1, type1);
                    assertNotNull(schema, model + ": unknown BuiltinOptions type " + type1);
                    options = OptionsCodec.read(bb, w.table(op, 4), schema);
                } else if (type2 != 0) {
                    OptionsSchema schema = OptionsRegistry.forUnion(2, type2);
                    assertNotNull(schema, model + ": unknown BuiltinOptions2 type " + type2);
                    options = OptionsCodec.read(bb, w.table(op, 12), schema);
                }
                out.add(new DecodedOp(code, expected, options));
            }
        }
        return out;
    }

    @Test
    void mobilenetV2QuantOptions() throws IOException {
        Path model = sharedModels().resolve("mobilenet_v2_1.0_224_quant.tflite");
        Assumptions.assumeTrue(Files.isRegularFile(model), "shared models not found at " + model);
        List<DecodedOp> ops = decodeAll(model);
        assertTrue(ops.size() > 50, "operators: " + ops.size());

        DecodedOp firstConv = ops.stream().filter(d -> d.code() == BuiltinOperator.CONV_2D.code()).findFirst()
                .orElseThrow();
        assertNotNull(firstConv.options());
        assertSame(OptionsRegistry.byName("Conv2DOptions"), firstConv.options().schema());
        assertEquals(2, firstConv.options().getInt("stride_w"));
        assertEquals(2, firstConv.options().getInt("stride_h"));
        assertEquals(1, firstConv.options().getInt("dilation_w_factor"));

        long depthwise = ops.stream().filter(d -> d.code() == BuiltinOperator.DEPTHWISE_CONV_2D.code()).count();
        assertTrue(depthwise > 10);
        int withOptions = 0;
        for (DecodedOp d : ops) {
            if (d.code() == BuiltinOperator.CONV_2D.code() || d.code() == BuiltinOperator.DEPTHWISE_CONV_2D.code()) {
                assertNotNull(d.options(), "options of op " + d.code());
            }
            if (d.options() == null) {
                // Older converters leave out options of some ops (RESHAPE here); readers use defaults.
                continue;
            }
            withOptions++;
            assertSame(d.expected(), d.options().schema(), "options of op " + d.code());
            // Re-encoding what was read gives the same options back.
            assertEquals(d.options(), readRoot(finished(d.options()), d.options().schema()));
        }
        assertTrue(withOptions > 50, "operators with options: " + withOptions);
    }

    @Test
    void everySharedModelDecodesWithTheExpectedTables() throws IOException {
        Path dir = sharedModels();
        List<Path> models;
        try (Stream<Path> s = Files.list(dir)) {
            models = s.filter(p -> p.toString().endsWith(".tflite")).sorted().toList();
        }
        int decoded = 0;
        for (Path model : models) {
            for (DecodedOp d : decodeAll(model)) {
                if (d.options() != null) {
                    assertSame(d.expected(), d.options().schema(), model.getFileName() + ": op " + d.code());
                    decoded++;
                }
            }
        }
        assertTrue(decoded > 0);
    }
}
