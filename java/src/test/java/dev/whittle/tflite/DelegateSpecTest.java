package dev.whittle.tflite;

import dev.whittle.InvalidInputException;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Delegate specs are parsed and checked in Java, before any native code. */
class DelegateSpecTest {
    @Test
    void xnnpackWithOptions() {
        DelegateSpec s = DelegateSpec.parse("xnnpack,threads=2,qu8=false,fp16=true");
        assertEquals(DelegateSpec.Kind.XNNPACK, s.kind());
        assertEquals(2, s.xnnpackThreads(1));
        // default flags QS8|QU8 (0x3): qu8 cleared, force-fp16 set
        assertEquals(0x1 | 0x4, s.xnnpackFlags(0x3));
        assertEquals(0x8, DelegateSpec.parse("xnnpack,flags=0x8").xnnpackFlags(0x3));
        assertEquals(0x9, DelegateSpec.parse("xnnpack,flags=0x8,qs8=true").xnnpackFlags(0x3));
        assertEquals(4, DelegateSpec.parse("XNNPACK").xnnpackThreads(4));
    }

    @Test
    void edgeTpuForms() {
        DelegateSpec any = DelegateSpec.parse("edgetpu");
        assertEquals(DelegateSpec.Kind.EDGETPU, any.kind());
        assertNull(any.deviceType());
        assertEquals(-1, any.deviceIndex());
        DelegateSpec usb1 = DelegateSpec.parse("edgetpu:usb:1,performance=max,Usb.MaxBulkInQueueLength=16,X.Y=z");
        assertEquals("usb", usb1.deviceType());
        assertEquals(1, usb1.deviceIndex());
        assertEquals(Map.of("performance", "Max", "Usb.MaxBulkInQueueLength", "16", "X.Y", "z"), usb1.options());
        assertEquals(2, DelegateSpec.parse("edgetpu:2").deviceIndex());
        assertEquals("pci", DelegateSpec.parse("edgetpu:pci").deviceType());
    }

    @Test
    void externalNeedsAnExistingLibrary() {
        InvalidInputException e = assertThrows(InvalidInputException.class,
                () -> DelegateSpec.parse("external:/no/such/libplugin.so,a=b"));
        assertTrue(e.getMessage().contains("not found: /no/such/libplugin.so"), e.getMessage());
        assertThrows(InvalidInputException.class, () -> DelegateSpec.parse("external:"));
    }

    @Test
    void badSpecsNameTheProblemAndTheForms() {
        String[] bad = {"", "gpu", "xnnpack,threads=0", "xnnpack,threads=x", "xnnpack,cores=2", "xnnpack,qs8=maybe",
            "xnnpack,flags=3", "xnnpack,threads", "xnnpack,=1", "xnnpack,threads=1,threads=2", "edgetpu:usb:pci",
            "edgetpu:cpu", "edgetpu:1:usb", "edgetpu,Performance=turbo", "edgetpu,Usb.MaxBulkInQueueLength=0",
            "edgetpu:99999999"};
        for (String b : bad) {
            InvalidInputException e = assertThrows(InvalidInputException.class, () -> DelegateSpec.parse(b), b);
            assertTrue(e.getMessage().contains("edgetpu[:usb|:pci][:N]"), e.getMessage());
        }
    }

    @Test
    void optionsCarryParsedSpecs() {
        TfliteOptions o = TfliteOptions.defaults().withDelegate("xnnpack,threads=2");
        assertEquals(1, o.delegateSpecs().size());
        assertTrue(o.hasExplicitXnnpack());
        assertThrows(InvalidInputException.class, () -> TfliteOptions.defaults().withDelegate("nope"));
    }
}
