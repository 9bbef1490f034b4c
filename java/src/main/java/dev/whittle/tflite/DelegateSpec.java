package dev.whittle.tflite;

import dev.whittle.InvalidInputException;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * A TFLite delegate, as the command line and {@link TfliteOptions} name it. Parsed and checked
 * in Java before any native code sees it:
 *
 * <ul>
 *   <li>{@code xnnpack[,threads=N][,qs8=B][,qu8=B][,fp16=B][,dynamic_fc=B][,flags=0xHEX]}:
 *       TFLite's XNNPACK delegate with its own options ({@code B} is true or false;
 *       {@code flags} replaces the default bits before the named ones are applied). Threads
 *       default to the interpreter's.</li>
 *   <li>{@code external:PATH[,key=value...]}: any TFLite delegate plugin (a shared library that
 *       exports {@code tflite_plugin_create_delegate}, TFLite's external-delegate plugin ABI, as
 *       Python's {@code load_delegate} uses it), created with the key/value options given.</li>
 *   <li>{@code edgetpu[:usb|:pci][:N][,key=value...]}: a Coral Edge TPU through libedgetpu; the
 *       type and the index N among the devices of that type pick the device (default: the
 *       first one found); options go to libedgetpu unchanged ({@code Performance=Low|Medium|
 *       High|Max}, {@code Usb.MaxBulkInQueueLength=N}, ...), with the known ones checked.</li>
 * </ul>
 */
public final class DelegateSpec {
    /** Which delegate. */
    public enum Kind { XNNPACK, EXTERNAL, EDGETPU }

    /** {@code TFLITE_XNNPACK_DELEGATE_FLAG_*} of TFLite 2.20's {@code xnnpack_delegate.h}. */
    static final int XNN_FLAG_QS8 = 0x1;
    static final int XNN_FLAG_QU8 = 0x2;
    static final int XNN_FLAG_FORCE_FP16 = 0x4;
    static final int XNN_FLAG_DYNAMIC_FULLY_CONNECTED = 0x8;

    private static final String SYNTAX = "xnnpack[,threads=N,qs8=true|false,qu8=true|false,fp16=true|false,"
            + "dynamic_fc=true|false,flags=0xHEX], external:PATH[,key=value...] or edgetpu[:usb|:pci][:N][,key=value...]";

    private final String text;
    private final Kind kind;
    private final Path library;
    private final String deviceType;
    private final int deviceIndex;
    private final Map<String, String> options;

    private DelegateSpec(String text, Kind kind, Path library, String deviceType, int deviceIndex,
            Map<String, String> options) {
        this.text = text;
        this.kind = kind;
        this.library = library;
        this.deviceType = deviceType;
        this.deviceIndex = deviceIndex;
        this.options = Collections.unmodifiableMap(options);
    }

    /**
     * Parses a spec.
     *
     * @throws InvalidInputException naming what is wrong and the accepted forms
     */
    public static DelegateSpec parse(String spec) {
        Objects.requireNonNull(spec, "spec");
        String s = spec.strip();
        if (s.isEmpty()) {
            throw bad(spec, "it is empty");
        }
        int comma = s.indexOf(',');
        String head = comma < 0 ? s : s.substring(0, comma);
        Map<String, String> opts = options(spec, comma < 0 ? "" : s.substring(comma + 1));
        String lower = head.toLowerCase(Locale.ROOT);
        if (lower.equals("xnnpack")) {
            checkXnnpack(spec, opts);
            return new DelegateSpec(s, Kind.XNNPACK, null, null, -1, opts);
        }
        if (lower.startsWith("external:")) {
            String p = head.substring("external:".length());
            if (p.isEmpty()) {
                throw bad(spec, "external: needs the path of a delegate plugin library");
            }
            Path lib = Path.of(p);
            if (!Files.isRegularFile(lib)) {
                throw new InvalidInputException("delegate plugin library not found: " + p + " (in --delegate '"
                        + spec + "')");
            }
            return new DelegateSpec(s, Kind.EXTERNAL, lib.toAbsolutePath(), null, -1, opts);
        }
        if (lower.equals("edgetpu") || lower.startsWith("edgetpu:")) {
            String type = null;
            int index = -1;
            String[] parts = lower.split(":", -1);
            for (int i = 1; i < parts.length; i++) {
                String part = parts[i];
                if ((part.equals("usb") || part.equals("pci")) && type == null && index < 0) {
                    type = part;
                } else if (!part.isEmpty() && part.chars().allMatch(Character::isDigit) && index < 0 && part.length() < 6) {
                    index = Integer.parseInt(part);
                } else {
                    throw bad(spec, "'" + part + "' is not usb, pci or a device index");
                }
            }
            normalizeEdgeTpuOptions(spec, opts);
            return new DelegateSpec(s, Kind.EDGETPU, null, type, index, opts);
        }
        throw bad(spec, "unknown delegate '" + head + "'");
    }

    private static InvalidInputException bad(String spec, String why) {
        return new InvalidInputException("bad delegate spec '" + spec + "': " + why + "; use " + SYNTAX);
    }

    private static Map<String, String> options(String spec, String rest) {
        Map<String, String> out = new LinkedHashMap<>();
        if (rest.isEmpty()) {
            return out;
        }
        for (String kv : rest.split(",", -1)) {
            int eq = kv.indexOf('=');
            if (eq <= 0 || eq == kv.length() - 1) {
                throw bad(spec, "option '" + kv + "' is not key=value");
            }
            String k = kv.substring(0, eq).strip();
            String v = kv.substring(eq + 1).strip();
            if (k.isEmpty() || v.isEmpty()) {
                throw bad(spec, "option '" + kv + "' is not key=value");
            }
            if (out.put(k, v) != null) {
                throw bad(spec, "option '" + k + "' given twice");
            }
        }
        return out;
    }

    private static void checkXnnpack(String spec, Map<String, String> opts) {
        for (Map.Entry<String, String> e : opts.entrySet()) {
            String v = e.getValue();
            switch (e.getKey()) {
                case "threads" -> {
                    int n = integer(spec, "threads", v);
                    if (n < 1 || n > 1024) {
                        throw bad(spec, "threads must be 1..1024, got " + v);
                    }
                }
                case "qs8", "qu8", "fp16", "dynamic_fc" -> bool(spec, e.getKey(), v);
                case "flags" -> {
                    String hex = v.toLowerCase(Locale.ROOT);
                    if (!hex.matches("0x[0-9a-f]{1,8}")) {
                        throw bad(spec, "flags must be hexadecimal like 0x3, got " + v);
                    }
                }
                default -> throw bad(spec, "xnnpack has no option '" + e.getKey()
                        + "' (threads, qs8, qu8, fp16, dynamic_fc, flags)");
            }
        }
    }

    /** Checks the libedgetpu options Whittle knows and writes them as libedgetpu spells them. */
    private static void normalizeEdgeTpuOptions(String spec, Map<String, String> opts) {
        for (Map.Entry<String, String> e : opts.entrySet()) {
            String k = e.getKey();
            String v = e.getValue();
            if (k.equalsIgnoreCase("Performance")) {
                String norm = switch (v.toLowerCase(Locale.ROOT)) {
                    case "low" -> "Low";
                    case "medium" -> "Medium";
                    case "high" -> "High";
                    case "max" -> "Max";
                    default -> throw bad(spec, "Performance must be Low, Medium, High or Max, got " + v);
                };
                e.setValue(norm);
            } else if (k.equalsIgnoreCase("Usb.MaxBulkInQueueLength")) {
                int n = integer(spec, k, v);
                if (n < 1 || n > 255) {
                    throw bad(spec, "Usb.MaxBulkInQueueLength must be 1..255, got " + v);
                }
            } else if (k.equalsIgnoreCase("Usb.AlwaysDfu")) {
                e.setValue(Boolean.toString(bool(spec, k, v)));
            }
        }
    }

    private static int integer(String spec, String key, String v) {
        try {
            return Integer.parseInt(v);
        } catch (NumberFormatException ex) {
            throw bad(spec, key + " must be an integer, got " + v);
        }
    }

    private static boolean bool(String spec, String key, String v) {
        return switch (v.toLowerCase(Locale.ROOT)) {
            case "true", "1", "yes", "on" -> true;
            case "false", "0", "no", "off" -> false;
            default -> throw bad(spec, key + " must be true or false, got " + v);
        };
    }

    public Kind kind() {
        return kind;
    }

    /** The plugin library of an {@code external:} spec; null otherwise. */
    public Path library() {
        return library;
    }

    /** {@code usb}, {@code pci}, or null for any type (Edge TPU only). */
    public String deviceType() {
        return deviceType;
    }

    /** Index among the Edge TPUs of {@link #deviceType()}, or -1 for the first one. */
    public int deviceIndex() {
        return deviceIndex;
    }

    /** The key=value options in the order given (Edge TPU options as libedgetpu spells them). */
    public Map<String, String> options() {
        return options;
    }

    /** The XNNPACK thread count given, or {@code fallback}. */
    int xnnpackThreads(int fallback) {
        String t = options.get("threads");
        return t == null ? fallback : Integer.parseInt(t);
    }

    /** The XNNPACK flag bits: {@code defaults} (or {@code flags=}) with the named bits applied. */
    int xnnpackFlags(int defaults) {
        int flags = options.containsKey("flags") ? Integer.parseUnsignedInt(options.get("flags").substring(2), 16)
                : defaults;
        flags = apply(flags, "qs8", XNN_FLAG_QS8);
        flags = apply(flags, "qu8", XNN_FLAG_QU8);
        flags = apply(flags, "fp16", XNN_FLAG_FORCE_FP16);
        return apply(flags, "dynamic_fc", XNN_FLAG_DYNAMIC_FULLY_CONNECTED);
    }

    private int apply(int flags, String key, int bit) {
        String v = options.get(key);
        if (v == null) {
            return flags;
        }
        return bool(text, key, v) ? flags | bit : flags & ~bit;
    }

    @Override
    public String toString() {
        return text;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof DelegateSpec d && d.text.equals(text);
    }

    @Override
    public int hashCode() {
        return text.hashCode();
    }
}
