package dev.whittle.tflite;

import dev.whittle.BackendException;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Caps the x86 instruction sets TFLite's kernels may use in this process, for comparing Whittle's
 * AVX2 kernels with XNNPACK's AVX2 kernels on a machine that has AVX-512 (the project's CI and
 * the reference machines are AVX2-only Zen 3s; the development machine is a Zen 4).
 *
 * <p>XNNPACK and ruy choose their kernels from the feature flags that the cpuinfo library inside
 * bytedeco's {@code libjnitensorflowlite} fills in once per process ({@code cpuinfo_isa}, one byte
 * per feature). {@link #limitTo(String)} initializes cpuinfo, checks that the flags it finds at
 * the offsets of this build's layout agree with the kernel's {@code /proc/cpuinfo} (a different
 * layout fails the check with a {@link BackendException} and changes nothing), then clears the
 * flags of everything newer than AVX2 (AVX-VNNI, AVX-512, AVX10, AMX). It must run before the
 * process creates its first TFLite interpreter: XNNPACK reads the flags once, when its first
 * delegate is made. A benchmarking aid ({@code whittle bench --tflite-isa avx2}), not something
 * to use in production.
 */
public final class TfliteCpuFeatures {
    /** Offsets in {@code cpuinfo_isa} of the bytedeco 2.20.0-1.5.13 build (checked against /proc/cpuinfo). */
    private static final Map<String, Integer> CHECKED = new LinkedHashMap<>();
    /** Offset of AVX-VNNI (VEX), then the first and one-past-last byte of the AVX-512/AVX10/AMX block. */
    private static final int AVX_VNNI = 23;
    private static final int AVX512_FROM = 29;
    private static final int NEWER_TO = 56;

    static {
        // cpuinfo's field name -> its byte offset in this build
        CHECKED.put("sse3", 16);
        CHECKED.put("ssse3", 17);
        CHECKED.put("sse4_1", 18);
        CHECKED.put("sse4_2", 19);
        CHECKED.put("avx", 22);
        CHECKED.put("fma", 24);
        CHECKED.put("f16c", 27);
        CHECKED.put("avx2", 28);
        CHECKED.put("avx512f", 29);
        CHECKED.put("avx512cd", 32);
        CHECKED.put("avx512dq", 33);
        CHECKED.put("avx512bw", 34);
        CHECKED.put("avx512vl", 35);
        CHECKED.put("avx512vnni", 41);
        CHECKED.put("movbe", 62);
        CHECKED.put("popcnt", 66);
        CHECKED.put("tbm", 67);
        CHECKED.put("bmi2", 69);
        CHECKED.put("aes", 71);
        CHECKED.put("sha", 78);
    }

    private static final Map<String, String> LINUX_FLAG = Map.of(
            "sse3", "pni", "avx512vnni", "avx512_vnni", "sha", "sha_ni");

    private static String limit = "native";

    private TfliteCpuFeatures() {
    }

    /** What {@link #limitTo(String)} set in this process: {@code native} (nothing) or {@code avx2}. */
    public static synchronized String limit() {
        return limit;
    }

    /**
     * Caps TFLite's kernels at {@code isa}: {@code avx2}, or {@code native} (no cap; a no-op).
     *
     * @throws IllegalArgumentException an unknown {@code isa}
     * @throws IllegalStateException a TFLite interpreter was already created in this process
     * @throws BackendException not x86-64 Linux, or the flags of this TFLite build are not laid
     *     out as expected (nothing is changed then)
     */
    public static synchronized void limitTo(String isa) {
        String want = isa.toLowerCase(Locale.ROOT);
        if (want.equals("native")) {
            return;
        }
        if (!want.equals("avx2")) {
            throw new IllegalArgumentException("unknown TFLite ISA cap '" + isa + "': use avx2 or native");
        }
        if (TfliteInterpreter.createdAny()) {
            throw new IllegalStateException("the TFLite ISA cap must be set before the process creates its first"
                    + " TFLite interpreter (XNNPACK reads the CPU features once)");
        }
        String arch = System.getProperty("os.arch");
        if (!(arch.equals("amd64") || arch.equals("x86_64")) || !System.getProperty("os.name").startsWith("Linux")) {
            throw new BackendException("the TFLite ISA cap works on x86-64 Linux only (this is "
                    + System.getProperty("os.name") + " " + arch + ")");
        }
        MemorySegment flags = initializedFlags();
        Set<String> linux = linuxFlags();
        StringBuilder wrong = new StringBuilder();
        for (Map.Entry<String, Integer> e : CHECKED.entrySet()) {
            String field = e.getKey();
            boolean expect = linux.contains(LINUX_FLAG.getOrDefault(field, field));
            byte got = flags.get(ValueLayout.JAVA_BYTE, e.getValue());
            if (got != (expect ? 1 : 0)) {
                wrong.append(' ').append(field).append(" (byte ").append(e.getValue()).append(" = ").append(got)
                        .append(", /proc/cpuinfo ").append(expect ? "has it" : "has not").append(')');
            }
        }
        if (!wrong.isEmpty()) {
            throw new BackendException("the CPU feature flags of this TFLite build are not laid out as expected,"
                    + " so its ISA cannot be capped:" + wrong);
        }
        flags.set(ValueLayout.JAVA_BYTE, AVX_VNNI, (byte) 0);
        for (int i = AVX512_FROM; i < NEWER_TO; i++) {
            flags.set(ValueLayout.JAVA_BYTE, i, (byte) 0);
        }
        limit = want;
    }

    /** The names of the features TFLite's kernels may use now, of those this class checks. */
    public static synchronized String describe() {
        MemorySegment flags = initializedFlags();
        StringBuilder sb = new StringBuilder();
        for (Map.Entry<String, Integer> e : CHECKED.entrySet()) {
            if (flags.get(ValueLayout.JAVA_BYTE, e.getValue()) != 0) {
                sb.append(sb.isEmpty() ? "" : " ").append(e.getKey());
            }
        }
        return sb.toString();
    }

    private static MemorySegment initializedFlags() {
        SymbolLookup lookup = SymbolLookup.libraryLookup(Path.of(TfliteNative.libraryPath()), Arena.global());
        MemorySegment init = lookup.find("cpuinfo_initialize").orElseThrow(() ->
                new BackendException("this TFLite build does not export cpuinfo_initialize"));
        MemorySegment isa = lookup.find("cpuinfo_isa").orElseThrow(() ->
                new BackendException("this TFLite build does not export cpuinfo_isa"));
        MethodHandle call = Linker.nativeLinker().downcallHandle(init, FunctionDescriptor.of(ValueLayout.JAVA_BOOLEAN));
        try {
            if (!(boolean) call.invokeExact()) {
                throw new BackendException("cpuinfo_initialize failed in the TFLite library");
            }
        } catch (BackendException e) {
            throw e;
        } catch (Throwable t) {
            throw new BackendException("cpuinfo_initialize failed in the TFLite library: " + t, t);
        }
        return isa.reinterpret(NEWER_TO + 32);
    }

    private static Set<String> linuxFlags() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (line.startsWith("flags")) {
                    return new HashSet<>(java.util.Arrays.asList(line.substring(line.indexOf(':') + 1).trim().split("\\s+")));
                }
            }
        } catch (IOException e) {
            throw new BackendException("cannot read /proc/cpuinfo to check TFLite's CPU feature flags: " + e, e);
        }
        throw new BackendException("/proc/cpuinfo has no flags line to check TFLite's CPU feature flags against");
    }
}
