package dev.whittle.model.io;

import com.google.flatbuffers.Table;
import dev.whittle.ModelFormatException;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * A flatbuffer table whose every access is bounds-checked before it is made.
 *
 * <p>flatbuffers-java trusts its input: a corrupt offset makes it read out of range or
 * allocate absurd arrays. Models come from files, so each position, vtable, vector and string
 * is checked against the buffer here, and a violation becomes a {@link ModelFormatException}
 * naming the table and field. Offsets in a flatbuffer only point forward (uoffset is
 * unsigned), which is why reading can neither loop nor recurse without bound.
 */
final class CheckedTable extends Table {
    private final String what;
    private final int limit;
    private int tableSize;

    private CheckedTable(String what, int limit) {
        this.what = what;
        this.limit = limit;
    }

    /** The root table of a finished buffer. */
    static CheckedTable root(ByteBuffer bb, String what) {
        if (bb.limit() < 8) {
            throw new ModelFormatException("file too short for a flatbuffer: " + bb.limit() + " bytes");
        }
        int pos = bb.getInt(0);
        return at(bb, Integer.toUnsignedLong(pos), what);
    }

    /** The table at absolute position {@code pos}. */
    static CheckedTable at(ByteBuffer bb, long pos, String what) {
        CheckedTable t = new CheckedTable(what, bb.limit());
        if (pos < 0 || pos > t.limit - 4) {
            throw new ModelFormatException(what + ": table position " + pos + " outside the file (" + t.limit + " bytes)");
        }
        int p = (int) pos;
        long vt = (long) p - bb.getInt(p);
        if (vt < 0 || vt > t.limit - 4) {
            throw new ModelFormatException(what + ": vtable position " + vt + " outside the file");
        }
        int vtSize = Short.toUnsignedInt(bb.getShort((int) vt));
        int objSize = Short.toUnsignedInt(bb.getShort((int) vt + 2));
        if (vtSize < 4 || (vtSize & 1) != 0 || vt + vtSize > t.limit) {
            throw new ModelFormatException(what + ": corrupt vtable (size " + vtSize + ")");
        }
        if (objSize < 4 || (long) p + objSize > t.limit) {
            throw new ModelFormatException(what + ": table of " + objSize + " bytes runs past the end of the file");
        }
        t.__reset(p, bb);
        t.tableSize = objSize;
        return t;
    }

    String what() {
        return what;
    }

    /** The table's inline size in bytes (from its vtable), checked to lie inside the buffer. */
    int tableSize() {
        return tableSize;
    }

    /** Offset of a field within the table, 0 when absent; vtable entries are unsigned 16-bit. */
    int fieldOffset(int vtableOffset) {
        return __offset(vtableOffset) & 0xFFFF;
    }

    /** Start of the vector an offset field points at (the caller has checked its extent). */
    int vector(int fieldOffset) {
        return __vector(fieldOffset);
    }

    int vectorLength(int fieldOffset) {
        return __vector_len(fieldOffset);
    }

    /** The string an offset field points at (the caller has checked its extent). */
    String stringAt(int fieldOffset) {
        // Unlike __vector, __string takes the absolute position of the field.
        return __string(bb_pos + fieldOffset);
    }

    /** Absolute position of the table in the buffer. */
    int position() {
        return bb_pos;
    }

    ByteBuffer buffer() {
        return bb;
    }

    /** Absolute position of field {@code id} with {@code size} bytes, or 0 when absent. */
    private int field(int id, int size, String name) {
        // vtable entries are unsigned 16-bit offsets; Table.__offset reads them signed
        int o = __offset(4 + 2 * id) & 0xFFFF;
        if (o == 0) {
            return 0;
        }
        if (o + size > tableSize) {
            throw new ModelFormatException(what + "." + name + ": field at offset " + o + " lies outside its table");
        }
        return bb_pos + o;
    }

    boolean has(int id) {
        return __offset(4 + 2 * id) != 0;
    }

    int getByte(int id, String name, int def) {
        int p = field(id, 1, name);
        return p == 0 ? def : bb.get(p);
    }

    int getUbyte(int id, String name, int def) {
        int p = field(id, 1, name);
        return p == 0 ? def : Byte.toUnsignedInt(bb.get(p));
    }

    boolean getBool(int id, String name, boolean def) {
        int p = field(id, 1, name);
        return p == 0 ? def : bb.get(p) != 0;
    }

    int getInt(int id, String name, int def) {
        int p = field(id, 4, name);
        return p == 0 ? def : bb.getInt(p);
    }

    long getUint(int id, String name, long def) {
        int p = field(id, 4, name);
        return p == 0 ? def : Integer.toUnsignedLong(bb.getInt(p));
    }

    long getLong(int id, String name, long def) {
        int p = field(id, 8, name);
        return p == 0 ? def : bb.getLong(p);
    }

    /** Absolute position an offset field points at, or -1 when absent. */
    private long target(int id, String name) {
        int p = field(id, 4, name);
        if (p == 0) {
            return -1;
        }
        long t = p + Integer.toUnsignedLong(bb.getInt(p));
        if (t > limit - 4) {
            throw new ModelFormatException(what + "." + name + ": offset points outside the file");
        }
        return t;
    }

    /** A sub-table, or null. */
    CheckedTable table(int id, String name) {
        long t = target(id, name);
        return t < 0 ? null : at(bb, t, what + "." + name);
    }

    /** Element count of a vector field, or -1 when absent; the elements are checked to fit. */
    int vectorLength(int id, String name, int elemSize) {
        long t = target(id, name);
        if (t < 0) {
            return -1;
        }
        long n = Integer.toUnsignedLong(bb.getInt((int) t));
        if (t + 4 + n * elemSize > limit) {
            throw new ModelFormatException(what + "." + name + ": vector of " + n + " elements runs past the end of the file");
        }
        return (int) n;
    }

    /** Absolute position of the first element of a vector field (call after vectorLength). */
    int vectorStart(int id, String name) {
        return (int) target(id, name) + 4;
    }

    String string(int id, String name) {
        int n = vectorLength(id, name, 1);
        if (n < 0) {
            return null;
        }
        byte[] b = new byte[n];
        bb.get(vectorStart(id, name), b);
        return new String(b, StandardCharsets.UTF_8);
    }

    int[] intVector(int id, String name) {
        int n = vectorLength(id, name, 4);
        if (n < 0) {
            return null;
        }
        int s = vectorStart(id, name);
        int[] r = new int[n];
        for (int i = 0; i < n; i++) {
            r[i] = bb.getInt(s + 4 * i);
        }
        return r;
    }

    long[] longVector(int id, String name) {
        int n = vectorLength(id, name, 8);
        if (n < 0) {
            return null;
        }
        int s = vectorStart(id, name);
        long[] r = new long[n];
        for (int i = 0; i < n; i++) {
            r[i] = bb.getLong(s + 8 * i);
        }
        return r;
    }

    float[] floatVector(int id, String name) {
        int n = vectorLength(id, name, 4);
        if (n < 0) {
            return null;
        }
        int s = vectorStart(id, name);
        float[] r = new float[n];
        for (int i = 0; i < n; i++) {
            r[i] = bb.getFloat(s + 4 * i);
        }
        return r;
    }

    int[] ushortVector(int id, String name) {
        int n = vectorLength(id, name, 2);
        if (n < 0) {
            return null;
        }
        int s = vectorStart(id, name);
        int[] r = new int[n];
        for (int i = 0; i < n; i++) {
            r[i] = Short.toUnsignedInt(bb.getShort(s + 2 * i));
        }
        return r;
    }

    byte[] byteVector(int id, String name) {
        int n = vectorLength(id, name, 1);
        if (n < 0) {
            return null;
        }
        byte[] b = new byte[n];
        bb.get(vectorStart(id, name), b);
        return b;
    }

    /** A read-only little-endian view of a byte vector (no copy), or null. */
    ByteBuffer byteVectorView(int id, String name) {
        int n = vectorLength(id, name, 1);
        if (n < 0) {
            return null;
        }
        return bb.slice(vectorStart(id, name), n).order(ByteOrder.LITTLE_ENDIAN).asReadOnlyBuffer();
    }

    /** Element {@code i} of a vector of tables. */
    CheckedTable vectorTable(int id, String name, int i) {
        int s = vectorStart(id, name) + 4 * i;
        long t = s + Integer.toUnsignedLong(bb.getInt(s));
        return at(bb, t, what + "." + name + "[" + i + "]");
    }
}
