package dev.whittle;

import dev.whittle.CpuFeatures.Feature;
import dev.whittle.internal.nativelib.NativeLibrary;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

class CpuFeaturesTest {

    private static final Path PROC_CPUINFO = Path.of("/proc/cpuinfo");
    private static final EnumSet<Feature> X86 = EnumSet.range(Feature.AVX2, Feature.AVX_VNNI);

    // Trimmed from real machines: an AVX-512 VNNI server and an Arm Neoverse N1 (dotprod, no i8mm).
    private static final List<String> X86_CPUINFO = List.of(
            "processor\t: 0",
            "model name\t: Intel(R) Xeon(R) Platinum 8375C CPU @ 2.90GHz",
            "flags\t\t: fpu sse sse2 pni fma cx16 sse4_1 sse4_2 popcnt avx f16c avx2 avx512f avx512dq"
                    + " avx512cd avx512bw avx512vl avx512_vnni avx512_bitalg",
            "",
            "processor\t: 1",
            "flags\t\t: fpu sse");
    private static final List<String> ARM_CPUINFO = List.of(
            "processor\t: 0",
            "BogoMIPS\t: 243.75",
            "Features\t: fp asimd evtstrm aes pmull sha1 sha2 crc32 atomics fphp asimdhp cpuid asimdrdm"
                    + " lrcpc dcpop asimddp ssbs",
            "CPU implementer\t: 0x41");

    private static NativeLibrary disabled() {
        return NativeLibrary.load(Map.of(NativeLibrary.DISABLE_PROPERTY, "true")::get);
    }

    @Test
    void fromMaskRoundTrip() {
        long all = 0;
        for (Feature f : Feature.values()) {
            CpuFeatures one = CpuFeatures.fromMask(f.mask());
            assertEquals(EnumSet.of(f), one.supported());
            assertEquals(f.mask(), one.mask());
            assertEquals(f.label(), one.toString());
            all |= f.mask();
        }
        assertEquals(all, CpuFeatures.fromMask(all).mask());
        assertEquals(EnumSet.allOf(Feature.class), CpuFeatures.fromMask(all).supported());
        assertEquals(CpuFeatures.fromMask(all), CpuFeatures.fromMask(CpuFeatures.fromMask(all).mask()));
    }

    @Test
    void unknownBitsAreDropped() {
        assertEquals(0, CpuFeatures.fromMask(1L << 40).mask());
        assertEquals(Feature.FMA.mask(), CpuFeatures.fromMask(Feature.FMA.mask() | 1L << 63).mask());
    }

    @Test
    void booleanAccessorsFollowTheMask() {
        CpuFeatures f = CpuFeatures.fromMask(Feature.AVX2.mask() | Feature.AVX512_VNNI.mask() | Feature.I8MM.mask());
        assertTrue(f.avx2() && f.avx512Vnni() && f.i8mm());
        assertTrue(!f.fma() && !f.f16c() && !f.avx512f() && !f.avx512bw() && !f.avx512vl()
                && !f.avxVnni() && !f.neon() && !f.dotprod());
    }

    @Test
    void toStringListsSupportedInOrder() {
        long mask = Feature.AVX512_VNNI.mask() | Feature.AVX2.mask() | Feature.FMA.mask();
        assertEquals("avx2 fma avx512_vnni", CpuFeatures.fromMask(mask).toString());
        assertEquals("none", CpuFeatures.fromMask(0).toString());
    }

    @Test
    void parsesX86Flags() {
        long mask = CpuFeatures.parseCpuinfo(X86_CPUINFO);
        assertEquals("avx2 fma f16c avx512f avx512bw avx512vl avx512_vnni", CpuFeatures.fromMask(mask).toString());
    }

    @Test
    void parsesArmFeatures() {
        long mask = CpuFeatures.parseCpuinfo(ARM_CPUINFO);
        assertEquals("neon dotprod", CpuFeatures.fromMask(mask).toString());
    }

    @Test
    void fallbackReadsCpuinfoWhenNativeIsDisabled(@TempDir Path dir) throws IOException {
        Path cpuinfo = Files.write(dir.resolve("cpuinfo"), X86_CPUINFO);
        CpuFeatures f = CpuFeatures.detect(disabled(), cpuinfo, "Linux", "amd64");
        assertEquals("Java fallback: " + cpuinfo, f.source());
        assertEquals(CpuFeatures.parseCpuinfo(X86_CPUINFO), f.mask());
    }

    @Test
    void fallbackOnAarch64AlwaysHasNeon(@TempDir Path dir) throws IOException {
        Path cpuinfo = Files.write(dir.resolve("cpuinfo"), List.of("Features\t: fp"));
        assertEquals("neon", CpuFeatures.detect(disabled(), cpuinfo, "Linux", "aarch64").toString());
        CpuFeatures mac = CpuFeatures.detect(disabled(), dir.resolve("absent"), "Mac OS X", "aarch64");
        assertEquals("neon", mac.toString());
        assertTrue(mac.source().startsWith("Java fallback: "), mac.source());
    }

    @Test
    void fallbackWithoutCpuinfoReportsNone(@TempDir Path dir) {
        CpuFeatures f = CpuFeatures.detect(disabled(), dir.resolve("absent"), "Windows 11", "amd64");
        assertEquals(0, f.mask());
        assertTrue(f.source().startsWith("Java fallback: "), f.source());
    }

    @Test
    void detectIsCached() {
        CpuFeatures f = CpuFeatures.detect();
        assertSame(f, CpuFeatures.detect());
        assertTrue(!f.source().isEmpty());
    }

    /**
     * The cpuid/xgetbv probe and the Linux kernel's view must agree. The kernel clears a flag
     * when it does not save the state, just as the probe checks XCR0, so they should be equal
     * bit for bit.
     */
    @Test
    void nativeProbeAgreesWithProcCpuinfo() throws IOException {
        assumeTrue(System.getProperty("os.name").startsWith("Linux"), "needs /proc/cpuinfo");
        String arch = System.getProperty("os.arch");
        assumeTrue(arch.equals("amd64") || arch.equals("x86_64"), "x86-64 comparison; on " + arch);
        NativeLibrary library = NativeLibrary.load(Map.<String, String>of()::get);
        assumeTrue(library.isAvailable(), () -> "native library unavailable: " + library.unavailableReason().orElse(""));

        CpuFeatures nativeProbe = CpuFeatures.detect(library, PROC_CPUINFO, "Linux", arch);
        CpuFeatures kernel = CpuFeatures.detect(disabled(), PROC_CPUINFO, "Linux", arch);
        assertEquals("native cpuid probe", nativeProbe.source());
        assertTrue(kernel.source().startsWith("Java fallback"), kernel.source());
        List<String> lines = Files.readAllLines(PROC_CPUINFO);
        for (Feature f : X86) {
            if (f == Feature.AVX_VNNI && nativeProbe.has(f) && !kernel.has(f)
                    && lines.stream().noneMatch(l -> l.contains(" avx_vnni"))) {
                // Kernels older than the AVX-VNNI enumeration never print the flag at all.
                continue;
            }
            assertEquals(kernel.has(f), nativeProbe.has(f),
                    f.label() + ": native [" + nativeProbe + "] vs /proc/cpuinfo [" + kernel + "]");
        }
    }
}
