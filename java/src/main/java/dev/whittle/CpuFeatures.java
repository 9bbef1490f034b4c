package dev.whittle;

import dev.whittle.internal.nativelib.NativeLibrary;

import java.io.IOException;
import java.lang.foreign.FunctionDescriptor;
import java.lang.invoke.MethodHandle;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.StringJoiner;

import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * The SIMD features of the CPU this JVM runs on that Whittle's kernels dispatch on.
 * Immutable; {@link #detect()} probes once per process.
 *
 * <p>A feature counts only when the operating system also supports it (saves the wider
 * registers on a context switch), so a kernel may use every feature reported here.
 * Detection prefers the native {@code cpuid}/{@code getauxval} probe in {@code libwhittle};
 * without the library it reads {@code /proc/cpuinfo} on Linux (whose flags the kernel
 * already clears for state it does not save), and elsewhere reports only what the
 * architecture guarantees. {@link #source()} says which one answered.
 */
public final class CpuFeatures {

    /**
     * One feature, with its bit in the native mask. The bits must equal the
     * {@code WHITTLE_CPU_*} definitions in {@code native/include/whittle/cpu.h}; a test
     * compares the two.
     */
    public enum Feature {
        AVX2(0, "avx2", "avx2"),
        FMA(1, "fma", "fma"),
        F16C(2, "f16c", "f16c"),
        AVX512F(3, "avx512f", "avx512f"),
        AVX512BW(4, "avx512bw", "avx512bw"),
        AVX512VL(5, "avx512vl", "avx512vl"),
        AVX512_VNNI(6, "avx512_vnni", "avx512_vnni"),
        AVX_VNNI(7, "avx_vnni", "avx_vnni"),
        AVX512_VBMI(8, "avx512_vbmi", "avx512vbmi"),
        AVX512_VBMI2(9, "avx512_vbmi2", "avx512_vbmi2"),
        NEON(16, "neon", "asimd"),
        DOTPROD(17, "dotprod", "asimddp"),
        I8MM(18, "i8mm", "i8mm");

        private final int bit;
        private final String label;
        private final String cpuinfoFlag;

        Feature(int bit, String label, String cpuinfoFlag) {
            this.bit = bit;
            this.label = label;
            this.cpuinfoFlag = cpuinfoFlag;
        }

        /** Bit number in the native mask. */
        public int bit() {
            return bit;
        }

        /** {@code 1L << bit()}. */
        public long mask() {
            return 1L << bit;
        }

        /** Lower-case name used in {@link CpuFeatures#toString()} and logs. */
        public String label() {
            return label;
        }

        /** How Linux names the feature in {@code /proc/cpuinfo}. */
        public String cpuinfoFlag() {
            return cpuinfoFlag;
        }
    }

    private static final System.Logger LOG = System.getLogger(CpuFeatures.class.getName());
    private static final long KNOWN_MASK;

    static {
        long known = 0;
        for (Feature f : Feature.values()) {
            known |= f.mask();
        }
        KNOWN_MASK = known;
    }

    private static final class Detected {
        static final CpuFeatures INSTANCE = detect(NativeLibrary.get(), Path.of("/proc/cpuinfo"),
                System.getProperty("os.name"), System.getProperty("os.arch"));
    }

    private final long mask;
    private final String source;

    private CpuFeatures(long mask, String source) {
        this.mask = mask & KNOWN_MASK;
        this.source = source;
    }

    /** The features of this machine, probed on the first call and cached. */
    public static CpuFeatures detect() {
        return Detected.INSTANCE;
    }

    /**
     * Features from a mask in the native bit layout (bits no {@link Feature} names are
     * dropped). For tests and for forcing a kernel path.
     */
    public static CpuFeatures fromMask(long mask) {
        return new CpuFeatures(mask, "mask 0x" + Long.toHexString(mask & KNOWN_MASK));
    }

    /**
     * Detection with every input explicit, so tests can run the fallback without touching
     * system properties or the cached instance.
     */
    static CpuFeatures detect(NativeLibrary library, Path cpuinfo, String osName, String osArch) {
        if (library.isAvailable()) {
            Optional<MethodHandle> probe = library.downcall("whittle_cpu_features", FunctionDescriptor.of(JAVA_LONG));
            if (probe.isPresent()) {
                try {
                    long mask = (long) probe.get().invokeExact();
                    String what = isAarch64(osArch) ? "native getauxval probe" : "native cpuid probe";
                    return log(new CpuFeatures(mask, what));
                } catch (Throwable t) {
                    LOG.log(System.Logger.Level.WARNING,
                            "whittle: whittle_cpu_features failed, detecting CPU features in Java", t);
                }
            }
        }
        // Advanced SIMD is architectural on AArch64: true even when nothing can be read.
        long baseline = isAarch64(osArch) ? Feature.NEON.mask() : 0;
        if (osName != null && osName.toLowerCase(Locale.ROOT).startsWith("linux") && Files.isReadable(cpuinfo)) {
            try {
                List<String> lines = Files.readAllLines(cpuinfo, StandardCharsets.ISO_8859_1);
                return log(new CpuFeatures(baseline | parseCpuinfo(lines), "Java fallback: " + cpuinfo));
            } catch (IOException e) {
                return log(new CpuFeatures(baseline, "Java fallback: " + cpuinfo + " unreadable (" + e + ")"));
            }
        }
        return log(new CpuFeatures(baseline, "Java fallback: no probe for " + osName + " " + osArch
                + (baseline == 0 ? ", none reported" : ", architectural baseline only")));
    }

    /**
     * The mask named by the first {@code flags} (x86) or {@code Features} (Arm) line of a
     * {@code /proc/cpuinfo}. One line suffices: Linux reports the features common to all
     * cores, and hybrid parts (P and E cores) expose the same ISA on each.
     */
    static long parseCpuinfo(List<String> lines) {
        for (String line : lines) {
            int colon = line.indexOf(':');
            if (colon < 0) {
                continue;
            }
            String key = line.substring(0, colon).trim();
            if (!key.equals("flags") && !key.equals("Features")) {
                continue;
            }
            Set<String> flags = Set.of(line.substring(colon + 1).trim().split("\\s+"));
            long mask = 0;
            for (Feature f : Feature.values()) {
                if (flags.contains(f.cpuinfoFlag())) {
                    mask |= f.mask();
                }
            }
            return mask;
        }
        return 0;
    }

    private static boolean isAarch64(String osArch) {
        return osArch != null && (osArch.equalsIgnoreCase("aarch64") || osArch.equalsIgnoreCase("arm64"));
    }

    private static CpuFeatures log(CpuFeatures features) {
        LOG.log(System.Logger.Level.DEBUG, "whittle: CPU features [{0}] from {1}", features, features.source);
        return features;
    }

    /** True when the CPU (and OS) support {@code feature}. */
    public boolean has(Feature feature) {
        return (mask & feature.mask()) != 0;
    }

    /** All supported features, in {@link Feature} order. */
    public Set<Feature> supported() {
        EnumSet<Feature> set = EnumSet.noneOf(Feature.class);
        for (Feature f : Feature.values()) {
            if (has(f)) {
                set.add(f);
            }
        }
        return Collections.unmodifiableSet(set);
    }

    /** The features as a mask in the native bit layout. */
    public long mask() {
        return mask;
    }

    /** What detected these features, e.g. {@code "native cpuid probe"} or {@code "Java fallback: /proc/cpuinfo"}. */
    public String source() {
        return source;
    }

    /** AVX2 (256-bit integer SIMD), with the OS saving YMM state. */
    public boolean avx2() {
        return has(Feature.AVX2);
    }

    /** FMA3 fused multiply-add. */
    public boolean fma() {
        return has(Feature.FMA);
    }

    /** F16C half-precision conversions. */
    public boolean f16c() {
        return has(Feature.F16C);
    }

    /** AVX-512 Foundation, with the OS saving ZMM and opmask state. */
    public boolean avx512f() {
        return has(Feature.AVX512F);
    }

    /** AVX-512 byte and word instructions. */
    public boolean avx512bw() {
        return has(Feature.AVX512BW);
    }

    /** AVX-512 vector length extensions (EVEX on 128/256-bit registers). */
    public boolean avx512vl() {
        return has(Feature.AVX512VL);
    }

    /** AVX-512 VNNI: {@code vpdpbusd}, int8 dot products on ZMM. */
    public boolean avx512Vnni() {
        return has(Feature.AVX512_VNNI);
    }

    /** AVX-VNNI: {@code vpdpbusd} VEX-encoded on YMM (CPUs without AVX-512). */
    public boolean avxVnni() {
        return has(Feature.AVX_VNNI);
    }

    /** Arm Advanced SIMD (always present on AArch64). */
    public boolean neon() {
        return has(Feature.NEON);
    }

    /** Arm dot product ({@code sdot}/{@code udot}, FEAT_DotProd). */
    public boolean dotprod() {
        return has(Feature.DOTPROD);
    }

    /** Arm int8 matrix multiply ({@code smmla}, FEAT_I8MM). */
    public boolean i8mm() {
        return has(Feature.I8MM);
    }

    /** Equal when the masks are equal, whatever the source. */
    @Override
    public boolean equals(Object o) {
        return o instanceof CpuFeatures other && other.mask == mask;
    }

    @Override
    public int hashCode() {
        return Long.hashCode(mask);
    }

    /** The supported features' labels separated by spaces, e.g. {@code "avx2 fma f16c"}, or {@code "none"}. */
    @Override
    public String toString() {
        StringJoiner joiner = new StringJoiner(" ");
        for (Feature f : supported()) {
            joiner.add(f.label());
        }
        return mask == 0 ? "none" : joiner.toString();
    }
}
