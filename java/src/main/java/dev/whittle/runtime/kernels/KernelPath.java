package dev.whittle.runtime.kernels;

import dev.whittle.CpuFeatures;
import dev.whittle.CpuFeatures.Feature;
import dev.whittle.InvalidInputException;

import java.util.EnumSet;
import java.util.Locale;
import java.util.Set;

/**
 * Where a kernel's code comes from (ruy's {@code Path}): the portable scalar reference, the
 * Java path (Vector API, or its plain-Java twin), or a native ISA in {@code libwhittle}.
 * Declared from slowest to fastest: dispatch takes the last one available.
 */
public enum KernelPath {
    /** The scalar oracles in {@code runtime/kernels/reference}: always present. */
    REFERENCE("reference", false),
    /** Java: the Vector API when its module is loaded, else the plain-Java twin. */
    JAVA("java", false),
    /** Native, Arm NEON with the dot-product extension. */
    NEON("neon", true, Feature.NEON, Feature.DOTPROD),
    /** Native, x86 AVX2 + FMA. */
    AVX2("avx2", true, Feature.AVX2, Feature.FMA),
    /** Native, x86 AVX-512 F/BW/VL with VNNI. */
    AVX512VNNI("avx512vnni", true, Feature.AVX2, Feature.FMA, Feature.AVX512F, Feature.AVX512BW,
            Feature.AVX512VL, Feature.AVX512_VNNI);

    /** The system property that restricts dispatch to a path, for tests and comparisons. */
    public static final String PROPERTY = "whittle.kernels";

    private final String label;
    private final boolean isNative;
    private final Set<Feature> requires;

    KernelPath(String label, boolean isNative, Feature... requires) {
        this.label = label;
        this.isNative = isNative;
        this.requires = requires.length == 0 ? EnumSet.noneOf(Feature.class) : EnumSet.of(requires[0], requires);
    }

    /** The name used in kernel names, logs and {@value #PROPERTY}: {@code avx2}, {@code java}. */
    public String label() {
        return label;
    }

    /** Whether the kernels of this path live in the native library. */
    public boolean isNative() {
        return isNative;
    }

    /** Whether a CPU with {@code cpu}'s features can run this path's kernels. */
    public boolean supportedBy(CpuFeatures cpu) {
        for (Feature f : requires) {
            if (!cpu.has(f)) {
                return false;
            }
        }
        return true;
    }

    /**
     * The paths a value of {@value #PROPERTY} allows: null, empty or {@code auto} allow all;
     * {@code reference}, {@code java}, {@code native} or one ISA label allow that (the
     * reference path is always allowed, as the fallback of op families without a faster
     * kernel; an ISA label also allows the Java path, so that {@code avx2} on an AVX-512
     * machine dispatches as auto would on an AVX2-only one).
     *
     * @throws InvalidInputException naming the accepted values for anything else
     */
    public static Set<KernelPath> allowed(String value) {
        if (value == null || value.isBlank() || value.equalsIgnoreCase("auto")) {
            return EnumSet.allOf(KernelPath.class);
        }
        String v = value.trim().toLowerCase(Locale.ROOT);
        EnumSet<KernelPath> set = EnumSet.of(REFERENCE);
        if (v.equals("native")) {
            for (KernelPath p : values()) {
                if (p.isNative) {
                    set.add(p);
                }
            }
            return set;
        }
        for (KernelPath p : values()) {
            if (p.label.equals(v)) {
                set.add(p);
                if (p.isNative) {
                    // an ISA stands for a machine with that ISA as its best: op families with no
                    // kernel of that ISA keep their Java kernel, as auto dispatch would give them
                    // there, rather than dropping to the scalar reference
                    set.add(JAVA);
                }
                return set;
            }
        }
        throw new InvalidInputException("-D" + PROPERTY + "=" + value + " is not a kernel path; use auto, reference,"
                + " java, native, neon, avx2 or avx512vnni");
    }
}
