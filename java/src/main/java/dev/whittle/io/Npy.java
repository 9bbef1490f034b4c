package dev.whittle.io;

import dev.whittle.InvalidInputException;
import dev.whittle.TensorData;
import dev.whittle.model.TensorType;

import java.io.BufferedInputStream;
import java.io.ByteArrayInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads and writes NumPy {@code .npy} files (format versions 1.0, 2.0 and 3.0) as
 * {@link TensorData}.
 *
 * <p>The layout, as NumPy's {@code numpy/lib/format.py} defines it: the magic
 * {@code \x93NUMPY}, a major and a minor version byte, the header length (uint16 little-endian
 * in 1.0, uint32 in 2.0 and 3.0), then the header: a Python dict literal with exactly the keys
 * {@code descr}, {@code fortran_order} and {@code shape}, padded with spaces and ending in
 * {@code '\n'} so that the data starts at a multiple of 64 bytes. Versions 1.0 and 2.0 encode
 * the header in Latin-1, 3.0 in UTF-8. The raw array bytes follow.
 *
 * <p>Reading accepts every fixed-size numeric dtype that {@link TensorType} maps (f2, f4, f8,
 * i1, u1, b1, i2, u2, i4, u4, i8, u8, c8, c16) in either byte order (big-endian data is
 * byte-swapped, because {@code TensorData} is always little-endian), 0-d arrays, and
 * {@code fortran_order: True} arrays, which are transposed to C order. The data must be
 * exactly shape × itemsize bytes: trailing bytes are rejected too (NumPy ignores them), since
 * they usually mean the header's shape is not the one the data was written with. Every
 * malformed file raises {@link InvalidInputException} naming the source and the problem.
 *
 * <p>Writing produces the bytes NumPy's own {@code np.save} produces for the same array:
 * version 1.0 when the header length fits in 16 bits (always, for arrays NumPy itself can
 * hold, which have at most 64 dimensions), else 2.0.
 */
public final class Npy {
    private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};

    /** NumPy aligns the data to 64 bytes so that it can be memory-mapped and read with SIMD. */
    private static final int ALIGN = 64;

    /**
     * NumPy (1.24 and later) pads the header so that the growth axis could reach 21 digits and
     * the file can be appended to in place; copied so that our bytes match {@code np.save}'s.
     */
    private static final int GROWTH_AXIS_MAX_DIGITS = 21;

    /**
     * Largest header accepted on read. Headers for the dtypes read here are well under 1 KiB
     * (NumPy caps arrays at 64 dimensions); the cap stops a corrupt 32-bit length from
     * allocating gigabytes before the file is found to be short.
     */
    static final int MAX_HEADER_BYTES = 1 << 20;

    /** Java arrays (and so {@code TensorData}'s buffer) hold at most about 2^31 bytes. */
    static final long MAX_DATA_BYTES = Integer.MAX_VALUE - 8;

    private Npy() {
    }

    /**
     * Reads a {@code .npy} file.
     *
     * @throws InvalidInputException if the file cannot be read or is not a valid {@code .npy}
     *     file holding a supported dtype; the message names the file
     */
    public static TensorData read(Path file) {
        String source = file.toString();
        try (InputStream in = new BufferedInputStream(Files.newInputStream(file), 1 << 16)) {
            return read(in, source);
        } catch (NoSuchFileException e) {
            throw new InvalidInputException(source + ": no such file", e);
        } catch (IOException e) {
            throw new InvalidInputException(source + ": cannot read: " + e.getMessage(), e);
        }
    }

    /** Reads {@code .npy} bytes; errors name the source as {@code <bytes>}. */
    public static TensorData read(byte[] bytes) {
        return read(bytes, "<bytes>");
    }

    /** Reads {@code .npy} bytes; {@code source} names them in error messages. */
    public static TensorData read(byte[] bytes, String source) {
        try {
            return read(new ByteArrayInputStream(bytes), source);
        } catch (IOException e) {
            throw new AssertionError("a byte array stream does not fail", e);
        }
    }

    /**
     * Reads one {@code .npy} array from a stream, which must end right after the data. The
     * stream is not closed. Errors name the source as {@code <stream>}.
     *
     * @throws UncheckedIOException if the stream itself fails
     */
    public static TensorData read(InputStream in) {
        try {
            return read(in, "<stream>");
        } catch (IOException e) {
            throw new UncheckedIOException("<stream>: cannot read: " + e.getMessage(), e);
        }
    }

    /** Reads one {@code .npy} array from a stream; {@code source} names it in error messages. */
    public static TensorData read(InputStream in, String source) throws IOException {
        byte[] prefix = readExactly(in, 8, source, "magic and version");
        for (int i = 0; i < MAGIC.length; i++) {
            if (prefix[i] != MAGIC[i]) {
                throw bad(source, "not a .npy file (bad magic " + hex(prefix, 6) + ", expected \\x93NUMPY)");
            }
        }
        int major = prefix[6] & 0xFF;
        int minor = prefix[7] & 0xFF;
        if (minor != 0 || major < 1 || major > 3) {
            throw bad(source, "unsupported .npy format version " + major + "." + minor
                    + " (supported: 1.0, 2.0, 3.0)");
        }
        long headerLength;
        if (major == 1) {
            byte[] len = readExactly(in, 2, source, "header length");
            headerLength = (len[0] & 0xFF) | (len[1] & 0xFF) << 8;
        } else {
            byte[] len = readExactly(in, 4, source, "header length");
            headerLength = Integer.toUnsignedLong(ByteBuffer.wrap(len).order(ByteOrder.LITTLE_ENDIAN).getInt());
        }
        if (headerLength > MAX_HEADER_BYTES) {
            throw bad(source, "header length " + headerLength + " is larger than the " + MAX_HEADER_BYTES
                    + "-byte limit (corrupt file?)");
        }
        byte[] headerBytes = readExactly(in, (int) headerLength, source, "header");
        String header = decodeHeader(headerBytes, major, source);
        Header h = parseHeader(header, source);

        long count = elementCount(h.shape);
        if (count < 0 || count > MAX_DATA_BYTES / h.dtype.itemSize) {
            throw bad(source, "array of shape " + shapeString(h.shape) + " and dtype '" + h.descr
                    + "' needs more than 2^31 bytes, more than a tensor can hold");
        }
        int dataLength = Math.toIntExact(count * h.dtype.itemSize);
        byte[] data = in.readNBytes(dataLength);
        if (data.length < dataLength) {
            throw bad(source, "data truncated: shape " + shapeString(h.shape) + " of '" + h.descr + "' needs "
                    + dataLength + " bytes, the file has " + data.length);
        }
        if (in.read() != -1) {
            throw bad(source, "trailing bytes after the " + dataLength + " data bytes of shape "
                    + shapeString(h.shape) + " of '" + h.descr + "' (wrong shape in header?)");
        }
        if (h.bigEndian && h.dtype.itemSize > 1) {
            swapBytes(data, h.dtype.swapUnit);
        }
        if (h.fortranOrder && h.shape.length > 1 && count > 1) {
            data = fortranToC(data, h.shape, h.dtype.itemSize);
        }
        return new TensorData(h.dtype.type, h.shape, ByteBuffer.wrap(data));
    }

    /**
     * Writes {@code tensor} as a {@code .npy} file.
     *
     * @throws InvalidInputException if the tensor's type has no NumPy dtype
     * @throws UncheckedIOException if the file cannot be written; the message names it
     */
    public static void write(Path file, TensorData tensor) {
        byte[] bytes = toBytes(tensor);
        try {
            Files.write(file, bytes);
        } catch (IOException e) {
            throw new UncheckedIOException(file + ": cannot write: " + e.getMessage(), e);
        }
    }

    /**
     * The {@code .npy} bytes of {@code tensor}, identical to what {@code np.save} writes for
     * the same array.
     *
     * @throws InvalidInputException if the tensor's type has no NumPy dtype (STRING, INT4,
     *     BFLOAT16, RESOURCE, VARIANT) or the file would exceed 2^31 bytes
     */
    public static byte[] toBytes(TensorData tensor) {
        String descr = tensor.type().numpyDescr();
        if (descr == null) {
            throw new InvalidInputException("cannot write a " + tensor.type() + " tensor as .npy: NumPy has no such dtype");
        }
        byte[] header = headerBytes(descr, tensor.shape());
        ByteBuffer data = tensor.data();
        long total = (long) header.length + data.remaining();
        if (total > MAX_DATA_BYTES) {
            throw new InvalidInputException("cannot write " + tensor + " as .npy: " + total + " bytes exceed 2^31");
        }
        byte[] out = new byte[(int) total];
        System.arraycopy(header, 0, out, 0, header.length);
        data.get(out, header.length, data.remaining());
        return out;
    }

    /** Magic, version, length and padded header, as NumPy's {@code _wrap_header} lays them out. */
    static byte[] headerBytes(String descr, int[] shape) {
        StringBuilder dict = new StringBuilder()
                .append("{'descr': '").append(descr).append("', 'fortran_order': False, 'shape': ")
                .append(shapeString(shape)).append(", }");
        if (shape.length > 0) {
            dict.repeat(" ", Math.max(0, GROWTH_AXIS_MAX_DIGITS - Integer.toString(shape[0]).length()));
        }
        // Only ASCII goes into the dict, so Latin-1 (versions 1.0 and 2.0) is always enough.
        byte[] text = dict.toString().getBytes(StandardCharsets.ISO_8859_1);
        for (int major = 1; major <= 2; major++) {
            int lengthField = major == 1 ? 2 : 4;
            int prefix = MAGIC.length + 2 + lengthField;
            long withNewline = text.length + 1L;
            // Like NumPy: a header that is already aligned still gets a full 64 spaces.
            long pad = ALIGN - (prefix + withNewline) % ALIGN;
            long headerLength = withNewline + pad;
            if (major == 1 && headerLength > 0xFFFF) {
                continue;
            }
            if (headerLength > MAX_DATA_BYTES - prefix) {
                break;
            }
            byte[] out = new byte[(int) (prefix + headerLength)];
            System.arraycopy(MAGIC, 0, out, 0, MAGIC.length);
            out[6] = (byte) major;
            out[7] = 0;
            if (major == 1) {
                out[8] = (byte) headerLength;
                out[9] = (byte) (headerLength >>> 8);
            } else {
                ByteBuffer.wrap(out).order(ByteOrder.LITTLE_ENDIAN).putInt(8, (int) headerLength);
            }
            System.arraycopy(text, 0, out, prefix, text.length);
            Arrays.fill(out, prefix + text.length, out.length - 1, (byte) ' ');
            out[out.length - 1] = '\n';
            return out;
        }
        throw new InvalidInputException("cannot write a .npy header for a shape of rank " + shape.length);
    }

    /** Python's repr of a shape tuple: {@code ()}, {@code (3,)}, {@code (2, 3)}. */
    static String shapeString(int[] shape) {
        if (shape.length == 1) {
            return "(" + shape[0] + ",)";
        }
        StringBuilder sb = new StringBuilder("(");
        for (int i = 0; i < shape.length; i++) {
            if (i > 0) {
                sb.append(", ");
            }
            sb.append(shape[i]);
        }
        return sb.append(')').toString();
    }

    // ---------------------------------------------------------------------------------------
    // Reading helpers

    private static byte[] readExactly(InputStream in, int n, String source, String what) throws IOException {
        byte[] b = in.readNBytes(n);
        if (b.length < n) {
            throw bad(source, "truncated " + what + ": expected " + n + " bytes, found " + b.length);
        }
        return b;
    }

    private static String decodeHeader(byte[] bytes, int major, String source) {
        if (major < 3) {
            return new String(bytes, StandardCharsets.ISO_8859_1);
        }
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            throw bad(source, "version 3.0 header is not valid UTF-8");
        }
    }

    /** A NumPy dtype this reader supports. */
    private record Dtype(TensorType type, int itemSize, int swapUnit) {
    }

    private record Header(String descr, Dtype dtype, boolean bigEndian, boolean fortranOrder, int[] shape) {
    }

    private static Header parseHeader(String header, String source) {
        Object parsed;
        try {
            LiteralParser p = new LiteralParser(header);
            parsed = p.parseValue();
            p.expectEnd();
        } catch (LiteralParser.SyntaxError e) {
            throw bad(source, "cannot parse header " + quote(header) + ": " + e.getMessage());
        }
        if (!(parsed instanceof Map<?, ?> dict)) {
            throw bad(source, "header is not a dict: " + quote(header));
        }
        if (dict.size() != 3 || !dict.containsKey("descr") || !dict.containsKey("fortran_order")
                || !dict.containsKey("shape")) {
            throw bad(source, "header must have exactly the keys 'descr', 'fortran_order', 'shape', got "
                    + dict.keySet());
        }
        Object descrValue = dict.get("descr");
        if (!(descrValue instanceof String descr)) {
            throw bad(source, "structured or non-string descr " + descrValue
                    + " is not supported (only plain numeric dtypes)");
        }
        if (!(dict.get("fortran_order") instanceof Boolean fortran)) {
            throw bad(source, "'fortran_order' must be True or False, got " + dict.get("fortran_order"));
        }
        int[] shape = parseShape(dict.get("shape"), source);
        if (descr.isEmpty()) {
            throw bad(source, "empty descr");
        }
        char order = descr.charAt(0);
        String code = descr;
        if (order == '<' || order == '>' || order == '|' || order == '=') {
            code = descr.substring(1);
        } else {
            order = '='; // np.dtype('f4') means native order, which NumPy writes as '<' on every platform we run on
        }
        Dtype dtype = dtypeFor(code);
        if (dtype == null) {
            if (code.startsWith("O")) {
                throw bad(source, "object arrays (descr '" + descr + "') are not supported; save a numeric array");
            }
            throw bad(source, "unsupported descr '" + descr + "' (supported: f2 f4 f8 i1 u1 b1 i2 u2 i4 u4 i8 u8 c8 c16)");
        }
        return new Header(descr, dtype, order == '>', fortran, shape);
    }

    private static Dtype dtypeFor(String code) {
        return switch (code) {
            case "f2", "e" -> new Dtype(TensorType.FLOAT16, 2, 2);
            case "f4", "f" -> new Dtype(TensorType.FLOAT32, 4, 4);
            case "f8", "d" -> new Dtype(TensorType.FLOAT64, 8, 8);
            case "i1", "b" -> new Dtype(TensorType.INT8, 1, 1);
            case "u1", "B" -> new Dtype(TensorType.UINT8, 1, 1);
            case "b1", "?" -> new Dtype(TensorType.BOOL, 1, 1);
            case "i2", "h" -> new Dtype(TensorType.INT16, 2, 2);
            case "u2", "H" -> new Dtype(TensorType.UINT16, 2, 2);
            case "i4", "i" -> new Dtype(TensorType.INT32, 4, 4);
            case "u4", "I" -> new Dtype(TensorType.UINT32, 4, 4);
            case "i8", "q" -> new Dtype(TensorType.INT64, 8, 8);
            case "u8", "Q" -> new Dtype(TensorType.UINT64, 8, 8);
            // complex: two floats, each swapped on its own
            case "c8", "F" -> new Dtype(TensorType.COMPLEX64, 8, 4);
            case "c16", "D" -> new Dtype(TensorType.COMPLEX128, 16, 8);
            default -> null;
        };
    }

    private static int[] parseShape(Object value, String source) {
        if (!(value instanceof LiteralParser.Tuple tuple)) {
            throw bad(source, "'shape' must be a tuple of ints, got " + value);
        }
        int[] shape = new int[tuple.items().size()];
        for (int i = 0; i < shape.length; i++) {
            Object item = tuple.items().get(i);
            if (!(item instanceof BigInteger dim)) {
                throw bad(source, "'shape' must be a tuple of ints, got element " + item);
            }
            if (dim.signum() < 0) {
                throw bad(source, "negative dimension " + dim + " in shape");
            }
            if (dim.bitLength() > 31) {
                throw bad(source, "dimension " + dim + " in shape is larger than 2^31-1");
            }
            shape[i] = dim.intValueExact();
        }
        return shape;
    }

    /** The product of the dims, or -1 when it exceeds {@link #MAX_DATA_BYTES}; a zero dim wins. */
    private static long elementCount(int[] shape) {
        long count = 1;
        boolean tooLarge = false;
        for (int d : shape) {
            if (d == 0) {
                return 0;
            }
            // count <= MAX_DATA_BYTES < 2^31 and d < 2^31, so the product cannot overflow a long
            count *= d;
            if (count > MAX_DATA_BYTES) {
                tooLarge = true;
                count = 1;
            }
        }
        return tooLarge ? -1 : count;
    }

    private static void swapBytes(byte[] data, int unit) {
        for (int base = 0; base + unit <= data.length; base += unit) {
            for (int i = 0, j = unit - 1; i < j; i++, j--) {
                byte t = data[base + i];
                data[base + i] = data[base + j];
                data[base + j] = t;
            }
        }
    }

    /**
     * Reorders column-major data to row-major. Walks the output in C order with an odometer
     * over the index, keeping the Fortran-order offset in step (stride of axis k is the product
     * of the dims before k), so no per-element index arithmetic beyond one add per step.
     */
    private static byte[] fortranToC(byte[] src, int[] shape, int itemSize) {
        int rank = shape.length;
        long[] fStride = new long[rank];
        long s = 1;
        for (int k = 0; k < rank; k++) {
            fStride[k] = s;
            s *= shape[k];
        }
        byte[] dst = new byte[src.length];
        int[] idx = new int[rank];
        long fOffset = 0;
        int elements = src.length / itemSize;
        for (int e = 0; e < elements; e++) {
            System.arraycopy(src, (int) (fOffset * itemSize), dst, e * itemSize, itemSize);
            for (int k = rank - 1; k >= 0; k--) {
                idx[k]++;
                fOffset += fStride[k];
                if (idx[k] < shape[k]) {
                    break;
                }
                fOffset -= fStride[k] * shape[k];
                idx[k] = 0;
            }
        }
        return dst;
    }

    private static InvalidInputException bad(String source, String problem) {
        return new InvalidInputException(source + ": " + problem);
    }

    private static String hex(byte[] b, int n) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < n; i++) {
            sb.append(String.format("\\x%02x", b[i] & 0xFF));
        }
        return sb.toString();
    }

    /** The header for an error message: control characters escaped, long ones cut. */
    private static String quote(String s) {
        String t = s.strip();
        if (t.length() > 200) {
            t = t.substring(0, 200) + "...";
        }
        StringBuilder sb = new StringBuilder("\"");
        for (char c : t.toCharArray()) {
            if (c < 0x20 || c == 0x7F) {
                sb.append(String.format("\\x%02x", (int) c));
            } else {
                sb.append(c);
            }
        }
        return sb.append('"').toString();
    }

    /**
     * Parses the subset of Python literals that {@code .npy} headers use (what
     * {@code ast.literal_eval} would accept there): dicts, tuples, lists, quoted strings, ints
     * (with Python 2's {@code L} suffix), True, False and None. A parenthesised single value
     * without a trailing comma is that value, not a tuple, as in Python.
     */
    static final class LiteralParser {
        /** A Python tuple, kept apart from lists because NumPy requires the shape to be a tuple. */
        record Tuple(List<Object> items) {
            @Override
            public String toString() {
                return items.toString().replace('[', '(').replace(']', ')');
            }
        }

        static final class SyntaxError extends Exception {
            SyntaxError(String message) {
                super(message, null, false, false);
            }
        }

        /** Deep nesting is never valid in a header; the cap keeps recursion off the stack limit. */
        private static final int MAX_DEPTH = 32;

        private final String s;
        private int pos;
        private int depth;

        LiteralParser(String s) {
            this.s = s;
        }

        Object parseValue() throws SyntaxError {
            skipSpace();
            if (pos >= s.length()) {
                throw new SyntaxError("unexpected end at offset " + pos);
            }
            char c = s.charAt(pos);
            return switch (c) {
                case '{' -> parseDict();
                case '(' -> parseSequence('(', ')', true);
                case '[' -> parseSequence('[', ']', false);
                case '\'', '"' -> parseString();
                default -> {
                    if (c == '-' || c == '+' || (c >= '0' && c <= '9')) {
                        yield parseInt();
                    }
                    if (Character.isLetter(c)) {
                        yield parseName();
                    }
                    throw new SyntaxError("unexpected character '" + printable(c) + "' at offset " + pos);
                }
            };
        }

        void expectEnd() throws SyntaxError {
            skipSpace();
            if (pos != s.length()) {
                throw new SyntaxError("unexpected '" + printable(s.charAt(pos)) + "' after the dict at offset " + pos);
            }
        }

        private Map<Object, Object> parseDict() throws SyntaxError {
            enter();
            pos++; // '{'
            Map<Object, Object> map = new LinkedHashMap<>();
            while (true) {
                skipSpace();
                if (peek() == '}') {
                    pos++;
                    break;
                }
                Object key = parseValue();
                if (!(key instanceof String)) {
                    throw new SyntaxError("dict key " + key + " is not a string");
                }
                skipSpace();
                expect(':');
                Object value = parseValue();
                map.put(key, value); // a repeated key keeps the last value, as in Python
                skipSpace();
                char c = peek();
                if (c == ',') {
                    pos++;
                } else if (c == '}') {
                    pos++;
                    break;
                } else {
                    throw new SyntaxError("expected ',' or '}' at offset " + pos);
                }
            }
            depth--;
            return map;
        }

        private Object parseSequence(char open, char close, boolean tuple) throws SyntaxError {
            enter();
            pos++; // open
            List<Object> items = new ArrayList<>();
            boolean trailingComma = false;
            while (true) {
                skipSpace();
                if (peek() == close) {
                    pos++;
                    break;
                }
                items.add(parseValue());
                trailingComma = false;
                skipSpace();
                char c = peek();
                if (c == ',') {
                    pos++;
                    trailingComma = true;
                } else if (c == close) {
                    pos++;
                    break;
                } else {
                    throw new SyntaxError("expected ',' or '" + close + "' at offset " + pos);
                }
            }
            depth--;
            if (tuple && items.size() == 1 && !trailingComma) {
                return items.getFirst(); // "(3)" is the int 3 in Python
            }
            return tuple ? new Tuple(items) : items;
        }

        private String parseString() throws SyntaxError {
            char quote = s.charAt(pos++);
            StringBuilder sb = new StringBuilder();
            while (true) {
                if (pos >= s.length()) {
                    throw new SyntaxError("unterminated string");
                }
                char c = s.charAt(pos++);
                if (c == quote) {
                    return sb.toString();
                }
                if (c == '\n') {
                    throw new SyntaxError("newline inside a string");
                }
                if (c == '\\') {
                    if (pos >= s.length()) {
                        throw new SyntaxError("unterminated string");
                    }
                    c = s.charAt(pos++); // descrs hold no escapes; keep the escaped char so quotes work
                }
                sb.append(c);
            }
        }

        private BigInteger parseInt() throws SyntaxError {
            int start = pos;
            if (s.charAt(pos) == '-' || s.charAt(pos) == '+') {
                pos++;
            }
            int digitsStart = pos;
            while (pos < s.length() && s.charAt(pos) >= '0' && s.charAt(pos) <= '9') {
                pos++;
            }
            if (pos == digitsStart) {
                throw new SyntaxError("expected digits at offset " + pos);
            }
            if (pos - digitsStart > 40) {
                throw new SyntaxError("integer with " + (pos - digitsStart) + " digits");
            }
            BigInteger value = new BigInteger(s.substring(start, pos));
            if (pos < s.length() && (s.charAt(pos) == 'L' || s.charAt(pos) == 'l')) {
                pos++; // Python 2's long suffix, in headers written by old NumPy
            }
            return value;
        }

        private Object parseName() throws SyntaxError {
            int start = pos;
            while (pos < s.length() && (Character.isLetterOrDigit(s.charAt(pos)) || s.charAt(pos) == '_')) {
                pos++;
            }
            String name = s.substring(start, pos);
            return switch (name) {
                case "True" -> Boolean.TRUE;
                case "False" -> Boolean.FALSE;
                case "None" -> Python.NONE;
                default -> throw new SyntaxError("unknown name '" + (name.length() > 20 ? name.substring(0, 20) + "..." : name)
                        + "' at offset " + start);
            };
        }

        private void enter() throws SyntaxError {
            if (++depth > MAX_DEPTH) {
                throw new SyntaxError("nesting deeper than " + MAX_DEPTH);
            }
        }

        private void expect(char c) throws SyntaxError {
            if (peek() != c) {
                throw new SyntaxError("expected '" + c + "' at offset " + pos);
            }
            pos++;
        }

        private char peek() throws SyntaxError {
            if (pos >= s.length()) {
                throw new SyntaxError("unexpected end at offset " + pos);
            }
            return s.charAt(pos);
        }

        private void skipSpace() {
            while (pos < s.length()) {
                char c = s.charAt(pos);
                if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
                    break;
                }
                pos++;
            }
        }

        private static String printable(char c) {
            return c < 0x20 || c == 0x7F ? String.format("\\x%02x", (int) c) : String.valueOf(c);
        }

        /** Python's None, so that a header holding it gets a readable message. */
        enum Python {
            NONE;

            @Override
            public String toString() {
                return "None";
            }
        }
    }
}
